import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFn } from './wasm-kernels.js';

/**
 * `Sum` and `Mean` on the wasm backend for reductions over axes that are not the innermost, such as
 * batch normalisation's statistics (every axis but the channels), a convolution's bias gradient,
 * and global average pooling (the time axis). The stock kernels first transpose the whole input so
 * that the reduced axes come last, then reduce: a full copy of the activations for a few hundred
 * sums (16 ms for the statistics of a fresh [32, 300, 40, 16] activation). Here x, viewed in place
 * as [outer, reduced, inner] (the reduced axes one contiguous run, `inner` the product of the axes
 * after it), goes through XNNPACK's average pooling, whose channels are innermost already (1 ms):
 * `reduced` split as a × b, a b-wide pool, then an a-high one, so that no float32 running sum is
 * longer than about √reduced terms. A sum is the mean times the count. Checked against exact sums
 * in `test/kernels.test.ts`. Other reductions (innermost axes, axes not contiguous, integer inputs)
 * keep the stock kernels.
 */

/** [outer, reduced, inner] of a reduction over `axes`, or null when the stock kernel should take it. */
export function reductionLayout(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1] + 1) return null;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (last === shape.length - 1) return null; // innermost: the stock kernel needs no transpose
  const size = (a: number, b: number) => shape.slice(a, b).reduce((p, n) => p * n, 1);
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)];
}

/** a × b = n with b the largest divisor of n not above √n. */
function split(n: number): [number, number] {
  let b = Math.floor(Math.sqrt(n));
  while (n % b !== 0) b--;
  return [n / b, b];
}

/** A Sum or Mean kernel that takes middle-axis float32 reductions to `avgPool` and the rest to `stock`. */
export function middleReductionKernel(
  tfc: typeof tf,
  stock: KernelFn,
  avgPool: KernelFn,
  mean: boolean,
): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32') return stock(args);
    const axes = tfc.util.parseAxisParam(axis, x.shape);
    const layout = reductionLayout(x.shape, axes);
    if (!layout || layout.includes(0)) return stock(args);
    const [outer, reduced, inner] = layout;
    const [a, b] = split(reduced);
    const { backend } = args;
    const pool = (t: tf.TensorInfo, window: [number, number]) =>
      avgPool({
        inputs: { x: t },
        backend,
        attrs: { filterSize: window, strides: window, pad: 'valid' } as unknown as tf.NamedAttrMap,
      });
    let t: tf.TensorInfo = { dataId: x.dataId, shape: [outer, a, b, inner], dtype: 'float32' };
    if (b > 1) t = pool(t, [1, b]); // [outer, a, 1, inner]: means of b
    if (a > 1) {
      const rows = t;
      t = pool(rows, [a, 1]); // [outer, 1, 1, inner]
      if (rows.dataId !== x.dataId) backend.disposeData(rows.dataId);
    }
    if (t.dataId === x.dataId) {
      // Nothing to reduce (a = b = 1): a copy, as the stock kernel returns.
      const copy = backend.makeOutput([outer * inner], 'float32');
      backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(x));
      t = copy;
    }
    if (!mean) {
      const v = backend.typedArrayFromHeap(t);
      for (let i = 0; i < v.length; i++) v[i] *= reduced;
    }
    const shape = keepDims
      ? x.shape.map((n, i) => (axes.includes(i) ? 1 : n))
      : x.shape.filter((_, i) => !axes.includes(i));
    return { dataId: t.dataId, shape, dtype: 'float32' };
  };
}
