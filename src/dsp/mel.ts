import { checkInt, checkKnownOptions, checkNumber, checkOneOf, invalid } from './validate.js';

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

/**
 * Converts Hz to mels, as `librosa.hz_to_mel`.
 *
 * Slaney's Auditory Toolbox scale (default) is linear below 1 kHz and logarithmic above;
 * `htk: true` uses the HTK formula `2595 · log10(1 + f/700)`.
 *
 * @param hz - Frequency in Hz.
 * @param htk - Use the HTK formula instead of Slaney's.
 * @returns The frequency in mels.
 *
 * @example
 * ```ts
 * hzToMel(1000);        // 15
 * hzToMel(1000, true);  // 999.98…
 * ```
 */
export function hzToMel(hz: number, htk = false): number {
  if (htk) return 2595 * Math.log10(1 + hz / 700);
  if (hz >= MIN_LOG_HZ) return MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
  return hz / F_SP;
}

/**
 * Converts mels to Hz, the inverse of {@link hzToMel} (`librosa.mel_to_hz`).
 *
 * @param mel - Frequency in mels.
 * @param htk - Use the HTK formula instead of Slaney's.
 * @returns The frequency in Hz.
 *
 * @example
 * ```ts
 * melToHz(15);  // 1000
 * ```
 */
export function melToHz(mel: number, htk = false): number {
  if (htk) return 700 * (10 ** (mel / 2595) - 1);
  if (mel >= MIN_LOG_MEL) return MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
  return F_SP * mel;
}

/** Normalisation of mel filters: `'slaney'` divides each triangle by its width in Hz (constant energy per band); `null` leaves peaks at 1. */
export type MelNorm = 'slaney' | null;

/** Options of {@link melFilterbank}; the names and defaults are librosa's (`librosa.filters.mel`). */
export interface MelFilterbankOptions {
  /** Sample rate of the audio, in Hz. Required. */
  sampleRate: number;
  /** FFT size in samples. Default 2048. */
  nFft?: number;
  /** Number of mel bands. Default 128. */
  nMels?: number;
  /** Lowest frequency, in Hz. Default 0. */
  fmin?: number;
  /** Highest frequency, in Hz. Default `sampleRate / 2`. */
  fmax?: number;
  /** Use the HTK mel scale instead of Slaney's. Default `false`. */
  htk?: boolean;
  /** Filter normalisation. Default `'slaney'`. */
  melNorm?: MelNorm;
}

const MEL_KEYS = ['sampleRate', 'nFft', 'nMels', 'fmin', 'fmax', 'htk', 'melNorm'] as const;

/**
 * A mel filterbank held sparsely: band `i` covers FFT bins `start[i] .. start[i] + length[i] − 1`
 * with weights `weights[offset[i] ..]`. Cached by parameters and shared: do not modify.
 * @internal
 */
export interface SparseFilterbank {
  readonly nMels: number;
  readonly nBins: number;
  readonly start: Int32Array;
  readonly length: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float64Array;
}

interface ResolvedMel {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fmin: number;
  fmax: number;
  htk: boolean;
  melNorm: MelNorm;
}

/** Validates mel options; shared by every function that takes them. @internal */
export function resolveMelOptions(fn: string, o: MelFilterbankOptions & { nFft: number }): ResolvedMel {
  const sampleRate = checkNumber(fn, 'sampleRate', o.sampleRate, 'positive');
  const nMels = checkInt(fn, 'nMels', o.nMels ?? 128, 1);
  const fmin = checkNumber(fn, 'fmin', o.fmin ?? 0, 'nonnegative');
  const fmax = checkNumber(fn, 'fmax', o.fmax ?? sampleRate / 2, 'positive');
  if (fmax > sampleRate / 2) {
    throw invalid(
      fn,
      `'fmax' (${fmax} Hz) is above the Nyquist frequency sampleRate/2 = ${sampleRate / 2} Hz. Lower fmax or raise sampleRate.`,
    );
  }
  if (fmin >= fmax) throw invalid(fn, `'fmin' (${fmin} Hz) must be below 'fmax' (${fmax} Hz).`);
  const htk = o.htk ?? false;
  checkOneOf(fn, 'htk', htk, [true, false]);
  const melNorm = o.melNorm === undefined ? 'slaney' : o.melNorm;
  checkOneOf(fn, 'melNorm', melNorm, ['slaney', null]);
  return { sampleRate, nFft: o.nFft, nMels, fmin, fmax, htk, melNorm };
}

