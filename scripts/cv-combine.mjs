// Cross-validated accuracy of an ensemble, from the saved per-clip probabilities of scripts/cv.mjs
// runs (their --out files): each clip's class probabilities are averaged, with equal weight, over
// every member model of every run given, then scored per fold exactly as scripts/cv.mjs scores a
// single run. Weights are not tuned (tuning them on the test folds would leak).
//
//   node scripts/cv-combine.mjs a.json b.json [c.json …] [--members n]
//
// Runs of different members (seeds, or recipes sharing a FeatureSpec) on the same folds make an
// ensemble; runs on different folds are joined. --members n keeps the first n members of each run.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { combineRuns } from './recipe.mjs';

const { values: opt, positionals: files } = parseArgs({
  options: { members: { type: 'string' } },
  allowPositionals: true,
});
if (files.length === 0) {
  console.error('usage: node scripts/cv-combine.mjs a.json [b.json …] [--members n]');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const r = combineRuns(runs, { keep: opt.members ? Number(opt.members) : undefined });
const pct = (x) => (100 * x).toFixed(1);
console.error(
  `${r.summary.members} model(s) per clip; ${r.folds
    .map((f) => `${f.fold}: ${pct(f.ravdess)}${f.savee === undefined ? '' : `/${pct(f.savee)}`}`)
    .join(', ')} → RAVDESS ${pct(r.summary.ravdessUA)} ± ${pct(r.summary.ravdessStd)}${
    r.summary.saveeUA === null ? '' : `, SAVEE ${pct(r.summary.saveeUA)} ± ${pct(r.summary.saveeStd)}`
  }`,
);
console.log(JSON.stringify({ runs: files, ...r.summary, folds: r.folds }));
