// How a cross-validation's saved fold models hold up when the held-out recordings come through a
// phone line or a lossy codec instead of the studio's WAV: each fold's test clips scored as they
// are, then through each channel, as `train` scores the fold (predictions restricted to the labels
// the fold's clips carry).
//   telephone  300–3400 Hz (4th-order Butterworth each side), 8 kHz, G.711 μ-law: perturbAudio, resample
//   aac-32k    AAC at 32 kb/s, mono (ffmpeg's encoder; decoded by audio-decode, as readAudioFile does)
//   opus-16k   Opus at 16 kb/s in WebM, mono (libopus; decoded by audio-decode)
//   mp3-16k    MP3 at 16 kb/s, mono (libmp3lame, whose low-pass at this rate stops content near 5.6 kHz)
//   amr-12k    AMR-NB at 12.2 kb/s, 8 kHz (SoX with opencore-amr; decoded by audio-decode): Android
//              call and voice recorders
//   gsm        GSM 06.10 full rate in WAV, 8 kHz (SoX; decoded by decodeWav): voicemail ("WAV49")
//   band, 8k, mulaw  the telephone channel's parts alone: 300–3400 Hz at the clip's rate; 8 kHz; μ-law
//   dc         a DC offset of 0.3 × the recording's RMS added to every sample (perturbAudio's dcOffset,
//              seed 0; SAVEE's own offsets are 0.07–0.49)
//   demean     the recording's mean removed (SAVEE's offsets gone, nothing else changed)
//   clip       every sample held to the recording's peak lowered by 12 dB (perturbAudio's clipDb)
//   telephone-up, 8k-up  telephone and 8k resampled back to the clip's own rate (a call saved as a
//              16 kHz WAV, or decoded by a browser at 44.1 kHz)
// The codecs need `ffmpeg` (amr-12k and gsm: `sox` with its AMR format) on the PATH and are left out
// without it.
//
//   node scripts/channel-eval.mjs <train-out>[,<train-out>…] [--channels telephone,aac-32k,opus-16k] [--band-fill SNR [--band-detect DB,HZ]] [folds.json]
//
// <train-out> is a `train --folds … --keep-fold-models` folder; several, joined by commas, are
// scored as an ensemble (each fold's models' probabilities averaged, as `combine-cv.mjs` averages
// their per-clip outputs; the runs must have saved the same folds). Prints UA per fold, corpus and
// channel, then the means per corpus and channel. `--band-fill SNR` scores each channel a second
// time (as `<channel>+fill`) with the FeatureSpec's `bandFill: { snrDb: SNR }` added to the fold
// models' own spec: what the noise floor over a low-rate recording's missing band gives;
// `--band-detect DB,HZ` adds `detect: { topDb: DB, maxHz: HZ }` to it (the missing band of a
// recording at a full rate found from its content).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { devItems, openLibrary, savedFolds } from './dev-data.mjs';

const lib = await openLibrary();
const args = process.argv.slice(2);
const flag = args.indexOf('--channels');
const wanted = (flag >= 0 ? args.splice(flag, 2)[1] : 'telephone,aac-32k,opus-16k').split(',');
const fillFlag = args.indexOf('--band-fill');
const fillDb = fillFlag >= 0 ? Number(args.splice(fillFlag, 2)[1]) : undefined;
if (fillDb !== undefined && !Number.isFinite(fillDb)) throw new Error('--band-fill takes a number of dB');
const detectFlag = args.indexOf('--band-detect');
const detect = detectFlag >= 0 ? args.splice(detectFlag, 2)[1].split(',').map(Number) : undefined;
if (detect !== undefined && (fillDb === undefined || detect.length !== 2 || !detect.every(Number.isFinite)))
  throw new Error('--band-detect takes DB,HZ (e.g. 75,4500), and --band-fill with it');
const fill = { snrDb: fillDb, ...(detect && { detect: { topDb: detect[0], maxHz: detect[1] } }) };
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const hasSox = spawnSync('sox', ['--version']).status === 0;
/** Telephone codecs through SoX: its output type and options (the rate is set to 8 kHz). */
const SOX = { 'amr-12k': ['-t', 'amr-nb', '-C', '7'], gsm: ['-t', 'wav', '-e', 'gsm-full-rate'] };
const CODECS = {
  'aac-32k': ['-c:a', 'aac', '-b:a', '32k', '-f', 'adts'],
  'opus-16k': ['-c:a', 'libopus', '-b:a', '16k', '-f', 'webm'],
  'mp3-16k': ['-c:a', 'libmp3lame', '-b:a', '16k', '-f', 'mp3'],
};
/** Channels made here, without ffmpeg: the telephone channel, its parts alone (for finding which costs what), both resampled back up, a DC offset, its removal, clipping. */
const PARTS = ['telephone', 'band', '8k', 'mulaw', 'dc', 'demean', 'clip', 'telephone-up', '8k-up'];
const channels = wanted.filter((c) => {
  if (!PARTS.includes(c) && !CODECS[c] && !SOX[c]) throw new Error(`unknown channel '${c}'`);
  if (CODECS[c] && !hasFfmpeg) console.log(`${c}: left out (no ffmpeg on the PATH)`);
  if (SOX[c] && !hasSox) console.log(`${c}: left out (no sox on the PATH)`);
  return PARTS.includes(c) || (CODECS[c] ? hasFfmpeg : hasSox);
});

