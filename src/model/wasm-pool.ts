// MaxPoolGrad for tiling windows (every pooling layer of the built-in designs), on the WebAssembly
// SIMD module of src/dsp/simd/kernels.c: four channels per vector, with compares and selects where
// a JavaScript scan takes a mispredicted branch every other input (45 ms → about 10 ms for the
// [32, 300, 40, 16] activation of cnn2d's first layer, copies in and out included).
import { WASM_BUDGET, getRuntime, scratch } from '../dsp/simd-runtime.js';

/**
 * MaxPoolGrad for windows that tile the input (stride = window, no padding: every pooling layer of
 * the built-in designs): each input belongs to at most one window, so each window's gradient is
 * written once, at its first largest input, into a zeroed dx. The JavaScript path, where the
 * WebAssembly SIMD module cannot run. Hot: one scan per channel.
 * @internal
 */
export function tilingMaxPoolGradJs(
  xs: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  [n, h, w, c]: number[],
  [oh, ow, fh, fw]: number[],
): void {
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const corner = ((b * h + y * fh) * w + x * fw) * c;
        for (let ch = 0; ch < c; ch++, o++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let i = 0; i < fh; i++) {
            let q = corner + i * w * c + ch;
            for (let j = 0; j < fw; j++, q += c)
              if (xs[q] > best) {
                best = xs[q];
                at = q;
              }
          }
          if (at >= 0) dx[at] = g[o];
        }
      }
}

/**
 * dx of max pooling with windows that tile the input (stride = window, no padding), NHWC: each
 * window's gradient at its first largest input (row-major), 0 elsewhere. Works through the images in
 * chunks of about 1 MB of the module's memory; JavaScript where the module cannot run.
 */
export function tilingMaxPoolGrad(
  xs: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  [n, h, w, c]: number[],
  [oh, ow, fh, fw]: number[],
): void {
  const rt = getRuntime();
  const image = h * w * c;
  const pooled = oh * ow * c;
  const per = 4 * (2 * image + pooled);
  if (!rt || per > WASM_BUDGET) {
    dx.fill(0);
    tilingMaxPoolGradJs(xs, g, dx, [n, h, w, c], [oh, ow, fh, fw]);
    return;
  }
  // About 1 MB a call (at least one image: cnn2d's first layer's are 1.7 MB), so that what a call
  // copies in, writes and copies out stays in cache: 22.8 → 12.6–14.9 ms for that layer.
  const chunk = Math.max(1, Math.min(n, Math.floor((1 << 20) / per)));
  const base = scratch(rt, chunk * per);
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const k = Math.min(chunk, n - b0);
    const buf = rt.memory.buffer;
    const xAt = base;
    const gAt = xAt + 4 * k * image;
    const dxAt = gAt + 4 * k * pooled;
    new Float32Array(buf, xAt, k * image).set(xs.subarray(b0 * image, (b0 + k) * image));
    new Float32Array(buf, gAt, k * pooled).set(g.subarray(b0 * pooled, (b0 + k) * pooled));
    rt.exports.maxpool_grad_tiling(k, h, w, c, fh, fw, xAt, gAt, dxAt);
    dx.set(new Float32Array(buf, dxAt, k * image), b0 * image);
  }
}
