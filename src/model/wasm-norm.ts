// Batch normalisation on the WebAssembly SIMD module of src/dsp/simd/norm.h, four channels per
// vector: the per-element pass of its gradient (src/model/gradients.ts), with the JavaScript loop's
// arithmetic in its order, and the forward normalisation, with tfjs-backend-wasm's; each gives the
// same bits as what it replaces (test/kernels.test.ts). cnn2d's epoch spent 7.5 s of 42 in the
// JavaScript loop and 2.8 s in the stock forward kernel (`bench:train -- --profile`, one thread).
import type * as tf from '@tensorflow/tfjs-core';
import { WASM_BUDGET, getRuntime, scratch } from '../dsp/simd-runtime.js';
import type { KernelFn } from './wasm-kernels.js';

/** Values of x (and of dy, dx) per call of the module. */
const CHUNK_VALUES = 16384;

/** Per-channel constants of the pass: the mean, r = 1/√(var + ε) and the scale. */
export interface BatchNormChannels {
  mean: ArrayLike<number>;
  r: Float32Array;
  scale: ArrayLike<number>;
}

/** Per channel, Σdy and Σdy · (x − mean), in float64. */
export interface BatchNormSums {
  sumDy: Float64Array;
  sumDyXm: Float64Array;
}

/**
 * The JavaScript pass, where the module cannot run: over rows of c channels, dx = (dy · r) · scale
 * in float32; per channel, Σdy and Σdy · (x − mean) in float64 (row after row), (x − mean) rounded
 * to float32. Hot.
 * @internal
 */
export function batchNormGradJs(
  xs: ArrayLike<number>,
  g: ArrayLike<number>,
  { mean: m, r, scale: s }: BatchNormChannels,
  dx: Float32Array,
): BatchNormSums {
  const c = r.length;
  const n = c === 0 ? 0 : xs.length;
  const sumDy = new Float64Array(c);
  const sumDyXm = new Float64Array(c);
  // Channels innermost (NHWC): one row of c values per position, no division per element.
  for (let base = 0; base < n; base += c)
    for (let k = 0; k < c; k++) {
      const d = g[base + k];
      sumDy[k] += d;
      sumDyXm[k] += d * Math.fround(xs[base + k] - m[k]);
      dx[base + k] = Math.fround(d * r[k]) * s[k];
    }
  return { sumDy, sumDyXm };
}

/**
 * The pass of {@link batchNormGradJs} (same bits), on the module where it runs and x and dy are
 * float32: in chunks of rows within its memory budget, the sums carried from chunk to chunk.
 */
export function batchNormGradPass(
  xs: ArrayLike<number>,
  g: ArrayLike<number>,
  ch: BatchNormChannels,
  dx: Float32Array,
): BatchNormSums {
  const rt = getRuntime();
  const c = ch.r.length;
  const fixed = 8 * 2 * c + 4 * 3 * c;
  // Rows of about 16 k values per chunk: x, dy and dx (192 kB) stay in cache from copy to kernel to copy.
  const chunk = c === 0 ? 0 : Math.max(1, Math.floor(CHUNK_VALUES / c));
  const rows = c === 0 ? 0 : xs.length / c;
  const m = Math.min(rows, chunk);
  const fits = fixed + 12 * c * m <= WASM_BUDGET;
  if (!rt || m < 1 || !fits || !(xs instanceof Float32Array) || !(g instanceof Float32Array))
    return batchNormGradJs(xs, g, ch, dx);
  // float64 sums first (16-byte aligned), then mean, r, scale, then x, dy and dx of a chunk.
  const sumsAt = scratch(rt, fixed + 12 * c * m);
  const meanAt = sumsAt + 16 * c;
  const xAt = meanAt + 12 * c;
  const gAt = xAt + 4 * c * m;
  const dxAt = gAt + 4 * c * m;
  const buf = rt.memory.buffer;
  new Float64Array(buf, sumsAt, 2 * c).fill(0);
  const consts = new Float32Array(buf, meanAt, 3 * c);
  for (let k = 0; k < c; k++) {
    consts[k] = ch.mean[k];
    consts[2 * c + k] = ch.scale[k];
  }
  consts.set(ch.r, c);
  for (let r0 = 0; r0 < rows; r0 += m) {
    const k = Math.min(m, rows - r0);
    new Float32Array(buf, xAt, k * c).set(xs.subarray(r0 * c, (r0 + k) * c));
    new Float32Array(buf, gAt, k * c).set(g.subarray(r0 * c, (r0 + k) * c));
    rt.exports.batch_norm_grad_f32(
      k,
      c,
      xAt,
      gAt,
      meanAt,
      meanAt + 4 * c,
      meanAt + 8 * c,
      dxAt,
      sumsAt,
      sumsAt + 8 * c,
    );
    dx.set(new Float32Array(buf, dxAt, k * c), r0 * c);
  }
  const sums = new Float64Array(buf, sumsAt, 2 * c);
  return { sumDy: sums.slice(0, c), sumDyXm: sums.slice(c) };
}

