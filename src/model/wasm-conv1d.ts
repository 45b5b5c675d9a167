// One-dimensional convolutions of training (every Conv1D layer: tfjs lowers conv1d to a conv2d over
// images one row high) on the WebAssembly SIMD module of src/dsp/simd/kernels.c, in place of
// XNNPACK's convolution and the im2col product: the forward pass, the input gradient (a forward
// convolution of dy with the filter flipped in time and its channel axes swapped) and the filter
// gradient. Each kernel adds its products one at a time (a multiply, then an add), from zero, in the
// order of the XNNPACK kernel it replaces, so the results are the same bits (test/kernels.test.ts)
// and a training run gives the same weights as before, only sooner. With fused multiply-adds on
// ({@link setFusedConvolutions}, where the runtime has relaxed SIMD), the same kernels run from a
// second module whose multiply-adds round once (f32x4.relaxed_madd): other bits, often twice as fast;
// and five-tap convolutions then run in Winograd's form F(4, 5) (8 products for 4 output rows
// instead of 20), forward, input gradient and filter gradient alike.
import {
  type ConvExports,
  WASM_BUDGET,
  type WasmRuntime,
  getFusedRuntime,
  getRuntime,
  scratch,
} from '../dsp/simd-runtime.js';
import { WINOGRAD } from './winograd.js';

/** Sizes of a stride-1 one-dimensional convolution, channels last. */
export interface Conv1dShape {
  /** Items (the batch). */
  n: number;
  /** Input rows (time steps) per item. */
  tIn: number;
  /** Input channels. */
  c: number;
  /** Taps. */
  k: number;
  /** Zero rows before the input (output row t reads input rows t − padL … t − padL + k − 1). */
  padL: number;
  /** Output rows per item. */
  tOut: number;
  /** Output channels (filters). */
  co: number;
}

/** `v` rounded up to a multiple of 8 (filters go eight at a time). @internal */
export const roundUp8 = (v: number) => Math.ceil(v / 8) * 8;

let fused = false;

/**
 * Runs this thread's training convolutions with fused multiply-adds (`on`), or with a multiply then
 * an add, bit for bit as XNNPACK. Returns whether they now run fused: false where the runtime has no
 * relaxed SIMD. @internal
 */
export function setFusedConvolutions(on: boolean): boolean {
  fused = on && getFusedRuntime() !== null;
  return fused;
}

/** Whether this thread's training convolutions run fused ({@link setFusedConvolutions}). @internal */
export function fusedConvolutions(): boolean {
  return fused;
}

/** The module training's convolutions run on: the fused one where {@link setFusedConvolutions} chose it. @internal */
export function trainingRuntime(): WasmRuntime<ConvExports> | null {
  return fused ? getFusedRuntime() : getRuntime();
}

/**
 * Filters w[r][o] (`rows` = taps · input channels, `co` outputs) packed eight outputs at a time into
 * `packed`: packed[o / 8][r][o % 8], zeros past co (its length a multiple of 8 · rows). @internal
 */
export function packFilters(w: Float32Array, rows: number, co: number, packed: Float32Array): void {
  const f8 = packed.length / rows;
  if (co < f8) packed.fill(0, (f8 - 8) * rows);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < co; o++) packed[(o - (o & 7)) * rows + r * 8 + (o & 7)] = w[r * co + o];
}

/**
 * Tap `j` of a convolution's filters (`c` inputs × `co` outputs) packed eight outputs at a time into
 * `packed`: packed[(o − o % 8) · stride + ch · 8 + o % 8], zeros for outputs co … f8 − 1 (co rounded
 * up to 8). The filters are `w` ([k][c][co]), or with `flip` the filters of the input gradient of
 * the convolution whose filters `w` are ([k][co][c]): that one's flipped in time with their channel
 * axes swapped, read in place (one pass over `w`, no copy made). @internal
 */
export function packTap(
  w: Float32Array,
  flip: boolean,
  j: number,
  [k, c, co]: [number, number, number],
  packed: Float32Array,
  stride: number,
): void {
  if (co % 8) packed.fill(0, (roundUp8(co) - 8) * stride, (roundUp8(co) - 8) * stride + 8 * c);
  if (flip) {
    const from = (k - 1 - j) * co * c; // w′[j][ch][o] = w[k − 1 − j][o][ch]
    for (let o = 0; o < co; o++) {
      const to = (o - (o & 7)) * stride + (o & 7);
      for (let ch = 0; ch < c; ch++) packed[to + ch * 8] = w[from + o * c + ch];
    }
    return;
  }
  const from = j * c * co;
  for (let ch = 0; ch < c; ch++)
    for (let o = 0; o < co; o++) packed[(o - (o & 7)) * stride + ch * 8 + (o & 7)] = w[from + ch * co + o];
}

/** Copies `rows` rows of `from` floats into rows of `to` floats (the rest zeros), or back. @internal */
export function copyRows(src: Float32Array, dst: Float32Array, rows: number, from: number, to: number): void {
  if (from === to) {
    dst.set(src.subarray(0, rows * from));
    return;
  }
  const width = Math.min(from, to);
  if (to > from) dst.fill(0, 0, rows * to);
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * from, r * from + width), r * to);
}

