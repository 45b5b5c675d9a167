// speech-emotion train, the training itself: the folds' models and the final model, trained here
// member after member or queued side by side (--concurrent), scored and reported.
import { join } from 'node:path';
import { type Fold, sharedLabels } from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import type { FeatureRow } from '../features/file.js';
import { UNCERTAIN_BELOW } from '../model/calibration.js';
import { EmotionModel } from '../model/emotion-model.js';
import type { EpochLog } from '../model/options.js';
import type { Recipe } from '../model/recipe.js';
import { trainRecipe } from '../model/train-recipe.js';
import type { RecipeRows } from '../node/recipe-rows.js';
import type { TrainingPool } from '../node/train-pool.js';
import { type CalibrationReport, foldCalibration } from './calibrate.js';
import { type FoldResult, foldResult, writeTrainReport } from './train-report.js';

/**
 * Rows of some items, looked up by path: to score on (made as the model predicts), or for a member
 * to train on (clean plus the recipe's copies, that member's when it draws its own).
 */
export function rowIndex(all: RecipeRows) {
  const byPath = (rows: FeatureRow[]) => new Map(rows.map((r) => [r.path, r]));
  const clean = byPath(all.rows);
  const test = byPath(all.testRows);
  const copies = all.memberCopies.map((sets) => sets.map(byPath));
  return {
    test: (list: LabelledItem[]) => list.flatMap((i) => test.get(i.path) ?? []),
    training: (list: LabelledItem[], member = 1): FeatureRow[] => [
      ...list.flatMap((i) => clean.get(i.path) ?? []),
      ...(copies[member - 1] ?? copies[0]).flatMap((c) => list.flatMap((i) => c.get(i.path) ?? [])),
    ],
  };
}

function epochLogger(quiet: boolean, recipe: Recipe, tag: string, taught: boolean) {
  // From the start of the first epoch: a model queued behind others (--concurrent) starts later.
  let t0: number | undefined;
  let done = 0;
  const d = recipe.distill;
  const teachers = taught || !d ? 0 : d.teachers * Math.max(1, d.speakerFolds);
  const total = recipe.epochs * (recipe.ensemble + teachers);
  return (member: number, epoch: number, log: EpochLog, role: 'member' | 'teacher') => {
    done++;
    t0 ??= performance.now() - 1000 * log.seconds;
    if (quiet) return;
    const eta = ((performance.now() - t0) / 1000 / done) * Math.max(0, total - done);
    // Out-of-fold teachers come in at most one group per speaker: their total is not known here.
    const who =
      role === 'teacher'
        ? `teacher ${member}${d?.speakerFolds ? '' : `/${teachers}`} `
        : recipe.ensemble > 1
          ? `member ${member}/${recipe.ensemble} `
          : '';
    console.error(
      `${tag}${who}epoch ${epoch + 1}/${recipe.epochs}  loss ${log.loss.toFixed(4)}${log.validationUA === undefined ? '' : `  val UA ${(100 * log.validationUA).toFixed(1)}%`}  ${log.seconds.toFixed(1)} s  ETA ${eta.toFixed(0)} s`,
    );
  };
}

/** What a run trains on: the labels, the rows by item, and how it logs. */
export interface Run {
  recipe: Recipe;
  labels: string[];
  rows: ReturnType<typeof rowIndex>;
  workers: number;
  /** False with --no-fma (trainRecipe's `fusedMultiplyAdd`). */
  fusedMultiplyAdd: boolean;
  /** With --concurrent: the threads that train every member, side by side. */
  pool?: TrainingPool;
  quiet: boolean;
  /** Where each fold's model is saved (--keep-fold-models), or undefined. */
  foldModels?: string;
  /** Where the teachers of a distilling recipe are (--teachers), or undefined. */
  teachers?: string;
}

/** A fold's (or, without `fold`, the final model's) teacher from --teachers; undefined without it. */
async function teacherOf(run: Run, fold?: string): Promise<EmotionModel | undefined> {
  if (!run.teachers) return undefined;
  return EmotionModel.load(fold === undefined ? run.teachers : join(run.teachers, 'folds', fold));
}

/**
 * The recipe trained on some items: member after member on --workers threads here, or, with
 * --concurrent, every member queued in the pool (one thread each), then averaged as trainRecipe does.
 */
function trainOn(
  run: Run,
  list: LabelledItem[],
  labels: string[],
  tag: string,
  extra: { teacher?: EmotionModel; validation?: FeatureRow[] } = {},
): Promise<EmotionModel> {
  const { recipe, rows, pool } = run;
  const log = epochLogger(run.quiet, recipe, tag, extra.teacher !== undefined);
  const validation = extra.validation ? { validation: extra.validation } : {};
  if (!pool)
    return trainRecipe(recipe, rows.training(list), {
      memberRows: (m) => rows.training(list, m),
      labels,
      workers: run.workers,
      fusedMultiplyAdd: run.fusedMultiplyAdd,
      ...validation,
      ...(extra.teacher ? { teacher: extra.teacher } : {}),
      onEpochEnd: log,
    });
  const base = rows.training(list);
  const members = Array.from({ length: recipe.ensemble }, (_, i) => i + 1).map((member) =>
    pool.train({
      recipe,
      member,
      labels,
      rows: base,
      memberRows: rows.training(list, member),
      ...validation,
      onEpochEnd: (epoch, l) => log(member, epoch, l, 'member'),
    }),
  );
  return Promise.allSettled(members).then(async (settled) => {
    const trained = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      for (const t of trained) t.dispose();
      throw failed.reason;
    }
    if (trained.length === 1) return trained[0];
    const ensemble = await EmotionModel.ensemble(trained);
    for (const t of trained) t.dispose();
    return ensemble;
  });
}

