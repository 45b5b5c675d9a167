// Training speed of the reference CNN in Node without native binaries: one epoch of 1560 clips of
// 300 frames × 40 MFCC, batch 32, Adam; Conv1D 64 k5 → MaxPool 2 → Conv1D 128 k5 → MaxPool 2 →
// Conv1D 128 k5 → GlobalAveragePooling → Dense 8 softmax. Seconds per epoch are extrapolated from
// timed batches (after warm-up) in the same run, for ours (wasm + this library's kernels) and for
// stock tfjs on the cpu backend. Inputs are random: speed does not depend on the values.
//   --batches N         timed batches for ours (default 10)
//   --stock-batches N   timed batches for stock cpu, about 76 s each (default 1; 0 skips it)
//   --ceiling-rounds N  rounds of bench/train-ceiling.mjs: what two threads can gain here, next to
//                       what fit's data-parallel training gains, alternated (default 2; 0 skips it)
//   --json              end with one JSON line { oursSecondsPerEpoch, stockCpuSecondsPerEpoch, backend, architectures }
//   --profile           instead: time per kernel, forward, backward and optimizer, for one epoch of
//                       the reference CNN and each architecture (bench/train-profile.mjs); with
//                       --fused, of EmotionModel.fit as it trains by default (fused multiply-adds,
//                       Winograd's form), every kernel in one phase
// `fit` is timed both ways: with fused multiply-adds in the convolutions (the default where the
// runtime has WebAssembly relaxed SIMD; this script turns on Node 20's
// --experimental-wasm-relaxed-simd for itself) and with `fusedMultiplyAdd: false`.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as lib from '../dist/node.js';
import { args, fmt, torchPython } from './common.mjs';
import { ceilingRounds } from './train-ceiling.mjs';
import { benchModel, fitEpoch, referenceCnn as referenceModel } from './train-models.mjs';

setFlagsFromString('--experimental-wasm-relaxed-simd'); // ignored where V8 has no such flag

if (process.argv.includes('--profile')) {
  await import('./train-profile.mjs');
  process.exit(0);
}
const opt = args({ batches: 10, 'stock-batches': 1, 'ceiling-rounds': 2, json: false });
const HERE = dirname(fileURLToPath(import.meta.url));
tf.env().set('PROD', true);
const CLIPS = 1560;
const BATCH = 32;
const STEPS = Math.ceil(CLIPS / BATCH);

function referenceCnn() {
  const m = referenceModel(tfl);
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return m;
}

async function secondsPerEpoch(backend, batches, warmup) {
  await tf.setBackend(backend);
  const m = referenceCnn();
  const x = tf.randomNormal([BATCH, 300, 40]);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 8, 'int32'), 8);
  for (let i = 0; i < warmup; i++) await m.trainOnBatch(x, y);
  // The best of three rounds: this machine's neighbours make single rounds vary by 20% or more.
  let perBatch = Number.POSITIVE_INFINITY;
  for (let round = 0; round < (warmup > 0 ? 3 : 1); round++) {
    const t = performance.now();
    for (let i = 0; i < batches; i++) await m.trainOnBatch(x, y);
    perBatch = Math.min(perBatch, (performance.now() - t) / 1000 / batches);
  }
  tf.dispose([x, y]);
  m.dispose();
  return perBatch * STEPS;
}

