// What `speech-emotion train` writes beside the model: report.json, report.md, and the learning-curve
// and confusion-matrix figures; and how one cross-validation fold is scored.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fold } from '../datasets/split.js';
import type { FeatureRow } from '../features/file.js';
import type { EmotionModel } from '../model/emotion-model.js';
import type { Evaluation } from '../model/metrics.js';
import type { TrainingSummary } from '../model/options.js';
import type { Recipe } from '../model/recipe.js';
import { savePlot } from '../node/plot.js';
import type { Figure } from '../plot/charts.js';
import { plotConfusion, plotLearningCurves } from '../plot/figures.js';
import { type CalibrationReport, formatCalibration } from './calibrate.js';
import { formatEvaluation } from './model-common.js';

/** One cross-validation fold, scored. */
export interface FoldResult {
  name: string;
  speakers: string[];
  /** On the fold's test rows, predictions restricted to the labels both sides carry. */
  evaluation: Evaluation;
  /** UA per dataset of the test rows (one entry, the fold's UA, when they come from one). */
  datasets: Record<string, number>;
  /** The line printed for the fold. */
  line: string;
  /** The fold model's labels: the order of each clip's `probs`. */
  labels: string[];
  /**
   * Every test clip's probabilities (written to cv-clips.json, so runs can be combined without
   * retraining); with the fold model's familiarity detector, the clip's `distance`, and for an
   * ensemble its first member's probabilities (what `calibrate --across` learns from).
   */
  clips: HeldOutClip[];
}

/** A held-out clip of cv-clips.json. */
export interface HeldOutClip {
  path: string;
  dataset?: string;
  label: string;
  probs: number[];
  distance?: number;
  memberProbs?: number[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A fold's UA, with the per-dataset figures in brackets when there are several. */
function foldUa(c: Pick<FoldResult, 'evaluation' | 'datasets'>): string {
  const per =
    Object.keys(c.datasets).length > 1
      ? ` (${Object.entries(c.datasets)
          .map(([d, ua]) => `${d} ${pct(ua)}`)
          .join(', ')})`
      : '';
  return `${pct(c.evaluation.unweightedAccuracy)}${per}`;
}

/** Scores a fold's model on its test rows, overall and (when they span several) per dataset. */
export async function foldResult(
  model: EmotionModel,
  fold: Fold,
  testRows: FeatureRow[],
  shared: string[],
): Promise<FoldResult> {
  const rows = testRows.filter((r) => shared.includes(r.label));
  const evaluation = await model.evaluate(rows, { labels: shared });
  const matrices = rows.map((r) => r.features);
  const probs = await model.predictFeatures(matrices);
  const five = (p: ArrayLike<number>) => Array.from(p, (v) => Number(v.toFixed(5)));
  // One pass of the first member: its distances (with a detector) and, for an ensemble, its scores.
  const ensemble = (model.recipe?.ensemble ?? 1) > 1;
  const first = model.familiarity || ensemble ? await model.firstMember(matrices) : undefined;
  const distances = first?.distances;
  const member = ensemble ? first : undefined;
  const clips: HeldOutClip[] = rows.map((r, i) => ({
    path: r.path,
    ...(r.dataset === undefined ? {} : { dataset: r.dataset }),
    label: r.label,
    probs: five(probs[i]),
    ...(distances ? { distance: Number(distances[i].toFixed(4)) } : {}),
    ...(member ? { memberProbs: five(member.probabilities[i]) } : {}),
  }));
  const names = [...new Set(rows.map((r) => r.dataset ?? ''))].sort();
  const datasets: Record<string, number> = {};
  for (const d of names)
    datasets[d] =
      names.length === 1
        ? evaluation.unweightedAccuracy
        : (
            await model.evaluate(
              rows.filter((r) => (r.dataset ?? '') === d),
              { labels: shared },
            )
          ).unweightedAccuracy;
  const where = fold.name.startsWith('corpus/')
    ? `all of ${fold.name.slice('corpus/'.length)} (${rows.length} recordings, ${shared.length} shared labels)`
    : fold.testSpeakers.join(' ');
  return {
    name: fold.name,
    speakers: fold.testSpeakers,
    evaluation,
    datasets,
    line: `UA ${foldUa({ evaluation, datasets })} on ${where}`,
    labels: model.labels,
    clips,
  };
}

const meanStd = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length));
  return { meanUA: mean, stdUA: std };
};

