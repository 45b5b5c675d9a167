// What the scripts that score the development data share: the built library on wasm, the RAVDESS
// and SAVEE items, the saved fold models of a `train --folds … --keep-fold-models` run, and the mean
// frame of some feature matrices.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `../shared/datasets`, or the folder in SPEECH_EMOTION_DATA (relative to the repository). */
export const DATA = resolve(ROOT, process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');

/** `../shared/splits/dev-folds.json`, or the file in SPEECH_EMOTION_FOLDS. */
export const FOLDS_FILE = resolve(
  ROOT,
  process.env.SPEECH_EMOTION_FOLDS ?? '../shared/splits/dev-folds.json',
);

/** The built library (dist/node.js, or the build in SPEECH_EMOTION_DIST) on the wasm backend. */
export async function openLibrary() {
  const lib = await import(process.env.SPEECH_EMOTION_DIST ?? '../dist/node.js');
  tf.env().set('PROD', true);
  await lib.useBackend('wasm');
  return lib;
}

/** Every labelled RAVDESS and SAVEE item of {@link DATA}. */
export async function devItems(lib) {
  const items = [];
  for (const ds of ['ravdess', 'savee'])
    items.push(...(await lib.scanDataset(join(DATA, ds), { dataset: ds })).items);
  return items;
}

/**
 * The folds whose models a run saved in `<from>/folds/` (a run still going has saved only some),
 * each with its model's folder. Folders named corpus-* are leave-one-corpus-out; the others are
 * the speaker folds of `foldsFile`.
 */
export function savedFolds(lib, items, from, foldsFile = FOLDS_FILE) {
  const saved = readdirSync(join(from, 'folds')).filter((d) =>
    existsSync(join(from, 'folds', d, 'model.json')),
  );
  const folds = saved.some((d) => d.startsWith('corpus-'))
    ? lib.corpusFolds(items)
    : lib.speakerFolds(items, JSON.parse(readFileSync(foldsFile, 'utf8')));
  return folds.flatMap((fold) => {
    const dir = saved.find((d) => d === fold.name.replace(/[^\w.-]+/g, '-'));
    return dir ? [{ fold, dir: join(from, 'folds', dir) }] : [];
  });
}

/** The mean frame (per feature column) of every frame of some feature matrices. */
export function meanFrame(matrices) {
  const f = matrices[0].features;
  const sum = new Float64Array(f);
  let frames = 0;
  for (const m of matrices) {
    for (let j = 0; j < m.data.length; j++) sum[j % f] += m.data[j];
    frames += m.frames;
  }
  return Array.from(sum, (s) => s / frames);
}

/** Items (or rows) grouped by a key, in first-seen order. */
export function groupBy(list, keyOf) {
  const groups = new Map();
  for (const x of list) {
    const k = keyOf(x);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(x);
  }
  return groups;
}

/**
 * A saved fold model and its fold's test clips of the labels both sides carry, as rows made with
 * the model's FeatureSpec: what `train` scored the fold on.
 */
export async function foldTestRows(lib, fold, dir) {
  const model = await lib.EmotionModel.load(dir);
  const shared = lib.sharedLabels(fold, model.labels);
  const { rows } = await lib.itemRows(
    fold.test.filter((it) => shared.includes(it.label)),
    model.featureSpec,
  );
  return { model, shared, rows };
}

/**
 * A recording through a channel: `'telephone'` (300–3400 Hz, resampled to 8 kHz, μ-law) or
 * perturbAudio options (noise, reverberation…, seed 7). `audio` is { signal, sampleRate }.
 */
export function throughChannel(lib, channel, audio) {
  if (channel === 'telephone') {
    const line = lib.perturbAudio(audio.signal, audio.sampleRate, { highpassHz: 300, lowpassHz: 3400 });
    const narrow = lib.resample(line.signal, audio.sampleRate, 8000);
    return { signal: lib.perturbAudio(narrow, 8000, { muLaw: 1 }).signal, sampleRate: 8000 };
  }
  return {
    signal: lib.perturbAudio(audio.signal, audio.sampleRate, { ...channel, seed: 7 }).signal,
    sampleRate: audio.sampleRate,
  };
}
