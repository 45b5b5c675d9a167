// Screens per-speaker normalisation in training (issue #11) on leave-one-corpus-out, before
// anything is built on it. Every speaker's features are shifted so that their mean over all of
// that speaker's clips is zero: in training, per speaker and per copy (a perturbed copy is another
// room, so it is normalised with its own statistics); in testing, per test speaker, from that
// speaker's clips alone (no labels used), as an adaptation mode would. The model's own training-set
// normalisation then applies as usual.
//
//   node scripts/speaker-norm-screen.mjs <recipe.json> <out-dir> [--mode mean|neutral|none] [--seed N]
//
// --mode neutral shifts by the mean of the speaker's neutral clips only, as a user would enrol one
// neutral recording of a voice: in training, all of a speaker's neutral clips (per copy); in testing,
// the speaker's first two neutral clips by file name, which are then left out of the scores.
// --seed replaces the recipe's seed.
//
// --mode none trains and scores the same rows without the shift (the control, which should match
// `train --folds corpus --cv-only --workers 1` for the recipe). Writes <out-dir>/report.json and a
// cv-clips.json that scripts/combine-cv.mjs reads. One thread; about 12 minutes for a one-member
// recipe on this machine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devItems, groupBy, meanFrame, openLibrary } from './dev-data.mjs';

const [recipePath, outDir] = process.argv.slice(2);
const option = (name) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const mode = option('--mode') ?? 'mean';
if (!recipePath || !outDir || !['mean', 'neutral', 'none'].includes(mode)) {
  console.error(
    'usage: node scripts/speaker-norm-screen.mjs <recipe.json> <out-dir> [--mode mean|neutral|none] [--seed N]',
  );
  process.exit(2);
}
const lib = await openLibrary();
const given = JSON.parse(readFileSync(recipePath, 'utf8'));
if (option('--seed') !== undefined) given.seed = Number(option('--seed'));
const recipe = lib.defineRecipe(given);
/** Test clips per speaker that serve as the neutral reference in --mode neutral (left out of the scores). */
const TEST_REFERENCES = 2;
const items = await devItems(lib);
const t0 = performance.now();
const all = await lib.recipeRows(items, recipe);
console.error(`features: ${((performance.now() - t0) / 1000).toFixed(0)} s`);

/**
 * Rows shifted so that each group's mean frame is zero (per feature column); in --mode neutral, the
 * mean frame of the group's rows that `isReference` picks.
 */
function centreGroups(rows, keyOf, isReference = (r) => r.label === 'neutral') {
  if (mode === 'none') return rows;
  const out = [];
  for (const list of groupBy(rows, keyOf).values()) {
    const reference = mode === 'neutral' ? list.filter(isReference) : list;
    if (reference.length === 0) throw new Error(`no reference clips for ${keyOf(list[0])}`);
    const mu = meanFrame(reference.map((r) => r.features));
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
const report = { recipe: recipe.name, seed: recipe.seed, mode, folds: [] };
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
  const testRows = fold.test.flatMap((i) => clean.get(i.path) ?? []);
  const references = new Set();
  if (mode === 'neutral')
    for (const list of groupBy(testRows, speaker).values())
      for (const r of list
        .filter((x) => x.label === 'neutral')
        .sort((a, b) => (a.path < b.path ? -1 : 1))
        .slice(0, TEST_REFERENCES))
        references.add(r.path);
  const test = centreGroups(testRows, speaker, (r) => references.has(r.path)).filter(
    (r) => shared.includes(r.label) && !references.has(r.path),
  );
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
