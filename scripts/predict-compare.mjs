// `predict` latency of two builds of the library in one process, interleaved: the same model and
// clip (bench:predict's, 3.5 s at 16 kHz), wasm in Node, so that the machine's slow spells hit both.
// For a change to the prediction path: build the commit before it in a worktree (with
// node_modules linked to this one's, so both builds share one TensorFlow.js), then
//   node scripts/predict-compare.mjs <worktree>/dist/node.js [--model DIR] [--rounds 3] [--runs 200]
// Prints each build's median per round and the largest difference of their scores. Needs the
// datasets and `npm run build`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { args, fmt, predictClip, requireData, timesOf } from '../bench/common.mjs';
import * as after from '../dist/node.js';

const before = process.argv[2]?.startsWith('--') ? undefined : process.argv.splice(2, 1)[0];
const opt = args({ model: '', rounds: 3, runs: 200 });
if (!before) {
  console.error(
    'usage: node scripts/predict-compare.mjs <other build>/node.js [--model DIR] [--rounds N] [--runs N]',
  );
  process.exit(2);
}
requireData();
tf.env().set('PROD', true);
await after.useBackend('wasm');
const old = await import(pathToFileURL(resolve(before)).href);
const dir = opt.model || undefined;
const models = { before: await old.EmotionModel.load(dir), after: await after.EmotionModel.load(dir) };
const { signal, sampleRate } = await predictClip(after.readMono);
const predict = (m) => m.predict(signal, { sampleRate });
const [a, b] = [await predict(models.before), await predict(models.after)];
const diff = Math.max(...Object.keys(a.scores).map((k) => Math.abs(a.scores[k] - b.scores[k])));
console.log(`labels ${a.label} / ${b.label}; largest score difference ${diff.toExponential(1)}`);
for (let r = 1; r <= opt.rounds; r++) {
  const median = async (m) => fmt((await timesOf(() => predict(m), opt.runs))[opt.runs >> 1], 2);
  console.log(`round ${r}: before ${await median(models.before)} ms, after ${await median(models.after)} ms`);
}
models.before.dispose();
models.after.dispose();
