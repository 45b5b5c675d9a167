// Diagnostic (issue #11): can one temperature serve both protocols? The shipped model's held-out
// clips on the speaker folds and leave one corpus out (its recipe's three members), each scored with
// a temperature fitted on the speaker folds, on the other corpus, or on both (each protocol's mean
// negative log-likelihood weighted equally), cross-fitted: a speaker fold with one fitted without
// it, a direction of leave one corpus out with one fitted without that direction.
//   node docs/recipes/results/temperature-across.mjs   (from the repository root, after npm run build)
import { applyTemperature, expectedCalibrationError } from '../../../dist/index.js';
import { averageRuns, readRun } from '../../../scripts/cv-clips.mjs';

const here = 'docs/recipes/results';
const set = (folds) =>
  folds.map((f) => ({
    probs: f.clips.map((c) => c.probs),
    truth: f.clips.map((c) => f.labels.indexOf(c.label)),
  }));
const speaker = set(averageRuns([readRun(`${here}/default-wfpd-2026-12-04-cv/cv-clips.json`)]));
const loco = set(averageRuns([readRun(`${here}/loco-default-wf-2026-12-04/cv-clips.json`)]));
const join = (parts) => ({ probs: parts.flatMap((p) => p.probs), truth: parts.flatMap((p) => p.truth) });
const nll = (s, t) =>
  -s.probs.reduce((a, p, i) => a + Math.log(Math.max(applyTemperature(p, t)[s.truth[i]], 1e-12)), 0) /
  s.probs.length;
/** The temperature minimising the mean over `groups` of each group's mean NLL (golden section over 1/T). */
function fit(groups) {
  const f = (inv) => groups.reduce((a, g) => a + nll(g, 1 / inv), 0) / groups.length;
  const phi = (Math.sqrt(5) - 1) / 2;
  let [lo, hi] = [0.05, 20];
  while (hi - lo > 1e-4) {
    const a = hi - phi * (hi - lo);
    const b = lo + phi * (hi - lo);
    if (f(a) <= f(b)) hi = b;
    else lo = a;
  }
  return 2 / (lo + hi);
}
const pct = (x) => `${(100 * x).toFixed(1)}%`;
function report(s, temps) {
  const q = s.probs.map((p, i) => applyTemperature(p, temps[i]));
  const top = q.reduce((a, p) => a + Math.max(...p), 0) / q.length;
  return `ECE ${pct(expectedCalibrationError(q, s.truth))}, mean top score ${pct(top)}`;
}
const others = (list, k) => list.filter((_, j) => j !== k);
const fits = {
  'speaker folds': (sp, lo) => fit([join(sp)]),
  'the other corpus': (sp, lo) => fit([join(lo)]),
  both: (sp, lo) => fit([join(sp), join(lo)]),
};
for (const [name, f] of Object.entries(fits)) {
  // Each speaker fold scaled with a temperature fitted without it, and so each direction.
  const spT = speaker.flatMap((s, k) => {
    const t = f(others(speaker, k), loco);
    return s.probs.map(() => t);
  });
  console.log(`temperature fitted on ${name} (on all: ${f(speaker, loco).toFixed(2)})`);
  console.log(`  speaker folds: ${report(join(speaker), spT)}`);
  for (const [k, l] of loco.entries()) {
    const t = f(speaker, others(loco, k));
    console.log(
      `  leave one corpus out, fold ${k + 1}: ${report(
        l,
        l.probs.map(() => t),
      )}`,
    );
  }
}
