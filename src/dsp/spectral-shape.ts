import { SpeechEmotionError } from '../errors.js';
import { magnitudeFrames } from './magnitudes.js';
import { STFT_KEYS, type StftOptions, resolveStftOptions } from './spectral.js';
import type { FeatureMatrix } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal, invalid } from './validate.js';

/** STFT options and the sample rate: what every spectral-shape feature takes. */
export interface SpectralFeatureOptions extends StftOptions {
  /** Sample rate of the signal in Hz. */
  sampleRate: number;
}

/** Options of {@link spectralBandwidth}: `librosa.feature.spectral_bandwidth`. */
export interface SpectralBandwidthOptions extends SpectralFeatureOptions {
  /** Order of the deviation: `(Σ S[k]·|f[k] − centroid|^p)^(1/p)`. Default 2. */
  p?: number;
  /** Normalise each frame's spectrum to sum 1 first. Default `true`. */
  norm?: boolean;
}

/** Options of {@link spectralRolloff}: `librosa.feature.spectral_rolloff`. */
export interface SpectralRolloffOptions extends SpectralFeatureOptions {
  /** Fraction of the frame's magnitude below the roll-off frequency, in (0, 1). Default 0.85. */
  rollPercent?: number;
}

/** Options of {@link spectralFlatness}: `librosa.feature.spectral_flatness`. */
export interface SpectralFlatnessOptions extends SpectralFeatureOptions {
  /** Smallest power used, to avoid log(0). Default 1e-10. */
  amin?: number;
  /** Exponent applied to the magnitude before the means. Default 2 (power). */
  power?: number;
}

/** Options of {@link spectralContrast}: `librosa.feature.spectral_contrast`. */
export interface SpectralContrastOptions extends SpectralFeatureOptions {
  /** Upper edge of the lowest band in Hz; band `k` spans `fmin·2^(k−1) … fmin·2^k`. Default 200. */
  fmin?: number;
  /** Number of octave bands below the top band. Default 6 (7 rows out). */
  nBands?: number;
  /** Fraction of each band's bins averaged for its peak and its valley, in (0, 1). Default 0.02. */
  quantile?: number;
  /** `true`: peak − valley in magnitude; `false` (default): the difference in dB. */
  linear?: boolean;
}

const KEYS = [...STFT_KEYS, 'sampleRate'] as const;

/**
 * Validates the options shared by the spectral features and computes the magnitudes (shared
 * scratch: see {@link magnitudeFrames}). @internal
 */
export function spectralInput(
  fn: string,
  signal: Float32Array | Float64Array,
  options: SpectralFeatureOptions,
  extraKeys: readonly string[],
  onePerFft = false,
) {
  checkKnownOptions(fn, options, [...KEYS, ...extraKeys]);
  checkSignal(fn, signal);
  const sampleRate = resolveSampleRate(fn, options);
  const stft = resolveStftOptions(fn, options);
  return { sampleRate, stft, ...magnitudeFrames(fn, signal, stft, onePerFft) };
}

