// YIN pitch estimation (librosa.yin): the cumulative mean normalised difference per frame, its
// first trough under the threshold, refined by parabolic interpolation. pyin.ts builds on it.
import { padForFrames } from './energy.js';
import { type RealFftPlan, realFftPlan } from './fft.js';
import { wasmCmndf } from './simd.js';
import type { PadMode } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal, invalid } from './validate.js';

/** Options of {@link yin}: `librosa.yin`, same names in camelCase. */
export interface YinOptions {
  /** Sample rate of the signal in Hz. */
  sampleRate: number;
  /** Lowest frequency searched, in Hz (required, as in librosa; 50 suits speech). */
  fmin: number;
  /** Highest frequency searched, in Hz, at most `sampleRate / 2` (required; 500 suits speech). */
  fmax: number;
  /** Samples per frame. Default 2048; must hold the longest period `sampleRate / fmin` beside the window. */
  frameLength?: number;
  /** Length of the correlation window in samples, < `frameLength`. Default `frameLength / 2`. */
  winLength?: number;
  /** Samples between successive frames. Default `frameLength / 4`. */
  hopLength?: number;
  /** Centre frame `t` on sample `t · hopLength` by padding `frameLength / 2` samples at each end. Default `true`. */
  center?: boolean;
  /** Padding used when `center` is true. Default `'constant'` (zeros). */
  padMode?: PadMode;
}

/** Options of {@link yin} beyond {@link YinOptions}'s framing. */
export interface YinThresholdOptions extends YinOptions {
  /** Absolute threshold on the normalised difference for a dip to count as the period. Default 0.1. */
  troughThreshold?: number;
}

/** @internal */
export const YIN_KEYS = [
  'sampleRate',
  'fmin',
  'fmax',
  'frameLength',
  'winLength',
  'hopLength',
  'center',
  'padMode',
];

/** `np.finfo(np.float64).tiny`, which librosa adds to avoid division by zero and log(0). */
export const TINY = 2.2250738585072014e-308;
export const LOG_TINY = Math.log(TINY);

export interface YinSetup {
  sampleRate: number;
  fmin: number;
  fmax: number;
  frameLength: number;
  winLength: number;
  hopLength: number;
  center: boolean;
  padMode: PadMode;
  minPeriod: number;
  maxPeriod: number;
}

export function resolveYin(fn: string, o: YinOptions): YinSetup {
  if (o === null || typeof o !== 'object') {
    throw invalid(
      fn,
      'options must be an object with sampleRate, fmin and fmax, e.g. { sampleRate: 16000, fmin: 50, fmax: 500 }.',
    );
  }
  for (const name of ['sampleRate', 'fmin', 'fmax'] as const) {
    if (o[name] === undefined) {
      throw invalid(
        fn,
        `'${name}' is required, e.g. ${fn}(signal, { sampleRate: 16000, fmin: 50, fmax: 500 }).`,
      );
    }
  }
  const sampleRate = checkNumber(fn, 'sampleRate', o.sampleRate, 'positive');
  const fmin = checkNumber(fn, 'fmin', o.fmin, 'positive');
  const fmax = checkNumber(fn, 'fmax', o.fmax, 'positive');
  if (fmin >= fmax) throw invalid(fn, `'fmin' (${fmin} Hz) must be below 'fmax' (${fmax} Hz).`);
  if (fmax > sampleRate / 2) {
    throw invalid(fn, `'fmax' (${fmax} Hz) cannot exceed the Nyquist frequency (${sampleRate / 2} Hz).`);
  }
  const frameLength = checkInt(fn, 'frameLength', o.frameLength ?? 2048, 2);
  const winLength = checkInt(fn, 'winLength', o.winLength ?? Math.floor(frameLength / 2), 1);
  if (winLength >= frameLength) {
    throw invalid(fn, `'winLength' (${winLength}) must be below 'frameLength' (${frameLength}).`);
  }
  const hopLength = checkInt(fn, 'hopLength', o.hopLength ?? Math.floor(frameLength / 4), 1);
  const center = checkOneOf(fn, 'center', o.center ?? true, [true, false]);
  const padMode = checkOneOf(fn, 'padMode', o.padMode ?? 'constant', ['constant', 'reflect'] as const);
  const minPeriod = Math.floor(sampleRate / fmax);
  const longest = Math.ceil(sampleRate / fmin);
  // The difference function reaches lags up to frameLength − winLength − 1. librosa silently
  // shortens the search below fmin then; a caller who asked for fmin gets told instead.
  if (longest > frameLength - winLength - 1) {
    const need = longest + winLength + 1;
    throw invalid(
      fn,
      `'frameLength' (${frameLength}) is too short for 'fmin' = ${fmin} Hz: a period of ${longest} samples needs frameLength ≥ ${need} with winLength ${winLength}. Raise frameLength or fmin.`,
    );
  }
  return {
    sampleRate,
    fmin,
    fmax,
    frameLength,
    winLength,
    hopLength,
    center,
    padMode,
    minPeriod,
    maxPeriod: longest,
  };
}

