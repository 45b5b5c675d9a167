import { type PowerToDbOptions, type ResolvedDb, powerToDbUnfloored, resolveDbOptions } from './db.js';
import { type DctNorm, dctFolded, dctFoldedPair, dctMatrix } from './dct.js';
import { type RealFftPlan, realFftPlan } from './fft.js';
import {
  type MelFilterbankOptions,
  type SparseFilterbank,
  resolveMelOptions,
  sparseFilterbank,
} from './mel.js';
import {
  type ResolvedStft,
  STFT_KEYS,
  type StftOptions,
  melPowerFrames,
  resolvePower,
  resolveStftOptions,
} from './spectral.js';
import type { FeatureMatrix } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal, invalid } from './validate.js';

/** Options of {@link melSpectrogram}: STFT and mel options, librosa's names and defaults. */
export interface MelSpectrogramOptions
  extends StftOptions,
    Omit<MelFilterbankOptions, 'sampleRate' | 'nFft'> {
  /** Exponent of the magnitude spectrogram: 2 (default) for power, 1 for magnitude. */
  power?: number;
}

/**
 * Options of {@link extractMfcc}: everything {@link MelSpectrogramOptions} takes, the dB
 * conversion of {@link PowerToDbOptions}, and the cepstral options. Names and defaults are
 * librosa's (`librosa.feature.mfcc`).
 */
export interface MfccOptions extends MelSpectrogramOptions, PowerToDbOptions {
  /** Number of coefficients, ≤ `nMels`. Default 20. */
  nMfcc?: number;
  /** DCT normalisation. Default `'ortho'`. */
  dctNorm?: DctNorm;
  /** Cepstral liftering coefficient: `M[k] *= 1 + (lifter/2)·sin(π(k+1)/lifter)`. 0 (default) disables it. */
  lifter?: number;
}

const MEL_KEYS = [...STFT_KEYS, 'sampleRate', 'nMels', 'fmin', 'fmax', 'htk', 'melNorm', 'power'] as const;
/** Every option name extractMfcc accepts. @internal */
export const MFCC_KEYS = [...MEL_KEYS, 'ref', 'amin', 'topDb', 'nMfcc', 'dctNorm', 'lifter'] as const;

/** Every parameter of the MFCC pipeline, validated. @internal */
export interface ResolvedMfcc {
  stft: ResolvedStft;
  fb: SparseFilterbank;
  power: number;
  db: ResolvedDb;
  nMfcc: number;
  dct: Float64Array;
}

function resolveMel(fn: string, o: MelSpectrogramOptions & { sampleRate: number }) {
  const stft = resolveStftOptions(fn, o);
  const mel = resolveMelOptions(fn, { ...o, nFft: stft.nFft });
  return { stft, fb: sparseFilterbank(mel), power: resolvePower(fn, o.power) };
}

/** @internal */
export function resolveMfccOptions(fn: string, o: MfccOptions & { sampleRate: number }): ResolvedMfcc {
  checkKnownOptions(fn, o, MFCC_KEYS);
  const { stft, fb, power } = resolveMel(fn, o);
  const db = resolveDbOptions(fn, o);
  const nMfcc = checkInt(fn, 'nMfcc', o.nMfcc ?? 20, 1);
  if (nMfcc > fb.nMels)
    throw invalid(fn, `'nMfcc' (${nMfcc}) must be ≤ 'nMels' (${fb.nMels}). Raise nMels or lower nMfcc.`);
  const dctNorm = o.dctNorm === undefined ? 'ortho' : o.dctNorm;
  checkOneOf(fn, 'dctNorm', dctNorm, ['ortho', null]);
  const lifter = checkNumber(fn, 'lifter', o.lifter ?? 0, 'nonnegative');
  return { stft, fb, power, db, nMfcc, dct: dctMatrix(fb.nMels, nMfcc, dctNorm, lifter) };
}

/**
 * Mel-scaled spectrogram, as `librosa.feature.melspectrogram`: the `|STFT|^power` of each frame
 * projected onto a mel filterbank ({@link melFilterbank}).
 *
 * @param signal - Mono samples, finite, at `sampleRate`.
 * @param options - See {@link MelSpectrogramOptions}; `sampleRate` in Hz is required.
 * @returns `frames × nMels` power values (not dB; see {@link powerToDb}), frame-major.
 * @throws {@link SpeechEmotionError} for an empty or non-finite signal and for bad or unknown options.
 *
 * @example
 * ```ts
 * const mel = melSpectrogram(signal, { sampleRate: 16000, nFft: 400, hopLength: 160, nMels: 40, htk: true, melNorm: null });
 * ```
 */
