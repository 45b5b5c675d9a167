import { SpeechEmotionError } from '../errors.js';
import { type RealFftPlan, realFftPlan } from './fft.js';
import type { SparseFilterbank } from './mel.js';
import type { FeatureMatrix, PadMode, WindowName } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal, invalid } from './validate.js';
import { windowCached, windowNames } from './window.js';

/** Short-time Fourier transform options; names and defaults are librosa's (`librosa.stft`). */
export interface StftOptions {
  /** FFT size in samples; any integer ≥ 2 (not only powers of two). Default 2048. */
  nFft?: number;
  /** Samples between successive frames. Default `floor(winLength / 4)`. */
  hopLength?: number;
  /** Window length in samples, ≤ `nFft`; a shorter window is zero-padded to the centre of the frame. Default `nFft`. */
  winLength?: number;
  /** Analysis window (periodic). Default `'hann'`. */
  window?: WindowName;
  /** Centre frame `t` on sample `t · hopLength` by padding `nFft / 2` samples at each end. Default `true`. */
  center?: boolean;
  /** Padding used when `center` is true. Default `'constant'` (zeros), as librosa ≥ 0.9. */
  padMode?: PadMode;
}

/** Options of {@link spectrogram}. */
export interface SpectrogramOptions extends StftOptions {
  /** Exponent of the magnitude: 2 (default) for power, 1 for magnitude. */
  power?: number;
}

/** @internal */
export const STFT_KEYS = ['nFft', 'hopLength', 'winLength', 'window', 'center', 'padMode'] as const;

/** Validated STFT parameters. @internal */
export interface ResolvedStft {
  nFft: number;
  hopLength: number;
  winLength: number;
  window: WindowName;
  center: boolean;
  padMode: PadMode;
}

/** @internal */
export function resolveStftOptions(fn: string, o: StftOptions): ResolvedStft {
  const nFft = checkInt(fn, 'nFft', o.nFft ?? 2048, 2);
  const winLength = checkInt(fn, 'winLength', o.winLength ?? nFft, 1);
  if (winLength > nFft) {
    throw invalid(
      fn,
      `'winLength' (${winLength}) must be ≤ 'nFft' (${nFft}). Raise nFft or shorten the window.`,
    );
  }
  const hopLength = o.hopLength ?? Math.floor(winLength / 4);
  if (typeof hopLength !== 'number' || !Number.isInteger(hopLength) || hopLength <= 0) {
    throw invalid(fn, `'hopLength' must be an integer > 0, got ${String(hopLength)}.`);
  }
  const window = checkOneOf(fn, 'window', o.window ?? 'hann', windowNames);
  const center = checkOneOf(fn, 'center', o.center ?? true, [true, false]);
  const padMode = checkOneOf(fn, 'padMode', o.padMode ?? 'constant', ['constant', 'reflect'] as const);
  return { nFft, hopLength, winLength, window, center, padMode };
}

/** Validates a spectrum exponent. @internal */
export function resolvePower(fn: string, power: number | undefined): number {
  return checkNumber(fn, 'power', power ?? 2, 'positive');
}

/**
 * Number of frames librosa produces for `n` samples. Throws `SIGNAL_TOO_SHORT` when a
 * non-centred signal is shorter than one frame.
 * @internal
 */
export function frameCount(fn: string, n: number, s: ResolvedStft): number {
  const padded = s.center ? n + 2 * Math.floor(s.nFft / 2) : n;
  if (padded < s.nFft) {
    throw new SpeechEmotionError(
      'SIGNAL_TOO_SHORT',
      `${fn}: the signal has ${n} samples, fewer than one frame of nFft = ${s.nFft} with center = false. Use center: true, a smaller nFft, or a longer signal.`,
    );
  }
  return 1 + Math.floor((padded - s.nFft) / s.hopLength);
}

/** Maps an index outside [0, n) to its mirror image without repeating the edge (numpy 'reflect'). @internal */
export function reflectIndex(j: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let r = j % period;
  if (r < 0) r += period;
  return r >= n ? period - r : r;
}

/** Writes `|z|^power` given `|z|²`. */
function powerOf(sq: number, power: number): number {
  return power === 2 ? sq : power === 1 ? Math.sqrt(sq) : sq ** (power / 2);
}

