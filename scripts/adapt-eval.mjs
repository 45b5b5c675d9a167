// Measures unsupervised speaker adaptation on a cross-validation's saved fold models, before
// anything is built on it: each test speaker's features are shifted so that their mean over all of
// that speaker's clips (no labels used) equals the training set's mean, then scored as `train`
// scores the fold (predictions restricted to the labels the fold's clips carry).
//
//   node scripts/adapt-eval.mjs <train-out> [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder (its folds/ may be incomplete while
// the run goes on: the folds saved so far are scored). Folds named corpus-* are leave-one-corpus-out;
// the others come from the folds file (default ../shared/splits/dev-folds.json). Prints UA per fold
// and corpus without and with adaptation.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { devItems, foldTestRows, groupBy, meanFrame, openLibrary, savedFolds } from './dev-data.mjs';

const lib = await openLibrary();
const from = resolve(process.argv[2] ?? '');
const folds = savedFolds(lib, await devItems(lib), from, process.argv[3] && resolve(process.argv[3]));
const pct = (x) => `${(100 * x).toFixed(1)}%`;

const totals = { raw: [], adapted: [] };
for (const { fold, dir } of folds) {
  const { model, shared, rows } = await foldTestRows(lib, fold, dir);
  const trainMean = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).userDefinedMetadata
    .speechEmotion.normalization.mean;
  const adapted = [];
  for (const list of groupBy(rows, (r) => `${r.dataset}:${r.speaker}`).values()) {
    const mu = meanFrame(list.map((r) => r.features));
    for (const r of list) {
      const f = r.features.features;
      const d = Float32Array.from(r.features.data, (v, j) => v - mu[j % f] + trainMean[j % f]);
      adapted.push({ ...r, features: { ...r.features, data: d } });
    }
  }
  // Scored as `train` scores the fold: predictions restricted to the labels both sides carry.
  const score = async (list) => (await model.evaluate(list, { labels: shared })).unweightedAccuracy;
  const perDs = async (list) => {
    const out = {};
    for (const ds of [...new Set(list.map((r) => r.dataset))].sort())
      out[ds] = await score(list.filter((r) => r.dataset === ds));
    return out;
  };
  const a = await perDs(rows);
  const b = await perDs(adapted);
  for (const ds of Object.keys(a)) {
    console.log(
      `${fold.name.padEnd(16)} ${ds.padEnd(8)} UA ${pct(a[ds])} → adapted per speaker ${pct(b[ds])}`,
    );
    totals.raw.push([ds, a[ds]]);
    totals.adapted.push([ds, b[ds]]);
  }
  model.dispose();
}
for (const ds of ['ravdess', 'savee']) {
  const mean = (xs) => xs.filter(([d]) => d === ds).reduce((s, [, v], _, l) => s + v / l.length, 0);
  if (totals.raw.some(([d]) => d === ds))
    console.log(`${ds}: mean UA ${pct(mean(totals.raw))} → ${pct(mean(totals.adapted))}`);
}