/** @internal */
export function resolveSampleRate(fn: string, options: { sampleRate?: number } | undefined): number {
  if (options === null || typeof options !== 'object' || options.sampleRate === undefined) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: options must include 'sampleRate' (Hz), e.g. ${fn}(signal, { sampleRate: 16000 }).`,
    );
  }
  return checkNumber(fn, 'sampleRate', options.sampleRate, 'positive');
}

/** Centre frequency of each bin: `k · sampleRate / nFft` (`librosa.fft_frequencies`). */
function binFrequencies(sampleRate: number, nFft: number, bins: number): Float64Array {
  const f = new Float64Array(bins);
  const step = 1 / (nFft * (1 / sampleRate));
  for (let k = 0; k < bins; k++) f[k] = k * step;
  return f;
}

/** Centroid of one frame's magnitudes, 0 for a silent frame (librosa's `normalize` leaves it at 0). */
function centroidOf(
  S: Float32Array,
  o: number,
  bins: number,
  freq: Float64Array,
): { c: number; total: number } {
  let total = 0;
  let weighted = 0;
  for (let k = 0; k < bins; k++) {
    total += S[o + k];
    weighted += freq[k] * S[o + k];
  }
  // librosa.util.normalize: a frame whose L1 norm is below float32's smallest normal stays unscaled.
  const scale = total < FLOAT32_TINY ? 1 : total;
  return { c: weighted / scale, total: scale };
}

/** `np.finfo(np.float32).tiny`. */
const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * Spectral centroid of each frame, as `librosa.feature.spectral_centroid(y, sr)`: the magnitude-weighted
 * mean frequency `Σ f[k]·|S[k]| / Σ |S[k]|`, 0 for silent frames.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate` and the STFT options ({@link StftOptions}; librosa's defaults).
 * @returns `frames × 1`, in Hz.
 *
 * @example
 * ```ts
 * spectralCentroid(signal, { sampleRate: 16000 }).data;  // brightness over time, Hz
 * ```
 */
export function spectralCentroid(
  signal: Float32Array | Float64Array,
  options: SpectralFeatureOptions,
): FeatureMatrix {
  const { sampleRate, stft, data, frames, bins } = spectralInput('spectralCentroid', signal, options, []);
  const freq = binFrequencies(sampleRate, stft.nFft, bins);
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) out[t] = centroidOf(data, t * bins, bins, freq).c;
  return { data: out, frames, features: 1 };
}

/**
 * Spectral bandwidth of each frame, as `librosa.feature.spectral_bandwidth(y, sr)`: the p-th order
 * deviation around the centroid, `(Σ |S[k]|·|f[k] − centroid|^p)^(1/p)` with `|S|` normalised to
 * sum 1 per frame (Klapuri & Davy, 2007).
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options, `p` (2) and `norm` (true).
 * @returns `frames × 1`, in Hz.
 */
export function spectralBandwidth(
  signal: Float32Array | Float64Array,
  options: SpectralBandwidthOptions,
): FeatureMatrix {
  const fn = 'spectralBandwidth';
  const { sampleRate, stft, data, frames, bins } = spectralInput(fn, signal, options, ['p', 'norm']);
  const p = checkNumber(fn, 'p', options.p ?? 2, 'positive');
  const norm = checkOneOf(fn, 'norm', options.norm ?? true, [true, false]);
  const freq = binFrequencies(sampleRate, stft.nFft, bins);
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    const { c, total } = centroidOf(data, o, bins, freq);
    let s = 0;
    for (let k = 0; k < bins; k++) {
      const d = Math.abs(c - freq[k]);
      s += data[o + k] * (p === 2 ? d * d : d ** p);
    }
    if (norm) s /= total;
    out[t] = p === 2 ? Math.sqrt(s) : s ** (1 / p);
  }
  return { data: out, frames, features: 1 };
}

/**
 * Roll-off frequency of each frame, as `librosa.feature.spectral_rolloff(y, sr)`: the centre
 * frequency of the lowest bin at which the running sum of magnitudes reaches `rollPercent` of the
 * frame's total. The running sum is kept in float32, as librosa's is, so ties fall the same way.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options and `rollPercent` (0.85).
 * @returns `frames × 1`, in Hz.
 */
export function spectralRolloff(
  signal: Float32Array | Float64Array,
  options: SpectralRolloffOptions,
): FeatureMatrix {
  const fn = 'spectralRolloff';
  const { sampleRate, stft, data, frames, bins } = spectralInput(fn, signal, options, ['rollPercent'], true);
  const rollPercent = checkNumber(fn, 'rollPercent', options.rollPercent ?? 0.85, 'positive');
  if (!(rollPercent < 1)) throw invalid(fn, `'rollPercent' must be in (0, 1), got ${rollPercent}.`);
  const freq = binFrequencies(sampleRate, stft.nFft, bins);
  const cum = new Float32Array(bins);
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    let s = 0;
    for (let k = 0; k < bins; k++) {
      s = Math.fround(s + data[o + k]);
      cum[k] = s;
    }
    const threshold = Math.fround(rollPercent * s);
    let k = 0;
    while (k < bins - 1 && cum[k] < threshold) k++;
    out[t] = freq[k];
  }
  return { data: out, frames, features: 1 };
}

/**
 * Spectral flatness of each frame, as `librosa.feature.spectral_flatness(y)`: the geometric mean of
 * the power spectrum over its arithmetic mean (Dubnov, 2004), 1 for white noise and near 0 for a
 * tone. Powers below `amin` are raised to it.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options, `amin` (1e-10) and `power` (2).
 * @returns `frames × 1`, unitless in [0, 1].
 */
export function spectralFlatness(
  signal: Float32Array | Float64Array,
  options: SpectralFlatnessOptions,
): FeatureMatrix {
  const fn = 'spectralFlatness';
  const { data, frames, bins } = spectralInput(fn, signal, options, ['amin', 'power']);
  const amin = checkNumber(fn, 'amin', options.amin ?? 1e-10, 'positive');
  const power = checkNumber(fn, 'power', options.power ?? 2, 'positive');
  const out = new Float32Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    // Σ log x as the log of products of 16 values at a time: one log per 16 bins. With power ≤ 2
    // the values lie in [amin, ~1e9] (powers of samples in [−1, 1], nFft ≤ 65536), so a product
    // of 16 cannot overflow or underflow float64 for amin ≥ 1e-19; otherwise one log per bin.
    const chunk = amin >= 1e-19 && power <= 2 ? 16 : 1;
    let logSum = 0;
    let sum = 0;
    let prod = 1;
    for (let k = 0; k < bins; k++) {
      const m = data[o + k];
      const x = Math.max(amin, Math.fround(power === 2 ? m * m : m ** power));
      prod *= x;
      sum += x;
      if ((k + 1) % chunk === 0) {
        logSum += Math.log(prod);
        prod = 1;
      }
    }
    logSum += Math.log(prod);
    out[t] = Math.exp(logSum / bins) / (sum / bins);
  }
  return { data: out, frames, features: 1 };
}

