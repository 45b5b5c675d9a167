// The training loop behind EmotionModel.fit: options checked once, normalisation and class weights
// learnt from the training rows, then epochs of shuffled batches (on this thread, or split over
// data-parallel replicas), keeping the weights of the best epoch.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { checkKnownOptions, invalid } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import { seededRandom } from '../util/math.js';
import { fastDropouts } from './dropout.js';
import { registerGradients } from './gradients.js';
import { stackNormalised } from './inference.js';
import type { Metadata } from './metadata.js';
import type { EpochLog, FitOptions, TrainingSummary } from './options.js';
import {
  type LossConfig,
  type ParallelContext,
  type Replica,
  averageMovingStats,
  exactAdam,
  learningRate,
  makeLoss,
  seedDropouts,
  startReplicas,
  trainStep,
} from './parallel.js';
import { type FullAugment, augmentBatch, checkAugment, mixBatch } from './spec-augment.js';
import { loadTf } from './tf.js';
import { fusedConvolutions, setFusedConvolutions } from './wasm-conv1d.js';

const FIT_OPTIONS = [
  'validation',
  'epochs',
  'batchSize',
  'learningRate',
  'weightDecay',
  'earlyStopping',
  'classWeights',
  'labelSmoothing',
  'seed',
  'augment',
  'schedule',
  'averageEpochs',
  'softTargets',
  'normalizationRows',
  'workers',
  'fusedMultiplyAdd',
  'onEpochEnd',
  'signal',
];

/** FitOptions with their defaults applied and checked. */
interface FitSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  patience: number;
  schedule: 'constant' | 'cosine';
  /** Epochs averaged at the end (0: off). */
  average: number;
  augment: FullAugment | null;
  workers: number;
  /** {@link FitOptions.fusedMultiplyAdd}. */
  fused: boolean;
  seed: number;
  /** Soft targets of every row (rows × labels) and their weight, or null. */
  soft: { scores: Float32Array; weight: number } | null;
}

function fitSettings(options: FitOptions, inputShape: number[], validating: boolean): FitSettings {
  const fn = 'EmotionModel.fit';
  checkKnownOptions(fn, options, FIT_OPTIONS);
  const schedule = options.schedule ?? 'constant';
  if (schedule !== 'constant' && schedule !== 'cosine')
    throw invalid(fn, `'schedule' must be 'constant' or 'cosine', got ${String(schedule)}.`);
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1)
    throw invalid(fn, `'workers' must be an integer ≥ 1, got ${String(workers)}.`);
  const fused = options.fusedMultiplyAdd ?? true;
  if (typeof fused !== 'boolean')
    throw invalid(fn, `'fusedMultiplyAdd' must be true or false, got ${String(fused)}.`);
  checkClassWeights(fn, options.classWeights, options.augment?.mixup);
  const weightDecay = checkWeightDecay(fn, options.weightDecay);
  const epochs = options.epochs ?? 30;
  const average = options.averageEpochs ?? 0;
  if (average !== 0 && !(Number.isInteger(average) && average >= 2 && average <= epochs))
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: 'averageEpochs' must be 0 or an integer from 2 to epochs (${epochs}), got ${String(average)}.`,
    );
  return {
    epochs,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? 1e-3,
    weightDecay,
    patience:
      options.earlyStopping === false || !validating || average > 0
        ? Number.POSITIVE_INFINITY
        : (options.earlyStopping?.patience ?? 8),
    schedule,
    average,
    augment: checkAugment(options.augment, inputShape),
    workers,
    fused,
    seed: options.seed ?? 0,
    soft: null,
  };
}

/** `weightDecay` checked (for `fit` and for recipes); left out, 0. @internal */
export function checkWeightDecay(fn: string, weightDecay: unknown): number {
  const value = weightDecay ?? 0;
  if (!(typeof value === 'number' && value >= 0 && value < 1))
    throw invalid(fn, `'weightDecay' must be a number from 0 to under 1, got ${JSON.stringify(value)}.`);
  return value;
}

/** `classWeights` checked (for `fit` and for recipes); left out, `'balanced'`. @internal */
export function checkClassWeights(
  fn: string,
  classWeights: unknown,
  mixup: number | undefined,
): NonNullable<FitOptions['classWeights']> {
  const value = classWeights ?? 'balanced';
  if (value !== 'balanced' && value !== 'balanced-per-dataset' && value !== 'none')
    throw invalid(
      fn,
      `'classWeights' must be 'balanced', 'balanced-per-dataset' or 'none', got ${JSON.stringify(value)}.`,
    );
  if (value === 'balanced-per-dataset' && mixup)
    throw invalid(fn, `'classWeights' 'balanced-per-dataset' does not combine with 'augment.mixup'.`);
  return value;
}

/** `softTargets` checked against the rows and labels, flattened to rows × labels. */
function softTargetsOf(soft: FitOptions['softTargets'], rows: number, k: number): FitSettings['soft'] {
  if (soft === undefined) return null;
  const fn = 'EmotionModel.fit';
  const bad = (what: string) => new SpeechEmotionError('INVALID_OPTION', `${fn}: 'softTargets' ${what}.`);
  if (soft === null || typeof soft !== 'object' || !Array.isArray(soft.scores))
    throw bad('must be { scores, weight }');
  checkKnownOptions(`${fn} softTargets`, soft, ['scores', 'weight']);
  if (typeof soft.weight !== 'number' || !(soft.weight > 0 && soft.weight <= 1))
    throw bad(`weight must be in (0, 1], got ${JSON.stringify(soft.weight)}`);
  if (soft.scores.length !== rows)
    throw bad(`has ${soft.scores.length} score rows for ${rows} training rows`);
  const scores = new Float32Array(rows * k);
  soft.scores.forEach((p, i) => {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p?.[j] >= 0 ? p[j] : Number.NaN;
    if (p?.length !== k || !(Math.abs(sum - 1) < 1e-3))
      throw bad(`row ${i} is not a distribution over the ${k} labels`);
    for (let j = 0; j < k; j++) scores[i * k + j] = p[j];
  });
  return { scores, weight: soft.weight };
}

/** Mean and standard deviation of every feature over all frames of the rows (two passes, float64). */
export function learnNormalisation(rows: FeatureRow[], features: number): Metadata['normalization'] {
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
  return {
    mean: Array.from(sum, (s) => s / n),
    std: Array.from(sq, (s) => Math.sqrt(s / n) || 1),
  };
}

/** The index of every row's label among the model's labels; an unknown label is an error. */
export function labelIndex(rows: FeatureRow[], labels: readonly string[]): Int32Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  return Int32Array.from(rows, (r) => {
    const i = index.get(r.label);
    if (i === undefined)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `label '${r.label}' of ${r.path} is not one of the model's labels (${labels.join(', ')}).`,
      );
    return i;
  });
}

