// The public option and result types of EmotionModel, apart from the class so that the training
// loop, inference and persistence can name them without importing the class.
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow, FeatureSet } from '../features/file.js';
import type { FeatureSpec } from '../features/spec.js';
import type { ArchitectureName, ModelBuilder } from './architectures.js';
import type { Recipe } from './recipe.js';
import type { AugmentOptions } from './spec-augment.js';

/** Options of {@link EmotionModel.create}. */
export interface CreateOptions {
  /** The classes, in output order, e.g. `EMOTIONS` or a subset. */
  labels: string[];
  /** How inputs are made; the model refuses features made otherwise. */
  featureSpec: FeatureSpec;
  /** A built-in design or a builder. Default `'cnn1d'` for a series, `'mlp'` for statistics. */
  architecture?: ArchitectureName | ModelBuilder;
  /** Input shape: `[frames, features]` for a series (frames fixed by the spec's duration), `[features]` for statistics. */
  inputShape: number[];
  /** Seed of the initial weights. Default 0. */
  seed?: number;
  /** The recipe the model is trained with, recorded in the saved model ({@link trainRecipe} sets it). */
  recipe?: Recipe;
}

/** Options of {@link EmotionModel.fit}. */
export interface FitOptions {
  /** Held-out data for early stopping and the per-epoch validation UA. */
  validation?: FeatureSet | FeatureRow[];
  /** Default 30. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /**
   * Decoupled weight decay (AdamW): after every optimizer step, each weight matrix (convolution,
   * recurrent and dense kernels; not biases or batch normalisation) is multiplied by
   * 1 − learning rate · `weightDecay`, the learning rate being the scheduled one of that step. From 0
   * (default: off) to under 1; AdamW's usual values are 0.01–0.1.
   */
  weightDecay?: number;
  /**
   * Stop when validation UA has not improved for `patience` epochs, keeping the best weights. Default
   * `{ patience: 8 }` with validation data. Without validation data, the weights of the epoch with
   * the lowest training loss are kept.
   */
  earlyStopping?:
    | {
        /** Epochs without improvement before stopping. */
        patience: number;
      }
    | false;
  /**
   * How the loss weighs the rows. `'balanced'` (default) weighs each class by N / (K · count), so
   * rare classes count as much. `'balanced-per-dataset'` does the same within each dataset (the
   * rows' `dataset`): a row of class c in dataset d weighs N_d / (K · count of c in d), with K the
   * model's number of labels, which is what `'balanced'` gives that row when training on its
   * dataset alone. Within every dataset, every class then counts as much. When datasets
   * hold their classes in different proportions (SAVEE has twice as much neutral speech as any other
   * emotion, RAVDESS half as much), the network then cannot learn "sounds like that dataset, so
   * probably neutral". With one dataset it is the same as `'balanced'`. `'none'` weighs every row 1.
   * `'balanced-per-dataset'` does not combine with `augment.mixup`.
   */
  classWeights?: 'balanced' | 'balanced-per-dataset' | 'none';
  /** Label smoothing ε of the cross-entropy. Default 0. */
  labelSmoothing?: number;
  /** Seed of the batch order, the dropout masks and the augmentation, so a run can be repeated. Default 0. */
  seed?: number;
  /**
   * Feature-level data augmentation, drawn afresh for every batch; off by default. Applies to series
   * inputs (frames × features). For speed, gain and noise, train on extra rows made with
   * {@link perturbAudio}.
   */
  augment?: AugmentOptions;
  /** Learning-rate schedule over the epochs: constant (default) or cosine decay to zero. */
  schedule?: 'constant' | 'cosine';
  /**
   * Stochastic weight averaging: keep the mean of the weights (batch-normalisation statistics
   * included) at the end of each of the last `averageEpochs` epochs, instead of one epoch's. Over
   * those epochs the learning rate holds where the schedule stood when they began. An integer from 2
   * to `epochs`; 0 or left out: off. It turns early stopping off (validation is still scored). If
   * `signal` aborts training before the averaged epochs begin, the current weights are kept; during
   * them, the mean of those run so far.
   */
  averageEpochs?: number;
  /**
   * Soft targets, e.g. a teacher's scores for knowledge distillation: one probability distribution
   * over the model's labels per training row, in row order. Each row's target becomes
   * `(1 − weight) · one-hot + weight · scores[i]` (then label smoothing and mixup apply as usual,
   * and class weights weigh each row by its target, as they do a mixed-up row).
   */
  softTargets?: {
    /** One distribution per training row (non-negative, summing to 1), `labels.length` long. */
    scores: ArrayLike<number>[];
    /** In (0, 1]. */
    weight: number;
  };
  /**
   * Rows to learn the feature normalisation from, instead of the training rows: for members of
   * one ensemble trained on different rows (their own perturbed copies), which must share it.
   */
  normalizationRows?: FeatureRow[];
  /**
   * Data-parallel training over this many threads (Node, from the built package): each batch is
   * split between the main thread and `workers − 1` worker_threads replicas, whose gradients are
   * averaged into one optimizer step. Batch normalisation uses each shard's statistics (the moving
   * statistics are averaged across replicas after every epoch). Default 1.
   */
  workers?: number;
  /**
   * On the wasm backend, the convolutions at stride 1 (every Conv1D layer, so `crnn`, `cnn1d` and
   * custom Conv1D networks, and two-dimensional ones such as `cnn2d`'s) multiply and add in one
   * fused step, rounded once, where the runtime has
   * WebAssembly relaxed SIMD: Chrome 114 and later, Node 22 and later, Node 20 started with
   * `node --experimental-wasm-relaxed-simd`. On processors whose multiply and add units are shared
   * (many Intel server and laptop chips) that runs the convolutions up to twice as fast. The
   * five-tap one-dimensional convolutions (the built-in designs' and the reference CNN's) then also
   * run in Winograd's form F(4, 5): 8 products for every 4 output rows instead of 20, about half the
   * time again, at about twice the rounding error of the direct sum (still about 1e-6 of the
   * largest value). Training stays repeatable for a seed on one machine and runtime, but the weights
   * differ in their last bits from an unfused run, and so, after some epochs, in more. `false` adds
   * each product after multiplying, bit for bit as tfjs's own kernels on every runtime: for a run
   * that must reproduce earlier weights. Default `true`; where relaxed SIMD is missing it has no effect.
   * {@link TrainingSummary.fusedMultiplyAdd} says whether it was used. The setting belongs to the
   * thread while `fit` runs (data-parallel replicas get it too): two fits awaited side by side in one
   * thread should not ask for different settings.
   */
  fusedMultiplyAdd?: boolean;
  /** Called after every epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLog) => void | Promise<void>;
  /** Aborts training after the current batch; the best weights so far are kept. */
  signal?: AbortSignal;
}