/**
 * The cumulative mean normalised difference function of every frame (de Cheveigné & Kawahara,
 * 2002), for lags `minPeriod … maxPeriod`, frame-major, computed as librosa computes it: the
 * autocorrelation through the FFT, the energy terms from a float32 running sum, values below 1e-6
 * set to zero. Runs on the WebAssembly kernel where it can ({@link wasmCmndf}; then `d` is valid
 * only until the next kernel call: read it at once), else on {@link cmndfScalar}.
 */
export function cmndf(
  signal: Float32Array | Float64Array,
  s: YinSetup,
  fn: string,
): { d: Float64Array; frames: number; lags: number } {
  const lags = s.maxPeriod - s.minPeriod + 1;
  const fast = wasmCmndf(fn, signal, s);
  if (fast) return { ...fast, lags };
  const { padded, frames } = padForFrames(fn, signal, s, s.padMode);
  return { d: cmndfScalar(padded, frames, s), frames, lags };
}

/**
 * {@link cmndf} in JavaScript on fft.js, for where WebAssembly SIMD is missing: the same
 * operations as the kernel in src/dsp/simd/kernels.c, so on the same FFT `plan` the same bits. The
 * FFTs pair two frames per complex transform (see FrameAnalyzer).
 *
 * Long (about 100 lines) on purpose: the framing, the paired FFTs and the running sums share their
 * buffers in one scope, the hot path of yin and pyin (as fft.js keeps its transforms in one loop).
 * @internal
 */
export function cmndfScalar(
  signal: Float32Array | Float64Array,
  frames: number,
  s: YinSetup,
  plan: RealFftPlan = realFftPlan(s.frameLength),
): Float64Array {
  const padded = signal instanceof Float64Array ? signal : Float64Array.from(signal);
  const L = s.frameLength;
  const W = s.winLength;
  const hop = s.hopLength;
  const minP = s.minPeriod;
  const maxP = s.maxPeriod;
  const lags = maxP - minP + 1;
  const out = new Float64Array(frames * lags);
  const z = new Float64Array(2 * L);
  // Bins 0 … L/2 of the cross-spectra of the two frames of a pair, one after the other.
  const pA = new Float64Array(4 * ((L >> 1) + 1));
  const q = new Float64Array(2 * L);
  const acf = new Float64Array(2 * (maxP + 1));
  const energy = new Float64Array(W + maxP + 1);
  const energyB = new Float64Array(W + maxP + 1);
  const half = L >> 1;
  for (let t = 0; t < frames; t += 2) {
    const pair = t + 1 < frames;
    // Cross-spectra of one or two frames, then one inverse transform for both (see below).
    for (let f = 0; f < (pair ? 2 : 1); f++) {
      const start = (t + f) * hop;
      // P = Y · conj(W) for the frame y and its samples 1…W (w): one complex FFT of y + i·w gives
      // both spectra, and IFFT(P)[τ] = Σ_{m=1..W} y[m]·y[m+τ].
      z[0] = padded[start];
      z[1] = 0;
      for (let i = 1; i <= W; i++) {
        const v = padded[start + i];
        z[2 * i] = v;
        z[2 * i + 1] = v;
      }
      for (let i = W + 1; i < L; i++) {
        z[2 * i] = padded[start + i];
        z[2 * i + 1] = 0;
      }
      const Z = plan.transform(z);
      // P is Hermitian (the correlation is real): bins 0 … L/2 determine it.
      for (let k = 0; k <= half; k++) {
        const m = k === 0 ? 0 : L - k;
        const yr = (Z[2 * k] + Z[2 * m]) / 2;
        const yi = (Z[2 * k + 1] - Z[2 * m + 1]) / 2;
        const wr = (Z[2 * k + 1] + Z[2 * m + 1]) / 2;
        const wi = (Z[2 * m] - Z[2 * k]) / 2;
        pA[2 * k + 2 * f * (half + 1)] = yr * wr + yi * wi;
        pA[2 * k + 1 + 2 * f * (half + 1)] = yi * wr - yr * wi;
      }
    }
    // IFFT(P_A + i·P_B) = acf_A + i·acf_B, taken as conj(FFT(conj(·))) / L. Q = conj(P_A + i·P_B)
    // is written for bin k and, through the Hermitian symmetry of P_A and P_B, for bin L − k.
    const o = 2 * (half + 1);
    for (let k = 0; k <= half; k++) {
      const ar = pA[2 * k];
      const ai = pA[2 * k + 1];
      const br = pair ? pA[o + 2 * k] : 0;
      const bi = pair ? pA[o + 2 * k + 1] : 0;
      q[2 * k] = ar - bi;
      q[2 * k + 1] = -(ai + br);
      if (k > 0 && k < half) {
        const m = L - k;
        q[2 * m] = ar + bi;
        q[2 * m + 1] = ai - br;
      }
    }
    const r = plan.transform(q);
    for (let n = 0; n <= maxP; n++) {
      acf[n] = r[2 * n] / L;
      acf[maxP + 1 + n] = -r[2 * n + 1] / L;
    }
    // Energies from float32 running sums of float32 squares, as librosa's np.cumsum(y**2); the
    // two frames' sums interleave, so the two dependency chains overlap.
    const sA = t * hop;
    const sB = pair ? sA + hop : sA;
    let cA = 0;
    let cB = 0;
    for (let i = 0, n = W + maxP; i <= n; i++) {
      const a = padded[sA + i];
      const b = padded[sB + i];
      cA = Math.fround(cA + Math.fround(a * a));
      cB = Math.fround(cB + Math.fround(b * b));
      energy[i] = cA;
      energyB[i] = cB;
    }
    for (let f = 0; f < (pair ? 2 : 1); f++) {
      const en = f === 0 ? energy : energyB;
      const a0 = f * (maxP + 1);
      let e0 = Math.fround(en[W] - en[0]);
      if (Math.abs(e0) < 1e-6) e0 = 0;
      // d[τ] = e[0] + e[τ] − 2·acf[τ] (values below 1e-6 zeroed first, as librosa does), and the
      // cumulative mean normalised difference d[τ] / (Σ_{u≤τ} d[u] / τ).
      let cum = 0;
      const o = (t + f) * lags - minP;
      for (let tau = 1; tau <= maxP; tau++) {
        let e = Math.fround(en[W + tau] - en[tau]);
        if (Math.abs(e) < 1e-6) e = 0;
        let a = acf[a0 + tau];
        if (Math.abs(a) < 1e-6) a = 0;
        const d = Math.fround(e0 + e) - 2 * a;
        cum += d;
        if (tau >= minP) out[o + tau] = d / (cum / tau + TINY);
      }
    }
  }
  return out;
}