/** 'balanced' weighs each class by N / (K · count); 'none' (or an absent class) weighs 1. */
function balancedWeights(y: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  return counts.map((c) => (c === 0 ? 1 : y.length / (k * c)));
}

/**
 * The loss's configuration and, for `'balanced-per-dataset'`, every row's weight: the weight
 * `'balanced'` gives the row's class among the rows of its dataset alone.
 */
function lossConfigOf(
  rows: FeatureRow[],
  y: Int32Array,
  k: number,
  options: FitOptions,
): { config: LossConfig; rowWeights: Float32Array | null } {
  const eps = options.labelSmoothing ?? 0;
  if (options.classWeights === 'none')
    return { config: { k, eps, classWeights: new Array(k).fill(1) }, rowWeights: null };
  if (options.classWeights !== 'balanced-per-dataset')
    return { config: { k, eps, classWeights: balancedWeights(y, k) }, rowWeights: null };
  const byDataset = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const d = String(r.dataset ?? '');
    const index = byDataset.get(d) ?? [];
    index.push(i);
    byDataset.set(d, index);
  });
  const rowWeights = new Float32Array(rows.length);
  for (const index of byDataset.values()) {
    const w = balancedWeights(
      index.map((i) => y[i]),
      k,
    );
    for (const i of index) rowWeights[i] = w[y[i]];
  }
  return { config: { k, eps, classWeights: new Array(k).fill(1), rowWeighted: true }, rowWeights };
}

