import { SpeechEmotionError } from '../errors.js';
import { reflectIndex } from './spectral.js';
import type { FeatureMatrix, PadMode } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal } from './validate.js';

/** Framing of the time-domain features ({@link rms}, {@link zeroCrossingRate}); librosa's names and defaults. */
export interface TimeFrameOptions {
  /** Sample rate of the signal in Hz (checked; the values do not depend on it). */
  sampleRate: number;
  /** Samples per frame. Default 2048. */
  frameLength?: number;
  /** Samples between successive frames. Default 512. */
  hopLength?: number;
  /** Centre frame `t` on sample `t · hopLength` by padding `frameLength / 2` samples at each end. Default `true`. */
  center?: boolean;
}

/** Options of {@link rms}: `librosa.feature.rms(y=…)`. */
export interface RmsOptions extends TimeFrameOptions {
  /** Padding used when `center` is true. Default `'constant'` (zeros). */
  padMode?: PadMode;
}

/** Options of {@link zeroCrossingRate}: `librosa.feature.zero_crossing_rate`. */
export interface ZeroCrossingRateOptions extends TimeFrameOptions {
  /** Samples with `|x| ≤ threshold` count as zero (librosa's `zero_crossings` default, 1e-10). */
  threshold?: number;
}

/** Validated framing. @internal */
export interface ResolvedFrames {
  frameLength: number;
  hopLength: number;
  center: boolean;
}

