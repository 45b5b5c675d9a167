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
  const frameLength = checkInt('trimSilence', 'frameLength', options.frameLength ?? 2048, 1);
  const hop = checkInt('trimSilence', 'hopLength', options.hopLength ?? 512, 1);
  const ref = options.ref ?? 'max';
  if (ref !== 'max') checkNumber('trimSilence', 'ref', ref, 'positive');

  const n = signal.length;
  const pad = Math.floor(frameLength / 2);
  // Prefix sums of squares over the zero-padded signal give each frame's mean power in O(1).
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + signal[i] * signal[i];
  const frames = 1 + Math.floor((n + 2 * pad - frameLength) / hop);
  const power = new Float64Array(frames);
  let maxPower = 0;
  for (let t = 0; t < frames; t++) {
    const a = Math.min(n, Math.max(0, t * hop - pad));
    const b = Math.min(n, Math.max(0, t * hop - pad + frameLength));
    power[t] = Math.max(0, cum[b] - cum[a]) / frameLength;
    if (power[t] > maxPower) maxPower = power[t];
  }
  if (maxPower === 0) return { start: 0, end: 0 };
  // librosa: amplitude_to_db(rms, ref) = power_to_db(rms², ref², amin = 1e-10).
  const amin = 1e-10;
  const refPower = ref === 'max' ? maxPower : ref * ref;
  const refDb = 10 * Math.log10(Math.max(amin, refPower));
  let first = -1;
  let last = -1;
  for (let t = 0; t < frames; t++) {
    if (10 * Math.log10(Math.max(amin, power[t])) - refDb > -topDb) {
      if (first < 0) first = t;
      last = t;
    }
  }
  if (first < 0) return { start: 0, end: 0 };
  return { start: first * hop, end: Math.min(n, (last + 1) * hop) };
}
