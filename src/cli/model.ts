import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PerturbOptions } from '../audio/augment.js';
import { type Fold, corpusFolds, groupKFold, sharedLabels, speakerSplit } from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import { NOISE_LIKENESS_THRESHOLD } from '../dsp/noise.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import { type FeatureSpec, defineFeatureSpec } from '../features/spec.js';
import type { BackendName } from '../model/backend.js';
import { EmotionModel, type Prediction, type TrainingSummary } from '../model/emotion-model.js';
import { scoresOf } from '../model/label-set.js';
import type { Evaluation } from '../model/metrics.js';
import { loadTf } from '../model/tf.js';
import { readMono } from '../node.js';
import { streamMono } from '../node/audio-stream.js';
import { pickBackend, useBackend } from '../node/backend.js';
import { extractItems } from '../node/extract.js';
import { savePlot } from '../node/plot.js';
import type { FileResult } from '../node/process-file.js';
import type { Figure } from '../plot/charts.js';
import { plotConfusion, plotLearningCurves } from '../plot/figures.js';
import { UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';

/**
 * The spec `train` uses unless --spec says otherwise: 2.5 s series of 40 MFCC + Δ in dB relative to
 * the clip's loudest cell (so the recording level does not matter), without per-utterance
 * normalisation (it erases how much the coefficients vary, which carries emotion).
 */
export const TRAIN_SPEC: Partial<FeatureSpec> = {
  duration: { offset: 0, seconds: 2.5 },
  features: { type: 'mfcc', options: { nMfcc: 40, nFft: 512, hopLength: 256, ref: 'max' } },
  deltas: 1,
  cmvn: 'none',
  output: { type: 'series' },
};

/** Selects and starts the backend, without tfjs's Node banner. */
async function startBackend(flag: unknown): Promise<BackendName> {
  const tf = await loadTf();
  tf.env().set('PROD', true); // silences "looks like you are running TensorFlow.js in Node.js"
  const name = (flag as BackendName | undefined) ?? pickBackend();
  return useBackend(name).catch(rethrowAsUsage);
}

/** Audio augmentation of `train --augment`: one perturbed copy of every training recording. */
export const AUDIO_AUGMENT: PerturbOptions = {
  speed: [0.9, 1.1],
  noiseSnrDb: [15, 35],
  gainDb: [-6, 6],
  seed: 1,
};

async function featurise(
  items: LabelledItem[],
  spec: FeatureSpec,
  jobs?: number,
  perturb?: PerturbOptions,
): Promise<{ rows: FeatureRow[]; dropped: string[] }> {
  const rows: FeatureRow[] = [];
  const dropped: string[] = [];
  for await (const { item, result } of extractItems(items, spec, { jobs, perturb })) {
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

Trains an emotion model on dataset folders (or CSV manifests) and saves it with a report
(report.json, report.md, confusion-matrix and learning-curve images).

Options:
  --out DIR              where the model (model.json, weights.bin) and the report go
  --arch NAME            cnn1d (default), cnn2d, crnn (attention pooling) or mlp
  --epochs N             default 40
  --batch-size N         default 32
  --learning-rate X      default 0.002
  --val-speakers a,b     hold these speakers out for validation (early stopping on their UA)
  --folds K              first cross-validate over K speaker folds (UA per fold, mean ± std in the
                         report), then train the saved model on every speaker
  --folds corpus         first leave one corpus out (train on the other datasets, test on all of
                         this one, scored on the emotions both carry): what to expect on a corpus
                         the model never heard
  --augment              data augmentation: one speed-, gain- and noise-perturbed copy of every
                         training recording, and SpecAugment masks and time shift (series)
  --workers N            data-parallel training threads (default 1; 2 uses both cores of a 2-core machine)
  --seed N               seed of weights, batch order, dropout and augmentation (default 3)
  --spec FILE            FeatureSpec JSON (default: 2.5 s, 40 MFCC + deltas, dB re the clip's peak)
  --backend NAME         tensorflow, wasm or cpu (default: the fastest installed)
  --jobs N               feature-extraction threads
  --quiet                no per-epoch lines

Images are PNG when the optional @napi-rs/canvas is installed, and always SVG.
Exit codes: 0 trained, 1 failure, 2 usage error.

Examples:
  speech-emotion train data/RAVDESS --val-speakers 19,20 --out models/ravdess
  speech-emotion train data/RAVDESS data/SAVEE --folds 5 --augment --out models/both
  speech-emotion train data/RAVDESS data/SAVEE --folds corpus --out models/both`;

interface TrainSettings {
  arch: string;
  spec: FeatureSpec;
  labels: string[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  augment: boolean;
  workers: number;
  quiet: boolean;
}

async function trainOne(
  s: TrainSettings,
  train: FeatureRow[],
  val: FeatureRow[] | undefined,
  tag: string,
): Promise<{ model: EmotionModel; summary: TrainingSummary }> {
  const first = train[0].features;
  const inputShape = s.spec.output.type === 'series' ? [first.frames, first.features] : [first.features];
  const model = await EmotionModel.create({
    labels: s.labels,
    featureSpec: s.spec,
    inputShape,
    architecture: s.arch as never,
    seed: s.seed,
  });
  const t0 = performance.now();
  const summary = await model.fit(train, {
    validation: val,
    epochs: s.epochs,
    batchSize: s.batchSize,
    learningRate: s.learningRate,
    seed: s.seed,
    workers: s.workers,
    earlyStopping: val ? { patience: 10 } : false,
    ...(s.augment && s.spec.output.type === 'series' ? { augment: { specAugment: {}, shift: 0.1 } } : {}),
    onEpochEnd: (epoch, log) => {
      if (s.quiet) return;
      const eta = ((performance.now() - t0) / 1000 / (epoch + 1)) * (s.epochs - epoch - 1);
      console.error(
        `${tag}epoch ${epoch + 1}/${s.epochs}  loss ${log.loss.toFixed(4)}${log.validationUA === undefined ? '' : `  val UA ${(100 * log.validationUA).toFixed(1)}%`}  ${log.seconds.toFixed(1)} s  ETA ${eta.toFixed(0)} s`,
      );
    },
  });
  return { model, summary };
}

/** Writes a figure as SVG, and as PNG when @napi-rs/canvas is installed; returns the files written. */
async function saveFigure(figure: Figure, base: string): Promise<string[]> {
  await savePlot(figure, `${base}.svg`);
  try {
    await savePlot(figure, `${base}.png`);
    return [`${base}.svg`, `${base}.png`];
  } catch {
    return [`${base}.svg`];
  }
}

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
      folds: 'string',
      augment: 'boolean',
      workers: 'number',
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
  if (!['cnn1d', 'cnn2d', 'crnn', 'mlp'].includes(arch))
    throw new UsageError(`train: --arch must be cnn1d, cnn2d, crnn or mlp, got ${arch}.`);
  if (flags.folds !== undefined && flags['val-speakers'] !== undefined)
    throw new UsageError('train: use --folds or --val-speakers, not both.');
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
  let folds: Fold[] | undefined;
  try {
    if (valSpeakers) split = speakerSplit(items, { validationSpeakers: valSpeakers, test: 0 });
    if (flags.folds === 'corpus') folds = corpusFolds(items);
    else if (flags.folds !== undefined) {
      const k = Number(flags.folds);
      if (!Number.isInteger(k) || k < 2)
        throw new UsageError(`train: --folds must be a number ≥ 2 or 'corpus', got ${flags.folds}.`);
      folds = groupKFold(items, { k, seed: 0 });
    }
  } catch (e) {
    rethrowAsUsage(e);
  }
  if (split)
    console.error(
      `train speakers: ${split.speakers.train.join(' ')}\nvalidation speakers: ${split.speakers.validation.join(' ')}`,
    );
  // Features once for every item; folds pick rows by path.
  const all = await featurise(items, spec, flags.jobs as number | undefined);
  for (const d of all.dropped) console.error(`dropped ${d}`);
  if (all.rows.length === 0) throw new UsageError('train: no usable training recordings.');
  const byPath = new Map(all.rows.map((r) => [r.path, r]));
  const rowsOf = (list: LabelledItem[]) => list.flatMap((i) => byPath.get(i.path) ?? []);
  // --augment: a speed-, gain- and noise-perturbed copy of every recording, for training rows only.
  const perturbed = flags.augment
    ? new Map(
        (await featurise(items, spec, flags.jobs as number | undefined, AUDIO_AUGMENT)).rows.map((r) => [
          r.path,
          r,
        ]),
      )
    : null;
  const trainingRowsOf = (list: LabelledItem[]) => [
    ...rowsOf(list),
    ...(perturbed ? list.flatMap((i) => perturbed.get(i.path) ?? []) : []),
  ];
  const settings: TrainSettings = {
    arch,
    spec,
    labels: [...new Set(all.rows.map((r) => r.label))].sort((a, b) => a.localeCompare(b)),
    epochs: (flags.epochs as number | undefined) ?? 40,
    batchSize: (flags['batch-size'] as number | undefined) ?? 32,
    learningRate: (flags['learning-rate'] as number | undefined) ?? 2e-3,
    seed: (flags.seed as number | undefined) ?? 3,
    augment: Boolean(flags.augment),
    workers: (flags.workers as number | undefined) ?? 1,
    quiet,
  };
  const t0 = performance.now();
  const cv: { name: string; speakers: string[]; evaluation: Evaluation }[] = [];
  for (const [i, fold] of (folds ?? []).entries()) {
    const tag = `fold ${i + 1}/${folds?.length}: `;
    // A fold's model knows the labels its training rows carry, and is scored on the labels both
    // sides carry (for leave-one-corpus-out, the emotions both corpora share).
    const shared = sharedLabels(fold, settings.labels);
    const trainLabels = settings.labels.filter((l) => fold.train.some((it) => it.label === l));
    const { model } = await trainOne(
      { ...settings, labels: trainLabels },
      trainingRowsOf(fold.train),
      undefined,
      tag,
    );
    const testRows = rowsOf(fold.test).filter((r) => shared.includes(r.label));
    const evaluation = await model.evaluate(testRows, { labels: shared });
    model.dispose();
    cv.push({ name: fold.name, speakers: fold.testSpeakers, evaluation });
    const where = fold.name.startsWith('corpus/')
      ? `all of ${fold.name.slice('corpus/'.length)} (${testRows.length} recordings, ${shared.length} shared labels)`
      : fold.testSpeakers.join(' ');
    console.error(`${tag}UA ${(100 * evaluation.unweightedAccuracy).toFixed(1)}% on ${where}`);
  }
  const trainRows = trainingRowsOf(split ? split.train : items);
  const valRows = split ? rowsOf(split.validation) : undefined;
  if (!quiet)
    console.error(
      `training ${arch} on ${trainRows.length} recordings (${backend} backend), ${settings.epochs} epochs`,
    );
  const { model, summary } = await trainOne(settings, trainRows, valRows, '');
  await model.save(out);
  const validation = valRows ? await model.evaluate(valRows) : null;
  const uas = cv.map((c) => c.evaluation.unweightedAccuracy);
  const mean = uas.reduce((a, b) => a + b, 0) / Math.max(1, uas.length);
  const std = Math.sqrt(uas.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, uas.length));
  const report = {
    architecture: arch,
    backend,
    labels: settings.labels,
    featureSpec: spec,
    seed: settings.seed,
    augment: settings.augment,
    trainCount: trainRows.length,
    minutes: (performance.now() - t0) / 60000,
    training: summary,
    validation,
    crossValidation: cv.length ? { folds: cv, meanUA: mean, stdUA: std } : null,
  };
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const images = await saveFigure(
    plotLearningCurves(summary.epochs, `learning curves (${arch})`),
    join(out, 'learning-curves'),
  );
  const shown =
    validation ??
    (cv.length
      ? pooled(
          cv.map((c) => c.evaluation),
          settings.labels,
        )
      : null);
  if (shown)
    images.push(
      ...(await saveFigure(
        plotConfusion(
          shown,
          validation ? 'validation speakers' : `cross-validation, ${cv.length} folds pooled`,
        ),
        join(out, 'confusion'),
      )),
    );
  const md = [
    '# Training report',
    '',
    `- architecture: ${arch}, backend: ${backend}, seed ${settings.seed}${settings.augment ? ', SpecAugment + time shift' : ''}`,
    `- training recordings: ${trainRows.length}`,
    `- epochs run: ${summary.epochs.length} (kept epoch ${summary.bestEpoch + 1}, stopped by ${summary.stopped})`,
    `- time: ${report.minutes.toFixed(1)} min`,
    '',
    '![learning curves](learning-curves.svg)',
  ];
  if (cv.length) {
    md.push(
      '',
      cv.some((c) => c.name.startsWith('corpus/'))
        ? `## Leave one corpus out (${cv.length} folds, each scored on the emotions both sides carry)`
        : `## Cross-validation (${cv.length} speaker folds)`,
      '',
      '| fold | speakers | UA |',
      '| --- | --- | --- |',
    );
    for (const c of cv)
      md.push(
        `| ${c.name} | ${c.speakers.join(' ')} | ${(100 * c.evaluation.unweightedAccuracy).toFixed(1)}% |`,
      );
    md.push('', `Mean UA ${(100 * mean).toFixed(1)}% ± ${(100 * std).toFixed(1)} (std over folds).`);
  }
  if (validation) md.push('', '## Validation', '', '```', formatEvaluation(validation), '```');
  if (shown) md.push('', '![confusion matrix](confusion.svg)');
  writeFileSync(join(out, 'report.md'), `${md.join('\n')}\n`);
  console.log(
    `saved ${out} (${summary.epochs.length} epochs${validation ? `, validation UA ${(100 * validation.unweightedAccuracy).toFixed(1)}%` : ''}${cv.length ? `, cross-validated UA ${(100 * mean).toFixed(1)}% ± ${(100 * std).toFixed(1)}` : ''}; report: ${[join(out, 'report.md'), ...images].join(', ')})`,
  );
  model.dispose();
  return 0;
}

/** Sums confusion matrices of several evaluations over the same labels. */
function pooled(evaluations: Evaluation[], labels: string[]): Pick<Evaluation, 'confusion'> {
  const matrix = labels.map(() => labels.map(() => 0));
  for (const e of evaluations)
    e.confusion.labels.forEach((l, i) => {
      const r = labels.indexOf(l);
      e.confusion.labels.forEach((m, j) => {
        const c = labels.indexOf(m);
        if (r >= 0 && c >= 0) matrix[r][c] += e.confusion.matrix[i][j];
      });
    });
  return { confusion: { labels, matrix } };
}

export const EVALUATE_HELP = `speech-emotion evaluate <modelDir|default> <dirs…> [--json]

Scores a saved model on labelled dataset folders (use speakers the model never heard). Predictions
are restricted to the labels the data carries (SAVEE has no 'calm': a SAVEE clip is never scored
as calm), the headline figure; the figure with all the model's labels is printed too. --all-labels
makes the unrestricted figure the headline. With --json, the last line is one JSON object: accuracy,
unweightedAccuracy, macroF1, perClass, confusion, count, headline (which of the two it is), labels,
and allLabels (the unrestricted figures, when they differ) or, with --all-labels, restricted.

Options: --json, --all-labels, --backend NAME, --jobs N, --dataset NAME

Example:
  speech-emotion evaluate models/ravdess data/RAVDESS-holdout --json`;

export async function runEvaluate(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      json: 'boolean',
      backend: 'string',
      jobs: 'number',
      dataset: 'string',
      'all-labels': 'boolean',
      help: 'boolean',
    },
    'evaluate',
  );
  if (flags.help) {
    console.log(EVALUATE_HELP);
    return 0;
  }
  const [modelDir, ...dirs] = positionals;
  if (!modelDir || dirs.length === 0)
    throw new UsageError('evaluate: give a model folder and at least one dataset folder.');
  await startBackend(flags.backend);
  const model = await EmotionModel.load(modelDir === 'default' ? undefined : modelDir);
  const { items } = await scanAll(dirs, flags.dataset as string | undefined, Boolean(flags.json));
  const known = new Set(model.labels);
  const usable = items.filter((i) => known.has(i.label));
  if (usable.length < items.length)
    console.error(`skipping ${items.length - usable.length} recordings whose labels the model does not know`);
  const { rows, dropped } = await featurise(usable, model.featureSpec, flags.jobs as number | undefined);
  for (const d of dropped) console.error(`dropped ${d}`);
  // Headline: predictions restricted to the labels the data carries (a 7-emotion corpus is not
  // scored on the model's eighth), unless --all-labels; the other figure is reported too.
  const carried = model.labels.filter((l) => rows.some((r) => r.label === l));
  const restricted = await model.evaluate(rows, { labels: carried });
  const all = carried.length === model.labels.length ? restricted : await model.evaluate(rows);
  const headline = flags['all-labels'] ? all : restricted;
  const which = flags['all-labels'] ? 'all labels' : `restricted to the ${carried.length} labels in the data`;
  if (flags.json) {
    const out: Record<string, unknown> = { ...headline, headline: which, labels: headline.confusion.labels };
    if (!flags['all-labels'] && all !== restricted) out.allLabels = all;
    if (flags['all-labels'] && all !== restricted) out.restricted = restricted;
    console.log(JSON.stringify(out));
  } else {
    console.log(`headline: predictions ${which}`);
    console.log(formatEvaluation(headline));
    if (all !== restricted) {
      const other = flags['all-labels'] ? restricted : all;
      console.log(
        `\n${flags['all-labels'] ? `restricted to the ${carried.length} labels in the data` : "with all the model's labels"}: UA ${(100 * other.unweightedAccuracy).toFixed(1)}%, accuracy ${(100 * other.accuracy).toFixed(1)}%, macro F1 ${(100 * other.macroF1).toFixed(1)}%`,
      );
    }
  }
  model.dispose();
  return 0;
}

