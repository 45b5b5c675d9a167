// What two threads can gain on this machine, next to what data-parallel fit gains (bench/train.mjs).
// Rounds alternate three measurements of the reference CNN, each whole fit epochs (batch 32, the
// faster of epochs 2 and 3): one thread alone; two one-thread fits at once, on this thread and a
// worker thread, which share nothing, so their gain over one alone (2 × alone / the slower of the
// pair) is what two threads give this work when neither waits for the other; and fit with 2 workers.
// On a shared virtual machine, what a second core gives varies from minute to minute: measured in
// the same rounds, the two ratios can be compared.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { benchModel, randomRows } from './train-models.mjs';

/** Seconds per epoch of a fit with `workers` threads, once `go` resolves (the model and rows are made before). */
async function fitWhen(lib, tfl, workers, options, go) {
  const { model, shape } = await benchModel(lib, tfl, 'reference');
  const rows = randomRows(lib, shape, 1560);
  await go();
  const s = await model.fit(rows, { epochs: 3, batchSize: 32, workers, ...options });
  model.dispose();
  return Math.min(s.epochs[1].seconds, s.epochs[2].seconds);
}

if (!isMainThread) {
  // The other one-thread fit of a pair: says when built, fits when told, answers with its seconds.
  const lib = await import(workerData.lib);
  const tfl = await import('@tensorflow/tfjs-layers'); // before useBackend (it re-registers gradients)
  (await import('@tensorflow/tfjs-core')).env().set('PROD', true);
  await lib.useBackend('wasm');
  const go = new Promise((resolve) => parentPort.once('message', resolve));
  const seconds = await fitWhen(lib, tfl, 1, workerData.options, async () => {
    parentPort.postMessage('ready');
    await go;
  });
  parentPort.postMessage(seconds);
}

/**
 * `rounds` rounds of: one thread alone, two one-thread fits at once, fit on two threads. Returns
 * each round's seconds per epoch ({ alone, pair: [this thread, the worker], parallel }).
 * `libUrl` is the library's URL, for the worker to import.
 */
export async function ceilingRounds(lib, tfl, libUrl, rounds, options = {}) {
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const alone = await fitWhen(lib, tfl, 1, options, async () => {});
    const worker = new Worker(new URL(import.meta.url), { workerData: { lib: libUrl, options } });
    const inbox = [];
    let waiting = null;
    const deliver = (m) => (waiting ? waiting(m) : inbox.push(m));
    worker.on('message', deliver);
    worker.on('error', deliver); // an Error: receive() rejects with it instead of waiting forever
    const receive = async () => {
      const m =
        inbox.length > 0
          ? inbox.shift()
          : await new Promise((resolve) => {
              waiting = (v) => {
                waiting = null;
                resolve(v);
              };
            });
      if (m instanceof Error) throw m;
      return m;
    };
    const mine = await fitWhen(lib, tfl, 1, options, async () => {
      await receive(); // 'ready': the worker's model is built, so both start now
      worker.postMessage('go');
    });
    const theirs = await receive();
    await worker.terminate();
    const parallel = await fitWhen(lib, tfl, 2, options, async () => {});
    out.push({ alone, pair: [mine, theirs], parallel });
  }
  return out;
}
