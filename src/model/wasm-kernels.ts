import type * as tf from '@tensorflow/tfjs-core';
import { loadTf } from './tf.js';
import { conv1dFilterGrad, conv1dInputGrad } from './wasm-conv1d.js';
import {
  type ConvAttrs,
  conv1dShape,
  conv2dFilterGrad,
  conv2dForward,
  convKernel,
  pair,
  useConv2dForward,
} from './wasm-conv2d.js';
import { transposingMatMulKernel } from './wasm-matmul.js';
import { batchNormKernel } from './wasm-norm.js';
import { tilingMaxPoolGrad } from './wasm-pool.js';
import { middleReductionKernel } from './wasm-reductions.js';

/**
 * Training kernels for the wasm backend, which TensorFlow.js 4.x lacks or runs slowly:
 *
 * - One-dimensional convolutions (`Conv2D` and both gradients over images one row high, stride and
 *   dilation 1: every Conv1D layer of the built-in designs) on the library's WebAssembly SIMD
 *   kernels (`wasm-conv1d.ts`), with the same bits: the forward pass and input gradient about 1.3×
 *   as fast as XNNPACK's convolution, the filter gradient 1.5–2.8× the im2col product below.
 * - `Conv2DBackpropFilter` (missing: stock wasm cannot train any convolution). At stride and dilation
 *   1 (`cnn2d`'s), on the library's kernel over the padded input (`conv2dFilterGrad`): the sums of
 *   the im2col product below, in its order, so the same bits, without building the columns. Else
 *   matrix written in JS straight into wasm memory, then one **non-transposed** `BatchMatMul`
 *   (XNNPACK; the transposed paths are about 8× slower): dW[(kh,kw,cin), cout] = colsᵀ · dy.
 * - `Conv2DBackpropInput` (present, but a naive loop: 300 ms of a 440 ms training step of the
 *   reference CNN). For stride 1 the input gradient is itself a convolution: dy, padded, convolved
 *   with the filter flipped in space and with its channel axes swapped, which runs on the fast
 *   XNNPACK `Conv2D`. Other strides keep the stock kernel.
 * - Two-dimensional convolutions at stride 1 (`Conv2D`, `FusedConv2D` with a bias, the input
 *   gradient) on the library's kernels when training runs fused, and for one output channel
 *   (`wasm-conv2d.ts`); else XNNPACK.
 * - `MaxPoolGrad` (present, but slow, and wrong for windows whose maximum is negative): one pass
 *   that routes each window's gradient to its first maximum, as the cpu backend does; for windows
 *   that tile the input, on the WebAssembly SIMD module (`wasm-pool.ts`).
 * - `Identity`, and `Cast` to the same type, without a copy (the tape clones what it saves).
 * - `BatchMatMul` with a transposed operand: the operand copied transposed first, then XNNPACK's
 *   non-transposed product, about 6× faster (`wasm-matmul.ts`).
 * - `Sum` and `Mean` over axes that are not the innermost (batch-norm statistics, bias gradients):
 *   summed in float64 on the SIMD module, instead of transposed first (`wasm-reductions.ts`).
 * - `FusedBatchNorm` with per-channel statistics: the stock arithmetic on the SIMD module (`wasm-norm.ts`).
 * All are checked against the cpu backend (or bit for bit) on random shapes in `test/kernels.test.ts`.
 */

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackendLike; attrs?: tf.NamedAttrMap };

/** The part of the wasm backend these kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): void;
  incRef(dataId: object): void;
}

export type KernelFn = (args: KernelArgs) => tf.TensorInfo;

let registered = false;

/** Top and left padding of a forward convolution, as tfjs computes it. */
function padTopLeft(
  pad: unknown,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
): [number, number] {
  if (pad === 'same') {
    return [
      Math.floor(Math.max((outH - 1) * sh + kh - inH, 0) / 2),
      Math.floor(Math.max((outW - 1) * sw + kw - inW, 0) / 2),
    ];
  }
  if (typeof pad === 'number') return [pad, pad];
  if (Array.isArray(pad)) return [pad[1][0], pad[2][0]];
  return [0, 0]; // 'valid'
}

/** unfoldContiguous's transposed input, kept between steps (the same shapes come every batch). */
let scratch = new Float32Array(0);

/**
 * colsᵀ of Conv2DBackpropFilter for width stride and dilation 1 (every conv1d of the built-in
 * designs): x is first transposed to channel-major order, so that each (tap, channel, image row)
 * segment of colsᵀ is one contiguous copy, with zeros where the tap reaches into the padding,
 * instead of a gather with stride c. The same values as the general loop.
 */
