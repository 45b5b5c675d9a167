// Diagnostic (issue #11): do tempo or pitch send SAVEE's neutral to sad for a RAVDESS-trained model?
// Scores all of SAVEE with the fold model of <loco-run>/folds/corpus-savee (trained on RAVDESS),
// each recording as recorded and through perturbAudio's tempo (WSOLA, same pitch) and pitch shift
// (same tempo), predictions restricted to SAVEE's 7 labels; prints UA and every class's recall.
// Also a first-order spectral tilt each way ('tilt up', 'tilt down'). A second argument picks
// variants by name, joined by commas.
//   node docs/recipes/results/neutral-cues.mjs <loco-run>[,<loco-run>…] [variant,…]   (from the repository root, after npm run build)
import { join } from 'node:path';
import * as lib from '../../../dist/node.js';
await lib.useBackend('wasm');
const runs = process.argv[2].split(',');
const models = await Promise.all(runs.map((r) => lib.EmotionModel.load(join(r, 'folds', 'corpus-savee'))));
const dir = '../shared/datasets/savee';
const { items } = await lib.scanDataset(dir);
const labels = ['angry', 'disgust', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
/** A first-order spectral tilt: pre-emphasis x[n] − a·x[n−1] (a > 0, highs up) or de-emphasis y[n] = x[n] + |a|·y[n−1] (a < 0, highs down). */
function tilt(x, a) {
  const y = new Float32Array(x.length);
  for (let n = 0; n < x.length; n++)
    y[n] = a > 0 ? x[n] - a * (n > 0 ? x[n - 1] : 0) : x[n] - a * (n > 0 ? y[n - 1] : 0);
  return y;
}
const only = process.argv[3]?.split(',');
const variants = {
  recorded: null,
  'tilt up': { tilt: 0.7 },
  'tilt down': { tilt: -0.7 },
  'tempo 1.25': { tempo: [1.25, 1.25] },
  'tempo 0.8': { tempo: [0.8, 0.8] },
  'pitch +3 st': { pitchSemitones: [3, 3] },
  'pitch -3 st': { pitchSemitones: [-3, -3] },
};
const audio = [];
for (const it of items) audio.push({ it, a: await lib.readMono(it.path) });
for (const [name, p] of Object.entries(variants)) {
  if (only && !only.includes(name)) continue;
  const probs = audio.map(() => new Float64Array(labels.length));
  for (const model of models) {
    const mats = audio.map(({ a }) => {
      const s = !p ? a.signal : p.tilt ? tilt(a.signal, p.tilt) : lib.perturbAudio(a.signal, a.sampleRate, { ...p, seed: 1 }).signal;
      return lib.computeFeatures(s, a.sampleRate, model.featureSpec);
    });
    const out = await model.predictFeatures(mats);
    const idx = labels.map((l) => model.labels.indexOf(l));
    out.forEach((o, i) => idx.forEach((k, j) => (probs[i][j] += o[k])));
  }
  const pred = probs.map((q) => labels[q.indexOf(Math.max(...q))]);
  const e = lib.evaluatePredictions(audio.map((x) => x.it.label), pred, labels);
  const rec = labels.map((l) => `${l} ${(100 * e.perClass[l].recall).toFixed(1)}`).join(', ');
  console.log(`${name.padEnd(12)} UA ${(100 * e.unweightedAccuracy).toFixed(1)}%  recall: ${rec}`);
}
