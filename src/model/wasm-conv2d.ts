// Two-dimensional convolutions of training at stride and dilation 1 (cnn2d's Conv2D layers) on the
// library's WebAssembly SIMD kernels of src/dsp/simd/conv1d.h: the forward pass (with its bias),
// the input gradient (a forward convolution of dy, src/model/wasm-kernels.ts) and the filter
// gradient. Each chunk of items is padded into the module's memory, so that every tap is one fixed
// offset from the output position, and the products are added in the order of the kernels they
// replace (XNNPACK's convolution, the im2col product): the same bits (test/kernels.test.ts). With
// fused multiply-adds on (setFusedConvolutions), they run from the fused module: other bits, faster.
// Without, the forward pass and the input gradient stay on XNNPACK, which is as fast there, except
// for one output channel ({@link useConv2dForward}).
import type * as tf from '@tensorflow/tfjs-core';
import { scratch } from '../dsp/simd-runtime.js';
import {
  type Conv1dShape,
  conv1dForward,
  copyRows,
  fusedConvolutions,
  itemsPerCall,
  packFilters,
  roundUp8,
  trainingRuntime,
} from './wasm-conv1d.js';
import type { KernelFn } from './wasm-kernels.js';

/** Sizes of a stride-1 two-dimensional convolution, channels last (NHWC). */
export interface Conv2dShape {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  /** Zero rows above and columns left of the input. */
  pt: number;
  pl: number;
  oh: number;
  ow: number;
  co: number;
}

/**
 * A stride-1 convolution laid out in the module: the padded frame (hp × wp), bytes per item (its
 * padded input, and its output or dy rows f8 wide), bytes besides (the packed filters and `extra`
 * floats), the runtime, and the items per call.
 */
function frame(s: Conv2dShape, extra: number) {
  const f8 = roundUp8(s.co);
  const [hp, wp] = [s.oh + s.kh - 1, s.ow + s.kw - 1];
  const per = 4 * (hp * wp * s.c + s.oh * wp * f8);
  const fixed = 4 * (s.kh * s.kw * s.c * f8 + extra);
  return { f8, hp, wp, per, fixed, rt: trainingRuntime(), chunk: itemsPerCall(per, fixed, s.n) };
}

/**
 * Items i0 … i0 + m − 1 of x copied into `xp`, padded: (oh + kh − 1) rows of (ow + kw − 1) columns
 * each, the image at row pt and column pl (cropped where the padding is negative), zeros around.
 */
function padItems(x: Float32Array, xp: Float32Array, i0: number, m: number, s: Conv2dShape): void {
  const { h, w, c, kh, kw, pt, pl, oh, ow } = s;
  const [hp, wp] = [oh + kh - 1, ow + kw - 1];
  // Input rows y − pt inside the image, columns x − pl: the rest of the padded image stays zero.
  const [y0, y1] = [Math.max(0, pt), Math.min(hp, h + pt)];
  const [cols, skip] = [Math.min(w, wp - pl), Math.max(0, -pl)];
  xp.fill(0);
  for (let i = 0; i < m; i++)
    for (let y = y0; y < y1; y++) {
      const from = (((i0 + i) * h + y - pt) * w + skip) * c;
      xp.set(x.subarray(from, from + (cols - skip) * c), ((i * hp + y) * wp + pl + skip) * c);
    }
}

/**
 * y[i][y][x][o] = bias[o] + Σ_a Σ_b Σ_ch x[i][y − pt + a][x − pl + b][ch] · w[a][b][ch][o] at stride
 * and dilation 1, the products added after the bias in the order of (a, b, ch), as XNNPACK's
 * convolution adds them (its padding multiplies zeros too): the same bits. Returns false, writing
 * nothing, where the module cannot run or no item fits its budget. The kernels use it where
 * {@link useConv2dForward} says so.
 */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  s: Conv2dShape,
): boolean {
  const { n, c, kh, kw, oh, ow, co } = s;
  const { f8, hp, wp, per, fixed, rt, chunk } = frame(s, roundUp8(co));
  // The kernel keeps up to 64 tap offsets (8 × 8 filters). One channel in and one out XNNPACK
  // runs as a depthwise convolution, which adds the taps column by column: left to it.
  if (!rt || chunk === 0 || n === 0 || oh <= 0 || ow <= 0 || kh * kw > 64 || (c === 1 && co === 1))
    return false;
  if (oneOutput(s, !!bias)) return conv2dOneOutput(x, w, y, s);
  const wAt = scratch(rt, fixed + chunk * per);
  const bAt = wAt + 4 * kh * kw * c * f8;
  const xAt = bAt + 4 * f8;
  const yAt = xAt + 4 * chunk * hp * wp * c;
  packFilters(w, kh * kw * c, co, new Float32Array(rt.memory.buffer, wAt, kh * kw * c * f8));
  const b = new Float32Array(rt.memory.buffer, bAt, f8).fill(0);
  if (bias) b.set(bias.subarray(0, co));
  const rows = (oh - 1) * wp + ow;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const buf = rt.memory.buffer;
    padItems(x, new Float32Array(buf, xAt, m * hp * wp * c), i0, m, s);
    rt.exports.conv2d_packed_f32(m, hp, wp, c, kh, kw, rows, oh, f8, xAt, wAt, bAt, yAt);
    const yp = new Float32Array(buf, yAt, m * oh * wp * f8);
    for (let r = 0; r < m * oh; r++)
      copyRows(yp.subarray(r * wp * f8), y.subarray((i0 * oh + r) * ow * co), ow, f8, co);
  }
  return true;
}