function unfoldContiguous(
  xs: Float32Array,
  cols: Float32Array,
  [n, h, w, c]: number[],
  [kh, kw, oh, ow]: number[],
  [sh, dh, pt, pl]: number[],
): void {
  const positions = n * h * w;
  if (scratch.length < positions * c) scratch = new Float32Array(positions * c);
  const xT = scratch;
  for (let q = 0; q < positions; q++) {
    const base = q * c;
    for (let ch = 0; ch < c; ch++) xT[ch * positions + q] = xs[base + ch];
  }
  const p = n * oh * ow;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      // Output columns whose input column x − pl + j lies inside the image.
      const lo = Math.min(ow, Math.max(0, pl - j));
      const hi = Math.max(lo, Math.min(ow, w + pl - j));
      for (let ch = 0; ch < c; ch++) {
        let at = ((i * kw + j) * c + ch) * p;
        if (sh === 1 && ow === w) {
          // Stride 1 and output rows as wide as input rows: each image's valid rows are one
          // contiguous block of xT, so one copy, then the few columns that wrapped from the
          // neighbouring rows (the tap's reach into the left and right padding) are zeroed.
          const yLo = Math.min(oh, Math.max(0, pt - i * dh));
          const yHi = Math.max(yLo, Math.min(oh, h + pt - i * dh));
          for (let b = 0; b < n; b++, at += oh * ow) {
            cols.fill(0, at, at + yLo * ow);
            cols.fill(0, at + yHi * ow, at + oh * ow);
            if (yHi === yLo) continue;
            const src = ch * positions + (b * h + yLo - pt + i * dh) * w - pl + j;
            cols.set(xT.subarray(src + lo, src + (yHi - yLo - 1) * w + hi), at + yLo * ow + lo);
            for (let y = yLo; y < yHi; y++) {
              const row = at + y * ow;
              for (let t = 0; t < lo; t++) cols[row + t] = 0;
              for (let t = hi; t < ow; t++) cols[row + t] = 0;
            }
          }
          continue;
        }
        for (let b = 0; b < n; b++)
          for (let y = 0; y < oh; y++, at += ow) {
            const iy = y * sh - pt + i * dh;
            if (iy < 0 || iy >= h) {
              cols.fill(0, at, at + ow);
              continue;
            }
            const src = ch * positions + (b * h + iy) * w - pl + j;
            if (lo > 0) cols.fill(0, at, at + lo);
            cols.set(xT.subarray(src + lo, src + hi), at + lo);
            if (hi < ow) cols.fill(0, at + hi, at + ow);
          }
      }
    }
}

/**
 * Conv2DBackpropFilter, which tfjs-backend-wasm lacks: the input unfolded into columns (im2col), then
 * one non-transposed matMul with dy. One function, because the unfolding loop is the hot path.
 */
function backpropFilterKernel(tfc: typeof tf, matMul: KernelFn): KernelFn {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as ConvAttrs & { filterShape: number[] };
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
    const s = conv1dShape(tfc, x.shape, a.filterShape, a);
    if (s) {
      const out = backend.makeOutput(a.filterShape, 'float32');
      const [xs, g] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(dy)];
      if (conv1dFilterGrad(xs, g, backend.typedArrayFromHeap(out), s)) return out;
      backend.disposeData(out.dataId);
    }
    const [n, h, w, c] = x.shape;
    const [, oh, ow, co] = dy.shape;
    const [kh, kw] = a.filterShape;
    const [sh, sw] = pair(a.strides);
    const [dh, dw] = pair(a.dilations ?? 1);
    const [pt, pl] = padTopLeft(a.pad, h, w, oh, ow, (kh - 1) * dh + 1, (kw - 1) * dw + 1, sh, sw);
    if (sh === 1 && sw === 1 && dh === 1 && dw === 1) {
      // The same sums, in the same order, on the library's kernel, without the im2col columns.
      const out = backend.makeOutput(a.filterShape, 'float32');
      const shape = { n, h, w, c, kh, kw, pt, pl, oh, ow, co };
      const [xs, g] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(dy)];
      if (conv2dFilterGrad(xs, g, backend.typedArrayFromHeap(out), shape)) return out;
      backend.disposeData(out.dataId);
    }
    const p = n * oh * ow;
    const k = kh * kw * c;
    const colsInfo = backend.makeOutput([1, k, p], 'float32');
    const cols = backend.typedArrayFromHeap(colsInfo);
    const xs = backend.typedArrayFromHeap(x);
    // colsᵀ[(i, j, ch), (b, y, x)] = input sample under filter tap (i, j) for output (b, y, x).
    if (sw === 1 && dw === 1) unfoldContiguous(xs, cols, [n, h, w, c], [kh, kw, oh, ow], [sh, dh, pt, pl]);
    else
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let ch = 0; ch < c; ch++) {
            let at = ((i * kw + j) * c + ch) * p;
            for (let b = 0; b < n; b++) {
              for (let y = 0; y < oh; y++) {
                const iy = y * sh - pt + i * dh;
                if (iy < 0 || iy >= h) {
                  cols.fill(0, at, at + ow);
                  at += ow;
                  continue;
                }
                const rowBase = (b * h + iy) * w;
                for (let xo = 0; xo < ow; xo++, at++) {
                  const ix = xo * sw - pl + j * dw;
                  cols[at] = ix >= 0 && ix < w ? xs[(rowBase + ix) * c + ch] : 0;
                }
              }
            }
          }
        }
      }
    const dy3: tf.TensorInfo = { dataId: dy.dataId, shape: [1, p, co], dtype: 'float32' };
    const out = matMul({
      inputs: { a: colsInfo, b: dy3 },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    backend.disposeData(colsInfo.dataId);
    return { dataId: out.dataId, shape: [kh, kw, c, co], dtype: 'float32' };
  };
}