/** The rows `batch` of `x` and their targets (one-hot, mixed with soft targets when given), augmented as `s` says (SpecAugment and shift on series, then mixup). */
function batchOf(
  c: ParallelContext,
  x: Float32Array,
  batch: number[],
  s: FitSettings,
  blockSize: number,
  random: () => number,
  room: { data: Float32Array; targets: Float32Array },
): { data: Float32Array; targets: Float32Array } {
  const per = c.inputShape.reduce((a, b) => a * b, 1);
  const k = c.labels;
  // Views of arrays reused from batch to batch (a step is done with its batch before the next).
  const data = room.data.subarray(0, batch.length * per);
  batch.forEach((r, i) => data.set(x.subarray(r * per, (r + 1) * per), i * per));
  const targets = room.targets.subarray(0, batch.length * k).fill(0);
  batch.forEach((r, i) => {
    if (s.soft) for (let j = 0; j < k; j++) targets[i * k + j] = s.soft.weight * s.soft.scores[r * k + j];
    targets[i * k + c.y[r]] += 1 - (s.soft?.weight ?? 0);
    if (c.rowWeights) for (let j = 0; j < k; j++) targets[i * k + j] *= c.rowWeights[r];
  });
  if (s.augment && c.inputShape.length === 2)
    augmentBatch(data, batch.length, c.inputShape, blockSize, s.augment, random);
  if (s.augment?.mixup) mixBatch(data, targets, batch.length, s.augment.mixup, random);
  return { data, targets };
}

/** A Fisher–Yates shuffle of 0…n−1 drawn from `random`. */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The input normalisation `fit` learns: from `normalizationRows` when given, else the training rows. */
function normalisationOf(rows: FeatureRow[], options: FitOptions, features: number) {
  const normRows = options.normalizationRows ?? rows;
  if (!Array.isArray(normRows) || normRows.length === 0)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `EmotionModel.fit: 'normalizationRows' must be a non-empty array of rows.`,
    );
  return learnNormalisation(normRows, features);
}

/**
 * Trains `net` on `rows`, writing the learnt normalisation and the training summary into `meta`.
 * `validate` scores the validation rows (their UA) after each epoch when there are any.
 */
export async function fitNetwork(
  net: TFL.LayersModel,
  meta: Metadata,
  rows: FeatureRow[],
  validate: (() => Promise<number>) | null,
  options: FitOptions,
): Promise<TrainingSummary> {
  const s = fitSettings(options, meta.inputShape, validate !== null);
  if (rows.length === 0)
    throw new SpeechEmotionError('INVALID_OPTION', 'EmotionModel.fit: no training rows.');
  const tf = await loadTf();
  registerGradients(tf); // after tfjs-layers has loaded, which would undo it (see registerGradients)
  const k = meta.labels.length;
  const y = labelIndex(rows, meta.labels);
  s.soft = softTargetsOf(options.softTargets, rows.length, k);
  meta.normalization = normalisationOf(rows, options, meta.inputShape[meta.inputShape.length - 1]);
  const { config: lossConfig, rowWeights } = lossConfigOf(rows, y, k, options);
  const { loss, dispose: disposeLoss } = makeLoss(tf, lossConfig);
  const optimizer = tf.train.adam(s.learningRate);
  net.compile({ optimizer, loss });
  const replicas = await replicasOf(tf, net, s, lossConfig, meta.inputShape);
  const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
  const c: ParallelContext = {
    tf,
    net,
    inputShape: meta.inputShape,
    labels: k,
    y,
    rowWeights,
    optimizer,
    adam: exactAdam(tf, optimizer, vars, replicas !== null),
    loss,
    replicas,
    vars,
    weightDecay: s.weightDecay,
  };
  const features = rows.map((r) => r.features);
  const x = stackNormalised(features, meta.inputShape, meta.normalization);
  const best: Kept = { score: Number.NEGATIVE_INFINITY, epoch: -1, weights: null, averaged: 0 };
  const fusedBefore = fusedConvolutions(); // this thread's setting, put back after
  try {
    const fused = setFusedConvolutions(s.fused) && tf.getBackend() === 'wasm';
    const { log, stopped } = await runEpochs(c, x, s, meta, validate, options, best);
    restoreKept(tf, net, best);
    meta.training = {
      epochs: log,
      bestEpoch: best.epoch,
      ...(best.averaged > 0 ? { averagedEpochs: best.averaged } : {}),
      stopped,
      trainCount: rows.length,
      workers: (replicas?.length ?? 0) + 1,
      ...(fused ? { fusedMultiplyAdd: true as const } : {}),
    };
    return meta.training;
  } finally {
    setFusedConvolutions(fusedBefore);
    tf.dispose(best.weights ?? []);
    disposeLoss();
    await Promise.all((replicas ?? []).map((r) => r.close()));
  }
}

/** The data-parallel replicas `s` asks for (`workers` − 1 of them), or null for one thread. */
async function replicasOf(
  tf: typeof TF,
  net: TFL.LayersModel,
  s: FitSettings,
  loss: LossConfig,
  inputShape: number[],
): Promise<Replica[] | null> {
  if (s.workers <= 1) return null;
  return startReplicas(s.workers - 1, net, {
    backend: tf.getBackend(),
    loss,
    fused: s.fused,
    inputShape,
    rows: Math.ceil(s.batchSize / s.workers),
  });
}

