import { gcd } from '../util/math.js';
import { checkInt, checkKnownOptions, checkNumber, checkSignal } from './validate.js';

/** The kept part of a signal, in samples: `signal.subarray(start, end)`. */
export interface TrimInterval {
  /** First kept sample. */
  start: number;
  /** One past the last kept sample. */
  end: number;
}

/** Options of {@link trimSilence}; names and defaults are librosa's (`librosa.effects.trim`). */
export interface TrimOptions {
  /** Frames more than this many dB below the reference are silence. Default 60. */
  topDb?: number;
  /** Reference amplitude: `'max'` (default) uses the loudest frame's RMS, or give a number. */
  ref?: number | 'max';
  /** Samples per RMS frame. Default 2048. */
  frameLength?: number;
  /** Samples between RMS frames. Default 512. */
  hopLength?: number;
}

/**
 * Finds the non-silent part of a signal, as `librosa.effects.trim(y)[1]`.
 *
 * The RMS of centred, zero-padded frames is compared with the reference in dB; the kept interval
 * runs from the first to the last frame louder than `−topDb`, in samples (frame `t` covers
 * `t · hopLength` up to `(t + 1) · hopLength`, clipped to the signal).
 *
 * Unlike librosa, a signal of pure digital silence (all zeros) has no non-silent part and gives
 * `{ start: 0, end: 0 }`.
 *
 * @param signal - Mono samples.
 * @param options - See {@link TrimOptions}.
 * @returns `{ start, end }`: keep `signal.subarray(start, end)`.
 *
 * @example
 * ```ts
 * const { start, end } = trimSilence(signal, { topDb: 60 });
 * const voiced = signal.subarray(start, end);
 * ```
 */
export function trimSilence(signal: Float32Array | Float64Array, options: TrimOptions = {}): TrimInterval {
  checkKnownOptions('trimSilence', options, ['topDb', 'ref', 'frameLength', 'hopLength']);
  checkSignal('trimSilence', signal);
  const topDb = checkNumber('trimSilence', 'topDb', options.topDb ?? 60, 'nonnegative');
  return trimmedAt(signal, [topDb], options)[0];
}

/**
 * {@link trimSilence}'s interval for each of `topDbs` (not checked here), from one pass over a
 * checked signal's frames. @internal
 */
export function trimmedAt(
  signal: Float32Array | Float64Array,
  topDbs: readonly number[],
  options: Omit<TrimOptions, 'topDb'> = {},
): TrimInterval[] {
  const frameLength = checkInt('trimSilence', 'frameLength', options.frameLength ?? 2048, 1);
  const hop = checkInt('trimSilence', 'hopLength', options.hopLength ?? 512, 1);
  const ref = options.ref ?? 'max';
  if (ref !== 'max') checkNumber('trimSilence', 'ref', ref, 'positive');

  const n = signal.length;
  const pad = Math.floor(frameLength / 2);
  // Frames start and end on multiples of g = gcd(hop, pad, frameLength), so prefix sums of squares
  // over blocks of g samples give each frame's energy exactly, in n/g entries rather than n.
  const g = gcd(gcd(hop, pad || hop), frameLength);
  const blocks = Math.ceil(n / g);
  const cum = new Float64Array(blocks + 1);
  for (let b = 0; b < blocks; b++) {
    let acc = 0;
    for (let i = b * g, end = Math.min(n, i + g); i < end; i++) acc += signal[i] * signal[i];
    cum[b + 1] = cum[b] + acc;
  }
  const frames = 1 + Math.floor((n + 2 * pad - frameLength) / hop);
  const power = new Float64Array(frames);
  let maxPower = 0;
  for (let t = 0; t < frames; t++) {
    const a = Math.min(blocks, Math.max(0, (t * hop - pad) / g));
    const b = Math.min(blocks, Math.max(0, (t * hop - pad + frameLength) / g));
    power[t] = Math.max(0, cum[b] - cum[a]) / frameLength;
    if (power[t] > maxPower) maxPower = power[t];
  }
  if (maxPower === 0) return topDbs.map(() => ({ start: 0, end: 0 }));
  // librosa: amplitude_to_db(rms, ref) = power_to_db(rms², ref², amin = 1e-10).
  const amin = 1e-10;
  const refPower = ref === 'max' ? maxPower : ref * ref;
  const refDb = 10 * Math.log10(Math.max(amin, refPower));
  const db = power.map((p) => 10 * Math.log10(Math.max(amin, p)) - refDb);
  return topDbs.map((topDb) => {
    let first = -1;
    let last = -1;
    for (let t = 0; t < frames; t++) {
      if (db[t] > -topDb) {
        if (first < 0) first = t;
        last = t;
      }
    }
    if (first < 0) return { start: 0, end: 0 };
    return { start: first * hop, end: Math.min(n, (last + 1) * hop) };
  });
}