/**
 * Windowed power spectra of frames of a (virtually padded) signal. One per parameter set; holds the
 * frame buffers, so no allocation per frame.
 *
 * Frames go through the FFT two at a time where possible: frame A as the real part and frame B as
 * the imaginary part of one complex transform Z, then A[k] = (Z[k] + conj Z[n−k]) / 2 and
 * B[k] = (Z[k] − conj Z[n−k]) / 2i. One complex FFT costs about 1.3 real ones.
 * @internal
 */
export class FrameAnalyzer {
  readonly stft: ResolvedStft;
  readonly nBins: number;
  /** Left padding of the virtual signal: frame t starts at t·hop − padLeft. */
  readonly padLeft: number;
  /** The FFT plan (size nFft). */
  readonly plan: RealFftPlan;
  private readonly frame: Float64Array;
  private readonly pair: Float64Array;
  /** The window (winLength samples) and where it sits in the nFft frame. */
  readonly win: Float64Array;
  readonly winStart: number;
  /** A spare spectrum-sized buffer for callers. */
  readonly scratch: Float64Array;

  /** `plan`: the FFT plan of size `stft.nFft` to use (default: fft.js's, {@link realFftPlan}). */
  constructor(stft: ResolvedStft, plan: RealFftPlan = realFftPlan(stft.nFft)) {
    this.stft = stft;
    this.nBins = Math.floor(stft.nFft / 2) + 1;
    this.padLeft = stft.center ? Math.floor(stft.nFft / 2) : 0;
    this.plan = plan;
    this.frame = new Float64Array(stft.nFft);
    this.pair = new Float64Array(2 * stft.nFft);
    this.scratch = new Float64Array(this.nBins);
    this.win = windowCached(stft.window, stft.winLength, true);
    // librosa.util.pad_center: the window sits in the middle of the nFft frame.
    this.winStart = Math.floor((stft.nFft - stft.winLength) / 2);
  }

  /**
   * Writes the windowed frame starting at absolute sample `start` into `dst[(winStart + i)·stride + lane]`.
   * `src[i]` holds absolute sample `srcOffset + i` of a signal of `n` samples; samples outside
   * [0, n) come from the padding mode. Positions outside the window are left as they are (zero).
   */
  private load(
    src: Float32Array | Float64Array,
    srcOffset: number,
    n: number,
    start: number,
    dst: Float64Array,
    stride: number,
    lane: number,
  ): void {
    const { win, winStart } = this;
    const wl = win.length;
    const first = start + winStart;
    let d = winStart * stride + lane;
    if (first >= 0 && first + wl <= n) {
      const base = first - srcOffset;
      for (let i = 0; i < wl; i++, d += stride) dst[d] = src[base + i] * win[i];
      return;
    }
    const reflect = this.stft.padMode === 'reflect';
    for (let i = 0; i < wl; i++, d += stride) {
      let j = first + i;
      if (j < 0 || j >= n) {
        if (!reflect) {
          dst[d] = 0;
          continue;
        }
        j = reflectIndex(j, n);
      }
      dst[d] = src[j - srcOffset] * win[i];
    }
  }

  /**
   * The complex spectrum of the windowed frame starting at absolute sample `start`: bins
   * `0..nFft/2` interleaved `[re, im, …]` in a plan-owned buffer, valid until the next call.
   */
  spectrumFrame(src: Float32Array | Float64Array, srcOffset: number, n: number, start: number): Float64Array {
    this.load(src, srcOffset, n, start, this.frame, 1, 0);
    return this.plan.forward(this.frame);
  }

  /**
   * Writes |FFT|^power of the frame starting at absolute sample `start` into
   * `out[outOffset .. outOffset + nBins)`.
   */
  powerFrame(
    src: Float32Array | Float64Array,
    srcOffset: number,
    n: number,
    start: number,
    out: Float64Array,
    outOffset: number,
    power: number,
  ): void {
    this.load(src, srcOffset, n, start, this.frame, 1, 0);
    const spec = this.plan.forward(this.frame);
    for (let k = 0; k < this.nBins; k++) {
      const re = spec[2 * k];
      const im = spec[2 * k + 1];
      out[outOffset + k] = powerOf(re * re + im * im, power);
    }
  }

