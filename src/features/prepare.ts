// The steps of a FeatureSpec that work on the signal before any frame is cut: conditioning (the
// high-pass, the noise floor over a low-rate recording's missing band) and the silence trim, with
// their validation, and the signal they make (resample → condition → trim → fixed duration).
import { bandEdge, butterworth4, fillUpperBand } from '../audio/channel.js';
import { type ResampleOptions, resample } from '../audio/resample.js';
import { trimSilence, trimmedAt } from '../dsp/trim.js';
import { checkKnownOptions, invalid } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import { peakAbs } from '../util/math.js';
import type { FeatureSpec } from './spec.js';

/**
 * How {@link computeFeatures} resamples: a passband of 99% of the lower Nyquist frequency, wider than
 * `resample`'s default 95%, which would remove the top of the band that models trained on 16 kHz
 * audio see. In `test/default-model.test.ts` the default model gives a clip the same label at 16,
 * 22.05, 44.1 and 48 kHz on 121 of 123 clips; with 95% passbands throughout, on 114 of 123.
 */
export const FEATURE_RESAMPLING: ResampleOptions = { rolloff: 0.99 };

/** Where the features of a recording come from, in seconds from its start. @internal */
export interface AnalysedSpan {
  /** The part of the recording the features were computed on (before padding to the duration). */
  start: number;
  end: number;
  /** Where the recording's sound ends: the end of what the trim keeps (the recording's end without a trim). */
  soundEnd: number;
}

/** A noise floor over the band a low-rate recording cannot carry ({@link FeatureSpec.bandFill}). */
export interface BandFill {
  /** How far under the recording's RMS level the noise lies, in dB. */
  snrDb: number;
  /** Also fill a recording at a full rate whose content ends low (an 8 kHz call saved at 16 kHz). */
  detect?: {
    /** The content's edge: the frequency under which all but this many dB of its long-term energy lies. */
    topDb: number;
    /** Filled only when that edge is at or below this frequency, in Hz. */
    maxHz: number;
  };
}

/** Validates a spec's `trim`, `highpassHz`, `bandFill` and `minPeakDb`. */
export function checkPreparation(fn: string, spec: FeatureSpec): void {
  checkTrim(fn, spec.trim);
  const hp = spec.highpassHz;
  if (hp !== undefined && !(Number.isFinite(hp) && hp > 0 && hp < 0.45 * spec.sampleRate))
    throw invalid(
      fn,
      `'highpassHz' must be a frequency in Hz above 0 and under 0.45 × sampleRate, got ${hp}.`,
    );
  checkBandFill(fn, spec.bandFill, spec.sampleRate);
  checkMinPeakDb(fn, spec.minPeakDb);
}

/** Validates a `minPeakDb` (of a spec or a recipe's `predictMinPeakDb`, named by `key`). */
export function checkMinPeakDb(fn: string, level: unknown, key = 'minPeakDb'): void {
  if (level !== undefined && !(typeof level === 'number' && Number.isFinite(level) && level < 0))
    throw invalid(
      fn,
      `'${key}' must be a level in dB under 0 (full scale), e.g. -47, got ${JSON.stringify(level)}.`,
    );
}

function checkBandFill(fn: string, fill: FeatureSpec['bandFill'], sampleRate: number): void {
  if (fill === undefined) return;
  const shape = `'bandFill' must be { snrDb: a finite number, detect?: { topDb: dB > 0, maxHz: Hz under sampleRate / 2 } }, e.g. { snrDb: 30, detect: { topDb: 75, maxHz: 4500 } }.`;
  if (typeof fill === 'object' && fill) checkKnownOptions(`${fn}.bandFill`, fill, ['snrDb', 'detect']);
  if (typeof fill !== 'object' || fill === null || !Number.isFinite(fill.snrDb)) throw invalid(fn, shape);
  const detect = fill.detect;
  if (detect === undefined) return;
  if (typeof detect === 'object' && detect)
    checkKnownOptions(`${fn}.bandFill.detect`, detect, ['topDb', 'maxHz']);
  if (typeof detect !== 'object' || detect === null) throw invalid(fn, shape);
  const { topDb, maxHz } = detect;
  if (!(Number.isFinite(topDb) && topDb > 0 && Number.isFinite(maxHz) && maxHz > 0 && maxHz < sampleRate / 2))
    throw invalid(fn, shape);
}

function checkTrim(fn: string, trim: FeatureSpec['trim']): void {
  if (trim === null) return;
  if (!(typeof trim?.topDb === 'number' && trim.topDb > 0))
    throw invalid(fn, `'trim' must be null or { topDb: number > 0, leadIn? }.`);
  checkKnownOptions(`${fn}.trim`, trim, ['topDb', 'leadIn']);
  const lead = trim.leadIn;
  if (lead === undefined) return;
  const shape = `'trim.leadIn' must be { topDb: number > 0, keepSeconds: number ≥ 0 }.`;
  if (typeof lead !== 'object' || lead === null) throw invalid(fn, shape);
  checkKnownOptions(`${fn}.trim.leadIn`, lead, ['topDb', 'keepSeconds']);
  const { topDb, keepSeconds } = lead;
  if (!(Number.isFinite(topDb) && topDb > 0 && Number.isFinite(keepSeconds) && keepSeconds >= 0))
    throw invalid(fn, shape);
}

