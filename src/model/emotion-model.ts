import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { noiseLikeness } from '../dsp/noise.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { checkKnownOptions } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow, FeatureSet } from '../features/file.js';
import {
  type FeatureSpec,
  assertSameSpec,
  computeFeatures,
  defineFeatureSpec,
  featureSpecHash,
} from '../features/spec.js';
import { seededRandom } from '../util/math.js';
import { type ArchitectureName, type ModelBuilder, buildArchitecture } from './architectures.js';
import { prefixedCopy } from './ensemble-net.js';
import { MODEL_FORMAT_VERSION, type Metadata } from './metadata.js';
import { type Evaluation, evaluatePredictions } from './metrics.js';
import {
  type LossConfig,
  type Replica,
  makeLoss,
  seedDropouts,
  shardGradients,
  startReplicas,
} from './parallel.js';
import { loadNetwork, saveNetwork } from './persistence.js';
import { resolveLabelSet, scoresOf, withheld } from './prediction.js';
import { type AugmentOptions, augmentBatch, checkAugment } from './spec-augment.js';
import { streamWindows, timelineWindows } from './stream.js';
import { loadLayers, loadTf } from './tf.js';

export { MODEL_FORMAT_VERSION } from './metadata.js';
export type { AugmentOptions } from './spec-augment.js';

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
  /** `'balanced'` weighs each class by N / (K · count), so rare classes count as much. Default `'balanced'`. */
  classWeights?: 'balanced' | 'none';
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
   * Data-parallel training over this many threads (Node, from the built package): each batch is
   * split between the main thread and `workers − 1` worker_threads replicas, whose gradients are
   * averaged into one optimizer step. Batch normalisation uses each shard's statistics (the moving
   * statistics are averaged across replicas after every epoch). Default 1.
   */
  workers?: number;
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
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  /** Why training ended. */
  stopped: 'epochs' | 'early-stopping' | 'aborted';
  /** Training items. */
  trainCount: number;
  /** Members averaged, for a model made by {@link EmotionModel.ensemble}. */
  members?: number;
  /** Threads that trained (see {@link FitOptions.workers}); 1 when no replica could start. */
  workers?: number;
}

/** A prediction: the most likely label and every label's probability. */
export interface Prediction {
  /** The most likely label, or `null` when the audio has nothing to judge (see `warning`). */
  label: string | null;
  /** Probability per label, summing to 1; empty when `label` is null. */
  scores: Record<string, number>;
  /**
   * Why no label was given: `'silent'`, `'too-short'` (under the FeatureSpec's `minSeconds` after
   * trimming), or `'no-speech'` (broadband noise: see the model card's known limits).
   */
  warning?: 'silent' | 'too-short' | 'no-speech';
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

/** One window of {@link EmotionModel.predictTimeline}. */
export interface TimelineSegment extends Prediction {
  /** Window start, seconds from the start of the signal. */
  start: number;
  /** Window end, seconds. */
  end: number;
}

function rowsOf(data: FeatureSet | FeatureRow[], spec: FeatureSpec, what: string): FeatureRow[] {
  if (Array.isArray(data)) return data;
  assertSameSpec(spec, data.spec, what);
  return data.rows;
}

/**
 * A speech emotion classifier: a tfjs-layers network plus everything needed to use it correctly —
 * its labels, the {@link FeatureSpec} its inputs are made with, and the feature normalisation learnt
 * from its training set. Saved and loaded as one unit.
 *
 * Needs `@tensorflow/tfjs-core`, `@tensorflow/tfjs-layers` and a backend ({@link useBackend}).
 *
 * @example
 * ```ts
 * const spec = defineFeatureSpec({ duration: { offset: 0.5, seconds: 2.5 }, output: { type: 'series' } });
 * const model = await EmotionModel.create({ labels: [...EMOTIONS], featureSpec: spec, inputShape: [79, 40] });
 * await model.fit(trainSet, { validation: valSet, epochs: 30 });
 * console.log((await model.evaluate(testSet)).unweightedAccuracy);
 * await model.save('models/mine');
 * ```
 */
export class EmotionModel {
  private constructor(
    private readonly net: TFL.LayersModel,
    private readonly meta: Metadata,
  ) {}