/** One epoch of training. */
export interface EpochLog {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training loss. */
  loss: number;
  /** Validation unweighted accuracy, when validation data was given. */
  validationUA?: number;
  /** Seconds the epoch took. */
  seconds: number;
}

/** What {@link EmotionModel.fit} returns. */
export interface TrainingSummary {
  /** Every epoch run. */
  epochs: EpochLog[];
  /** The epoch whose weights were kept (with `averageEpochs`, the last one averaged). */
  bestEpoch: number;
  /** Epochs whose weights were averaged into the kept ones ({@link FitOptions.averageEpochs}). */
  averagedEpochs?: number;
  /** Why training ended. */
  stopped: 'epochs' | 'early-stopping' | 'aborted';
  /** Training items. */
  trainCount: number;
  /** Members averaged, for a model made by {@link EmotionModel.ensemble}. */
  members?: number;
  /** Threads that trained (see {@link FitOptions.workers}); 1 when no replica could start. */
  workers?: number;
  /**
   * True when the convolutions multiplied and added in one fused step, five-tap ones in Winograd's
   * form ({@link FitOptions.fusedMultiplyAdd}); absent otherwise.
   */
  fusedMultiplyAdd?: true;
}

/** A prediction: the most likely label and every label's probability. */
export interface Prediction {
  /** The most likely label, or `null` when the audio has nothing to judge (see `warning`). */
  label: string | null;
  /** Probability per label, summing to 1; empty when `label` is null. */
  scores: Record<string, number>;
  /**
   * Why no label was given: `'silent'`, `'too-short'` (under the FeatureSpec's `minSeconds` after
   * trimming), or `'no-speech'` (broadband noise, or a sound as steady as hum, a held tone or
   * steady noise: see the model card's known limits).
   */
  warning?: 'silent' | 'too-short' | 'no-speech';
  /**
   * On every labelled prediction: true when its top score is under the model's
   * `calibration.uncertainBelow` (0.5 when the model has no calibration), i.e. the model is more
   * likely wrong than right. `label` is still the likeliest emotion.
   */
  uncertain?: boolean;
  /**
   * On every labelled prediction of a model whose calibration tells unfamiliar audio (the bundled
   * model's does): true when the recording lies further from the model's training recordings, as the
   * network itself represents them, than 95% of unseen speakers of the training corpora do (another
   * corpus, studio or recording chain usually does). Its scores are then softened with a temperature
   * learnt on another corpus, where the model is right far less often, so it is often `uncertain`
   * too. `label` is unchanged. See the model card.
   */
  unfamiliar?: boolean;
  /**
   * Present when the model heard only part of the recording's sound: it analyses its FeatureSpec's
   * duration (3 s for the bundled model) from where the sound starts, and the sound went on for
   * more than a second after that. Seconds from the start of the recording: what was analysed
   * (`start`–`end`) and where the sound ends (`soundEnd`). {@link EmotionModel.predictTimeline}
   * follows a whole recording, window by window.
   */
  analysed?: AnalysedPart;
}

