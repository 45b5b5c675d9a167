// How much a member adds to predict(): the median and p95 latency of the bundled model (its members)
// and of the same model averaged with itself (twice the members), on a 3.5 s RAVDESS clip at 16 kHz,
// wasm in Node, interleaved over a few rounds so that a slow spell of the machine hits both. The
// difference over the members added is what each member costs (for sizing an ensemble against
// the 10 ms bound of issue #11). With --with DIR, the bundled model against the model saved in DIR
// instead (e.g. the same recipe trained with another number of members). Needs the datasets and a
// build (npm run build).
// With --split, also the medians of predict's two largest parts, for each model: computeFeatures
// and the network (predictFeatures); the rest of predict is the difference.
//   node scripts/ensemble-latency.mjs [--rounds 3] [--runs 200] [--with DIR] [--split]
import * as tf from '@tensorflow/tfjs-core';
import { args, fmt, predictClip, requireData, timesOf as timed } from '../bench/common.mjs';
import { EmotionModel, computeFeatures, readMono, useBackend } from '../dist/node.js';

const opt = args({ rounds: 3, runs: 200, with: '', split: false });
requireData();
tf.env().set('PROD', true);
await useBackend('wasm');
const model = await EmotionModel.load();
const other = opt.with ? await EmotionModel.load(opt.with) : await EmotionModel.ensemble([model, model]);
const clip = (await predictClip(readMono)).signal;
const timesOf = (fn) => timed(fn, opt.runs);
const median = (t) => fmt(t[Math.floor(t.length / 2)], 2);

async function time(m) {
  const t = await timesOf(() => m.predict(clip, { sampleRate: 16000 }));
  const p95 = fmt(t[Math.floor(t.length * 0.95)], 2);
  if (!opt.split) return `median ${median(t)} ms, p95 ${p95} ms`;
  const features = computeFeatures(clip, 16000, m.featureSpec);
  const fe = await timesOf(() => computeFeatures(clip, 16000, m.featureSpec));
  const net = await timesOf(() => m.predictFeatures([features]));
  return `median ${median(t)} ms, p95 ${p95} ms (features ${median(fe)}, network ${median(net)})`;
}

const members = model.training?.members ?? 1;
const others = opt.with ? (other.training?.members ?? 1) : 2 * members;
for (let r = 1; r <= opt.rounds; r++)
  console.log(`round ${r}: ${members} members ${await time(model)}; ${others} members ${await time(other)}`);
other.dispose();
model.dispose();
