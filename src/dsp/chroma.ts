import { wasmFilterbankProduct } from './simd.js';
import { type SpectralFeatureOptions, rint, spectralInput } from './spectral-shape.js';
import type { FeatureMatrix } from './types.js';
import { checkInt, checkNumber, invalid } from './validate.js';

/** Options of {@link chromaStft}: `librosa.feature.chroma_stft`. */
export interface ChromaStftOptions extends SpectralFeatureOptions {
  /** Number of chroma bins per octave. Default 12. */
  nChroma?: number;
  /**
   * Deviation from A440 tuning in fractions of a chroma bin. Default: estimated from the signal as
   * librosa does ({@link estimateTuning} on the power spectrogram).
   */
  tuning?: number;
  /** Normalisation of each frame's chroma vector: `Infinity` (default, max = 1), 1, 2, or `null` for none. */
  norm?: number | null;
  /** Centre of the octave weighting, in octaves above C0 (16.35 Hz)… as librosa's `ctroct`. Default 5. */
  ctroct?: number;
  /** Width of the Gaussian octave weighting, in octaves; `null` for a flat one. Default 2. */
  octwidth?: number | null;
  /** Start the chroma at C (`true`, default) or at A. */
  baseC?: boolean;
}

/** Options of {@link estimateTuning}: `librosa.estimate_tuning` (through `librosa.piptrack`). */
export interface EstimateTuningOptions extends SpectralFeatureOptions {
  /** Histogram resolution in fractions of a bin. Default 0.01. */
  resolution?: number;
  /** Bins per octave. Default 12. */
  binsPerOctave?: number;
  /** Lowest frequency of the peaks considered, in Hz. Default 150. */
  fmin?: number;
  /** Highest frequency of the peaks considered, in Hz. Default 4000. */
  fmax?: number;
  /** Peaks below `threshold` × the frame's maximum are ignored. Default 0.1. */
  threshold?: number;
}

const F32 = Math.fround;

/**
 * librosa.piptrack on a float32 spectrogram (magnitude or power), frame-major: the interpolated
 * frequency and height of each thresholded spectral peak. Every step is rounded to float32 where
 * librosa's arrays are float32, so the tuning histogram below bins the same values.
 */
function piptrack(
  S: Float32Array,
  frames: number,
  bins: number,
  sampleRate: number,
  nFft: number,
  fmin: number,
  fmax: number,
  threshold: number,
): { pitch: number[]; mag: number[] } {
  const lo = Math.max(fmin, 0);
  const hi = Math.min(fmax, sampleRate / 2);
  const pitch: number[] = [];
  const mag: number[] = [];
  const thr = new Float32Array(bins);
  // The bins whose frequency k·sampleRate/nFft lies in [lo, hi), as that expression rounds.
  let kLo = 0;
  while (kLo < bins && !(lo <= (kLo * sampleRate) / nFft)) kLo++;
  let kHi = kLo;
  while (kHi < bins && (kHi * sampleRate) / nFft < hi) kHi++;
  // Thresholded values are read at k − 1 … k + 1.
  const tLo = Math.max(0, kLo - 1);
  const tHi = Math.min(bins, kHi + 1);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    let max = 0;
    for (let k = 0; k < bins; k++) if (S[o + k] > max) max = S[o + k];
    const ref = F32(threshold * max);
    for (let k = tLo; k < tHi; k++) thr[k] = S[o + k] > ref ? S[o + k] : 0;
    for (let k = kLo; k < kHi; k++) {
      // util.localmax with edge padding: strictly above the left neighbour, not below the right.
      if (!(k > 0 && thr[k] > thr[k - 1] && (k === bins - 1 || thr[k] >= thr[k + 1]))) continue;
      // Parabolic shift (librosa's numba stencil; 0 at the edges and where it would exceed a bin).
      let shift = 0;
      if (k < bins - 1) {
        const a = F32(S[o + k + 1] + S[o + k - 1]) - 2 * S[o + k];
        const b = F32(S[o + k + 1] - S[o + k - 1]) / 2;
        shift = Math.abs(b) >= Math.abs(a) ? 0 : F32(-b / a);
      }
      // np.gradient: central differences inside, one-sided at the last bin.
      const avg = k < bins - 1 ? F32(F32(S[o + k + 1] - S[o + k - 1]) / 2) : F32(S[o + k] - S[o + k - 1]);
      const p = F32(((k + shift) * sampleRate) / nFft);
      if (p === 0) continue;
      pitch.push(p);
      mag.push(F32(S[o + k] + F32(F32(0.5 * avg) * shift)));
    }
  }
  return { pitch, mag };
}