/** The recording through `channel`: { signal, sampleRate }. */
async function through(channel, a) {
  if (channel === 'clean') return a;
  if (channel.endsWith('-up')) {
    const narrow = await through(channel.slice(0, -3), a);
    return { signal: lib.resample(narrow.signal, narrow.sampleRate, a.sampleRate), sampleRate: a.sampleRate };
  }
  if (channel === 'band')
    return lib.perturbAudio(a.signal, a.sampleRate, { highpassHz: 300, lowpassHz: 3400 });
  if (channel === '8k') return { signal: lib.resample(a.signal, a.sampleRate, 8000), sampleRate: 8000 };
  if (channel === 'mulaw') return lib.perturbAudio(a.signal, a.sampleRate, { muLaw: 1 });
  if (channel === 'dc') return lib.perturbAudio(a.signal, a.sampleRate, { dcOffset: 0.3 });
  if (channel === 'clip') return lib.perturbAudio(a.signal, a.sampleRate, { clipDb: 12 });
  if (channel === 'demean') {
    const mean = a.signal.reduce((acc, v) => acc + v, 0) / a.signal.length;
    return { signal: a.signal.map((v) => v - mean), sampleRate: a.sampleRate };
  }
  if (channel === 'telephone') {
    const line = lib.perturbAudio(a.signal, a.sampleRate, { highpassHz: 300, lowpassHz: 3400 });
    const narrow = lib.resample(line.signal, a.sampleRate, 8000);
    return { signal: lib.perturbAudio(narrow, 8000, { muLaw: 1 }).signal, sampleRate: 8000 };
  }
  const raw = Buffer.from(a.signal.buffer, a.signal.byteOffset, a.signal.byteLength);
  if (SOX[channel]) {
    const input = ['-t', 'f32', '-r', String(a.sampleRate), '-c', '1', '-'];
    const enc = spawnSync('sox', [...input, '-r', '8000', ...SOX[channel], '-'], {
      input: raw,
      maxBuffer: 1 << 28,
    });
    if (enc.status !== 0) throw new Error(`sox ${channel}: ${enc.stderr}`);
    const d = await lib.decodeAudioBytes(new Uint8Array(enc.stdout), channel);
    return { signal: lib.toMono(d.channels), sampleRate: d.sampleRate };
  }
  const enc = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'f32le',
      '-ar',
      String(a.sampleRate),
      '-ac',
      '1',
      '-i',
      'pipe:0',
      ...CODECS[channel],
      'pipe:1',
    ],
    { input: raw, maxBuffer: 1 << 28 },
  );
  if (enc.status !== 0) throw new Error(`ffmpeg ${channel}: ${enc.stderr}`);
  const d = await lib.decodeAudioBytes(new Uint8Array(enc.stdout), channel);
  return { signal: lib.toMono(d.channels), sampleRate: d.sampleRate };
}

const items = await devItems(lib);
const runs = (args[0] ?? '')
  .split(',')
  .map((from) => savedFolds(lib, items, resolve(from), args[1] && resolve(args[1])));
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const totals = new Map();

/** The UA of `models` (probabilities averaged) on `clips` through `channel`, predictions restricted to `shared`. */
async function score(models, clips, channel, shared) {
  const probs = clips.map(() => new Float64Array(shared.length));
  for (const model of models) {
    const spec = channel.endsWith('+fill') ? { ...model.featureSpec, bandFill: fill } : model.featureSpec;
    const matrices = [];
    for (const { a } of clips) {
      const b = await through(channel.replace(/\+fill$/, ''), a);
      matrices.push(lib.computeFeatures(b.signal, b.sampleRate, spec));
    }
    const out = await model.predictFeatures(matrices);
    const index = shared.map((l) => model.labels.indexOf(l));
    for (const [i, p] of out.entries()) {
      for (const [j, k] of index.entries()) probs[i][j] += p[k];
    }
  }
  const predicted = probs.map((p) => shared[p.indexOf(Math.max(...p))]);
  return lib.evaluatePredictions(
    clips.map((c) => c.it.label),
    predicted,
    shared,
  ).unweightedAccuracy;
}

for (const [f, { fold }] of runs[0].entries()) {
  const dirs = runs.map((r) => r[f]?.dir);
  if (dirs.some((d, i) => !d || runs[i][f].fold.name !== fold.name))
    throw new Error(`the runs did not all save fold ${fold.name}`);
  const models = await Promise.all(dirs.map((d) => lib.EmotionModel.load(d)));
  const shared = lib.sharedLabels(fold, models[0].labels);
  const clips = [];
  for (const it of fold.test.filter((x) => shared.includes(x.label)))
    clips.push({ it, a: await lib.readMono(it.path) });
  const named = ['clean', ...channels].flatMap((c) => (fillDb === undefined ? [c] : [c, `${c}+fill`]));
  for (const channel of named) {
    for (const ds of [...new Set(clips.map((c) => c.it.dataset))].sort()) {
      const ua = await score(
        models,
        clips.filter((c) => c.it.dataset === ds),
        channel,
        shared,
      );
      const key = `${ds} ${channel}`;
      totals.set(key, [...(totals.get(key) ?? []), ua]);
      console.log(`${fold.name.padEnd(16)} ${key.padEnd(18)} UA ${pct(ua)}`);
    }
  }
  for (const model of models) model.dispose();
}
for (const [key, v] of [...totals].sort())
  console.log(`${key.padEnd(18)} mean UA ${pct(v.reduce((a, b) => a + b, 0) / v.length)}`);
