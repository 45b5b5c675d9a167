// Measures test-time adaptation of batch normalisation (AdaBN) on a cross-validation's saved fold
// models, before anything is built on it: the moving mean and variance of every batch-norm layer
// are recomputed, layer by layer, from the activations of a group of test clips (no labels used),
// then the group is scored with them. Groups: all of a fold's test clips of one corpus ("corpus":
// a user with many recordings of one setup), or each test speaker's clips ("speaker"). Scored as
// `train` scores the fold (predictions restricted to the labels the fold's clips carry).
//
//   node scripts/adabn-eval.mjs <train-out> [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder (an ensemble's members are adapted
// each).

import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { devItems, foldTestRows, groupBy, openLibrary, savedFolds } from './dev-data.mjs';

const lib = await openLibrary();
const from = resolve(process.argv[2] ?? '');
const folds = savedFolds(lib, await devItems(lib), from, process.argv[3] && resolve(process.argv[3]));
const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** The rows' features as the model's normalised input tensor. */
function inputOf(model, rows) {
  const { mean, std } = model.layersModel.getUserDefinedMetadata().speechEmotion.normalization;
  const f = mean.length;
  const per = rows[0].features.data.length;
  const x = new Float32Array(rows.length * per);
  rows.forEach((r, i) => {
    for (let j = 0; j < per; j++) x[i * per + j] = (r.features.data[j] - mean[j % f]) / std[j % f];
  });
  return tf.tensor(x, [rows.length, ...model.layersModel.inputs[0].shape.slice(1)]);
}

/** Probabilities of the rows, with every batch-norm layer's statistics taken from these rows. */
function adaptedProbs(model, rows) {
  const net = model.layersModel;
  // An ensemble's members are nested models that each take the input as it is.
  const members = net.layers.some((l) => l.layers) ? net.layers.filter((l) => l.layers) : [net];
  const bns = members.flatMap((m) =>
    m.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((bn) => ({ m, bn })),
  );
  const saved = bns.map(({ bn }) => bn.getWeights().map((w) => w.clone()));
  const x = inputOf(model, rows);
  for (const { m, bn } of bns) {
    const sub = tfl.model({ inputs: m.inputs, outputs: bn.input });
    const act = sub.predict(x);
    const axes = act.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(act, axes);
    const [gamma, beta] = bn.getWeights();
    bn.setWeights([gamma, beta, mean, variance]);
    tf.dispose([act, mean, variance]);
  }
  const probs = net.predict(x).arraySync();
  bns.forEach(({ bn }, i) => bn.setWeights(saved[i]));
  tf.dispose([x, ...saved.flat()]);
  return probs;
}

const totals = {};
for (const { fold, dir } of folds) {
  const { model, shared, rows } = await foldTestRows(lib, fold, dir);
  const restricted = (p) =>
    shared.reduce(
      (best, l) => (p[model.labels.indexOf(l)] > p[model.labels.indexOf(best)] ? l : best),
      shared[0],
    );
  const ua = (list, predicted) =>
    lib.evaluatePredictions(
      list.map((r) => r.label),
      predicted,
      shared,
    ).unweightedAccuracy;
  for (const ds of [...new Set(rows.map((r) => r.dataset))].sort()) {
    const list = rows.filter((r) => r.dataset === ds);
    const raw = (await model.predictFeatures(list.map((r) => r.features))).map((p) =>
      restricted(Array.from(p)),
    );
    const corpus = adaptedProbs(model, list).map(restricted);
    const bySpeaker = new Map();
    for (const group of groupBy(list, (r) => r.speaker).values())
      adaptedProbs(model, group).forEach((p, i) => bySpeaker.set(group[i].path, restricted(p)));
    const speaker = list.map((r) => bySpeaker.get(r.path));
    const line = [ua(list, raw), ua(list, corpus), ua(list, speaker)];
    console.log(
      `${fold.name.padEnd(16)} ${ds.padEnd(8)} UA ${pct(line[0])} → BN statistics of the corpus's test clips ${pct(line[1])}, of each speaker's ${pct(line[2])}`,
    );
    if (!totals[ds]) totals[ds] = [];
    totals[ds].push(line);
  }
  model.dispose();
}
for (const [ds, lines] of Object.entries(totals)) {
  const mean = (k) => lines.reduce((s, l) => s + l[k] / lines.length, 0);
  console.log(`${ds}: mean UA ${pct(mean(0))} → corpus ${pct(mean(1))}, speaker ${pct(mean(2))}`);
}