export const PREDICT_HELP = `speech-emotion predict <files…> [--model <modelDir>] [--json] [--timeline]

Predicts the emotion of each recording (WAV; mp3/flac/ogg with the optional audio-decode package),
at any sample rate and channel count, with the default model shipped in the package unless --model
names another. Silent or too-short audio gets no label. Files that cannot be read are reported and
the others still predicted.

Options:
  --model DIR       a model saved by 'speech-emotion train' (default: the bundled model)
  --json            one JSON object per file and line: { file, label, scores[, warning] }
  --timeline        the emotion over time: one prediction per window, printed as each is ready;
                    the file is read in pieces, so memory stays constant over hours of audio
  --window S        timeline window, seconds (default: the model's clip length)
  --hop S           timeline step, seconds (default: half the window)
  --labels A,B,…    only these emotions: the likeliest of them, their scores renormalised to 1
  --jobs N          threads that read and featurise several files (default: every core)
  --backend NAME    tensorflow, wasm or cpu (default: the fastest installed)

Exit codes: 0 all predicted, 1 some files failed, 2 usage error.

Examples:
  speech-emotion predict my.wav
  speech-emotion predict interview.wav --timeline --hop 1
  speech-emotion predict a.wav b.mp3 --model models/mine --json
  speech-emotion predict call.wav --labels angry,neutral`;

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/**
 * predict over several files: decoding, resampling, features and the no-speech check on every core
 * (extractItems' workers), the network on batches of 64, results printed in file order. The same
 * outputs as predicting one file at a time.
 */
