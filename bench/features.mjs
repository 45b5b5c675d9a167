// Speed of the frame features beyond MFCC: ours vs Meyda 5.6 for every feature Meyda also has
// (rms, zcr, spectral centroid, bandwidth ≈ Meyda's spectralSpread, rolloff, flatness, chroma), and
// yin and pyin as real-time factors (Meyda and essentia.js have no librosa-compatible pitch tracker).
//   --files N        RAVDESS files for ours (default 100)
//   --peer-files N   files for Meyda, which is slower (default 20; ratios use time per second of audio)
//   --reps N         best of N runs (default 3)
//   --nfft N --hop N frame size and hop of the spectral features (default 2048 and 512, librosa's)
//   --json           print the figures as JSON too
import { createRequire } from 'node:module';
import FFT from 'fft.js';
import {
  chromaStft,
  decodeWav,
  pyin,
  rms,
  spectralBandwidth,
  spectralCentroid,
  spectralContrast,
  spectralFlatness,
  spectralRolloff,
  toMono,
  yin,
  zeroCrossingRate,
} from '../dist/index.js';
import { args, bestOf, fmt, ravdessFiles, readBytes, requireData } from './common.mjs';

const require = createRequire(import.meta.url);
const opt = args({ files: 100, 'peer-files': 20, reps: 3, nfft: 2048, hop: 512, json: false });
requireData();
const SR = 16000;
const N_FFT = opt.nfft;
const HOP = opt.hop;

const all = ravdessFiles();
const pick = (n) => all.filter((_, i) => i % Math.max(1, Math.floor(all.length / n)) === 0).slice(0, n);
const load = (paths) =>
  paths.map((p) => {
    const { sampleRate, channels } = decodeWav(readBytes(p));
    if (sampleRate !== SR) throw new Error(`${p}: ${sampleRate} Hz, expected ${SR}`);
    return toMono(channels);
  });
const sigs = load(pick(opt.files));
const peerSigs = load(pick(opt['peer-files']));
const seconds = (xs) => xs.reduce((a, x) => a + x.length, 0) / SR;
const audio = seconds(sigs);
const peerAudio = seconds(peerSigs);

/** librosa's centred, zero-padded frames of N_FFT samples, for Meyda (framing not timed). */
function frames(x) {
  const n = 1 + Math.floor(x.length / HOP);
  const out = [];
  for (let t = 0; t < n; t++) {
    const f = new Float32Array(N_FFT);
    for (let i = 0; i < N_FFT; i++) {
      const j = t * HOP - N_FFT / 2 + i;
      f[i] = j >= 0 && j < x.length ? x[j] : 0;
    }
    out.push(f);
  }
  return out;
}
const peerFrames = peerSigs.map(frames);

const Meyda = require('meyda');
Meyda.bufferSize = N_FFT;
Meyda.sampleRate = SR;
Meyda.windowingFunction = 'hanning';

const base = { sampleRate: SR, nFft: N_FFT, hopLength: HOP };
const frameBase = { sampleRate: SR, frameLength: N_FFT, hopLength: HOP };
const features = [
  ['rms', (x) => rms(x, frameBase), 'rms'],
  ['zeroCrossingRate', (x) => zeroCrossingRate(x, frameBase), 'zcr'],
  ['spectralCentroid', (x) => spectralCentroid(x, base), 'spectralCentroid'],
  ['spectralBandwidth', (x) => spectralBandwidth(x, base), 'spectralSpread'],
  ['spectralRolloff', (x) => spectralRolloff(x, base), 'spectralRolloff'],
  ['spectralFlatness', (x) => spectralFlatness(x, base), 'spectralFlatness'],
  ['chromaStft', (x) => chromaStft(x, base), 'chroma'],
  ['spectralContrast', (x) => spectralContrast(x, base), null],
];

/**
 * The bound for one feature: fft.js's real transform of every centred frame and its magnitudes,
 * nothing else (no feature, no window), on the same files.
 */
function fftBound() {
  const fft = new FFT(N_FFT);
  const frame = new Float64Array(N_FFT);
  const out = new Float64Array(2 * N_FFT);
  const mag = new Float64Array(N_FFT / 2 + 1);
  return bestOf(opt.reps, () => {
    for (const x of sigs) {
      const n = 1 + Math.floor(x.length / HOP);
      for (let t = 0; t < n; t++) {
        const start = t * HOP - N_FFT / 2;
        for (let i = 0; i < N_FFT; i++) {
          const j = start + i;
          frame[i] = j >= 0 && j < x.length ? x[j] : 0;
        }
        fft.realTransform(out, frame);
        for (let k = 0; k <= N_FFT / 2; k++) mag[k] = Math.sqrt(out[2 * k] ** 2 + out[2 * k + 1] ** 2);
      }
    }
  });
}

const results = {};
console.log(
  `features: ${sigs.length} RAVDESS files (${fmt(audio, 1)} s) for ours, ${peerSigs.length} (${fmt(peerAudio, 1)} s) for Meyda; nFft ${N_FFT}, hop ${HOP}, best of ${opt.reps}`,
);
for (const [name, ours, meydaName] of features) {
  const tOurs = bestOf(opt.reps, () => {
    for (const x of sigs) ours(x);
  });
  const r = { ours: audio / tOurs };
  if (meydaName) {
    const tMeyda = bestOf(Math.min(opt.reps, 2), () => {
      for (const fs of peerFrames) for (const f of fs) Meyda.extract(meydaName, f);
    });
    r.meyda = peerAudio / tMeyda;
    r.vsMeyda = r.ours / r.meyda;
  }
  results[name] = r;
  console.log(
    `  ${name.padEnd(18)} ours ${fmt(r.ours).padStart(6)}× real time${
      meydaName
        ? `   Meyda ${meydaName} ${fmt(r.meyda)}×   ours is ${fmt(r.vsMeyda, 1)}× faster`
        : '   (no Meyda equivalent)'
    }`,
  );
}

results.fftBound = { ours: audio / fftBound() };
console.log(
  `  fft.js real FFT + magnitudes per frame (the bound of one spectral feature): ${fmt(results.fftBound.ours)}× real time`,
);

const pitch = { sampleRate: SR, fmin: 50, fmax: 500, frameLength: 1024 };
const tYin = bestOf(opt.reps, () => {
  for (const x of sigs) yin(x, pitch);
});
const tPyin = bestOf(opt.reps, () => {
  for (const x of sigs) pyin(x, pitch);
});
results.yin = { ours: audio / tYin };
results.pyin = { ours: audio / tPyin };
console.log(
  `  yin                ours ${fmt(results.yin.ours).padStart(6)}× real time (frameLength 1024, fmin 50, fmax 500)`,
);
console.log(`  pyin               ours ${fmt(results.pyin.ours).padStart(6)}× real time (same settings)`);

const checks = [
  ...features.filter(([, , m]) => m).map(([name]) => [`${name} ≥ 10× Meyda`, results[name].vsMeyda >= 10]),
  ['yin ≥ 1000× real time', results.yin.ours >= 1000],
  ['pyin ≥ 100× real time', results.pyin.ours >= 100],
];
console.log('\ntargets:');
for (const [label, ok] of checks) console.log(`  ${ok ? 'met ' : 'MISSED'} ${label}`);
if (opt.json) console.log(JSON.stringify(results));
