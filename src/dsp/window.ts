import type { WindowName } from './types.js';
import { checkInt, checkOneOf } from './validate.js';

const WINDOW_NAMES: readonly WindowName[] = ['hann', 'hamming', 'blackman', 'rectangular'];

/** Generalised-cosine coefficients a_k: w[n] = Σ (−1)^k a_k cos(2πkn/N). */
const COSINE_TERMS: Record<WindowName, readonly number[]> = {
  hann: [0.5, 0.5],
  hamming: [0.54, 0.46],
  blackman: [0.42, 0.5, 0.08],
  rectangular: [1],
};

const cache = new Map<string, Float64Array>();

/**
 * The analysis window itself, cached and shared: callers must not modify it.
 * @internal
 */
export function windowCached(name: WindowName, length: number, periodic: boolean): Float64Array {
  const key = `${name}:${length}:${periodic}`;
  let w = cache.get(key);
  if (!w) {
    w = new Float64Array(length);
    const terms = COSINE_TERMS[name];
    // scipy: a periodic window of length M is the symmetric window of length M + 1, truncated.
    const denom = periodic ? length : length - 1;
    if (length === 1) w[0] = 1;
    else {
      for (let i = 0; i < length; i++) {
        let v = 0;
        for (let k = 0; k < terms.length; k++) {
          v += (k % 2 === 0 ? 1 : -1) * terms[k] * Math.cos((2 * Math.PI * k * i) / denom);
        }
        w[i] = v;
      }
    }
    cache.set(key, w);
  }
  return w;
}

/**
 * Options of {@link getWindow}.
 */
export interface WindowOptions {
  /**
   * `true` (default) gives the periodic window used for spectral analysis (scipy's
   * `fftbins=True`, which librosa uses); `false` gives the symmetric window used for filter design.
   */
  periodic?: boolean;
}

/**
 * An analysis window, as `scipy.signal.get_window(name, length, fftbins=periodic)`.
 *
 * - `hann`: 0.5 − 0.5 cos(2πn/N)
 * - `hamming`: 0.54 − 0.46 cos(2πn/N)
 * - `blackman`: 0.42 − 0.5 cos(2πn/N) + 0.08 cos(4πn/N)
 * - `rectangular`: 1 (scipy's `boxcar`)
 *
 * with N = `length` for periodic windows and `length − 1` for symmetric ones.
 *
 * @param name - Window name.
 * @param length - Number of samples, an integer ≥ 1.
 * @returns A new Float64Array of `length` samples.
 *
 * @example
 * ```ts
 * getWindow('hann', 4);                       // [0, 0.5, 1, 0.5]
 * getWindow('hann', 4, { periodic: false });  // [0, 0.75, 0.75, 0]
 * ```
 */
export function getWindow(name: WindowName, length: number, options: WindowOptions = {}): Float64Array {
  checkOneOf('getWindow', 'name', name, WINDOW_NAMES);
  checkInt('getWindow', 'length', length, 1);
  return windowCached(name, length, options.periodic ?? true).slice();
}

/** @internal */
export function isWindowName(name: unknown): name is WindowName {
  return WINDOW_NAMES.includes(name as WindowName);
}

/** @internal */
export const windowNames = WINDOW_NAMES;
