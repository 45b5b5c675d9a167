import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterbankProduct } from '../src/dsp/chroma.js';
import { dctFolded, dctFoldedPair, dctMatrix } from '../src/dsp/dct.js';
import { type RealFftPlan, realFftPlan } from '../src/dsp/fft.js';
import { magnitudeFrames } from '../src/dsp/magnitudes.js';
import { resolveMelOptions, sparseFilterbank } from '../src/dsp/mel.js';
import { fastFftPlan, wasmFftAvailable, wasmFilterbankProduct } from '../src/dsp/simd.js';
import { type StftOptions, applyFilterbank, resolveStftOptions } from '../src/dsp/spectral.js';
import { trimmedAt } from '../src/dsp/trim.js';
import {
  cmvn,
  dct,
  delta,
  extractMfcc,
  getWindow,
  melFilterbank,
  rfft,
  spectrogram,
  trimSilence,
} from '../src/index.js';

/** Textbook O(n²) DFT in float64, the reference for the fast paths. */
function naiveDft(x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((k * j) % n)) / n;
      re[k] += x[j] * Math.cos(a);
      im[k] += x[j] * Math.sin(a);
    }
  }
  return { re, im };
}

const signalOf = (min: number, max: number) =>
  fc.float32Array({ minLength: min, maxLength: max, noNaN: true, noDefaultInfinity: true, min: -1, max: 1 });

