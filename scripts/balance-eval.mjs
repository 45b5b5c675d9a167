// Measures how much of a cross-validation's loss is a bias between classes rather than a failure to
// tell them apart, from its cv-clips.json alone (no retraining): within each group of test clips (a
// whole corpus, or one speaker), every class's scores are rescaled by one factor so that the group's
// mean score per class is even (iterated to a fixed point, no labels used), then the fold is scored
// as `train` scores it (predictions restricted to the labels its test clips carry, UA).
//
//   node scripts/balance-eval.mjs run/cv-clips.json [--by corpus|speaker]
//
// This assumes that each group holds every emotion about equally often, as the acted corpora do. A
// user's recordings rarely do (most speech is neutral), so this is a measurement, not a feature.
import { readFileSync } from 'node:fs';
import { evaluatePredictions } from '../dist/index.js';
import { speakerOf } from './cv-clips.mjs';

const args = process.argv.slice(2);
const byAt = args.indexOf('--by');
const by = byAt >= 0 ? args[byAt + 1] : 'corpus';
const file = args.find((a, i) => !a.startsWith('--') && i !== byAt + 1);
if (!file || !['corpus', 'speaker'].includes(by)) {
  console.error('usage: node scripts/balance-eval.mjs run/cv-clips.json [--by corpus|speaker]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(file, 'utf8'));

/** Factors per class that make the mean rescaled score of every class 1 / K over `probs`. */
function balancing(probs) {
  const k = probs[0].length;
  const w = new Array(k).fill(1);
  for (let it = 0; it < 200; it++) {
    const mean = new Array(k).fill(0);
    for (const p of probs) {
      const q = p.map((v, j) => v * w[j]);
      const s = q.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k; j++) mean[j] += q[j] / s / probs.length;
    }
    for (let j = 0; j < k; j++) w[j] *= (1 / k / mean[j]) ** 0.5;
  }
  return w;
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const means = { raw: [], balanced: [] };
for (const fold of run.folds) {
  const labels = [...new Set(fold.clips.map((c) => c.label))];
  const at = labels.map((l) => fold.labels.indexOf(l));
  const clips = fold.clips.map((c) => ({ ...c, p: at.map((i) => c.probs[i]) }));
  const groups = new Map();
  for (const c of clips) {
    const key = by === 'corpus' ? c.dataset : `${c.dataset}:${speakerOf(c.path)}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  for (const list of groups.values()) {
    const w = balancing(list.map((c) => c.p));
    for (const c of list) c.q = c.p.map((v, j) => v * w[j]);
  }
  const argmax = (p) => labels[p.indexOf(Math.max(...p))];
  const ua = (key) =>
    evaluatePredictions(
      clips.map((c) => c.label),
      clips.map((c) => argmax(c[key])),
      labels,
    );
  const [raw, balanced] = [ua('p'), ua('q')];
  means.raw.push(raw.unweightedAccuracy);
  means.balanced.push(balanced.unweightedAccuracy);
  const recall = (e) =>
    Object.entries(e.perClass)
      .map(([l, m]) => `${l} ${(100 * m.recall).toFixed(0)}`)
      .join(', ');
  console.log(
    `${fold.name.padEnd(16)} UA ${pct(raw.unweightedAccuracy)} -> ${pct(balanced.unweightedAccuracy)} (${groups.size} group${groups.size > 1 ? 's' : ''})`,
  );
  console.log(`${''.padEnd(16)} recall before: ${recall(raw)}`);
  console.log(`${''.padEnd(16)} recall after:  ${recall(balanced)}`);
}
const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`mean UA over folds ${pct(avg(means.raw))} -> ${pct(avg(means.balanced))} (balanced by ${by})`);
