/**
 * A data-parallel training replica (worker_threads): holds a copy of the network, computes the
 * gradients of the shards it is sent, and takes the weights after each step from the main thread,
 * so it stays identical to the main copy. Started by `EmotionModel.fit({ workers })`.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as TF from '@tensorflow/tfjs-core';
import { fastDropouts } from '../model/dropout.js';
import { Exchange, type ExchangeSizes } from '../model/exchange.js';
import { type LossConfig, assignAll, makeLoss, seedDropouts, shardGradients } from '../model/parallel.js';
import { loadLayers, loadTf } from '../model/tf.js';
import { setFusedConvolutions } from '../model/wasm-conv1d.js';
import { useBackend } from './backend.js';

const data = workerData as {
  topology: object;
  weights: Float32Array[];
  backend: string;
  loss: LossConfig;
  fused: boolean;
  inputShape: number[];
  exchange: { sizes: ExchangeSizes; buffer: SharedArrayBuffer };
};
const tf = await loadTf();
tf.env().set('PROD', true);
const tfl = await loadLayers();
await useBackend(data.backend as never);
setFusedConvolutions(data.fused);
const net = await tfl.models.modelFromJSON({ modelTopology: data.topology } as never);
const start = net.getWeights().map((w, i) => tf.tensor(data.weights[i], w.shape));
net.setWeights(start);
tf.dispose(start); // the variables share their data
const { loss } = makeLoss(tf, data.loss); // lives as long as the worker
const vars = net.trainableWeights.map((w) => w.read() as TF.Variable);
fastDropouts(tf, net);

// Shards and weights come through the shared exchange; an error there ends the thread with it.
new Exchange(data.exchange.sizes, data.exchange.buffer)
  .serve(
    (weights) => assignAll(tf, vars, weights),
    (x, y, rows, seeds, into) => {
      seedDropouts(net, seeds);
      const yb = tf.tensor(y, [rows, data.loss.k]);
      return shardGradients(tf, net, loss, tf.tensor(x, [rows, ...data.inputShape]), yb, into);
    },
  )
  .catch((e) =>
    setImmediate(() => {
      throw e;
    }),
  );
parentPort?.on('message', (m) => {
  if (m.type === 'ready') parentPort?.postMessage('ready');
  else if (m.type === 'stats') {
    parentPort?.postMessage(net.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array));
  }
});
