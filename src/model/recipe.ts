// Training recipes: everything that turns labelled recordings into a model, as one JSON-serialisable
// value (features, architecture, training options, augmentation, ensemble), so that a model can be
// trained again "the way it was trained" and records how it was made.
import { PERTURB_KEYS, type PerturbOptions } from '../audio/augment.js';
import { checkKnownOptions, invalid } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import { checkMinPeakDb } from '../features/prepare.js';
import { type FeatureSpec, defineFeatureSpec } from '../features/spec.js';
import type { ArchitectureName } from './architectures.js';
import type { FitOptions } from './options.js';
import type { AugmentOptions } from './spec-augment.js';
import { checkClassWeights, checkWeightDecay } from './training.js';

/** A recipe as a JSON file may hold it: any field may be left out but the name. */
export type RecipeInput = Partial<Omit<Recipe, 'distill'>> & {
  /** A name for reports and the model's metadata. */
  name: string;
  /** Knowledge distillation; all but `teachers` may be left out. */
  distill?: Partial<DistillOptions> & Pick<DistillOptions, 'teachers'>;
};

/** The recipe format version this library reads and writes. */
export const RECIPE_VERSION = 1;

/**
 * Audio-level augmentation of a recipe: `copies` perturbed copies of every training recording
 * (speed, gain, noise: {@link perturbAudio}), added to the clean rows. Each copy's draw is seeded by
 * the recipe's seed (or `seed`), the copy's number and the recording's samples, so it does not depend
 * on where the files are. Every member of an ensemble trains on the same copies, unless `perMember`.
 */
export interface AudioAugment extends Omit<PerturbOptions, 'seed'> {
  /** Perturbed copies per recording (≥ 1). */
  copies: number;
  /**
   * Seed of the copies' draws (an integer ≥ 0); default the recipe's `seed`. Set it to change the
   * networks' seed while keeping the same copies, or the reverse.
   */
  seed?: number;
  /**
   * Each member of an ensemble draws its own copies (member k's seeded 1000 · (k − 1) after
   * member 1's, as its network is): more varied members, at the cost of extracting `copies` sets
   * per member. Member 1's copies are the shared ones. Train with `trainRecipe`'s `memberRows`.
   * Default false.
   */
  perMember?: boolean;
}

/**
 * Knowledge distillation in a recipe: `teachers` members of the same recipe (without `distill`) are
 * trained first, on the same rows, and every member of the ensemble then learns from their averaged
 * scores on each training row as well as from its label. Training costs `teachers` members more;
 * predicting costs nothing more (only the `ensemble` members are kept).
 */
export interface DistillOptions {
  /**
   * Teachers (≥ 1), seeded as members 1…teachers of the recipe would be, so that they are the
   * recipe with `ensemble: teachers` and no `distill`; the kept members come after them (member k
   * seeded as member `teachers + k`).
   */
  teachers: number;
  /** Weight of the teachers' scores in each target: `(1 − weight) · one-hot + weight · scores`. In (0, 1]. Default 0.5. */
  weight: number;
  /** The teachers' averaged probabilities are raised to 1 / temperature and renormalised (softer above 1). Default 2. */
  temperature: number;
  /**
   * 0 (default): the teachers are trained on all the rows and score them. K ≥ 2: out of fold. The
   * rows' speakers are dealt into K groups (at most one per speaker), and each group's rows are
   * scored by `teachers` members trained on the other groups, so no target comes from a teacher that
   * heard its speaker (K times the teachers' training, each on (K − 1) / K of the rows).
   */
  speakerFolds: number;
}

/**
 * A training recipe, as a JSON file holds it. {@link defineRecipe} fills in the defaults and checks
 * it; {@link trainRecipe} trains it; a model trained from one records it (`EmotionModel.recipe`).
 */
