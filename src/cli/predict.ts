// speech-emotion predict: one file, several files in parallel, or a timeline streamed from disk.
import { stat } from 'node:fs/promises';
import { SpeechEmotionError } from '../errors.js';
import { EmotionModel, type Prediction } from '../model/emotion-model.js';
import { withSpan, withheld } from '../model/prediction.js';
import { readMono } from '../node.js';
import { AUDIO_EXTENSIONS } from '../node/audio-file.js';
import { type MonoStream, streamMono } from '../node/audio-stream.js';
import { walk } from '../node/datasets.js';
import { extractItems } from '../node/extract.js';
import type { FileResult } from '../node/process-file.js';
import { UsageError, channelOf, parseArgs } from './args.js';
import { located, readStandardInput, streamStandardInput, warn, withWarnings } from './io.js';

import { startBackend } from './model-common.js';

export const PREDICT_HELP = `speech-emotion predict <files or folders…> [--model <modelDir>] [--json] [--timeline]

Predicts the emotion of each recording (WAV, AIFF; mp3, flac, ogg, Opus, m4a/AAC, WebM, AMR/3GP,
WMA and CAF with the optional audio-decode package), at any sample rate and channel count, with the default model
shipped in the package unless --model names another. A folder stands for every recording under it
(by file ending, sorted); '-' reads one recording piped in. Silent or too-short audio gets no
label. Files that cannot be read are reported and the others still predicted.

Options:
  --model DIR       a model saved by 'speech-emotion train' (default: the bundled model)
  --json            one JSON object per file and line: { file, label, scores, uncertain,
                    unfamiliar, analysed } (unfamiliar: for a model that tells it; the bundled
                    one does; analysed { start, end, soundEnd }: when the sound goes on over a
                    second past the part the model heard)
                    or { file, label: null, scores: {}, warning }; with --timeline
                    { file, segments }. Each also has warnings: [...] when the file
                    gives any (damage, a cancelling mix, clipping; also on stderr)
  --timeline        the emotion over time: one prediction per window, printed as each is ready;
                    a WAV or AIFF file, also piped into '-', is read in pieces, so memory
                    stays constant over hours of audio (other formats are decoded whole first)
  --window S        timeline window, seconds (default: the model's clip length)
  --hop S           timeline step, seconds (default: half the window)
  --labels A,B,…    only these emotions: the likeliest of them, their scores renormalised to 1
  --channel N       one channel instead of the mix of all: 1 or left, 2 or right, … (a call
                    recorded with a voice per channel: predict each channel in its own run)
  --jobs N          threads that read and featurise several files (default: every core)
  --backend NAME    tensorflow, wasm or cpu (default: the fastest installed)

Exit codes: 0 all predicted, 1 some files failed, 2 usage error.

Examples:
  speech-emotion predict my.wav
  speech-emotion predict interview.wav --timeline --hop 1
  speech-emotion predict a.wav memo.m4a --model models/mine --json
  speech-emotion predict voicemails/ --json
  ffmpeg -i call.mp4 -f wav - | speech-emotion predict -
  speech-emotion predict call.wav --labels angry,neutral
  speech-emotion predict call.wav --channel right`;

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** A prediction as the terminal shows it: `happy (61%)` with what qualifies it, or why there is no label. */
const labelText = (p: Prediction) =>
  p.label === null
    ? `no emotion (${p.warning})`
    : `${p.label} (${pct(p.scores[p.label])})${p.uncertain ? ', uncertain' : ''}${p.unfamiliar ? ', unfamiliar audio' : ''}${heardText(p)}`;

/** A note when only part of the recording's sound was analysed. */
const heardText = ({ analysed: a }: Prediction) =>
  a
    ? `; analysed ${a.start.toFixed(1)}–${a.end.toFixed(1)} s of sound that lasts until ${a.soundEnd.toFixed(1)} s (--timeline follows all of it)`
    : '';

