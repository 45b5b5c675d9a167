import { setFlagsFromString } from 'node:v8';
// `npm run bench:train -- --profile`: where one epoch of training goes, kernel by kernel, for the
// reference CNN and each built-in architecture, on the wasm backend with this library's kernels
// (one thread). For a batch of 32, tf.profile times every kernel of
//   forward    the network applied in training mode, and the loss;
//   backward   tf.variableGrads of the same loss, less the forward kernels (by name);
//   optimizer  Adam's applyGradients;
// averaged over the timed batches and scaled to an epoch of 1560 clips (49 batches). Kernel times
// are the wall time of each synchronous wasm kernel; what is left of the step (tape bookkeeping,
// tensor allocation, JavaScript between kernels) is printed as "outside kernels".
//   --batches N   timed batches per architecture (default 3, after one warm-up batch)
//   --top N       kernels listed per architecture (default 12)
//   --arch NAME   profile only this architecture (reference, cnn1d, crnn, cnn2d or mlp)
//   --json        end with one JSON line { architecture: { phase: { kernel: seconds } } }
//   --fused       profile EmotionModel.fit instead, as it trains by default where the runtime has
//                 relaxed SIMD (fused multiply-adds, five-tap convolutions in Winograd's form; Node
//                 20's flag is turned on here): one epoch of --batches batches after a warm-up
//                 batch, every kernel of the step in one phase, "fit" (fit switches the fused
//                 kernels on for itself, so the phases above cannot be told apart from outside)
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as lib from '../dist/node.js';
import { args, fmt } from './common.mjs';
import { benchModel, randomRows } from './train-models.mjs';

const ARCHS = ['reference', 'cnn1d', 'crnn', 'cnn2d', 'mlp'];
const opt = args({ batches: 3, top: 12, json: false, profile: true, arch: '', fused: false });
if (opt.arch && !ARCHS.includes(opt.arch)) {
  console.error(`unknown --arch ${opt.arch}; known: ${ARCHS.join(', ')}`);
  process.exit(2);
}
tf.env().set('PROD', true);
const CLIPS = 1560;
const BATCH = 32;
const STEPS = Math.ceil(CLIPS / BATCH);

/** Sum of kernel milliseconds by kernel name. */
function byKernel(profile) {
  const out = new Map();
  // Names ending in __op are op scopes that wrap a kernel already listed (fusedConv2d__op holds
  // FusedConv2D): counting both would count the time twice.
  for (const k of profile.kernels)
    if (!k.name.endsWith('__op')) out.set(k.name, (out.get(k.name) ?? 0) + k.kernelTimeMs);
  return out;
}

/** One step, profiled in its three phases; returns ms per kernel per phase, and the step's wall time. */
async function profileStep(net, x, y, optimizer) {
  // The cross-entropy fit uses (its class weights and smoothing cost a few element-wise kernels more).
  const loss = () =>
    tf.tidy(() =>
      tf.neg(
        tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(net.apply(x, { training: true }), 1e-7, 1))), -1)),
      ),
    );
  // tf.profile returns the engine's one profile object, reset by the next call: read each at once.
  const f = byKernel(
    await tf.profile(() => {
      tf.dispose(loss());
    }),
  );
  const vars = net.trainableWeights.map((w) => w.read());
  let grads;
  const t0 = performance.now();
  const b = byKernel(
    await tf.profile(() => {
      const r = tf.variableGrads(loss, vars);
      r.value.dispose();
      grads = r.grads;
    }),
  );
  const o = byKernel(await tf.profile(() => optimizer.applyGradients(grads)));
  const wall = performance.now() - t0;
  tf.dispose(Object.values(grads));
  for (const [name, ms] of f) b.set(name, (b.get(name) ?? 0) - ms);
  for (const [name, ms] of b) if (Math.abs(ms) < 1e-9) b.delete(name);
  return { forward: f, backward: b, optimizer: o, wall };
}

function addInto(total, part, scale) {
  for (const [name, ms] of part) total.set(name, (total.get(name) ?? 0) + (ms * scale) / 1000);
}

