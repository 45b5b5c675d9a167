// The frame features beyond MFCC on signals whose answer is known, their errors, and their use in
// a FeatureSpec. Parity with librosa: test/features-parity.test.ts.
import { describe, expect, it } from 'vitest';
import { padForFrames } from '../src/dsp/energy.js';
import { fastFftPlan, wasmCmndf } from '../src/dsp/simd.js';
import { cmndfScalar, resolveYin } from '../src/dsp/yin.js';
import {
  SpeechEmotionError,
  chromaStft,
  computeFeatures,
  defineFeatureSpec,
  estimateTuning,
  featureNames,
  pyin,
  rms,
  spectralBandwidth,
  spectralCentroid,
  spectralContrast,
  spectralFlatness,
  spectralRolloff,
  yin,
  zeroCrossingRate,
} from '../src/index.js';

const SR = 16000;
const tone = (hz: number, seconds: number, amp = 0.5) =>
  Float32Array.from(
    { length: Math.round(seconds * SR) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / SR),
  );

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SpeechEmotionError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('frame features on known signals', () => {
  const x = tone(220, 1);

  it('rms of a sine is its amplitude / √2, zcr is 2f / sampleRate', () => {
    const r = rms(x, { sampleRate: SR });
    expect(r.data[r.frames >> 1]).toBeCloseTo(0.5 / Math.SQRT2, 3);
    const z = zeroCrossingRate(x, { sampleRate: SR });
    expect(z.data[z.frames >> 1]).toBeCloseTo((2 * 220) / SR, 2);
  });

  it('spectral shape of a tone: centroid and roll-off near it, narrow, not flat; noise is flat', () => {
    const mid = (m: { data: Float32Array; frames: number; features: number }) =>
      m.data[(m.frames >> 1) * m.features];
    expect(mid(spectralCentroid(x, { sampleRate: SR }))).toBeGreaterThan(200);
    expect(mid(spectralCentroid(x, { sampleRate: SR }))).toBeLessThan(240);
    expect(mid(spectralRolloff(x, { sampleRate: SR }))).toBeLessThan(260);
    expect(mid(spectralBandwidth(x, { sampleRate: SR }))).toBeLessThan(100);
    expect(mid(spectralFlatness(x, { sampleRate: SR }))).toBeLessThan(1e-3);
    let s = 1;
    const noise = Float32Array.from({ length: SR }, () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    });
    expect(mid(spectralFlatness(noise, { sampleRate: SR }))).toBeGreaterThan(0.3);
    const c = spectralContrast(x, { sampleRate: SR });
    expect(c.features).toBe(7);
    expect(c.data.every(Number.isFinite)).toBe(true);
  });

  it('chroma of A3 peaks at A (C first); the tuning of an in-tune tone is within 0.05 of a bin', () => {
    const c = chromaStft(x, { sampleRate: SR, tuning: 0 });
    const frame = Array.from(c.data.subarray(10 * 12, 11 * 12));
    expect(frame.indexOf(Math.max(...frame))).toBe(9); // C C# D D# E F F# G G# A
    expect(Math.abs(estimateTuning(x, { sampleRate: SR }))).toBeLessThanOrEqual(0.05);
  });

  it('yin and pyin find the pitch of a voiced tone; pyin calls silence unvoiced with NaN f0', () => {
    const o = { sampleRate: SR, fmin: 50, fmax: 500, frameLength: 1024 };
    const f0 = yin(x, o);
    expect(f0[f0.length >> 1]).toBeCloseTo(220, 0);
    const withSilence = new Float32Array(2 * SR);
    withSilence.set(x, SR);
    const p = pyin(withSilence, o);
    const t = Math.floor((1.5 * SR) / 256);
    expect(p.voicedFlag[t]).toBe(1);
    expect(p.f0[t]).toBeGreaterThan(215);
    expect(p.f0[t]).toBeLessThan(225);
    expect(p.voicedFlag[5]).toBe(0);
    expect(Number.isNaN(p.f0[5])).toBe(true);
    expect(p.voicedProb[5]).toBeLessThan(0.1);
    expect(p.voicedProb[t]).toBeGreaterThan(0.5);
    expect(Array.from(pyin(withSilence, { ...o, fillNa: null }).f0).every(Number.isFinite)).toBe(true);
  });
});

