// Scores one or more cross-validation runs, alone and averaged, from their cv-clips.json files,
// with no retraining: an ensemble of recipes is judged by averaging each test clip's probabilities.
//
//   node scripts/combine-cv.mjs runA/cv-clips.json runB/cv-clips.json [--weights 2,1] [--temperature T] [--json]
//
// A run trained in parts is one argument, its files joined by '+' (their folds put together).
// Every file must come from the same folds (same fold names and test clips; a clip is matched by
// its corpus folder and file name, so runs made with relative and absolute data paths combine). Each fold is scored as
// `train` scores it: predictions restricted to the labels its test clips carry, unweighted accuracy
// (mean per-class recall) per fold and per dataset, and recall per class. Also per fold: the mean top
// score, and the expected calibration error (15 bins) of the restricted scores after temperature T
// (default 1; a model's `calibration.temperature` tells how its scores would fare on these clips).
import { evaluatePredictions, expectedCalibrationError } from '../dist/index.js';
import { averageRuns, readRun } from './cv-clips.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const wAt = args.indexOf('--weights');
const tAt = args.indexOf('--temperature');
const temperature = tAt >= 0 ? Number(args[tAt + 1]) : 1;
const values = new Set([wAt, tAt].filter((i) => i >= 0).map((i) => i + 1));
const files = args.filter((a, i) => !a.startsWith('--') && !values.has(i));
if (files.length === 0) {
  console.error(
    'usage: node scripts/combine-cv.mjs a/cv-clips.json [b/cv-clips.json …] [--weights 1,1] [--json]',
  );
  process.exit(2);
}
const weights = wAt >= 0 ? args[wAt + 1].split(',').map(Number) : files.map(() => 1);
if (weights.length !== files.length || weights.some((w) => !(w >= 0))) {
  console.error('--weights needs one non-negative number per file');
  process.exit(2);
}
if (!(temperature > 0)) {
  console.error('--temperature needs a positive number');
  process.exit(2);
}
const runs = files.map(readRun);

function score(folds) {
  const ua = (clips, labels) =>
    evaluatePredictions(
      clips.map((c) => c.label),
      clips.map((c) => c.predicted),
      labels,
    );
  const perFold = folds.map((f) => {
    const datasets = {};
    for (const d of [...new Set(f.clips.map((c) => c.dataset ?? ''))].sort())
      datasets[d] = ua(
        f.clips.filter((c) => (c.dataset ?? '') === d),
        f.labels,
      ).unweightedAccuracy;
    const e = ua(f.clips, f.labels);
    const recall = Object.fromEntries(Object.entries(e.perClass).map(([l, m]) => [l, m.recall]));
    const probs = f.clips.map((c) => c.probs);
    const truth = f.clips.map((c) => f.labels.indexOf(c.label));
    const confidence = probs.reduce((a, p) => a + Math.max(...p), 0) / probs.length;
    const ece = expectedCalibrationError(probs, truth);
    return {
      name: f.name,
      ua: e.unweightedAccuracy,
      accuracy: e.accuracy,
      datasets,
      recall,
      confidence,
      ece,
    };
  });
  const mean = perFold.reduce((a, f) => a + f.ua, 0) / perFold.length;
  return { perFold, mean };
}

const pct = (x) => `${(100 * x).toFixed(1)}`;
const results = [];
const sets = files.length > 1 ? [...files.map((_, i) => [i]), files.map((_, i) => i)] : [[0]];
for (const use of sets) {
  const s = score(
    averageRuns(
      use.map((i) => runs[i]),
      use.map((i) => weights[i]),
      temperature,
    ),
  );
  const name =
    use.length === 1
      ? files[use[0]]
      : `average of ${use.length}${wAt >= 0 ? ` (weights ${weights.join(',')})` : ''}`;
  results.push({ name, ...s });
  if (!json) {
    console.log(`\n${name}`);
    for (const f of s.perFold) {
      const per =
        Object.keys(f.datasets).length > 1
          ? Object.entries(f.datasets)
              .map(([d, v]) => `${d} ${pct(v)}%`)
              .join('  ')
          : '';
      console.log(
        `  ${f.name.padEnd(16)} UA ${pct(f.ua)}%  accuracy ${pct(f.accuracy)}%  mean top score ${pct(f.confidence)}%  ECE ${pct(f.ece)}% (T ${temperature})  ${per}`,
      );
      console.log(
        `  ${''.padEnd(16)} recall: ${Object.entries(f.recall)
          .map(([l, r]) => `${l} ${pct(r)}`)
          .join(', ')}`,
      );
    }
    console.log(`  mean UA over folds ${pct(s.mean)}%`);
  }
}
if (json) console.log(JSON.stringify(results));
