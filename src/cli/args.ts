import type { LabelledItem, SkippedFile } from '../datasets/types.js';
import { SpeechEmotionError } from '../errors.js';
import { scanDataset } from '../node/datasets.js';

/** A command's flags: name → 'string' | 'number' | 'boolean'. */
export type FlagSpec = Record<string, 'string' | 'number' | 'boolean'>;

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | number | boolean | undefined>;
}

/** Usage errors exit with code 2. */
export class UsageError extends Error {}

/** Parses `--name value`, `--name=value` and `--flag`; unknown flags are usage errors. */
export function parseArgs(argv: string[], spec: FlagSpec, command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    const type = spec[name];
    if (!type) {
      throw new UsageError(
        `${command}: unknown option --${name}. Options: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    }
    if (type === 'boolean') {
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${command}: --${name} needs a value.`);
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n))
        throw new UsageError(`${command}: --${name} must be a number, got '${value}'.`);
      flags[name] = n;
    } else flags[name] = value;
  }
  return { positionals, flags };
}

/** Help text of --channel, shared by the commands that take it. */
export const CHANNEL_HELP =
  'one channel instead of the mix of all: 1 or left, 2 or right, … (recordings with a voice per channel)';

/**
 * --channel: counted from 1 (or left / right) on the command line, an index from 0 in the library;
 * undefined (the mix of every channel) when the flag is absent.
 */
export function channelOf(command: string, flags: Record<string, unknown>): number | undefined {
  if (flags.channel === undefined) return undefined;
  const v = String(flags.channel).trim().toLowerCase();
  const n = v === 'left' ? 1 : v === 'right' ? 2 : Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${command}: --channel takes 1, 2, … or left / right; got '${flags.channel}'.`);
  return n - 1;
}

/** Parses `i/n` (0-based shard i of n). */
export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new UsageError(`--shard must be i/n with 0 ≤ i < n (e.g. 0/4 … 3/4), got '${s}'.`);
  }
  return { index, count };
}

export function rethrowAsUsage(e: unknown): never {
  if (e instanceof SpeechEmotionError && (e.code === 'INVALID_OPTION' || e.code === 'UNKNOWN_OPTION'))
    throw new UsageError(e.message);
  throw e;
}

/** Scans every folder (or manifest) a command was given, naming each folder's dataset on stderr. */
export async function scanAll(
  dirs: string[],
  dataset: string | undefined,
  quiet: boolean,
): Promise<{ items: LabelledItem[]; skipped: SkippedFile[] }> {
  const items: LabelledItem[] = [];
  const skipped: SkippedFile[] = [];
  for (const dir of dirs) {
    const r = await scanDataset(dir, { dataset: (dataset as never) ?? 'auto' }).catch(rethrowAsUsage);
    if (!quiet)
      console.error(
        `${dir}: ${r.dataset}, ${r.items.length} labelled files${r.skipped.length ? `, ${r.skipped.length} not labelled` : ''}`,
      );
    items.push(...r.items);
    skipped.push(...r.skipped);
  }
  return { items, skipped };
}
