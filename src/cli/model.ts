import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { speakerSplit } from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import { type FeatureSpec, defineFeatureSpec } from '../features/spec.js';
import type { BackendName } from '../model/backend.js';
import { EmotionModel } from '../model/emotion-model.js';
import type { Evaluation } from '../model/metrics.js';
import { loadTf } from '../model/tf.js';
import { readMono } from '../node.js';
import { pickBackend, useBackend } from '../node/backend.js';
import { extractItems } from '../node/extract.js';
import { UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';

/** The spec `train` uses unless --spec says otherwise: 2.5 s series of 40 MFCC + Δ, normalised per utterance. */
export const TRAIN_SPEC: Partial<FeatureSpec> = {
  duration: { offset: 0, seconds: 2.5 },
  features: { type: 'mfcc', options: { nMfcc: 40, nFft: 512, hopLength: 256 } },
  deltas: 1,
  cmvn: 'meanvar',
  output: { type: 'series' },
};

/** Selects and starts the backend, without tfjs's Node banner. */
async function startBackend(flag: unknown): Promise<BackendName> {
  const tf = await loadTf();
  tf.env().set('PROD', true); // silences "looks like you are running TensorFlow.js in Node.js"
  const name = (flag as BackendName | undefined) ?? pickBackend();
  return useBackend(name).catch(rethrowAsUsage);
}

async function featurise(
  items: LabelledItem[],
  spec: FeatureSpec,
  jobs?: number,
): Promise<{ rows: FeatureRow[]; dropped: string[] }> {
  const rows: FeatureRow[] = [];
  const dropped: string[] = [];
  for await (const { item, result } of extractItems(items, spec, { jobs })) {
    if (result.ok)
      rows.push({
        path: item.path,
        dataset: item.dataset,
        label: item.label,
        speaker: item.speaker,
        gender: item.gender,
        features: result.features,
      });
    else dropped.push(`${item.path}: ${result.code}: ${result.message}`);
  }
  return { rows, dropped };
}

function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `accuracy ${pct(e.accuracy)}, unweighted accuracy ${pct(e.unweightedAccuracy)}, macro F1 ${pct(e.macroF1)}, ${e.count} items`,
    '',
    `${'label'.padEnd(10)} ${'recall'.padStart(7)} ${'prec.'.padStart(7)} ${'F1'.padStart(7)} ${'n'.padStart(5)}`,
    ...Object.entries(e.perClass).map(
      ([l, m]) =>
        `${l.padEnd(10)} ${pct(m.recall).padStart(7)} ${pct(m.precision).padStart(7)} ${pct(m.f1).padStart(7)} ${String(m.support).padStart(5)}`,
    ),
    '',
    'confusion (rows: truth, columns: predicted)',
    `${''.padEnd(10)} ${e.confusion.labels.map((l) => l.slice(0, 5).padStart(6)).join('')}`,
    ...e.confusion.matrix.map(
      (row, i) => `${e.confusion.labels[i].padEnd(10)} ${row.map((v) => String(v).padStart(6)).join('')}`,
    ),
  ];
  return lines.join('\n');
}

export const TRAIN_HELP = `speech-emotion train <dirs…> --out <modelDir> [options]

Trains an emotion model on dataset folders (or CSV manifests) and saves it with a report.

Options:
  --out DIR              where the model (model.json, weights.bin) and report.json/report.md go
  --arch NAME            cnn1d (default), cnn2d or mlp
  --epochs N             default 40
  --batch-size N         default 32
  --learning-rate X      default 0.002
  --val-speakers a,b     hold these speakers out for validation (early stopping on their UA)
  --seed N               seed of weights, batch order and dropout (default 3): runs repeat exactly
  --spec FILE            FeatureSpec JSON (default: 2.5 s, 40 MFCC + deltas, per-utterance CMVN)
  --backend NAME         tensorflow, wasm or cpu (default: the fastest installed)
  --jobs N               feature-extraction threads
  --quiet                no per-epoch lines

Example:
  speech-emotion train data/RAVDESS --val-speakers 19,20 --out models/ravdess`;