/** One epoch of EmotionModel.fit (fused where it can be), profiled whole: ms per kernel, and the wall time. */
async function profileFit(arch) {
  const { model, shape } = await benchModel(lib, tfl, arch);
  const rows = randomRows(lib, shape, BATCH * opt.batches);
  await model.fit(rows.slice(0, BATCH), { epochs: 1, batchSize: BATCH }); // warm-up
  let summary;
  const t0 = performance.now();
  const fit = byKernel(
    await tf.profile(async () => {
      summary = await model.fit(rows, { epochs: 1, batchSize: BATCH });
    }),
  );
  const wall = (((performance.now() - t0) / 1000) * STEPS) / opt.batches;
  model.dispose();
  const phases = { fit: new Map() };
  addInto(phases.fit, fit, STEPS / opt.batches);
  return { phases, wall, fused: summary.fusedMultiplyAdd === true };
}

async function profileArchitecture(arch) {
  const { model, shape } = await benchModel(lib, tfl, arch);
  const net = model.layersModel;
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([BATCH, ...shape]);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 8, 'int32'), 8);
  await profileStep(net, x, y, optimizer); // warm-up
  const phases = { forward: new Map(), backward: new Map(), optimizer: new Map() };
  let wall = 0;
  for (let i = 0; i < opt.batches; i++) {
    const p = await profileStep(net, x, y, optimizer);
    for (const k of Object.keys(phases)) addInto(phases[k], p[k], STEPS / opt.batches);
    wall += (p.wall * STEPS) / opt.batches / 1000;
  }
  tf.dispose([x, y]);
  model.dispose();
  return { phases, wall };
}

if (opt.fused) setFlagsFromString('--experimental-wasm-relaxed-simd'); // before the fused module compiles
await lib.useBackend('wasm');
console.log(
  `train profile: seconds per epoch of ${CLIPS} clips (${STEPS} batches of ${BATCH}), wasm + speech-emotion kernels, one thread${opt.fused ? ', EmotionModel.fit' : ''}; Node ${process.version}`,
);
const json = {};
for (const arch of opt.arch ? [opt.arch] : ARCHS) {
  const { phases, wall, fused } = await (opt.fused ? profileFit(arch) : profileArchitecture(arch));
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  const kernels = Object.values(phases).reduce((s, m) => s + sum(m), 0);
  const split = opt.fused
    ? `fit ${fused ? 'fused' : 'not fused: this runtime has no WebAssembly relaxed SIMD'}`
    : `forward ${fmt(sum(phases.forward), 1)}, backward ${fmt(sum(phases.backward), 1)}, optimizer ${fmt(sum(phases.optimizer), 1)}`;
  console.log(
    `\n${arch === 'reference' ? 'reference CNN' : arch}: ${fmt(wall, 1)} s per epoch profiled (kernels ${fmt(kernels, 1)} s: ${split}; outside kernels ${fmt(wall - kernels, 1)} s)`,
  );
  const rows = Object.entries(phases).flatMap(([phase, m]) =>
    [...m].map(([name, s]) => ({ phase, name, s })),
  );
  rows.sort((a, b) => b.s - a.s);
  for (const r of rows.slice(0, opt.top))
    console.log(
      `  ${r.phase.padEnd(9)} ${r.name.padEnd(28)} ${fmt(r.s, 2).padStart(7)} s  ${fmt((100 * r.s) / wall, 0).padStart(3)}%`,
    );
  json[arch] = Object.fromEntries(
    Object.entries(phases).map(([p, m]) => [
      p,
      Object.fromEntries([...m].map(([k, v]) => [k, Number(v.toFixed(4))])),
    ]),
  );
  json[arch].wallSeconds = Number(wall.toFixed(3));
}
console.log(
  '\nProfiling adds its own overhead (tfjs reads every kernel output), so the profiled epoch is slower than bench:train measures; the shares are what to read.',
);
if (opt.json) console.log(JSON.stringify(json));
