// How much a member adds to predict(): the median and p95 latency of the bundled model (its members)
// and of the same model averaged with itself (twice the members), on a 3.5 s RAVDESS clip at 16 kHz,
// wasm in Node, interleaved over a few rounds so that a slow spell of the machine hits both. The
// difference over the members added is what each member costs (for sizing an ensemble against
// the 10 ms bound of issue #11). Needs the datasets and a build (npm run build).
//   node scripts/ensemble-latency.mjs [--rounds 3] [--runs 200]
import * as tf from '@tensorflow/tfjs-core';
import { args, fmt, ravdessFiles, requireData } from '../bench/common.mjs';
import { EmotionModel, readMono, useBackend } from '../dist/node.js';

const opt = args({ rounds: 3, runs: 200 });
requireData();
tf.env().set('PROD', true);
await useBackend('wasm');
const model = await EmotionModel.load();
const doubled = await EmotionModel.ensemble([model, model]);
let clip;
for (const f of ravdessFiles()) {
  const a = await readMono(f);
  if (a.signal.length >= 3.5 * a.sampleRate) {
    clip = a.signal.subarray(0, Math.round(3.5 * a.sampleRate));
    break;
  }
}

async function time(m) {
  for (let i = 0; i < 20; i++) await m.predict(clip, { sampleRate: 16000 });
  const t = [];
  for (let i = 0; i < opt.runs; i++) {
    const s = performance.now();
    await m.predict(clip, { sampleRate: 16000 });
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return `median ${fmt(t[Math.floor(t.length / 2)], 2)} ms, p95 ${fmt(t[Math.floor(t.length * 0.95)], 2)} ms`;
}

const members = model.training?.members ?? 1;
for (let r = 1; r <= opt.rounds; r++)
  console.log(
    `round ${r}: ${members} members ${await time(model)}; ${2 * members} members ${await time(doubled)}`,
  );
doubled.dispose();
model.dispose();
