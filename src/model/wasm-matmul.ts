import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFn } from './wasm-kernels.js';

/**
 * `BatchMatMul` with `transposeA` or `transposeB` on the wasm backend: the transposed operand is
 * first copied in transposed order (the stock `Transpose` kernel), then multiplied on XNNPACK's
 * non-transposed path. The stock kernel's transposed paths run about 6× slower: for the gradients
 * of a Dense layer on [2400, 128] inputs with 64 units (the attention pooling of `crnn`),
 * 13.8 ms and 14.8 ms against 2.5 ms and 2.0 ms with the copy. Gradients of matrix products are
 * where transposes come from. Checked against the cpu backend in `test/kernels.test.ts`.
 */
export function transposingMatMulKernel(matMul: KernelFn, transpose: KernelFn): KernelFn {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return matMul(args);
    const { backend } = args;
    const copies: tf.TensorInfo[] = [];
    const flip = (t: tf.TensorInfo) => {
      const r = t.shape.length;
      const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
      const out = transpose({ inputs: { x: t }, backend, attrs: { perm } as unknown as tf.NamedAttrMap });
      copies.push(out);
      return out;
    };
    const out = matMul({
      inputs: { a: transposeA ? flip(a) : a, b: transposeB ? flip(b) : b },
      backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    for (const c of copies) backend.disposeData(c.dataId);
    return out;
  };
}
