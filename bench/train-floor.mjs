// The floor under the reference CNN's training epoch on each side: its three convolutions forward,
// and their input and filter gradients, timed alone on one thread with each framework's own kernels
// (ours: wasm with this library's training kernels, which run one-dimensional convolutions on its
// own WebAssembly SIMD kernels (before 2026-12-06: XNNPACK's convolution and GEMM); PyTorch:
// oneDNN, through bench/train_floor_torch.py). Each call gets a fresh filter or dy, as a training
// step does (XNNPACK packs a new right-hand operand on every call). Also the same products as
// XNNPACK GEMMs alone on wasm (the im2col · weights GEMMs, no unfolding): what XNNPACK's GEMM
// would give with free unfolding. Prints GFLOP/s per kernel, seconds per epoch (49 steps) of the
// convolutions alone, and the ratio of ours to PyTorch's. No epoch of `bench:train` can take less
// than its convolutions alone.
//   --reps N     timed calls per kernel, best of six rounds after one warm-up round (default 10)
//   --threads 2  also time ours and the products on two worker threads at once, every round of
//                both started together: how far the convolutions alone scale over two cores, with
//                no gradient exchange and nothing else of a training step between them
//   --worker-batch N  the batch of each worker with --threads (default 32, the whole batch; 16 is
//                what data-parallel training gives each of two threads)
//   --json       end with one JSON line

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as lib from '../dist/node.js';
import { args, fmt, torchPython } from './common.mjs';

const opt = isMainThread ? args({ reps: 10, threads: 1, 'worker-batch': 32, json: false }) : workerData.opt;
const HERE = dirname(fileURLToPath(import.meta.url));
const BATCH = isMainThread ? 32 : opt['worker-batch'];
const STEPS = 49; // 1560 clips
const K = 5;

// The reference CNN (bench/train-models.mjs): 'valid' Conv1D k5, max-pooling by 2 between layers.
const LAYERS = [
  { name: 'conv1', frames: 300, cin: 40, cout: 64, inputGrad: false },
  { name: 'conv2', frames: 148, cin: 64, cout: 128, inputGrad: true },
  { name: 'conv3', frames: 72, cin: 128, cout: 128, inputGrad: true },
];
// One entry per kernel a training step runs (the first layer's input needs no gradient).
const KERNELS = LAYERS.flatMap((l) =>
  ['forward', ...(l.inputGrad ? ['input gradient'] : []), 'filter gradient'].map((kind) => ({ ...l, kind })),
);
const outFrames = (l) => l.frames - K + 1;
const flops = (l) => 2 * BATCH * outFrames(l) * K * l.cin * l.cout;

/** In a worker of `--threads 2`: waits until every worker has reached the same round. */
function barrier() {
  if (isMainThread) return;
  const b = new Int32Array(workerData.barrier);
  const generation = Atomics.load(b, 1);
  if (Atomics.add(b, 0, 1) === opt.threads - 1) {
    Atomics.store(b, 0, 0);
    Atomics.add(b, 1, 1);
    Atomics.notify(b, 1);
  } else {
    while (Atomics.load(b, 1) === generation) Atomics.wait(b, 1, generation);
  }
}

/** Best seconds per call of `run(fresh)`, where `fresh` is a new tensor made untimed for each call. */
function best(makeFresh, run) {
  let out = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const fresh = Array.from({ length: opt.reps }, makeFresh);
    barrier();
    const t = performance.now();
    for (const f of fresh) run(f).dispose();
    if (round > 0) out = Math.min(out, (performance.now() - t) / 1000 / opt.reps);
    tf.dispose(fresh);
  }
  return out;
}

/** Ours, on wasm: tfjs-layers runs Conv1D as a conv2d over [batch, 1, frames, channels]. */
function oursSeconds(l) {
  const conv = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] };
  const x = tf.randomNormal([BATCH, 1, l.frames, l.cin]);
  const w = tf.randomNormal([1, K, l.cin, l.cout]);
  const dyShape = [BATCH, 1, outFrames(l), l.cout];
  const s =
    l.kind === 'forward'
      ? best(
          () => tf.randomNormal(w.shape),
          (f) => tf.conv2d(x, f, 1, 'valid'),
        )
      : l.kind === 'input gradient'
        ? best(
            () => tf.randomNormal(dyShape),
            (dy) =>
              tf
                .engine()
                .runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: x.shape }),
          )
        : best(
            () => tf.randomNormal(dyShape),
            (dy) =>
              tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: w.shape }),
          );
  tf.dispose([x, w]);
  return s;
}

/** The same kernel's product alone on wasm, as the non-transposed [m, k] · [k, n] it comes to. */
function productSeconds(l) {
  const rows = BATCH * outFrames(l);
  const depth = K * l.cin;
  const [m, k, n] =
    l.kind === 'forward'
      ? [rows, depth, l.cout]
      : l.kind === 'input gradient'
        ? [rows, l.cout, depth]
        : [depth, rows, l.cout];
  const a = tf.randomNormal([m, k]);
  const s = best(
    () => tf.randomNormal([k, n]),
    (b) => tf.matMul(a, b),
  );
  a.dispose();
  return s;
}

