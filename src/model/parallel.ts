import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { isNode, nodeModule } from '../util/node-only.js';
import { ExactAdam, type ShardGradients } from './adam.js';

/** What a training replica needs to rebuild the loss. @internal */
export interface LossConfig {
  /** Classes. */
  k: number;
  /** Label smoothing ε. */
  eps: number;
  /** Weight per class. */
  classWeights: number[];
  /**
   * The targets carry each row's weight: a row's target sums to its weight (the class weights are
   * then all 1), and the loss divides it out before comparing it with the prediction.
   */
  rowWeighted?: boolean;
}

/** The weighted, optionally smoothed cross-entropy `fit` trains with, and a way to free its class weights. @internal */
export function makeLoss(
  tf: typeof TF,
  c: LossConfig,
): { loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar; dispose: () => void } {
  const w = tf.tensor1d(c.classWeights);
  const crossEntropy = (t: TF.Tensor, yPred: TF.Tensor) => {
    const target = c.eps ? tf.add(tf.mul(t, 1 - c.eps), c.eps / c.k) : t;
    return tf.sum(tf.mul(target, tf.neg(tf.log(tf.clipByValue(yPred, 1e-7, 1)))), -1);
  };
  return {
    loss: (yTrue, yPred) =>
      tf.tidy(() => {
        if (c.rowWeighted) {
          const weight = tf.sum(yTrue, -1, true);
          const perItem = crossEntropy(tf.div(yTrue, weight), yPred);
          return tf.mean(tf.mul(perItem, tf.reshape(weight, [-1]))) as TF.Scalar;
        }
        return tf.mean(tf.mul(crossEntropy(yTrue, yPred), tf.sum(tf.mul(yTrue, w), -1))) as TF.Scalar;
      }),
    dispose: () => w.dispose(),
  };
}

/** Sets the seed of every Dropout layer of a network, in layer order. @internal */
export function seedDropouts(net: TFL.LayersModel, seeds: number[]): void {
  let i = 0;
  for (const l of net.layers)
    if (l.getClassName() === 'Dropout') (l as unknown as { seed?: number }).seed = seeds[i++ % seeds.length];
}

/**
 * Loss and gradients (in trainable-weight order; null for a weight the loss does not depend on) of
 * one shard, `x` and `y` (disposed), updating batch-norm statistics. @internal
 */
export function shardGradients(
  tf: typeof TF,
  net: TFL.LayersModel,
  loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar,
  x: TF.Tensor,
  y: TF.Tensor,
): { loss: number; grads: (Float32Array | null)[] } {
  const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
  const { value, grads } = tf.variableGrads(
    () => loss(y, net.apply(x, { training: true }) as TF.Tensor),
    vars,
  );
  const out = {
    loss: value.dataSync()[0],
    grads: vars.map((v) => (grads[v.name]?.dataSync() as Float32Array | undefined) ?? null),
  };
  tf.dispose([value, x, y, ...Object.values(grads)]);
  return out;
}

/** One other thread holding a copy of the network. @internal */
export interface Replica {
  /** Loss and gradients of a shard. */
  grads(
    x: Float32Array,
    shape: number[],
    y: Float32Array,
    seeds: number[],
  ): Promise<{ loss: number; grads: (Float32Array | null)[] }>;
  /** Gives the replica the weights after a step (all tensors one after the other, in weight order). */
  setWeights(weights: Float32Array): void;
  /** The replica's non-trainable weights (batch-norm moving statistics), in weight order. */
  movingStats(): Promise<Float32Array[]>;
  /** Ends the thread. */
  close(): Promise<void>;
}

/**
 * Starts `count` replicas of `net` in worker threads (Node only; `null` elsewhere, or when running
 * from the TypeScript sources without the compiled worker).
 * @internal
 */
