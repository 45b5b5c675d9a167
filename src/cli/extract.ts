import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EMOTIONS } from '../datasets/labels.js';
import type { LabelledItem, SkippedFile } from '../datasets/types.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import { type FeatureRow, encodeFeatureSet } from '../features/file.js';
import { type FeatureSpec, defineFeatureSpec, featureNames, featureSpecHash } from '../features/spec.js';
import { extractItems } from '../node/extract.js';
import { csvField } from '../util/csv.js';
import {
  CHANNEL_HELP,
  UsageError,
  channelOf,
  parseArgs,
  parseShard,
  rethrowAsUsage,
  scanAll,
} from './args.js';
import { Progress, writeAtomic } from './io.js';

export const EXTRACT_HELP = `speech-emotion extract <dirs…> --out <features.csv|features.sef> [options]

Extracts features from every recording of one or more dataset folders (RAVDESS, SAVEE, TESS,
CREMA-D, EmoDB, folder-per-label) or CSV manifests (path,label[,speaker]) into one combined file,
with the FeatureSpec in a sidecar <out>.json.

Options:
  --out FILE           .csv (columns path,dataset,speaker,gender,label, then the features) or .sef (binary)
  --spec FILE          FeatureSpec JSON (default: 16 kHz, trimmed, 40 MFCC, mean and std)
  --dataset NAME       naming of the folders: auto (default), ravdess, savee, tess, crema-d, emodb, folders
  --per-file-dir DIR   also write one CSV per recording (frames × features)
  --channel N          ${CHANNEL_HELP}
  --jobs N             worker threads (default: the number of cores)
  --shard i/n          only the i-th of n deterministic slices of the file list (0 ≤ i < n); merge with 'speech-emotion merge'
  --strict             exit with 1 when any file could not be used
  --quiet              no progress display

Bad files (unreadable, truncated, silent, too short) are listed with the reason and skipped; every
good file is still extracted. An interrupted run (Ctrl-C) writes no output file; run the same
command again to resume where it stopped.

Examples:
  speech-emotion extract data/RAVDESS data/SAVEE --out features.csv
  speech-emotion extract data/RAVDESS --out part0.csv --shard 0/4 --jobs 2`;

/** The journal of a run in progress: one JSON line per finished file, after a header line. */
interface JournalEntry {
  path: string;
  ok: boolean;
  code?: string;
  message?: string;
  frames?: number;
  features?: number;
  data?: number[];
  seconds?: number;
  hash?: string;
  warnings?: string[];
}

function readJournal(path: string, hash: string, channel?: number): Map<string, JournalEntry> {
  const done = new Map<string, JournalEntry>();
  if (!existsSync(path)) return done;
  const lines = readFileSync(path, 'utf8').split('\n');
  try {
    const head = JSON.parse(lines[0]);
    if (head.specHash !== hash || head.channel !== channel) return done; // another spec or channel: start over
  } catch {
    return done;
  }
  for (const line of lines.slice(1)) {
    try {
      const e = JSON.parse(line) as JournalEntry;
      done.set(e.path, e);
    } catch {
      // a line cut short by an interruption
    }
  }
  return done;
}

function sliceShard<T>(items: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return items.slice();
  const from = Math.floor((shard.index * items.length) / shard.count);
  const to = Math.floor(((shard.index + 1) * items.length) / shard.count);
  return items.slice(from, to);
}

const FLAGS = {
  out: 'string',
  spec: 'string',
  dataset: 'string',
  channel: 'string',
  'per-file-dir': 'string',
  jobs: 'number',
  shard: 'string',
  strict: 'boolean',
  quiet: 'boolean',
  help: 'boolean',
} as const;

type Flags = Record<string, string | number | boolean | undefined>;