/**
 * out = offset + ((x − mean) · scale) / nf per channel in float32, nf = √(var + ε): FusedBatchNorm
 * as tfjs-backend-wasm computes it, on the module (four channels per vector, the same bits), x
 * copied in and out by chunks. False, writing nothing, where the module cannot run.
 */
export function batchNormForward(
  xs: Float32Array,
  { mean, scale, nf, offset }: Record<'mean' | 'scale' | 'nf' | 'offset', Float32Array>,
  out: Float32Array,
): boolean {
  const rt = getRuntime();
  const c = mean.length;
  if (!rt || c === 0) return false;
  const m = Math.max(1, Math.floor(CHUNK_VALUES / c));
  if (16 * c + 8 * c * m > WASM_BUDGET) return false;
  const constsAt = scratch(rt, 16 * c + 8 * c * m);
  const xAt = constsAt + 16 * c;
  const outAt = xAt + 4 * c * m;
  const buf = rt.memory.buffer;
  const consts = new Float32Array(buf, constsAt, 4 * c);
  [mean, scale, nf, offset].forEach((v, i) => consts.set(v, i * c));
  const rows = xs.length / c;
  for (let r0 = 0; r0 < rows; r0 += m) {
    const k = Math.min(m, rows - r0);
    new Float32Array(buf, xAt, k * c).set(xs.subarray(r0 * c, (r0 + k) * c));
    rt.exports.batch_norm_f32(
      k,
      c,
      xAt,
      constsAt,
      constsAt + 4 * c,
      constsAt + 8 * c,
      constsAt + 12 * c,
      outAt,
    );
    out.set(new Float32Array(buf, outAt, k * c), r0 * c);
  }
  return true;
}

/**
 * FusedBatchNorm on wasm through {@link batchNormForward} where every statistic is per channel (or
 * one value), float32: the stock kernel's arithmetic without its per-element index bookkeeping
 * (5 ns a value: 2.8 s of cnn2d's 42 s epoch). Anything else goes to `stock`.
 */
export function batchNormKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || !mean || !variance) return stock(args);
    const { backend } = args;
    const c = x.shape[x.shape.length - 1] ?? 0;
    const size = (t: tf.TensorInfo) => t.shape.reduce((p, n) => p * n, 1);
    const fits = (t: tf.TensorInfo | undefined) =>
      t === undefined || (t.dtype === 'float32' && (size(t) === 1 || size(t) === c));
    if (x.dtype !== 'float32' || c === 0 || size(x) === 0 || ![mean, variance, offset, scale].every(fits))
      return stock(args);
    const eps = Math.fround((args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon);
    // The output first: allocating can grow the wasm heap and detach views taken before.
    const out = backend.makeOutput(x.shape, 'float32');
    const perChannel = (t: tf.TensorInfo | undefined, none: number) => {
      if (!t) return new Float32Array(c).fill(none);
      const v = backend.typedArrayFromHeap(t);
      return v.length === c ? Float32Array.from(v) : new Float32Array(c).fill(v[0]);
    };
    const nf = perChannel(variance, 0).map((v) => Math.sqrt(Math.fround(v + eps)));
    const ch = { mean: perChannel(mean, 0), scale: perChannel(scale, 1), nf, offset: perChannel(offset, 0) };
    if (batchNormForward(backend.typedArrayFromHeap(x), ch, backend.typedArrayFromHeap(out))) return out;
    backend.disposeData(out.dataId);
    return stock(args);
  };
}