describe('FFT', () => {
  it('matches a naive DFT for every size, powers of two or not', () => {
    fc.assert(
      fc.property(signalOf(2, 700), (x) => {
        const ours = rfft(x);
        const ref = naiveDft(x);
        let scale = 1;
        for (let k = 0; k < ref.re.length; k++) scale = Math.max(scale, Math.hypot(ref.re[k], ref.im[k]));
        for (let k = 0; k < ref.re.length; k++) {
          expect(Math.abs(ours.re[k] - ref.re[k]) / scale).toBeLessThan(1e-9);
          expect(Math.abs(ours.im[k] - ref.im[k]) / scale).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('satisfies Parseval: Σ|x|² = (1/n) Σ|X|² over the full spectrum', () => {
    fc.assert(
      fc.property(signalOf(2, 3000), (x) => {
        const n = x.length;
        const { re, im } = rfft(x);
        let time = 0;
        for (const v of x) time += v * v;
        let freq = 0;
        for (let k = 0; k < re.length; k++) {
          // Bins 1 .. ceil(n/2) − 1 stand for themselves and their mirror image.
          const twice = k > 0 && !(n % 2 === 0 && k === n / 2);
          freq += (twice ? 2 : 1) * (re[k] * re[k] + im[k] * im[k]);
        }
        expect(Math.abs(freq / n - time)).toBeLessThanOrEqual(1e-9 * Math.max(1, time));
      }),
      { numRuns: 200 },
    );
  });

  it('runs the WebAssembly SIMD plans in Node (so the tests below check them, not fft.js twice)', () => {
    expect(wasmFftAvailable()).toBe(true);
    expect(fastFftPlan(1024)).not.toBe(realFftPlan(1024));
    // Not a power of two, or too small: fft.js's plans.
    expect(fastFftPlan(1000)).toBe(realFftPlan(1000));
    expect(fastFftPlan(8)).toBe(realFftPlan(8));
  });

  it('the WebAssembly plans (real and complex, every power of two 16…8192) match a naive DFT', () => {
    for (let log = 4; log <= 13; log++) {
      const n = 1 << log;
      const plan = fastFftPlan(n);
      const x = new Float64Array(2 * n);
      for (let i = 0; i < 2 * n; i++) x[i] = Math.sin(0.731 * i * i) + ((i * 7919) % 13) / 13 - 0.5;
      const keep = x.slice();
      // Complex: the DFT of re + i·im is DFT(re) + i·DFT(im), both from the naive real DFT.
      const re = naiveDft(x.filter((_, i) => i % 2 === 0));
      const im = naiveDft(x.filter((_, i) => i % 2 === 1));
      const z = plan.transform(x);
      expect(x).toEqual(keep); // the caller's buffer is left as it was
      let scale = 1;
      let err = 0;
      for (let k = 0; k < n; k++) {
        // Bins past n/2 of a real DFT are the conjugates of bins n − k.
        const m = k <= n / 2 ? k : n - k;
        const sgn = k <= n / 2 ? 1 : -1;
        const wr = re.re[m] - sgn * im.im[m];
        const wi = sgn * re.im[m] + im.re[m];
        scale = Math.max(scale, Math.hypot(wr, wi));
        err = Math.max(err, Math.abs(z[2 * k] - wr), Math.abs(z[2 * k + 1] - wi));
      }
      expect(err / scale).toBeLessThan(1e-12);
      const real = x.subarray(0, n);
      const ref = naiveDft(real);
      const r = plan.forward(real);
      err = 0;
      for (let k = 0; k <= n / 2; k++)
        err = Math.max(err, Math.abs(r[2 * k] - ref.re[k]), Math.abs(r[2 * k + 1] - ref.im[k]));
      expect(err / scale).toBeLessThan(1e-12);
    }
  });

  it("the WebAssembly magnitude kernels give the JavaScript path's bits (numpy's abs of complex64)", () => {
    const f32 = Math.fround;
    for (const n of [16, 512, 2048]) {
      const plan = fastFftPlan(n);
      const bins = n / 2 + 1;
      const x = new Float64Array(2 * n);
      for (let i = 0; i < 2 * n; i++) x[i] = 0.3 * Math.sin(0.01 * i * i) + 1e-3 * Math.cos(i);
      const out = new Float32Array(2 * bins);
      const ref = new Float32Array(2 * bins);
      let z = plan.forward(x.subarray(0, n));
      for (let k = 0; k < bins; k++) ref[k] = Math.sqrt(f32(z[2 * k]) ** 2 + f32(z[2 * k + 1]) ** 2);
      plan.magnitudes?.(out, 0, bins);
      expect(out.subarray(0, bins)).toEqual(ref.subarray(0, bins));
      z = plan.transform(x);
      for (let k = 0; k < bins; k++) {
        const m = k === 0 ? 0 : 2 * (n - k);
        const ar = f32(0.5 * (z[2 * k] + z[m]));
        const ai = f32(0.5 * (z[2 * k + 1] - z[m + 1]));
        const br = f32(0.5 * (z[2 * k + 1] + z[m + 1]));
        const bi = f32(0.5 * (z[m] - z[2 * k]));
        ref[k] = Math.sqrt(ar * ar + ai * ai);
        ref[bins + k] = Math.sqrt(br * br + bi * bi);
      }
      plan.pairMagnitudes?.(out, 0, bins, bins);
      expect(out).toEqual(ref);
    }
  });

  it('the framing kernel gives the bits of framing in JavaScript, edge frames, padding and odd counts included', () => {
    // The same WebAssembly plan without its framing kernel: frames go through one by one.
    const perFrame = (size: number): RealFftPlan => {
      const p = fastFftPlan(size);
      return {
        size,
        forward: (x) => p.forward(x),
        transform: (x) => p.transform(x),
        magnitudes: (out, o, bins) => p.magnitudes?.(out, o, bins),
        pairMagnitudes: (out, a, b, bins) => p.pairMagnitudes?.(out, a, b, bins),
      };
    };
    const x = Float32Array.from(
      { length: 7919 },
      (_, i) => 0.5 * Math.sin(0.05 * i + 1e-5 * i * i) * Math.cos(i / 700),
    );
    const cases: StftOptions[] = [
      { nFft: 2048, hopLength: 512 },
      { nFft: 512, hopLength: 160, winLength: 400, padMode: 'reflect' },
      { nFft: 256, hopLength: 100, center: false },
      { nFft: 1024, hopLength: 333, winLength: 1000, window: 'hamming' },
    ];
    for (const o of cases) {
      const stft = resolveStftOptions('test', o);
      for (const onePerFft of [false, true]) {
        const fast = magnitudeFrames('test', x, stft, onePerFft).data.slice();
        const slow = magnitudeFrames('test', x, stft, onePerFft, perFrame).data.slice();
        expect(fast.length).toBeGreaterThan(0);
        expect(fast).toEqual(slow);
      }
    }
  });

  it("the reused magnitude buffer grows from odd sizes, and a call never sees an earlier call's values", () => {
    const stft = resolveStftOptions('test', { nFft: 2048, hopLength: 512 });
    // 3 × 1025 values (odd), then 5 × 1025: the buffer grows; then the smaller call again.
    const a = Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 2048 }, (_, i) => 0.5 * Math.cos(0.3 * i));
    const first = magnitudeFrames('test', a, stft).data.slice();
    expect(first.length).toBe(3 * 1025);
    const second = magnitudeFrames('test', b, stft).data.slice();
    expect(second.length).toBe(5 * 1025);
    expect(magnitudeFrames('test', a, stft).data).toEqual(first);
    expect(magnitudeFrames('test', b, stft, false, realFftPlan).data.length).toBe(5 * 1025);
  });

  it('the framing kernel gives the same bits in chunks of frames (long recordings) as in one call', () => {
    const x = Float32Array.from({ length: 40000 }, (_, i) => 0.4 * Math.sin(0.07 * i + 2e-6 * i * i));
    const win = Float64Array.from({ length: 400 }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400));
    const plan = fastFftPlan(512);
    const bins = 257;
    const count = 99;
    for (const onePerFft of [false, true]) {
      const whole = new Float32Array(count * bins);
      const chunked = new Float32Array(count * bins);
      plan.stftMagnitudes?.(x, 300, count, 160, win, 56, onePerFft, whole, 0, bins);
      // A 60 kB budget: chunks of 24 frames, the last one of 3.
      (plan as unknown as { stftMagnitudes: (...a: unknown[]) => void }).stftMagnitudes(
        x,
        300,
        count,
        160,
        win,
        56,
        onePerFft,
        chunked,
        0,
        bins,
        60_000,
      );
      expect(whole.some((v) => v > 0)).toBe(true);
      expect(chunked).toEqual(whole);
    }
  });

  it("the WebAssembly filterbank product (chroma's) agrees with the JavaScript sums to rounding", () => {
    for (const [rows, bins, frames] of [
      [12, 1025, 9],
      [7, 257, 4],
      [3, 2, 1],
      [24, 513, 3],
    ]) {
      const fb = Float32Array.from({ length: rows * bins }, (_, i) => Math.abs(Math.sin(i * 0.37)));
      const data = Float32Array.from({ length: frames * bins }, (_, i) => (i % 11) * Math.cos(i) ** 2);
      const fast = wasmFilterbankProduct(fb, rows, data, frames, bins)?.slice();
      const ref = filterbankProduct(fb, rows, data, frames, bins);
      expect(fast?.length).toBe(rows * frames);
      for (let i = 0; i < ref.length; i++)
        expect(Math.abs((fast?.[i] ?? 0) - ref[i])).toBeLessThanOrEqual(1e-12 * ref[i]);
    }
  });

  it('spectrogram frames (two per complex FFT) equal |DFT(window · frame)|² computed naively', () => {
    fc.assert(
      fc.property(
        signalOf(600, 2000),
        fc.integer({ min: 16, max: 300 }),
        fc.integer({ min: 1, max: 200 }),
        fc.boolean(),
        (x, nFft, hop, center) => {
          const S = spectrogram(x, { nFft, hopLength: hop, center });
          const win = getWindow('hann', nFft);
          const pad = center ? Math.floor(nFft / 2) : 0;
          for (const t of [0, 1, Math.floor(S.frames / 2), S.frames - 1]) {
            const frame = new Float64Array(nFft);
            for (let i = 0; i < nFft; i++) {
              const j = t * hop - pad + i;
              frame[i] = j >= 0 && j < x.length ? x[j] * win[i] : 0;
            }
            const ref = naiveDft(frame);
            let scale = 1e-12;
            for (let k = 0; k < ref.re.length; k++) scale = Math.max(scale, ref.re[k] ** 2 + ref.im[k] ** 2);
            for (let k = 0; k < ref.re.length; k++) {
              const p = ref.re[k] ** 2 + ref.im[k] ** 2;
              expect(Math.abs(S.data[t * S.features + k] - p) / scale).toBeLessThan(1e-6);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

const melConfig = fc.record({
  sampleRate: fc.constantFrom(8000, 16000, 22050, 44100, 48000),
  nFft: fc.integer({ min: 64, max: 4096 }),
  nMels: fc.integer({ min: 1, max: 160 }),
  fminFrac: fc.double({ min: 0, max: 0.4, noNaN: true }),
  fmaxFrac: fc.double({ min: 0.5, max: 1, noNaN: true }),
  htk: fc.boolean(),
  slaney: fc.boolean(),
});

describe('mel filterbank', () => {
  it('covers every FFT bin strictly between fmin and fmax', () => {
    fc.assert(
      fc.property(melConfig, (c) => {
        const nyq = c.sampleRate / 2;
        const fmin = c.fminFrac * nyq;
        const fmax = c.fmaxFrac * nyq;
        const fb = melFilterbank({
          sampleRate: c.sampleRate,
          nFft: c.nFft,
          nMels: c.nMels,
          fmin,
          fmax,
          htk: c.htk,
        });
        for (let k = 0; k < fb.features; k++) {
          const f = (k * c.sampleRate) / c.nFft;
          // Bins within rounding of a limit may get weight 0 (the mel↔Hz round trip is inexact).
          if (f <= fmin * (1 + 1e-9) || f >= fmax * (1 - 1e-9)) continue;
          let sum = 0;
          for (let i = 0; i < fb.frames; i++) sum += fb.data[i * fb.features + k];
          expect(sum).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the fast interval form equals the dense librosa matrix', () => {
    fc.assert(
      fc.property(melConfig, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (c, seed) => {
        const nyq = c.sampleRate / 2;
        const opts = {
          sampleRate: c.sampleRate,
          nFft: c.nFft,
          nMels: c.nMels,
          fmin: c.fminFrac * nyq,
          fmax: c.fmaxFrac * nyq,
          htk: c.htk,
          melNorm: c.slaney ? ('slaney' as const) : null,
        };
        const dense = melFilterbank(opts);
        const fast = sparseFilterbank(resolveMelOptions('test', opts));
        const spec = new Float64Array(dense.features);
        let s = seed;
        for (let k = 0; k < spec.length; k++) {
          s = (s * 1103515245 + 12345) % 2147483648;
          spec[k] = s / 2147483648;
        }
        const out = new Float64Array(dense.frames);
        applyFilterbank(fast, spec, 0, out, 0);
        const ref = new Float64Array(dense.frames);
        const mass = new Float64Array(dense.frames);
        for (let i = 0; i < dense.frames; i++) {
          for (let k = 0; k < dense.features; k++) {
            ref[i] += dense.data[i * dense.features + k] * spec[k];
            mass[i] += dense.data[i * dense.features + k];
          }
        }
        const maxMass = Math.max(...mass);
        // The dense matrix holds float32 weights (as librosa): agreement to ~1e-7 of each band's
        // mass, plus rounding at bins that sit exactly on a band edge (≪ 1e-12 of the largest band).
        for (let i = 0; i < dense.frames; i++) {
          expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(1e-6 * mass[i] + 1e-12 * maxMass);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('DCT', () => {
  it('the ortho DCT-II is orthogonal: its matrix times its transpose is the identity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 160 }), (n) => {
        const rows: Float64Array[] = [];
        for (let j = 0; j < n; j++) {
          const e = new Float64Array(n);
          e[j] = 1;
          rows.push(dct(e)); // column j of the DCT matrix
        }
        for (let a = 0; a < n; a += Math.max(1, Math.floor(n / 12))) {
          for (let b = 0; b < n; b += Math.max(1, Math.floor(n / 12))) {
            let dot = 0;
            for (let j = 0; j < n; j++) dot += rows[j][a] * rows[j][b];
            expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('MFCC', () => {
  it('scaling the signal by a only shifts c0 by 20·log10(a)·√nMels when topDb is null', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (seed, a) => {
          let s = seed;
          const x = new Float32Array(4000);
          for (let i = 0; i < x.length; i++) {
            s = (s * 1103515245 + 12345) % 2147483648;
            x[i] = s / 2147483648 - 0.5;
          }
          const y = x.map((v) => v * a);
          // Compare against exactly the scaled float32 samples' own ratio.
          const opts = { sampleRate: 16000, nMfcc: 13, nMels: 40, nFft: 512, hopLength: 160, topDb: null };
          const mx = extractMfcc(x, opts);
          const my = extractMfcc(y, opts);
          const shift = 20 * Math.log10(a) * Math.sqrt(40);
          for (let t = 0; t < mx.frames; t++) {
            expect(my.data[t * 13] - mx.data[t * 13]).toBeCloseTo(shift, 1);
            for (let k = 1; k < 13; k++)
              expect(Math.abs(my.data[t * 13 + k] - mx.data[t * 13 + k])).toBeLessThan(2e-3);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never returns NaN or Infinity, for any finite signal (silence and tiny values included)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          signalOf(1, 5000),
          fc.integer({ min: 1, max: 5000 }).map((n) => new Float32Array(n)),
          signalOf(1, 3000).map((x) => x.map((v) => v * 1e-30)),
        ),
        fc.constantFrom(80, null),
        (x, topDb) => {
          const m = extractMfcc(x, { sampleRate: 16000, nFft: 512, hopLength: 160, nMels: 40, topDb });
          expect(m.frames).toBeGreaterThan(0);
          expect(m.data.every(Number.isFinite)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('delta, trim, cmvn', () => {
  it('delta of a linear ramp is its slope; delta² of it is 0', () => {
    const frames = 30;
    const data = new Float32Array(frames * 2);
    for (let t = 0; t < frames; t++) {
      data[t * 2] = 3 * t + 1;
      data[t * 2 + 1] = -0.5 * t;
    }
    const m = { data, frames, features: 2 };
    const d1 = delta(m);
    const d2 = delta(m, { order: 2 });
    for (let t = 0; t < frames; t++) {
      expect(d1.data[t * 2]).toBeCloseTo(3, 5);
      expect(d1.data[t * 2 + 1]).toBeCloseTo(-0.5, 5);
      expect(d2.data[t * 2]).toBeCloseTo(0, 4);
    }
  });

  it('trimSilence keeps a tone surrounded by digital silence, to within one hop', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20000 }),
        fc.integer({ min: 4000, max: 20000 }),
        fc.integer({ min: 0, max: 20000 }),
        (lead, len, tail) => {
          const x = new Float32Array(lead + len + tail);
          for (let i = 0; i < len; i++) x[lead + i] = 0.5 * Math.sin(i * 0.3);
          const { start, end } = trimSilence(x);
          expect(start).toBeLessThanOrEqual(lead);
          expect(lead - start).toBeLessThan(2048);
          expect(end).toBeGreaterThanOrEqual(lead + len);
          expect(end - (lead + len)).toBeLessThan(2048);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('trimmedAt gives each threshold the interval trimSilence gives it (one pass for several)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ len: fc.integer({ min: 0, max: 6000 }), db: fc.integer({ min: -90, max: 0 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 4 }),
        (bursts, topDbs) => {
          const x = new Float32Array(bursts.reduce((a, b) => a + b.len, 0));
          let at = 0;
          for (const { len, db } of bursts)
            for (let i = 0; i < len; i++) x[at++] = 10 ** (db / 20) * Math.sin(i * 0.21);
          // trimmedAt takes checked signals only; trimSilence rejects an empty one (its own test).
          fc.pre(x.length > 0);
          expect(trimmedAt(x, topDbs)).toEqual(topDbs.map((topDb) => trimSilence(x, { topDb })));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('trimSilence of pure digital silence keeps nothing', () => {
    expect(trimSilence(new Float32Array(16000))).toEqual({ start: 0, end: 0 });
  });

  it('cmvn gives zero mean and unit variance per feature, and 0 (not NaN) for constant features', () => {
    const frames = 50;
    const data = new Float32Array(frames * 3);
    for (let t = 0; t < frames; t++) {
      data[t * 3] = Math.sin(t) * 7 + 3;
      data[t * 3 + 1] = 5; // constant
      data[t * 3 + 2] = t;
    }
    const out = cmvn({ data, frames, features: 3 });
    for (const k of [0, 2]) {
      let mean = 0;
      let sq = 0;
      for (let t = 0; t < frames; t++) mean += out.data[t * 3 + k] / frames;
      for (let t = 0; t < frames; t++) sq += (out.data[t * 3 + k] - mean) ** 2 / frames;
      expect(mean).toBeCloseTo(0, 5);
      expect(Math.sqrt(sq)).toBeCloseTo(1, 5);
    }
    for (let t = 0; t < frames; t++) expect(out.data[t * 3 + 1]).toBe(0);
  });
});

describe('the DCT of two frames at once', () => {
  it('gives dctFolded’s bits for each frame, floored values, odd sizes and any number of outputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 160 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (n, outs, seed) => {
          const nOut = Math.min(outs, n);
          let s = seed;
          const rnd = () => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s / 2147483648;
          };
          const x = Float64Array.from({ length: 3 * n }, () => 100 * rnd() - 80);
          const m = dctMatrix(n, nOut, 'ortho', 0);
          const floor = -20;
          const one = new Float32Array(2 * nOut);
          const fold = new Float64Array(n);
          dctFolded(x, 0, floor, n, m, nOut, fold, one, 0);
          dctFolded(x, 2 * n, floor, n, m, nOut, fold, one, nOut);
          const pair = new Float32Array(2 * nOut);
          dctFoldedPair(
            x,
            0,
            2 * n,
            floor,
            n,
            m,
            nOut,
            new Float64Array(n),
            new Float64Array(n),
            pair,
            0,
            nOut,
          );
          expect(pair).toEqual(one);
        },
      ),
      { numRuns: 300 },
    );
  });
});