/**
 * predict over several files: decoding, resampling, features and the no-speech check on every core
 * (extractItems' workers), the network on batches of 64, results printed in file order. The same
 * outputs as predicting one file at a time.
 */
async function predictMany(model: EmotionModel, files: string[], run: Run): Promise<number> {
  const { labels, json, jobs, channel } = run;
  const items = files.map((path) => ({
    path,
    dataset: 'manifest' as const,
    label: 'neutral' as const,
    speaker: '',
    meta: {},
  }));
  let failed = 0;
  let pending: { file: string; result: FileResult }[] = [];
  const print = (file: string, p: Prediction | { error: string }, warnings?: string[]) => {
    if ('error' in p) {
      failed++;
      if (json) console.log(JSON.stringify({ file, error: p.error }));
      else console.error(p.error);
    } else if (json) console.log(JSON.stringify(withWarnings({ file, ...p }, warnings)));
    else console.log(`${file}: ${labelText(p)}`);
  };
  const drain = async () => {
    // The library's rule for a withheld label, on what the workers measured; the rest go through
    // the network together.
    const outcomes = pending.map(({ result }) =>
      result.ok ? withheld(undefined, result.noise) : withheld(result.code),
    );
    const labelled = await model.labelFeatures(
      pending.flatMap(({ result }, i) => (result.ok && !outcomes[i] ? [result.features] : [])),
      labels,
    );
    let at = 0;
    for (const [i, { file, result }] of pending.entries()) {
      const warnings = (result.ok && result.warnings) || [];
      warn(file, warnings);
      const none = outcomes[i];
      if (none) print(file, none, warnings);
      else if (result.ok) print(file, withSpan(labelled[at++], result.span), warnings);
      else print(file, { error: located(file, result.message) });
    }
    pending = [];
  };
  for await (const { item, result } of extractItems(items, model.featureSpec, {
    jobs,
    forPredict: true,
    channel,
  })) {
    pending.push({ file: item.path, result });
    if (pending.length >= 64) await drain();
  }
  await drain();
  return failed;
}

type Flags = Record<string, string | number | boolean | undefined>;

/** What every file of a run is predicted with. */
interface Run {
  labels?: string[];
  json: boolean;
  jobs?: number;
  /** From 0; undefined mixes the channels. */
  channel?: number;
}

/** The files given, each folder replaced by the recordings under it; the folders that hold none. */
async function expandFolders(paths: string[]): Promise<{ files: string[]; empty: string[] }> {
  const files: string[] = [];
  const empty: string[] = [];
  for (const path of paths) {
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) {
      files.push(path);
      continue;
    }
    const found: string[] = [];
    await walk(path, [...AUDIO_EXTENSIONS], found);
    if (found.length) files.push(...found);
    else empty.push(path);
  }
  return { files, empty };
}

/** --labels, checked against the model's labels. */
function labelsOf(flags: Flags, model: EmotionModel): string[] | undefined {
  if (flags.labels === undefined) return undefined;
  const labels = String(flags.labels)
    .split(',')
    .map((l) => l.trim());
  const unknown = labels.filter((l) => !model.labels.includes(l));
  if (unknown.length || labels.length === 0)
    throw new UsageError(
      `predict: --labels names ${unknown.join(', ') || 'nothing'}; the model knows ${model.labels.join(', ')}.`,
    );
  return labels;
}

/**
 * --timeline: the file read, decoded and predicted window by window (constant memory over any
 * length), each window printed as it is ready, with progress on stderr for recordings over a minute.
 */