  /**
   * Loads frames A and B as the real and imaginary parts of one complex frame and transforms it;
   * returns the complex spectrum Z (plan-owned buffer, valid until the next call).
   */
  transformPair(
    src: Float32Array | Float64Array,
    srcOffset: number,
    n: number,
    startA: number,
    startB: number,
  ): Float64Array {
    const { win, winStart, pair } = this;
    const wl = win.length;
    const firstA = startA + winStart;
    const firstB = startB + winStart;
    if (firstA >= 0 && firstB >= 0 && firstA + wl <= n && firstB + wl <= n) {
      const a = firstA - srcOffset;
      const b = firstB - srcOffset;
      for (let i = 0, d = 2 * winStart; i < wl; i++, d += 2) {
        const w = win[i];
        pair[d] = src[a + i] * w;
        pair[d + 1] = src[b + i] * w;
      }
    } else {
      this.load(src, srcOffset, n, startA, pair, 2, 0);
      this.load(src, srcOffset, n, startB, pair, 2, 1);
    }
    return this.plan.transform(pair);
  }

  /** {@link FrameAnalyzer.powerFrame} for two frames at once, through one complex FFT. */
  powerFramePair(
    src: Float32Array | Float64Array,
    srcOffset: number,
    n: number,
    startA: number,
    startB: number,
    out: Float64Array,
    outA: number,
    outB: number,
    power: number,
  ): void {
    const z = this.transformPair(src, srcOffset, n, startA, startB);
    const nFft = this.stft.nFft;
    for (let k = 0; k < this.nBins; k++) {
      // Bin 0 pairs with itself (m = 0); bin k with bin nFft − k.
      const m = k === 0 ? 0 : 2 * (nFft - k);
      const ar = z[2 * k] + z[m];
      const ai = z[2 * k + 1] - z[m + 1];
      const br = z[2 * k + 1] + z[m + 1];
      const bi = z[2 * k] - z[m];
      out[outA + k] = powerOf(0.25 * (ar * ar + ai * ai), power);
      out[outB + k] = powerOf(0.25 * (br * br + bi * bi), power);
    }
  }

  /**
   * Mel power of two frames at once: like {@link FrameAnalyzer.powerFramePair} followed by
   * {@link applyFilterbank} on each, but the interval sums S and T of the filterbank are
   * accumulated straight from Z, so the two power spectra are never stored, and bins outside
   * fmin..fmax are never separated.
   */
  melPair(
    src: Float32Array | Float64Array,
    srcOffset: number,
    n: number,
    startA: number,
    startB: number,
    fb: SparseFilterbank,
    power: number,
    out: Float64Array,
    outA: number,
    outB: number,
  ): void {
    const z = this.transformPair(src, srcOffset, n, startA, startB);
    const nFft = this.stft.nFft;
    const { binStart, rise, scale, nMels } = fb;
    let tPrevA = 0;
    let tPrevB = 0;
    for (let j = 0; j <= nMels; j++) {
      let sA = 0;
      let tA = 0;
      let sB = 0;
      let tB = 0;
      for (let k = binStart[j], end = binStart[j + 1]; k < end; k++) {
        const m = k === 0 ? 0 : 2 * (nFft - k);
        const ar = z[2 * k] + z[m];
        const ai = z[2 * k + 1] - z[m + 1];
        const br = z[2 * k + 1] + z[m + 1];
        const bi = z[2 * k] - z[m];
        const pA = powerOf(0.25 * (ar * ar + ai * ai), power);
        const pB = powerOf(0.25 * (br * br + bi * bi), power);
        const r = rise[k];
        sA += pA;
        tA += r * pA;
        sB += pB;
        tB += r * pB;
      }
      // Interval j is the rising edge of band j and the falling edge of band j − 1.
      if (j > 0) {
        out[outA + j - 1] = scale[j - 1] * (tPrevA + sA - tA);
        out[outB + j - 1] = scale[j - 1] * (tPrevB + sB - tB);
      }
      tPrevA = tA;
      tPrevB = tB;
    }
  }
}

/** out[outOffset + i] = Σ_k fb[i,k] · spec[specOffset + k]. @internal */
export function applyFilterbank(
  fb: SparseFilterbank,
  spec: Float64Array,
  specOffset: number,
  out: Float64Array,
  outOffset: number,
): void {
  const { binStart, rise, scale, nMels } = fb;
  // Interval 0 only feeds band 0's rising edge.
  let tPrev = 0;
  for (let k = binStart[0], end = binStart[1]; k < end; k++) tPrev += rise[k] * spec[specOffset + k];
  for (let i = 0; i < nMels; i++) {
    let s = 0;
    let t = 0;
    for (let k = binStart[i + 1], end = binStart[i + 2]; k < end; k++) {
      const p = spec[specOffset + k];
      s += p;
      t += rise[k] * p;
    }
    out[outOffset + i] = scale[i] * (tPrev + s - t);
    tPrev = t;
  }
}

