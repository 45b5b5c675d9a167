import { cmvn } from '../dsp/cmvn.js';
import { type PowerToDbOptions, powerToDb } from '../dsp/db.js';
import { delta } from '../dsp/delta.js';
import { type RealFftPlan, realFftPlan } from '../dsp/fft.js';
import {
  MFCC_KEYS,
  type MelSpectrogramOptions,
  type MfccOptions,
  type extractMfcc,
  extractMfccWith,
  type melSpectrogram,
  melSpectrogramWith,
} from '../dsp/mfcc.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { checkKnownOptions, checkedOnce, invalid } from '../dsp/validate.js';
import { type ExtraFeature, checkExtras, computeExtra, extraNames } from './extras.js';
import { concatFeatures, statistics } from './frame-stats.js';
import { type AnalysedSpan, type BandFill, checkPreparation, preparedSignal } from './prepare.js';

export type { ExtraFeature, ExtraFeatureName } from './extras.js';
import { SpeechEmotionError } from '../errors.js';

export { FEATURE_RESAMPLING } from './prepare.js';

/** The FeatureSpec format version this library reads and writes. */
export const FEATURE_SPEC_VERSION = 1;

/** Statistics over frames, for per-utterance output. */
export type FrameStatistic = 'mean' | 'std' | 'min' | 'max';

/**
 * Exactly how a model's inputs are made from audio. It travels with every feature file and every
 * saved model, so features are never silently computed differently from the way a model was trained.
 * JSON-serialisable; {@link featureSpecHash} identifies it.
 */
export interface FeatureSpec {
  /** Format version, {@link FEATURE_SPEC_VERSION}. */
  version: number;
  /**
   * Audio is resampled to this rate (Hz) first, with a 99% passband ({@link FEATURE_RESAMPLING}) so
   * that a clip's features, and a model's prediction, hardly depend on the rate it came at.
   */
  sampleRate: number;
  /** Trim leading and trailing silence (librosa.effects.trim) before the fixed-duration step; `null` keeps it. */
  trim: {
    /** Frames this many dB below the loudest are silence. */
    topDb: number;
    /**
     * Quiet before the speech, cut harder than `topDb` cuts it: everything more than `keepSeconds`
     * before the first frame within `leadIn.topDb` dB of the loudest is dropped too. A room's hum
     * before the speaker starts is often within 60 dB of the speech, so `topDb` alone keeps it, and
     * with a fixed `duration` it takes the place of speech. Absent: no extra cut.
     */
    leadIn?: {
      /** The speech starts at the first frame within this many dB of the loudest, e.g. 30. */
      topDb: number;
      /** Seconds kept before that frame (soft onsets), e.g. 0.25. */
      keepSeconds: number;
    };
  } | null;
  /**
   * Fixed duration: skip `offset` seconds, then keep `seconds` seconds, padded at the end when
   * shorter (the classic 0.5 s offset, 2.5 s window). `null` keeps the whole clip.
   */
  duration: {
    /** Seconds skipped at the start (after trimming). */
    offset: number;
    /** Seconds kept. */
    seconds: number;
    /**
     * How a shorter clip fills the window: `'zeros'` (the default) appends silence, `'repeat'`
     * plays the kept audio again from its start until the window is full, so the window holds no
     * silence whose length gives away how long the clip was. Absent means `'zeros'`.
     */
    pad?: 'zeros' | 'repeat';
  } | null;
  /** Clips shorter than this (seconds, after trimming) are refused as too short. */
  minSeconds: number;
  /** MFCC or log-mel (dB) features and their options, librosa's names and defaults. */
  features: MfccFeatures | LogMelFeatures;
  /** Append Δ (1) or Δ and ΔΔ (2) features (librosa.feature.delta, width 9). */
  deltas: 0 | 1 | 2;
  /**
   * Per-utterance normalisation: none, mean only, or mean and variance. Mind what it removes: how
   * much each coefficient varies within the utterance carries emotion (arousal), and `'meanvar'`
   * erases it. For emotion, `'none'` (with the model's own training-set normalisation) did best in
   * the default model's experiments; see its model card.
   */
  cmvn: 'none' | 'mean' | 'meanvar';
  /** A time series (frames × features), or per-utterance statistics (one row). */
  output: SeriesOutput | StatsOutput;
  /**
   * More frame features stacked beside the MFCC or log-mel columns (after their deltas), on the
   * same frame grid: each uses the base features' `hopLength` and `center`, and, unless its options
   * say otherwise, their `nFft` (or `frameLength`). In statistics, pitch (`pyin`'s `f0` or
   * `f0Semitones`) is summarised over voiced frames only. Absent or empty: none.
   */
  extras?: ExtraFeature[];
  /**
   * A noise floor over the band a low-rate recording cannot carry (a phone line's 8 kHz: nothing
   * above 4 kHz, where every training recording has some noise). A recording at a rate under 0.9 ×
   * `sampleRate` gets seeded white noise above its Nyquist frequency, `snrDb` under its RMS level,
   * after resampling and before trimming; others are untouched. With `detect`, a recording at the
   * spec's rate or above whose content ends at or below `detect.maxHz` (an 8 kHz call saved at 16 kHz, or
   * decoded by a browser at 44.1 kHz) is filled too, above the frequency that all but `detect.topDb`
   * dB of its long-term energy lies under. Absent: none (docs/features.md).
   */
  bandFill?: BandFill;
  /**
   * Remove the mean, then high-pass (4th-order Butterworth) at this frequency, right after
   * resampling: a recorder's DC offset or rumble is then not read as part of the voice. Absent: none.
   */
  highpassHz?: number;
  /**
   * Raise a recording whose peak lies under this level, in dB re full scale (a sample of ±1 is
   * 0 dB), to it, right after resampling: the dB conversion of the features has an absolute floor
   * (`amin`, 1e-10 in power as in librosa), under which the quiet cells of a very quiet recording
   * are flattened, so its features, and a model's prediction, change with the level. Raised, it gets
   * the features of the same recording at that level. Louder recordings are untouched. Absent: none.
   */
  minPeakDb?: number;
}