console.log(
  `train benchmark: reference CNN, ${CLIPS} clips (${STEPS} batches of ${BATCH}) per epoch; Node ${process.version}`,
);
// Stock wasm first, for the record (it has no Conv2DBackpropFilter); then ours.
const require = createRequire(import.meta.url);
setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
await tf.setBackend('wasm');
let stockWasm = 'trains';
try {
  await referenceCnn().trainOnBatch(
    tf.randomNormal([2, 300, 40]),
    tf.oneHot(tf.tensor1d([0, 1], 'int32'), 8),
  );
} catch (e) {
  stockWasm = `cannot train: ${e.message}`;
}
await lib.useBackend('wasm'); // registers this library's training kernels
const ours = await secondsPerEpoch('wasm', opt.batches, 2);
console.log(`  ours (wasm + speech-emotion kernels): ${fmt(ours, 1)} s per epoch`);
console.log(`  stock wasm: ${stockWasm}`);
let stock = Number.NaN;
if (opt['stock-batches'] > 0) {
  stock = await secondsPerEpoch('cpu', opt['stock-batches'], 0);
  console.log(`  stock cpu: ${fmt(stock, 0)} s per epoch (${fmt(stock / STEPS, 1)} s per batch)`);
  console.log(`  speed-up: ${fmt(stock / ours, 0)}× (one thread)`);
}
// Data-parallel: EmotionModel.fit with the reference CNN on 1560 random clips, one thread and two
// (the main thread plus one worker_threads replica).
await tf.setBackend('wasm'); // the stock cpu measurement above switched it
const exact = { fusedMultiplyAdd: false };
const exact1 = await fitEpoch(lib, tfl, 'reference', 1, 1560, exact);
const exact2 = await fitEpoch(lib, tfl, 'reference', 2, 1560, exact);
const fused1 = await fitEpoch(lib, tfl, 'reference', 1);
const fused = fused1.fused;
const fused2 = fused ? await fitEpoch(lib, tfl, 'reference', 2) : null;
const fitLine = (how, one, two) =>
  console.log(
    `  ours, EmotionModel.fit, ${how}: ${fmt(one.seconds, 1)} s per epoch on 1 thread, ${fmt(two.seconds, 1)} s data-parallel on ${two.workers} (${fmt(one.seconds / two.seconds, 2)}×)`,
  );
fitLine('multiply then add (fusedMultiplyAdd: false)', exact1, exact2);
if (fused) fitLine('fused multiply-add (the default here)', fused1, fused2);
else console.log('  ours, fused multiply-add: not in this runtime (no WebAssembly relaxed SIMD)');
// The same two threads against what two threads can gain on this machine now, alternated.
let scaling = null;
if (opt['ceiling-rounds'] > 0) {
  console.log(
    `\nTwo threads, ${fused ? 'fused' : 'multiply then add'}, in ${opt['ceiling-rounds']} alternated rounds (s per epoch): one thread alone; two one-thread fits at once (sharing nothing: the most two threads can gain here); fit on 2 threads`,
  );
  const libUrl = new URL('../dist/node.js', import.meta.url).href;
  const rounds = await ceilingRounds(lib, tfl, libUrl, opt['ceiling-rounds']);
  for (const r of rounds)
    console.log(
      `  alone ${fmt(r.alone, 2)}; two at once ${fmt(r.pair[0], 2)} and ${fmt(r.pair[1], 2)} (${fmt((2 * r.alone) / Math.max(...r.pair), 2)}×); data-parallel ${fmt(r.parallel, 2)} (${fmt(r.alone / r.parallel, 2)}×)`,
    );
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
  };
  scaling = {
    ceiling: median(rounds.map((r) => (2 * r.alone) / Math.max(...r.pair))),
    ours: median(rounds.map((r) => r.alone / r.parallel)),
  };
  const share =
    scaling.ceiling > 1.05
      ? ` (${fmt((100 * (scaling.ours - 1)) / (scaling.ceiling - 1), 0)}% of the second thread's gain)`
      : '';
  console.log(
    `  median: data-parallel ${fmt(scaling.ours, 2)}× against ${fmt(scaling.ceiling, 2)}× for two fits that share nothing${share}`,
  );
}
// What a user gets by default: fused where the runtime has it.
const fit1 = fused ? fused1 : exact1;
const fit2 = fused ? fused2 : exact2;
const best = Math.min(ours, fit2.seconds);

// PyTorch side by side: the same network, batch and threads (bench/train_torch.py), when installed.
const torch = { 1: null, 2: null };
const python = torchPython();
if (python) {
  for (const threads of [1, 2]) {
    const r = spawnSync(python, [join(HERE, 'train_torch.py'), String(threads)], { encoding: 'utf8' });
    if (r.status === 0) torch[threads] = JSON.parse(r.stdout.trim().split('\n').at(-1));
    else
      console.log(
        `  PyTorch (${threads} thread${threads > 1 ? 's' : ''}) failed: ${r.stderr.trim().split('\n').at(-1)}`,
      );
  }
  if (torch[1] && torch[2]) {
    console.log(`\nPyTorch ${torch[1].torch} on CPU, same network, batch and data shape:`);
    const how = fused ? 'fit, fused' : 'fit';
    console.log(
      `  1 thread:  ${fmt(torch[1].secondsPerEpoch, 2)} s per epoch; ours (${how}) ${fmt(fit1.seconds, 1)} s, ${fmt(fit1.seconds / torch[1].secondsPerEpoch, 1)}× PyTorch's time`,
    );
    console.log(
      `  2 threads: ${fmt(torch[2].secondsPerEpoch, 2)} s per epoch; ours (${how}, data-parallel) ${fmt(fit2.seconds, 1)} s, ${fmt(fit2.seconds / torch[2].secondsPerEpoch, 1)}× PyTorch's time`,
    );
  }
} else {
  console.log(
    '\nPyTorch side by side: skipped, no python3 here can import torch (tried $PYTHON, python3, /usr/bin/python3). Install it (Debian: sudo apt-get install python3-torch) and run again.',
  );
}

