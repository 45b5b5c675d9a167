// How a cross-validation's saved fold models hold up on short utterances: each fold's test clips
// scored whole, then cut to their first S seconds (silence included, as a recording of S seconds
// would hold it), as `train` scores the fold (predictions restricted to the labels the fold's
// clips carry). Clips too short for the model's FeatureSpec after the cut are left out and counted.
// With --from-speech, each cut starts where the speech starts (the first frame within 30 dB of the
// clip's loudest frame, trimSilence with topDb 30) instead of at the recording's start: S seconds
// of speech.
// (RAVDESS recordings open with about a second of silence, SAVEE's with almost none.)
//
// With --lead-in S, every recording first gets S seconds of white noise prepended, 45 dB below its
// peak sample (a quiet room before the speaker starts), which a 60 dB trim keeps; --cuts '' then
// scores only the whole recordings.
//
// With --recall, each line also gives every emotion's recall.
//
// With --trim-db D, the models' features are computed with silence trimmed at D dB below the peak
// instead of the trim they were trained with: what a test-time trim would do, without retraining.
// With --trim-lead-in D,K, the same for the spec's `trim.leadIn` ({ topDb: D, keepSeconds: K });
// with --no-trim-lead-in, without the spec's `trim.leadIn` (the models as trained, no cut).
//
//   node scripts/short-clip-eval.mjs <train-out> [--cuts 2.5,2,1.5] [--from-speech] [--recall] [--lead-in S] [--trim-db D] [--trim-lead-in D,K | --no-trim-lead-in] [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder. Folds named corpus-* are
// leave-one-corpus-out; the others come from the folds file (default
// ../shared/splits/dev-folds.json). Prints UA per fold, corpus and cut, then the means.
import { resolve } from 'node:path';
import { devItems, openLibrary, savedFolds } from './dev-data.mjs';

const lib = await openLibrary();
const args = process.argv.slice(2);
const fromSpeech = args.includes('--from-speech');
if (fromSpeech) args.splice(args.indexOf('--from-speech'), 1);
const showRecall = args.includes('--recall');
if (showRecall) args.splice(args.indexOf('--recall'), 1);
const trimAt = args.indexOf('--trim-db');
const trimDb = trimAt >= 0 ? Number(args.splice(trimAt, 2)[1]) : 0;
const leadTrimAt = args.indexOf('--trim-lead-in');
const [leadTopDb, keepSeconds] = leadTrimAt >= 0 ? args.splice(leadTrimAt, 2)[1].split(',').map(Number) : [];
const noLeadTrim = args.includes('--no-trim-lead-in');
if (noLeadTrim) args.splice(args.indexOf('--no-trim-lead-in'), 1);
const lead = args.indexOf('--lead-in');
const leadIn = lead >= 0 ? Number(args.splice(lead, 2)[1]) : 0;
const flag = args.indexOf('--cuts');
const cutList = flag >= 0 ? args.splice(flag, 2)[1] : '2.5,2,1.5';
const cuts = [null, ...(cutList ? cutList.split(',').map(Number) : [])];
const folds = savedFolds(lib, await devItems(lib), resolve(args[0] ?? ''), args[1] && resolve(args[1]));
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const name = (cut) =>
  `${trimDb ? `trim ${trimDb} dB, ` : ''}${leadTopDb ? `lead-in trim ${leadTopDb} dB ${keepSeconds} s, ` : ''}${noLeadTrim ? 'no lead-in trim, ' : ''}${leadIn ? `${leadIn} s lead-in, ` : ''}${cut === null ? 'whole' : `${cut} s${fromSpeech ? ' of speech' : ''}`}`;

/** The recording after `leadIn` seconds of seeded white noise 45 dB below its peak sample. */
function withLeadIn(a) {
  if (!leadIn) return a;
  const n = Math.round(leadIn * a.sampleRate);
  let peak = 0;
  for (const v of a.signal) peak = Math.max(peak, Math.abs(v));
  const sigma = peak * 10 ** (-45 / 20);
  const out = new Float32Array(n + a.signal.length);
  let seed = 12345;
  for (let i = 0; i < n; i += 2) {
    // Box–Muller on a 32-bit linear congruential generator (Math.imul: exact mod 2³²), the same
    // noise every run.
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const u = (seed + 1) / 4294967297;
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const v = seed / 4294967296;
    const r = sigma * Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  out.set(a.signal, n);
  return { ...a, signal: out };
}

const totals = new Map();
for (const { fold, dir } of folds) {
  const model = await lib.EmotionModel.load(dir);
  const trim =
    model.featureSpec.trim || trimDb || leadTopDb ? { topDb: 60, ...model.featureSpec.trim } : null;
  if (trimDb) trim.topDb = trimDb;
  if (leadTopDb) trim.leadIn = { topDb: leadTopDb, keepSeconds };
  const { leadIn: _, ...noLead } = trim ?? {};
  const spec = lib.defineFeatureSpec({ ...model.featureSpec, trim: noLeadTrim && trim ? noLead : trim });
  const shared = lib.sharedLabels(fold, model.labels);
  const audio = [];
  for (const it of fold.test.filter((x) => shared.includes(x.label))) {
    const a = withLeadIn(await lib.readMono(it.path));
    audio.push({ it, a, onset: fromSpeech ? lib.trimSilence(a.signal, { topDb: 30 }).start : 0 });
  }
  for (const cut of cuts) {
    const rows = [];
    let tooShort = 0;
    for (const { it, a, onset } of audio) {
      const signal =
        cut === null ? a.signal : a.signal.subarray(onset, onset + Math.round(cut * a.sampleRate));
      try {
        rows.push({ ...it, features: lib.computeFeatures(signal, a.sampleRate, spec) });
      } catch (e) {
        if (!(e instanceof lib.SpeechEmotionError)) throw e;
        tooShort++;
      }
    }
    for (const ds of [...new Set(rows.map((r) => r.dataset))].sort()) {
      const scored = await model.evaluate(
        rows.filter((r) => r.dataset === ds),
        { labels: shared },
      );
      const ua = scored.unweightedAccuracy;
      const recall = showRecall
        ? `  recall: ${Object.entries(scored.perClass)
            .filter(([, m]) => m.support > 0)
            .map(([label, m]) => `${label} ${(100 * m.recall).toFixed(1)}`)
            .join(', ')}`
        : '';
      const key = `${ds} ${name(cut)}`;
      totals.set(key, [...(totals.get(key) ?? []), ua]);
      console.log(
        `${fold.name.padEnd(16)} ${key.padEnd(16)} UA ${pct(ua)}${tooShort ? ` (${tooShort} clips too short, left out)` : ''}${recall}`,
      );
    }
  }
  model.dispose();
}
for (const [key, v] of totals)
  console.log(`${key.padEnd(16)} mean UA ${pct(v.reduce((a, b) => a + b, 0) / v.length)}`);
