// Measures a constant boost of the neutral score, from a cross-validation's cv-clips.json alone (no
// retraining): each clip's neutral probability is multiplied by e^beta before the top label is taken,
// and every fold is scored per dataset on the labels that dataset's clips carry (as `train` scores
// a fold). Prints, for each beta, the mean UA per dataset over the folds and the UA of each fold.
//
//   node scripts/neutral-bias-eval.mjs run/cv-clips.json [--betas 0,0.5,1,2]
import { readFileSync } from 'node:fs';
import { evaluatePredictions } from '../dist/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--betas');
const betas = at >= 0 ? args[at + 1].split(',').map(Number) : [0, 0.5, 1, 1.5, 2, 3];
const file = args.find((a, i) => !a.startsWith('--') && i !== at + 1);
if (!file || betas.some((b) => !Number.isFinite(b))) {
  console.error('usage: node scripts/neutral-bias-eval.mjs run/cv-clips.json [--betas 0,0.5,1,2]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(file, 'utf8'));
const pct = (x) => (100 * x).toFixed(1);
for (const beta of betas) {
  const byDataset = new Map();
  for (const fold of run.folds)
    for (const dataset of [...new Set(fold.clips.map((c) => c.dataset))].sort()) {
      const clips = fold.clips.filter((c) => c.dataset === dataset);
      const labels = [...new Set(clips.map((c) => c.label))];
      const predicted = clips.map((c) => {
        const p = labels.map((l) => c.probs[fold.labels.indexOf(l)] * (l === 'neutral' ? Math.exp(beta) : 1));
        return labels[p.indexOf(Math.max(...p))];
      });
      const e = evaluatePredictions(
        clips.map((c) => c.label),
        predicted,
        labels,
      );
      byDataset.set(dataset, [...(byDataset.get(dataset) ?? []), e]);
    }
  const parts = [...byDataset].map(([d, es]) => {
    const mean = es.reduce((a, e) => a + e.unweightedAccuracy, 0) / es.length;
    const neutral = es.reduce((a, e) => a + (e.perClass.neutral?.recall ?? 0), 0) / es.length;
    return `${d} ${pct(mean)}% [${es.map((e) => pct(e.unweightedAccuracy)).join(' ')}] neutral recall ${pct(neutral)}%`;
  });
  console.log(`beta ${beta}: ${parts.join('  ')}`);
}