export function melSpectrogram(
  signal: Float32Array | Float64Array,
  options: MelSpectrogramOptions & { sampleRate: number },
): FeatureMatrix {
  return melSpectrogramWith(signal, options, realFftPlan);
}

/**
 * {@link melSpectrogram} on the FFT plans of `planFor`: the features of predictions pass the
 * WebAssembly ones (the same results to float64 rounding), which the small bundle of
 * `melSpectrogram` and `extractMfcc` alone leaves out. @internal
 */
export function melSpectrogramWith(
  signal: Float32Array | Float64Array,
  options: MelSpectrogramOptions & { sampleRate: number },
  planFor: (size: number) => RealFftPlan,
): FeatureMatrix {
  checkKnownOptions('melSpectrogram', options, MEL_KEYS);
  checkSignal('melSpectrogram', signal);
  const { stft, fb, power } = resolveMel('melSpectrogram', options);
  const mel = melPowerFrames('melSpectrogram', signal, stft, fb, power, planFor);
  return { data: Float32Array.from(mel.data), frames: mel.frames, features: fb.nMels };
}

/**
 * Mel-frequency cepstral coefficients, as `librosa.feature.mfcc`:
 * STFT → `|·|²` → mel filterbank → {@link powerToDb} (over the whole clip) → DCT-II → lifter.
 *
 * With librosa's defaults: `nFft` 2048, `hopLength` 512, Hann window, centred frames with zero
 * padding, 128 Slaney mel bands, `topDb` 80, 20 coefficients, orthonormal DCT. Results match
 * librosa 0.10 to a normalised error of about 1e-6 (see the README's parity table).
 *
 * Note: the `topDb` floor is relative to the loudest cell of the whole clip, so MFCCs of a
 * clip differ slightly from those of its parts; use `topDb: null` for frame-local features, or
 * {@link MfccStream} for streaming.
 *
 * Reference: Davis, S. & Mermelstein, P. (1980). Comparison of parametric representations for
 * monosyllabic word recognition in continuously spoken sentences. IEEE TASSP 28(4).
 *
 * @param signal - Mono samples, finite, at `sampleRate`.
 * @param options - See {@link MfccOptions}; `sampleRate` in Hz is required.
 * @returns `frames × nMfcc` coefficients, frame-major.
 * @throws {@link SpeechEmotionError} for an empty or non-finite signal and for bad or unknown options.
 *
 * @example
 * ```ts
 * import { decodeWav, extractMfcc } from 'speech-emotion';
 * const { sampleRate, channels } = decodeWav(bytes);
 * const mfcc = extractMfcc(channels[0], { sampleRate, nMfcc: 13 });
 * mfcc.data[5 * mfcc.features + 0];  // c0 of frame 5
 * ```
 */
export function extractMfcc(
  signal: Float32Array | Float64Array,
  options: MfccOptions & { sampleRate: number },
): FeatureMatrix {
  return extractMfccWith(signal, options, realFftPlan);
}

/** {@link extractMfcc} on the FFT plans of `planFor` (see {@link melSpectrogramWith}). @internal */
export function extractMfccWith(
  signal: Float32Array | Float64Array,
  options: MfccOptions & { sampleRate: number },
  planFor: (size: number) => RealFftPlan,
): FeatureMatrix {
  const r = resolveMfccOptions('extractMfcc', options);
  checkSignal('extractMfcc', signal);
  const mel = melPowerFrames('extractMfcc', signal, r.stft, r.fb, r.power, planFor);
  const floor = powerToDbUnfloored(mel.data, r.db);
  const nMels = r.fb.nMels;
  const out = new Float32Array(mel.frames * r.nMfcc);
  const fold = new Float64Array(nMels);
  const foldB = new Float64Array(nMels);
  const { dct, nMfcc } = r;
  let t = 0;
  for (; t + 1 < mel.frames; t += 2)
    dctFoldedPair(
      mel.data,
      t * nMels,
      (t + 1) * nMels,
      floor,
      nMels,
      dct,
      nMfcc,
      fold,
      foldB,
      out,
      t * nMfcc,
      (t + 1) * nMfcc,
    );
  if (t < mel.frames) dctFolded(mel.data, t * nMels, floor, nMels, dct, nMfcc, fold, out, t * nMfcc);
  return { data: out, frames: mel.frames, features: r.nMfcc };
}