  /** The labels, in output order. */
  get labels(): string[] {
    return [...this.meta.labels];
  }

  /** The FeatureSpec inputs must be made with. */
  get featureSpec(): FeatureSpec {
    return structuredClone(this.meta.featureSpec);
  }

  /** The summary of the last {@link EmotionModel.fit}, if any. */
  get training(): TrainingSummary | undefined {
    return this.meta.training;
  }

  /** The underlying tfjs-layers model. */
  get layersModel(): TFL.LayersModel {
    return this.net;
  }

  /** Builds an untrained model. */
  static async create(options: CreateOptions): Promise<EmotionModel> {
    checkKnownOptions('EmotionModel.create', options, [
      'labels',
      'featureSpec',
      'architecture',
      'inputShape',
      'seed',
    ]);
    const { labels, inputShape } = options;
    if (!Array.isArray(labels) || labels.length < 2 || new Set(labels).size !== labels.length) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'EmotionModel.create: labels must list at least two distinct classes.',
      );
    }
    if (
      !Array.isArray(inputShape) ||
      inputShape.length < 1 ||
      inputShape.some((d) => !Number.isInteger(d) || d < 1)
    ) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'EmotionModel.create: inputShape must be [frames, features] or [features], positive integers.',
      );
    }
    const spec = defineFeatureSpec(options.featureSpec);
    const tfl = await loadLayers();
    const arch = options.architecture ?? (inputShape.length === 1 ? 'mlp' : 'cnn1d');
    let net: TFL.LayersModel;
    try {
      net =
        typeof arch === 'function'
          ? arch(inputShape, labels.length)
          : buildArchitecture(await loadTf(), tfl, arch, inputShape, labels.length, options.seed ?? 0);
    } catch (e) {
      throw new SpeechEmotionError('INVALID_OPTION', `EmotionModel.create: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const features = inputShape[inputShape.length - 1];
    return new EmotionModel(net, {
      format: MODEL_FORMAT_VERSION,
      library: 'speech-emotion',
      labels: [...labels],
      featureSpec: spec,
      specHash: featureSpecHash(spec),
      inputShape: [...inputShape],
      normalization: { mean: new Array(features).fill(0), std: new Array(features).fill(1) },
    });
  }

  /**
   * Combines models into one that averages their class probabilities (an ensemble), saved and loaded
   * as a single model. The members must share labels, FeatureSpec, input shape and normalisation —
   * typically the same recipe trained on the same rows with different seeds. Members loaded from
   * separately saved files are fine. The ensemble holds its own copy of the weights: the members stay
   * usable, and disposing of them does not affect it.
   */
  static async ensemble(members: EmotionModel[]): Promise<EmotionModel> {
    const fn = 'EmotionModel.ensemble';
    if (!Array.isArray(members) || members.length < 2 || !members.every((m) => m instanceof EmotionModel))
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: give at least two EmotionModels.`);
    const [first] = members;
    const same = (m: EmotionModel) =>
      JSON.stringify([m.meta.labels, m.meta.specHash, m.meta.inputShape, m.meta.normalization]) ===
      JSON.stringify([
        first.meta.labels,
        first.meta.specHash,
        first.meta.inputShape,
        first.meta.normalization,
      ]);
    if (!members.every(same))
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: the members differ in labels, FeatureSpec, input shape or normalisation; train them on the same rows with the same spec.`,
      );
    const tf = await loadTf();
    const tfl = await loadLayers();
    // Copies of the members whose layer (and so weight) names carry the member's number: members
    // loaded from files saved by different processes have the same names ('sequential_1',
    // 'conv1d_Conv1D1/kernel'…), which one model cannot hold or save unambiguously.
    const copies = await Promise.all(members.map((m, i) => prefixedCopy(tf, tfl, m.net, `member${i + 1}_`)));
    const input = tfl.input({ shape: first.meta.inputShape });
    const outputs = copies.map((net) => net.apply(input) as TFL.SymbolicTensor);
    const average = tfl.layers.average().apply(outputs) as TFL.SymbolicTensor;
    const net = tfl.model({ inputs: input, outputs: average });
    const meta: Metadata = structuredClone(first.meta);
    if (first.meta.training) meta.training = { ...first.meta.training, members: members.length };
    return new EmotionModel(net, meta);
  }

  /** Stacks rows into one normalised input tensor. */
  private inputs(tf: typeof TF, matrices: FeatureMatrix[]): TF.Tensor {
    return tf.tensor(this.normalised(matrices), [matrices.length, ...this.meta.inputShape]);
  }

  /** Rows stacked and normalised with the model's statistics. */
  private normalised(matrices: FeatureMatrix[]): Float32Array {
    const shape = this.meta.inputShape;
    const per = shape.reduce((a, b) => a * b, 1);
    const features = shape[shape.length - 1];
    const data = new Float32Array(matrices.length * per);
    const { mean, std } = this.meta.normalization;
    matrices.forEach((m, i) => {
      if (m.data.length !== per) {
        throw new SpeechEmotionError(
          'SPEC_MISMATCH',
          `the features are ${m.frames} × ${m.features}, the model takes ${shape.join(' × ')}. Make them with the model's FeatureSpec.`,
        );
      }
      for (let j = 0; j < per; j++) {
        const k = j % features;
        data[i * per + j] = (m.data[j] - mean[k]) / std[k];
      }
    });
    return data;
  }

  private labelIndex(rows: FeatureRow[]): Int32Array {
    const index = new Map(this.meta.labels.map((l, i) => [l, i]));
    return Int32Array.from(rows, (r) => {
      const i = index.get(r.label);
      if (i === undefined)
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `label '${r.label}' of ${r.path} is not one of the model's labels (${this.meta.labels.join(', ')}).`,
        );
      return i;
    });
  }

  /**
   * Trains the model. Feature normalisation (mean and standard deviation per feature) is learnt from
   * the training rows only and stored in the model.
   */
  async fit(train: FeatureSet | FeatureRow[], options: FitOptions = {}): Promise<TrainingSummary> {
    checkKnownOptions('EmotionModel.fit', options, [
      'validation',
      'epochs',
      'batchSize',
      'learningRate',
      'earlyStopping',
      'classWeights',
      'labelSmoothing',
      'seed',
      'augment',
      'schedule',
      'workers',
      'onEpochEnd',
      'signal',
    ]);
    const augment = checkAugment(options.augment, this.meta.inputShape);
    const schedule = options.schedule ?? 'constant';
    if (schedule !== 'constant' && schedule !== 'cosine')
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `EmotionModel.fit: 'schedule' must be 'constant' or 'cosine', got ${String(schedule)}.`,
      );
    const tf = await loadTf();
    const rows = rowsOf(train, this.meta.featureSpec, 'the training data');
    if (rows.length === 0)
      throw new SpeechEmotionError('INVALID_OPTION', 'EmotionModel.fit: no training rows.');
    const val = options.validation
      ? rowsOf(options.validation, this.meta.featureSpec, 'the validation data')
      : undefined;
    const epochs = options.epochs ?? 30;
    const batchSize = options.batchSize ?? 32;
    const patience =
      options.earlyStopping === false || !val
        ? Number.POSITIVE_INFINITY
        : (options.earlyStopping?.patience ?? 8);
    const k = this.meta.labels.length;
    const y = this.labelIndex(rows);

    // Normalisation from the training set only.
    const features = this.meta.inputShape[this.meta.inputShape.length - 1];
    const sum = new Float64Array(features);
    const sq = new Float64Array(features);
    let n = 0;
    for (const r of rows) {
      for (let j = 0; j < r.features.data.length; j++) sum[j % features] += r.features.data[j];
      n += r.features.data.length / features;
    }
    for (const r of rows)
      for (let j = 0; j < r.features.data.length; j++)
        sq[j % features] += (r.features.data[j] - sum[j % features] / n) ** 2;
    this.meta.normalization = {
      mean: Array.from(sum, (s) => s / n),
      std: Array.from(sq, (s) => Math.sqrt(s / n) || 1),
    };

    // Class weights and a weighted, optionally smoothed cross-entropy.
    const counts = new Array<number>(k).fill(0);
    for (const i of y) counts[i]++;
    const weights = counts.map((c) =>
      options.classWeights === 'none' || c === 0 ? 1 : rows.length / (k * c),
    );
    const lossConfig: LossConfig = { k, eps: options.labelSmoothing ?? 0, classWeights: weights };
    const { loss, dispose: disposeLoss } = makeLoss(tf, lossConfig);
    const learningRate = options.learningRate ?? 1e-3;
    const optimizer = tf.train.adam(learningRate);
    this.net.compile({ optimizer, loss });
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `EmotionModel.fit: 'workers' must be an integer ≥ 1, got ${String(workers)}.`,
      );
    const replicas =
      workers > 1
        ? await startReplicas(workers - 1, this.net, {
            backend: tf.getBackend(),
            loss: lossConfig,
            learningRate,
          })
        : null;
    const vars = this.net.trainableWeights.map((w) => w.read() as TF.Variable);

    const x = this.normalised(rows.map((r) => r.features));
    const per = this.meta.inputShape.reduce((a, b) => a * b, 1);
    const yOne = tf.oneHot(tf.tensor1d(y, 'int32'), k);
    const random = seededRandom(options.seed ?? 0);
    // A seeded tfjs Dropout layer draws the same mask at every call; giving each dropout layer a
    // fresh seed from our generator before every batch makes the masks differ per step and the run
    // repeatable.
    const dropouts = this.net.layers.filter((l) => l.getClassName() === 'Dropout').length;
    const log: EpochLog[] = [];
    let best = { ua: Number.NEGATIVE_INFINITY, epoch: -1, weights: null as TF.Tensor[] | null };
    let stopped: TrainingSummary['stopped'] = 'epochs';
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        const t0 = performance.now();
        if (schedule === 'cosine')
          // Adam reads its (protected) learningRate at every step.
          (optimizer as unknown as { learningRate: number }).learningRate =
            (learningRate * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
        const order = Array.from({ length: rows.length }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        let lossSum = 0;
        let batches = 0;
        for (let b = 0; b < order.length; b += batchSize) {
          if (options.signal?.aborted) break;
          seedDropouts(
            this.net,
            Array.from({ length: dropouts }, () => Math.floor(random() * 2147483647)),
          );
          const batch = order.slice(b, b + batchSize);
          const data = new Float32Array(batch.length * per);
          batch.forEach((r, i) => data.set(x.subarray(r * per, (r + 1) * per), i * per));
          if (augment)
            augmentBatch(data, batch.length, this.meta.inputShape, this.blockSize(), augment, random);
          if (replicas) {
            lossSum += await this.parallelStep(tf, replicas, optimizer, vars, loss, data, y, batch, random);
            batches++;
            continue;
          }
          const xb = tf.tensor(data, [batch.length, ...this.meta.inputShape]);
          const idx = tf.tensor1d(batch, 'int32');
          const yb = tf.gather(yOne, idx);
          const l = (await this.net.trainOnBatch(xb, yb)) as number;
          tf.dispose([idx, xb, yb]);
          lossSum += l;
          batches++;
        }
        if (options.signal?.aborted) {
          stopped = 'aborted';
          break;
        }
        if (replicas) await this.averageMovingStats(tf, replicas);
        const entry: EpochLog = {
          epoch,
          loss: lossSum / Math.max(1, batches),
          seconds: (performance.now() - t0) / 1000,
        };
        if (val) entry.validationUA = (await this.evaluate(val)).unweightedAccuracy;
        log.push(entry);
        const score = entry.validationUA ?? -entry.loss;
        if (score > best.ua) {
          tf.dispose(best.weights ?? []);
          best = { ua: score, epoch, weights: this.net.getWeights().map((w) => w.clone()) };
        }
        await options.onEpochEnd?.(epoch, entry);
        if (epoch - best.epoch >= patience) {
          stopped = 'early-stopping';
          break;
        }
      }
      if (best.weights) this.net.setWeights(best.weights);
    } finally {
      tf.dispose([yOne, ...(best.weights ?? [])]);
      disposeLoss();
      await Promise.all((replicas ?? []).map((r) => r.close()));
    }
    this.meta.training = {
      epochs: log,
      bestEpoch: best.epoch,
      stopped,
      trainCount: rows.length,
      workers: (replicas?.length ?? 0) + 1,
    };
    return this.meta.training;
  }

  /** One data-parallel step: shards to the replicas and this thread, averaged gradients applied everywhere. */
  private async parallelStep(
    tf: typeof TF,
    replicas: Replica[],
    optimizer: TF.AdamOptimizer,
    vars: TF.Variable[],
    loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar,
    data: Float32Array,
    y: Int32Array,
    batch: number[],
    random: () => number,
  ): Promise<number> {
    const shape = this.meta.inputShape;
    const per = shape.reduce((a, b) => a * b, 1);
    const parts = replicas.length + 1;
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * batch.length) / parts));
    const dropouts = this.net.layers.filter((l) => l.getClassName() === 'Dropout').length;
    const seeds = Array.from({ length: parts }, () =>
      Array.from({ length: Math.max(1, dropouts) }, () => Math.floor(random() * 2147483647)),
    );
    const labels = Int32Array.from(batch, (r) => y[r]);
    const remote = replicas.map((rep, i) => {
      const [a, b] = [bounds[i + 1], bounds[i + 2]];
      return b > a
        ? rep.grads(data.slice(a * per, b * per), [b - a, ...shape], labels.slice(a, b), seeds[i + 1])
        : Promise.resolve(null);
    });
    seedDropouts(this.net, seeds[0]);
    const n0 = bounds[1];
    const x0 = tf.tensor(data.subarray(0, n0 * per), [n0, ...shape]);
    const y0 = tf.oneHot(tf.tensor1d(labels.subarray(0, n0), 'int32'), this.meta.labels.length);
    const own = shardGradients(tf, this.net, loss, x0, y0);
    tf.dispose([x0, y0]);
    const sums = own.grads.map((g) => {
      const d = g.dataSync() as Float32Array;
      const out = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = d[i] * n0;
      return out;
    });
    tf.dispose(own.grads);
    let lossSum = own.loss * n0;
    for (const [i, r] of (await Promise.all(remote)).entries()) {
      if (!r) continue;
      const n = bounds[i + 2] - bounds[i + 1];
      lossSum += r.loss * n;
      r.grads.forEach((g, j) => {
        const s = sums[j];
        for (let q = 0; q < g.length; q++) s[q] += g[q] * n;
      });
    }
    for (const s of sums) for (let q = 0; q < s.length; q++) s[q] /= batch.length;
    const lr = (optimizer as unknown as { learningRate: number }).learningRate;
    for (const r of replicas) r.apply(sums, lr);
    const named = vars.map((v, j) => ({ name: v.name, tensor: tf.tensor(sums[j], v.shape) }));
    optimizer.applyGradients(named);
    tf.dispose(named.map((n) => n.tensor));
    return lossSum / batch.length;
  }

  /** Sets the batch-norm moving statistics to their mean over this thread and the replicas. */
  private async averageMovingStats(tf: typeof TF, replicas: Replica[]): Promise<void> {
    const all = await Promise.all(replicas.map((r) => r.movingStats()));
    for (const [j, w] of this.net.nonTrainableWeights.entries()) {
      const mine = w.read().dataSync() as Float32Array;
      const avg = Float32Array.from(mine);
      for (const other of all) for (let q = 0; q < avg.length; q++) avg[q] += other[j][q];
      for (let q = 0; q < avg.length; q++) avg[q] /= all.length + 1;
      w.write(tf.tensor(avg, w.shape as number[]));
    }
  }

  /** Width of one block of features (the base features; each delta order repeats it). */
  private blockSize(): number {
    return this.meta.inputShape[this.meta.inputShape.length - 1] / (this.meta.featureSpec.deltas + 1);
  }

  /** Class probabilities for feature matrices made with the model's spec, one row per item. */
  async predictFeatures(matrices: FeatureMatrix[]): Promise<Float32Array[]> {
    const tf = await loadTf();
    const out: Float32Array[] = [];
    for (let b = 0; b < matrices.length; b += 64) {
      const x = this.inputs(tf, matrices.slice(b, b + 64));
      const p = this.net.predict(x) as TF.Tensor;
      const data = (await p.data()) as Float32Array;
      tf.dispose([x, p]);
      const k = this.meta.labels.length;
      for (let i = 0; i < data.length / k; i++) out.push(data.slice(i * k, (i + 1) * k));
    }
    return out;
  }

  /**
   * Scores the model on labelled rows (see {@link Evaluation}). With `labels`, predictions are
   * restricted to those labels (as {@link EmotionModel.predict} does) and the confusion matrix has
   * their rows only: how a dataset that carries fewer emotions than the model knows is scored.
   * `labels: 'data'` takes the labels the rows carry.
   */
  async evaluate(
    data: FeatureSet | FeatureRow[],
    options: { labels?: string[] | 'data' } = {},
  ): Promise<Evaluation> {
    checkKnownOptions('EmotionModel.evaluate', options, ['labels']);
    const rows = rowsOf(data, this.meta.featureSpec, 'the evaluation data');
    this.labelIndex(rows);
    const wanted = options.labels === 'data' ? [...new Set(rows.map((r) => r.label))] : options.labels;
    const allowed = resolveLabelSet('EmotionModel.evaluate', wanted, this.meta.labels);
    const outside = allowed ? [...new Set(rows.map((r) => r.label))].filter((l) => !allowed.includes(l)) : [];
    if (outside.length)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `EmotionModel.evaluate: the rows carry ${outside.map((l) => `'${l}'`).join(', ')}, which 'labels' leaves out. Drop those rows or add the labels.`,
      );
    const probs = await this.predictFeatures(rows.map((r) => r.features));
    const predicted = probs.map((p) => scoresOf(p, this.meta.labels, allowed).label);
    return evaluatePredictions(
      rows.map((r) => r.label),
      predicted,
      allowed ?? this.meta.labels,
    );
  }

  /**
   * Predicts the emotion of a recording at any sample rate (resampled to the model's). Silent, too
   * short or noise-like audio gets `label: null` and a `warning` instead of a confident guess.
   */
  async predict(
    signal: Float32Array | Float64Array,
    options: { sampleRate: number; labels?: string[] },
  ): Promise<Prediction> {
    checkKnownOptions('EmotionModel.predict', options, ['sampleRate', 'labels']);
    return (
      await this.predictBatch([{ signal, sampleRate: options?.sampleRate }], { labels: options?.labels })
    )[0];
  }

  /**
   * {@link EmotionModel.predict} for several recordings, batched. `labels` restricts every
   * prediction to those emotions: the label is the likeliest of them, and their scores are
   * renormalised to sum to 1 (for an app that only cares about, say, angry versus neutral).
   */
  async predictBatch(
    inputs: { signal: Float32Array | Float64Array; sampleRate: number }[],
    options: { labels?: string[] } = {},
  ): Promise<Prediction[]> {
    checkKnownOptions('EmotionModel.predictBatch', options, ['labels']);
    const allowed = resolveLabelSet('EmotionModel.predictBatch', options.labels, this.meta.labels);
    const results: (Prediction | FeatureMatrix)[] = inputs.map(({ signal, sampleRate }) => {
      try {
        const features = computeFeatures(signal, sampleRate, this.meta.featureSpec);
        return withheld(undefined, noiseLikeness(signal, sampleRate)) ?? features;
      } catch (e) {
        const none = e instanceof SpeechEmotionError ? withheld(e.code) : null;
        if (none) return none;
        throw e;
      }
    });
    const matrices = results.filter((r): r is FeatureMatrix => 'data' in r);
    const probs = await this.predictFeatures(matrices);
    let at = 0;
    return results.map((r) => {
      if (!('data' in r)) return r;
      return scoresOf(probs[at++], this.meta.labels, allowed);
    });
  }

  /**
   * The emotion over time in a long recording: the model's prediction for each window of `window`
   * seconds, every `hop` seconds (the last window ends at the end of the signal). Windows are
   * analysed a batch at a time, so memory stays bounded however long the recording; silent windows
   * get `label: null` and `warning: 'silent'`.
   */
  async predictTimeline(
    signal: Float32Array | Float64Array,
    options: TimelineOptions,
  ): Promise<TimelineSegment[]> {
    checkKnownOptions('EmotionModel.predictTimeline', options, [
      'sampleRate',
      'window',
      'hop',
      'onSegment',
      'labels',
    ]);
    const { sampleRate } = options ?? ({} as TimelineOptions);
    const fn = 'EmotionModel.predictTimeline';
    if (!Number.isInteger(sampleRate) || sampleRate <= 0)
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: 'sampleRate' must be a positive integer (Hz).`);
    const { winLen, hopLen } = timelineWindows(fn, options, this.meta.featureSpec);
    const starts: number[] = [];
    if (signal.length <= winLen) starts.push(0);
    else {
      for (let s = 0; s + winLen <= signal.length; s += hopLen) starts.push(s);
      const last = signal.length - winLen;
      if (starts[starts.length - 1] < last) starts.push(last);
    }
    const segments: TimelineSegment[] = [];
    const batch = 16;
    for (let b = 0; b < starts.length; b += batch) {
      const chunk = starts.slice(b, b + batch);
      const predictions = await this.predictBatch(
        chunk.map((s) => ({ signal: signal.subarray(s, Math.min(signal.length, s + winLen)), sampleRate })),
        { labels: options.labels },
      );
      for (const [i, p] of predictions.entries()) {
        const start = chunk[i] / sampleRate;
        const end = Math.min(signal.length, chunk[i] + winLen) / sampleRate;
        const segment: TimelineSegment = { start, end, ...p };
        segments.push(segment);
        await options.onSegment?.(segment);
      }
    }
    return segments;
  }

  /**
   * {@link EmotionModel.predictTimeline} for audio that arrives in chunks: a microphone, a network
   * stream, a file read piece by piece. Each window is predicted as soon as its last sample has
   * arrived, and only the samples of the current window are kept, so memory stays constant over any
   * length. The segments equal `predictTimeline` on the whole signal, the last (aligned to the end,
   * when the length is not a whole number of hops) included.
   *
   * @param chunks - Mono samples at `sampleRate`, in order, as an async or sync iterable.
   * @param options - `sampleRate`, `window`, `hop` as for predictTimeline.
   * @returns Segments, in order, as they are ready.
   *
   * @example
   * ```ts
   * for await (const seg of model.predictStream(microphoneChunks, { sampleRate: 48000 }))
   *   console.log(seg.start, seg.label);
   * ```
   */
  predictStream(
    chunks: AsyncIterable<Float32Array | Float64Array> | Iterable<Float32Array | Float64Array>,
    options: Omit<TimelineOptions, 'onSegment'>,
  ): AsyncGenerator<TimelineSegment> {
    const fn = 'EmotionModel.predictStream';
    checkKnownOptions(fn, options, ['sampleRate', 'window', 'hop', 'labels']);
    const { sampleRate } = options ?? ({} as TimelineOptions);
    if (!Number.isInteger(sampleRate) || sampleRate <= 0)
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: 'sampleRate' must be a positive integer (Hz).`);
    const { winLen, hopLen } = timelineWindows(fn, options, this.meta.featureSpec);
    return streamWindows(chunks, winLen, hopLen, sampleRate, (windows) =>
      this.predictBatch(
        windows.map((w) => ({ signal: w, sampleRate })),
        { labels: options.labels },
      ),
    );
  }

  /**
   * Saves the model: a tfjs-layers `model.json` (with the labels, FeatureSpec, normalisation and
   * training summary in its `userDefinedMetadata`) and `weights.bin`. In Node, give a folder path;
   * anywhere, a tfjs IOHandler or URL scheme (`indexeddb://…`, `downloads://…`).
   */
  async save(destination: string | TF.io.IOHandler): Promise<void> {
    await saveNetwork(this.net, this.meta, destination);
  }

  /**
   * Loads a saved model: a folder (or its `model.json`) in Node, a URL of `model.json` in browsers,
   * or any tfjs IOHandler. With no argument, loads the default model shipped in the package
   * (`models/default`, see its model card), from the installed package in Node and through a
   * bundler-resolved URL in browsers; nothing is downloaded from elsewhere. Refuses files that are not speech-emotion models, a FeatureSpec of
   * another format version, missing labels, and weights that do not fit the network.
   */
  static async load(source?: string | TF.io.IOHandler): Promise<EmotionModel> {
    const { net, meta } = await loadNetwork(source);
    return new EmotionModel(net, meta);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.net.dispose();
  }
}
