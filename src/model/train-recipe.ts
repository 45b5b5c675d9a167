// Training a recipe: each member of its ensemble created and fitted with its own seed, averaged
// into one model that records the recipe.
import { labelOrder } from '../datasets/labels.js';
import { checkKnownOptions } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import { EmotionModel } from './emotion-model.js';
import type { EpochLog, FitOptions } from './options.js';
import { type Recipe, defineRecipe, memberSeed, predictionSpec, recipeFitOptions } from './recipe.js';

/** Options of {@link trainRecipe}. */
export interface TrainRecipeOptions {
  /** The model's classes, in output order. Default: the labels the rows carry, in {@link labelOrder}. */
  labels?: string[];
  /** Data-parallel threads per member ({@link FitOptions.workers}). Default 1. */
  workers?: number;
  /** Fused multiply-adds in the convolutions where the runtime has them ({@link FitOptions.fusedMultiplyAdd}). Default true. */
  fusedMultiplyAdd?: boolean;
  /**
   * Held-out rows: each member stops early on their UA (patience `patience`) and keeps its best
   * epoch, instead of running the recipe's epochs to the end.
   */
  validation?: FeatureRow[];
  /** Early-stopping patience with `validation`. Default 10. */
  patience?: number;
  /** Trains only these members (1-based; default all), e.g. to spread an ensemble over processes. */
  members?: number[];
  /**
   * The rows member k (1-based) trains on, for a recipe whose members draw their own perturbed
   * copies (`audioAugment.perMember`; `trainingRows(all, k)` from `speech-emotion/node`), which
   * needs it. Default: `rows` for every member. The rows must be the same recordings for every
   * member (only the copies differ); every member's feature normalisation is learnt from `rows`.
   */
  memberRows?: (member: number) => FeatureRow[];
  /**
   * For a recipe with `distill`: the teacher, already trained on these same rows (e.g. the recipe
   * without `distill` and with `ensemble: teachers`, saved by an earlier run), instead of training
   * the teachers here. A teacher whose training summary counts other rows is refused.
   */
  teacher?: EmotionModel;
  /** Called after every epoch of every member (`role` 'teacher' for a distilling recipe's teachers). */
  onEpochEnd?: (
    member: number,
    epoch: number,
    log: EpochLog,
    role: 'member' | 'teacher',
  ) => void | Promise<void>;
  /** Aborts training after the current batch. */
  signal?: AbortSignal;
}

/**
 * Trains a recipe on feature rows made with its FeatureSpec: the clean rows and, when the recipe
 * augments audio, the perturbed copies (`recipeRows` in `speech-emotion/node` makes both). The
 * model predicts with {@link predictionSpec} (the recipe's `spec`, with its `predictTrim`). Member k
 * is seeded `seed + 1000 · (k − 1)`; with several members the result is their
 * {@link EmotionModel.ensemble}. The model records the recipe (`model.recipe`, saved with it).
 *
 * Training is repeatable: the same recipe, rows (in the same order) and backend give the same weights.
 *
 * @example
 * ```ts
 * const recipe = recipeByName('single');
 * const all = await recipeRows(items, recipe); // clean rows and the recipe's perturbed copies
 * const model = await trainRecipe(recipe, trainingRows(all), { workers: 2 });
 * await model.save('models/mine');
 * ```
 */