/** numpy's `rint` / `round`: round half to even. @internal */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Spectral contrast, as `librosa.feature.spectral_contrast(y, sr)` (Jiang et al., 2002): for each
 * octave band, the difference between the mean of its loudest and its quietest `quantile` of bins.
 * Bands: `0 … fmin`, then `fmin·2^(k−1) … fmin·2^k` for `k = 1 … nBands`, the last reaching up to
 * the Nyquist frequency; each band also takes the bin just below it.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options, `fmin` (200 Hz), `nBands` (6), `quantile` (0.02), `linear` (false).
 * @returns `frames × (nBands + 1)`: in dB (`powerToDb` of the peak and of the valley magnitudes,
 * each with librosa's 80 dB floor), or in magnitude with `linear: true`.
 *
 * About 75 lines: the per-band sorting loop keeps its scratch arrays in one scope (the hot path).
 */
export function spectralContrast(
  signal: Float32Array | Float64Array,
  options: SpectralContrastOptions,
): FeatureMatrix {
  const fn = 'spectralContrast';
  const keys = ['fmin', 'nBands', 'quantile', 'linear'];
  const { sampleRate, stft, data, frames, bins } = spectralInput(fn, signal, options, keys);
  const fmin = checkNumber(fn, 'fmin', options.fmin ?? 200, 'positive');
  const nBands = checkInt(fn, 'nBands', options.nBands ?? 6, 1);
  const quantile = checkNumber(fn, 'quantile', options.quantile ?? 0.02, 'positive');
  if (!(quantile < 1)) throw invalid(fn, `'quantile' must be in (0, 1), got ${quantile}.`);
  const linear = checkOneOf(fn, 'linear', options.linear ?? false, [true, false]);
  const top = fmin * 2 ** (nBands - 1);
  if (top >= sampleRate / 2) {
    throw invalid(
      fn,
      `the band edges reach ${top} Hz, at or above the Nyquist frequency (${sampleRate / 2} Hz). Lower 'fmin' (${fmin}) or 'nBands' (${nBands}).`,
    );
  }
  const freq = binFrequencies(sampleRate, stft.nFft, bins);
  // Each band's bins [lo, hi) and how many of them are averaged, as librosa selects them.
  const bands: { lo: number; hi: number; q: number }[] = [];
  for (let k = 0; k <= nBands; k++) {
    const fLow = k === 0 ? 0 : fmin * 2 ** (k - 1);
    const fHigh = fmin * 2 ** k;
    let first = -1;
    let last = -1;
    for (let b = 0; b < bins; b++) {
      if (freq[b] >= fLow && freq[b] <= fHigh) {
        if (first < 0) first = b;
        last = b;
      }
    }
    if (first < 0) {
      throw invalid(
        fn,
        `band ${k} (${fLow}–${fHigh} Hz) holds no FFT bin at nFft = ${stft.nFft}. Raise 'nFft' or 'fmin'.`,
      );
    }
    const lo = k > 0 ? first - 1 : first;
    const end = k === nBands ? bins : last + 1;
    const count = end - lo;
    bands.push({ lo, hi: k < nBands ? end - 1 : end, q: Math.max(1, rint(quantile * count)) });
  }
  const rows = nBands + 1;
  const peak = new Float64Array(frames * rows);
  const valley = new Float64Array(frames * rows);
  const scratch = new Float32Array(bins);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    for (let k = 0; k < rows; k++) {
      const { lo, hi, q } = bands[k];
      const sub = scratch.subarray(0, hi - lo);
      sub.set(data.subarray(o + lo, o + hi));
      sub.sort();
      let v = 0;
      let p = 0;
      for (let i = 0; i < q; i++) {
        v += sub[i];
        p += sub[sub.length - 1 - i];
      }
      valley[t * rows + k] = v / q;
      peak[t * rows + k] = p / q;
    }
  }
  const out = new Float32Array(frames * rows);
  if (linear) {
    for (let i = 0; i < out.length; i++) out[i] = peak[i] - valley[i];
  } else {
    const floorP = toDb(peak);
    const floorV = toDb(valley);
    for (let i = 0; i < out.length; i++) out[i] = Math.max(peak[i], floorP) - Math.max(valley[i], floorV);
  }
  return { data: out, frames, features: rows };
}

/** librosa.power_to_db with its defaults (ref 1, amin 1e-10), in place; returns the 80 dB floor. */
function toDb(x: Float64Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) {
    x[i] = 10 * Math.log10(Math.max(1e-10, x[i]));
    if (x[i] > max) max = x[i];
  }
  return max - 80;
}
