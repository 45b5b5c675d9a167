// Diagnostic (issue #11): does averaging a model's scores over circular time shifts of the test
// clip's features (the shift it trained with, `augment.shift`) help on the other corpus?
// Leave one corpus out with kept fold models: <loco-run>/folds/corpus-<test> (trained on the other
// corpus), every run's models averaged; predictions restricted to the 7 shared labels; UA for each
// set of shifts (fractions of the frames).
//   node docs/recipes/results/tta-shift.mjs <loco-run>[,<loco-run>…]   (from the repository root, after npm run build)
import { join } from 'node:path';
import * as lib from '../../../dist/node.js';
await lib.useBackend('wasm');
const runs = process.argv[2].split(',');
const labels = ['angry', 'disgust', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
const sets = {
  none: [0],
  '±0.15': [-0.15, 0, 0.15],
  '±0.3 (5)': [-0.3, -0.15, 0, 0.15, 0.3],
  '±0.3 (9)': [-0.3, -0.225, -0.15, -0.075, 0, 0.075, 0.15, 0.225, 0.3],
};
/** The series rolled by s frames, as augmentBatch's shift: frame t takes frame t − s. */
function roll(m, s) {
  const out = new Float32Array(m.data.length);
  for (let t = 0; t < m.frames; t++) {
    const from = (((t - s) % m.frames) + m.frames) % m.frames;
    out.set(m.data.subarray(from * m.features, (from + 1) * m.features), t * m.features);
  }
  return { ...m, data: out };
}
for (const test of ['ravdess', 'savee']) {
  const models = await Promise.all(
    runs.map((r) => lib.EmotionModel.load(join(r, 'folds', `corpus-${test}`))),
  );
  const { items } = await lib.scanDataset(`../shared/datasets/${test}`);
  const kept = items.filter((it) => labels.includes(it.label));
  const mats = [];
  for (const it of kept) {
    const a = await lib.readMono(it.path);
    mats.push(lib.computeFeatures(a.signal, a.sampleRate, models[0].featureSpec));
  }
  for (const [name, shifts] of Object.entries(sets)) {
    const probs = kept.map(() => new Float64Array(labels.length));
    for (const model of models) {
      const idx = labels.map((l) => model.labels.indexOf(l));
      for (const f of shifts) {
        const out = await model.predictFeatures(mats.map((m) => roll(m, Math.round(f * m.frames))));
        out.forEach((o, i) => {
          for (const [j, k] of idx.entries()) probs[i][j] += o[k];
        });
      }
    }
    const pred = probs.map((q) => labels[q.indexOf(Math.max(...q))]);
    const e = lib.evaluatePredictions(
      kept.map((it) => it.label),
      pred,
      labels,
    );
    const rec = labels.map((l) => `${l} ${(100 * e.perClass[l].recall).toFixed(1)}`).join(', ');
    console.log(
      `→ ${test.padEnd(8)} ${name.padEnd(9)} UA ${(100 * e.unweightedAccuracy).toFixed(1)}%  recall: ${rec}`,
    );
  }
}