export async function trainRecipe(
  recipe: Recipe,
  rows: FeatureRow[],
  options: TrainRecipeOptions = {},
): Promise<EmotionModel> {
  const r = defineRecipe(recipe);
  const members = checkTrainOptions(r, rows, options);
  const labels = options.labels ?? labelOrder(rows.map((x) => x.label));
  const softTargets = r.distill ? await distillTargets(r, rows, labels, options) : undefined;
  const f = rows[0].features;
  const inputShape = r.spec.output.type === 'series' ? [f.frames, f.features] : [f.features];
  const trained: EmotionModel[] = [];
  try {
    for (const m of members) {
      const model = await EmotionModel.create({
        labels,
        featureSpec: predictionSpec(r),
        inputShape,
        architecture: r.arch,
        seed: memberSeed(r, m),
        recipe: r,
      });
      trained.push(model);
      const fit: FitOptions = {
        ...recipeFitOptions(r, m),
        workers: options.workers ?? 1,
        ...(options.fusedMultiplyAdd === undefined ? {} : { fusedMultiplyAdd: options.fusedMultiplyAdd }),
        ...(options.validation
          ? { validation: options.validation, earlyStopping: { patience: options.patience ?? 10 } }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(softTargets ? { softTargets } : {}),
        ...(options.memberRows ? { normalizationRows: rows } : {}),
        onEpochEnd: (epoch, log) => options.onEpochEnd?.(m, epoch, log, 'member'),
      };
      await model.fit(options.memberRows?.(m) ?? rows, fit);
    }
    if (trained.length === 1) return trained[0];
    const ensemble = await EmotionModel.ensemble(trained);
    for (const t of trained) t.dispose();
    return ensemble;
  } catch (e) {
    for (const t of trained) t.dispose();
    throw e;
  }
}

/** Checks {@link trainRecipe}'s rows and options against the recipe; returns the members to train. */
function checkTrainOptions(r: Recipe, rows: FeatureRow[], options: TrainRecipeOptions): number[] {
  const fn = 'trainRecipe';
  const invalid = (message: string) => new SpeechEmotionError('INVALID_OPTION', `${fn}: ${message}`);
  checkKnownOptions(fn, options, [
    'labels',
    'workers',
    'fusedMultiplyAdd',
    'validation',
    'patience',
    'members',
    'memberRows',
    'teacher',
    'onEpochEnd',
    'signal',
  ]);
  if (!Array.isArray(rows) || rows.length === 0) throw invalid('no training rows.');
  const members = options.members ?? Array.from({ length: r.ensemble }, (_, i) => i + 1);
  if (members.length === 0 || members.some((m) => !Number.isInteger(m) || m < 1 || m > r.ensemble))
    throw invalid(`'members' must list members 1…${r.ensemble} of recipe '${r.name}'.`);
  if (options.teacher && (!r.distill || r.distill.speakerFolds))
    throw invalid(
      `'teacher' needs a recipe with 'distill' (without 'speakerFolds', whose teachers are trained here).`,
    );
  if (options.memberRows !== undefined && typeof options.memberRows !== 'function')
    throw invalid(`'memberRows' must be a function of the member.`);
  if (r.audioAugment?.perMember && r.ensemble > 1 && !options.memberRows)
    throw invalid(
      `recipe '${r.name}' gives each member its own perturbed copies (audioAugment.perMember): pass 'memberRows' (trainingRows(recipeRows(…), member)).`,
    );
  return members;
}

/** The teachers of a distilling recipe, trained on `rows`: the recipe without `distill`, `ensemble: teachers`. */
function trainTeachers(
  r: Recipe,
  rows: FeatureRow[],
  labels: string[],
  options: TrainRecipeOptions,
  first: number,
): Promise<EmotionModel> {
  const { distill, ...plain } = r;
  return trainRecipe({ ...plain, name: `${r.name} (teachers)`, ensemble: distill?.teachers ?? 1 }, rows, {
    labels,
    workers: options.workers ?? 1,
    ...(options.fusedMultiplyAdd === undefined ? {} : { fusedMultiplyAdd: options.fusedMultiplyAdd }),
    ...(options.validation ? { validation: options.validation, patience: options.patience ?? 10 } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onEpochEnd: (m, epoch, log) => options.onEpochEnd?.(first + m, epoch, log, 'teacher'),
  });
}

/** The teacher's probabilities on `rows`, after checking that it was trained on them with these labels. */
async function teacherScores(
  teacher: EmotionModel,
  rows: FeatureRow[],
  labels: string[],
): Promise<Float32Array[]> {
  if (teacher.labels.join('\n') !== labels.join('\n'))
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `trainRecipe: the teacher's labels (${teacher.labels.join(', ')}) are not the model's (${labels.join(', ')}).`,
    );
  const count = teacher.training?.trainCount;
  if (count !== undefined && count !== rows.length)
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `trainRecipe: the teacher was trained on ${count} rows, these are ${rows.length}: a teacher must be trained on the same rows (and never on a test speaker).`,
    );
  return teacher.predictFeatures(rows.map((x) => x.features));
}

/**
 * Out-of-fold teacher scores: the rows' speakers dealt in sorted order into `k` groups (at most one
 * per speaker); each group's rows scored by teachers trained on the other groups.
 */
async function outOfFoldScores(
  r: Recipe,
  rows: FeatureRow[],
  labels: string[],
  options: TrainRecipeOptions,
  k: number,
): Promise<Float32Array[]> {
  const speakerOf = (x: FeatureRow) => `${x.dataset}:${x.speaker}`;
  const speakers = [...new Set(rows.map(speakerOf))].sort();
  if (speakers.length < 2)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `trainRecipe: 'distill.speakerFolds' needs rows of at least two speakers, these have ${speakers.length}.`,
    );
  const groups = Math.min(k, speakers.length);
  const group = new Map(speakers.map((sp, i) => [sp, i % groups]));
  const scores: Float32Array[] = new Array(rows.length);
  for (let g = 0; g < groups; g++) {
    const inside = rows.flatMap((x, i) => (group.get(speakerOf(x)) === g ? [i] : []));
    const teacher = await trainTeachers(
      r,
      rows.filter((x) => group.get(speakerOf(x)) !== g),
      labels,
      options,
      g * (r.distill?.teachers ?? 1),
    );
    try {
      const part = await teacher.predictFeatures(inside.map((i) => rows[i].features));
      inside.forEach((i, q) => {
        scores[i] = part[q];
      });
    } finally {
      teacher.dispose();
    }
  }
  return scores;
}

/**
 * The soft targets of a distilling recipe: teachers score every training row (given teachers, or
 * teachers trained here on all the rows, or with `speakerFolds`, out of fold); their averaged
 * probabilities, raised to 1 / temperature and renormalised.
 */
async function distillTargets(
  r: Recipe,
  rows: FeatureRow[],
  labels: string[],
  options: TrainRecipeOptions,
): Promise<FitOptions['softTargets']> {
  const d = r.distill as NonNullable<Recipe['distill']>;
  let scores: Float32Array[];
  if (d.speakerFolds) scores = await outOfFoldScores(r, rows, labels, options, d.speakerFolds);
  else {
    const teacher = options.teacher ?? (await trainTeachers(r, rows, labels, options, 0));
    try {
      scores = await teacherScores(teacher, rows, labels);
    } finally {
      if (teacher !== options.teacher) teacher.dispose();
    }
  }
  for (const p of scores) {
    let sum = 0;
    for (let j = 0; j < p.length; j++) sum += p[j] = Math.max(p[j], 1e-12) ** (1 / d.temperature);
    for (let j = 0; j < p.length; j++) p[j] /= sum;
  }
  return { scores, weight: d.weight };
}