/** librosa.pitch_tuning: the histogram peak of the frequencies' deviation from the A440 grid. */
function pitchTuning(freqs: number[], resolution: number, binsPerOctave: number): number {
  const nBins = Math.ceil(1 / resolution);
  const step = 1 / nBins;
  const edges = new Float64Array(nBins + 1);
  for (let i = 0; i < nBins; i++) edges[i] = i * step + -0.5;
  edges[nBins] = 0.5;
  const counts = new Int32Array(nBins);
  let any = false;
  for (const f of freqs) {
    if (!(f > 0)) continue;
    any = true;
    // float32 throughout, as librosa's arrays are: log2(f / 27.5) · binsPerOctave, mod 1.
    let r = F32(binsPerOctave * F32(Math.log2(F32(f / 27.5)))) % 1;
    if (r < 0) r = F32(r + 1);
    if (r >= 0.5) r -= 1;
    // np.histogram's binning, exact at the edges.
    if (r < edges[0] || r > edges[nBins]) continue;
    let i = Math.floor((r - edges[0]) * (nBins / (edges[nBins] - edges[0])));
    if (i === nBins) i--;
    if (r < edges[i]) i--;
    else if (i !== nBins - 1 && r >= edges[i + 1]) i++;
    counts[i]++;
  }
  if (!any) return 0;
  let best = 0;
  for (let i = 1; i < nBins; i++) if (counts[i] > counts[best]) best = i;
  return edges[best];
}

/** The median of float32 values as numpy takes it (the mean of the middle two in float32). */
function medianF32(values: number[]): number {
  const s = Float32Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : F32(F32(s[m - 1] + s[m]) / 2);
}

/** estimate_tuning on a float32 spectrogram. @internal */
export function tuningOfSpectrum(
  S: Float32Array,
  frames: number,
  bins: number,
  sampleRate: number,
  nFft: number,
  o: { resolution: number; binsPerOctave: number; fmin: number; fmax: number; threshold: number },
): number {
  const { pitch, mag } = piptrack(S, frames, bins, sampleRate, nFft, o.fmin, o.fmax, o.threshold);
  const threshold = pitch.length ? medianF32(mag) : 0;
  return pitchTuning(
    pitch.filter((_, i) => mag[i] >= threshold),
    o.resolution,
    o.binsPerOctave,
  );
}

/**
 * Estimates the tuning deviation from A440 of a recording, as `librosa.estimate_tuning(y=signal, sr)`:
 * spectral peaks between `fmin` and `fmax` are located by parabolic interpolation
 * (`librosa.piptrack`), the louder half of them is kept, and the histogram of their deviation from
 * the nearest bin of the equal-tempered grid gives the answer.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options, and see {@link EstimateTuningOptions}.
 * @returns The deviation in fractions of a bin, in [−0.5, 0.5), a multiple of `resolution`.
 *
 * @example
 * ```ts
 * estimateTuning(signal, { sampleRate: 16000 });  // e.g. -0.08: a little flat
 * ```
 */
export function estimateTuning(signal: Float32Array | Float64Array, options: EstimateTuningOptions): number {
  const fn = 'estimateTuning';
  const keys = ['resolution', 'binsPerOctave', 'fmin', 'fmax', 'threshold'];
  const { sampleRate, stft, data, frames, bins } = spectralInput(fn, signal, options, keys);
  return tuningOfSpectrum(data, frames, bins, sampleRate, stft.nFft, resolveTuning(fn, options));
}