export interface Recipe {
  /** Format version ({@link RECIPE_VERSION}). */
  version: number;
  /** A name for reports and the model's metadata. */
  name: string;
  /** What the recipe is for, in a sentence. */
  description?: string;
  /** How inputs are made (a partial spec in the JSON file; complete after {@link defineRecipe}). */
  spec: FeatureSpec;
  /**
   * The silence trim the trained model predicts with, when it is not `spec.trim` (left out: the
   * model predicts as it was trained). Training rows are made with `spec`; the saved model's
   * FeatureSpec, and the test folds of a cross-validation, use `spec` with this trim
   * ({@link predictionSpec}), so the figures reported are what predictions get. For a trim that
   * helps on real recordings but would cost accuracy if the network trained on it, e.g. the
   * bundled model's `trim.leadIn`. Only the trim may differ: it leaves the input's shape as it is.
   */
  predictTrim?: FeatureSpec['trim'];
  /**
   * The `minPeakDb` the trained model predicts with, in place of the spec's (left out: as trained).
   * Like `predictTrim`, it goes into the saved model's FeatureSpec and the test folds'
   * ({@link predictionSpec}), not into the training rows. Set just under the quietest training
   * recording's peak, it changes nothing the model was trained or scored on and brings quieter
   * recordings up to a level the model knows (the bundled model's −47 dB).
   */
  predictMinPeakDb?: number;
  /** Built-in architecture. Default `'crnn'` for a series, `'mlp'` for statistics. */
  arch: ArchitectureName;
  /** Default 30. */
  epochs: number;
  /** Default 32. */
  batchSize: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate: number;
  /** Decoupled weight decay ({@link FitOptions.weightDecay}); left out: none. */
  weightDecay?: number;
  /** Default `'constant'`. */
  schedule: 'constant' | 'cosine';
  /**
   * Stochastic weight averaging over the last epochs ({@link FitOptions.averageEpochs}); left out:
   * none.
   */
  averageEpochs?: number;
  /** Label smoothing ε. Default 0. */
  labelSmoothing: number;
  /** How the loss weighs the rows ({@link FitOptions.classWeights}); left out: `'balanced'`. */
  classWeights?: 'balanced' | 'balanced-per-dataset' | 'none';
  /** Feature-level augmentation of `fit` (SpecAugment, time shift), or `null` (default). */
  augment: AugmentOptions | null;
  /** Audio-level augmentation: perturbed copies of the training recordings, or `null` (default). */
  audioAugment: AudioAugment | null;
  /** Seed of member 1; member k is seeded `seed + 1000 · (k − 1)`. Default 1. */
  seed: number;
  /** Members trained with different seeds and averaged ({@link EmotionModel.ensemble}). Default 1. */
  ensemble: number;
  /** Knowledge distillation from teachers trained first ({@link DistillOptions}); left out: none. */
  distill?: DistillOptions;
}

const RECIPE_KEYS = [
  'version',
  'name',
  'description',
  'spec',
  'predictTrim',
  'predictMinPeakDb',
  'arch',
  'epochs',
  'batchSize',
  'learningRate',
  'weightDecay',
  'schedule',
  'averageEpochs',
  'labelSmoothing',
  'classWeights',
  'augment',
  'audioAugment',
  'seed',
  'ensemble',
  'distill',
];
const ARCHITECTURES: readonly ArchitectureName[] = ['cnn1d', 'cnn2d', 'crnn', 'mlp'];

function positive(fn: string, name: string, v: unknown, integer: boolean): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw invalid(
      fn,
      `'${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}.`,
    );
  return v;
}

function checkAudioAugment(fn: string, a: unknown): AudioAugment | null {
  if (a === null || a === undefined) return null;
  if (typeof a !== 'object') throw invalid(fn, `'audioAugment' must be an object or null.`);
  checkKnownOptions(`${fn} audioAugment`, a, ['copies', 'perMember', ...PERTURB_KEYS]);
  const out = structuredClone(a) as AudioAugment;
  positive(fn, 'audioAugment.copies', out.copies, true);
  if (out.seed !== undefined && !(Number.isInteger(out.seed) && out.seed >= 0))
    throw invalid(fn, `'audioAugment.seed' must be an integer ≥ 0, got ${JSON.stringify(out.seed)}.`);
  if (out.perMember !== undefined && typeof out.perMember !== 'boolean')
    throw invalid(
      fn,
      `'audioAugment.perMember' must be true or false, got ${JSON.stringify(out.perMember)}.`,
    );
  return out;
}

function checkDistill(fn: string, d: unknown): DistillOptions | undefined {
  if (d === undefined || d === null) return undefined;
  if (typeof d !== 'object' || Array.isArray(d)) throw invalid(fn, `'distill' must be an object.`);
  checkKnownOptions(`${fn} distill`, d, ['teachers', 'weight', 'temperature', 'speakerFolds']);
  const { teachers, weight = 0.5, temperature = 2, speakerFolds = 0 } = d as Partial<DistillOptions>;
  positive(fn, 'distill.teachers', teachers, true);
  if (typeof weight !== 'number' || !(weight > 0 && weight <= 1))
    throw invalid(fn, `'distill.weight' must be in (0, 1], got ${JSON.stringify(weight)}.`);
  positive(fn, 'distill.temperature', temperature, false);
  if (speakerFolds !== 0 && !(Number.isInteger(speakerFolds) && speakerFolds >= 2))
    throw invalid(
      fn,
      `'distill.speakerFolds' must be 0 or an integer ≥ 2, got ${JSON.stringify(speakerFolds)}.`,
    );
  return { teachers: teachers as number, weight, temperature, speakerFolds };
}

