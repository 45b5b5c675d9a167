// Could the network's own embedding tell other corpora from the channels the model copes with?
// (issue #11: a detector of unfamiliar audio for calibration, the candidate the MFCC-statistics
// detector of `unfamiliar-detector.patch` left.) For each fold model of a speaker-fold run and of a
// leave-one-corpus-out run (`train … --keep-fold-models`): the output of the attention pooling (the
// layer before the classifier) for the fold's clean training recordings gives one mean per emotion
// and one shared covariance (shrunk 10% toward its mean variance); a clip's distance is its smallest
// Mahalanobis distance to a mean, divided by the median of the training recordings' own distances.
// The threshold is the 90th percentile of the speaker folds' held-out clean clips. Prints, per
// group of clips, the distances' quartiles and the share flagged; writes every clip's distance and
// probabilities (restricted to the fold's labels) to <out.json> (gzipped if it ends in .gz) for the
// calibration check.
//
// `--diagonal` keeps only the covariance's diagonal (what a model would have to store: 256 values a
// member instead of 256²).
//
//   node docs/recipes/results/embedding-distance.mjs <speaker-fold run> <corpus run> <out.json> [--diagonal]
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tfl from '@tensorflow/tfjs-layers';
import { devItems, openLibrary, savedFolds, throughChannel } from '../../../scripts/dev-data.mjs';

const lib = await openLibrary();
const tf = await import('@tensorflow/tfjs-core');
const argv = process.argv.slice(2);
const DIAGONAL = argv.includes('--diagonal');
const [sfRun, locoRun, outFile] = argv.filter((a) => a !== '--diagonal');
if (!outFile) throw new Error('usage: embedding-distance.mjs <speaker-fold run> <corpus run> <out.json>');
const SHRINK = 0.1;
const CHANNELS = {
  white20: { noiseSnrDb: [20, 20], noiseColor: 'white' },
  pink10: { noiseSnrDb: [10, 10], noiseColor: 'pink' },
  reverb06: { reverb: { rt60: [0.6, 0.6] } },
  telephone: 'telephone',
};

const through = (channel, a) => throughChannel(lib, CHANNELS[channel], a);

const items = await devItems(lib);
const featureCache = new Map();
async function cleanFeatures(list, spec) {
  const missing = list.filter((it) => !featureCache.has(it.path));
  if (missing.length) {
    const { rows } = await lib.itemRows(missing, spec);
    rows.forEach((r, i) => featureCache.set(missing[i].path, r.features));
  }
  return list.map((it) => featureCache.get(it.path));
}

/** Embeddings (pooling output) and probabilities of feature matrices. */
function embed(model, matrices) {
  const net = model.layersModel;
  const pool = net.layers.find((l) => l.getClassName() === 'SpeechEmotionAttentionPooling');
  const both = tfl.model({ inputs: net.inputs, outputs: [pool.output, net.outputs[0]] });
  const { mean, std } = model.meta.normalization;
  const shape = model.meta.inputShape;
  const per = shape[0] * shape[1];
  const emb = [];
  const probs = [];
  for (let b = 0; b < matrices.length; b += 64) {
    const part = matrices.slice(b, b + 64);
    const data = new Float32Array(part.length * per);
    part.forEach((m, i) => {
      for (let j = 0; j < per; j++) data[i * per + j] = (m.data[j] - mean[j % shape[1]]) / std[j % shape[1]];
    });
    const x = tf.tensor(data, [part.length, ...shape]);
    const [e, p] = both.predict(x);
    const ed = e.dataSync();
    const pd = p.dataSync();
    const d = ed.length / part.length;
    const k = pd.length / part.length;
    for (let i = 0; i < part.length; i++) {
      emb.push(Float64Array.from(ed.subarray(i * d, (i + 1) * d)));
      probs.push(Array.from(pd.subarray(i * k, (i + 1) * k)));
    }
    tf.dispose([x, e, p]);
  }
  return { emb, probs };
}

