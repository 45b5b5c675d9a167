import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { noiseMeasures } from '../src/dsp/noise.js';
import {
  EmotionModel,
  type FeatureRow,
  type PerturbOptions,
  SpeechEmotionError,
  computeFeatures,
  defineFeatureSpec,
  perturbAudio,
  resample,
  spectrogram,
  trimSilence,
} from '../src/index.js';
import { checkAugment, mixBatch } from '../src/model/spec-augment.js';
import { useBackend } from '../src/node.js';
import { betaFrom, seededRandom } from '../src/util/math.js';
import { ROOT as ROOT_DIR, missing, skipNote } from './helpers/data.js';
import { syllabic } from './helpers/signals.js';

tf.env().set('PROD', true);

const SR = 16000;
const tone = (seconds: number, hz: number, level = 0.3) =>
  Float32Array.from(
    { length: Math.round(seconds * SR) },
    (_, t) => level * Math.sin((2 * Math.PI * hz * t) / SR),
  );
function noise(seconds: number, level: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: Math.round(seconds * SR) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return level * (2 * (s / 2147483648) - 1);
  });
}

const series = defineFeatureSpec({
  trim: null,
  duration: { offset: 0, seconds: 1 },
  features: { type: 'mfcc', options: { nMfcc: 13, nFft: 512, hopLength: 256 } },
  deltas: 1,
  output: { type: 'series' },
});

function rows(n: number): FeatureRow[] {
  return Array.from({ length: n }, (_, i) => {
    const calm = i % 2 === 0;
    const signal = calm
      ? tone(1, 120 + 10 * (i % 7), 0.1 + 0.02 * (i % 5))
      : noise(1, 0.2 + 0.02 * (i % 5), i + 1);
    return {
      path: `s${i}`,
      dataset: 'manifest',
      speaker: 'x',
      label: calm ? 'calm' : 'angry',
      features: computeFeatures(signal, SR, series),
    };
  });
}

async function code(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'no error';
  } catch (e) {
    return e instanceof SpeechEmotionError ? e.code : `not a SpeechEmotionError: ${e}`;
  }
}