function checkPredictTrim(fn: string, spec: FeatureSpec, trim: unknown): FeatureSpec['trim'] | undefined {
  if (trim === undefined) return undefined;
  try {
    return defineFeatureSpec({ ...spec, trim: trim as FeatureSpec['trim'] }).trim;
  } catch (e) {
    if (!(e instanceof SpeechEmotionError)) throw e;
    throw invalid(fn, `'predictTrim': ${e.message.replace(/^FeatureSpec: /, '')}`);
  }
}

/**
 * A complete, checked recipe from a partial one (as read from a JSON file): defaults filled in, the
 * FeatureSpec completed ({@link defineFeatureSpec}), unknown keys and bad values refused with a
 * `SpeechEmotionError` naming the option.
 *
 * @example
 * ```ts
 * const recipe = defineRecipe({ name: 'mine', ...RECIPES.single, epochs: 20 });
 * ```
 */
export function defineRecipe(partial: RecipeInput): Recipe {
  const fn = 'Recipe';
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial))
    throw invalid(fn, 'a recipe must be an object (a JSON file holding one).');
  checkKnownOptions(fn, partial, RECIPE_KEYS);
  const version = partial.version ?? RECIPE_VERSION;
  if (version !== RECIPE_VERSION)
    throw new SpeechEmotionError(
      'SPEC_MISMATCH',
      `${fn}: version ${version} is not supported (this library reads version ${RECIPE_VERSION}).`,
    );
  if (typeof partial.name !== 'string' || partial.name.trim() === '')
    throw invalid(fn, `'name' must be a non-empty string.`);
  const spec = defineFeatureSpec(partial.spec ?? {});
  const predictTrim = checkPredictTrim(fn, spec, partial.predictTrim);
  checkMinPeakDb(fn, partial.predictMinPeakDb, 'predictMinPeakDb');
  const arch = partial.arch ?? (spec.output.type === 'series' ? 'crnn' : 'mlp');
  if (!ARCHITECTURES.includes(arch))
    throw invalid(fn, `'arch' must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(arch)}.`);
  if ((arch === 'mlp') !== (spec.output.type === 'stats'))
    throw invalid(fn, `'arch' ${arch} does not fit a spec whose output is '${spec.output.type}'.`);
  const schedule = partial.schedule ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine')
    throw invalid(fn, `'schedule' must be 'constant' or 'cosine', got ${JSON.stringify(schedule)}.`);
  const labelSmoothing = partial.labelSmoothing ?? 0;
  if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing < 1))
    throw invalid(fn, `'labelSmoothing' must be in [0, 1), got ${JSON.stringify(labelSmoothing)}.`);
  const classWeights = checkClassWeights(fn, partial.classWeights, partial.augment?.mixup);
  const weightDecay = checkWeightDecay(fn, partial.weightDecay);
  if ((partial.augment?.specAugment || partial.augment?.shift) && spec.output.type !== 'series')
    throw invalid(fn, `'augment' (SpecAugment, shift) needs a spec with a series output.`);
  const distill = checkDistill(fn, partial.distill);
  if (distill && partial.audioAugment?.perMember)
    throw invalid(fn, `'audioAugment.perMember' does not combine with 'distill'.`);
  const seed = partial.seed ?? 1;
  if (!Number.isInteger(seed)) throw invalid(fn, `'seed' must be an integer, got ${JSON.stringify(seed)}.`);
  const epochs = positive(fn, 'epochs', partial.epochs ?? 30, true);
  const averageEpochs = partial.averageEpochs ?? 0;
  if (
    averageEpochs !== 0 &&
    !(Number.isInteger(averageEpochs) && averageEpochs >= 2 && averageEpochs <= epochs)
  )
    throw invalid(
      fn,
      `'averageEpochs' must be 0 or an integer from 2 to epochs (${epochs}), got ${JSON.stringify(averageEpochs)}.`,
    );
  return {
    version,
    name: partial.name,
    ...(partial.description === undefined ? {} : { description: String(partial.description) }),
    spec,
    ...(predictTrim === undefined ? {} : { predictTrim }),
    ...(partial.predictMinPeakDb === undefined ? {} : { predictMinPeakDb: partial.predictMinPeakDb }),
    arch,
    epochs,
    batchSize: positive(fn, 'batchSize', partial.batchSize ?? 32, true),
    learningRate: positive(fn, 'learningRate', partial.learningRate ?? 1e-3, false),
    ...(weightDecay > 0 ? { weightDecay } : {}),
    schedule,
    ...(averageEpochs > 0 ? { averageEpochs } : {}),
    labelSmoothing,
    ...(classWeights === 'balanced' ? {} : { classWeights }),
    augment: partial.augment ? structuredClone(partial.augment) : null,
    audioAugment: checkAudioAugment(fn, partial.audioAugment),
    seed,
    ensemble: positive(fn, 'ensemble', partial.ensemble ?? 1, true),
    ...(distill ? { distill } : {}),
  };
}