/** Mean ± std of the folds' UA, overall and per dataset (over the folds that test it). */
function crossValidation(cv: FoldResult[]) {
  const datasets = [...new Set(cv.flatMap((c) => Object.keys(c.datasets)))].sort();
  const perDataset = Object.fromEntries(
    datasets.map((d) => [d, meanStd(cv.flatMap((c) => c.datasets[d] ?? []))]),
  );
  return {
    folds: cv.map(({ line, clips, labels, ...f }) => f),
    ...meanStd(cv.map((c) => c.evaluation.unweightedAccuracy)),
    ...(datasets.length > 1 ? { perDataset } : {}),
  };
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

/** What a training run reports. */
export interface TrainReport {
  recipe: Recipe;
  backend: string;
  labels: string[];
  trainCount: number;
  minutes: number;
  training: TrainingSummary | null;
  validation: Evaluation | null;
  cv: FoldResult[];
  /** Minutes the cross-validation took (part of `minutes`). */
  cvMinutes: number;
  /**
   * Trainings at a time, each on one thread (--concurrent), or 1: one at a time. With more than
   * one, the final model's members train beside the folds', so `minutes` less `cvMinutes` is
   * not the final model's training time.
   */
  concurrent: number;
  /** Temperature scaling learnt on the folds' held-out clips, and its effect. */
  calibration: { report: CalibrationReport; uncertainBelow: number } | null;
}

function markdown(r: TrainReport, cv: ReturnType<typeof crossValidation> | null, confusion: boolean): string {
  const t = r.training;
  const md = [
    '# Training report',
    '',
    `- recipe: ${r.recipe.name} (${r.recipe.ensemble} × ${r.recipe.arch}, seed ${r.recipe.seed}; the full recipe is in report.json and the model's metadata)`,
    `- backend: ${r.backend}${r.trainCount ? `; training rows: ${r.trainCount}` : '; cross-validation only (no final model)'}`,
  ];
  if (t)
    md.push(
      `- epochs run${r.recipe.ensemble > 1 ? ' (member 1)' : ''}: ${t.epochs.length} (kept epoch ${t.bestEpoch + 1}, stopped by ${t.stopped})`,
    );
  md.push(
    `- time: ${r.minutes.toFixed(1)} min${r.concurrent > 1 ? ` (${r.concurrent} trainings at a time, each on one thread)` : ''}`,
  );
  if (t) md.push('', '![learning curves](learning-curves.svg)');
  if (cv) {
    md.push(
      '',
      r.cv.some((c) => c.name.startsWith('corpus/'))
        ? `## Leave one corpus out (${r.cv.length} folds, each scored on the emotions both sides carry)`
        : `## Cross-validation (${r.cv.length} speaker folds)`,
      '',
      '| fold | speakers | UA |',
      '| --- | --- | --- |',
      ...r.cv.map((c) => `| ${c.name} | ${c.speakers.join(' ')} | ${foldUa(c)} |`),
      '',
      `Mean UA ${pct(cv.meanUA)} ± ${(100 * cv.stdUA).toFixed(1)} (std over folds).`,
    );
    for (const [d, s] of Object.entries(cv.perDataset ?? {}))
      md.push(`${d}: mean UA ${pct(s.meanUA)} ± ${(100 * s.stdUA).toFixed(1)}.`);
  }
  if (r.calibration)
    md.push(
      '',
      '## Calibration',
      '',
      ...formatCalibration(r.calibration.report, r.calibration.uncertainBelow)
        .split('\n')
        .map((l) => `- ${l}`),
    );
  if (r.validation) md.push('', '## Validation', '', '```', formatEvaluation(r.validation), '```');
  if (confusion) md.push('', '![confusion matrix](confusion.svg)');
  return `${md.join('\n')}\n`;
}

/** Writes report.json, report.md and the figures into `out`; returns the summary line to print. */
export async function writeTrainReport(out: string, r: TrainReport): Promise<string> {
  const cv = r.cv.length ? { ...crossValidation(r.cv), minutes: r.cvMinutes } : null;
  const report = {
    recipe: r.recipe,
    architecture: r.recipe.arch,
    backend: r.backend,
    labels: r.labels,
    featureSpec: r.recipe.spec,
    seed: r.recipe.seed,
    trainCount: r.trainCount,
    minutes: r.minutes,
    concurrent: r.concurrent,
    training: r.training,
    validation: r.validation,
    crossValidation: cv,
    calibration: r.calibration
      ? { ...r.calibration.report, uncertainBelow: r.calibration.uncertainBelow }
      : null,
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (r.cv.length)
    writeFileSync(
      join(out, 'cv-clips.json'),
      `${JSON.stringify({ recipe: r.recipe.name, folds: r.cv.map(({ name, labels, clips }) => ({ name, labels, clips })) })}\n`,
    );
  const images = r.training
    ? await saveFigure(
        plotLearningCurves(r.training.epochs, `learning curves (${r.recipe.name})`),
        join(out, 'learning-curves'),
      )
    : [];
  const shown =
    r.validation ??
    (cv
      ? pooled(
          r.cv.map((c) => c.evaluation),
          r.labels,
        )
      : null);
  if (shown)
    images.push(
      ...(await saveFigure(
        plotConfusion(
          shown,
          r.validation ? 'validation speakers' : `cross-validation, ${r.cv.length} folds pooled`,
        ),
        join(out, 'confusion'),
      )),
    );
  writeFileSync(join(out, 'report.md'), markdown(r, cv, shown !== null));
  const what = r.training ? `${r.training.epochs.length} epochs` : 'cross-validation only';
  return `saved ${out} (recipe ${r.recipe.name}, ${what}${r.validation ? `, validation UA ${pct(r.validation.unweightedAccuracy)}` : ''}${cv ? `, cross-validated UA ${pct(cv.meanUA)} ± ${(100 * cv.stdUA).toFixed(1)}` : ''}; report: ${[join(out, 'report.md'), ...images].join(', ')})`;
}