describe('perturbAudio', () => {
  const x = tone(1, 220);
  it('is repeatable per seed and changes length with speed', () => {
    const a = perturbAudio(x, SR, { speed: [0.9, 1.1], noiseSnrDb: 20, seed: 5 });
    const b = perturbAudio(x, SR, { speed: [0.9, 1.1], noiseSnrDb: 20, seed: 5 });
    expect(a.signal).toEqual(b.signal);
    const fast = perturbAudio(x, SR, { speed: 1.25 });
    expect(fast.sampleRate).toBe(SR);
    expect(Math.abs(fast.signal.length - x.length / 1.25)).toBeLessThanOrEqual(2);
  });
  it('adds noise at the requested SNR and applies gain', () => {
    const y = perturbAudio(x, SR, { noiseSnrDb: 10, seed: 1 }).signal;
    let ps = 0;
    let pn = 0;
    for (let i = 0; i < x.length; i++) {
      ps += x[i] ** 2;
      pn += (y[i] - x[i]) ** 2;
    }
    expect(10 * Math.log10(ps / pn)).toBeCloseTo(10, 0);
    const g = perturbAudio(x, SR, { gainDb: 6 }).signal;
    expect(g[100] / x[100]).toBeCloseTo(10 ** (6 / 20), 5);
  });
  const power = (v: Float32Array, from = 0, to = v.length) => {
    let p = 0;
    for (let i = from; i < to; i++) p += v[i] * v[i];
    return p / (to - from);
  };
  /** Frequency of a tone from its zero crossings (rising) per second, over the middle half. */
  const pitchOf = (v: Float32Array) => {
    const from = Math.floor(v.length / 4);
    const to = Math.floor((3 * v.length) / 4);
    let n = 0;
    for (let i = from + 1; i < to; i++) if (v[i - 1] < 0 && v[i] >= 0) n++;
    return (n * SR) / (to - from);
  };
  it('changes tempo at the same pitch, and pitch at the same tempo (WSOLA)', () => {
    const a = tone(1, 200);
    const faster = perturbAudio(a, SR, { tempo: 1.25 }).signal;
    expect(Math.abs(faster.length - a.length / 1.25)).toBeLessThanOrEqual(1);
    expect(pitchOf(faster)).toBeCloseTo(200, -1);
    const slower = perturbAudio(a, SR, { tempo: 0.8 }).signal;
    expect(Math.abs(slower.length - a.length / 0.8)).toBeLessThanOrEqual(1);
    expect(pitchOf(slower)).toBeCloseTo(200, -1);
    const up = perturbAudio(a, SR, { pitchSemitones: 12 }).signal;
    expect(Math.abs(up.length - a.length)).toBeLessThanOrEqual(2);
    expect(pitchOf(up)).toBeCloseTo(400, -1);
    const down = perturbAudio(a, SR, { pitchSemitones: -3 }).signal;
    expect(pitchOf(down)).toBeCloseTo(200 * 2 ** (-3 / 12), -1);
  });
  it('band-limits like a telephone: a 4th-order Butterworth low- and high-pass', () => {
    const low = tone(1, 150);
    const high = tone(1, 5000);
    const cut = (v: Float32Array) => perturbAudio(v, SR, { lowpassHz: 3400, highpassHz: 300 }).signal;
    // Past the filters' start-up (first 0.1 s): 5 kHz is 0.56 octave above 3.4 kHz, 150 Hz one below 300 Hz.
    expect(10 * Math.log10(power(cut(high), 1600) / power(high, 1600))).toBeLessThan(-12);
    expect(10 * Math.log10(power(cut(low), 1600) / power(low, 1600))).toBeLessThan(-20);
    const mid = tone(1, 1000);
    expect(10 * Math.log10(power(cut(mid), 1600) / power(mid, 1600))).toBeGreaterThan(-0.5);
    // At or above 0.45 × the rate, and under 20 Hz: no filter.
    expect(perturbAudio(high, SR, { lowpassHz: 7200, highpassHz: 10 }).signal).toEqual(high);
  });
  it('adds reverberation that keeps the length and level and smears an impulse', () => {
    const click = new Float32Array(SR);
    click[100] = 1;
    const wet = perturbAudio(click, SR, { reverb: { rt60: 0.5, drrDb: 0 }, seed: 2 }).signal;
    expect(wet.length).toBe(click.length);
    expect(power(wet)).toBeCloseTo(power(click), 8);
    // Half the energy (DRR 0 dB) arrives after the direct path, decaying over the next 0.5 s.
    const tail = power(wet, 140, SR) * (SR - 140);
    expect(tail / (power(wet) * SR)).toBeGreaterThan(0.3);
    expect(power(wet, 110 + 8000, SR)).toBeLessThan(power(wet, 140, 2000) / 100);
    expect(perturbAudio(click, SR, { reverb: { rt60: 0.5 }, seed: 2 }).signal).toEqual(
      perturbAudio(click, SR, { reverb: { rt60: 0.5 }, seed: 2 }).signal,
    );
    // Under 0.05 s: dry.
    expect(perturbAudio(click, SR, { reverb: { rt60: 0.01 } }).signal).toEqual(click);
  });
  it('equalises at random and adds coloured noise at the requested SNR', () => {
    const eq = perturbAudio(x, SR, { eqDb: [-6, 6], seed: 4 }).signal;
    const ratio = 10 * Math.log10(power(eq, 1600) / power(x, 1600));
    expect(Math.abs(ratio)).toBeGreaterThan(0.01);
    expect(Math.abs(ratio)).toBeLessThan(18.1); // three bands of at most 6 dB
    for (const noiseColor of ['white', 'pink', 'brown'] as const) {
      const y = perturbAudio(x, SR, { noiseSnrDb: 10, noiseColor, seed: 1 }).signal;
      const n = y.map((v, i) => v - x[i]);
      expect(10 * Math.log10(power(x) / power(n))).toBeCloseTo(10, 0);
    }
    // A colour list draws one per copy; a single 'white' is what no colour gave before.
    expect(perturbAudio(x, SR, { noiseSnrDb: 10, noiseColor: 'white', seed: 1 }).signal).toEqual(
      perturbAudio(x, SR, { noiseSnrDb: 10, seed: 1 }).signal,
    );
  });
  it('adds a babble of the recording itself, time-reversed, at the requested ratio', () => {
    // A rising chirp: reversed and shifted, its copies are not the signal.
    const chirp = Float32Array.from({ length: SR }, (_, i) =>
      Math.sin((2 * Math.PI * (100 + 0.2 * i) * i) / SR),
    );
    const y = perturbAudio(chirp, SR, { babbleSnrDb: 6, seed: 2 }).signal;
    const b = y.map((v, i) => v - chirp[i]);
    expect(10 * Math.log10(power(chirp) / power(b))).toBeCloseTo(6, 3);
    expect(perturbAudio(chirp, SR, { babbleSnrDb: 6, seed: 2 }).signal).toEqual(y);
    expect(perturbAudio(chirp, SR, { babbleSnrDb: 6, seed: 3 }).signal).not.toEqual(y);
    // Its spectrum is the recording's: a tone's babble is the same tone.
    const t = tone(1, 220);
    const tb = perturbAudio(t, SR, { babbleSnrDb: 0, seed: 1 }).signal.map((v, i) => v - t[i]);
    const at = (v: Float32Array, hz: number) => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < v.length; i++) {
        re += v[i] * Math.cos((2 * Math.PI * hz * i) / SR);
        im += v[i] * Math.sin((2 * Math.PI * hz * i) / SR);
      }
      return Math.hypot(re, im);
    };
    expect(at(tb, 220)).toBeGreaterThan(100 * at(tb, 1000));
    expect(() => perturbAudio(t, SR, { babbleSnrDb: [20, 10] })).toThrow(/'babbleSnrDb' must be a number/);
  });
  it('passes copies through an 8-bit μ-law codec with the given probability', () => {
    const t = tone(1, 220);
    const y = perturbAudio(t, SR, { muLaw: 1, seed: 1 }).signal;
    expect(new Set(y).size).toBeLessThanOrEqual(255); // 8 bits: 2 × 127 + 1 levels
    const d = y.map((v, i) => v - t[i]);
    expect(10 * Math.log10(power(t) / power(d))).toBeGreaterThan(30); // G.711 carries speech at about 38 dB
    expect(perturbAudio(t, SR, { muLaw: 0, seed: 1 }).signal).toEqual(t);
    let coded = 0;
    for (let seed = 0; seed < 200; seed++)
      if (!perturbAudio(t, SR, { muLaw: 0.5, seed }).signal.every((v, i) => v === t[i])) coded++;
    expect(coded).toBeGreaterThan(70);
    expect(coded).toBeLessThan(130);
    expect(() => perturbAudio(t, SR, { muLaw: 2 })).toThrow(/'muLaw' must lie within \[0, 1\]/);
  });
  it('passes copies through an 8 kHz line with the given probability: nothing left above 4 kHz', () => {
    const low = tone(1, 1000);
    const high = tone(1, 5000);
    const both = low.map((v, i) => v + high[i]);
    const y = perturbAudio(both, SR, { narrowband: 1, seed: 1 });
    expect(y.sampleRate).toBe(SR);
    // The 1 kHz tone passes; the 5 kHz one is gone (a low-pass would leave a slope).
    const mid = (x: Float32Array) => x.subarray(1000, both.length - 1000);
    const d = mid(y.signal).map((v, i) => v - mid(low)[i]);
    expect(10 * Math.log10(power(mid(low)) / power(d))).toBeGreaterThan(40);
    expect(perturbAudio(both, SR, { narrowband: 0, seed: 1 }).signal).toEqual(both);
    let lined = 0;
    for (let seed = 0; seed < 100; seed++)
      if (!perturbAudio(low, SR, { narrowband: 0.5, seed }).signal.every((v, i) => v === low[i])) lined++;
    expect(lined).toBeGreaterThan(30);
    expect(lined).toBeLessThan(70);
    expect(() => perturbAudio(low, SR, { narrowband: -1 })).toThrow(/'narrowband' must lie within \[0, 1\]/);
  });
  it('adds a DC offset of the drawn size relative to the RMS, of either sign', () => {
    const t = tone(1, 440);
    const rms = Math.sqrt(power(t));
    const signs = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const y = perturbAudio(t, SR, { dcOffset: 0.3, seed }).signal;
      const offset = y.reduce((a, v) => a + v, 0) / y.length - t.reduce((a, v) => a + v, 0) / t.length;
      expect(Math.abs(offset) / rms).toBeCloseTo(0.3, 3);
      signs.add(Math.sign(offset));
    }
    expect([...signs].sort()).toEqual([-1, 1]);
    expect(() => perturbAudio(t, SR, { dcOffset: [-1, 1] })).toThrow(/'dcOffset' must lie within/);
  });
  it('clips at the peak lowered by the drawn dB, and leaves the copy alone at 0 dB', () => {
    const t = tone(1, 440);
    const peak = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const y = perturbAudio(t, SR, { clipDb: 12 }).signal;
    expect(peak(y) / peak(t)).toBeCloseTo(10 ** (-12 / 20), 5);
    expect(y.filter((v) => Math.abs(v) === peak(y)).length).toBeGreaterThan(SR / 4); // held, not scaled
    expect(perturbAudio(t, SR, { clipDb: 0 }).signal).toEqual(t);
    expect(() => perturbAudio(t, SR, { clipDb: [-6, 6] })).toThrow(/'clipDb' must lie within/);
  });
  it('passes copies through a simulated lossy codec: band-wise noise at the drawn SNR, nothing above the cut-off', async () => {
    const through = (x: Float32Array, codec: PerturbOptions['codec'], seed = 0) =>
      perturbAudio(x, SR, { codec, seed }).signal;
    const snr = (a: Float32Array, b: Float32Array) =>
      10 * Math.log10(power(a) / power(a.map((v, i) => v - b[i])));
    // Frames that add back exactly: at 60 dB the tone comes back within the 50 dB range under its band.
    const t = tone(1, 440);
    const clean = through(t, { probability: 1, snrDb: 60, cutoffHz: 8000 });
    expect(clean.length).toBe(t.length);
    expect(snr(t, clean)).toBeGreaterThan(40);
    // White noise fills every band alike: the error follows the asked SNR, give or take a few dB.
    const n = noise(1, 0.2, 7);
    const coarse = snr(n, through(n, { probability: 1, snrDb: 6, cutoffHz: 8000 }));
    const fine = snr(n, through(n, { probability: 1, snrDb: 15, cutoffHz: 8000 }));
    expect(coarse).toBeGreaterThan(4);
    expect(coarse).toBeLessThan(12);
    expect(fine).toBeGreaterThan(coarse + 6);
    // A 6 kHz tone is gone under a 5 kHz cut-off; the 1 kHz tone stays.
    const low = tone(1, 1000);
    const high = tone(1, 6000);
    const both = low.map((v, i) => v + high[i]);
    expect(snr(low, through(both, { probability: 1, snrDb: 40, cutoffHz: 5000 }))).toBeGreaterThan(35);
    // The probability, and the same copy for the same seed.
    expect(through(t, { probability: 0 })).toEqual(t);
    expect(through(t, { probability: 1 }, 3)).toEqual(through(t, { probability: 1 }, 3));
    let coded = 0;
    for (let seed = 0; seed < 100; seed++)
      if (!through(low, { probability: 0.5 }, seed).every((v, i) => v === low[i])) coded++;
    expect(coded).toBeGreaterThan(30);
    expect(coded).toBeLessThan(70);
    expect(await code(() => through(t, 0.5 as never))).toBe('INVALID_OPTION');
    expect(await code(() => through(t, { probability: 1, cutof: 4000 } as never))).toBe('UNKNOWN_OPTION');
    expect(() => through(t, { probability: 1, snrDb: [-3, 6] })).toThrow(/'codec.snrDb' must lie within/);
    expect(() => through(t, { probability: 1, cutoffHz: 0 })).toThrow(/'codec.cutoffHz' must lie within/);
    expect(() => through(t, { probability: 2 })).toThrow(/'codec.probability' must lie within \[0, 1\]/);
  });
  it('crops a random stretch of the voiced part, whole when shorter than the draw', async () => {
    // 0.5 s of silence, 2 s of tone, 0.5 s of silence.
    const voiced = tone(2, 220);
    const padded = new Float32Array(3 * SR);
    padded.set(voiced, SR / 2);
    const a = perturbAudio(padded, SR, { cropSeconds: 1, seed: 3 }).signal;
    expect(a.length).toBe(SR);
    // Within the voiced part, give or take trimSilence's frame (2048 samples) at its edges.
    expect(power(a) / power(voiced)).toBeGreaterThan(0.85);
    expect(perturbAudio(padded, SR, { cropSeconds: 1, seed: 4 }).signal).not.toEqual(a);
    // Longer than the voiced part: the voiced part, trimmed as trimSilence trims it.
    const whole = perturbAudio(padded, SR, { cropSeconds: 2.8 }).signal;
    expect(whole.length).toBeGreaterThan(1.9 * SR);
    expect(whole.length).toBeLessThan(2.3 * SR);
    expect(await code(() => perturbAudio(x, SR, { cropSeconds: [0, 1] }))).toBe('INVALID_OPTION');
  });
  it('refuses unknown options, bad ranges and bad input', async () => {
    expect(await code(() => perturbAudio(x, SR, { sped: 1.1 } as never))).toBe('UNKNOWN_OPTION');
    expect(await code(() => perturbAudio(x, SR, { reverb: 0.5 } as never))).toBe('INVALID_OPTION');
    expect(await code(() => perturbAudio(x, SR, { tempo: 3 }))).toBe('INVALID_OPTION');
    expect(await code(() => perturbAudio(x, SR, { pitchSemitones: [-20, 0] }))).toBe('INVALID_OPTION');
    expect(await code(() => perturbAudio(x, SR, { reverb: { rt60: [0, 5] } }))).toBe('INVALID_OPTION');
    expect(await code(() => perturbAudio(x, SR, { reverb: { rt: 0.5 } } as never))).toBe('UNKNOWN_OPTION');
    expect(await code(() => perturbAudio(x, SR, { noiseSnrDb: 5, noiseColor: 'blue' as never }))).toBe(
      'INVALID_OPTION',
    );
    expect(await code(() => perturbAudio(x, SR, { gainDb: [3, 1] }))).toBe('INVALID_OPTION');
    expect(await code(() => perturbAudio(new Float32Array([0, Number.NaN]), SR, {}))).toBe(
      'NON_FINITE_SAMPLES',
    );
  });
});

