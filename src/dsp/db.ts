import type { FeatureMatrix } from './types.js';
import { checkKnownOptions, checkNumber, invalid } from './validate.js';

/** Options of {@link powerToDb}; names and defaults are librosa's (`librosa.power_to_db`). */
export interface PowerToDbOptions {
  /** Reference power: a number (default 1), or `'max'` to use the matrix's maximum (librosa `ref=np.max`). */
  ref?: number | 'max';
  /** Smallest power used, to avoid log(0). Default 1e-10 (−100 dB). */
  amin?: number;
  /** Floor the output at `max(output) − topDb` dB. Default 80; `null` for no floor. */
  topDb?: number | null;
}

const KEYS = ['ref', 'amin', 'topDb'] as const;

/** Validated dB options. @internal */
export interface ResolvedDb {
  ref: number | 'max';
  amin: number;
  topDb: number | null;
}

/** @internal */
export function resolveDbOptions(fn: string, o: PowerToDbOptions): ResolvedDb {
  const ref = o.ref ?? 1;
  if (ref !== 'max') checkNumber(fn, 'ref', ref, 'positive');
  const amin = checkNumber(fn, 'amin', o.amin ?? 1e-10, 'positive');
  const topDb = o.topDb === undefined ? 80 : o.topDb;
  if (topDb !== null) checkNumber(fn, 'topDb', topDb, 'nonnegative');
  return { ref, amin, topDb };
}

/** 10 / ln 10: 10·log10(x) = DB_PER_NEPER · ln(x). */
const DB_PER_NEPER = 10 / Math.LN10;

/**
 * Converts power values to decibels in place, `10·log10(max(amin, S)) − 10·log10(max(amin, ref))`,
 * and returns the `topDb` floor (`max − topDb`, or −∞ without one) for the caller to apply, so a
 * following pass can fuse it.
 * @internal
 */
export function powerToDbUnfloored(values: Float32Array | Float64Array, o: ResolvedDb): number {
  let refValue = o.ref === 'max' ? 0 : o.ref;
  if (o.ref === 'max') for (let i = 0; i < values.length; i++) if (values[i] > refValue) refValue = values[i];
  const offset = DB_PER_NEPER * Math.log(Math.max(o.amin, refValue));
  const amin = o.amin;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    const v = DB_PER_NEPER * Math.log(x > amin ? x : amin) - offset;
    values[i] = v;
    if (v > max) max = v;
  }
  return o.topDb === null ? Number.NEGATIVE_INFINITY : max - o.topDb;
}

/**
 * Converts a power spectrogram (amplitude squared) to decibels, as `librosa.power_to_db`:
 *
 * `10 · log10(max(amin, S)) − 10 · log10(max(amin, ref))`, then, unless `topDb` is `null`,
 * every value below `max − topDb` is raised to it.
 *
 * @param m - Power values, e.g. from {@link melSpectrogram}. Not modified.
 * @param options - See {@link PowerToDbOptions}.
 * @returns A new matrix of the same shape, in dB.
 *
 * @example
 * ```ts
 * const mel = melSpectrogram(signal, { sampleRate: 16000 });
 * const db = powerToDb(mel, { ref: 'max' });  // 0 dB at the loudest cell, ≥ −80 dB everywhere
 * ```
 */
export function powerToDb(m: FeatureMatrix, options: PowerToDbOptions = {}): FeatureMatrix {
  checkKnownOptions('powerToDb', options, KEYS);
  if (!m || !(m.data instanceof Float32Array) || m.data.length !== m.frames * m.features) {
    throw invalid(
      'powerToDb',
      'expected a FeatureMatrix { data: Float32Array, frames, features } with data.length = frames × features.',
    );
  }
  const o = resolveDbOptions('powerToDb', options);
  // Compute in float64 so that tiny powers keep their precision, then store float32.
  const tmp = Float64Array.from(m.data);
  for (let i = 0; i < tmp.length; i++) {
    if (!Number.isFinite(tmp[i]) || tmp[i] < 0) {
      throw invalid('powerToDb', `value ${i} is ${tmp[i]}; power values must be finite and ≥ 0.`);
    }
  }
  const floor = powerToDbUnfloored(tmp, o);
  for (let i = 0; i < tmp.length; i++) if (tmp[i] < floor) tmp[i] = floor;
  return { data: Float32Array.from(tmp), frames: m.frames, features: m.features };
}