/**
 * The weights {@link runEpochs} keeps: the best epoch's (its score and a copy of its weights), or,
 * with `averageEpochs`, the sum of the last epochs' weights and how many were summed.
 */
interface Kept {
  score: number;
  epoch: number;
  weights: TF.Tensor[] | null;
  averaged: number;
}

/** Adds the network's weights at the end of `epoch` to `kept`: the best so far, or the running sum. */
function keepWeights(tf: typeof TF, net: TFL.LayersModel, kept: Kept, epoch: number, score: number): void {
  const now = net.getWeights();
  if (kept.averaged > 0 && kept.weights) {
    const sum = kept.weights;
    kept.weights = tf.tidy(() => sum.map((w, i) => tf.add(w, now[i])));
    tf.dispose(sum);
  } else {
    tf.dispose(kept.weights ?? []);
    kept.weights = now.map((w) => w.clone());
  }
  Object.assign(kept, { score, epoch });
}

/** Gives `net` the kept weights: the mean of the averaged epochs', or the best epoch's. */
function restoreKept(tf: typeof TF, net: TFL.LayersModel, kept: Kept): void {
  if (kept.averaged > 0) {
    const mean = tf.tidy(() => (kept.weights ?? []).map((w) => tf.div(w, kept.averaged)));
    net.setWeights(mean);
    tf.dispose(mean);
  } else if (kept.weights) net.setWeights(kept.weights);
}

/** The epochs of {@link fitNetwork}; `best` receives the kept epoch and a copy of its weights. */
async function runEpochs(
  c: ParallelContext,
  x: Float32Array,
  s: FitSettings,
  meta: Metadata,
  validate: (() => Promise<number>) | null,
  options: FitOptions,
  best: Kept,
): Promise<{ log: EpochLog[]; stopped: TrainingSummary['stopped'] }> {
  const { tf, net } = c;
  const blockSize = meta.inputShape[meta.inputShape.length - 1] / (meta.featureSpec.deltas + 1);
  const random = seededRandom(s.seed);
  // A seeded tfjs Dropout layer draws the same mask at every call; giving each dropout layer a fresh
  // seed from our generator before every batch makes the masks differ per step and the run repeatable.
  const dropouts = net.layers.filter((l) => l.getClassName() === 'Dropout').length;
  fastDropouts(tf, net);
  const log: EpochLog[] = [];
  const per = meta.inputShape.reduce((a, b) => a * b, 1);
  const room = {
    data: new Float32Array(s.batchSize * per),
    targets: new Float32Array(s.batchSize * c.labels),
  };
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    const t0 = performance.now();
    // With averaging, the schedule stops where the averaged epochs begin.
    const at = s.average > 0 ? Math.min(epoch, s.epochs - s.average) : epoch;
    if (s.schedule === 'cosine')
      learningRate(c.optimizer, (s.learningRate * (1 + Math.cos((Math.PI * at) / s.epochs))) / 2);
    const order = shuffled(c.y.length, random);
    let lossSum = 0;
    let batches = 0;
    for (let b = 0; b < order.length; b += s.batchSize) {
      if (options.signal?.aborted) return { log, stopped: 'aborted' };
      seedDropouts(
        net,
        Array.from({ length: dropouts }, () => Math.floor(random() * 2147483647)),
      );
      const batch = order.slice(b, b + s.batchSize);
      const { data, targets } = batchOf(c, x, batch, s, blockSize, random, room);
      lossSum += await trainStep(c, data, targets, batch.length, random);
      batches++;
    }
    if (c.replicas) await averageMovingStats(tf, net, c.replicas);
    const entry: EpochLog = {
      epoch,
      loss: lossSum / Math.max(1, batches),
      seconds: (performance.now() - t0) / 1000,
    };
    if (validate) entry.validationUA = await validate();
    log.push(entry);
    const score = entry.validationUA ?? -entry.loss;
    if (s.average > 0 && epoch >= s.epochs - s.average) {
      keepWeights(tf, net, best, epoch, score);
      best.averaged++;
    } else if (score > best.score && s.average === 0) keepWeights(tf, net, best, epoch, score);
    await options.onEpochEnd?.(epoch, entry);
    if (epoch - best.epoch >= s.patience) return { log, stopped: 'early-stopping' };
  }
  return { log, stopped: 'epochs' };
}