const analyzers = new Map<(size: number) => RealFftPlan, Map<string, FrameAnalyzer>>();

/**
 * The cached analyzer for these STFT parameters: its buffers are reused from call to call.
 * `planFor` makes its FFT plan (default: fft.js's); analyzers are cached per plan maker.
 * @internal
 */
export function analyzerFor(
  stft: ResolvedStft,
  planFor: (size: number) => RealFftPlan = realFftPlan,
): FrameAnalyzer {
  const key = `${stft.nFft}:${stft.hopLength}:${stft.winLength}:${stft.window}:${stft.center}:${stft.padMode}`;
  let cache = analyzers.get(planFor);
  if (!cache) {
    cache = new Map();
    analyzers.set(planFor, cache);
  }
  let a = cache.get(key);
  if (!a) {
    a = new FrameAnalyzer(stft, planFor(stft.nFft));
    cache.set(key, a);
  }
  return a;
}

/**
 * Mel power of every frame of `signal`, float64, frame-major `frames × nMels`. Shared by
 * melSpectrogram and extractMfcc. `planFor` makes the FFT plan (default: fft.js's). @internal
 */
export function melPowerFrames(
  fn: string,
  signal: Float32Array | Float64Array,
  stft: ResolvedStft,
  fb: SparseFilterbank,
  power: number,
  planFor: (size: number) => RealFftPlan = realFftPlan,
): { data: Float64Array; frames: number } {
  const frames = frameCount(fn, signal.length, stft);
  const analyzer = analyzerFor(stft, planFor);
  const spec = analyzer.scratch;
  const out = new Float64Array(frames * fb.nMels);
  const n = signal.length;
  const hop = stft.hopLength;
  const pad = analyzer.padLeft;
  let t = 0;
  for (; t + 1 < frames; t += 2) {
    analyzer.melPair(
      signal,
      0,
      n,
      t * hop - pad,
      (t + 1) * hop - pad,
      fb,
      power,
      out,
      t * fb.nMels,
      (t + 1) * fb.nMels,
    );
  }
  if (t < frames) {
    analyzer.powerFrame(signal, 0, n, t * hop - pad, spec, 0, power);
    applyFilterbank(fb, spec, 0, out, t * fb.nMels);
  }
  return { data: out, frames };
}

/**
 * Magnitude or power spectrogram, `|STFT|^power`, as `numpy.abs(librosa.stft(y, …)) ** power`.
 *
 * Frames are windowed with a periodic window; `nFft` may be any size ≥ 2 (sizes that are not powers
 * of two are transformed exactly with Bluestein's algorithm, never zero-padded).
 *
 * @param signal - Mono samples.
 * @param options - See {@link SpectrogramOptions}.
 * @returns `frames × (nFft/2 + 1)` values, frame-major. Bin `k` is `k · sampleRate / nFft` Hz.
 *
 * @example
 * ```ts
 * const S = spectrogram(signal, { nFft: 512, hopLength: 160, winLength: 400 });
 * S.features;  // 257
 * ```
 */
export function spectrogram(
  signal: Float32Array | Float64Array,
  options: SpectrogramOptions = {},
): FeatureMatrix {
  checkKnownOptions('spectrogram', options, [...STFT_KEYS, 'power']);
  checkSignal('spectrogram', signal);
  const stft = resolveStftOptions('spectrogram', options);
  const power = resolvePower('spectrogram', options.power);
  const frames = frameCount('spectrogram', signal.length, stft);
  const analyzer = analyzerFor(stft);
  const out = new Float64Array(frames * analyzer.nBins);
  for (let t = 0; t < frames; t++) {
    analyzer.powerFrame(
      signal,
      0,
      signal.length,
      t * stft.hopLength - analyzer.padLeft,
      out,
      t * analyzer.nBins,
      power,
    );
  }
  return { data: Float32Array.from(out), frames, features: analyzer.nBins };
}