function resolveTuning(fn: string, o: EstimateTuningOptions) {
  const resolution = checkNumber(fn, 'resolution', o.resolution ?? 0.01, 'positive');
  if (!(resolution < 1)) throw invalid(fn, `'resolution' must be in (0, 1), got ${resolution}.`);
  const fmin = checkNumber(fn, 'fmin', o.fmin ?? 150, 'nonnegative');
  const fmax = checkNumber(fn, 'fmax', o.fmax ?? 4000, 'positive');
  if (fmin >= fmax) throw invalid(fn, `'fmin' (${fmin}) must be below 'fmax' (${fmax}).`);
  return {
    resolution,
    binsPerOctave: checkInt(fn, 'binsPerOctave', o.binsPerOctave ?? 12, 1),
    fmin,
    fmax,
    threshold: checkNumber(fn, 'threshold', o.threshold ?? 0.1, 'nonnegative'),
  };
}

/** Python's `%` (numpy.remainder) for floats: the result takes the divisor's sign. */
function remainder(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

/**
 * The chroma filterbank, as `librosa.filters.chroma`: `nChroma × (nFft/2 + 1)` Gaussian bumps in
 * log-frequency, each column normalised to unit L2 norm and weighted by a Gaussian over octaves.
 * @internal
 */
export function chromaFilterbank(
  sampleRate: number,
  nFft: number,
  nChroma: number,
  tuning: number,
  ctroct: number,
  octwidth: number | null,
  baseC: boolean,
): Float32Array {
  const key = `${sampleRate}:${nFft}:${nChroma}:${tuning}:${ctroct}:${octwidth}:${baseC}`;
  const cached = filterbanks.get(key);
  if (cached) return cached;
  const a440 = 440 * 2 ** (tuning / nChroma);
  const frqbins = new Float64Array(nFft);
  const step = sampleRate / nFft;
  for (let k = 1; k < nFft; k++) frqbins[k] = nChroma * Math.log2((k * step) / (a440 / 16));
  frqbins[0] = frqbins[1] - 1.5 * nChroma;
  const width = new Float64Array(nFft);
  for (let k = 0; k < nFft - 1; k++) width[k] = Math.max(frqbins[k + 1] - frqbins[k], 1);
  width[nFft - 1] = 1;
  const half = rint(nChroma / 2);
  const bins = Math.floor(nFft / 2) + 1;
  const w = new Float64Array(nChroma * bins);
  const col = new Float64Array(nChroma);
  for (let k = 0; k < bins; k++) {
    let sq = 0;
    for (let c = 0; c < nChroma; c++) {
      const d = remainder(frqbins[k] - c + half + 10 * nChroma, nChroma) - half;
      const x = (2 * d) / width[k];
      col[c] = Math.exp(-0.5 * x * x);
      sq += col[c] * col[c];
    }
    const norm = Math.sqrt(sq);
    // librosa.util.normalize leaves a column whose norm is below float64's smallest normal unscaled.
    const scale = norm < 2.2250738585072014e-308 ? 1 : norm;
    const oct = octwidth === null ? 1 : Math.exp(-0.5 * ((frqbins[k] / nChroma - ctroct) / octwidth) ** 2);
    const roll = baseC ? 3 * Math.floor(nChroma / 12) : 0;
    for (let c = 0; c < nChroma; c++) w[c * bins + k] = (col[(c + roll) % nChroma] / scale) * oct;
  }
  const fb = Float32Array.from(w);
  filterbanks.set(key, fb);
  return fb;
}

/** Chroma filterbanks by their parameters, as the mel filterbanks are cached. */
const filterbanks = new Map<string, Float32Array>();

/**
 * Chromagram from the power spectrogram, as `librosa.feature.chroma_stft(y, sr)`: the energy of each
 * of `nChroma` pitch classes per frame (Ellis, 2007), C first, each frame scaled so its largest
 * class is 1. When `tuning` is not given it is estimated from the signal as librosa does.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, STFT options, and see {@link ChromaStftOptions}.
 * @returns `frames × nChroma`, unitless (0 … 1 with the default `norm`).
 *
 * @example
 * ```ts
 * const c = chromaStft(signal, { sampleRate: 16000 });
 * c.data.subarray(0, 12);  // C, C#, D, … B of the first frame
 * ```
 */
export function chromaStft(signal: Float32Array | Float64Array, options: ChromaStftOptions): FeatureMatrix {
  const fn = 'chromaStft';
  const keys = ['nChroma', 'tuning', 'norm', 'ctroct', 'octwidth', 'baseC'];
  const { sampleRate, stft, data, frames, bins } = spectralInput(fn, signal, options, keys);
  const nChroma = checkInt(fn, 'nChroma', options.nChroma ?? 12, 1);
  const norm = options.norm === undefined ? Number.POSITIVE_INFINITY : options.norm;
  if (norm !== null && !(norm === Number.POSITIVE_INFINITY || (typeof norm === 'number' && norm > 0))) {
    throw invalid(fn, `'norm' must be Infinity, a number > 0 or null, got ${String(norm)}.`);
  }
  const ctroct = checkNumber(fn, 'ctroct', options.ctroct ?? 5, 'any');
  const octwidth = options.octwidth === undefined ? 2 : options.octwidth;
  if (octwidth !== null) checkNumber(fn, 'octwidth', octwidth, 'positive');
  const baseC = options.baseC ?? true;
  // Power spectrogram, float32 as librosa's `np.abs(stft) ** 2`.
  for (let i = 0; i < data.length; i++) data[i] = data[i] * data[i];
  const tuning =
    options.tuning === undefined
      ? tuningOfSpectrum(data, frames, bins, sampleRate, stft.nFft, {
          resolution: 0.01,
          binsPerOctave: nChroma,
          fmin: 150,
          fmax: 4000,
          threshold: 0.1,
        })
      : checkNumber(fn, 'tuning', options.tuning, 'any');
  const fb = chromaFilterbank(sampleRate, stft.nFft, nChroma, tuning, ctroct, octwidth, baseC);
  const out = new Float32Array(frames * nChroma);
  const sums =
    wasmFilterbankProduct(fb, nChroma, data, frames, bins) ??
    filterbankProduct(fb, nChroma, data, frames, bins);
  for (let t = 0; t < frames; t++) {
    let scale = 0;
    for (let c = 0; c < nChroma; c++) {
      const s = sums[t * nChroma + c];
      if (norm === Number.POSITIVE_INFINITY) scale = Math.max(scale, Math.abs(s));
      else if (norm !== null) scale += Math.abs(s) ** norm;
    }
    if (norm !== null && norm !== Number.POSITIVE_INFINITY) scale **= 1 / norm;
    // librosa.util.normalize: a frame whose norm is below float32's smallest normal stays unscaled.
    if (norm === null || scale < 1.1754943508222875e-38) scale = 1;
    for (let c = 0; c < nChroma; c++) out[t * nChroma + c] = sums[t * nChroma + c] / scale;
  }
  return { data: out, frames, features: nChroma };
}

/**
 * `Σ_k fb[c·bins + k] · data[t·bins + k]` for every frame t and filter c, in JavaScript: where the
 * WebAssembly kernel cannot run. Four partial sums per filter, so the adds overlap (numpy's float32
 * dot has its own order too; the results agree to rounding). @internal
 */
export function filterbankProduct(
  fb: Float32Array,
  rows: number,
  data: Float32Array,
  frames: number,
  bins: number,
) {
  const out = new Float64Array(frames * rows);
  for (let t = 0; t < frames; t++) {
    const o = t * bins;
    for (let c = 0; c < rows; c++) {
      const r = c * bins;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < bins; k += 4) {
        s0 += fb[r + k] * data[o + k];
        s1 += fb[r + k + 1] * data[o + k + 1];
        s2 += fb[r + k + 2] * data[o + k + 2];
        s3 += fb[r + k + 3] * data[o + k + 3];
      }
      for (; k < bins; k++) s0 += fb[r + k] * data[o + k];
      out[t * rows + c] = s0 + s1 + (s2 + s3);
    }
  }
  return out;
}
