// The calibration check of the embedding detector (issue #11), on the clips that
// `embedding-distance.mjs` wrote. Without the detector: one temperature T1 learnt on the speaker
// folds' held-out clean clips (as `calibrate` learns the shipped one). With it, by `--form`:
// - `step` (default): clips beyond the threshold (the `--percentile` of the held-out clean clips'
//   distances, default 0.9) get a second temperature, learnt on the other direction's clips beyond it;
// - `grow`: T(d) = T1 · max(1, d / d0)^k, d0 the held-out clean clips' median distance, k learnt on
//   the other direction's clips.
// The other corpus's figures are cross-fitted (each direction scored with what the other taught);
// the speaker folds' clips get what both directions together teach, and T1 and the threshold each
// fold's clips get are learnt on the other folds' clips. Prints each group's expected
// calibration error (15 bins) without → with. With `--learn <other clips.json>` (another seed's fold
// models), T1, the threshold and the second temperature are all learnt on those clips and applied to
// <clips.json> as they are, nothing cross-fitted: whether what one set of models teaches carries.
//
// With `--ensemble <speaker-fold cv-clips.json> <corpus cv-clips.json>` (a run of an ensemble
// whose first member made <clips.json>'s fold models), the clips as recorded and of the other
// corpus are scored with the ensemble's probabilities instead, and the first member's distances
// (the channels are left out: there are no ensemble outputs for them). With `--ratio` as well, T2
// is not learnt on the ensemble's scores but set to its T1 times the first member's T2 / T1 (what
// a pipeline whose leave-one-corpus-out run has one member could do).
//
//   node docs/recipes/results/embedding-calibration.mjs <clips.json> [--form step|grow] [--percentile p]
//     [--learn <clips.json>] [--ensemble <cv-clips.json> <cv-clips.json> [--ratio]]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { openLibrary } from '../../../scripts/dev-data.mjs';

const lib = await openLibrary();
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const form = opt('--form', 'step');
const pct = Number(opt('--percentile', '0.9'));
const learnFrom = opt('--learn', null);
/** The clips `embedding-distance.mjs` wrote, one object each. */
function readClips(file) {
  const raw = readFileSync(file);
  const groups = JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
  return groups.flatMap(({ labels, clips, ...g }) =>
    clips.map(([distance, truth, ...probs]) => ({ ...g, labels, label: labels[truth], distance, probs })),
  );
}
const ensembleAt = args.indexOf('--ensemble');
const ensembleRuns = ensembleAt >= 0 ? args.splice(ensembleAt, 3).slice(1) : null;
const ratioAt = args.indexOf('--ratio');
const RATIO = ratioAt >= 0 && args.splice(ratioAt, 1).length > 0;

/**
 * The clips as recorded and of the other corpus, with the probabilities of the ensemble whose runs
 * are `runs` (cv-clips.json, the same folds and clips in the same order) and the one-member ones as
 * `probs1`.
 */
function withEnsemble(list, runs) {
  const byFold = new Map();
  for (const run of runs)
    for (const fold of JSON.parse(readFileSync(run, 'utf8')).folds) byFold.set(fold.name, fold);
  const at = new Map();
  return list
    .filter((c) => c.protocol === 'corpus' || c.group === 'clean')
    .map((c) => {
      const fold = byFold.get(c.fold);
      const i = at.get(c.fold) ?? 0;
      at.set(c.fold, i + 1);
      const other = fold.clips[i];
      if (other.label !== c.label) throw new Error(`${c.fold}: clip ${i} is ${other.label}, not ${c.label}`);
      return { ...c, probs1: c.probs, probs: c.labels.map((l) => other.probs[fold.labels.indexOf(l)]) };
    });
}
const clips = ensembleRuns ? withEnsemble(readClips(args[0]), ensembleRuns) : readClips(args[0]);
const teacher = learnFrom ? readClips(learnFrom) : clips;

/** A clip's scores (its fold's labels, renormalised) at temperature t. */
const scaled = (c, t) => lib.applyTemperature(c.probs, t);
const truth = (c) => c.labels.indexOf(c.label);
/** The one temperature that fits `list` best (the library's own fit, as `calibrate` uses). */
const fitT = (list) =>
  lib.fitTemperature(
    list.map((c) => c.probs),
    list.map(truth),
  );
const nll = (list, tOf) =>
  list.reduce((a, c) => a - Math.log(Math.max(scaled(c, tOf(c))[truth(c)], 1e-12)), 0) / list.length;