await lib.useBackend('wasm');
tf.env().set('PROD', true);
if (!isMainThread) {
  parentPort.postMessage({ ours: KERNELS.map(oursSeconds), products: KERNELS.map(productSeconds) });
  await new Promise(() => {}); // the main thread terminates this worker
}
const ours = KERNELS.map(oursSeconds);
const products = KERNELS.map(productSeconds);

/** `--threads 2`: the same timings in two workers at once (seconds per call, per worker). */
async function concurrent() {
  const barrierBuffer = new SharedArrayBuffer(8);
  const workers = Array.from(
    { length: opt.threads },
    () => new Worker(new URL(import.meta.url), { workerData: { opt, barrier: barrierBuffer } }),
  );
  const results = await Promise.all(
    workers.map(
      (w) =>
        new Promise((res, rej) => {
          w.once('message', res);
          w.once('error', rej);
        }),
    ),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  return results;
}
const together = opt.threads > 1 ? await concurrent() : null;

const python = torchPython();
let torch = null;
if (python) {
  const r = spawnSync(
    python,
    [join(HERE, 'train_floor_torch.py'), JSON.stringify(KERNELS), String(opt.reps)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status === 0) torch = JSON.parse(r.stdout.trim().split('\n').at(-1));
  else console.error(`PyTorch run failed: ${r.stderr.trim().split('\n').at(-1)}`);
}

const gflops = (l, s) => fmt(flops(l) / s / 1e9, 1);
console.log(
  `Convolutions of the reference CNN's training step, batch ${BATCH}, one thread; Node ${process.version}`,
);
console.log(
  `${'kernel'.padEnd(22)} ${'GFLOP'.padStart(5)}  GFLOP/s: ours  wasm GEMM alone  PyTorch  PyTorch/ours`,
);
KERNELS.forEach((l, i) => {
  console.log(
    `${`${l.name} ${l.kind}`.padEnd(22)} ${fmt(flops(l) / 1e9, 2).padStart(5)}  ${gflops(l, ours[i]).padStart(13)}  ${gflops(
      l,
      products[i],
    ).padStart(15)}  ${(torch ? gflops(l, torch.seconds[i]) : '—').padStart(7)}  ${
      torch ? `${fmt(ours[i] / torch.seconds[i], 2)}×` : '—'
    }`,
  );
});
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const epoch = (xs) => sum(xs) * STEPS;
console.log(
  `\nOne step's convolutions: ${fmt(sum(KERNELS.map(flops)) / 1e9, 2)} GFLOP. Seconds per epoch (${STEPS} steps), convolutions alone:`,
);
console.log(
  `  ours (wasm): ${fmt(epoch(ours), 2)} s; its products alone (XNNPACK GEMM): ${fmt(epoch(products), 2)} s`,
);
if (together) {
  // Throughput of n threads against one: the share of the whole batches the n workers get through
  // together, n × (worker batch / 32), times one thread's epoch over the slowest worker's.
  const share = (opt.threads * opt['worker-batch']) / BATCH;
  const scaling = (single, key) => (share * epoch(single)) / Math.max(...together.map((r) => epoch(r[key])));
  console.log(
    `  on ${opt.threads} threads at once, batch ${opt['worker-batch']} each, per thread: ours ${together.map((r) => fmt(epoch(r.ours), 2)).join(' / ')} s (scaling ${fmt(
      scaling(ours, 'ours'),
      2,
    )}×); products alone ${together.map((r) => fmt(epoch(r.products), 2)).join(' / ')} s (scaling ${fmt(
      scaling(products, 'products'),
      2,
    )}×)`,
  );
}
if (torch) {
  console.log(`  PyTorch ${torch.torch} (oneDNN, ${torch.capability}): ${fmt(epoch(torch.seconds), 2)} s`);
  console.log(
    `  ours / PyTorch: ${fmt(epoch(ours) / epoch(torch.seconds), 2)}×; with our products alone: ${fmt(
      epoch(products) / epoch(torch.seconds),
      2,
    )}×`,
  );
} else {
  console.log('  PyTorch: not installed (Debian: apt-get install python3-torch)');
}
if (opt.json) {
  console.log(
    JSON.stringify({
      oursSecondsPerEpoch: epoch(ours),
      productsSecondsPerEpoch: epoch(products),
      torchSecondsPerEpoch: torch ? epoch(torch.seconds) : null,
      concurrent: together?.map((r) => ({
        oursSecondsPerEpoch: epoch(r.ours),
        productsSecondsPerEpoch: epoch(r.products),
      })),
      kernels: KERNELS.map((l, i) => ({
        name: `${l.name} ${l.kind}`,
        gflop: flops(l) / 1e9,
        ours: ours[i],
        product: products[i],
        torch: torch?.seconds[i] ?? null,
      })),
    }),
  );
}