describe('the WebAssembly YIN kernel', () => {
  it('gives the bits of the JavaScript path on the same FFT, on a glide, noise and silence, for several option sets', () => {
    let seed = 7;
    const noise = Float32Array.from({ length: 9000 }, (_, i) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      // A tone gliding in pitch, noise, a stretch of digital silence (the 1e-6 zeroing paths).
      if (i > 6000 && i < 7500) return 0;
      return 0.4 * Math.sin(0.02 * i + 1e-6 * i * i) + 0.05 * (seed / 2 ** 32 - 0.5);
    });
    const cases = [
      { sampleRate: SR, fmin: 50, fmax: 500, frameLength: 1024 },
      { sampleRate: SR, fmin: 80, fmax: 400, frameLength: 512, hopLength: 100, center: false },
      { sampleRate: 22050, fmin: 65, fmax: 2093, frameLength: 2048, padMode: 'reflect' as const },
      { sampleRate: SR, fmin: 100, fmax: 1000, frameLength: 512, winLength: 200, hopLength: 64 },
    ];
    for (const o of cases) {
      const s = resolveYin('yin', o);
      const { padded, frames } = padForFrames('yin', noise, s, s.padMode);
      const fast = wasmCmndf('yin', noise, s)?.d.slice();
      expect(fast).toBeDefined();
      expect(fast).toEqual(cmndfScalar(padded, frames, s, fastFftPlan(s.frameLength)));
      // On fft.js the FFT's rounding differs in the last bits, and nothing more.
      const ref = cmndfScalar(padded, frames, s);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs((fast?.[i] ?? 0) - ref[i]));
      expect(err).toBeLessThan(1e-9);
    }
  });

  it('works through a long signal in chunks of an even number of frames, with the same bits', () => {
    let seed = 11;
    const clip = Float32Array.from({ length: 20000 }, (_, i) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return 0.3 * Math.sin(0.03 * i + 0.4 * Math.sin(i / 4000)) + 0.05 * (seed / 2 ** 32 - 0.5);
    });
    const s = resolveYin('yin', { sampleRate: SR, fmin: 50, fmax: 500, frameLength: 1024 });
    const { padded, frames } = padForFrames('yin', clip, s, s.padMode);
    const whole = wasmCmndf('yin', clip, s)?.d.slice();
    // A budget of 100 kB: 79 frames in chunks of 22, the last one odd.
    const chunked = wasmCmndf('yin', clip, s, 100_000);
    expect(chunked?.frames).toBe(frames);
    // A new array, not a view on the module's memory.
    expect(chunked?.d.buffer.byteLength).toBe(chunked?.d.byteLength);
    expect(chunked?.d).toEqual(whole);
    expect(whole).toEqual(cmndfScalar(padded, frames, s, fastFftPlan(s.frameLength)));
  });
});

describe('bad input gets a SpeechEmotionError that names the option', () => {
  const x = tone(220, 0.5);
  const pitch = { sampleRate: SR, fmin: 50, fmax: 500, frameLength: 1024 };

  it('pitch: fmin ≥ fmax, fmax above Nyquist, a frame too short for fmin, missing fmin', () => {
    expect(code(() => yin(x, { ...pitch, fmin: 500 }))).toMatch(/^INVALID_OPTION: .*'fmin'.*'fmax'/);
    expect(code(() => pyin(x, { ...pitch, fmax: 9000 }))).toMatch(/^INVALID_OPTION: .*'fmax'.*Nyquist/);
    expect(code(() => yin(x, { ...pitch, frameLength: 512 }))).toMatch(
      /^INVALID_OPTION: .*'frameLength'.*fmin/,
    );
    expect(code(() => pyin(x, { sampleRate: SR, fmax: 500 } as never))).toMatch(/'fmin' is required/);
    expect(code(() => yin(x, { ...pitch, winLength: 1024 }))).toMatch(/'winLength'/);
  });

  it('unknown options, missing sampleRate, empty and non-finite signals, out-of-range values', () => {
    expect(code(() => rms(x, { sampleRate: SR, frame_length: 512 } as never))).toMatch(
      /^UNKNOWN_OPTION: .*'frame_length'.*Did you mean 'frameLength'/,
    );
    expect(code(() => spectralCentroid(x, {} as never))).toMatch(/^INVALID_OPTION: .*'sampleRate'/);
    expect(code(() => zeroCrossingRate(new Float32Array(0), { sampleRate: SR }))).toMatch(/^EMPTY_SIGNAL/);
    expect(code(() => chromaStft(Float32Array.of(0, Number.NaN, 0), { sampleRate: SR }))).toMatch(
      /^NON_FINITE_SAMPLES/,
    );
    expect(code(() => spectralRolloff(x, { sampleRate: SR, rollPercent: 1.5 }))).toMatch(/'rollPercent'/);
    expect(code(() => spectralContrast(x, { sampleRate: SR, fmin: 2000 }))).toMatch(/'fmin'.*'nBands'/);
    expect(code(() => rms(x, { sampleRate: SR, frameLength: 16384, center: false }))).toMatch(
      /^SIGNAL_TOO_SHORT/,
    );
  });

  it('silence gives zeros, never NaN', () => {
    const z = new Float32Array(SR);
    for (const m of [
      rms(z, { sampleRate: SR }),
      spectralCentroid(z, { sampleRate: SR }),
      spectralBandwidth(z, { sampleRate: SR }),
      spectralRolloff(z, { sampleRate: SR }),
      spectralFlatness(z, { sampleRate: SR }),
      spectralContrast(z, { sampleRate: SR }),
      chromaStft(z, { sampleRate: SR }),
    ])
      expect(m.data.every(Number.isFinite)).toBe(true);
    expect(yin(z, pitch).every(Number.isFinite)).toBe(true);
  });
});

