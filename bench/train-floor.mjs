// The floor under the reference CNN's training epoch on each side: its three convolutions forward,
// and their input and filter gradients, timed alone on one thread with each framework's own kernels
// (ours: wasm with this library's training kernels, whose products are XNNPACK's GEMM; PyTorch:
// oneDNN, through bench/train_floor_torch.py). Each call gets a fresh filter or dy, as a training
// step does (XNNPACK packs a new right-hand operand on every call). Also the products alone on wasm
// (the im2col · weights GEMMs, no unfolding), which is how fast our convolutions could be with
// XNNPACK's GEMM and free unfolding. Prints GFLOP/s per kernel, seconds per epoch (49 steps) of the
// convolutions alone, and the ratio of ours to PyTorch's. No epoch of `bench:train` can take less
// than its convolutions alone.
//   --reps N   timed calls per kernel, best of six rounds after one warm-up round (default 10)
//   --json     end with one JSON line

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as lib from '../dist/node.js';
import { args, fmt, torchPython } from './common.mjs';

const opt = args({ reps: 10, json: false });
const HERE = dirname(fileURLToPath(import.meta.url));
const BATCH = 32;
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

/** Best seconds per call of `run(fresh)`, where `fresh` is a new tensor made untimed for each call. */
function best(makeFresh, run) {
  let out = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const fresh = Array.from({ length: opt.reps }, makeFresh);
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
const ours = KERNELS.map(oursSeconds);
const products = KERNELS.map(productSeconds);

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
