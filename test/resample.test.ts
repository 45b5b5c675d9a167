import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpeechEmotionError, decodeWav, extractMfcc, resample, rfft, toMono } from '../src/index.js';
import { DATA_DIR, ORIGINALS, missing, skipNote } from './helpers/data.js';

const tone = (freq: number, rate: number, seconds: number) =>
  Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) =>
    Math.sin((2 * Math.PI * freq * i) / rate),
  );

/** Peak DFT magnitude near `freq`, relative to the signal length. */
function levelAt(x: Float32Array, rate: number, freq: number): number {
  const { re, im } = rfft(x);
  const k = Math.round((freq * x.length) / rate);
  let peak = 0;
  for (let j = Math.max(0, k - 3); j <= Math.min(re.length - 1, k + 3); j++)
    peak = Math.max(peak, Math.hypot(re[j], im[j]));
  return peak / (x.length / 2);
}

describe('resample', () => {
  it.each([
    [48000, 16000],
    [44100, 16000],
    [22050, 16000],
    [8000, 16000],
    [16000, 44100],
    [16000, 16001],
  ])('gives exactly ceil(n·to/from) samples, %i → %i Hz', (from, to) => {
    for (const n of [1, 2, 999, 4410, 48001]) {
      expect(resample(new Float32Array(n).fill(0.1), from, to).length).toBe(Math.ceil((n * to) / from));
    }
  });

  it('keeps an in-band tone at its level and phase (48 kHz → 16 kHz, 1 kHz tone)', () => {
    const y = resample(tone(1000, 48000, 1), 48000, 16000);
    const ref = tone(1000, 16000, 1);
    let maxErr = 0;
    for (let i = 200; i < y.length - 200; i++) maxErr = Math.max(maxErr, Math.abs(y[i] - ref[i]));
    expect(maxErr).toBeLessThan(1e-3);
  });

  it('rejects a tone above the new Nyquist frequency (anti-aliasing ≥ 60 dB)', () => {
    // 11 kHz at 48 kHz would alias to 5 kHz at 16 kHz.
    const y = resample(tone(11000, 48000, 1), 48000, 16000);
    expect(levelAt(y, 16000, 5000)).toBeLessThan(1e-3);
    const y44 = resample(tone(9000, 44100, 1), 44100, 16000);
    expect(levelAt(y44, 16000, 7000)).toBeLessThan(1e-3);
  });

  it('up-sampling preserves a tone', () => {
    const y = resample(tone(440, 16000, 0.5), 16000, 44100);
    expect(levelAt(y, 44100, 440)).toBeGreaterThan(0.99);
  });

  it('rejects bad rates and options', () => {
    expect(() => resample(new Float32Array(10), 0, 16000)).toThrow(SpeechEmotionError);
    expect(() => resample(new Float32Array(10), 44100.5, 16000)).toThrow(/positive integer/);
    expect(() => resample(new Float32Array(10), 44100, 16000, { roloff: 0.9 } as never)).toThrow(
      /Did you mean 'rolloff'/,
    );
    expect(() => resample(new Float32Array(0), 44100, 16000)).toThrow(/empty/);
  });
});

describe('resample on the WebAssembly kernels', () => {
  it('gives a float32 signal exactly what the JavaScript loops give (a float64 copy takes them)', () => {
    let seed = 11;
    const noise = (n: number) =>
      Float32Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return (seed / 2147483648) * 2 - 1;
      });
    const cases: [number, number, number][] = [
      [44100, 16000, 154350], // polyphase, 160 phases
      [48000, 16000, 168000], // a half-band stage, then polyphase
      [96000, 16000, 5], // two half-band stages, shorter than any filter
      [8000, 16000, 150000], // up: 300 000 outputs, more than one block of the kernels
      [22050, 16000, 1],
      [44100, 100, 5_000_000], // far down: two blocks of fewer outputs
      [48000, 8000, 1234567], // half-band stages with more than one block
    ];
    for (const [from, to, n] of cases) {
      const x = noise(n);
      for (const options of [{}, { rolloff: 0.99 }, { zeroCrossings: 7 }]) {
        const fast = resample(x, from, to, options);
        const reference = resample(Float64Array.from(x), from, to, options);
        expect(fast.length).toBe(reference.length);
        let differ = 0;
        for (let i = 0; i < fast.length; i++) if (!Object.is(fast[i], reference[i])) differ++;
        expect(differ, `${from} → ${to} Hz, ${n} samples, ${JSON.stringify(options)}`).toBe(0);
      }
    }
  });
});

describe('resample from uncommon rates (no exact polyphase table: interpolated rows)', () => {
  it.each([24414, 37800, 44056, 47952, 8000, 96000])(
    '%i Hz → 16 kHz: two tones come out as the same tones (max error < 1e-4 of full scale)',
    (from) => {
      const tones = (rate: number, n: number) =>
        Float32Array.from(
          { length: n },
          (_, i) =>
            0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate) + 0.3 * Math.sin((2 * Math.PI * 3100 * i) / rate),
        );
      const y = resample(tones(from, 2 * from), from, 16000);
      expect(y.length).toBe(32000);
      const ref = tones(16000, 32000);
      let err = 0;
      for (let m = 1000; m < y.length - 1000; m++) err = Math.max(err, Math.abs(y[m] - ref[m]));
      expect(err).toBeLessThan(1e-4);
    },
  );
});

const noOriginals = missing('originals', 'ravdess', 'savee');
describe.skipIf(noOriginals)(
  `resample quality against sox on the real originals${skipNote(noOriginals)}`,
  () => {
    it.each(ORIGINALS.map(([o, c]) => [o, c]))(
      '%s: MFCC of ours vs sox VHQ 16 kHz, normalised error ≤ 1e-2',
      (orig, sox) => {
        const o = decodeWav(readFileSync(join(DATA_DIR, orig)));
        const s = decodeWav(readFileSync(join(DATA_DIR, sox)));
        expect(s.sampleRate).toBe(16000);
        const ours = resample(toMono(o.channels), o.sampleRate, 16000);
        const ref = toMono(s.channels);
        expect(Math.abs(ours.length - ref.length)).toBeLessThanOrEqual(1);
        const n = Math.min(ours.length, ref.length);
        const a = extractMfcc(ours.subarray(0, n), { sampleRate: 16000 });
        const b = extractMfcc(ref.subarray(0, n), { sampleRate: 16000 });
        let maxDiff = 0;
        let maxRef = 0;
        for (let i = 0; i < a.data.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
          maxRef = Math.max(maxRef, Math.abs(b.data[i]));
        }
        console.log(`resample ${orig}: MFCC normalised error vs sox ${(maxDiff / maxRef).toExponential(1)}`);
        expect(maxDiff / maxRef).toBeLessThanOrEqual(1e-2);
      },
    );
  },
);
