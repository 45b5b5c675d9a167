import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { isNode, nodeModule } from '../util/node-only.js';
import { ExactAdam, type ShardGradients } from './adam.js';
import { Exchange } from './exchange.js';

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
 * one shard, `x` and `y` (disposed), updating batch-norm statistics. With `into` (an array of the
 * right size per weight tensor), the gradients are copied there and returned as those arrays,
 * instead of into new ones (fewer allocations a step, so fewer garbage collections). @internal
 */
export function shardGradients(
  tf: typeof TF,
  net: TFL.LayersModel,
  loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar,
  x: TF.Tensor,
  y: TF.Tensor,
  into?: Float32Array[],
): { loss: number; grads: (Float32Array | null)[] } {
  const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
  const { value, grads } = tf.variableGrads(
    () => loss(y, net.apply(x, { training: true }) as TF.Tensor),
    vars,
  );
  // The wasm backend's dataSync copies out of its heap into a new array: read the heap directly.
  const heap = (tf.backend() as unknown as { typedArrayFromHeap?: (t: TF.TensorInfo) => Float32Array })
    .typedArrayFromHeap;
  const read = (g: TF.Tensor, j: number): Float32Array => {
    if (!into) return g.dataSync() as Float32Array;
    into[j].set(heap ? heap.call(tf.backend(), g) : (g.dataSync() as Float32Array));
    return into[j];
  };
  const out = {
    loss: value.dataSync()[0],
    grads: vars.map((v, j) => (grads[v.name] ? read(grads[v.name], j) : null)),
  };
  tf.dispose([value, x, y, ...Object.values(grads)]);
  return out;
}

/** One other thread holding a copy of the network. @internal */
export interface Replica {
  /**
   * Loss and gradients of a shard of `rows` rows (features `x`, targets `y`): the gradients are
   * views of memory shared with the replica, valid until its next shard.
   */
  grads(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    seeds: number[],
  ): Promise<{ loss: number; grads: (Float32Array | null)[] }>;
  /** Gives the replica the weights after a step (all tensors one after the other, in weight order). */
  setWeights(weights: Float32Array): Promise<void>;
  /** The replica's non-trainable weights (batch-norm moving statistics), in weight order. */
  movingStats(): Promise<Float32Array[]>;
  /** Ends the thread. */
  close(): Promise<void>;
}

/** What a replica is started with, besides the network. @internal */
export interface ReplicaSetup {
  backend: string;
  loss: LossConfig;
  fused: boolean;
  /** The network's input shape, without the batch axis. */
  inputShape: number[];
  /** The most rows a shard can have. */
  rows: number;
}

/**
 * Starts `count` replicas of `net` in worker threads (Node only; `null` elsewhere, or when running
 * from the TypeScript sources without the compiled worker). Each shares an {@link Exchange} with
 * this thread for the shards, gradients and weights; other requests go by message.
 * @internal
 */