// Each built-in architecture on the same 1560 clips: series inputs of 300 frames × 40 MFCC (cnn2d
// reads them as a 300 × 40 image), mlp on 160 per-utterance statistics.
console.log('\nBuilt-in architectures (EmotionModel.create), wasm, seconds per epoch of 1560 clips:');
const archTimes = {};
const archFused = {};
for (const arch of ['cnn1d', 'crnn', 'cnn2d', 'mlp']) {
  const { model, shape } = await benchModel(lib, tfl, arch);
  const net = model.layersModel;
  net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([BATCH, ...shape]);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 8, 'int32'), 8);
  for (let i = 0; i < 2; i++) await net.trainOnBatch(x, y);
  const n = Math.max(3, Math.round(opt.batches / 2));
  let perBatch = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await net.trainOnBatch(x, y);
    perBatch = Math.min(perBatch, (performance.now() - t) / 1000 / n);
  }
  archTimes[arch] = perBatch * STEPS;
  tf.dispose([x, y]);
  model.dispose();
  let line = `  ${arch.padEnd(6)} ${fmt(archTimes[arch], 1)} s`;
  if (fused && arch !== 'mlp') {
    // Their convolutions run fused in fit: whole fit epochs of 480 clips, scaled to 1560.
    archFused[arch] = ((await fitEpoch(lib, tfl, arch, 1, 480)).seconds * 1560) / 480;
    line += `; EmotionModel.fit with fused multiply-adds ${fmt(archFused[arch], 1)} s`;
  }
  console.log(line);
}
const bestOf = (arch) => Math.min(archTimes[arch], archFused[arch] ?? Number.POSITIVE_INFINITY);
const crnnBest = bestOf('crnn');
console.log('\nTargets:');
console.log(`  ${best <= 15 ? 'met    ' : 'MISSED '} ≤ 15 s per epoch (best of ours: ${fmt(best, 1)} s)`);
console.log(`  ${best <= 5 ? 'met    ' : 'not yet'} ≤ 5 s per epoch`);
if (torch[2])
  console.log(
    `  ${fit2.seconds <= 2 * torch[2].secondsPerEpoch ? 'met    ' : 'not yet'} ≤ 2× PyTorch on 2 threads (ours ${fmt(fit2.seconds / torch[2].secondsPerEpoch, 1)}×)`,
  );
if (scaling)
  console.log(
    `  ${scaling.ours >= 1.8 ? 'met    ' : 'not yet'} ≥ 1.8× on 2 threads (${fmt(scaling.ours, 2)}×, median of the rounds above; two fits that share nothing: ${fmt(scaling.ceiling, 2)}×)`,
  );
console.log(
  `  ${crnnBest <= 12 ? 'met    ' : 'not yet'} crnn ≤ 12 s per epoch (${fmt(crnnBest, 1)} s, one thread)`,
);
console.log(
  `  ${bestOf('cnn2d') <= 30 ? 'met    ' : 'not yet'} cnn2d ≤ 30 s per epoch (${fmt(bestOf('cnn2d'), 1)} s, one thread)`,
);
if (opt.json)
  console.log(
    JSON.stringify({
      oursSecondsPerEpoch: best,
      oursOneThreadSecondsPerEpoch: ours,
      oursDataParallelSecondsPerEpoch: fit2.seconds,
      stockCpuSecondsPerEpoch: Number.isFinite(stock) ? stock : null,
      pytorchSecondsPerEpoch: { 1: torch[1]?.secondsPerEpoch ?? null, 2: torch[2]?.secondsPerEpoch ?? null },
      backend: 'wasm',
      architectures: archTimes,
      architecturesFused: archFused,
      fusedMultiplyAdd: fused,
      oursExactSecondsPerEpoch: { 1: exact1.seconds, 2: exact2.seconds },
      twoThreads: scaling,
    }),
  );
