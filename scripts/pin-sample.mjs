// Writes test/fixtures/default-model-sample.json: the bundled model's scores on
// examples/audio/sample.wav (predict, and a 1.5 s / 0.5 s timeline) with the wasm backend, from the
// built package. Run it only when the shipped model changes on purpose (npm run train:default);
// test/default-model.test.ts then holds every later change of the code to these scores.
//
//   npm run build && node scripts/pin-sample.mjs "why the model changed"
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const lib = await import('../dist/node.js');
tf.env().set('PROD', true);
await lib.useBackend('wasm');
const root = fileURLToPath(new URL('..', import.meta.url));
const model = await lib.EmotionModel.load();
const { signal, sampleRate } = await lib.readMono(`${root}examples/audio/sample.wav`);
const p = await model.predict(signal, { sampleRate });
const [window, hop] = [1.5, 0.5];
const timeline = await model.predictTimeline(signal, { sampleRate, window, hop });
const about = `Scores of the bundled model (models/default) on examples/audio/sample.wav, with the wasm backend, written by scripts/pin-sample.mjs: ${process.argv[2] ?? 'no reason given'}. test/default-model.test.ts holds the package to them: a change of the code must not change what the shipped model predicts.`;
const pinned = {
  about,
  predict: { label: p.label, scores: p.scores, unfamiliar: p.unfamiliar },
  timeline: {
    window,
    hop,
    scores: timeline.map((s) => s.scores),
    unfamiliar: timeline.map((s) => s.unfamiliar),
  },
};
writeFileSync(`${root}test/fixtures/default-model-sample.json`, `${JSON.stringify(pinned, null, 1)}\n`);
console.log(`pinned ${p.label} and ${timeline.length} timeline windows`);
console.log(
  `README.md quotes the CLI's line for the sample (test/default-model.test.ts checks it): # examples/audio/sample.wav: ${p.label} (${(100 * p.scores[p.label]).toFixed(0)}%)${p.uncertain ? ', uncertain' : ''}${p.unfamiliar ? ', unfamiliar audio' : ''}`,
);