/** The FeatureSpec of --spec (or the default), with file and JSON problems as usage errors. */
function specOf(flags: Flags): FeatureSpec {
  try {
    return defineFeatureSpec(flags.spec ? JSON.parse(readFileSync(flags.spec as string, 'utf8')) : {});
  } catch (e) {
    if (e instanceof SyntaxError)
      throw new UsageError(`extract: ${flags.spec} is not valid JSON: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`extract: spec file ${flags.spec} does not exist.`);
    rethrowAsUsage(e);
  }
}

/** What the command line asks for, checked before any file is read. */
function settingsOf(positionals: string[], flags: Flags) {
  const out = flags.out as string | undefined;
  if (positionals.length === 0 || !out)
    throw new UsageError('extract: give at least one dataset folder and --out <file.csv|file.sef>.');
  const binary = out.toLowerCase().endsWith('.sef');
  if (!binary && !out.toLowerCase().endsWith('.csv'))
    throw new UsageError(`extract: --out must end in .csv or .sef, got ${out}.`);
  const spec = specOf(flags);
  const seriesCsv = !binary && spec.output.type === 'series';
  if (seriesCsv && !spec.duration) {
    throw new UsageError(
      'extract: a series has a different number of frames per file, which a CSV cannot hold. Set a duration in the spec, use stats output, or write .sef.',
    );
  }
  const jobs = flags.jobs as number | undefined;
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
    throw new UsageError('extract: --jobs must be an integer ≥ 1.');
  const shard = flags.shard ? parseShard(flags.shard as string) : undefined;
  const channel = channelOf('extract', flags);
  return { out, binary, spec, seriesCsv, jobs, shard, channel, quiet: Boolean(flags.quiet) };
}
type Settings = ReturnType<typeof settingsOf>;

/**
 * Extracts the items not yet in the journal (`<out>.partial`), appending each result as it comes,
 * so an interrupted run resumes. Returns every item's entry, or null when interrupted (Ctrl-C).
 */
async function extractJournaled(
  items: LabelledItem[],
  s: Settings,
): Promise<Map<string, JournalEntry> | null> {
  const hash = featureSpecHash(s.spec);
  const journalPath = `${s.out}.partial`;
  const done = readJournal(journalPath, hash, s.channel);
  if (done.size === 0)
    writeFileSync(
      journalPath,
      `${JSON.stringify({ specHash: hash, spec: s.spec, out: s.out, shard: s.shard, channel: s.channel })}\n`,
    );
  else if (!s.quiet)
    console.error(`resuming: ${done.size} of ${items.length} files already done (${journalPath})`);
  const todo = items.filter((it) => !done.has(it.path));
  const progress = new Progress(items.length, s.quiet);
  let finished = items.length - todo.length;
  progress.update(finished);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    for await (const { item, result } of extractItems(todo, s.spec, {
      jobs: s.jobs,
      channel: s.channel,
      signal: abort.signal,
    })) {
      const e: JournalEntry = result.ok
        ? {
            path: item.path,
            ok: true,
            frames: result.features.frames,
            features: result.features.features,
            data: Array.from(result.features.data),
            seconds: result.seconds,
            hash: result.audioHash,
            ...(result.warnings ? { warnings: result.warnings } : {}),
          }
        : { path: item.path, ok: false, code: result.code, message: result.message };
      appendFileSync(journalPath, `${JSON.stringify(e)}\n`);
      done.set(item.path, e);
      progress.update(++finished);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (!abort.signal.aborted) return done;
  console.error(
    `\ninterrupted: ${finished} of ${items.length} files done; no output written. Run the same command again to resume.`,
  );
  return null;
}

/** The rows in item order, the dropped files, and groups of files with identical audio. */
function assemble(items: LabelledItem[], done: Map<string, JournalEntry>) {
  const rows: FeatureRow[] = [];
  const dropped: { path: string; code: string; message: string }[] = [];
  const warned: { path: string; warning: string }[] = [];
  const byHash = new Map<string, string[]>();
  let audioSeconds = 0;
  for (const it of items) {
    const e = done.get(it.path)!;
    if (!e.ok) {
      dropped.push({ path: it.path, code: e.code!, message: e.message! });
      continue;
    }
    const features: FeatureMatrix = {
      data: Float32Array.from(e.data!),
      frames: e.frames!,
      features: e.features!,
    };
    rows.push({
      path: it.path,
      dataset: it.dataset,
      label: it.label,
      speaker: it.speaker,
      gender: it.gender,
      features,
    });
    audioSeconds += e.seconds!;
    for (const warning of e.warnings ?? []) warned.push({ path: it.path, warning });
    byHash.set(e.hash!, [...(byHash.get(e.hash!) ?? []), it.path]);
  }
  const duplicates = [...byHash.values()].filter((ps) => ps.length > 1);
  return { rows, dropped, warned, audioSeconds, duplicates };
}
type Assembled = ReturnType<typeof assemble>;

/** The output file (CSV or .sef), its JSON sidecar, and the per-file CSVs of --per-file-dir. */
function writeOutputs(
  s: Settings,
  a: Assembled,
  extra: { inputs: string[]; unlabelled: SkippedFile[]; perFileDir?: string },
) {
  const names = featureNames(s.spec);
  const hash = featureSpecHash(s.spec);
  const { rows } = a;
  const frameNames = s.seriesCsv
    ? rows[0]
      ? Array.from({ length: rows[0].features.frames }, (_, t) => names.map((n) => `t${t}_${n}`)).flat()
      : []
    : names;
  if (s.binary) writeAtomic(s.out, encodeFeatureSet({ spec: s.spec, specHash: hash, columns: names, rows }));
  else {
    const head = ['path', 'dataset', 'speaker', 'gender', 'label', ...frameNames].map(csvField).join(',');
    const lines = rows.map(
      (r) =>
        `${[r.path, r.dataset, r.speaker, r.gender ?? '', r.label].map(csvField).join(',')},${Array.from(r.features.data).join(',')}`,
    );
    writeAtomic(s.out, `${[head, ...lines].join('\n')}\n`);
  }
  const sidecar = {
    library: 'speech-emotion',
    featureSpec: s.spec,
    specHash: hash,
    columns: s.binary ? names : frameNames,
    shard: s.shard ?? null,
    ...(s.channel === undefined ? {} : { channel: s.channel + 1 }),
    inputs: extra.inputs,
    count: rows.length,
    dropped: a.dropped,
    warnings: a.warned,
    unlabelled: extra.unlabelled,
    duplicates: a.duplicates,
  };
  writeAtomic(`${s.out}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  if (!extra.perFileDir) return;
  mkdirSync(extra.perFileDir, { recursive: true });
  for (const r of rows) {
    const lines = [names.join(',')];
    for (let t = 0; t < r.features.frames; t++)
      lines.push(Array.from(r.features.data.subarray(t * names.length, (t + 1) * names.length)).join(','));
    writeAtomic(
      join(extra.perFileDir, `${r.dataset}-${basename(r.path).replace(/\.[^.]+$/, '')}.csv`),
      `${lines.join('\n')}\n`,
    );
  }
}

function printSummary(
  s: Settings,
  a: Assembled,
  total: number,
  seconds: number,
  unlabelled: SkippedFile[],
): void {
  console.log(
    `extracted ${a.rows.length} of ${total} files (${a.audioSeconds.toFixed(0)} s of audio) in ${seconds.toFixed(1)} s → ${s.out}`,
  );
  if (a.dropped.length) {
    console.log(`dropped ${a.dropped.length} file(s):`);
    for (const d of a.dropped) console.log(`  ${d.path}: ${d.code}: ${d.message}`);
  }
  if (a.warned.length) {
    console.log(`${a.warned.length} warning(s) about files that were used:`);
    for (const w of a.warned) console.log(`  ${w.path}: ${w.warning}`);
  }
  if (unlabelled.length)
    console.log(`${unlabelled.length} file(s) not labelled by the naming (listed in ${s.out}.json)`);
  if (a.duplicates.length) {
    console.log(`${a.duplicates.length} group(s) of files with identical audio:`);
    for (const g of a.duplicates) console.log(`  ${g.join(' = ')}`);
  }
  const counts = new Map<string, number>();
  for (const r of a.rows) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  console.log(
    `labels: ${EMOTIONS.filter((l) => counts.has(l))
      .map((l) => `${l} ${counts.get(l)}`)
      .join(', ')}`,
  );
}

export async function runExtract(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { ...FLAGS }, 'extract');
  if (flags.help) {
    console.log(EXTRACT_HELP);
    return 0;
  }
  const s = settingsOf(positionals, flags);
  const { items: all, skipped: unlabelled } = await scanAll(
    positionals,
    flags.dataset as string | undefined,
    s.quiet,
  );
  const items = sliceShard(all, s.shard);
  const t0 = performance.now();
  const done = await extractJournaled(items, s);
  if (!done) return 130;
  const elapsed = (performance.now() - t0) / 1000;
  const assembled = assemble(items, done);
  writeOutputs(s, assembled, {
    inputs: positionals,
    unlabelled,
    perFileDir: flags['per-file-dir'] as string | undefined,
  });
  rmSync(`${s.out}.partial`, { force: true });
  printSummary(s, assembled, items.length, elapsed, unlabelled);
  return flags.strict && assembled.dropped.length > 0 ? 1 : 0;
}

export const MERGE_HELP = `speech-emotion merge <part.csv…> --out <all.csv>

Combines the outputs of 'speech-emotion extract --shard i/n' (CSV with their .json sidecars) into
one file, in shard order. Refuses parts made with different FeatureSpecs.

Example:
  speech-emotion merge part0.csv part1.csv part2.csv part3.csv --out features.csv`;

export async function runMerge(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { out: 'string', help: 'boolean' }, 'merge');
  if (flags.help) {
    console.log(MERGE_HELP);
    return 0;
  }
  const out = flags.out as string | undefined;
  if (positionals.length === 0 || !out?.endsWith('.csv'))
    throw new UsageError('merge: give the shard CSV files and --out <file.csv>.');
  const parts = positionals.map((p) => {
    const side = `${p}.json`;
    if (!existsSync(p) || !existsSync(side))
      throw new UsageError(`merge: ${p} or its sidecar ${side} is missing.`);
    return { path: p, meta: JSON.parse(readFileSync(side, 'utf8')), text: readFileSync(p, 'utf8') };
  });
  const first = parts[0].meta;
  const channel = (meta: { channel?: number }) =>
    meta.channel ? `channel ${meta.channel}` : 'the mix of channels';
  for (const p of parts) {
    if (p.meta.specHash !== first.specHash) {
      throw new SpeechEmotionError(
        'SPEC_MISMATCH',
        `merge: ${p.path} was extracted with another FeatureSpec (${p.meta.specHash} ≠ ${first.specHash}).`,
      );
    }
    if (p.meta.channel !== first.channel)
      throw new SpeechEmotionError(
        'SPEC_MISMATCH',
        `merge: ${p.path} holds ${channel(p.meta)}, ${parts[0].path} ${channel(first)} (--channel).`,
      );
  }
  parts.sort((a, b) => (a.meta.shard?.index ?? 0) - (b.meta.shard?.index ?? 0));
  const indexes = parts.map((p) => p.meta.shard?.index);
  const count = first.shard?.count;
  if (count !== undefined && (parts.length !== count || indexes.some((i, k) => i !== k))) {
    console.error(`merge: warning: expected shards 0…${count - 1} of ${count}, got ${indexes.join(', ')}.`);
  }
  const header = parts[0].text.slice(0, parts[0].text.indexOf('\n'));
  const bodies = parts.map((p) => {
    const nl = p.text.indexOf('\n');
    if (p.text.slice(0, nl) !== header)
      throw new SpeechEmotionError('SPEC_MISMATCH', `merge: ${p.path} has different columns.`);
    return p.text.slice(nl + 1);
  });
  writeAtomic(out, `${header}\n${bodies.join('')}`);
  const merged = {
    ...first,
    shard: null,
    mergedFrom: parts.map((p) => p.path),
    count: parts.reduce((a, p) => a + p.meta.count, 0),
    dropped: parts.flatMap((p) => p.meta.dropped),
    warnings: parts.flatMap((p) => p.meta.warnings ?? []),
    unlabelled: parts.flatMap((p) => p.meta.unlabelled),
    duplicates: parts.flatMap((p) => p.meta.duplicates),
  };
  writeAtomic(`${out}.json`, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`merged ${parts.length} part(s), ${merged.count} rows → ${out}`);
  return 0;
}
