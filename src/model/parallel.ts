import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { isNode, nodeModule } from '../util/node-only.js';

/** What a training replica needs to rebuild the loss. @internal */
export interface LossConfig {
  /** Classes. */
  k: number;
  /** Label smoothing ε. */
  eps: number;
  /** Weight per class. */
  classWeights: number[];
}

/** The weighted, optionally smoothed cross-entropy `fit` trains with, and a way to free its class weights. @internal */
export function makeLoss(
  tf: typeof TF,
  c: LossConfig,
): { loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar; dispose: () => void } {
  const w = tf.tensor1d(c.classWeights);
  return {
    loss: (yTrue, yPred) =>
      tf.tidy(() => {
        const target = c.eps ? tf.add(tf.mul(yTrue, 1 - c.eps), c.eps / c.k) : yTrue;
        const perItem = tf.sum(tf.mul(target, tf.neg(tf.log(tf.clipByValue(yPred, 1e-7, 1)))), -1);
        return tf.mean(tf.mul(perItem, tf.sum(tf.mul(yTrue, w), -1))) as TF.Scalar;
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

/** Loss and gradients (in trainable-weight order) of one shard, updating batch-norm statistics. @internal */
export function shardGradients(
  tf: typeof TF,
  net: TFL.LayersModel,
  loss: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Scalar,
  x: TF.Tensor,
  y: TF.Tensor,
): { loss: number; grads: TF.Tensor[] } {
  const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
  const { value, grads } = tf.variableGrads(
    () => loss(y, net.apply(x, { training: true }) as TF.Tensor),
    vars,
  );
  const out = { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name]) };
  value.dispose();
  return out;
}

/** One other thread holding a copy of the network. @internal */
export interface Replica {
  /** Loss and gradients of a shard. */
  grads(
    x: Float32Array,
    shape: number[],
    y: Int32Array,
    seeds: number[],
  ): Promise<{ loss: number; grads: Float32Array[] }>;
  /** Applies averaged gradients with the replica's own optimizer (the same steps as the main one). */
  apply(grads: Float32Array[], learningRate: number): void;
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
  setup: { backend: string; loss: LossConfig; learningRate: number },
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
      apply: (grads, learningRate) => worker.postMessage({ type: 'apply', grads, learningRate }),
      movingStats: () => ask({ type: 'stats' }),
      close: async () => {
        pending = [];
        await worker.terminate();
      },
    });
  }
  return replicas;
}
