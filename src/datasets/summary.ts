import { EMOTIONS } from './labels.js';
import { speakerKey } from './split.js';
import type { LabelledItem } from './types.js';

/** Counts per label and per speaker. */
export interface DatasetSummary {
  /** Number of items. */
  total: number;
  /** Items per label. */
  byLabel: Record<string, number>;
  /** Per speaker key (`dataset:speaker`). */
  bySpeaker: Record<string, SpeakerSummary>;
}

/** One speaker's counts in a {@link DatasetSummary}. */
export interface SpeakerSummary {
  /** Items of this speaker. */
  count: number;
  /** The speaker's gender, when known. */
  gender?: string;
  /** This speaker's items per label. */
  byLabel: Record<string, number>;
}

/** Counts items per label and per speaker. */
export function summarize(items: readonly LabelledItem[]): DatasetSummary {
  const byLabel: Record<string, number> = {};
  const bySpeaker: DatasetSummary['bySpeaker'] = {};
  for (const it of items) {
    byLabel[it.label] = (byLabel[it.label] ?? 0) + 1;
    const k = speakerKey(it);
    bySpeaker[k] ??= { count: 0, gender: it.gender, byLabel: {} };
    bySpeaker[k].count++;
    bySpeaker[k].byLabel[it.label] = (bySpeaker[k].byLabel[it.label] ?? 0) + 1;
  }
  return { total: items.length, byLabel, bySpeaker };
}

/**
 * A plain-text table of counts: one row per speaker, one column per label, with totals.
 *
 * @example
 * ```ts
 * console.log(formatSummary(summarize(items)));
 * ```
 */
export function formatSummary(s: DatasetSummary): string {
  const labels = EMOTIONS.filter((l) => s.byLabel[l]);
  const head = ['speaker', 'gender', ...labels, 'total'];
  const rows = Object.keys(s.bySpeaker)
    .sort()
    .map((k) => {
      const sp = s.bySpeaker[k];
      return [k, sp.gender ?? '', ...labels.map((l) => String(sp.byLabel[l] ?? 0)), String(sp.count)];
    });
  rows.push(['all', '', ...labels.map((l) => String(s.byLabel[l])), String(s.total)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