export async function startReplicas(
  count: number,
  net: TFL.LayersModel,
  setup: { backend: string; loss: LossConfig; fused: boolean },
): Promise<Replica[] | null> {
  if (count < 1 || !isNode()) return null;
  const url = new URL('./train-worker.js', import.meta.url);
  const fs = await nodeModule<typeof import('node:fs')>('node:fs');
  const nodeUrl = await nodeModule<typeof import('node:url')>('node:url');
  if (url.protocol !== 'file:' || !fs.existsSync(nodeUrl.fileURLToPath(url))) return null;
  const { Worker } = await nodeModule<typeof import('node:worker_threads')>('node:worker_threads');
  const weights = net.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const topology = net.toJSON(null, false);
  const replicas: Replica[] = [];
  for (let r = 0; r < count; r++) {
    const worker = new Worker(url, { workerData: { topology, weights, ...setup } });
    worker.unref();
    // Replies come back in request order; a worker error fails every request still waiting.
    let pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
    let failed: unknown = null;
    worker.on('message', (m) => pending.shift()?.resolve(m));
    worker.on('error', (e) => {
      failed = e;
      for (const p of pending.splice(0)) p.reject(e);
    });
    const ask = <T>(msg: object): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (failed) return reject(failed);
        pending.push({ resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage(msg);
      });
    await ask({ type: 'ready' });
    replicas.push({
      grads: (x, shape, y, seeds) => ask({ type: 'grads', x, shape, y, seeds }),
      setWeights: (weights) => worker.postMessage({ type: 'weights', weights }),
      movingStats: () => ask({ type: 'stats' }),
      close: async () => {
        pending = [];
        await worker.terminate();
      },
    });
  }
  return replicas;
}

/** What {@link parallelStep} needs of the training loop. @internal */
export interface ParallelContext {
  tf: typeof TF;
  net: TFL.LayersModel;
  inputShape: number[];
  /** Classes. */
  labels: number;
  /** Label index of every training row (the targets of a step come with its batch). */
  y: Int32Array;
  /** Each training row's loss weight, carried by its target (see {@link LossConfig.rowWeighted}), or null. */
  rowWeights: Float32Array | null;
  optimizer: TF.AdamOptimizer;
  /**
   * The optimizer step ({@link applyStep}; `optimizer` gives its settings and learning rate); null
   * where the backend keeps tensors off the CPU (webgl, webgpu, tfjs-node), so that one thread's
   * steps stay there with tfjs's optimizer.
   */
  adam: ExactAdam | null;
  loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar;
  replicas: Replica[] | null;
  /** The trainable variables, in weight order. */
  vars: TF.Variable[];
  /** Decoupled weight decay ({@link FitOptions.weightDecay}); 0: off. */
  weightDecay: number;
}

/**
 * `fit`'s optimizer step for `optimizer`'s settings, from the variables' weights now: data-parallel
 * (the gradients come as arrays anyway), or where the backend keeps tensors on the CPU (wasm, cpu);
 * else null. @internal
 */
export function exactAdam(
  tf: typeof TF,
  optimizer: TF.AdamOptimizer,
  vars: TF.Variable[],
  parallel: boolean,
): ExactAdam | null {
  if (!parallel && !['wasm', 'cpu'].includes(tf.getBackend())) return null;
  const o = optimizer as unknown as { beta1: number; beta2: number; epsilon: number | null };
  return new ExactAdam(
    vars.map((v) => v.dataSync() as Float32Array),
    vars.map((v) => v.rank),
    { beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon ?? tf.backend().epsilon() },
  );
}

/**
 * One step on a batch of `n` rows (features `data`, targets `targets`): data-parallel with replicas;
 * else {@link ExactAdam} from this thread's gradients, or, without it, tfjs's `trainOnBatch` and
 * the weight decay. Returns the batch's mean loss. @internal
 */
export async function trainStep(
  c: ParallelContext,
  data: Float32Array,
  targets: Float32Array,
  n: number,
  random: () => number,
): Promise<number> {
  if (c.replicas) return parallelStep(c, data, targets, n, random);
  const { tf } = c;
  const xb = tf.tensor(data, [n, ...c.inputShape]);
  const yb = tf.tensor(targets, [n, c.labels]);
  if (c.adam) {
    const { loss, grads } = shardGradients(tf, c.net, c.loss, xb, yb);
    applyStep(c, [{ rows: n, grads }]);
    return loss;
  }
  const l = (await c.net.trainOnBatch(xb, yb)) as number;
  tf.dispose([xb, yb]);
  decayWeights(tf, c.optimizer, c.vars, c.weightDecay);
  return l;
}

/**
 * One data-parallel step: the batch is cut into one shard per thread, the replicas compute their
 * shards' gradients while this thread computes its own, then the gradients, averaged with weights
 * by shard size, take one Adam step here ({@link ExactAdam}, one pass per weight tensor) and the new
 * weights go to every replica, so all copies stay the same. Returns the batch's mean loss. @internal
 */