/** MFCC features ({@link extractMfcc}). */
export interface MfccFeatures {
  /** Discriminant. */
  type: 'mfcc';
  /** Options of {@link extractMfcc}, without the sample rate (the spec's). */
  options: Omit<MfccOptions, 'sampleRate'>;
}

/** Log-mel features: {@link melSpectrogram} then {@link powerToDb}. */
export interface LogMelFeatures {
  /** Discriminant. */
  type: 'logmel';
  /** Options of {@link melSpectrogram} and of {@link powerToDb} (`ref`, `amin`, `topDb`). */
  options: Omit<MelSpectrogramOptions, 'sampleRate'> & PowerToDbOptions;
}

/** Output every frame. */
export interface SeriesOutput {
  /** Discriminant. */
  type: 'series';
}

/** Output one row of statistics over the frames, per feature. */
export interface StatsOutput {
  /** Discriminant. */
  type: 'stats';
  /** Which statistics, in this order per feature. */
  stats: FrameStatistic[];
}

/** Log-mel takes every MFCC option but the cepstral ones. */
const LOGMEL_KEYS = MFCC_KEYS.filter((k) => k !== 'nMfcc' && k !== 'dctNorm' && k !== 'lifter');

const SPEC_KEYS = [
  'version',
  'sampleRate',
  'trim',
  'duration',
  'minSeconds',
  'features',
  'deltas',
  'cmvn',
  'output',
  'extras',
  'bandFill',
  'highpassHz',
  'minPeakDb',
] as const;

/** The classic speech-emotion pipeline: 16 kHz, trimmed, 40 MFCCs (librosa defaults otherwise), mean and std per coefficient. */
export const DEFAULT_FEATURE_SPEC: FeatureSpec = {
  version: FEATURE_SPEC_VERSION,
  sampleRate: 16000,
  trim: { topDb: 60 },
  duration: null,
  minSeconds: 0.25,
  features: { type: 'mfcc', options: { nMfcc: 40 } },
  deltas: 0,
  cmvn: 'none',
  output: { type: 'stats', stats: ['mean', 'std'] },
};

/**
 * Completes and validates a FeatureSpec: missing fields take {@link DEFAULT_FEATURE_SPEC}'s values.
 *
 * @throws {@link SpeechEmotionError} `INVALID_OPTION`/`UNKNOWN_OPTION` for bad or unknown fields,
 * `SPEC_MISMATCH` for a spec of another format version.
 *
 * @example
 * ```ts
 * const spec = defineFeatureSpec({ duration: { offset: 0.5, seconds: 2.5 }, output: { type: 'series' } });
 * ```
 */
