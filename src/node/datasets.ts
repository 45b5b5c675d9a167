import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ADAPTERS, type DatasetAdapter } from '../datasets/adapters.js';
import { normaliseLabel } from '../datasets/labels.js';
import type { DatasetName, LabelledItem, SkippedFile } from '../datasets/types.js';
import { SpeechEmotionError } from '../errors.js';
import { parseCsv } from '../util/csv.js';
import { AUDIO_EXTENSIONS } from './audio-file.js';

/** Options of {@link scanDataset}. */
export interface ScanOptions {
  /** The naming scheme; `'auto'` (default) picks the adapter that labels most files. */
  dataset?: DatasetName | 'auto';
  /** RAVDESS: include sung files (vocal channel 02). Default false. */
  includeSong?: boolean;
  /**
   * File extensions to scan, lower case. Default `.wav .aif .aiff .mp3 .flac .ogg .opus .m4a .aac
   * .webm` (all but WAV and AIFF need the optional `audio-decode` package).
   */
  extensions?: string[];
}

/** The labelled items of a folder or manifest, and the files that could not be labelled. */
export interface ScanResult {
  /** The naming that was used (detected or given). */
  dataset: DatasetName;
  /** Labelled recordings, in sorted path order. */
  items: LabelledItem[];
  /** Audio files the naming could not label, with the reason. */
  skipped: SkippedFile[];
}

/**
 * Audio files under `dir`, in sorted order. Symbolic links are followed (a dataset assembled from
 * links to another disk is common), each real folder once, so a link cycle cannot loop.
 */
/** The files under `dir` (recursively, symbolic links followed once, sorted by name) that end in one of `exts`. @internal */
export async function walk(
  dir: string,
  exts: string[],
  out: string[],
  seen = new Set<string>(),
): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    const target = e.isSymbolicLink() ? await stat(p).catch(() => null) : e;
    if (target?.isDirectory()) await walk(p, exts, out, seen);
    else if (target?.isFile() && exts.some((x) => e.name.toLowerCase().endsWith(x))) out.push(p);
  }
}

/**
 * Labels every recording in a dataset folder (recursively, in sorted order) or listed in a CSV
 * manifest (`path,label[,speaker][,gender]`, paths relative to the manifest).
 *
 * Supported namings: RAVDESS, SAVEE (flat or `AudioData/<speaker>/`), TESS, CREMA-D, EmoDB and
 * folder-per-label; auto-detection picks the one that labels most files.
 *
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` when the path does not exist, holds no audio,
 * or matches no naming.
 *
 * @example
 * ```ts
 * import { scanDataset } from 'speech-emotion/node';
 * const { dataset, items, skipped } = await scanDataset('data/RAVDESS');
 * ```
 */
export async function scanDataset(path: string, options: ScanOptions = {}): Promise<ScanResult> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new SpeechEmotionError('INVALID_OPTION', `scanDataset: ${path} does not exist.`);
  }
  if (info.isFile()) {
    if (!path.toLowerCase().endsWith('.csv')) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `scanDataset: ${path} is a file; give a dataset folder or a CSV manifest (path,label[,speaker]).`,
      );
    }
    return readManifest(path);
  }
  const exts = options.extensions ?? [...AUDIO_EXTENSIONS];
  const files: string[] = [];
  await walk(path, exts, files);
  if (files.length === 0) {
    throw new SpeechEmotionError('INVALID_OPTION', `scanDataset: no ${exts.join('/')} files under ${path}.`);
  }
  const rel = files.map((f) => relative(path, f).split(sep).join('/'));
  let adapter: DatasetAdapter | undefined;
  const wanted = options.dataset ?? 'auto';
  if (wanted === 'auto') {
    let best = 0;
    for (const a of ADAPTERS) {
      const n = rel.filter((r) => 'item' in a.parse(r, { includeSong: true })).length;
      if (n > best) {
        best = n;
        adapter = a;
      }
    }
    if (!adapter || best < files.length / 2) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `scanDataset: cannot tell which dataset ${path} is (${best} of ${files.length} files match any naming). Name it with the dataset option (${ADAPTERS.map((a) => a.name).join(', ')}) or use a CSV manifest.`,
      );
    }
  } else {
    adapter = ADAPTERS.find((a) => a.name === wanted);
    if (!adapter) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `scanDataset: unknown dataset '${wanted}'. Known: auto, ${ADAPTERS.map((a) => a.name).join(', ')}, manifest.`,
      );
    }
  }
  const items: LabelledItem[] = [];
  const skipped: SkippedFile[] = [];
  rel.forEach((r, i) => {
    const res = adapter.parse(r, { includeSong: options.includeSong });
    if ('item' in res) items.push({ ...res.item, path: files[i] });
    else skipped.push({ path: files[i], reason: res.skip });
  });
  return { dataset: adapter.name, items, skipped };
}

async function readManifest(path: string): Promise<ScanResult> {
  const rows = parseCsv(await readFile(path, 'utf8'));
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('path') < 0 || col('label') < 0) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `scanDataset: the manifest ${path} needs a header with 'path' and 'label' columns (and optionally 'speaker', 'gender'); it has: ${header.join(', ')}.`,
    );
  }
  const items: LabelledItem[] = [];
  const skipped: SkippedFile[] = [];
  const base = dirname(path);
  for (const r of rows) {
    const p = r[col('path')]?.trim() ?? '';
    const file = isAbsolute(p) ? p : join(base, p);
    const label = normaliseLabel(r[col('label')] ?? '');
    if (!p) continue;
    if (!label) {
      skipped.push({ path: file, reason: `label '${r[col('label')]}' is not one of the emotions` });
      continue;
    }
    const g = col('gender') >= 0 ? r[col('gender')]?.trim().toLowerCase() : '';
    items.push({
      path: file,
      dataset: 'manifest',
      label,
      speaker: (col('speaker') >= 0 && r[col('speaker')]?.trim()) || 'unknown',
      ...(g === 'male' || g === 'female' ? { gender: g } : {}),
      meta: {},
    });
  }
  return { dataset: 'manifest', items, skipped };
}