export async function parallelStep(
  c: ParallelContext,
  data: Float32Array,
  targets: Float32Array,
  n: number,
  random: () => number,
): Promise<number> {
  const { tf, inputShape: shape } = c;
  const replicas = c.replicas ?? [];
  const per = shape.reduce((a, b) => a * b, 1);
  const parts = replicas.length + 1;
  const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * n) / parts));
  const dropouts = c.net.layers.filter((l) => l.getClassName() === 'Dropout').length;
  const seeds = Array.from({ length: parts }, () =>
    Array.from({ length: Math.max(1, dropouts) }, () => Math.floor(random() * 2147483647)),
  );
  const k = c.labels;
  const remote = replicas.map((rep, i) => {
    const [a, b] = [bounds[i + 1], bounds[i + 2]];
    return b > a
      ? rep.grads(data.slice(a * per, b * per), [b - a, ...shape], targets.slice(a * k, b * k), seeds[i + 1])
      : Promise.resolve(null);
  });
  seedDropouts(c.net, seeds[0]);
  const n0 = bounds[1];
  const shards: ShardGradients[] = [];
  let lossSum = 0;
  if (n0 > 0) {
    const x0 = tf.tensor(data.subarray(0, n0 * per), [n0, ...shape]);
    const own = shardGradients(tf, c.net, c.loss, x0, tf.tensor(targets.subarray(0, n0 * k), [n0, k]));
    shards.push({ rows: n0, grads: own.grads });
    lossSum += own.loss * n0;
  }
  for (const [i, r] of (await Promise.all(remote)).entries()) {
    if (!r) continue;
    const rows = bounds[i + 2] - bounds[i + 1];
    lossSum += r.loss * rows;
    shards.push({ rows, grads: r.grads });
  }
  applyStep(c, shards);
  return lossSum / n;
}

/** One optimizer step from the shards' gradients; the new weights go into the variables and to every replica. @internal */
export function applyStep(c: ParallelContext, shards: ShardGradients[]): void {
  const adam = c.adam as ExactAdam;
  adam.step(shards, learningRate(c.optimizer), c.weightDecay);
  for (const r of c.replicas ?? []) r.setWeights(adam.weights);
  assignAll(c.tf, c.vars, adam.weights);
}

/** Gives `vars` the weights of `all` (the tensors one after the other, in order). @internal */
export function assignAll(tf: typeof TF, vars: TF.Variable[], all: Float32Array): void {
  let at = 0;
  for (const v of vars) {
    v.assign(tf.tensor(all.slice(at, at + v.size), v.shape));
    at += v.size;
  }
}

/** Adam's learning rate, which tfjs keeps protected and reads at every step. @internal */
export function learningRate(optimizer: TF.AdamOptimizer, set?: number): number {
  const o = optimizer as unknown as { learningRate: number };
  if (set !== undefined) o.learningRate = set;
  return o.learningRate;
}

/**
 * Decoupled weight decay after a tfjs optimizer step: every weight matrix of `vars` (rank ≥ 2, so
 * kernels but not biases or batch normalisation) times 1 − learning rate · `weightDecay`. @internal
 */
export function decayWeights(
  tf: typeof TF,
  optimizer: TF.AdamOptimizer,
  vars: TF.Variable[],
  weightDecay: number,
): void {
  if (!(weightDecay > 0)) return;
  const keep = 1 - learningRate(optimizer) * weightDecay;
  tf.tidy(() => {
    for (const v of vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
  });
}

/** Sets the batch-norm moving statistics to their mean over this thread and the replicas. @internal */
export async function averageMovingStats(
  tf: typeof TF,
  net: TFL.LayersModel,
  replicas: Replica[],
): Promise<void> {
  const all = await Promise.all(replicas.map((r) => r.movingStats()));
  for (const [j, w] of net.nonTrainableWeights.entries()) {
    const mine = w.read().dataSync() as Float32Array;
    const avg = Float32Array.from(mine);
    for (const other of all) for (let q = 0; q < avg.length; q++) avg[q] += other[j][q];
    for (let q = 0; q < avg.length; q++) avg[q] /= all.length + 1;
    w.write(tf.tensor(avg, w.shape as number[]));
  }
}