describe('FeatureSpec extras', () => {
  const voiced = new Float32Array(2 * SR);
  voiced.set(tone(200, 0.8, 0.3), 4000);
  voiced.set(tone(300, 0.6, 0.3), 20000);

  it('stacks features per frame beside the MFCCs, on the same frames', () => {
    const spec = defineFeatureSpec({
      trim: null,
      features: { type: 'mfcc', options: { nMfcc: 13, nFft: 512, hopLength: 256 } },
      output: { type: 'series' },
      extras: [{ type: 'rms' }, { type: 'chromaStft', options: { tuning: 0 } }, { type: 'pyin' }],
    });
    const names = featureNames(spec);
    expect(names.slice(13)).toEqual([
      'rms',
      ...Array.from({ length: 12 }, (_, k) => `chroma${k}`),
      'f0',
      'voicedProb',
    ]);
    const m = computeFeatures(voiced, SR, spec);
    expect(m.features).toBe(names.length);
    const direct = rms(voiced, { sampleRate: SR, frameLength: 512, hopLength: 256 });
    expect(m.frames).toBe(direct.frames);
    expect(m.data[40 * m.features + 13]).toBeCloseTo(direct.data[40], 6);
    expect(m.data.every(Number.isFinite)).toBe(true);
  });

  it('summarises pitch over voiced frames only', () => {
    const spec = defineFeatureSpec({
      trim: null,
      features: { type: 'mfcc', options: { nMfcc: 13, nFft: 512, hopLength: 256 } },
      output: { type: 'stats', stats: ['mean', 'min', 'max'] },
      extras: [{ type: 'pyin' }],
    });
    const row = computeFeatures(voiced, SR, spec);
    const names = featureNames(spec);
    const at = (n: string) => row.data[names.indexOf(n)];
    // Voiced frames hold 200 and 300 Hz: the mean lies between, the minimum is not 0 (silence).
    expect(at('f0_min')).toBeGreaterThan(190);
    expect(at('f0_max')).toBeLessThan(310);
    expect(at('f0_mean')).toBeGreaterThan(210);
    expect(at('f0_mean')).toBeLessThan(290);
    expect(at('voicedProb_min')).toBeLessThan(0.1);
  });

  it("gives pitch in semitones above the clip's median: a low and a high voice alike", () => {
    const line = (hz: number) => {
      const x = new Float32Array(2 * SR);
      x.set(tone(hz, 0.8, 0.3), 4000);
      x.set(tone(hz * 1.5, 0.4, 0.3), 20000);
      return x;
    };
    const spec = (units: 'hz' | 'semitones') =>
      defineFeatureSpec({
        trim: null,
        features: { type: 'mfcc', options: { nMfcc: 13, nFft: 512, hopLength: 256 } },
        output: { type: 'stats', stats: ['mean', 'min', 'max'] },
        extras: [{ type: 'pyin', options: { units } }],
      });
    const st = spec('semitones');
    expect(featureNames(st).slice(-6, -3)).toEqual([
      'f0Semitones_mean',
      'f0Semitones_min',
      'f0Semitones_max',
    ]);
    const low = computeFeatures(line(120), SR, st).data;
    const high = computeFeatures(line(240), SR, st).data;
    const at = (d: Float32Array, n: string) => d[featureNames(st).indexOf(n)];
    // Twice as long at the lower pitch: the median is it, so the rise reads 12·log2(1.5) ≈ 7.02.
    for (const d of [low, high]) {
      expect(at(d, 'f0Semitones_min')).toBeCloseTo(0, 0);
      expect(at(d, 'f0Semitones_max')).toBeCloseTo(12 * Math.log2(1.5), 0);
    }
    expect(Math.abs(at(low, 'f0Semitones_mean') - at(high, 'f0Semitones_mean'))).toBeLessThan(0.2);
    // In Hz the two voices differ by an octave.
    const hz = spec('hz');
    const mean = (x: Float32Array) => computeFeatures(x, SR, hz).data[featureNames(hz).indexOf('f0_mean')];
    expect(mean(line(240)) / mean(line(120))).toBeCloseTo(2, 1);
  });

  it('refuses an unknown extra or options the spec owns', () => {
    expect(code(() => defineFeatureSpec({ extras: [{ type: 'loudness' as never }] }))).toMatch(
      /extras\[\]\.type/,
    );
    expect(code(() => defineFeatureSpec({ extras: [{ type: 'rms', options: { hopLength: 10 } }] }))).toMatch(
      /'hopLength' comes from the spec/,
    );
    expect(
      code(() => defineFeatureSpec({ extras: [{ type: 'pyin', options: { units: 'cents' } }] })),
    ).toMatch(/'units' must be 'hz' or 'semitones'/);
    expect(
      code(() => defineFeatureSpec({ extras: [{ type: 'rms', options: { units: 'semitones' } }] })),
    ).toMatch(/'units' is an option of pyin only/);
  });
});
