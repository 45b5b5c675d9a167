// Measures, on a cross-validation's saved fold models, what folding one emotion's score into
// another does where the test clips do not carry the first: e.g. `calm` into `neutral` for corpora
// that have no calm (RAVDESS defines calm as a variant of neutral). Each corpus of a fold is scored
// on its own, as `speech-emotion evaluate` scores a dataset (predictions restricted to the labels
// its clips carry; a SAVEE speaker of a speaker fold is so scored without calm, where `train`
// restricts the whole fold to the labels of all its clips), then with the folded emotion's
// probability added to its target's before the restriction.
//
//   node scripts/label-merge-eval.mjs <train-out> [--merge calm:neutral] [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder.

import { resolve } from 'node:path';
import { devItems, foldTestRows, openLibrary, savedFolds } from './dev-data.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--merge');
const [from, to] = (at >= 0 ? args.splice(at, 2)[1] : 'calm:neutral').split(':');
const lib = await openLibrary();
const folds = savedFolds(lib, await devItems(lib), resolve(args[0] ?? ''), args[1] && resolve(args[1]));
const pct = (x) => `${(100 * x).toFixed(1)}%`;

const totals = {};
for (const { fold, dir } of folds) {
  const { model, shared, rows } = await foldTestRows(lib, fold, dir);
  const i = (l) => model.labels.indexOf(l);
  for (const ds of [...new Set(rows.map((r) => r.dataset))].sort()) {
    const list = rows.filter((r) => r.dataset === ds);
    const own = shared.filter((l) => list.some((r) => r.label === l));
    const merging = !own.includes(from) && own.includes(to) && i(from) >= 0;
    const pick = (p) => own.reduce((best, l) => (p[i(l)] > p[i(best)] ? l : best), own[0]);
    const probs = (await model.predictFeatures(list.map((r) => r.features))).map((p) => Array.from(p));
    const merged = probs.map((p) => {
      const q = p.slice();
      if (merging) q[i(to)] += q[i(from)];
      return q;
    });
    const ua = (ps) =>
      lib.evaluatePredictions(
        list.map((r) => r.label),
        ps.map(pick),
        own,
      );
    const [a, b] = [ua(probs), ua(merged)];
    const recall = (e) => pct(e.perClass[to]?.recall ?? 0);
    console.log(
      `${fold.name.padEnd(16)} ${ds.padEnd(8)} UA ${pct(a.unweightedAccuracy)} → ${merging ? `${from} folded into ${to}` : 'unchanged (nothing to fold)'} ${pct(b.unweightedAccuracy)}; ${to} recall ${recall(a)} → ${recall(b)}`,
    );
    if (!totals[ds]) totals[ds] = [];
    totals[ds].push([a.unweightedAccuracy, b.unweightedAccuracy]);
  }
  model.dispose();
}
for (const [ds, lines] of Object.entries(totals)) {
  const mean = (k) => lines.reduce((s, l) => s + l[k] / lines.length, 0);
  console.log(`${ds}: mean UA ${pct(mean(0))} → ${pct(mean(1))}`);
}
