// Does a clip longer than the model's window score better when every window of it is heard? The
// FeatureSpec keeps a fixed duration (3 s for the built-in recipes) from where the speech starts,
// so `predict` ignores the rest of a longer clip. This scores a cross-validation's saved fold models
// on each fold's test clips two ways: as `train` scores them (the first window), and with the
// probabilities averaged over windows of that duration every --hop seconds across the trimmed
// clip, the last window ending where the speech ends. Each corpus of a fold is scored on the labels its
// clips carry, predictions restricted to them, as `train` scores a fold. No retraining.
//
//   node scripts/window-eval.mjs <train-out> [--hop 1] [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder (corpus-* folds: leave one corpus
// out). Prints UA per fold and corpus, how many clips had more than one window, then the means.
import { resolve } from 'node:path';
import { devItems, openLibrary, savedFolds } from './dev-data.mjs';

const lib = await openLibrary();
const args = process.argv.slice(2);
const hopAt = args.indexOf('--hop');
const hopSeconds = hopAt >= 0 ? Number(args.splice(hopAt, 2)[1]) : 1;
const folds = savedFolds(lib, await devItems(lib), resolve(args[0] ?? ''), args[1] && resolve(args[1]));
const pct = (x) => `${(100 * x).toFixed(1)}%`;

/** Unweighted accuracy of each clip's most probable label among `labels` (`probs` of `clips[i]`). */
function ua(clips, probs, labels, modelLabels) {
  const at = (l) => modelLabels.indexOf(l);
  const pick = (p) => labels.reduce((best, l) => (p[at(l)] > p[at(best)] ? l : best), labels[0]);
  return lib.evaluatePredictions(
    clips.map((c) => c.label),
    probs.map(pick),
    labels,
  ).unweightedAccuracy;
}

/** Window start offsets (samples) over `n` samples of speech, windows of `w`, every `hop`. */
function offsets(n, w, hop) {
  if (n <= w) return [0];
  const out = [];
  for (let at = 0; at + w <= n; at += hop) out.push(at);
  if (out.at(-1) + w < n) out.push(n - w);
  return out;
}

/**
 * The interval a spec's trim keeps, as computeFeatures cuts it (with `leadIn`'s harder cut): the
 * library's `trimmed` in src/features/spec.ts is not exported. The first-window figures, which
 * equal `train`'s, check that the two agree.
 */
function kept(x, sr, trim) {
  const { start, end } = lib.trimSilence(x, { topDb: trim.topDb });
  if (!trim.leadIn || end <= start) return [start, end];
  const onset = lib.trimSilence(x, { topDb: trim.leadIn.topDb }).start;
  return [Math.min(end, Math.max(start, onset - Math.round(trim.leadIn.keepSeconds * sr))), end];
}

const totals = new Map();
for (const { fold, dir } of folds) {
  const model = await lib.EmotionModel.load(dir);
  const spec = model.featureSpec;
  if (!spec.duration || !spec.trim || spec.duration.offset !== 0)
    throw new Error('window-eval: expects a spec with a trim and a duration from offset 0');
  const bare = lib.defineFeatureSpec({ ...spec, trim: null });
  const shared = lib.sharedLabels(fold, model.labels);
  const byCorpus = new Map();
  for (const it of fold.test.filter((x) => shared.includes(x.label))) {
    const a = await lib.readMono(it.path);
    if (a.sampleRate !== spec.sampleRate)
      throw new Error(`window-eval: ${it.path} is not at ${spec.sampleRate} Hz`);
    const speech = a.signal.subarray(...kept(a.signal, a.sampleRate, spec.trim));
    const w = Math.round(spec.duration.seconds * a.sampleRate);
    const windows = offsets(speech.length, w, Math.round(hopSeconds * a.sampleRate));
    const scores = await model.predictFeatures(
      windows.map((at) => lib.computeFeatures(speech.subarray(at, at + w), a.sampleRate, bare)),
    );
    const mean = scores[0].map((_, j) => scores.reduce((s, p) => s + p[j], 0) / scores.length);
    const list = byCorpus.get(it.dataset) ?? [];
    list.push({ label: it.label, first: scores[0], all: mean, windows: windows.length });
    byCorpus.set(it.dataset, list);
  }
  for (const [ds, clips] of [...byCorpus].sort()) {
    // Each corpus on the labels its clips carry, as `train` scores a fold's corpora.
    const own = shared.filter((l) => clips.some((c) => c.label === l));
    const first = ua(
      clips,
      clips.map((c) => c.first),
      own,
      model.labels,
    );
    const all = ua(
      clips,
      clips.map((c) => c.all),
      own,
      model.labels,
    );
    const longer = clips.filter((c) => c.windows > 1).length;
    for (const [k, v] of [
      [`${ds} first window`, first],
      [`${ds} all windows`, all],
    ])
      totals.set(k, [...(totals.get(k) ?? []), v]);
    console.log(
      `${fold.name.padEnd(16)} ${ds.padEnd(8)} first window UA ${pct(first)}, all windows ${pct(all)} (${longer} of ${clips.length} clips longer than one window)`,
    );
  }
  model.dispose();
}
for (const [key, v] of totals)
  console.log(`${key.padEnd(24)} mean UA ${pct(v.reduce((a, b) => a + b, 0) / v.length)}`);