/**
 * Conv2DBackpropInput for stride and dilation 1: a forward convolution of dy with the flipped,
 * transposed filter on XNNPACK; other cases go to the stock kernel.
 */
function backpropInputKernel(tfc: typeof tf, conv2d: KernelFn, stockInput: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as ConvAttrs & { inputShape: number[] };
    const s = conv1dShape(tfc, a.inputShape, filter.shape, a);
    if (s && s.padL <= s.k - 1) {
      const out = backend.makeOutput(a.inputShape, 'float32');
      const [g, ws] = [backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(filter)];
      if (conv1dInputGrad(g, ws, backend.typedArrayFromHeap(out), s)) return out;
      backend.disposeData(out.dataId);
    }
    const [sh, sw] = pair(a.strides);
    const [dh, dw] = pair(a.dilations ?? 1);
    if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || a.dataFormat === 'NCHW') return stockInput(args);
    const [, h, w, c] = a.inputShape;
    const [, oh, ow, co] = dy.shape;
    const [kh, kw] = filter.shape;
    const [pt, pl] = padTopLeft(a.pad, h, w, oh, ow, kh, kw, 1, 1);
    const top = kh - 1 - pt;
    const left = kw - 1 - pl;
    const bottom = h - oh - top + kh - 1;
    const right = w - ow - left + kw - 1;
    // Forward padding wider than the kernel would need negative padding (a crop) here, which
    // XNNPACK does not take: keep the stock kernel for that rare case.
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return stockInput(args);
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    // wT[i, j, o, ch] = W[kh−1−i, kw−1−j, ch, o]
    const wInfo = backend.makeOutput([kh, kw, co, c], 'float32');
    const dst = backend.typedArrayFromHeap(wInfo);
    const src = backend.typedArrayFromHeap(filter);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const s0 = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * co;
        const d0 = (i * kw + j) * co * c;
        for (let ch = 0; ch < c; ch++)
          for (let o = 0; o < co; o++) dst[d0 + o * c + ch] = src[s0 + ch * co + o];
      }
    }
    // On the library's kernel where it runs fused (or faster), else XNNPACK.
    const shape = { n: dy.shape[0], h: oh, w: ow, c: co, kh, kw, pt: top, pl: left, oh: h, ow: w, co: c };
    if (useConv2dForward(shape, false)) {
      const dx = backend.makeOutput(a.inputShape, 'float32');
      if (conv2dForward(backend.typedArrayFromHeap(dy), dst, null, backend.typedArrayFromHeap(dx), shape)) {
        backend.disposeData(wInfo.dataId);
        return dx;
      }
      backend.disposeData(dx.dataId);
    }
    const out = conv2d({
      inputs: { x: dy, filter: wInfo },
      backend,
      attrs: {
        strides: [1, 1],
        pad,
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: a.dimRoundingMode,
      } as unknown as tf.NamedAttrMap,
    });
    backend.disposeData(wInfo.dataId);
    return out;
  };
}

/**
 * MaxPoolGrad in one pass over the windows: each window's gradient goes to the first largest input
 * of the window (row-major, padding excluded), as the cpu backend routes it, added up where windows
 * overlap. Channels innermost (NHWC). The stock wasm kernel searches the windows around every input
 * position, and drops the gradient of a window whose largest input is negative (measured: on
 * [0.3, −0.2 | 0.1, −0.5] it gives channel 1 no gradient; cpu gives it to −0.2). Dilated pooling
 * keeps the stock kernel.
 */