describe('extractItems with perturb (augmented copies of files)', () => {
  it('gives features that differ from the clean file and repeat exactly', async () => {
    const { extractItems } = await import('../src/node.js');
    const { encodeWav } = await import('./helpers/wav.js');
    const dir = mkdtempSync(join(tmpdir(), 'se-perturb-'));
    const path = join(dir, 'a.wav');
    writeFileSync(path, encodeWav([tone(1.5, 180)], SR, 'pcm16'));
    const item = { path, dataset: 'manifest' as const, label: 'calm' as const, speaker: 'x', meta: {} };
    const once = async (perturb?: PerturbOptions) => {
      for await (const { result } of extractItems([item], series, { jobs: 1, perturb }))
        if (result.ok) return result.features.data;
      throw new Error('extraction failed');
    };
    const clean = await once();
    const p = { speed: [0.9, 1.1] as [number, number], noiseSnrDb: 20, seed: 4 };
    const a = await once(p);
    expect(a).toEqual(await once(p));
    expect(a).not.toEqual(clean);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('EmotionModel: augmentation, schedule, crnn, timeline', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('fits with SpecAugment, time shift and a cosine schedule, repeatably; refuses bad augment options', async () => {
    const data = rows(24);
    const weights = async () => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: [data[0].features.frames, data[0].features.features],
        seed: 2,
      });
      await m.fit(data, {
        epochs: 2,
        batchSize: 8,
        seed: 4,
        schedule: 'cosine',
        augment: { specAugment: { timeMasks: 2, featureMasks: 1 }, shift: 0.2 },
      });
      const w = await m.layersModel.getWeights()[0].data();
      m.dispose();
      return w;
    };
    const [a, b] = [await weights(), await weights()];
    expect(a).toEqual(b);
    expect(Array.from(a).every(Number.isFinite)).toBe(true);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
    });
    expect(await code(() => m.fit(data, { augment: { specAugmnt: {} } as never }))).toBe('UNKNOWN_OPTION');
    expect(await code(() => m.fit(data, { augment: { shift: 2 } }))).toBe('INVALID_OPTION');
    expect(await code(() => m.fit(data, { augment: { specAugment: { timeMasks: -1 } } }))).toBe(
      'INVALID_OPTION',
    );
    expect(await code(() => m.fit(data, { schedule: 'step' as never }))).toBe('INVALID_OPTION');
    m.dispose();
  });

  it('leaves no tensors behind from its steps: as many after three epochs as after one', async () => {
    // Each step gives the variables their new weights; the tensors that carried them were once kept
    // (tfjs's assign shares their data), a network's worth of memory a step.
    const data = rows(24);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
      seed: 2,
    });
    const left = async (epochs: number) => {
      const before = tf.memory().numTensors;
      await m.fit(data, { epochs, batchSize: 8, seed: 4, weightDecay: 0.01 });
      return tf.memory().numTensors - before;
    };
    // (A fit leaves its Adam optimizer compiled into the network, with its two scalars.)
    const once = await left(1);
    expect(await left(3)).toBe(once);
    m.dispose();
  });

  it("averageEpochs keeps the mean of the last epochs' weights, batch-norm statistics included; refuses bad counts", async () => {
    const data = rows(24);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      architecture: 'cnn1d',
      inputShape: [data[0].features.frames, data[0].features.features],
      seed: 3,
    });
    const seen: number[][][] = [];
    const summary = await m.fit(data, {
      epochs: 4,
      batchSize: 8,
      seed: 5,
      schedule: 'cosine',
      averageEpochs: 2,
      onEpochEnd: async () => {
        seen.push(await Promise.all(m.layersModel.getWeights().map(async (t) => Array.from(await t.data()))));
      },
    });
    expect(summary.averagedEpochs).toBe(2);
    expect(summary.bestEpoch).toBe(3);
    const kept = await Promise.all(m.layersModel.getWeights().map(async (t) => Array.from(await t.data())));
    let moved = 0;
    kept.forEach((w, i) =>
      w.forEach((v, j) => {
        const mean = (seen[2][i][j] + seen[3][i][j]) / 2;
        expect(Math.abs(v - mean)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(mean)));
        if (Math.abs(seen[3][i][j] - mean) > 1e-6) moved++;
      }),
    );
    expect(moved).toBeGreaterThan(100); // the last epoch's weights are not what is kept
    expect(await code(() => m.fit(data, { epochs: 4, averageEpochs: 5 }))).toBe('INVALID_OPTION');
    expect(await code(() => m.fit(data, { averageEpochs: 1 }))).toBe('INVALID_OPTION');
    m.dispose();
  });

  it('mixup: rows and targets mixed by the same λ ~ Beta(α, α); fit with it is repeatable and differs', async () => {
    const random = seededRandom(9);
    // Beta(0.4, 0.4): mean 1/2, variance 1 / (4 (2α + 1)); Beta(2, 5): mean 2/7.
    const draws = Array.from({ length: 20000 }, () => betaFrom(random, 0.4, 0.4));
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / (4 * 1.8), 2);
    const skewed = Array.from({ length: 20000 }, () => betaFrom(random, 2, 5));
    expect(skewed.reduce((a, b) => a + b, 0) / skewed.length).toBeCloseTo(2 / 7, 2);

    // Eight rows of three values, row i filled with i, target one-hot at class i.
    const n = 8;
    const x = Float32Array.from({ length: n * 3 }, (_, q) => Math.floor(q / 3));
    const y = Float32Array.from({ length: n * n }, (_, q) => (q % (n + 1) === 0 ? 1 : 0));
    mixBatch(x, y, n, 0.4, seededRandom(3));
    let mixed = 0;
    for (let i = 0; i < n; i++) {
      const t = y.subarray(i * n, (i + 1) * n);
      const nonzero = [...t.keys()].filter((c) => t[c] > 0);
      expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(nonzero.length).toBeLessThanOrEqual(2);
      // Row i holds Σ_c target_c · c: the same weights as its target.
      const expected = nonzero.reduce((a, c) => a + t[c] * c, 0);
      for (let q = 0; q < 3; q++) expect(x[i * 3 + q]).toBeCloseTo(expected, 5);
      if (nonzero.length === 2) mixed++;
    }
    expect(mixed).toBeGreaterThan(0);

    const data = rows(24);
    const weights = async (mixup?: number) => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: [data[0].features.frames, data[0].features.features],
        seed: 2,
      });
      await m.fit(data, { epochs: 2, batchSize: 8, seed: 4, augment: mixup ? { mixup } : {} });
      const w = await m.layersModel.getWeights()[0].data();
      m.dispose();
      return w;
    };
    const [a, b, none] = [await weights(0.4), await weights(0.4), await weights()];
    expect(a).toEqual(b);
    expect(a).not.toEqual(none);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
    });
    expect(await code(() => m.fit(data, { augment: { mixup: -1 } }))).toBe('INVALID_OPTION');
    // Mixup works on per-utterance statistics too; SpecAugment and shift do not.
    expect(checkAugment({ mixup: 0.4 }, [160])?.mixup).toBe(0.4);
    expect(() => checkAugment({ shift: 0.1, mixup: 0.4 }, [160])).toThrow(/'mixup' works on both/);
    m.dispose();
  });

  it('softTargets: mixed into the one-hot targets by their weight; one-hot scores change nothing', async () => {
    const data = rows(24);
    const labels = ['calm', 'angry'];
    const weights = async (softTargets?: { scores: number[][]; weight: number }) => {
      const m = await EmotionModel.create({
        labels,
        featureSpec: series,
        inputShape: [data[0].features.frames, data[0].features.features],
        seed: 2,
      });
      await m.fit(data, { epochs: 2, batchSize: 8, seed: 4, ...(softTargets ? { softTargets } : {}) });
      const w = await m.layersModel.getWeights()[0].data();
      m.dispose();
      return w;
    };
    const oneHot = data.map((r) => labels.map((l) => (l === r.label ? 1 : 0)));
    const uniform = data.map(() => [0.5, 0.5]);
    const none = await weights();
    expect(await weights({ scores: oneHot, weight: 0.6 })).toEqual(none);
    const soft = await weights({ scores: uniform, weight: 0.6 });
    expect(soft).not.toEqual(none);
    expect(await weights({ scores: uniform, weight: 0.6 })).toEqual(soft);
    const m = await EmotionModel.create({
      labels,
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
    });
    const fit = (softTargets: unknown) => m.fit(data, { epochs: 1, softTargets } as never);
    await expect(fit({ scores: uniform.slice(1), weight: 0.5 })).rejects.toThrow(
      /'softTargets' has 23 score rows for 24 training rows/,
    );
    await expect(fit({ scores: uniform.map(() => [0.5, 0.6]), weight: 0.5 })).rejects.toThrow(
      /row 0 is not a distribution over the 2 labels/,
    );
    await expect(fit({ scores: uniform.map(() => [Number.NaN, 1]), weight: 0.5 })).rejects.toThrow(
      /row 0 is not a distribution/,
    );
    await expect(fit({ scores: uniform, weight: 0 })).rejects.toThrow(/weight must be in \(0, 1\]/);
    await expect(fit({ scores: uniform, weight: 0.5, temperature: 2 })).rejects.toThrow(
      /unknown option 'temperature'/,
    );
    m.dispose();
  });

  it("classWeights 'balanced-per-dataset': 'balanced' within each dataset; the same as 'balanced' for one", async () => {
    // 16 rows of dataset a (8 calm, 8 angry), 10 of b (8 calm, 2 angry): 'balanced' weighs calm
    // 0.8125 and angry 1.3 everywhere; per dataset, a's rows weigh 1 and b's 0.625 and 2.5.
    const all = rows(32);
    const data = all
      .filter((r, i) => i < 16 || r.label === 'calm' || i < 20)
      .map((r, i) => ({ ...r, dataset: i < 16 ? 'ravdess' : 'savee' }) as FeatureRow);
    expect(
      data
        .filter((r) => r.dataset === 'savee')
        .map((r) => r.label)
        .sort(),
    ).toEqual([...Array(2).fill('angry'), ...Array(8).fill('calm')]);
    const oneDataset = data.map((r) => ({ ...r, dataset: 'manifest' }) as FeatureRow);
    const weights = async (
      train: FeatureRow[],
      classWeights?: 'balanced' | 'balanced-per-dataset' | 'none',
    ) => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: [data[0].features.frames, data[0].features.features],
        seed: 2,
      });
      await m.fit(train, {
        epochs: 2,
        batchSize: 8,
        seed: 4,
        labelSmoothing: 0.1,
        ...(classWeights ? { classWeights } : {}),
      });
      const w = await m.layersModel.getWeights()[0].data();
      m.dispose();
      return w;
    };
    const balanced = await weights(oneDataset);
    expect(await weights(oneDataset, 'balanced-per-dataset')).toEqual(balanced);
    expect(await weights(oneDataset, 'none')).not.toEqual(balanced);
    expect(await weights(data)).toEqual(balanced); // 'balanced' ignores the datasets
    const perDataset = await weights(data, 'balanced-per-dataset');
    expect(perDataset).not.toEqual(balanced);
    expect(await weights(data, 'balanced-per-dataset')).toEqual(perDataset);
    expect(Array.from(perDataset).every(Number.isFinite)).toBe(true);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
    });
    await expect(m.fit(data, { epochs: 1, classWeights: 'per-class' as never })).rejects.toThrow(
      /'classWeights' must be 'balanced', 'balanced-per-dataset' or 'none', got "per-class"/,
    );
    await expect(
      m.fit(data, { epochs: 1, classWeights: 'balanced-per-dataset', augment: { mixup: 0.2 } }),
    ).rejects.toThrow(/does not combine with 'augment.mixup'/);
    m.dispose();
  });

  const notBuilt = missing('dist');
  it('weightDecay shrinks the weight matrices (AdamW), repeatably; refuses bad values', async () => {
    const data = rows(24);
    const shape = [data[0].features.frames, data[0].features.features];
    const fitted = async (weightDecay?: number) => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        architecture: 'cnn1d',
        inputShape: shape,
        seed: 3,
      });
      await m.fit(data, { epochs: 3, batchSize: 8, seed: 5, learningRate: 1e-2, weightDecay });
      const out = await Promise.all(
        m.layersModel.trainableWeights.map(async (w) => ({ rank: w.shape.length, v: await w.read().data() })),
      );
      m.dispose();
      return out;
    };
    const norm = (ws: { rank: number; v: ArrayLike<number> }[], rank2: boolean) =>
      ws
        .filter((w) => w.rank >= 2 === rank2)
        .reduce((s, w) => s + Array.from(w.v).reduce((a, x) => a + x * x, 0), 0);
    const [plain, decayed, again] = [await fitted(), await fitted(0.5), await fitted(0.5)];
    expect(decayed.map((w) => w.v)).toEqual(again.map((w) => w.v));
    expect(decayed.flatMap((w) => Array.from(w.v)).every(Number.isFinite)).toBe(true);
    // 3 epochs × 3 steps at 1e-2 · 0.5 each take off about 4% of every matrix
    expect(norm(decayed, true)).toBeLessThan(0.97 * norm(plain, true));
    expect(await fitted(0)).toEqual(plain);
    const m = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: shape,
    });
    for (const bad of [-0.1, 1, 'x', Number.NaN])
      expect(await code(() => m.fit(data, { epochs: 1, weightDecay: bad as never }))).toBe('INVALID_OPTION');
    m.dispose();
  });

  it.skipIf(notBuilt)(
    `trains data-parallel over worker threads (built package): repeatable, learns, reports its threads${skipNote(notBuilt)}`,
    async () => {
      // The replicas run dist/train-worker.js, so this uses the built package.
      const dist = '../dist/node.js';
      const lib = (await import(/* @vite-ignore */ dist)) as typeof import('../src/node.js');
      await lib.useBackend('wasm');
      const data = rows(48);
      const shape = [data[0].features.frames, data[0].features.features];
      const run = async (
        workers: number,
        options: {
          classWeights?: 'balanced-per-dataset';
          weightDecay?: number;
          epochs?: number;
          signal?: AbortSignal;
          onEpochEnd?: () => void;
        } = {},
        train = data,
      ) => {
        const m = await lib.EmotionModel.create({
          labels: ['calm', 'angry'],
          featureSpec: series,
          inputShape: shape,
          seed: 3,
        });
        const summary = await m.fit(train, {
          epochs: 6,
          batchSize: 16,
          learningRate: 3e-3,
          seed: 5,
          workers,
          ...options,
        });
        const acc = (await m.evaluate(data)).accuracy;
        const w = await m.layersModel.getWeights()[0].data();
        m.dispose();
        return { summary, acc, w };
      };
      const a = await run(2);
      const b = await run(2);
      const one = await run(1);
      expect(a.summary.workers).toBe(2);
      expect(one.summary.workers).toBe(1);
      expect(a.w).toEqual(b.w);
      expect(a.acc).toBeGreaterThanOrEqual(0.9);
      expect(Array.from(a.w).every(Number.isFinite)).toBe(true);
      // Batch norm sees half-batches in each thread, so the result differs from one thread's.
      expect(a.w).not.toEqual(one.w);
      // The replicas weigh rows by their targets as this thread does: with one dataset (here 2 calm
      // rows for every angry one), 'balanced-per-dataset' is 'balanced' to the bit.
      const skewed = data.filter((_, i) => i % 4 !== 1);
      expect((await run(2, { classWeights: 'balanced-per-dataset' }, skewed)).w).toEqual(
        (await run(2, {}, skewed)).w,
      );
      // Weight decay with replicas (each applies it after its Adam step): runs, repeats, and changes
      // the weights. (Whether the replicas decay is not observable from here.)
      const decayed = await run(2, { weightDecay: 0.3 });
      expect(decayed.w).toEqual((await run(2, { weightDecay: 0.3 })).w);
      expect(decayed.w).not.toEqual(a.w);
      expect(Array.from(decayed.w).every(Number.isFinite)).toBe(true);
      // Three replicas, each exchanging with two others (48 rows: shards of 5, 6 and 5 rows).
      const three = await run(3);
      expect(three.summary.workers).toBe(3);
      expect(three.w).toEqual((await run(3)).w);
      expect(Array.from(three.w).every(Number.isFinite)).toBe(true);
      // Stopped from onEpochEnd after the first epoch: the replicas' weights come back as they are
      // after it, the same as a one-epoch run's (the cosine schedule starts at the full rate in both).
      const controller = new AbortController();
      const stopped = await run(2, { signal: controller.signal, onEpochEnd: () => controller.abort() });
      expect(stopped.summary.stopped).toBe('aborted');
      expect(stopped.summary.epochs).toHaveLength(1);
      expect(stopped.w).toEqual((await run(2, { epochs: 1 })).w);
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: shape,
      });
      expect(await code(() => m.fit(data, { workers: 0 }))).toBe('INVALID_OPTION');
      m.dispose();
    },
    90_000,
  );

  it.skipIf(notBuilt)(
    `data-parallel replicas take the whole batch's step: without batch normalisation or dropout, two and three threads train as one does, to rounding (built package)${skipNote(notBuilt)}`,
    async () => {
      const dist = '../dist/node.js';
      const lib = (await import(/* @vite-ignore */ dist)) as typeof import('../src/node.js');
      const tfl = await import('@tensorflow/tfjs-layers');
      await lib.useBackend('wasm');
      const data = rows(96);
      const shape = [data[0].features.frames, data[0].features.features];
      // One epoch: its order is drawn before anything that differs with the number of threads.
      const weightsAfter = async (workers: number, epochs: number) => {
        const m = await lib.EmotionModel.create({
          labels: ['calm', 'angry'],
          featureSpec: series,
          inputShape: shape,
          seed: 3,
          // A plain network: each row's gradient does not depend on the other rows of its shard.
          architecture: (s, k) =>
            tfl.sequential({
              layers: [
                tfl.layers.flatten({ inputShape: s }),
                tfl.layers.dense({
                  units: 16,
                  activation: 'tanh',
                  kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
                }),
                tfl.layers.dense({
                  units: k,
                  activation: 'softmax',
                  kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
                }),
              ],
            }),
        });
        if (epochs > 0) await m.fit(data, { epochs, batchSize: 16, learningRate: 1e-2, seed: 5, workers });
        const w = m.layersModel.getWeights().flatMap((t) => Array.from(t.dataSync()));
        m.dispose();
        return w;
      };
      const start = await weightsAfter(1, 0);
      const one = await weightsAfter(1, 1);
      const moved = Math.max(...one.map((v, i) => Math.abs(v - start[i])));
      expect(moved).toBeGreaterThan(1e-3);
      for (const workers of [2, 3]) {
        const parallel = await weightsAfter(workers, 1);
        // Adam's normalised steps magnify rounding in gradients near zero, so "to rounding" is a
        // hundredth of how far training moved the weights; a replica stepping on its own shard alone
        // (no exchange) lands about as far from one thread's weights as they moved.
        const apart = Math.max(...parallel.map((v, i) => Math.abs(v - one[i])));
        expect(apart, `${workers} threads`).toBeLessThan(0.01 * moved);
      }
    },
    90_000,
  );

  it('crnn (attention pooling) learns, saves and loads to identical scores', async () => {
    const data = rows(32);
    const model = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
      architecture: 'crnn',
      seed: 1,
    });
    await model.fit(data, { epochs: 12, batchSize: 8, learningRate: 3e-3, seed: 1 });
    const e = await model.evaluate(data);
    expect(e.accuracy).toBeGreaterThanOrEqual(0.9);
    const dir = mkdtempSync(join(tmpdir(), 'se-crnn-'));
    await model.save(dir);
    const again = await EmotionModel.load(dir);
    const m = data.slice(0, 4).map((r) => r.features);
    expect(await again.predictFeatures(m)).toEqual(await model.predictFeatures(m));
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    again.dispose();
  });

  it('ensemble averages its members, round-trips through save/load, and refuses mismatched members', async () => {
    const data = rows(24);
    const shape = [data[0].features.frames, data[0].features.features];
    const members: EmotionModel[] = [];
    for (const seed of [1, 2]) {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: shape,
        seed,
      });
      await m.fit(data, { epochs: 2, batchSize: 8, seed });
      members.push(m);
    }
    const ens = await EmotionModel.ensemble(members);
    const x = data.slice(0, 5).map((r) => r.features);
    const [pa, pb, pe] = [
      await members[0].predictFeatures(x),
      await members[1].predictFeatures(x),
      await ens.predictFeatures(x),
    ];
    pe.forEach((p, i) => p.forEach((v, k) => expect(v).toBeCloseTo((pa[i][k] + pb[i][k]) / 2, 6)));
    expect(ens.training?.members).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'se-ens-'));
    await ens.save(dir);
    const again = await EmotionModel.load(dir);
    expect(await again.predictFeatures(x)).toEqual(pe);
    const other = await EmotionModel.create({
      labels: ['calm', 'sad'],
      featureSpec: series,
      inputShape: shape,
    });
    expect(await code(() => EmotionModel.ensemble([members[0], other]))).toBe('INVALID_OPTION');
    expect(await code(() => EmotionModel.ensemble([members[0]]))).toBe('INVALID_OPTION');
    rmSync(dir, { recursive: true, force: true });
    for (const m of [...members, other, again]) m.dispose();
  });

  it('ensemble accepts members whose layers have the same names (saved by different processes)', async () => {
    // Two processes that each build one model name its layers alike; a custom builder with fixed
    // names gives the same situation in one process. The weights differ (unseeded initialisers).
    const data = rows(16);
    const shape = [data[0].features.frames, data[0].features.features];
    const tfl = await import('@tensorflow/tfjs-layers');
    const alike = (inputShape: number[], k: number) =>
      tfl.sequential({
        name: 'net',
        layers: [
          tfl.layers.flatten({ name: 'flat', inputShape }),
          tfl.layers.dense({ name: 'out', units: k, activation: 'softmax' }),
        ],
      });
    const members = [];
    for (const seed of [1, 2]) {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: series,
        inputShape: shape,
        architecture: alike,
      });
      await m.fit(data, { epochs: 1, batchSize: 8, seed });
      members.push(m);
    }
    const x = data.slice(0, 4).map((r) => r.features);
    const [pa, pb] = [await members[0].predictFeatures(x), await members[1].predictFeatures(x)];
    expect(pa).not.toEqual(pb);
    const ens = await EmotionModel.ensemble(members);
    const pe = await ens.predictFeatures(x);
    pe.forEach((p, i) => p.forEach((v, k) => expect(v).toBeCloseTo((pa[i][k] + pb[i][k]) / 2, 6)));
    const dir = mkdtempSync(join(tmpdir(), 'se-ens-'));
    await ens.save(dir);
    const again = await EmotionModel.load(dir);
    expect(await again.predictFeatures(x)).toEqual(pe);
    // The ensemble holds copies: disposing of the members leaves it working.
    for (const m of members) m.dispose();
    expect(await ens.predictFeatures(x)).toEqual(pe);
    rmSync(dir, { recursive: true, force: true });
    for (const m of [ens, again]) m.dispose();
  });

  it('flags broadband noise as no-speech, but not a voiced sound, with or without noise added', async () => {
    const model = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [63, 26],
    });
    let a = 12345;
    const white = Float32Array.from({ length: 2 * SR }, () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return 0.3 * ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
    });
    expect(await model.predict(white, { sampleRate: SR })).toMatchObject({
      label: null,
      warning: 'no-speech',
    });
    // A buzzy vowel-like sound in syllables: harmonics of 140 Hz, alone and with the noise 10 dB below it.
    const voiced = syllabic(
      Float32Array.from({ length: 2 * SR }, (_, t) => {
        let v = 0;
        for (let h = 1; h <= 20; h++) v += Math.sin((2 * Math.PI * 140 * h * t) / SR) / h;
        return 0.2 * v;
      }),
      SR,
    );
    expect((await model.predict(voiced, { sampleRate: SR })).label).not.toBeNull();
    const mixed = perturbAudio(voiced, SR, { noiseSnrDb: 10, seed: 3 }).signal;
    expect((await model.predict(mixed, { sampleRate: SR })).label).not.toBeNull();
    model.dispose();
    // The statistic from the fast STFT (one log per eight bins) is the one its definition gives
    // from `spectrogram`'s power frames, to float32 rounding, at 16 and 44.1 kHz.
    const reference = (x: Float32Array, sr: number) => {
      const t = trimSilence(x, { topDb: 60 });
      let nFft = 256;
      while (nFft < 0.032 * sr) nFft *= 2;
      const s = spectrogram(x.subarray(t.start, t.end), { nFft, hopLength: nFft / 2, center: false });
      const k = s.features;
      const energy = Array.from({ length: s.frames }, (_, f) =>
        s.data.subarray(f * k + 1, (f + 1) * k).reduce((a, b) => a + b, 0),
      );
      const max = Math.max(...energy);
      const flat = energy.flatMap((e, f) => {
        if (!(e > max * 1e-3)) return [];
        const logs = s.data.subarray(f * k + 1, (f + 1) * k).reduce((a, b) => a + Math.log(b + 1e-20), 0);
        return [Math.exp(logs / (k - 1)) / (e / (k - 1))];
      });
      return flat.sort((a, b) => a - b)[Math.floor(flat.length * 0.1)];
    };
    for (const [x, sr] of [
      [white, SR],
      [mixed, SR],
      [resample(perturbAudio(voiced, SR, { noiseSnrDb: 30, seed: 4 }).signal, SR, 44100), 44100],
    ] as const) {
      const want = reference(x, sr);
      expect(Math.abs(noiseMeasures(x, sr).flatness - want)).toBeLessThanOrEqual(1e-6 * want);
    }
  });

  it('predictTimeline follows a recording whose content changes, window by window', async () => {
    const data = rows(32);
    const model = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: series,
      inputShape: [data[0].features.frames, data[0].features.features],
      seed: 1,
    });
    await model.fit(data, { epochs: 15, batchSize: 8, learningRate: 3e-3, seed: 1 });
    // 4 s of tone (calm), 2 s of silence, 4 s of noise (angry), both in syllables, at 48 kHz
    // (resampled per window).
    const parts = [
      syllabic(tone(4, 130, 0.12), SR),
      new Float32Array(2 * SR),
      syllabic(noise(4, 0.25, 99), SR),
    ];
    const long16 = new Float32Array(10 * SR);
    let at = 0;
    for (const p of parts) {
      long16.set(p, at);
      at += p.length;
    }
    const long48 = Float32Array.from({ length: long16.length * 3 }, (_, i) => long16[Math.floor(i / 3)]);
    const seen: number[] = [];
    const segments = await model.predictTimeline(long48, {
      sampleRate: 48000,
      window: 1,
      hop: 0.5,
      onSegment: (s) => {
        seen.push(s.start);
      },
    });
    expect(segments).toHaveLength(19);
    expect(seen).toEqual(segments.map((s) => s.start));
    expect(segments[0]).toMatchObject({ start: 0, end: 1 });
    expect(segments.at(-1)).toMatchObject({ start: 9, end: 10 });
    const at_ = (t: number) => segments.find((s) => s.start === t);
    expect(at_(1)?.label).toBe('calm');
    expect(at_(4.5)).toMatchObject({ label: null, warning: 'silent' });
    expect(at_(8)?.label).toBe('angry');
    for (const s of segments.filter((g) => g.label))
      expect(Object.values(s.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // The same timeline from chunks of any size (a microphone, a file read piece by piece).
    async function* pieces(x: Float32Array, sizes: number[]) {
      for (let i = 0, k = 0; i < x.length; k++) {
        const n = sizes[k % sizes.length];
        yield x.subarray(i, i + n);
        i += n;
      }
    }
    for (const sizes of [[4800], [1, 997, 48000, 12345], [480000]]) {
      const streamed = [];
      for await (const seg of model.predictStream(pieces(long48, sizes), {
        sampleRate: 48000,
        window: 1,
        hop: 0.5,
      }))
        streamed.push(seg);
      expect(streamed, JSON.stringify(sizes)).toEqual(segments);
    }
    // Lengths that are not a whole number of hops, and shorter than a window.
    for (const n of [48000 * 3 + 777, 30000]) {
      const x = long48.subarray(0, n);
      const whole = await model.predictTimeline(x, { sampleRate: 48000, window: 1, hop: 0.4 });
      const streamed = [];
      for await (const seg of model.predictStream(pieces(x, [7000]), {
        sampleRate: 48000,
        window: 1,
        hop: 0.4,
      }))
        streamed.push(seg);
      expect(streamed).toEqual(whole);
    }
    expect(
      await code(async () => {
        for await (const _ of model.predictStream([], { sampleRate: 48000 })) void _;
      }),
    ).toBe('EMPTY_SIGNAL');
    expect(await code(() => model.predictTimeline(long48, { sampleRate: 48000, hop: 0 }))).toBe(
      'INVALID_OPTION',
    );
    expect(await code(() => model.predictTimeline(long48, { sampleRate: 48000, windw: 1 } as never))).toBe(
      'UNKNOWN_OPTION',
    );
    model.dispose();
  });
});