/**
 * Whether {@link conv2dOneOutput} takes the convolution: one output channel, several inputs, no
 * bias, and the input whole inside its padded frame (no negative padding).
 */
const oneOutput = ({ h, w, c, kh, kw, pt, pl, oh, ow, co }: Conv2dShape, bias: boolean) =>
  co === 1 && !bias && c > 1 && pt >= 0 && pl >= 0 && h + pt <= oh + kh - 1 && w + pl <= ow + kw - 1;

/**
 * {@link conv2dForward} for one output channel without a bias (the input gradient of a
 * convolution over one channel, as cnn2d's first layer: 48–65 ms a step on XNNPACK, whose filters
 * go eight at a time, for a gradient nothing reads: tfjs's fused convolution computes it anyway),
 * sixteen positions per vector step: each chunk of items copied in, spread into one padded plane per
 * channel (`planes_f32`), then `conv2d_one_out_f32`. The same sums in the same order.
 */
function conv2dOneOutput(x: Float32Array, w: Float32Array, y: Float32Array, s: Conv2dShape): boolean {
  const { n, h, w: width, c, kh, kw, pt, pl, oh, ow } = s;
  const wp = ow + kw - 1;
  const plane = (oh + kh - 1) * wp + 16;
  const per = 4 * (h * width * c + c * plane + oh * wp + 16);
  const rt = trainingRuntime();
  // About 2 MB at a time (one of cnn2d's items), so that the planes are still in cache for the kernel.
  const chunk = Math.min(itemsPerCall(per, 4 * kh * kw * c, n), Math.max(1, Math.floor((2 << 20) / per)));
  if (!rt || chunk === 0) return false;
  const wAt = scratch(rt, 4 * kh * kw * c + chunk * per);
  const xAt = wAt + 4 * kh * kw * c;
  const pAt = xAt + 4 * chunk * h * width * c;
  const yAt = pAt + 4 * chunk * c * plane;
  new Float32Array(rt.memory.buffer, wAt, kh * kw * c).set(w.subarray(0, kh * kw * c));
  const rows = (oh - 1) * wp + ow;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const buf = rt.memory.buffer;
    new Float32Array(buf, xAt, m * h * width * c).set(
      x.subarray(i0 * h * width * c, (i0 + m) * h * width * c),
    );
    rt.exports.planes_f32(m, h, width, c, wp, pt, pl, plane, xAt, pAt);
    rt.exports.conv2d_one_out_f32(m, wp, c, kh, kw, rows, oh, plane, pAt, wAt, yAt);
    const yp = new Float32Array(buf, yAt, m * (oh * wp + 16));
    for (let i = 0; i < m; i++)
      for (let r = 0; r < oh; r++) {
        const from = i * (oh * wp + 16) + r * wp;
        y.set(yp.subarray(from, from + ow), ((i0 + i) * oh + r) * ow);
      }
  }
  return true;
}

/**
 * Whether the kernels run a two-dimensional convolution (forward, input gradient) on
 * {@link conv2dForward}: where they run fused, and for one output channel without a bias. Multiplying
 * then adding, its eight-filter kernel took about 1.25× the time of XNNPACK's convolution on cnn2d's
 * shapes (median of twelve; 0.9–1.5× single runs: bench/README.md, 2026-12-07), so XNNPACK keeps
 * those; fused, about 1.25× less (0.9–1.6×).
 */
export function useConv2dForward(s: Conv2dShape, bias: boolean): boolean {
  return fusedConvolutions() || oneOutput(s, bias);
}

/**
 * dw[a][b][ch][o] = Σ_i Σ_y Σ_x x[i][y − pt + a][x − pl + b][ch] · dy[i][y][x][o] at stride and
 * dilation 1, summed over the items and output positions in order (the order of the im2col product):
 * each chunk of items' inputs padded into the module's memory, dy's rows widened to the padded
 * width. Returns false, writing nothing, where the module cannot run or no item fits its budget.
 */