function maxPoolGradKernel(tfc: typeof tf, stock: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const a = attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (input.shape.length !== 4) return stock(args);
    const info = tfc.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, padInfo } = info;
    const [n, h, w, c] = input.shape;
    const { outHeight: oh, outWidth: ow } = info;
    const dxInfo = backend.makeOutput([n, h, w, c], 'float32');
    const dx = backend.typedArrayFromHeap(dxInfo);
    const xs = backend.typedArrayFromHeap(input);
    const g = backend.typedArrayFromHeap(dy);
    const tiling = sh === fh && sw === fw && padInfo.top === 0 && padInfo.left === 0;
    if (tiling && oh === Math.floor(h / fh) && ow === Math.floor(w / fw)) {
      tilingMaxPoolGrad(xs, g, dx, [n, h, w, c], [oh, ow, fh, fw]);
      return dxInfo;
    }
    dx.fill(0);
    const best = new Float32Array(c);
    const at = new Int32Array(c);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < oh; y++) {
        const y0 = Math.max(0, y * sh - padInfo.top);
        const y1 = Math.min(h, y * sh - padInfo.top + fh);
        for (let x = 0; x < ow; x++) {
          const x0 = Math.max(0, x * sw - padInfo.left);
          const x1 = Math.min(w, x * sw - padInfo.left + fw);
          best.fill(Number.NEGATIVE_INFINITY);
          at.fill(-1);
          for (let i = y0; i < y1; i++)
            for (let j = x0; j < x1; j++) {
              const row = ((b * h + i) * w + j) * c;
              for (let ch = 0; ch < c; ch++)
                if (xs[row + ch] > best[ch]) {
                  best[ch] = xs[row + ch];
                  at[ch] = row + ch;
                }
            }
          const o = ((b * oh + y) * ow + x) * c;
          for (let ch = 0; ch < c; ch++) if (at[ch] >= 0) dx[at[ch]] += g[o + ch];
        }
      }
    return dxInfo;
  };
}

/**
 * Identity, and Cast to the type the input already has, sharing the input's memory
 * (reference-counted, as Reshape does on wasm and Identity does on the cpu backend) instead of
 * copying it: the gradient tape clones every tensor it saves for the backward pass (on wasm each
 * clone was a full copy: 7.6% of a crnn training step), and ReLU's gradient casts a float32 step to
 * float32 (cnn2d: 17 ms of copies a training step).
 */
function sharingKernel(stock: KernelFn): KernelFn {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const dtype = (args.attrs as { dtype?: tf.DataType } | undefined)?.dtype ?? x.dtype;
    if (x.dtype === 'string' || dtype !== x.dtype) return stock(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Registers the fast training kernels on the wasm backend (idempotent). {@link useBackend} calls it
 * when it selects wasm; call it yourself only if you set the backend with `tf.setBackend('wasm')`.
 * They replace kernels for the whole process, not only for this library: `tf.conv1d` (and
 * `tf.conv2d` over images one row high) with stride 1, `tf.sum` and `tf.mean` over outer axes,
 * `tf.matMul` with a transposed operand, `tf.clone` and `tf.cast` to the same type (no copy), `tf.batchNorm` (same bits). Results
 * agree with the stock kernels to float32 rounding (sums of integers exactly; the one-dimensional
 * convolutions to the bit).
 * @throws when the wasm backend is not registered with TensorFlow.js.
 */
export async function registerWasmTrainingKernels(): Promise<void> {
  if (registered) return;
  const tf = await loadTf();
  const get = (name: string) => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm kernel ${name} is missing; is @tensorflow/tfjs-backend-wasm loaded?`);
    return k.kernelFunc as unknown as KernelFn;
  };
  // Every replacement wraps stock kernels, got before any is swapped (two wrap BatchMatMul).
  const replacements: [string, KernelFn][] = [
    ['Conv2D', convKernel(tf, get('Conv2D'))],
    ['FusedConv2D', convKernel(tf, get('FusedConv2D'))],
    ['Conv2DBackpropFilter', backpropFilterKernel(tf, get('BatchMatMul'))],
    ['Conv2DBackpropInput', backpropInputKernel(tf, get('Conv2D'), get('Conv2DBackpropInput'))],
    ['MaxPoolGrad', maxPoolGradKernel(tf, get('MaxPoolGrad'))],
    ['FusedBatchNorm', batchNormKernel(get('FusedBatchNorm'))],
    ['Identity', sharingKernel(get('Identity'))],
    ['Cast', sharingKernel(get('Cast'))],
    ['BatchMatMul', transposingMatMulKernel(get('BatchMatMul'), get('Transpose'))],
    ['Sum', middleReductionKernel(tf, get('Sum'), false)],
    ['Mean', middleReductionKernel(tf, get('Mean'), true)],
  ];
  for (const [kernelName, kernelFunc] of replacements) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  registered = true;
}