/** Class means and the shrunk shared covariance's inverse (Cholesky). */
function fit(emb, labels) {
  const d = emb[0].length;
  const means = new Map();
  for (const l of new Set(labels)) {
    const m = new Float64Array(d);
    const own = emb.filter((_, i) => labels[i] === l);
    for (const e of own) for (let j = 0; j < d; j++) m[j] += e[j] / own.length;
    means.set(l, m);
  }
  const cov = new Float64Array(d * d);
  for (const [i, e] of emb.entries()) {
    const m = means.get(labels[i]);
    const c = e.map((v, j) => v - m[j]);
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[a * d + b] += (c[a] * c[b]) / emb.length;
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a];
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) cov[a * d + b] *= a === b ? 1 - SHRINK : DIAGONAL ? 0 : 1 - SHRINK;
    cov[a * d + a] += (SHRINK * trace) / d;
  }
  // Cholesky: cov = L Lᵀ (lower triangle).
  const L = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = cov[a * d + b];
      for (let k = 0; k < b; k++) s -= L[a * d + k] * L[b * d + k];
      L[a * d + b] = a === b ? Math.sqrt(s) : s / L[b * d + b];
    }
  }
  const dist = (e) => {
    let best = Number.POSITIVE_INFINITY;
    for (const m of means.values()) {
      const y = new Float64Array(d); // solve L y = e − m
      let q = 0;
      for (let a = 0; a < d; a++) {
        let s = e[a] - m[a];
        for (let k = 0; k < a; k++) s -= L[a * d + k] * y[k];
        y[a] = s / L[a * d + a];
        q += y[a] * y[a];
      }
      best = Math.min(best, q);
    }
    return Math.sqrt(best);
  };
  const own = emb.map(dist).sort((a, b) => a - b);
  const median = own[own.length >> 1];
  return (e) => dist(e) / median;
}

const clips = []; // { protocol, fold, group, label, labels, distance, probs }
for (const [protocol, run] of [
  ['speaker', sfRun],
  ['corpus', locoRun],
]) {
  for (const { fold, dir } of savedFolds(lib, items, run)) {
    const model = await lib.EmotionModel.load(dir);
    const spec = model.featureSpec;
    const train = fold.train;
    const distance = fit(
      embed(model, await cleanFeatures(train, spec)).emb,
      train.map((it) => it.label),
    );
    const shared = lib.sharedLabels(fold, model.labels);
    const test = fold.test.filter((it) => shared.includes(it.label));
    const groups = { clean: await cleanFeatures(test, spec) };
    if (protocol === 'speaker') {
      const audio = await Promise.all(test.map((it) => lib.readMono(it.path)));
      for (const ch of Object.keys(CHANNELS))
        groups[ch] = audio.map((a) => {
          const t = through(ch, a);
          return lib.computeFeatures(t.signal, t.sampleRate, spec);
        });
    }
    for (const [group, matrices] of Object.entries(groups)) {
      const { emb, probs } = embed(model, matrices);
      emb.forEach((e, i) =>
        clips.push({
          protocol,
          fold: fold.name,
          group: protocol === 'corpus' ? `${fold.name}` : group,
          label: test[i].label,
          labels: model.labels,
          shared,
          distance: distance(e),
          probs: probs[i],
        }),
      );
    }
    model.dispose();
    console.error(`${protocol} ${fold.name} done`);
  }
}
// Compact: per group of clips its labels (the fold's shared ones), then per clip the distance, the
// true label's index and the probabilities of those labels (not renormalised).
const compact = [];
for (const c of clips) {
  const key = `${c.protocol}|${c.fold}|${c.group}`;
  if (compact.at(-1)?.key !== key)
    compact.push({ key, protocol: c.protocol, fold: c.fold, group: c.group, labels: c.shared, clips: [] });
  const g = compact.at(-1);
  const probs = c.shared.map((l) => Number(c.probs[c.labels.indexOf(l)].toPrecision(5)));
  g.clips.push([Number(c.distance.toFixed(4)), c.shared.indexOf(c.label), ...probs]);
}
const body = JSON.stringify(compact.map(({ key, ...g }) => g));
writeFileSync(outFile, outFile.endsWith('.gz') ? gzipSync(body) : body);

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const heldClean = clips.filter((c) => c.protocol === 'speaker' && c.group === 'clean').map((c) => c.distance);
const tau = q(heldClean, 0.9);
console.log(`threshold (90th percentile of held-out clean speakers): ${tau.toFixed(3)}\n`);
console.log('| clips | n | distance 25% / 50% / 75% | flagged |');
console.log('| --- | --- | --- | --- |');
for (const g of [...new Set(clips.map((c) => `${c.protocol} ${c.group}`))]) {
  const ds = clips.filter((c) => `${c.protocol} ${c.group}` === g).map((c) => c.distance);
  const flagged = ds.filter((d) => d > tau).length / ds.length;
  console.log(
    `| ${g} | ${ds.length} | ${[0.25, 0.5, 0.75].map((p) => q(ds, p).toFixed(2)).join(' / ')} | ${(100 * flagged).toFixed(1)}% |`,
  );
}
