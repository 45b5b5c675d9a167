// speech-emotion train: trains, cross-validates (speaker folds or leave one corpus out) and reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PerturbOptions } from '../audio/augment.js';
import { type Fold, corpusFolds, groupKFold, sharedLabels, speakerSplit } from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import type { FeatureRow } from '../features/file.js';
import { type FeatureSpec, defineFeatureSpec } from '../features/spec.js';
import { EmotionModel, type TrainingSummary } from '../model/emotion-model.js';
import type { Evaluation } from '../model/metrics.js';
import { savePlot } from '../node/plot.js';
import type { Figure } from '../plot/charts.js';
import { plotConfusion, plotLearningCurves } from '../plot/figures.js';
import { UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';
import { featurise, formatEvaluation, startBackend } from './model-common.js';

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

/** Audio augmentation of `train --augment`: one perturbed copy of every training recording. */
export const AUDIO_AUGMENT: PerturbOptions = {
  speed: [0.9, 1.1],
  noiseSnrDb: [15, 35],
  gainDb: [-6, 6],
  seed: 1,
};

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