/** Which part of a recording a prediction comes from ({@link Prediction.analysed}), in seconds from its start. */
export interface AnalysedPart {
  /** Where the part the model analysed starts. */
  start: number;
  /** Where it ends. */
  end: number;
  /** Where the recording's sound ends: the end of what the FeatureSpec's silence trim keeps. */
  soundEnd: number;
}

/** Options of {@link EmotionModel.predictTimeline}. */
export interface TimelineOptions {
  /** Sample rate of the signal (Hz); it is resampled to the model's. */
  sampleRate: number;
  /** Window length, seconds. Default: the model's FeatureSpec duration (or 3 s). */
  window?: number;
  /** Step between window starts, seconds. Default half the window. */
  hop?: number;
  /** Called with each segment as soon as it is predicted, in order (for progress or streaming). */
  onSegment?: (segment: TimelineSegment) => void | Promise<void>;
  /** Restrict each window's prediction to these labels, renormalising their scores (see predictBatch). */
  labels?: string[];
}

/** One window of {@link EmotionModel.predictTimeline} (a window is analysed whole: no `analysed`). */
export interface TimelineSegment extends Omit<Prediction, 'analysed'> {
  /** Window start, seconds from the start of the signal. */
  start: number;
  /** Window end, seconds. */
  end: number;
}

/** EmotionModel.create's labels and input shape, checked. @internal */
export function checkShapes({ labels, inputShape }: CreateOptions): {
  labels: string[];
  inputShape: number[];
} {
  if (!Array.isArray(labels) || labels.length < 2 || new Set(labels).size !== labels.length)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'EmotionModel.create: labels must list at least two distinct classes.',
    );
  if (
    !Array.isArray(inputShape) ||
    inputShape.length < 1 ||
    inputShape.some((d) => !Number.isInteger(d) || d < 1)
  )
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'EmotionModel.create: inputShape must be [frames, features] or [features], positive integers.',
    );
  return { labels, inputShape };
}
