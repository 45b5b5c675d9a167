// A training recipe (features, architecture, fit options) and what the default-model scripts do
// with it: extract features once (cached under .cache/), cross-validate on the standard folds, train
// the final model. Uses the built package (run `npm run build` first).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  EMOTIONS,
  EmotionModel,
  computeFeatures,
  decodeFeatureSet,
  defineFeatureSpec,
  encodeFeatureSet,
  featureNames,
  featureSpecHash,
  perturbAudio,
  readMono,
  scanDataset,
  useBackend,
} from '../dist/node.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');
export const FOLDS_FILE = resolve(
  ROOT,
  process.env.SPEECH_EMOTION_FOLDS ?? '../shared/splits/dev-folds.json',
);
const CACHE = join(ROOT, '.cache');

export function loadRecipe(file) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  r.spec = defineFeatureSpec(r.spec ?? {});
  return r;
}

/** RAVDESS (speech only) and SAVEE items of the development set. */
export async function developmentItems() {
  if (!existsSync(join(DATA_DIR, 'ravdess'))) {
    throw new Error(
      `no datasets at ${DATA_DIR}; set SPEECH_EMOTION_DATA to the folder holding ravdess/ and savee/`,
    );
  }
  const r = await scanDataset(join(DATA_DIR, 'ravdess'), { dataset: 'ravdess' });
  const s = await scanDataset(join(DATA_DIR, 'savee'), { dataset: 'savee' });
  return [...r.items, ...s.items];
}

let audioCache = null;
async function audioOf(items) {
  audioCache ??= new Map();
  for (const it of items) if (!audioCache.has(it.path)) audioCache.set(it.path, await readMono(it.path));
  return items.map((it) => audioCache.get(it.path));
}

/**
 * Feature rows for the items: copy 0 is the clean audio, copies 1… are perturbed with the recipe's
 * audio augmentation (seeded per copy and item). Cached on disk by spec, augmentation and copy.
 */