export function defineFeatureSpec(partial: Partial<FeatureSpec> = {}): FeatureSpec {
  const fn = 'FeatureSpec';
  checkKnownOptions(fn, partial, SPEC_KEYS);
  const spec: FeatureSpec = { ...structuredClone(DEFAULT_FEATURE_SPEC), ...structuredClone(partial) };
  if (spec.version !== FEATURE_SPEC_VERSION) {
    throw new SpeechEmotionError(
      'SPEC_MISMATCH',
      `${fn}: version ${spec.version} is not supported by this library (it reads version ${FEATURE_SPEC_VERSION}). Upgrade speech-emotion or re-extract the features.`,
    );
  }
  if (!Number.isInteger(spec.sampleRate) || spec.sampleRate < 1000)
    throw invalid(fn, `'sampleRate' must be an integer ≥ 1000 Hz, got ${spec.sampleRate}.`);
  checkPreparation(fn, spec);
  if (spec.duration !== null) {
    const d = spec.duration;
    if (!(d && d.offset >= 0 && d.seconds > 0))
      throw invalid(fn, `'duration' must be null or { offset ≥ 0, seconds > 0 } in seconds.`);
    checkKnownOptions(`${fn}.duration`, d, ['offset', 'seconds', 'pad']);
    if (d.pad !== undefined && d.pad !== 'zeros' && d.pad !== 'repeat')
      throw invalid(fn, `'duration.pad' must be 'zeros' or 'repeat', got ${JSON.stringify(d.pad)}.`);
    // 'zeros' is the default: left out, so that specs that behave alike hash alike.
    if (d.pad !== 'repeat') spec.duration = { offset: d.offset, seconds: d.seconds };
  }
  if (!(spec.minSeconds >= 0)) throw invalid(fn, `'minSeconds' must be ≥ 0.`);
  const f = spec.features;
  if (f?.type === 'mfcc') checkKnownOptions(`${fn}.features.options`, f.options, MFCC_KEYS);
  else if (f?.type === 'logmel') checkKnownOptions(`${fn}.features.options`, f.options, LOGMEL_KEYS);
  else throw invalid(fn, `'features.type' must be 'mfcc' or 'logmel'.`);
  if ('sampleRate' in (f.options ?? {}))
    throw invalid(fn, `set the rate with the spec's 'sampleRate', not in 'features.options'.`);
  if (![0, 1, 2].includes(spec.deltas)) throw invalid(fn, `'deltas' must be 0, 1 or 2.`);
  if (!['none', 'mean', 'meanvar'].includes(spec.cmvn))
    throw invalid(fn, `'cmvn' must be 'none', 'mean' or 'meanvar'.`);
  const o = spec.output;
  if (o?.type === 'stats') {
    if (!o.stats?.length || o.stats.some((s) => !['mean', 'std', 'min', 'max'].includes(s))) {
      throw invalid(fn, `'output.stats' must list some of 'mean', 'std', 'min', 'max'.`);
    }
  } else if (o?.type !== 'series') throw invalid(fn, `'output.type' must be 'series' or 'stats'.`);
  checkExtras(fn, spec.extras);
  // Validate the feature options once, on a short test signal.
  computeFeatures(
    Float32Array.from({ length: spec.sampleRate }, (_, i) => 0.1 * Math.sin(i / 5)),
    spec.sampleRate,
    {
      ...spec,
      trim: null,
      minSeconds: 0,
    },
  );
  return spec;
}

/** JSON with sorted keys, so equal specs serialise identically. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * A short stable identifier of a FeatureSpec (16 hex digits of a 64-bit hash of its canonical
 * JSON): equal specs, equal hashes.
 */