export async function startReplicas(
  count: number,
  net: TFL.LayersModel,
  setup: ReplicaSetup,
): Promise<Replica[] | null> {
  if (count < 1 || !isNode()) return null;
  const url = new URL('./train-worker.js', import.meta.url);
  const fs = await nodeModule<typeof import('node:fs')>('node:fs');
  const nodeUrl = await nodeModule<typeof import('node:url')>('node:url');
  if (url.protocol !== 'file:' || !fs.existsSync(nodeUrl.fileURLToPath(url))) return null;
  const { Worker } = await nodeModule<typeof import('node:worker_threads')>('node:worker_threads');
  const weights = net.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  const topology = net.toJSON(null, false);
  const dropouts = net.layers.filter((l) => l.getClassName() === 'Dropout').length;
  const sizes = {
    rows: setup.rows,
    per: setup.inputShape.reduce((a, b) => a * b, 1),
    classes: setup.loss.k,
    seeds: Math.max(1, dropouts),
    tensors: net.trainableWeights.map((w) => w.shape.reduce((a: number, b) => a * (b ?? 1), 1)),
  };
  const replicas: Replica[] = [];
  for (let r = 0; r < count; r++) {
    const exchange = new Exchange(sizes);
    const worker = new Worker(url, {
      workerData: { topology, weights, ...setup, exchange: { sizes, buffer: exchange.buffer } },
    });
    worker.unref();
    // Replies come back in request order; a worker error fails every request still waiting.
    let pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
    let failed: unknown = null;
    let fail: (e: unknown) => void = () => {};
    const failure = new Promise<never>((_, reject) => {
      fail = reject;
    });
    failure.catch(() => {}); // awaited only while a shard is out
    worker.on('message', (m) => pending.shift()?.resolve(m));
    const stop = (e: unknown) => {
      failed ??= e;
      fail(failed);
      for (const p of pending.splice(0)) p.reject(failed);
    };
    worker.on('error', stop);
    worker.on('exit', (code) => stop(new Error(`a training replica stopped (exit code ${code})`)));
    const ask = <T>(msg: object): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        if (failed) return reject(failed);
        pending.push({ resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage(msg);
      });
    await ask({ type: 'ready' });
    replicas.push({
      grads: (x, y, rows, seeds) => {
        if (failed) return Promise.reject(failed);
        exchange.postShard(x, y, rows, seeds);
        return Promise.race([exchange.answer(), failure]);
      },
      setWeights: (weights) => Promise.race([exchange.postWeights(weights), failure]),
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
  /** Where this thread's gradients go, one array per trainable variable, reused at every step (made at the first). */
  gradients?: Float32Array[];
}

/** {@link ParallelContext.gradients}, made when first asked for. */
function gradientRoom(c: ParallelContext): Float32Array[] {
  c.gradients ??= c.vars.map((v) => new Float32Array(v.size));
  return c.gradients;
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
    const { loss, grads } = shardGradients(tf, c.net, c.loss, xb, yb, gradientRoom(c));
    await applyStep(c, [{ rows: n, grads }]);
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
      ? rep.grads(data.subarray(a * per, b * per), targets.subarray(a * k, b * k), b - a, seeds[i + 1])
      : Promise.resolve(null);
  });
  seedDropouts(c.net, seeds[0]);
  const n0 = bounds[1];
  const shards: ShardGradients[] = [];
  let lossSum = 0;
  if (n0 > 0) {
    const x0 = tf.tensor(data.subarray(0, n0 * per), [n0, ...shape]);
    const y0 = tf.tensor(targets.subarray(0, n0 * k), [n0, k]);
    const own = shardGradients(tf, c.net, c.loss, x0, y0, gradientRoom(c));
    shards.push({ rows: n0, grads: own.grads });
    lossSum += own.loss * n0;
  }
  for (const [i, r] of (await Promise.all(remote)).entries()) {
    if (!r) continue;
    const rows = bounds[i + 2] - bounds[i + 1];
    lossSum += r.loss * rows;
    shards.push({ rows, grads: r.grads });
  }
  await applyStep(c, shards);
  return lossSum / n;
}

/** One optimizer step from the shards' gradients; the new weights go into the variables and to every replica. @internal */
export async function applyStep(c: ParallelContext, shards: ShardGradients[]): Promise<void> {
  const adam = c.adam as ExactAdam;
  adam.step(shards, learningRate(c.optimizer), c.weightDecay);
  const sent = (c.replicas ?? []).map((r) => r.setWeights(adam.weights));
  assignAll(c.tf, c.vars, adam.weights);
  await Promise.all(sent);
}

/** Gives `vars` the weights of `all` (the tensors one after the other, in order). @internal */
export function assignAll(tf: typeof TF, vars: TF.Variable[], all: Float32Array): void {
  // The wasm backend copies a new tensor's values into its heap; others (cpu) may keep the array
  // itself, which `all`'s owner overwrites at the next step: a copy for them.
  const copies = tf.getBackend() !== 'wasm';
  let at = 0;
  for (const v of vars) {
    const values = all.subarray(at, at + v.size);
    const t = tf.tensor(copies ? values.slice() : values, v.shape);
    // The variable now holds t's data too; without this, t (never disposed) kept every step's
    // weights alive: a leak of the network's size a step.
    v.assign(t);
    t.dispose();
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
    const t = tf.tensor(avg, w.shape as number[]);
    w.write(t); // the variable shares t's data: t itself is not needed after
    t.dispose();
  }
}
