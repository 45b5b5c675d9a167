// How many of mic-eval.mjs's processed captures get the label of the file with its mean removed
// (the browser's processing high-passes, which takes SAVEE's DC offsets away).
//   node mic-demean.mjs <fold-1 model dir> <out.json>
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EmotionModel, readMono, useBackend } from '../../../../dist/node.js';
tf.env().set('PROD', true);
await useBackend('wasm');
const D =
  process.env.SPEECH_EMOTION_DATA ?? new URL('../../../../../shared/datasets', import.meta.url).pathname;
const model = await EmotionModel.load(process.argv[2]);
const r = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const labels = ['angry', 'disgust', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
let same = 0;
const right = 0;
const rightRaw = 0;
const per = {};
for (const x of r) {
  const a = await readMono(isAbsolute(x.path) ? x.path : join(D, x.path));
  const mean = a.signal.reduce((s, v) => s + v, 0) / a.signal.length;
  const p = await model.predict(
    a.signal.map((v) => v - mean),
    { sampleRate: a.sampleRate, ...(x.corpus === 'savee' && { labels }) },
  );
  same += p.label === x.processed;
  per[x.label] ??= [0, 0];
  per[x.label][0]++;
  per[x.label][1] += p.label === x.label;
}
const ua = Object.values(per).reduce((s, [n, k]) => s + k / n, 0) / Object.keys(per).length;
console.log(
  `${r.length} clips: demeaned file UA ${(100 * ua).toFixed(1)}%, same label as processed ${((100 * same) / r.length).toFixed(0)}%`,
);
