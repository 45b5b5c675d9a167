// Screens per-speaker normalisation in training (issue #11) on leave-one-corpus-out, before
// anything is built on it. Every speaker's features are shifted so that their mean over all of
// that speaker's clips is zero: in training, per speaker and per copy (a perturbed copy is another
// room, so it is normalised with its own statistics); in testing, per test speaker, from that
// speaker's clips alone (no labels used), as an adaptation mode would. The model's own training-set
// normalisation then applies as usual.
//
//   node scripts/speaker-norm-screen.mjs <recipe.json> <out-dir> [--mode mean|none]
//
// --mode none trains and scores the same rows without the shift (the control, which should match
// `train --folds corpus --cv-only --workers 1` for the recipe). Writes <out-dir>/report.json and a
// cv-clips.json that scripts/combine-cv.mjs reads. One thread; about 12 minutes for a one-member
// recipe on this machine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devItems, groupBy, meanFrame, openLibrary } from './dev-data.mjs';

const [recipePath, outDir] = process.argv.slice(2);
const mode = process.argv.includes('--mode') ? process.argv[process.argv.indexOf('--mode') + 1] : 'mean';
if (!recipePath || !outDir || !['mean', 'none'].includes(mode)) {
  console.error('usage: node scripts/speaker-norm-screen.mjs <recipe.json> <out-dir> [--mode mean|none]');
  process.exit(2);
}
const lib = await openLibrary();
const recipe = lib.defineRecipe(JSON.parse(readFileSync(recipePath, 'utf8')));
const items = await devItems(lib);
const t0 = performance.now();
const all = await lib.recipeRows(items, recipe);
console.error(`features: ${((performance.now() - t0) / 1000).toFixed(0)} s`);

/** Rows shifted so that each group's mean frame is zero (per feature column). */
function centreGroups(rows, keyOf) {
  if (mode === 'none') return rows;
  const out = [];
  for (const list of groupBy(rows, keyOf).values()) {
    const mu = meanFrame(list.map((r) => r.features));
    const f = mu.length;
    for (const r of list) {
      const data = Float32Array.from(r.features.data, (v, j) => v - mu[j % f]);
      out.push({ ...r, features: { ...r.features, data } });
    }
  }
  return out;
}

const speaker = (r) => `${r.dataset}:${r.speaker}`;
const byPath = (rows) => new Map(rows.map((r) => [r.path, r]));
const clean = byPath(all.rows);
const copies = all.copies.map(byPath);
const labels = lib.labelOrder(all.rows.map((r) => r.label));
const report = { recipe: recipe.name, mode, folds: [] };
const cvClips = { recipe: `${recipe.name}+speaker-norm-${mode}`, folds: [] };
for (const fold of lib.corpusFolds(items)) {
  const train = [
    ...centreGroups(
      fold.train.flatMap((i) => clean.get(i.path) ?? []),
      speaker,
    ),
    ...copies.flatMap((c) =>
      centreGroups(
        fold.train.flatMap((i) => c.get(i.path) ?? []),
        speaker,
      ),
    ),
  ];
  const model = await lib.trainRecipe(recipe, train, {
    labels: labels.filter((l) => fold.train.some((it) => it.label === l)),
    onEpochEnd: (_m, e, log) => console.error(`${fold.name} epoch ${e + 1} loss ${log.loss.toFixed(4)}`),
  });
  const shared = lib.sharedLabels(fold, labels);
  const test = centreGroups(
    fold.test.flatMap((i) => clean.get(i.path) ?? []),
    speaker,
  ).filter((r) => shared.includes(r.label));
  const evaluation = await model.evaluate(test, { labels: shared });
  const probs = await model.predictFeatures(test.map((r) => r.features));
  // As train's cv-clips.json: the model's labels and its raw scores (combine-cv restricts them).
  cvClips.folds.push({
    name: fold.name,
    labels: model.labels,
    clips: test.map((r, i) => ({
      path: r.path,
      dataset: r.dataset,
      label: r.label,
      probs: Array.from(probs[i], (p) => Number(p.toFixed(5))),
    })),
  });
  report.folds.push({ name: fold.name, ua: evaluation.unweightedAccuracy });
  console.error(`${fold.name}: UA ${(100 * evaluation.unweightedAccuracy).toFixed(1)}%`);
  model.dispose();
}
report.seconds = Math.round((performance.now() - t0) / 1000);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, 'cv-clips.json'), `${JSON.stringify(cvClips)}\n`);