/** Items per call that fit the module's budget with `fixed` bytes besides, or 0 when none does. @internal */
export function itemsPerCall(per: number, fixed: number, n: number): number {
  return Math.min(n, Math.max(0, Math.floor((WASM_BUDGET - fixed) / per)));
}

/**
 * The module's scratch laid out for one convolution: the filters (k·c·f8 floats), then room for a
 * chunk of items' inputs (`xAt`) and of their rows f8 floats wide (`yAt`: outputs or dy). Null
 * where the module cannot run or no item fits its budget (the caller keeps XNNPACK), or for no items.
 */
function regions(
  s: Conv1dShape,
  f8: number,
): { rt: WasmRuntime<ConvExports>; chunk: number; wAt: number; xAt: number; yAt: number } | null {
  const { n, tIn, c, k, tOut } = s;
  const per = 4 * (tIn * c + tOut * f8);
  const fixed = 4 * k * c * f8;
  const rt = trainingRuntime();
  const chunk = itemsPerCall(per, fixed, n);
  if (!rt || chunk === 0) return null;
  const wAt = scratch(rt, fixed + chunk * per);
  const xAt = wAt + fixed;
  return { rt, chunk, wAt, xAt, yAt: xAt + 4 * chunk * tIn * c };
}

/**
 * y[i][t][o] = Σ_j Σ_ch x[i][t − padL + j][ch] · w[j][ch][o], no bias; `w` is [k][c][co], or with
 * `flip` the filters it is read as by {@link packTap}. Returns false, writing nothing, where the
 * module cannot run.
 */
export function conv1dForward(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  s: Conv1dShape,
  flip = false,
): boolean {
  if (inWinogradForm(s) && winogradForward(x, w, y, s, flip)) return true;
  const { n, tIn, c, k, padL, tOut, co } = s;
  const f8 = roundUp8(co);
  const r = regions(s, f8);
  if (!r) return false;
  const { rt, chunk, wAt, xAt, yAt } = r;
  const packed = new Float32Array(rt.memory.buffer, wAt, k * c * f8);
  for (let j = 0; j < k; j++) packTap(w, flip, j, [k, c, co], packed.subarray(8 * j * c), k * c);
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const buf = rt.memory.buffer;
    new Float32Array(buf, xAt, m * tIn * c).set(x.subarray(i0 * tIn * c, (i0 + m) * tIn * c));
    rt.exports.conv1d_packed_f32(m, tIn, c, k, padL, tOut, f8, xAt, wAt, yAt);
    copyRows(new Float32Array(buf, yAt, m * tOut * f8), y.subarray(i0 * tOut * co), m * tOut, f8, co);
  }
  return true;
}

/**
 * dx of {@link conv1dForward} for dy ([n][tOut][co]) into dx ([n][tIn][c]): dy convolved with
 * wᵀ[j][o][ch] = w[k − 1 − j][ch][o], behind k − 1 − padL zero rows. Returns false, writing nothing,
 * where the module cannot run.
 */
export function conv1dInputGrad(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  s: Conv1dShape,
): boolean {
  const { n, tIn, c, k, padL, tOut, co } = s;
  const shape = { n, tIn: tOut, c: co, k, padL: k - 1 - padL, tOut: tIn, co: c };
  return conv1dForward(dy, w, dx, shape, true);
}

/**
 * dw[j][ch][o] = Σ_i Σ_t x[i][t − padL + j][ch] · dy[i][t][o] of {@link conv1dForward}, summed over
 * the items and rows in order. Returns false, writing nothing, where the module cannot run.
 */
export function conv1dFilterGrad(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  s: Conv1dShape,
): boolean {
  if (inWinogradForm(s) && winogradFilterGrad(x, dy, dw, s)) return true;
  const { n, tIn, c, k, padL, tOut, co } = s;
  const f8 = roundUp8(co);
  const r = regions(s, f8);
  if (!r) return false;
  const { rt, chunk, wAt, xAt, yAt: gAt } = r;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const m = Math.min(chunk, n - i0);
    const buf = rt.memory.buffer;
    new Float32Array(buf, xAt, m * tIn * c).set(x.subarray(i0 * tIn * c, (i0 + m) * tIn * c));
    copyRows(dy.subarray(i0 * tOut * co), new Float32Array(buf, gAt, m * tOut * f8), m * tOut, co, f8);
    rt.exports.conv1d_filter_grad_f32(m, tIn, c, k, padL, tOut, f8, xAt, gAt, i0 > 0 ? 1 : 0, wAt);
  }
  copyRows(new Float32Array(rt.memory.buffer, wAt, k * c * f8), dw, k * c, f8, co);
  return true;
}

/** F(4, 5)'s filter transform g (n × k) and its transpose, in float32, as the module reads them. */
const TABLES = (() => {
  const { n, k, g } = WINOGRAD;
  const gt = Array.from({ length: k * n }, (_, i) => g[(i % n) * k + Math.floor(i / n)]);
  return Float32Array.from([...g, ...gt]);
})();
/** Byte offsets of g and gᵀ in {@link TABLES}. */
const [G, GT] = [0, 4 * WINOGRAD.n * WINOGRAD.k];