export async function runTrain(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      out: 'string',
      arch: 'string',
      epochs: 'number',
      'batch-size': 'number',
      'learning-rate': 'number',
      'val-speakers': 'string',
      seed: 'number',
      spec: 'string',
      backend: 'string',
      jobs: 'number',
      dataset: 'string',
      quiet: 'boolean',
      help: 'boolean',
    },
    'train',
  );
  if (flags.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const out = flags.out as string | undefined;
  if (!positionals.length || !out) throw new UsageError('train: give dataset folders and --out <modelDir>.');
  const arch = (flags.arch as string | undefined) ?? 'cnn1d';
  if (!['cnn1d', 'cnn2d', 'mlp'].includes(arch))
    throw new UsageError(`train: --arch must be cnn1d, cnn2d or mlp, got ${arch}.`);
  const spec = defineFeatureSpec(
    flags.spec ? JSON.parse(readFileSync(flags.spec as string, 'utf8')) : TRAIN_SPEC,
  );
  const quiet = Boolean(flags.quiet);
  const backend = await startBackend(flags.backend);
  const { items } = await scanAll(positionals, flags.dataset as string | undefined, quiet);
  const valSpeakers =
    typeof flags['val-speakers'] === 'string'
      ? (flags['val-speakers'] as string).split(',').map((s) => s.trim())
      : undefined;
  let split: ReturnType<typeof speakerSplit> | undefined;
  try {
    if (valSpeakers) split = speakerSplit(items, { validationSpeakers: valSpeakers, test: 0 });
  } catch (e) {
    rethrowAsUsage(e);
  }
  const trainItems = split ? split.train : items;
  if (split)
    console.error(
      `train speakers: ${split.speakers.train.join(' ')}\nvalidation speakers: ${split.speakers.validation.join(' ')}`,
    );
  const jobs = flags.jobs as number | undefined;
  const train = await featurise(trainItems, spec, jobs);
  const val = split ? await featurise(split.validation, spec, jobs) : undefined;
  for (const d of [...train.dropped, ...(val?.dropped ?? [])]) console.error(`dropped ${d}`);
  if (train.rows.length === 0) throw new UsageError('train: no usable training recordings.');
  const labels = [...new Set(train.rows.map((r) => r.label))].sort((a, b) => a.localeCompare(b));
  const first = train.rows[0].features;
  const inputShape = spec.output.type === 'series' ? [first.frames, first.features] : [first.features];
  const seed = (flags.seed as number | undefined) ?? 3;
  const model = await EmotionModel.create({
    labels,
    featureSpec: spec,
    inputShape,
    architecture: arch as never,
    seed,
  });
  const epochs = (flags.epochs as number | undefined) ?? 40;
  const t0 = performance.now();
  console.error(`training ${arch} on ${train.rows.length} recordings (${backend} backend), ${epochs} epochs`);
  const summary = await model.fit(train.rows, {
    validation: val?.rows,
    epochs,
    batchSize: (flags['batch-size'] as number | undefined) ?? 32,
    learningRate: (flags['learning-rate'] as number | undefined) ?? 2e-3,
    seed,
    earlyStopping: val ? { patience: 10 } : false,
    onEpochEnd: (epoch, log) => {
      if (quiet) return;
      const eta = ((performance.now() - t0) / 1000 / (epoch + 1)) * (epochs - epoch - 1);
      console.error(
        `epoch ${epoch + 1}/${epochs}  loss ${log.loss.toFixed(4)}${log.validationUA === undefined ? '' : `  val UA ${(100 * log.validationUA).toFixed(1)}%`}  ${log.seconds.toFixed(1)} s  ETA ${eta.toFixed(0)} s`,
      );
    },
  });
  await model.save(out);
  const report = {
    architecture: arch,
    backend,
    labels,
    featureSpec: spec,
    trainCount: train.rows.length,
    training: summary,
    validation: val ? await model.evaluate(val.rows) : null,
  };
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const md = [
    '# Training report',
    '',
    `- architecture: ${arch}, backend: ${backend}, seed ${seed}`,
    `- training recordings: ${train.rows.length}`,
    `- epochs run: ${summary.epochs.length} (kept epoch ${summary.bestEpoch + 1}, stopped by ${summary.stopped})`,
  ];
  if (report.validation) md.push('', '## Validation', '', '```', formatEvaluation(report.validation), '```');
  writeFileSync(join(out, 'report.md'), `${md.join('\n')}\n`);
  console.log(
    `saved ${out} (${summary.epochs.length} epochs${report.validation ? `, validation UA ${(100 * report.validation.unweightedAccuracy).toFixed(1)}%` : ''})`,
  );
  model.dispose();
  return 0;
}

