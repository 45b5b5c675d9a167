// Prediction speed of the bundled default model in Node on wasm: latency of predict() on a 3.5 s
// clip (decoding excluded; features, resampling and the network included), median and p95 over
// repeated calls after warm-up, and predictBatch throughput in clips per second. Prints the model's
// size on disk too.
//   --runs N     timed predict() calls (default 200)
//   --batch N    clips per predictBatch call (default 32)
//   --json       end with one JSON line { medianMs, p95Ms, median44kMs, median48kMs, clipsPerSecond,
//                modelBytes, backend }
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EmotionModel, readMono, useBackend } from '../dist/node.js';
import { DATA_DIR, ROOT, args, fmt, ravdessFiles, requireData } from './common.mjs';

const opt = args({ runs: 200, batch: 32, json: false });
requireData();
tf.env().set('PROD', true);
const backend = await useBackend('wasm');
const dir = join(ROOT, 'models', 'default');
const modelBytes = readdirSync(dir)
  .filter((f) => f === 'model.json' || f.endsWith('.bin'))
  .reduce((a, f) => a + statSync(join(dir, f)).size, 0);
const model = await EmotionModel.load();

// A 3.5 s clip: the first RAVDESS file that long or longer, cut to 3.5 s.
let clip;
for (const f of ravdessFiles()) {
  const a = await readMono(f);
  if (a.signal.length >= 3.5 * a.sampleRate) {
    clip = {
      signal: a.signal.subarray(0, Math.round(3.5 * a.sampleRate)),
      sampleRate: a.sampleRate,
      file: f,
    };
    break;
  }
}
console.log(
  `predict benchmark: default model (${fmt(modelBytes / 1e6, 2)} MB: model.json + weights), ${backend} backend, Node ${process.version}`,
);
console.log(`  clip: ${clip.file.slice(DATA_DIR.length + 1)}, 3.5 s at ${clip.sampleRate} Hz`);
for (let i = 0; i < 20; i++) await model.predict(clip.signal, { sampleRate: clip.sampleRate });
const times = [];
for (let i = 0; i < opt.runs; i++) {
  const t = performance.now();
  await model.predict(clip.signal, { sampleRate: clip.sampleRate });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const p95 = times[Math.floor(times.length * 0.95)];
console.log(`  predict(): median ${fmt(median, 2)} ms, p95 ${fmt(p95, 2)} ms over ${opt.runs} calls`);

// 44.1 and 48 kHz input (files, and what browsers decode to): the same call with resampling in the path.
const { resample } = await import('../dist/index.js');
const atRate = {};
for (const rate of [44100, 48000]) {
  const up = resample(clip.signal, clip.sampleRate, rate);
  const t = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await model.predict(up, { sampleRate: rate });
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  atRate[rate] = t[25];
  console.log(`  predict() of the clip at ${rate / 1000} kHz (resampled inside): median ${fmt(t[25], 2)} ms`);
}

const batch = Array.from({ length: opt.batch }, () => ({ signal: clip.signal, sampleRate: clip.sampleRate }));
await model.predictBatch(batch);
let clips = 0;
const t0 = performance.now();
while (performance.now() - t0 < 3000) {
  await model.predictBatch(batch);
  clips += batch.length;
}
const clipsPerSecond = clips / ((performance.now() - t0) / 1000);
console.log(`  predictBatch() of ${opt.batch}: ${fmt(clipsPerSecond, 0)} clips/s`);
console.log('\nTargets:');
console.log(`  ${median <= 20 ? 'met   ' : 'MISSED'} median ≤ 20 ms per clip`);
console.log(`  ${median <= 10 ? 'met   ' : 'MISSED'} median ≤ 10 ms per clip (issue #11)`);
console.log(`  ${modelBytes <= 3e6 ? 'met   ' : 'MISSED'} model ≤ 3 MB`);
if (opt.json)
  console.log(
    JSON.stringify({
      medianMs: median,
      p95Ms: p95,
      median44kMs: atRate[44100],
      median48kMs: atRate[48000],
      clipsPerSecond,
      modelBytes,
      backend,
    }),
  );
model.dispose();
