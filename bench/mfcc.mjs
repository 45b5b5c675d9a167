// MFCC speed: ours vs Meyda 5.6 and essentia.js 0.1.3, and an fft.js FFT+power loop as the lower
// bound, on the same decoded RAVDESS files. Single-threaded. Run with `npm run bench:mfcc`.
//   --files N        files for ours and the bound (default 300)
//   --peer-files N   files for Meyda and essentia.js, which are slow (default 30; ratios use
//                    each library's real-time factor, so subsets compare fairly)
//   --reps N         timed repetitions, best taken (default 3)
//   --json           end with one JSON line of the figures
import { createRequire } from 'node:module';
import FFT from 'fft.js';
import { decodeWav, extractMfcc, toMono } from '../dist/index.js';
import { args, bestOf, fmt, ravdessFiles, readBytes, requireData } from './common.mjs';

const require = createRequire(import.meta.url);
const opt = args({ files: 300, 'peer-files': 30, reps: 3, json: false });
requireData();

const SR = 16000;
const files = ravdessFiles().slice(0, opt.files);
const signals = files.map((f) => toMono(decodeWav(readBytes(f)).channels));
const seconds = (sigs) => sigs.reduce((a, s) => a + s.length, 0) / SR;
const peerSignals = signals.slice(0, opt['peer-files']);

const settings = {
  a: {
    label: '(a) librosa defaults: nFft 2048, hop 512, 128 mels, 20 MFCC',
    opts: { sampleRate: SR },
    nFft: 2048,
    hop: 512,
    winLength: 2048,
    nMels: 128,
    nMfcc: 20,
    window: 'hann',
  },
  b: {
    label: '(b) speech: nFft 512, hop 160, winLength 400, 40 mels, 13 MFCC',
    opts: { sampleRate: SR, nFft: 512, hopLength: 160, winLength: 400, nMels: 40, nMfcc: 13 },
    nFft: 512,
    hop: 160,
    winLength: 400,
    nMels: 40,
    nMfcc: 13,
    window: 'hann',
  },
};

/** Centred, zero-padded frames of winLength samples, as librosa frames them (the window's span). */
function frames(signal, s) {
  const pad = s.nFft / 2;
  const off = (s.nFft - s.winLength) / 2;
  const n = 1 + Math.floor(signal.length / s.hop);
  const out = [];
  for (let t = 0; t < n; t++) {
    const f = new Float32Array(s.winLength);
    for (let i = 0; i < s.winLength; i++) {
      const j = t * s.hop - pad + off + i;
      f[i] = j >= 0 && j < signal.length ? signal[j] : 0;
    }
    out.push(f);
  }
  return out;
}

function fftBound(sigs, s) {
  const fft = new FFT(s.nFft);
  const frame = new Float64Array(s.nFft);
  const out = new Float64Array(2 * s.nFft);
  const power = new Float64Array(s.nFft / 2 + 1);
  const pad = s.nFft / 2;
  return bestOf(opt.reps, () => {
    for (const x of sigs) {
      const n = 1 + Math.floor(x.length / s.hop);
      for (let t = 0; t < n; t++) {
        const start = t * s.hop - pad;
        for (let i = 0; i < s.nFft; i++) {
          const j = start + i;
          frame[i] = j >= 0 && j < x.length ? x[j] : 0;
        }
        fft.realTransform(out, frame);
        for (let k = 0; k <= s.nFft / 2; k++)
          power[k] = out[2 * k] * out[2 * k] + out[2 * k + 1] * out[2 * k + 1];
      }
    }
  });
}

function meyda(frameSets, s) {
  if (s.winLength !== s.nFft) return Number.NaN; // Meyda has no separate window length
  const Meyda = require('meyda');
  Meyda.bufferSize = s.nFft;
  Meyda.sampleRate = SR;
  Meyda.melBands = s.nMels;
  Meyda.numberOfMFCCCoefficients = s.nMfcc;
  Meyda.windowingFunction = 'hanning';
  return bestOf(Math.min(opt.reps, 2), () => {
    for (const fs of frameSets) for (const f of fs) Meyda.extract('mfcc', f);
  });
}

let essentia;
function essentiaJs(frameSets, s) {
  if (!essentia) {
    const { Essentia, EssentiaWASM } = require('essentia.js');
    essentia = new Essentia(EssentiaWASM);
  }
  const bins = s.nFft / 2 + 1;
  return bestOf(Math.min(opt.reps, 2), () => {
    for (const fs of frameSets) {
      for (const f of fs) {
        const v = essentia.arrayToVector(f);
        const w = essentia.Windowing(v, false, s.winLength, s.window, s.nFft - s.winLength, false).frame;
        const sp = essentia.Spectrum(w, s.nFft).spectrum;
        const m = essentia.MFCC(
          sp,
          2,
          SR / 2,
          bins,
          0,
          'dbamp',
          0,
          'unit_max',
          s.nMels,
          s.nMfcc,
          SR,
          1e-10,
          'power',
          'slaneyMel',
        );
        v.delete();
        w.delete();
        sp.delete();
        m.mfcc.delete();
        m.bands.delete();
      }
    }
  });
}

const audio = seconds(signals);
const peerAudio = seconds(peerSignals);
console.log(
  `MFCC benchmark: ${signals.length} RAVDESS files, ${fmt(audio, 1)} s of 16 kHz audio (peers: ${peerSignals.length} files, ${fmt(peerAudio, 1)} s); best of ${opt.reps}; Node ${process.version}; single thread`,
);
const results = {};
for (const [key, s] of Object.entries(settings)) {
  const ours = bestOf(opt.reps, () => {
    for (const x of signals) extractMfcc(x, s.opts);
  });
  const bound = fftBound(signals, s);
  const peerFrames = peerSignals.map((x) => frames(x, s));
  const tMeyda = meyda(peerFrames, s);
  const tEss = essentiaJs(peerFrames, s);
  const r = {
    ours: audio / ours,
    fftBound: audio / bound,
    meyda: peerAudio / tMeyda,
    essentia: peerAudio / tEss,
  };
  r.vsMeyda = r.ours / r.meyda;
  r.vsEssentia = r.ours / r.essentia;
  r.vsBound = ours / bound;
  results[key] = r;
  console.log(`\n${s.label}`);
  console.log(`  speech-emotion extractMfcc  ${fmt(r.ours)}× real time`);
  console.log(
    `  fft.js FFT + power (bound)  ${fmt(r.fftBound)}× real time   ours takes ${fmt(r.vsBound, 2)}× its time`,
  );
  console.log(`  Meyda 5.6                   ${fmt(r.meyda)}× real time   ours is ${fmt(r.vsMeyda)}× faster`);
  console.log(
    `  essentia.js 0.1.3           ${fmt(r.essentia)}× real time   ours is ${fmt(r.vsEssentia)}× faster`,
  );
}
const targets = [
  ['(a) ≥ 1000× real time', results.a.ours >= 1000],
  ['(b) ≥ 2000× real time', results.b.ours >= 2000],
  ['(a) ≥ 40× Meyda', results.a.vsMeyda >= 40],
  ['(a) within 2× of the FFT-only bound', results.a.vsBound <= 2],
  ['(b) within 2.5× of the FFT-only bound', results.b.vsBound <= 2.5],
];
console.log('\nTargets:');
for (const [name, ok] of targets) console.log(`  ${ok ? 'met    ' : 'MISSED '} ${name}`);
if (opt.json) console.log(JSON.stringify({ files: signals.length, audioSeconds: audio, ...results }));