/**
 * The FeatureSpec a model trained from `recipe` predicts with (and its cross-validation scores test
 * folds with): the recipe's `spec`, with its `predictTrim` and `predictMinPeakDb` when it has them.
 */
export function predictionSpec(recipe: Recipe): FeatureSpec {
  const r = defineRecipe(recipe);
  // Both checked by defineRecipe.
  return {
    ...r.spec,
    ...(r.predictTrim === undefined ? {} : { trim: r.predictTrim }),
    ...(r.predictMinPeakDb === undefined ? {} : { minPeakDb: r.predictMinPeakDb }),
  };
}

/** The seed of member `member` (1-based) of a recipe's ensemble (after its teachers, when it distils). */
export function memberSeed(recipe: Recipe, member: number): number {
  return recipe.seed + 1000 * (member - 1 + (recipe.distill?.teachers ?? 0));
}

/** The {@link EmotionModel.fit} options of one member of a recipe (no validation data, all epochs). */
export function recipeFitOptions(recipe: Recipe, member: number): FitOptions {
  return {
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    learningRate: recipe.learningRate,
    ...(recipe.weightDecay ? { weightDecay: recipe.weightDecay } : {}),
    schedule: recipe.schedule,
    ...(recipe.averageEpochs ? { averageEpochs: recipe.averageEpochs } : {}),
    labelSmoothing: recipe.labelSmoothing,
    ...(recipe.classWeights ? { classWeights: recipe.classWeights } : {}),
    ...(recipe.augment ? { augment: recipe.augment } : {}),
    earlyStopping: false,
    seed: memberSeed(recipe, member),
  };
}

/**
 * The seed of a recipe's audio-augmented copy `copy` (1-based) for member `member` (1-based; it
 * matters only with `audioAugment.perMember`), mixed with each recording's samples: from
 * `audioAugment.seed`, or the recipe's seed.
 */
export function copySeed(recipe: Recipe, copy: number, member = 1): number {
  const a = recipe.audioAugment;
  const base = (a?.seed ?? recipe.seed) + (a?.perMember ? 1000 * (member - 1) : 0);
  return (base + 100003 * copy) >>> 0;
}

/** The bundled model's FeatureSpec: 3 s from the start after trimming, 40 MFCC + Δ in dB re the clip's peak. */
const DEFAULT_SPEC: Partial<FeatureSpec> = {
  trim: { topDb: 60 },
  duration: { offset: 0, seconds: 3 },
  features: { type: 'mfcc', options: { nMfcc: 40, nFft: 512, hopLength: 256, ref: 'max' } },
  deltas: 1,
  cmvn: 'none',
  output: { type: 'series' },
  // A noise floor 30 dB down over the band that a recording under 14.4 kHz (a phone line's 8 kHz)
  // cannot carry: such recordings otherwise give the network an empty band that no training clip
  // has. `detect` finds the same in a call saved at a full rate (nothing above 4.5 kHz, 75 dB down).
  // Training clips are at 16 kHz and reach 7.3 kHz or more (their perturbed copies 7.7 kHz), so
  // training is unchanged (docs/recipes/results).
  bandFill: { snrDb: 30, detect: { topDb: 75, maxHz: 4500 } },
};