export const EVALUATE_HELP = `speech-emotion evaluate <modelDir> <dirs…> [--json]

Scores a saved model on labelled dataset folders (use speakers the model never heard). With --json,
the last line is one JSON object: accuracy, unweightedAccuracy, macroF1, perClass, confusion, count.

Options: --json, --backend NAME, --jobs N, --dataset NAME

Example:
  speech-emotion evaluate models/ravdess data/RAVDESS-holdout --json`;

export async function runEvaluate(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    { json: 'boolean', backend: 'string', jobs: 'number', dataset: 'string', help: 'boolean' },
    'evaluate',
  );
  if (flags.help) {
    console.log(EVALUATE_HELP);
    return 0;
  }
  const [modelDir, ...dirs] = positionals;
  if (!modelDir || dirs.length === 0)
    throw new UsageError('evaluate: give a model folder and at least one dataset folder.');
  if (modelDir === 'default')
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      'evaluate: this version has no bundled default model yet; give a model folder.',
    );
  await startBackend(flags.backend);
  const model = await EmotionModel.load(modelDir);
  const { items } = await scanAll(dirs, flags.dataset as string | undefined, Boolean(flags.json));
  const known = new Set(model.labels);
  const usable = items.filter((i) => known.has(i.label));
  if (usable.length < items.length)
    console.error(`skipping ${items.length - usable.length} recordings whose labels the model does not know`);
  const { rows, dropped } = await featurise(usable, model.featureSpec, flags.jobs as number | undefined);
  for (const d of dropped) console.error(`dropped ${d}`);
  const e = await model.evaluate(rows);
  console.log(flags.json ? JSON.stringify(e) : formatEvaluation(e));
  model.dispose();
  return 0;
}

export const PREDICT_HELP = `speech-emotion predict <files…> --model <modelDir> [--json]

Predicts the emotion of each recording (WAV; mp3/flac/ogg with the optional audio-decode package),
at any sample rate. Silent or too-short audio gets no label. Files that cannot be read are reported
and the others still predicted (exit code 1 if any failed).

Options: --model DIR (required in this version), --json (one JSON object per line), --backend NAME

Example:
  speech-emotion predict my.wav --model models/ravdess`;

export async function runPredict(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    { model: 'string', json: 'boolean', backend: 'string', help: 'boolean' },
    'predict',
  );
  if (flags.help) {
    console.log(PREDICT_HELP);
    return 0;
  }
  if (!positionals.length) throw new UsageError('predict: give at least one audio file.');
  if (!flags.model)
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      'predict: this version has no bundled default model yet; pass --model <modelDir>.',
    );
  await startBackend(flags.backend);
  const model = await EmotionModel.load(flags.model as string);
  let failed = 0;
  for (const file of positionals) {
    try {
      const { signal, sampleRate } = await readMono(file);
      const p = await model.predict(signal, { sampleRate });
      if (flags.json) console.log(JSON.stringify({ file, ...p }));
      else if (p.label === null) console.log(`${file}: no emotion (${p.warning})`);
      else console.log(`${file}: ${p.label} (${(100 * p.scores[p.label]).toFixed(0)}%)`);
    } catch (e) {
      failed++;
      const msg = e instanceof SpeechEmotionError ? e.message : String((e as Error)?.message ?? e);
      if (flags.json) console.log(JSON.stringify({ file, error: msg }));
      else console.error(`${file}: ${msg}`);
    }
  }
  model.dispose();
  return failed ? 1 : 0;
}