/** Whether a convolution runs in Winograd's form: fused, five taps, input channels a multiple of 4. */
function inWinogradForm(s: Conv1dShape): boolean {
  return fused && s.k === WINOGRAD.k && s.c % 4 === 0;
}

/**
 * The module's scratch for a convolution in Winograd's form: the tables; the weights as they come
 * (forward) or the filters' gradient per tap (`tapsAt`: k·c·f8 floats), and either in Winograd's
 * form (`formAt`: n·c·f8); one item's tiles transformed, input (`vAt`: n·tiles·c) and output or dy
 * (`mAt`: n·tiles·f8); then a chunk of items' inputs (`xAt`) and of their rows f8 floats wide
 * (`yAt`: outputs or dy). Null where no item fits the budget.
 */
function winogradRegions(s: Conv1dShape) {
  const { m, n, k } = WINOGRAD;
  const f8 = roundUp8(s.co);
  const [filters, tiles] = [s.c * f8, Math.ceil(s.tOut / m)];
  const per = 4 * (s.tIn * s.c + s.tOut * f8);
  const fixed = 4 * (TABLES.length + (k + n) * filters + n * tiles * (s.c + f8));
  const rt = getFusedRuntime();
  const chunk = itemsPerCall(per, fixed, s.n);
  if (!rt || chunk === 0) return null;
  const at = scratch(rt, fixed + chunk * per);
  new Float32Array(rt.memory.buffer, at, TABLES.length).set(TABLES);
  const tapsAt = at + 4 * TABLES.length;
  const formAt = tapsAt + 4 * k * filters;
  const vAt = formAt + 4 * n * filters;
  const mAt = vAt + 4 * n * tiles * s.c;
  const xAt = mAt + 4 * n * tiles * f8;
  return { rt, at, chunk, f8, filters, tapsAt, formAt, vAt, mAt, xAt, yAt: xAt + 4 * chunk * s.tIn * s.c };
}

/** {@link conv1dForward} in Winograd's form (fused only: other bits than the direct sum). */
function winogradForward(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  s: Conv1dShape,
  flip: boolean,
): boolean {
  const r = winogradRegions(s);
  if (!r) return false;
  const { n, k } = WINOGRAD;
  const { tIn, c, padL, tOut, co } = s;
  const { rt, at, chunk, f8, tapsAt, formAt, vAt, mAt, xAt, yAt } = r;
  // The weights go in where the taps are packed for the filter gradient (k·c·f8 floats, co ≤ f8).
  new Float32Array(rt.memory.buffer, tapsAt, w.length).set(w);
  rt.exports.winograd_filters_f32(n, k, c, co, f8, flip ? 1 : 0, at + G, tapsAt, formAt);
  for (let i0 = 0; i0 < s.n; i0 += chunk) {
    const items = Math.min(chunk, s.n - i0);
    const buf = rt.memory.buffer;
    new Float32Array(buf, xAt, items * tIn * c).set(x.subarray(i0 * tIn * c, (i0 + items) * tIn * c));
    rt.exports.winograd_packed_f32(items, tIn, c, padL, tOut, f8, xAt, formAt, vAt, mAt, yAt);
    const rows = items * tOut;
    copyRows(new Float32Array(buf, yAt, rows * f8), y.subarray(i0 * tOut * co), rows, f8, co);
  }
  return true;
}

/** {@link conv1dFilterGrad} in Winograd's form (fused only: other bits than the direct sum). */
function winogradFilterGrad(x: Float32Array, dy: Float32Array, dw: Float32Array, s: Conv1dShape): boolean {
  const r = winogradRegions(s);
  if (!r) return false;
  const { n, k } = WINOGRAD;
  const { tIn, c, padL, tOut, co } = s;
  const { rt, at, chunk, f8, filters, tapsAt, formAt, vAt, mAt, xAt, yAt: gAt } = r;
  for (let i0 = 0; i0 < s.n; i0 += chunk) {
    const items = Math.min(chunk, s.n - i0);
    const buf = rt.memory.buffer;
    new Float32Array(buf, xAt, items * tIn * c).set(x.subarray(i0 * tIn * c, (i0 + items) * tIn * c));
    const rows = items * tOut;
    copyRows(dy.subarray(i0 * tOut * co), new Float32Array(buf, gAt, rows * f8), rows, co, f8);
    const accumulate = i0 > 0 ? 1 : 0;
    rt.exports.winograd_filter_grad_f32(
      items,
      tIn,
      c,
      padL,
      tOut,
      f8,
      xAt,
      gAt,
      accumulate,
      vAt,
      mAt,
      formAt,
    );
  }
  rt.exports.mix_rows_f32(k, n, filters, at + GT, formAt, tapsAt);
  copyRows(new Float32Array(rt.memory.buffer, tapsAt, k * filters), dw, k * c, f8, co);
  return true;
}