const DEFAULT_TRAINING: Omit<Recipe, 'version' | 'name' | 'description' | 'spec' | 'ensemble'> = {
  arch: 'crnn',
  epochs: 30,
  batchSize: 32,
  learningRate: 0.001,
  schedule: 'cosine',
  labelSmoothing: 0.1,
  // Balanced within each corpus: SAVEE has twice as much neutral as any other emotion and RAVDESS
  // half as much, and balancing over both together let "sounds like SAVEE" stand for neutral. Level
  // on the speaker folds; the same as 'balanced' leaving one corpus out (docs/recipes/results).
  classWeights: 'balanced-per-dataset',
  // Each series rolled in time by up to 0.3 of its frames: the best of the cross-corpus screens
  // (four seeds), +1.0 point for three members across corpora; level within 1 point on the speaker
  // folds once classes were balanced within each corpus (docs/recipes/results).
  augment: { specAugment: {}, shift: 0.3 },
  seed: 1,
  // Two perturbed copies of every recording: the voice (speed), the room (reverberation), the
  // microphone (equalisation, band-limiting), the level and the background (coloured noise). A
  // second copy won across corpora on every seed tried (docs/recipes/results/README.md). Each member
  // of an ensemble draws its own copies: ensembles of such members did better across corpora than
  // members that shared them (docs/recipes/results/README.md).
  audioAugment: {
    copies: 2,
    perMember: true,
    speed: [0.8, 1.25],
    noiseSnrDb: [15, 35],
    gainDb: [-6, 6],
    noiseColor: ['white', 'pink', 'brown'],
    reverb: { rt60: [0, 0.8] },
    eqDb: [-6, 6],
    highpassHz: [0, 300],
    lowpassHz: [3400, 12000],
  },
};

/**
 * How the bundled model trims when it predicts: the spec's 60 dB trim, then everything more than
 * 0.5 s before the first frame within 30 dB of the loudest dropped. A recording that opens with a
 * quiet room (a microphone switched on before the speaker starts) then gives the network speech,
 * as training did; trained on with it, the network lost on SAVEE and across corpora.
 */
const DEFAULT_PREDICT_TRIM: FeatureSpec['trim'] = { topDb: 60, leadIn: { topDb: 30, keepSeconds: 0.5 } };

/**
 * The bundled model raises quieter recordings to this level when it predicts: just under the peak of
 * the quietest training recording (−46.8 dB, RAVDESS), so nothing it trained or was scored on changes
 * (docs/features.md).
 */
const DEFAULT_PREDICT_MIN_PEAK_DB = -47;

/** Names of the built-in recipes. */
export type RecipeName = 'default' | 'single' | 'fast';

/**
 * The built-in recipes (partial: pass them through {@link defineRecipe} or {@link recipeByName}).
 * - `default`: the bundled model's recipe (`models/default`, see its model card): four `crnn`
 *   members, SpecAugment and time shift (up to 0.3 of the frames), two perturbed copies of each
 *   recording per member (speed, reverberation, equalisation, band-limiting, gain, coloured noise);
 *   it predicts with a harder cut of a quiet start (`predictTrim`).
 * - `single`: one member of `default`, a quarter of the training time (what `speech-emotion train` uses
 *   without `--recipe`).
 * - `fast`: a `cnn1d` on 2.5 s without augmentation, for a first look at a corpus in minutes.
 */
export const RECIPES: Readonly<Record<RecipeName, RecipeInput>> = {
  default: {
    name: 'default',
    description: "The bundled model's recipe: four crnn members averaged.",
    spec: DEFAULT_SPEC as FeatureSpec,
    predictTrim: DEFAULT_PREDICT_TRIM,
    predictMinPeakDb: DEFAULT_PREDICT_MIN_PEAK_DB,
    ...DEFAULT_TRAINING,
    ensemble: 4,
  },
  single: {
    name: 'single',
    description: 'One member of the default recipe: a quarter of its training time.',
    spec: DEFAULT_SPEC as FeatureSpec,
    predictTrim: DEFAULT_PREDICT_TRIM,
    predictMinPeakDb: DEFAULT_PREDICT_MIN_PEAK_DB,
    ...DEFAULT_TRAINING,
    ensemble: 1,
  },
  fast: {
    name: 'fast',
    description: 'A cnn1d on 2.5 s of 40 MFCC + deltas, no augmentation: a first look in minutes.',
    spec: { ...DEFAULT_SPEC, duration: { offset: 0, seconds: 2.5 } } as FeatureSpec,
    arch: 'cnn1d',
    epochs: 40,
    learningRate: 0.002,
    seed: 3,
  },
};

/** A built-in recipe by name, complete. */
export function recipeByName(name: string): Recipe {
  const r = RECIPES[name as RecipeName];
  if (!r || !Object.hasOwn(RECIPES, name))
    throw invalid(
      'recipeByName',
      `no built-in recipe '${name}'; the built-in recipes are ${Object.keys(RECIPES).join(', ')}.`,
    );
  return defineRecipe(structuredClone(r));
}
