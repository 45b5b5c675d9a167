import type * as tf from '@tensorflow/tfjs-core';
import { WASM_BUDGET, getRuntime, scratch } from '../dsp/simd-runtime.js';
import type { KernelFn } from './wasm-kernels.js';

/**
 * `Sum` and `Mean` on the wasm backend for reductions over axes that are not the innermost, such as
 * batch normalisation's statistics (every axis but the channels), a convolution's bias gradient,
 * and global average pooling (the time axis). The stock kernels first transpose the whole input so
 * that the reduced axes come last, then reduce: a full copy of the activations for a few hundred
 * sums (16 ms for a fresh [32, 300, 40, 16] activation). Here x is read in place as
 * [outer, reduced, inner] (the reduced axes one contiguous run, `inner` the product of the axes
 * after it), in blocks of rows that stay in cache, each column of a block into a float64 sum
 * (about 4 ms in JavaScript; on the library's SIMD module, four columns per vector, 2.5–4× less).
 * Sums of integers stay exact, as with the stock kernels; other sums are closer to exact than their
 * float32 running sums. A mean divides the float64 sum, then rounds once. Checked
 * against exact sums in `test/kernels.test.ts`. Other reductions (innermost axes, axes not
 * contiguous, integer inputs) keep the stock kernels.
 */

/**
 * x viewed as [outer, reduced, inner] for a reduction over `axes`: the product of the axes before
 * them, of them, and after them; `null` when they are not one contiguous run (or there are none).
 * @internal
 */
export function axisRunLayout(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return null;
  const size = (a: number, b: number) => shape.slice(a, b).reduce((p, n) => p * n, 1);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)];
}

/** Rows of a block: about 16 kB of float32 values, so that each column's pass reads from cache. */
const BLOCK_VALUES = 4096;

/**
 * out[o, i] = Σ_r x[o, r, i] (÷ reduced for a mean) in float64, rounded once to float32: the
 * JavaScript path, where the library's WebAssembly SIMD module cannot run. Hot.
 * @internal
 */
export function reduceMiddleJs(
  xs: Float32Array,
  out: Float32Array,
  [outer, reduced, inner]: [number, number, number],
  mean: boolean,
): void {
  const rows = Math.max(1, Math.floor(BLOCK_VALUES / inner));
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * reduced * inner;
    for (let r0 = 0; r0 < reduced; r0 += rows) {
      const end0 = base + Math.min(reduced, r0 + rows) * inner;
      for (let j = 0; j < inner; j++) {
        // Two running sums, interleaved rows, for the adder's latency.
        let s0 = 0;
        let s1 = 0;
        let q = base + r0 * inner + j;
        const end = end0 + j;
        for (; q + inner < end; q += 2 * inner) {
          s0 += xs[q];
          s1 += xs[q + inner];
        }
        if (q < end) s0 += xs[q];
        acc[j] += s0 + s1;
      }
    }
    for (let j = 0; j < inner; j++) out[o * inner + j] = mean ? acc[j] / reduced : acc[j];
  }
}

/** Values of x per call of the module: a chunk stays in cache from the copy to the sums. */
const CHUNK_VALUES = 16384;

/**
 * {@link reduceMiddleJs} on the library's WebAssembly SIMD module (`reduce_rows_f32`, four columns
 * per vector; the same sums in the same order, so the same bits), x copied in by chunks of whole
 * blocks; the JavaScript path where the module cannot run.
 */
export function reduceMiddle(
  xs: Float32Array,
  out: Float32Array,
  layout: [number, number, number],
  mean: boolean,
): void {
  const [outer, reduced, inner] = layout;
  const rows = Math.max(1, Math.floor(BLOCK_VALUES / inner));
  const chunkRows = rows * Math.max(1, Math.floor(CHUNK_VALUES / (rows * inner)));
  const accBytes = Math.ceil(inner / 2) * 16;
  const rt = getRuntime();
  if (!rt || accBytes + 4 * chunkRows * inner > WASM_BUDGET) {
    reduceMiddleJs(xs, out, layout, mean);
    return;
  }
  const accAt = scratch(rt, accBytes + 4 * chunkRows * inner);
  const xAt = accAt + accBytes;
  for (let o = 0; o < outer; o++) {
    const buf = rt.memory.buffer;
    new Float64Array(buf, accAt, inner).fill(0);
    const base = o * reduced * inner;
    for (let r0 = 0; r0 < reduced; r0 += chunkRows) {
      const k = Math.min(chunkRows, reduced - r0);
      new Float32Array(buf, xAt, k * inner).set(xs.subarray(base + r0 * inner, base + (r0 + k) * inner));
      rt.exports.reduce_rows_f32(k, inner, rows, xAt, accAt);
    }
    const acc = new Float64Array(buf, accAt, inner);
    for (let j = 0; j < inner; j++) out[o * inner + j] = mean ? acc[j] / reduced : acc[j];
  }
}

/** A Sum or Mean kernel that takes middle-axis float32 reductions to {@link reduceMiddle} and the rest to `stock`. */
export function middleReductionKernel(tfc: typeof tf, stock: KernelFn, mean: boolean): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return stock(args);
    const axes = tfc.util.parseAxisParam(axis, x.shape);
    const layout = axisRunLayout(x.shape, axes);
    // Innermost axes (inner = 1) need no transpose: the stock kernel is fine there.
    if (!layout || layout[2] === 1 || layout.includes(0)) return stock(args);
    const shape = keepDims
      ? x.shape.map((n, i) => (axes.includes(i) ? 1 : n))
      : x.shape.filter((_, i) => !axes.includes(i));
    const { backend } = args;
    // The output first: allocating can grow the wasm heap and detach views taken before.
    const out = backend.makeOutput(shape, 'float32');
    reduceMiddle(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), layout, mean);
    return out;
  };
}
