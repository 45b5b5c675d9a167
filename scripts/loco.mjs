// Leave-one-corpus-out for a training recipe, the protocol of issue #11 that predicts a corpus the
// model never heard: train on RAVDESS, test on all of SAVEE, and the reverse, each scored on the
// emotions both corpora share (predictions restricted to them, as `speech-emotion evaluate` does).
// Uses the library's corpusFolds and sharedLabels; `speech-emotion train --folds corpus` runs the
// same protocol from the CLI with the CLI's training options.
//
//   node scripts/loco.mjs recipe.json [--direction ravdess|savee] [--member k] [--out file.json]
//
// --direction X trains on the other corpus and tests on X (both when absent); --member k trains the
// k-th member of an ensemble recipe only (seed + 1000·(k−1)). The output keeps every test clip's
// probabilities, so members and directions combine without retraining.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { EMOTIONS, corpusFolds, evaluatePredictions, sharedLabels } from '../dist/index.js';
import { developmentItems, featureRows, loadRecipe, startBackend, trainModel } from './recipe.mjs';

const { values: opt, positionals } = parseArgs({
  options: { direction: { type: 'string' }, member: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
if (!positionals[0]) {
  console.error(
    'usage: node scripts/loco.mjs recipe.json [--direction ravdess|savee] [--member k] [--out file.json]',
  );
  process.exit(2);
}
const recipe = loadRecipe(positionals[0]);
const member = opt.member ? Number(opt.member) : 1;
const seed = (recipe.seed ?? 1) + 1000 * (member - 1);
const log = (s) => console.error(s);
await startBackend();
const t0 = performance.now();
const folds = corpusFolds(await developmentItems()).filter(
  (f) => !opt.direction || f.name === `corpus/${opt.direction}`,
);
const results = [];
for (const fold of folds) {
  const test = fold.name.slice('corpus/'.length);
  const shared = sharedLabels(fold, EMOTIONS);
  const trainLabels = EMOTIONS.filter((l) => fold.train.some((it) => it.label === l));
  const rows = [];
  for (let c = 0; c <= (recipe.audioAugment?.copies ?? 0); c++)
    rows.push(...(await featureRows(recipe, fold.train, c, log)));
  const testRows = (await featureRows(recipe, fold.test, 0, log)).filter((r) => shared.includes(r.label));
  const model = await trainModel(recipe, rows, { seed, log, tag: `→ ${test}: `, labels: trainLabels });
  const probs = await model.predictFeatures(testRows.map((r) => r.features));
  model.dispose();
  // Restricted to the shared emotions: the likeliest of them.
  const idx = shared.map((l) => trainLabels.indexOf(l));
  const predicted = probs.map((p) => shared[idx.reduce((b, k, j) => (p[k] > p[idx[b]] ? j : b), 0)]);
  const e = evaluatePredictions(
    testRows.map((r) => r.label),
    predicted,
    shared,
  );
  log(
    `train on the other corpus, test on all of ${test}: UA ${(100 * e.unweightedAccuracy).toFixed(1)}% over ${shared.length} shared emotions (${testRows.length} clips, ${((performance.now() - t0) / 60000).toFixed(1)} min so far)`,
  );
  results.push({
    test,
    sharedLabels: shared,
    trainLabels,
    evaluation: e,
    clips: testRows.map((r, j) => ({
      path: r.path,
      label: r.label,
      probs: Array.from(probs[j], (v) => Number(v.toFixed(5))),
    })),
  });
}
const summary = Object.fromEntries(results.map((r) => [r.test, r.evaluation.unweightedAccuracy]));
console.log(
  JSON.stringify({ recipe: recipe.name, member, seed, summary, minutes: (performance.now() - t0) / 60000 }),
);
if (opt.out) {
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, `${JSON.stringify({ recipe, member, seed, results }, null, 2)}\n`);
}