/** The grid value of `grid` that minimises the NLL of `list` under tOf(value) (the `grow` form's k). */
function argmin(list, grid, tOf) {
  let best = grid[0];
  let bestNll = Number.POSITIVE_INFINITY;
  for (const v of grid) {
    const n = nll(list, (c) => tOf(v, c));
    if (n < bestNll) [best, bestNll] = [v, n];
  }
  return best;
}
const range = (a, b, step) => Array.from({ length: Math.round((b - a) / step) + 1 }, (_, i) => a + i * step);
const ece = (list, tOf) =>
  lib.expectedCalibrationError(
    list.map((c) => scaled(c, tOf(c))),
    list.map(truth),
  );
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const speakerClean = (list) => list.filter((c) => c.protocol === 'speaker' && c.group === 'clean');
const corpusOf = (list) => list.filter((c) => c.protocol === 'corpus');

/**
 * T1 on `held` (held-out clean speaker-fold clips), and each clip's temperature with the detector,
 * its threshold (or d0) from `held` and what it adds learnt on `across` (other-corpus clips).
 */
function learn(held, across) {
  if (RATIO) {
    const one = learn1(
      held.map((c) => ({ ...c, probs: c.probs1 })),
      across.map((c) => ({ ...c, probs: c.probs1 })),
    );
    const t1 = fitT(held);
    const t2 = (t1 * one.t2) / one.t1;
    return {
      t1,
      describe: `T1 ${t1.toFixed(2)}, T2 ${t2.toFixed(2)} (first member: ${one.describe})`,
      tOf: (c) => (c.distance > one.tau ? t2 : t1),
    };
  }
  return learn1(held, across);
}
function learn1(held, across) {
  const t1 = fitT(held);
  const distances = held.map((c) => c.distance);
  if (form === 'step') {
    const tau = quantile(distances, pct);
    const beyond = across.filter((c) => c.distance > tau);
    const t2 = beyond.length ? fitT(beyond) : t1;
    return {
      t1,
      t2,
      tau,
      describe: `T1 ${t1.toFixed(2)}, threshold ${tau.toFixed(3)}, T2 ${t2.toFixed(2)}`,
      tOf: (c) => (c.distance > tau ? t2 : t1),
    };
  }
  if (form === 'grow') {
    const d0 = quantile(distances, 0.5);
    const tOf = (k, c) => t1 * Math.max(1, c.distance / d0) ** k;
    const k = argmin(across, range(0, 12, 0.05), tOf);
    return {
      t1,
      describe: `T1 ${t1.toFixed(2)}, d0 ${d0.toFixed(3)}, k ${k.toFixed(2)}`,
      tOf: (c) => tOf(k, c),
    };
  }
  throw new Error(`unknown form '${form}'`);
}

// Every clip is scored with what clips other than its own fold or direction taught (or, with
// --learn, with what the other set of models' clips taught).
const learners = new Map();
function learnerOf(c) {
  const key = learnFrom ? 'all' : `${c.protocol} ${c.protocol === 'speaker' ? c.fold : c.group}`;
  if (!learners.has(key)) {
    const held = speakerClean(teacher).filter(
      (h) => learnFrom || c.protocol !== 'speaker' || h.fold !== c.fold,
    );
    const across = corpusOf(teacher).filter(
      (a) => learnFrom || c.protocol !== 'corpus' || a.group !== c.group,
    );
    learners.set(key, learn(held, across));
  }
  return learners.get(key);
}
for (const c of clips) learnerOf(c);
console.log(learnFrom ? `learnt on ${learnFrom}, form ${form}` : `form ${form}, cross-fitted`);
for (const [key, l] of learners) console.log(`  ${key}: ${l.describe}`);
console.log(
  '\n| clips | n | accuracy | mean temperature | ECE without → with | uncertain (top score < 0.5) | accuracy of the rest |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
/** Share of clips whose top score is under 0.5, and accuracy of the others, at temperatures tOf. */
function sure(list, tOf) {
  const rest = list.filter((c) => Math.max(...scaled(c, tOf(c))) >= 0.5);
  const right = rest.filter((c) => {
    const p = scaled(c, 1);
    return p.indexOf(Math.max(...p)) === truth(c);
  }).length;
  return [1 - rest.length / list.length, rest.length ? right / rest.length : Number.NaN];
}
const f = (x) => `${(100 * x).toFixed(1)}%`;
for (const g of [...new Set(clips.map((c) => `${c.protocol} ${c.group}`))]) {
  const list = clips.filter((c) => `${c.protocol} ${c.group}` === g);
  const tOf = (c) => learnerOf(c).tOf(c);
  const t1Of = (c) => learnerOf(c).t1;
  const acc = list.filter((c) => {
    const p = scaled(c, 1);
    return p.indexOf(Math.max(...p)) === truth(c);
  }).length;
  const meanT = list.reduce((a, c) => a + tOf(c), 0) / list.length;
  const [u0, a0] = sure(list, t1Of);
  const [u1, a1] = sure(list, tOf);
  console.log(
    `| ${g} | ${list.length} | ${f(acc / list.length)} | ${meanT.toFixed(2)} | ${f(ece(list, t1Of))} → ${f(ece(list, tOf))} | ${f(u0)} → ${f(u1)} | ${f(a0)} → ${f(a1)} |`,
  );
}