export async function featureRows(recipe, items, copy = 0, log = () => {}) {
  const aug = copy === 0 ? null : recipe.audioAugment;
  const key = `${featureSpecHash(recipe.spec)}-${copy === 0 ? 'clean' : `${hashText(JSON.stringify(aug))}-${copy}`}`;
  const file = join(CACHE, 'features', `${key}.sef`);
  const byPath = new Map();
  if (existsSync(file)) for (const r of decodeFeatureSet(readFileSync(file)).rows) byPath.set(r.path, r);
  const missing = items.filter((it) => !byPath.has(it.path));
  if (missing.length) {
    const t0 = performance.now();
    const audio = await audioOf(missing);
    missing.forEach((it, i) => {
      let { signal, sampleRate } = audio[i];
      const seed = copy * 100003 + hashNumber(it.path);
      if (aug) {
        const { copies, ...perturb } = aug;
        ({ signal, sampleRate } = perturbAudio(signal, sampleRate, { ...perturb, seed }));
      }
      const features = computeFeatures(signal, sampleRate, recipe.spec);
      byPath.set(it.path, {
        path: it.path,
        dataset: it.dataset,
        label: it.label,
        speaker: it.speaker,
        gender: it.gender,
        features,
      });
    });
    mkdirSync(dirname(file), { recursive: true });
    const rows = [...byPath.values()];
    writeFileSync(
      `${file}.${process.pid}.tmp`,
      encodeFeatureSet({
        spec: recipe.spec,
        specHash: featureSpecHash(recipe.spec),
        columns: featureNames(recipe.spec),
        rows,
      }),
    );
    renameSync(`${file}.${process.pid}.tmp`, file);
    log(`features ${key}: ${missing.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return items.map((it) => byPath.get(it.path));
}

const hashNumber = (s) => Number.parseInt(hashText(s), 16);

function hashText(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

/** Training rows: clean rows plus the recipe's augmented copies. */
async function trainingRows(recipe, items, log) {
  const rows = [...(await featureRows(recipe, items, 0, log))];
  for (let c = 1; c <= (recipe.audioAugment?.copies ?? 0); c++)
    rows.push(...(await featureRows(recipe, items, c, log)));
  return rows;
}

export async function startBackend() {
  tf.env().set('PROD', true);
  await useBackend(process.env.SPEECH_EMOTION_BACKEND ?? 'wasm');
}

/** Builds and fits one model of the recipe on rows; `seed` varies the members of an ensemble. */
export async function trainModel(
  recipe,
  rows,
  { seed = recipe.seed ?? 1, log = () => {}, tag = '', labels = [...EMOTIONS] } = {},
) {
  const f = rows[0].features;
  const inputShape = recipe.spec.output.type === 'series' ? [f.frames, f.features] : [f.features];
  const model = await EmotionModel.create({
    labels,
    featureSpec: recipe.spec,
    inputShape,
    architecture: recipe.arch ?? 'cnn1d',
    seed,
  });
  const epochs = recipe.epochs ?? 30;
  await model.fit(rows, {
    epochs,
    batchSize: recipe.batchSize ?? 32,
    learningRate: recipe.learningRate ?? 1e-3,
    labelSmoothing: recipe.labelSmoothing ?? 0,
    ...(recipe.augment ? { augment: recipe.augment } : {}),
    ...(recipe.schedule ? { schedule: recipe.schedule } : {}),
    earlyStopping: false,
    seed,
    onEpochEnd: (e, l) => {
      if ((e + 1) % 5 === 0 || e === epochs - 1)
        log(`${tag}epoch ${e + 1}/${epochs} loss ${l.loss.toFixed(3)} ${l.seconds.toFixed(1)} s`);
    },
  });
  return model;
}

export function unweightedAccuracy(truth, predicted, labels = EMOTIONS) {
  const recalls = [];
  for (const l of labels) {
    const idx = truth.map((t, i) => (t === l ? i : -1)).filter((i) => i >= 0);
    if (idx.length) recalls.push(idx.filter((i) => predicted[i] === l).length / idx.length);
  }
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

const argmax = (p) => p.reduce((b, v, i) => (v > p[b] ? i : b), 0);
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const std = (a) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));

/** The combined folds: fold i = RAVDESS fold i + SAVEE fold i (when there is one). */
export function combinedFolds(folds) {
  const r = Object.entries(folds.ravdess);
  const s = Object.entries(folds.savee);
  return r.map(([name, actors], i) => ({
    name,
    ravdess: new Set(actors),
    savee: new Set(s[i]?.[1] ?? []),
    saveeName: s[i]?.[0] ?? null, // the fold's name in dev-folds.json
  }));
}

/**
 * Cross-validates the recipe on the combined folds (or only those in `folds`). Trains every member of
 * the recipe's ensemble, or only member `member` (1-based), so members can run in separate processes;
 * scripts/cv-combine.mjs and train-default.mjs --cv-from average the saved per-clip probabilities.
 */
export async function crossValidate(recipe, { folds: only, member, log = () => {} } = {}) {
  await startBackend();
  const items = await developmentItems();
  const folds = combinedFolds(JSON.parse(readFileSync(FOLDS_FILE, 'utf8')));
  const t0 = performance.now();
  const minutes = () => (performance.now() - t0) / 60000;
  const clips = []; // per test clip: path, dataset, label, fold, each member's probabilities
  for (const [i, fold] of folds.entries()) {
    if (only && !only.includes(i + 1)) continue;
    const held = (it) =>
      (it.dataset === 'ravdess' && fold.ravdess.has(it.speaker)) ||
      (it.dataset === 'savee' && fold.savee.has(it.speaker));
    const rows = await trainingRows(
      recipe,
      items.filter((it) => !held(it)),
      log,
    );
    const test = await featureRows(recipe, items.filter(held), 0, log);
    const perMember = [];
    for (let m = 0; m < (recipe.ensemble ?? 1); m++) {
      if (member !== undefined && member !== m + 1) continue;
      const model = await trainModel(recipe, rows, {
        seed: (recipe.seed ?? 1) + 1000 * m,
        log,
        tag: `fold ${i + 1} model ${m + 1}: `,
      });
      perMember.push(await model.predictFeatures(test.map((r) => r.features)));
      model.dispose();
    }
    const foldClips = test.map((r, j) => ({
      path: r.path,
      dataset: r.dataset,
      label: r.label,
      fold: i + 1,
      probs: perMember.map((p) => Array.from(p[j], (v) => Number(v.toFixed(5)))),
    }));
    clips.push(...foldClips);
    const [entry] = combineRuns([{ recipe, clips: foldClips, summary: { minutes: 0 } }]).folds;
    log(
      `fold ${i + 1}: RAVDESS UA ${(100 * entry.ravdess).toFixed(1)}%${entry.savee === undefined ? '' : `, SAVEE ${fold.saveeName} UA ${(100 * entry.savee).toFixed(1)}%`} (${minutes().toFixed(1)} min so far)`,
    );
  }
  // Scored as scripts/cv-combine.mjs scores saved runs: members averaged per clip.
  const {
    summary,
    folds: results,
    predictions,
  } = combineRuns([{ recipe, clips, summary: { minutes: minutes() } }]);
  return {
    summary: { ...summary, recipe: recipe.name },
    folds: results,
    recipe,
    labels: [...EMOTIONS],
    // Which members of the recipe's ensemble were trained (1-based; member k has seed + 1000·(k−1)).
    members: member === undefined ? Array.from({ length: recipe.ensemble ?? 1 }, (_, m) => m + 1) : [member],
    predictions,
    clips,
  };
}

/**
 * Combines scripts/cv.mjs results (their saved per-clip probabilities): every clip's probabilities
 * are averaged, with equal weight, over the member models of all runs that tested it, then scored
 * per fold as crossValidate scores one run. Runs of different members on the same folds make an
 * ensemble; runs on different folds are concatenated. Every clip must have the same number of
 * members. `keep` limits the members taken from each run.
 */
export function combineRuns(runs, { keep = Number.POSITIVE_INFINITY } = {}) {
  for (const r of runs)
    if (!r.clips) throw new Error(`a run of ${r.recipe?.name} has no per-clip probabilities`);
  const folds = combinedFolds(JSON.parse(readFileSync(FOLDS_FILE, 'utf8')));
  const byClip = new Map();
  for (const r of runs)
    for (const c of r.clips) {
      const e = byClip.get(c.path) ?? { ...c, sum: new Float64Array(EMOTIONS.length), n: 0 };
      for (const p of c.probs.slice(0, keep)) {
        p.forEach((v, k) => {
          e.sum[k] += v;
        });
        e.n++;
      }
      byClip.set(c.path, e);
    }
  const clips = [...byClip.values()];
  const members = clips[0].n;
  if (clips.some((c) => c.n !== members))
    throw new Error('the runs give different numbers of member models for different clips');
  const results = [];
  const truthAll = [];
  const predAll = [];
  for (const f of [...new Set(clips.map((c) => c.fold))].sort((a, b) => a - b)) {
    const entry = { fold: folds[f - 1].name, saveeSpeaker: folds[f - 1].saveeName };
    for (const ds of ['ravdess', 'savee']) {
      const g = clips.filter((c) => c.fold === f && c.dataset === ds);
      if (!g.length) continue;
      const truth = g.map((c) => c.label);
      const pred = g.map((c) => EMOTIONS[argmax(c.sum)]);
      entry[ds] = unweightedAccuracy(
        truth,
        pred,
        ds === 'savee' ? EMOTIONS.filter((l) => l !== 'calm') : EMOTIONS,
      );
      truthAll.push(...truth.map((t) => `${ds}:${t}`));
      predAll.push(...pred.map((t) => `${ds}:${t}`));
    }
    results.push(entry);
  }
  const rav = results.map((r) => r.ravdess);
  const sav = results.filter((r) => r.savee !== undefined).map((r) => r.savee);
  return {
    summary: {
      recipe: runs[0].recipe.name,
      members,
      ravdessUA: mean(rav),
      ravdessStd: std(rav),
      saveeUA: sav.length ? mean(sav) : null,
      saveeStd: sav.length ? std(sav) : null,
      minutes: runs.reduce((a, r) => a + r.summary.minutes, 0),
    },
    folds: results,
    predictions: { truth: truthAll, predicted: predAll },
  };
}