/** `x` scaled so that its peak is `minPeakDb` when it is quieter (and not all zeros); else `x` itself. */
function raisedToLevel(x: Float32Array | Float64Array, minPeakDb: number): Float32Array | Float64Array {
  const peak = peakAbs(x);
  const target = 10 ** (minPeakDb / 20);
  if (peak === 0 || peak >= target) return x;
  const gain = target / peak;
  return Float32Array.from(x, (v) => v * gain);
}

/**
 * `x` (at the spec's rate, resampled from `fromRate`) as the spec conditions it: raised to
 * `minPeakDb` when quieter, its mean removed and high-passed at `highpassHz`, then the noise floor
 * of `bandFill` when `fromRate` is low (or, with `detect`, the content ends low). `x` itself when
 * the spec asks for none of them.
 */
export function conditioned(
  x: Float32Array | Float64Array,
  fromRate: number,
  spec: FeatureSpec,
): Float32Array | Float64Array {
  let out = spec.minPeakDb === undefined ? x : raisedToLevel(x, spec.minPeakDb);
  if (spec.highpassHz !== undefined) {
    let mean = 0;
    for (let i = 0; i < out.length; i++) mean += out[i];
    mean /= Math.max(1, out.length);
    const y = Float32Array.from(out, (v) => v - mean);
    butterworth4(y, 'high', spec.highpassHz, spec.sampleRate);
    out = y;
  }
  const fill = spec.bandFill;
  if (!fill) return out;
  let edge = Math.min(fromRate, spec.sampleRate) / 2;
  // The rate decides when it is low; the content is read only when the rate carries the whole band.
  if (fill.detect && fromRate >= spec.sampleRate) {
    const found = bandEdge(out, spec.sampleRate, fill.detect.topDb);
    if (found <= fill.detect.maxHz) edge = found;
  }
  if (edge < spec.sampleRate / 2) out = fillUpperBand(out, spec.sampleRate, 2 * edge, fill.snrDb);
  return out;
}

/** The kept interval of a spec's `trim`: {@link trimSilence}, then the harder cut of `leadIn`. */
export function trimmed(x: Float32Array | Float64Array, sr: number, trim: NonNullable<FeatureSpec['trim']>) {
  if (!trim.leadIn) return trimSilence(x, { topDb: trim.topDb });
  // Both thresholds from one pass over the frames.
  const [{ start, end }, { start: onset }] = trimmedAt(x, [trim.topDb, trim.leadIn.topDb]);
  if (end <= start) return { start, end };
  return { start: Math.min(end, Math.max(start, onset - Math.round(trim.leadIn.keepSeconds * sr))), end };
}

/**
 * The signal a spec's features are computed on: resampled to the spec's rate, trimmed, checked for
 * silence and length, cut or padded to the spec's duration. `span`, when given, is filled in (seconds).
 * @internal
 */
export function preparedSignal(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  spec: FeatureSpec,
  trust: <A extends Float32Array | Float64Array>(a: A) => A,
  span?: AnalysedSpan,
): Float32Array | Float64Array {
  const sr = spec.sampleRate;
  let x: Float32Array | Float64Array =
    sampleRate === sr ? signal : trust(resample(signal, sampleRate, sr, FEATURE_RESAMPLING));
  x = trust(conditioned(x, sampleRate, spec));
  let at = 0;
  let soundEnd = x.length;
  if (spec.trim) {
    const { start, end } = trimmed(x, sr, spec.trim);
    at = start;
    soundEnd = end;
    if (end <= start) {
      throw new SpeechEmotionError(
        'SILENT_AUDIO',
        'computeFeatures: the audio is silent (nothing within the trim threshold of its peak, or all zeros).',
      );
    }
    x = trust(x.subarray(start, end));
  }
  if (peakAbs(x) === 0)
    throw new SpeechEmotionError(
      'SILENT_AUDIO',
      'computeFeatures: the audio is digital silence (all samples are 0).',
    );
  if (x.length < spec.minSeconds * sr) {
    throw new SpeechEmotionError(
      'SIGNAL_TOO_SHORT',
      `computeFeatures: the clip lasts ${(x.length / sr).toFixed(3)} s${spec.trim ? ' after trimming' : ''}, under the spec's minimum of ${spec.minSeconds} s.`,
    );
  }
  const length = spec.duration ? Math.round(spec.duration.seconds * sr) : x.length;
  const from = spec.duration ? Math.min(x.length, Math.round(spec.duration.offset * sr)) : 0;
  const kept = x.subarray(from, from + length);
  if (span)
    Object.assign(span, {
      start: (at + from) / sr,
      end: (at + from + kept.length) / sr,
      soundEnd: soundEnd / sr,
    });
  if (!spec.duration) return x;
  const fixed = new Float32Array(length);
  fixed.set(kept);
  if (spec.duration.pad === 'repeat' && kept.length > 0)
    for (let i = kept.length; i < fixed.length; i += kept.length)
      fixed.set(kept.subarray(0, fixed.length - i), i);
  return fixed;
}
