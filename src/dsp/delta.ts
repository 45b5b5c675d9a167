import { SpeechEmotionError } from '../errors.js';
import type { FeatureMatrix } from './types.js';
import { checkInt, checkKnownOptions, invalid } from './validate.js';

/** Options of {@link delta}; names and defaults are librosa's (`librosa.feature.delta`). */
export interface DeltaOptions {
  /** Number of frames over which to compute the derivative: odd, ≥ 3, ≤ the number of frames. Default 9. */
  width?: number;
  /** Derivative order: 1 for delta, 2 for delta-delta. Default 1. */
  order?: number;
}

const cache = new Map<string, Float64Array>();

/**
 * Savitzky–Golay weights: with polynomial order = derivative order, the derivative of the
 * least-squares fit is the same at every point of the window, so one weight vector serves both
 * the interior and librosa's `mode='interp'` edges.
 */
function savgolWeights(width: number, order: number): Float64Array {
  const key = `${width}:${order}`;
  let w = cache.get(key);
  if (w) return w;
  const half = (width - 1) / 2;
  const p = order + 1;
  // Normal equations (AᵀA) c = Aᵀ y with A[i][k] = t_i^k, t_i = i − half. Solve for every y at once
  // by inverting the small p×p matrix; row `order` of (AᵀA)⁻¹Aᵀ gives c_order.
  const ata = new Float64Array(p * p);
  for (let i = 0; i < width; i++) {
    const t = i - half;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) ata[a * p + b] += t ** (a + b);
  }
  const inv = invert(ata, p);
  let fact = 1;
  for (let k = 2; k <= order; k++) fact *= k;
  w = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const t = i - half;
    let acc = 0;
    for (let b = 0; b < p; b++) acc += inv[order * p + b] * t ** b;
    w[i] = fact * acc;
  }
  cache.set(key, w);
  return w;
}

/** Gauss–Jordan inverse of a small, well-conditioned matrix. */
function invert(m: Float64Array, p: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) inv[i * p + i] = 1;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r * p + c]) > Math.abs(a[piv * p + c])) piv = r;
    for (let k = 0; k < p; k++) {
      [a[c * p + k], a[piv * p + k]] = [a[piv * p + k], a[c * p + k]];
      [inv[c * p + k], inv[piv * p + k]] = [inv[piv * p + k], inv[c * p + k]];
    }
    const d = a[c * p + c];
    for (let k = 0; k < p; k++) {
      a[c * p + k] /= d;
      inv[c * p + k] /= d;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r * p + c];
      for (let k = 0; k < p; k++) {
        a[r * p + k] -= f * a[c * p + k];
        inv[r * p + k] -= f * inv[c * p + k];
      }
    }
  }
  return inv;
}

/**
 * Local derivative of features over time (delta features), as `librosa.feature.delta` with
 * `mode='interp'`: a Savitzky–Golay filter of `width` frames and polynomial order `order`. The first
 * and last `width/2` frames use the fit of the first and last full window.
 *
 * Reference: Savitzky, A. & Golay, M. J. E. (1964). Smoothing and differentiation of data by
 * simplified least squares procedures. Analytical Chemistry 36(8).
 *
 * @param m - Features over time, e.g. from {@link extractMfcc}.
 * @param options - See {@link DeltaOptions}.
 * @returns A matrix of the same shape holding the `order`-th derivative per frame.
 * @throws {@link SpeechEmotionError} `SIGNAL_TOO_SHORT` when `width` exceeds the number of frames.
 *
 * @example
 * ```ts
 * const mfcc = extractMfcc(signal, { sampleRate: 16000, nMfcc: 13 });
 * const d1 = delta(mfcc);              // Δ
 * const d2 = delta(mfcc, { order: 2 }); // ΔΔ
 * ```
 */
export function delta(m: FeatureMatrix, options: DeltaOptions = {}): FeatureMatrix {
  checkKnownOptions('delta', options, ['width', 'order']);
  const width = checkInt('delta', 'width', options.width ?? 9, 3);
  if (width % 2 !== 1) throw invalid('delta', `'width' must be odd, got ${width}.`);
  const order = checkInt('delta', 'order', options.order ?? 1, 1);
  if (order >= width) throw invalid('delta', `'order' (${order}) must be below 'width' (${width}).`);
  const { frames, features, data } = m;
  if (width > frames) {
    throw new SpeechEmotionError(
      'SIGNAL_TOO_SHORT',
      `delta: width ${width} exceeds the number of frames (${frames}). Use a smaller odd width (≥ 3) or a longer signal.`,
    );
  }
  const w = savgolWeights(width, order);
  const half = (width - 1) / 2;
  const out = new Float32Array(data.length);
  for (let t = 0; t < frames; t++) {
    const c = Math.min(Math.max(t, half), frames - 1 - half);
    for (let k = 0; k < features; k++) {
      let acc = 0;
      for (let i = 0; i < width; i++) acc += w[i] * data[(c - half + i) * features + k];
      out[t * features + k] = acc;
    }
  }
  return { data: out, frames, features };
}