/**
 * A fold's model, trained on its training speakers and the labels they carry (it knows those, and
 * is scored on the labels both sides carry: for leave-one-corpus-out, the emotions both corpora
 * share). Without --teachers nothing is awaited before the training starts (or is queued).
 */
async function foldModel(run: Run, fold: Fold, tag: string): Promise<EmotionModel> {
  const labels = run.labels.filter((l) => fold.train.some((it) => it.label === l));
  const teacher = run.teachers ? await teacherOf(run, folderOf(fold)) : undefined;
  return trainOn(run, fold.train, labels, tag, teacher ? { teacher } : {}).finally(() => teacher?.dispose());
}

/** The final model, trained on every training speaker (early stopping on --val-speakers). */
async function finalModel(
  run: Run,
  split: { train: LabelledItem[]; validation?: LabelledItem[] },
): Promise<EmotionModel> {
  const validation = finalValidation(run, split);
  const teacher = run.teachers ? await teacherOf(run) : undefined;
  return trainOn(run, split.train, run.labels, '', {
    ...(validation ? { validation } : {}),
    ...(teacher ? { teacher } : {}),
  }).finally(() => teacher?.dispose());
}

const folderOf = (fold: Fold) => fold.name.replace(/[^\w.-]+/g, '-');
const foldTag = (i: number, folds: Fold[]) => `fold ${i + 1}/${folds.length}: `;

/**
 * A model to train: with --concurrent, queued now, so that the threads keep training while earlier
 * folds are scored (its failure marked handled, to surface where it is awaited); otherwise trained
 * when asked for, one after the other.
 */
function scheduled(run: Run, train: () => Promise<EmotionModel>): () => Promise<EmotionModel> {
  if (!run.pool) return train;
  const started = train();
  started.catch(() => undefined);
  return () => started;
}

/** Scores each fold's model (trained when asked for, or already queued) on the fold's test speakers. */
async function crossValidate(
  run: Run,
  folds: Fold[],
  models: (() => Promise<EmotionModel>)[],
): Promise<FoldResult[]> {
  const { labels, rows } = run;
  const cv: FoldResult[] = [];
  for (const [i, fold] of folds.entries()) {
    const tag = foldTag(i, folds);
    const model = await models[i]();
    // The detector of unfamiliar audio, on the fold's clean training recordings.
    await model.fitFamiliarity(rows.test(fold.train));
    const result = await foldResult(model, fold, rows.test(fold.test), sharedLabels(fold, labels));
    if (run.foldModels) await model.save(join(run.foldModels, folderOf(fold)));
    model.dispose();
    cv.push(result);
    console.error(`${tag}${result.line}`);
  }
  return cv;
}

/** The final model's early-stopping rows (--val-speakers), or undefined. */
function finalValidation(run: Run, split: { validation?: LabelledItem[] }): FeatureRow[] | undefined {
  return split.validation ? run.rows.test(split.validation) : undefined;
}

/** Trains the saved model on every training speaker, with the folds' calibration, and saves it. */
async function trainFinal(
  run: Run,
  split: { train: LabelledItem[]; validation?: LabelledItem[] },
  backend: string,
  calibration: { report: CalibrationReport; uncertainBelow: number } | null,
  out: string,
  train: () => Promise<EmotionModel>,
) {
  const { recipe } = run;
  const trainRows = run.rows.training(split.train);
  const valRows = finalValidation(run, split);
  if (!run.quiet && !run.pool)
    console.error(
      `training ${recipe.name} on ${trainRows.length} rows (${backend} backend, ${run.workers} thread${run.workers > 1 ? 's' : ''})`,
    );
  const model = await train();
  await model.fitFamiliarity(run.rows.test(split.train));
  if (calibration)
    model.setCalibration({
      temperature: calibration.report.temperature,
      uncertainBelow: calibration.uncertainBelow,
      fittedOn: `${calibration.report.clips} held-out clips of ${calibration.report.folds} cross-validation folds (${recipe.name})`,
    });
  await model.save(out);
  const validation = valRows ? await model.evaluate(valRows) : null;
  const training = model.training ?? null;
  model.dispose();
  return { trainCount: trainRows.length, training, validation };
}

/**
 * Cross-validates (with folds) and trains the final model (without --cv-only), then writes the
 * report; returns its summary line. With --concurrent, every fold's members and the final model's
 * are queued at once, so that the threads train on while a fold is scored.
 */
export async function trainAndReport(
  run: Run,
  o: {
    backend: string;
    out: string;
    folds?: Fold[];
    split: { train: LabelledItem[]; validation?: LabelledItem[] };
    cvOnly: boolean;
  },
): Promise<string> {
  const { recipe, labels } = run;
  const t0 = performance.now();
  const minutes = () => (performance.now() - t0) / 60000;
  const folds = o.folds ?? [];
  const foldModels = folds.map((f, i) => scheduled(run, () => foldModel(run, f, foldTag(i, folds))));
  const final = o.cvOnly ? null : scheduled(run, () => finalModel(run, o.split));
  const cv = await crossValidate(run, folds, foldModels);
  // Temperature scaling from the folds' held-out clips; the final model carries it.
  const calibration = cv.length
    ? { report: foldCalibration(cv, labels), uncertainBelow: UNCERTAIN_BELOW }
    : null;
  const concurrent = run.pool?.threads ?? 1;
  const report = { recipe, backend: o.backend, labels, cv, cvMinutes: minutes(), calibration, concurrent };
  if (!final) {
    const none = { trainCount: 0, training: null, validation: null };
    return writeTrainReport(o.out, { ...report, ...none, minutes: minutes() });
  }
  const trained = await trainFinal(run, o.split, o.backend, calibration, o.out, final);
  return writeTrainReport(o.out, { ...report, ...trained, minutes: minutes() });
}