/** librosa's parabolic interpolation stencil over lags: the offset of the vertex, 0 at the ends. */
export function parabolicShift(d: Float64Array, o: number, lags: number, i: number): number {
  if (i === 0 || i === lags - 1) return 0;
  const a = d[o + i + 1] + d[o + i - 1] - 2 * d[o + i];
  const b = (d[o + i + 1] - d[o + i - 1]) / 2;
  return Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
}

/** util.localmin with librosa's first-lag rule: lag 0 is a trough when below lag 1. */
export function isTrough(d: Float64Array, o: number, lags: number, i: number): boolean {
  if (i === 0) return lags > 1 && d[o] < d[o + 1];
  return d[o + i] < d[o + i - 1] && (i === lags - 1 || d[o + i] <= d[o + i + 1]);
}

/**
 * Fundamental frequency per frame by the YIN algorithm (de Cheveigné & Kawahara, 2002), as
 * `librosa.yin(y, fmin, fmax, sr, frame_length)`: the first dip of the cumulative mean normalised
 * difference below `troughThreshold` (else its lowest point), refined by parabolic interpolation.
 * Every frame gets an estimate, voiced or not; use {@link pyin} for a voicing decision.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, `fmin`, `fmax`, and see {@link YinThresholdOptions}.
 * @returns One f0 per frame, in Hz (float64, as librosa's).
 *
 * @example
 * ```ts
 * const f0 = yin(signal, { sampleRate: 16000, fmin: 50, fmax: 500, frameLength: 1024 });
 * ```
 */
export function yin(signal: Float32Array | Float64Array, options: YinThresholdOptions): Float64Array {
  const fn = 'yin';
  checkKnownOptions(fn, options, [...YIN_KEYS, 'troughThreshold']);
  checkSignal(fn, signal);
  const s = resolveYin(fn, options);
  const threshold = checkNumber(fn, 'troughThreshold', options.troughThreshold ?? 0.1, 'nonnegative');
  const { d, frames, lags } = cmndf(signal, s, fn);
  const f0 = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * lags;
    let period = -1;
    let globalMin = 0;
    for (let i = 0; i < lags; i++) {
      if (d[o + i] < d[o + globalMin]) globalMin = i;
      if (period < 0 && d[o + i] < threshold && isTrough(d, o, lags, i)) period = i;
    }
    if (period < 0) period = globalMin;
    f0[t] = s.sampleRate / (s.minPeriod + period + parabolicShift(d, o, lags, period));
  }
  return f0;
}