async function predictMany(
  model: EmotionModel,
  files: string[],
  labels: string[] | undefined,
  json: boolean,
  jobs: number | undefined,
): Promise<number> {
  const items = files.map((path) => ({
    path,
    dataset: 'manifest' as const,
    label: 'neutral' as const,
    speaker: '',
    meta: {},
  }));
  let failed = 0;
  let pending: { file: string; result: FileResult }[] = [];
  const print = (file: string, p: Prediction | { error: string }) => {
    if ('error' in p) {
      failed++;
      if (json) console.log(JSON.stringify({ file, error: p.error }));
      else console.error(`${file}: ${p.error}`);
    } else if (json) console.log(JSON.stringify({ file, ...p }));
    else if (p.label === null) console.log(`${file}: no emotion (${p.warning})`);
    else console.log(`${file}: ${p.label} (${pct(p.scores[p.label])})`);
  };
  const drain = async () => {
    const ready = pending.filter(
      (x) => x.result.ok && !((x.result.noiseLikeness ?? 0) > NOISE_LIKENESS_THRESHOLD),
    );
    const probs = await model.predictFeatures(
      ready.map((x) => (x.result as { features: FeatureMatrix }).features),
    );
    let at = 0;
    for (const { file, result } of pending) {
      if (result.ok) {
        if ((result.noiseLikeness ?? 0) > NOISE_LIKENESS_THRESHOLD)
          print(file, { label: null, scores: {}, warning: 'no-speech' });
        else print(file, scoresOf(probs[at++], model.labels, labels));
      } else if (result.code === 'SILENT_AUDIO') print(file, { label: null, scores: {}, warning: 'silent' });
      else if (result.code === 'SIGNAL_TOO_SHORT')
        print(file, { label: null, scores: {}, warning: 'too-short' });
      else print(file, { error: `${file}: ${result.message}` });
    }
    pending = [];
  };
  for await (const { item, result } of extractItems(items, model.featureSpec, { jobs, noiseCheck: true })) {
    pending.push({ file: item.path, result });
    if (pending.length >= 64) await drain();
  }
  await drain();
  return failed;
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
  if (!positionals.length) throw new UsageError('predict: give at least one audio file.');
  await startBackend(flags.backend);
  const model = await EmotionModel.load(flags.model as string | undefined);
  const labels =
    flags.labels === undefined
      ? undefined
      : String(flags.labels)
          .split(',')
          .map((l) => l.trim());
  if (labels) {
    const unknown = labels.filter((l) => !model.labels.includes(l));
    if (unknown.length || labels.length === 0)
      throw new UsageError(
        `predict: --labels names ${unknown.join(', ') || 'nothing'}; the model knows ${model.labels.join(', ')}.`,
      );
  }
  let failed = 0;
  if (!flags.timeline && positionals.length > 1) {
    failed = await predictMany(
      model,
      positionals,
      labels,
      Boolean(flags.json),
      flags.jobs as number | undefined,
    );
    model.dispose();
    return failed ? 1 : 0;
  }
  for (const file of positionals) {
    try {
      if (flags.timeline) {
        // Read, decode and predict window by window: constant memory over any length.
        const { sampleRate, duration, chunks } = await streamMono(file);
        const long = duration !== null && duration > 60;
        const started = performance.now();
        let nextReport = 0.1;
        const segments = [];
        if (!flags.json) console.log(`${file}:`);
        for await (const g of model.predictStream(chunks, {
          sampleRate,
          window: flags.window as number | undefined,
          hop: flags.hop as number | undefined,
          labels,
        })) {
          segments.push(g);
          if (!flags.json)
            console.log(
              `  ${g.start.toFixed(2).padStart(7)}–${g.end.toFixed(2).padEnd(7)} s  ${g.label === null ? `no emotion (${g.warning})` : `${g.label} (${pct(g.scores[g.label])})`}`,
            );
          if (long && duration && g.end / duration >= nextReport) {
            const speed = g.end / ((performance.now() - started) / 1000);
            console.error(
              `${file}: ${Math.floor((100 * g.end) / duration)}% (${(g.end / 60).toFixed(1)} of ${(duration / 60).toFixed(1)} min, ${speed.toFixed(0)}× real time)`,
            );
            nextReport = Math.floor((10 * g.end) / duration) / 10 + 0.1;
          }
        }
        if (flags.json) console.log(JSON.stringify({ file, segments }));
        continue;
      }
      const { signal, sampleRate, warnings } = await readMono(file);
      for (const w of warnings ?? []) console.error(`${file}: warning: ${w}`);
      const p = await model.predict(signal, { sampleRate, labels });
      if (flags.json) console.log(JSON.stringify({ file, ...p }));
      else if (p.label === null) console.log(`${file}: no emotion (${p.warning})`);
      else console.log(`${file}: ${p.label} (${pct(p.scores[p.label])})`);
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
