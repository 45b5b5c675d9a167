import type { FeatureMatrix } from './types.js';
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
 * A triangular mel filterbank in interval form. The `nMels + 2` mel points split the spectrum into
 * `nMels + 1` intervals; interval `j` holds bins `binStart[j] .. binStart[j + 1] − 1`, where bin `k`
 * has rising weight `rise[k]` (0 at point j, 1 at point j + 1). With S_j = Σ p_k and
 * T_j = Σ rise_k · p_k over interval j, band i = `scale[i]` · (T_i + S_(i+1) − T_(i+1)): one
 * multiply-add per bin instead of one per (bin, band) pair. Cached by parameters; do not modify.
 * @internal
 */
export interface SparseFilterbank {
  readonly nMels: number;
  readonly nBins: number;
  /** Length nMels + 2: first bin of each interval, then the end of the last one. */
  readonly binStart: Int32Array;
  readonly rise: Float64Array;
  readonly scale: Float64Array;
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

/** The cached interval-form filterbank for resolved options. @internal */
export function sparseFilterbank(o: ResolvedMel): SparseFilterbank {
  const key = `${o.sampleRate}:${o.nFft}:${o.nMels}:${o.fmin}:${o.fmax}:${o.htk}:${o.melNorm}`;
  let fb = cache.get(key);
  if (fb) return fb;
  const nBins = Math.floor(o.nFft / 2) + 1;
  const melF = melPoints(o);
  const binStart = new Int32Array(o.nMels + 2);
  const rise = new Float64Array(nBins);
  // Bins are assigned to the interval [melF[j], melF[j + 1]) that holds their frequency; a bin
  // exactly on a point has weight 0 in the band that ends there and rise 0 in the next.
  let k = 0;
  for (let j = 0; j <= o.nMels + 1; j++) {
    while (k < nBins && k * (o.sampleRate / o.nFft) < melF[j]) k++;
    binStart[j] = k;
  }
  for (let j = 0; j <= o.nMels; j++) {
    const width = melF[j + 1] - melF[j];
    for (let b = binStart[j]; b < binStart[j + 1]; b++)
      rise[b] = (b * (o.sampleRate / o.nFft) - melF[j]) / width;
  }
  const scale = new Float64Array(o.nMels);
  for (let i = 0; i < o.nMels; i++) scale[i] = o.melNorm === 'slaney' ? 2 / (melF[i + 2] - melF[i]) : 1;
  fb = { nMels: o.nMels, nBins, binStart, rise, scale };
  cache.set(key, fb);
  return fb;
}

/** The nMels + 2 band edges in Hz, evenly spaced in mels (librosa.mel_frequencies). */
function melPoints(o: ResolvedMel): Float64Array {
  const melMin = hzToMel(o.fmin, o.htk);
  const melMax = hzToMel(o.fmax, o.htk);
  const melF = new Float64Array(o.nMels + 2);
  for (let i = 0; i < o.nMels + 2; i++)
    melF[i] = melToHz(melMin + ((melMax - melMin) * i) / (o.nMels + 1), o.htk);
  return melF;
}

/** librosa.filters.mel, computed in float64 and stored as float32 as librosa does. */
function denseWeights(o: ResolvedMel, nBins: number): Float32Array {
  const { nMels, sampleRate, nFft } = o;
  const melF = melPoints(o);
  const w = new Float32Array(nMels * nBins);
  for (let i = 0; i < nMels; i++) {
    const lowDiff = melF[i + 1] - melF[i];
    const highDiff = melF[i + 2] - melF[i + 1];
    const enorm = o.melNorm === 'slaney' ? 2 / (melF[i + 2] - melF[i]) : 1;
    for (let k = 0; k < nBins; k++) {
      const f = k * (sampleRate / nFft); // numpy.fft.rfftfreq
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
 * @returns The weights as a {@link FeatureMatrix} whose rows (`frames`) are the `nMels` bands and
 * whose columns (`features`) are the `nFft/2 + 1` bins: the same layout as librosa's
 * `[n_mels, 1 + n_fft/2]`.
 *
 * @example
 * ```ts
 * const fb = melFilterbank({ sampleRate: 16000, nFft: 512, nMels: 40 });
 * fb.data.length === 40 * 257;  // true
 * ```
 */
export function melFilterbank(options: MelFilterbankOptions): FeatureMatrix {
  checkKnownOptions('melFilterbank', options, MEL_KEYS);
  const nFft = checkInt('melFilterbank', 'nFft', options.nFft ?? 2048, 2);
  const o = resolveMelOptions('melFilterbank', { ...options, nFft });
  const nBins = Math.floor(nFft / 2) + 1;
  return { data: denseWeights(o, nBins), frames: o.nMels, features: nBins };
}