export function conv2dFilterGrad(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  s: Conv2dShape,
): boolean {
  const { n, c, kh, kw, oh, ow, co } = s;
  const { f8, hp, wp, per, fixed, rt, chunk } = frame(s, 0);
  if (!rt || chunk === 0 || n === 0) return false;
  const wAt = scratch(rt, fixed + chunk * per);
  const xAt = wAt + fixed;
  const gAt = xAt + 4 * chunk * hp * wp * c;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const buf = rt.memory.buffer;
    padItems(x, new Float32Array(buf, xAt, m * hp * wp * c), i0, m, s);
    const g = new Float32Array(buf, gAt, m * oh * wp * f8).fill(0);
    for (let r = 0; r < m * oh; r++)
      copyRows(dy.subarray((i0 * oh + r) * ow * co), g.subarray(r * wp * f8), ow, co, f8);
    const rows = (oh - 1) * wp + ow;
    rt.exports.conv2d_filter_grad_f32(m, hp, wp, c, kh, kw, rows, oh, f8, xAt, gAt, i0 > 0 ? 1 : 0, wAt);
  }
  copyRows(new Float32Array(rt.memory.buffer, wAt, kh * kw * c * f8), dw, kh * kw * c, f8, co);
  return true;
}

/** The attributes of Conv2D, FusedConv2D and their gradients that these kernels read. @internal */
export type ConvAttrs = {
  strides: number | number[];
  pad: unknown;
  dataFormat?: string;
  dilations?: number | number[];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** A stride, dilation or pad attribute as [height, width]. @internal */
export function pair(v: number | number[]): [number, number] {
  return Array.isArray(v) ? [v[0], v[v.length === 1 ? 0 : 1]] : [v, v];
}

/**
 * The one-dimensional convolution behind a conv2d's shapes and attributes: images and filters one row
 * high, stride and dilation 1, channels last, no padding above or below; else null. @internal
 */
export function conv1dShape(
  tfc: typeof tf,
  xShape: number[],
  filterShape: number[],
  a: ConvAttrs,
): Conv1dShape | null {
  const [n, h, w, c] = xShape;
  const [kh, k, , co] = filterShape;
  const s = conv2dShape(tfc, xShape, filterShape, a);
  if (!s || h !== 1 || kh !== 1 || s.oh !== 1 || s.pt !== 0) return null;
  return { n, tIn: w, c, k, padL: s.pl, tOut: s.ow, co };
}

/**
 * The stride-1 two-dimensional convolution behind a conv2d's shapes and attributes: stride and
 * dilation 1, channels last (any padding); else null. @internal
 */
export function conv2dShape(
  tfc: typeof tf,
  xShape: number[],
  filterShape: number[],
  a: ConvAttrs,
): Conv2dShape | null {
  const [sh, sw] = pair(a.strides);
  const [dh, dw] = pair(a.dilations ?? 1);
  if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || a.dataFormat === 'NCHW') return null;
  const info = tfc.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    1,
    1,
    a.pad as 'same',
    a.dimRoundingMode,
  );
  const [n, h, w, c] = xShape;
  const [kh, kw, , co] = filterShape;
  const { top, left } = info.padInfo;
  return { n, h, w, c, kh, kw, pt: top, pl: left, oh: info.outHeight, ow: info.outWidth, co };
}

/**
 * Conv2D, or FusedConv2D with a bias of one value per filter and no activation, at stride 1 on the
 * library's kernels: images one row high without a bias on the one-dimensional kernel, the rest on
 * {@link conv2dForward} where {@link useConv2dForward} says so; anything else (strides, dilations,
 * activations, other types) goes to `stock` (XNNPACK). @internal
 */
export function convKernel(tfc: typeof tf, stock: KernelFn): KernelFn {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrs as unknown as ConvAttrs & { activation?: string };
    if (!x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32') return stock(args);
    if ((a.activation ?? 'linear') !== 'linear' || preluActivationWeights) return stock(args);
    const co = filter.shape[3];
    if (bias && (bias.dtype !== 'float32' || bias.shape.reduce((p, v) => p * v, 1) !== co))
      return stock(args);
    const s1 = bias ? null : conv1dShape(tfc, x.shape, filter.shape, a);
    const s2 = s1 ? null : conv2dShape(tfc, x.shape, filter.shape, a);
    const s = s2 && useConv2dForward(s2, !!bias) ? s2 : null;
    const outShape = s1 ? [s1.n, 1, s1.tOut, co] : s ? [s.n, s.oh, s.ow, co] : null;
    if (!outShape) return stock(args);
    const out = backend.makeOutput(outShape, 'float32');
    const [xs, ws, y] = [
      backend.typedArrayFromHeap(x),
      backend.typedArrayFromHeap(filter),
      backend.typedArrayFromHeap(out),
    ];
    const b = bias ? backend.typedArrayFromHeap(bias) : null;
    if (s1 ? conv1dForward(xs, ws, y, s1) : s && conv2dForward(xs, ws, b, y, s)) return out;
    backend.disposeData(out.dataId);
    return stock(args);
  };
}