/** @internal */
export function resolveTimeFrames(
  fn: string,
  o: TimeFrameOptions,
  defaults: { frameLength: number; hopLength?: number },
): ResolvedFrames {
  if (o === null || typeof o !== 'object' || o.sampleRate === undefined) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: options must include 'sampleRate' (Hz), e.g. ${fn}(signal, { sampleRate: 16000 }).`,
    );
  }
  checkNumber(fn, 'sampleRate', o.sampleRate, 'positive');
  const frameLength = checkInt(fn, 'frameLength', o.frameLength ?? defaults.frameLength, 1);
  const hopLength = checkInt(fn, 'hopLength', o.hopLength ?? defaults.hopLength ?? 512, 1);
  const center = checkOneOf(fn, 'center', o.center ?? true, [true, false]);
  return { frameLength, hopLength, center };
}

/**
 * The signal as librosa frames it: padded by `frameLength / 2` at each end when centred
 * (`'constant'` zeros, `'edge'` repeats the end samples, `'reflect'` mirrors without repeating
 * them), and the number of whole frames in it. When centred, `dest` (of length n + frameLength
 * − frameLength % 2, if given) receives the padded signal instead of a new array. @internal
 */
export function padForFrames(
  fn: string,
  signal: Float32Array | Float64Array,
  f: ResolvedFrames,
  mode: PadMode | 'edge',
  dest?: Float64Array,
): { padded: Float32Array | Float64Array; frames: number } {
  const n = signal.length;
  let padded = signal;
  if (f.center) {
    const p = Math.floor(f.frameLength / 2);
    const out = dest ?? new Float64Array(n + 2 * p);
    out.set(signal, p);
    if (dest) {
      out.fill(0, 0, p);
      out.fill(0, p + n);
    }
    if (mode === 'edge') {
      out.fill(signal[0], 0, p);
      out.fill(signal[n - 1], p + n);
    } else if (mode === 'reflect') {
      for (let i = 1; i <= p; i++) {
        out[p - i] = signal[reflectIndex(-i, n)];
        out[p + n - 1 + i] = signal[reflectIndex(n - 1 + i, n)];
      }
    }
    padded = out;
  }
  if (padded.length < f.frameLength) {
    throw new SpeechEmotionError(
      'SIGNAL_TOO_SHORT',
      `${fn}: the signal has ${n} samples, fewer than one frame of frameLength = ${f.frameLength}${f.center ? '' : ' with center = false'}. Use a smaller frameLength${f.center ? '' : ', center: true,'} or a longer signal.`,
    );
  }
  return { padded, frames: 1 + Math.floor((padded.length - f.frameLength) / f.hopLength) };
}

/**
 * Root-mean-square energy of each frame, as `librosa.feature.rms(y=signal)`:
 * `sqrt(mean(x[t·hop … t·hop + frameLength)²))` over the (centred, zero-padded) signal.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, and see {@link RmsOptions}.
 * @returns `frames × 1`, linear amplitude (same unit as the samples).
 *
 * @example
 * ```ts
 * const e = rms(signal, { sampleRate: 16000, frameLength: 512, hopLength: 160 });
 * e.data[10];  // RMS of the frame centred on sample 1600
 * ```
 */
export function rms(signal: Float32Array | Float64Array, options: RmsOptions): FeatureMatrix {
  const fn = 'rms';
  checkKnownOptions(fn, options, ['sampleRate', 'frameLength', 'hopLength', 'center', 'padMode']);
  checkSignal(fn, signal);
  const f = resolveTimeFrames(fn, options, { frameLength: 2048 });
  const padMode = checkOneOf(fn, 'padMode', options.padMode ?? 'constant', ['constant', 'reflect'] as const);
  const { padded, frames } = padForFrames(fn, signal, f, padMode);
  const out = new Float32Array(frames);
  const L = f.frameLength;
  // A running sum would drift over long signals; frames overlap by 3/4 at most, so the direct sum
  // costs 4 multiply-adds per sample and stays exact to float64 rounding.
  for (let t = 0; t < frames; t++) {
    const start = t * f.hopLength;
    let s = 0;
    for (let i = start; i < start + L; i++) s += padded[i] * padded[i];
    out[t] = Math.sqrt(s / L);
  }
  return { data: out, frames, features: 1 };
}

/**
 * Fraction of sign changes per frame, as `librosa.feature.zero_crossing_rate(y)`: within each frame
 * of `frameLength` samples (the signal centred by repeating its end samples, as librosa does),
 * the number of `i` in `1 … frameLength−1` where `x[i−1]` and `x[i]` have different signs, divided by
 * `frameLength`. Samples with `|x| ≤ threshold` count as positive zero.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, and see {@link ZeroCrossingRateOptions}.
 * @returns `frames × 1`, crossings per sample (0 … 1).
 *
 * @example
 * ```ts
 * zeroCrossingRate(signal, { sampleRate: 16000, frameLength: 400, hopLength: 160, center: false });
 * ```
 */
export function zeroCrossingRate(
  signal: Float32Array | Float64Array,
  options: ZeroCrossingRateOptions,
): FeatureMatrix {
  const fn = 'zeroCrossingRate';
  checkKnownOptions(fn, options, ['sampleRate', 'frameLength', 'hopLength', 'center', 'threshold']);
  checkSignal(fn, signal);
  const f = resolveTimeFrames(fn, options, { frameLength: 2048 });
  const threshold = checkNumber(fn, 'threshold', options.threshold ?? 1e-10, 'nonnegative');
  const { padded, frames } = padForFrames(fn, signal, f, 'edge');
  // Sign bit per sample once, then count changes. librosa zeroes |x| ≤ threshold first (when the
  // threshold is > 0), so those samples count as +0; with threshold 0, −0 keeps its sign bit.
  const neg = new Uint8Array(padded.length);
  for (let i = 0; i < padded.length; i++) {
    const v = padded[i];
    neg[i] = threshold > 0 ? (v < -threshold ? 1 : 0) : v < 0 || Object.is(v, -0) ? 1 : 0;
  }
  const out = new Float32Array(frames);
  const L = f.frameLength;
  for (let t = 0; t < frames; t++) {
    const start = t * f.hopLength;
    let c = 0;
    for (let i = start + 1; i < start + L; i++) c += neg[i] ^ neg[i - 1];
    out[t] = c / L;
  }
  return { data: out, frames, features: 1 };
}