export function featureSpecHash(spec: FeatureSpec): string {
  const s = canonical(spec);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/** Names of the base features per frame: `mfcc0…`, or `mel0…`. */
function baseNames(spec: FeatureSpec): string[] {
  const n =
    spec.features.type === 'mfcc'
      ? (spec.features.options.nMfcc ?? 20)
      : (spec.features.options.nMels ?? 128);
  const prefix = spec.features.type === 'mfcc' ? 'mfcc' : 'mel';
  const names = Array.from({ length: n }, (_, k) => `${prefix}${k}`);
  const out = [...names];
  if (spec.deltas >= 1) out.push(...names.map((x) => `d_${x}`));
  if (spec.deltas >= 2) out.push(...names.map((x) => `dd_${x}`));
  for (const e of spec.extras ?? []) out.push(...extraNames(e));
  return out;
}

/**
 * Column names of one output row: per-frame names for a series, `mfcc0_mean, mfcc0_std, …` for
 * statistics.
 */
export function featureNames(spec: FeatureSpec): string[] {
  const names = baseNames(spec);
  const o = spec.output;
  return o.type === 'series' ? names : names.flatMap((n) => o.stats.map((s) => `${n}_${s}`));
}

/** MFCC or log-mel of the prepared signal, with deltas; `planFor` makes their FFT plans. */
function baseFeatures(
  x: Float32Array | Float64Array,
  spec: FeatureSpec,
  planFor: (size: number) => RealFftPlan,
): FeatureMatrix {
  const f = spec.features;
  const sr = spec.sampleRate;
  let m: FeatureMatrix;
  if (f.type === 'mfcc') m = extractMfccWith(x, { ...f.options, sampleRate: sr }, planFor);
  else {
    const { topDb, ref, amin, ...mel } = f.options as MfccOptions;
    m = powerToDb(melSpectrogramWith(x, { ...mel, sampleRate: sr }, planFor), { topDb, ref, amin });
  }
  if (spec.deltas === 0) return m;
  const width = Math.min(9, m.frames % 2 === 1 ? m.frames : m.frames - 1);
  if (width < 3)
    throw new SpeechEmotionError(
      'SIGNAL_TOO_SHORT',
      'computeFeatures: too few frames for delta features (need 3).',
    );
  const parts = [m, delta(m, { width })];
  if (spec.deltas === 2) parts.push(delta(m, { width, order: 2 }));
  return concatFeatures(parts);
}

/** The base features, the spec's extras beside them, CMVN, and the series or its statistics. */
function featuresOf(
  x: Float32Array | Float64Array,
  spec: FeatureSpec,
  planFor: (size: number) => RealFftPlan,
): FeatureMatrix {
  let m = baseFeatures(x, spec, planFor);
  const voicedOnly = new Set<number>();
  const voiced = new Uint8Array(m.frames);
  if (spec.extras?.length) {
    const parts = [m];
    let column = m.features;
    for (const e of spec.extras) {
      const extra = computeExtra(x, spec.sampleRate, e, spec.features.options as MfccOptions);
      if (extra.frames !== m.frames) {
        throw invalid(
          'computeFeatures',
          `extras ${e.type} gives ${extra.frames} frames where the ${spec.features.type} features have ${m.frames}; use the same frame size and padding.`,
        );
      }
      if (extra.voiced) {
        voicedOnly.add(column);
        for (let t = 0; t < m.frames; t++) voiced[t] |= extra.voiced[t];
      }
      column += extra.features;
      parts.push(extra);
    }
    m = concatFeatures(parts);
  }
  if (spec.cmvn !== 'none') m = cmvn(m, { variance: spec.cmvn === 'meanvar' });
  return spec.output.type === 'stats' ? statistics(m, spec.output.stats, voicedOnly, voiced) : m;
}

/**
 * Turns audio into model inputs exactly as a {@link FeatureSpec} says: resample → trim → fixed
 * duration → MFCC or log-mel → deltas → CMVN → series or statistics.
 *
 * @param signal - Mono samples at `sampleRate`.
 * @param sampleRate - The signal's rate in Hz; resampled to the spec's rate when different.
 * @param spec - A complete spec (see {@link defineFeatureSpec}).
 * @returns `frames × features` for a series, `1 × features` for statistics; columns as {@link featureNames}.
 * @throws {@link SpeechEmotionError} `SILENT_AUDIO` when nothing is above the trim threshold,
 * `SIGNAL_TOO_SHORT` when the clip is shorter than `minSeconds`, and the DSP core's errors.
 *
 * @example
 * ```ts
 * const spec = defineFeatureSpec({ output: { type: 'stats', stats: ['mean'] } });
 * const row = computeFeatures(signal, 48000, spec);   // 1 × 40
 * ```
 */
export function computeFeatures(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  spec: FeatureSpec,
): FeatureMatrix {
  return computeFeaturesSpan(signal, sampleRate, spec).features;
}

/**
 * {@link computeFeatures}, and where in the recording the features come from. `planFor` makes the
 * MFCC's or log-mel's FFT plans: fft.js's by default, the features every model was trained on, bit
 * for bit; predictions pass the WebAssembly plans (`fastFftPlan`), faster and the same to float64
 * rounding (on the datasets, a few values in a million differ, by one float32 step). @internal
 */
export function computeFeaturesSpan(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  spec: FeatureSpec,
  planFor: (size: number) => RealFftPlan = realFftPlan,
): { features: FeatureMatrix; span: AnalysedSpan } {
  // The signal is checked here, once; the resampled, trimmed and fixed-length copies derive from it.
  return checkedOnce('computeFeatures', signal, (trust) => {
    const span: AnalysedSpan = { start: 0, end: 0, soundEnd: 0 };
    const x = trust(preparedSignal(signal, sampleRate, spec, trust, span));
    return { features: featuresOf(x, spec, planFor), span };
  });
}

/**
 * Throws `SPEC_MISMATCH` unless two specs are identical, naming what differs.
 * @internal
 */
export function assertSameSpec(expected: FeatureSpec, actual: FeatureSpec, what: string): void {
  if (featureSpecHash(expected) === featureSpecHash(actual)) return;
  const diff = (Object.keys(expected) as (keyof FeatureSpec)[]).filter(
    (k) => canonical(expected[k]) !== canonical(actual[k]),
  );
  throw new SpeechEmotionError(
    'SPEC_MISMATCH',
    `${what} was made with a different FeatureSpec (differs in: ${diff.join(', ')}). Re-extract the features with the same spec.`,
  );
}