const distMissing = missing('dist');
describe.skipIf(distMissing)(
  `the built package trains with the library's gradients${skipNote(distMissing)}`,
  () => {
    it('fit uses the one-pass batch-norm gradient even though loading tfjs-layers re-registers tfjs-core’s', () => {
      // A fresh Node process, as a user runs it: useBackend first, then EmotionModel.create loads
      // tfjs-layers (whose Node bundle registers tfjs-core's gradients again), then fit.
      const script = `
      const lib = await import(${JSON.stringify(join(ROOT_DIR, 'dist', 'node.js'))});
      const tf = await import('@tensorflow/tfjs-core');
      tf.env().set('PROD', true);
      await lib.useBackend('wasm');
      const spec = lib.defineFeatureSpec({ duration: { offset: 0, seconds: 0.5 }, output: { type: 'series' } });
      const f = lib.computeFeatures(new Float32Array(8000).map((_, i) => Math.sin(i / 7) * 0.3), 16000, spec);
      const rows = Array.from({ length: 8 }, (_, i) => ({ path: 'r' + i, dataset: 'manifest', speaker: 's', label: i % 2 ? 'a' : 'b', features: f }));
      const m = await lib.EmotionModel.create({ labels: ['a', 'b'], featureSpec: spec, inputShape: [f.frames, f.features], architecture: 'cnn1d' });
      const loaded = tf.getGradient('FusedBatchNorm');
      let calls = 0;
      const run = tf.engine().runKernel.bind(tf.engine());
      tf.engine().runKernel = (name, ...a) => { if (name === 'SpeechEmotionBatchNormGrad') calls++; return run(name, ...a); };
      await m.fit(rows, { epochs: 1, batchSize: 8 });
      console.log(JSON.stringify({ replacedByLayers: String(loaded.gradFunc).includes('tile'), calls }));
    `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: ROOT_DIR,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      // Loading tfjs-layers did put tfjs-core's gradient back; fit registered the library's again.
      expect(out.replacedByLayers).toBe(true);
      expect(out.calls).toBe(3); // one per BatchNormalization layer of cnn1d, for the one batch
    }, 60_000);
  },
);