async function predictTimelineOf(file: string, model: EmotionModel, flags: Flags, run: Run): Promise<void> {
  const { labels } = run;
  const stream: MonoStream & { late?: string[] } =
    file === '-' ? await streamStandardInput(run.channel) : await streamMono(file, { channel: run.channel });
  const { sampleRate, duration, chunks, warnings } = stream;
  warn(file, warnings);
  const long = duration !== null && duration > 60;
  const started = performance.now();
  let nextReport = 0.1;
  const segments = [];
  if (!run.json) console.log(`${file}:`);
  const windows = {
    sampleRate,
    window: flags.window as number | undefined,
    hop: flags.hop as number | undefined,
    labels,
  };
  for await (const g of model.predictStream(chunks, windows)) {
    segments.push(g);
    if (!run.json)
      console.log(`  ${g.start.toFixed(2).padStart(7)}–${g.end.toFixed(2).padEnd(7)} s  ${labelText(g)}`);
    if (long && duration && g.end / duration >= nextReport) {
      const speed = g.end / ((performance.now() - started) / 1000);
      console.error(
        `${file}: ${Math.floor((100 * g.end) / duration)}% (${(g.end / 60).toFixed(1)} of ${(duration / 60).toFixed(1)} min, ${speed.toFixed(0)}× real time)`,
      );
      nextReport = Math.floor((10 * g.end) / duration) / 10 + 0.1;
    }
  }
  warn(file, stream.late);
  if (run.json)
    console.log(
      JSON.stringify(withWarnings({ file, segments }, [...(warnings ?? []), ...(stream.late ?? [])])),
    );
}

/** One file, one prediction. */
async function predictOne(file: string, model: EmotionModel, run: Run): Promise<void> {
  const { signal, sampleRate, warnings } =
    file === '-' ? await readStandardInput(run.channel) : await readMono(file, { channel: run.channel });
  warn(file, warnings);
  const p = await model.predict(signal, { sampleRate, labels: run.labels });
  if (run.json) console.log(JSON.stringify(withWarnings({ file, ...p }, warnings)));
  else console.log(`${file}: ${labelText(p)}`);
}

export async function runPredict(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      model: 'string',
      json: 'boolean',
      timeline: 'boolean',
      window: 'number',
      hop: 'number',
      labels: 'string',
      channel: 'string',
      backend: 'string',
      jobs: 'number',
      help: 'boolean',
    },
    'predict',
  );
  if (flags.help) {
    console.log(PREDICT_HELP);
    return 0;
  }
  if (!positionals.length) throw new UsageError('predict: give at least one audio file or folder.');
  if (positionals.includes('-') && positionals.length > 1)
    throw new UsageError("predict: '-' (a recording piped in) must be the only input.");
  // Reading a terminal would wait for typing, not audio.
  if (positionals[0] === '-' && process.stdin.isTTY)
    throw new UsageError(
      "predict: '-' reads a recording piped in, but standard input is a terminal (… | speech-emotion predict -).",
    );
  const channel = channelOf('predict', flags);
  await startBackend(flags.backend);
  const model = await EmotionModel.load(flags.model as string | undefined);
  const json = Boolean(flags.json);
  const run: Run = { labels: labelsOf(flags, model), json, jobs: flags.jobs as number | undefined, channel };
  const { files, empty } = await expandFolders(positionals);
  let failed = empty.length;
  for (const dir of empty) {
    const error = `no audio files (${AUDIO_EXTENSIONS.join(', ')}) under ${dir}`;
    if (json) console.log(JSON.stringify({ file: dir, error }));
    else console.error(`${dir}: ${error}`);
  }
  if (!flags.timeline && files.length > 1) {
    failed += await predictMany(model, files, run);
    model.dispose();
    return failed ? 1 : 0;
  }
  for (const file of files) {
    try {
      if (flags.timeline) await predictTimelineOf(file, model, flags, run);
      else await predictOne(file, model, run);
    } catch (e) {
      failed++;
      const msg = located(
        file,
        e instanceof SpeechEmotionError ? e.message : String((e as Error)?.message ?? e),
      );
      if (json) console.log(JSON.stringify({ file, error: msg }));
      else console.error(msg);
    }
  }
  model.dispose();
  return failed ? 1 : 0;
}