const cache = new Map<string, SparseFilterbank>();

/** The cached sparse filterbank for resolved options. @internal */
export function sparseFilterbank(o: ResolvedMel): SparseFilterbank {
  const key = `${o.sampleRate}:${o.nFft}:${o.nMels}:${o.fmin}:${o.fmax}:${o.htk}:${o.melNorm}`;
  let fb = cache.get(key);
  if (fb) return fb;
  const nBins = Math.floor(o.nFft / 2) + 1;
  const dense = denseWeights(o, nBins);
  const start = new Int32Array(o.nMels);
  const length = new Int32Array(o.nMels);
  const offset = new Int32Array(o.nMels);
  let total = 0;
  for (let i = 0; i < o.nMels; i++) {
    let lo = 0;
    while (lo < nBins && dense[i * nBins + lo] === 0) lo++;
    let hi = nBins - 1;
    while (hi >= lo && dense[i * nBins + hi] === 0) hi--;
    start[i] = lo;
    length[i] = Math.max(0, hi - lo + 1);
    offset[i] = total;
    total += length[i];
  }
  const weights = new Float64Array(total);
  for (let i = 0; i < o.nMels; i++) {
    for (let j = 0; j < length[i]; j++) weights[offset[i] + j] = dense[i * nBins + start[i] + j];
  }
  fb = { nMels: o.nMels, nBins, start, length, offset, weights };
  cache.set(key, fb);
  return fb;
}

/** librosa.filters.mel, computed in float64 and stored as float32 as librosa does. */
function denseWeights(o: ResolvedMel, nBins: number): Float32Array {
  const { nMels, sampleRate, nFft, htk } = o;
  const melMin = hzToMel(o.fmin, htk);
  const melMax = hzToMel(o.fmax, htk);
  const melF = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) melF[i] = melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1), htk);
  const w = new Float32Array(nMels * nBins);
  for (let i = 0; i < nMels; i++) {
    const lowDiff = melF[i + 1] - melF[i];
    const highDiff = melF[i + 2] - melF[i + 1];
    const enorm = o.melNorm === 'slaney' ? 2 / (melF[i + 2] - melF[i]) : 1;
    for (let k = 0; k < nBins; k++) {
      const f = (k * sampleRate) / nFft;
      const lower = (f - melF[i]) / lowDiff;
      const upper = (melF[i + 2] - f) / highDiff;
      const v = Math.max(0, Math.min(lower, upper));
      // librosa stores float32 weights, then scales them in float32.
      w[i * nBins + k] = Math.fround(Math.fround(v) * enorm);
    }
  }
  return w;
}

/**
 * A mel filterbank matrix, as `librosa.filters.mel`: triangular filters spaced evenly on the mel
 * scale between `fmin` and `fmax`, applied to the `nFft/2 + 1` bins of a power spectrum.
 *
 * Reference: Slaney, M. (1998). Auditory Toolbox, version 2. Interval Research Corporation.
 *
 * @param options - See {@link MelFilterbankOptions}.
 * @returns A {@link FeatureMatrix}-shaped object: `frames` = `nMels` rows, `features` = `nFft/2 + 1`
 * columns, row-major (the same layout as librosa's `[n_mels, 1 + n_fft/2]`).
 *
 * @example
 * ```ts
 * const fb = melFilterbank({ sampleRate: 16000, nFft: 512, nMels: 40 });
 * fb.data.length === 40 * 257;  // true
 * ```
 */
export function melFilterbank(options: MelFilterbankOptions): {
  data: Float32Array;
  frames: number;
  features: number;
} {
  checkKnownOptions('melFilterbank', options, MEL_KEYS);
  const nFft = checkInt('melFilterbank', 'nFft', options.nFft ?? 2048, 2);
  const o = resolveMelOptions('melFilterbank', { ...options, nFft });
  const nBins = Math.floor(nFft / 2) + 1;
  return { data: denseWeights(o, nBins), frames: o.nMels, features: nBins };
}
