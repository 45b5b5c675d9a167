// How a cross-validation's saved fold models hold up on short utterances: each fold's test clips
// scored whole, then cut to their first S seconds (silence included, as a recording of S seconds
// would hold it), as `train` scores the fold (predictions restricted to the labels the fold's
// clips carry). Clips too short for the model's FeatureSpec after the cut are left out and counted.
//
//   node scripts/short-clip-eval.mjs <train-out> [--cuts 2.5,2,1.5] [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder. Folds named corpus-* are
// leave-one-corpus-out; the others come from the folds file (default
// ../shared/splits/dev-folds.json). Prints UA per fold, corpus and cut, then the means.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const lib = await import(process.env.SPEECH_EMOTION_DIST ?? '../dist/node.js');
tf.env().set('PROD', true);
await lib.useBackend('wasm');
const args = process.argv.slice(2);
const flag = args.indexOf('--cuts');
const cuts = [null, ...(flag >= 0 ? args.splice(flag, 2)[1] : '2.5,2,1.5').split(',').map(Number)];
const from = resolve(args[0] ?? '');
const data = resolve(
  fileURLToPath(new URL('..', import.meta.url)),
  process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets',
);
const all = [];
for (const ds of ['ravdess', 'savee'])
  all.push(...(await lib.scanDataset(join(data, ds), { dataset: ds })).items);
const saved = readdirSync(join(from, 'folds')).filter((d) =>
  existsSync(join(from, 'folds', d, 'model.json')),
);
const foldsFile = resolve(args[1] ?? join(data, '..', 'splits', 'dev-folds.json'));
const folds = saved.some((d) => d.startsWith('corpus-'))
  ? lib.corpusFolds(all)
  : lib.speakerFolds(all, JSON.parse(readFileSync(foldsFile, 'utf8')));
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const name = (cut) => (cut === null ? 'whole' : `${cut} s`);

const totals = new Map();
for (const fold of folds) {
  const dir = saved.find((d) => d === fold.name.replace(/[^\w.-]+/g, '-'));
  if (!dir) continue;
  const model = await lib.EmotionModel.load(join(from, 'folds', dir));
  const shared = lib.sharedLabels(fold, model.labels);
  const audio = [];
  for (const it of fold.test.filter((x) => shared.includes(x.label)))
    audio.push({ it, a: await lib.readMono(it.path) });
  for (const cut of cuts) {
    const rows = [];
    let tooShort = 0;
    for (const { it, a } of audio) {
      const signal = cut === null ? a.signal : a.signal.subarray(0, Math.round(cut * a.sampleRate));
      try {
        rows.push({ ...it, features: lib.computeFeatures(signal, a.sampleRate, model.featureSpec) });
      } catch (e) {
        if (!(e instanceof lib.SpeechEmotionError)) throw e;
        tooShort++;
      }
    }
    for (const ds of [...new Set(rows.map((r) => r.dataset))].sort()) {
      const ua = (
        await model.evaluate(
          rows.filter((r) => r.dataset === ds),
          { labels: shared },
        )
      ).unweightedAccuracy;
      const key = `${ds} ${name(cut)}`;
      totals.set(key, [...(totals.get(key) ?? []), ua]);
      console.log(
        `${fold.name.padEnd(16)} ${key.padEnd(16)} UA ${pct(ua)}${tooShort ? ` (${tooShort} clips too short, left out)` : ''}`,
      );
    }
  }
  model.dispose();
}
for (const [key, v] of totals)
  console.log(`${key.padEnd(16)} mean UA ${pct(v.reduce((a, b) => a + b, 0) / v.length)}`);
