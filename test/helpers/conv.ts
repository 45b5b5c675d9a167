// Convolution helpers shared by the kernel tests (test/kernels.test.ts, test/fused.test.ts).
import * as tf from '@tensorflow/tfjs-core';

/** conv(x, w) (`y`) and the gradients of sum(conv(x, w)²) with respect to x and w, on a backend. */
export async function convGrads(
  backend: 'wasm' | 'cpu',
  x: Float32Array,
  xShape: number[],
  w: Float32Array,
  wShape: number[],
  stride: number,
  pad: 'same' | 'valid' | number,
  oneD: boolean,
): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const xt = tf.tensor(x, xShape);
  const wt = tf.tensor(w, wShape);
  const conv = (a: tf.Tensor, b: tf.Tensor) =>
    oneD
      ? tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, stride, pad as 'same' | 'valid')
      : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad);
  const f = (a: tf.Tensor, b: tf.Tensor) => {
    const y = conv(a, b);
    return tf.sum(tf.mul(y, y));
  };
  const y = conv(xt, wt);
  const [dx, dw] = tf.grads(f)([xt, wt]);
  const out = {
    y: (await y.data()) as Float32Array,
    dx: (await dx.data()) as Float32Array,
    dw: (await dw.data()) as Float32Array,
  };
  tf.dispose([xt, wt, y, dx, dw]);
  return out;
}

/** The largest absolute difference of `a` from `b`, over the largest magnitude of `b`. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / scale;
}

/** `n` repeatable pseudo-random values in [−1, 1) from `seed`. */
export const rand = (n: number, seed: number) => {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
};
