// The WebAssembly SIMD module of src/dsp/simd/kernels.c: instantiated once, on first use, with one
// memory that JavaScript lays out (a bump allocator for long-lived tables, one scratch region for
// per-call data). Used by the DSP kernels (simd.ts) and the model's training kernels.
import { FUSED_WASM_BASE64 } from './simd-fused-module.js';
import { KERNELS_WASM_BASE64 } from './simd-module.js';

/** The kernels' exports (byte offsets into the module's memory for every pointer). */
export interface KernelExports {
  conv2d_one_out_f32(
    items: number,
    wp: number,
    c: number,
    kh: number,
    kw: number,
    rows: number,
    oh: number,
    plane: number,
    xt: number,
    w: number,
    y: number,
  ): void;
  planes_f32(
    items: number,
    oh: number,
    ow: number,
    co: number,
    wp: number,
    top: number,
    left: number,
    plane: number,
    dy: number,
    xt: number,
  ): void;
  conv2d_packed_f32(
    items: number,
    hp: number,
    wp: number,
    c: number,
    kh: number,
    kw: number,
    rows: number,
    oh: number,
    f8: number,
    x: number,
    w: number,
    bias: number,
    y: number,
  ): void;
  batch_norm_f32(
    rows: number,
    c: number,
    x: number,
    mean: number,
    scale: number,
    nf: number,
    offset: number,
    out: number,
  ): void;
  reduce_rows_f32(rows: number, inner: number, block: number, x: number, acc: number): void;
  batch_norm_grad_f32(
    rows: number,
    c: number,
    x: number,
    g: number,
    mean: number,
    r: number,
    s: number,
    dx: number,
    sumDy: number,
    sumDyXm: number,
  ): void;
  fft(n: number, x: number, y: number, tw: number): number;
  rfft(n: number, x: number, y: number, tw: number, split: number, out: number): void;
  magnitudes(bins: number, z: number, out: number): void;
  pair_magnitudes(n: number, bins: number, z: number, outA: number, outB: number): void;
  filterbank_f32(rows: number, bins: number, frames: number, fb: number, data: number, out: number): void;
  halve_f32(
    sig: number,
    offset: number,
    n: number,
    taps: number,
    h: number,
    j0: number,
    count: number,
    out: number,
  ): void;
  polyphase_f32(
    sig: number,
    offset: number,
    n: number,
    table: number,
    taps: number,
    half: number,
    up: number,
    down: number,
    m0: number,
    count: number,
    out: number,
  ): void;
  stft_magnitudes(
    sig: number,
    count: number,
    hop: number,
    win: number,
    wl: number,
    winStart: number,
    nfft: number,
    onePerFft: number,
    tw: number,
    twHalf: number,
    split: number,
    x: number,
    y: number,
    spec: number,
    bins: number,
    out: number,
  ): void;
  conv1d_f32(
    items: number,
    tIn: number,
    c: number,
    k: number,
    padL: number,
    tOut: number,
    f8: number,
    x: number,
    w: number,
    b: number,
    relu: number,
    y: number,
  ): void;
  conv1d_packed_f32(
    items: number,
    tIn: number,
    c: number,
    k: number,
    padL: number,
    tOut: number,
    f8: number,
    x: number,
    w: number,
    y: number,
  ): void;
  conv2d_filter_grad_f32(
    items: number,
    hp: number,
    wp: number,
    c: number,
    kh: number,
    kw: number,
    rows: number,
    oh: number,
    f8: number,
    x: number,
    dy: number,
    accumulate: number,
    dw: number,
  ): void;
  conv1d_filter_grad_f32(
    items: number,
    tIn: number,
    c: number,
    k: number,
    padL: number,
    tOut: number,
    f8: number,
    x: number,
    dy: number,
    accumulate: number,
    dw: number,
  ): void;
  winograd_conv1d_f32(
    items: number,
    tIn: number,
    c: number,
    padL: number,
    tOut: number,
    f8: number,
    m: number,
    n: number,
    bt: number,
    at: number,
    x: number,
    u: number,
    b: number,
    zero: number,
    relu: number,
    v: number,
    mm: number,
    y: number,
  ): void;
  maxpool1d_f32(
    items: number,
    tIn: number,
    f8: number,
    size: number,
    stride: number,
    tOut: number,
    x: number,
    y: number,
  ): void;
  grad_accumulate_f32(n: number, g: number, scale: number, first: number, sum: number): void;
  dropout_alea_f32(n: number, state: number, threshold: number, kept: number, out: number): void;
  adam_f32(
    n: number,
    w: number,
    m: number,
    v: number,
    sum: number,
    count: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    o1: number,
    o2: number,
    eps: number,
    nlr: number,
    keep: number,
  ): void;
  maxpool_grad_tiling(
    images: number,
    h: number,
    w: number,
    c: number,
    fh: number,
    fw: number,
    x: number,
    g: number,
    dx: number,
  ): void;
  cmndf(
    padded: number,
    frames: number,
    L: number,
    W: number,
    hop: number,
    minP: number,
    maxP: number,
    tw: number,
    x: number,
    y: number,
    pa: number,
    acf: number,
    ea: number,
    eb: number,
    out: number,
  ): void;
}

/** Bytes below this offset belong to the module (its stack); buffers are placed above. */
const RESERVED = 2 * 65536;

/**
 * Bytes of the module's memory one call may use before it works in chunks (the memory never
 * shrinks, so a long recording must not leave it large).
 */
export const WASM_BUDGET = 16 << 20;

/** The training convolutions that both modules export (src/dsp/simd/conv1d.h). */
export type ConvExports = Pick<
  KernelExports,
  | 'conv1d_packed_f32'
  | 'conv1d_filter_grad_f32'
  | 'conv2d_filter_grad_f32'
  | 'conv2d_packed_f32'
  | 'conv2d_one_out_f32'
  | 'planes_f32'
>;

/**
 * The exports of training's fused module (src/dsp/simd/train-fused.c): the same convolutions, and
 * the five-tap ones in Winograd's form.
 */
export type FusedExports = ConvExports & {
  winograd_packed_f32(
    items: number,
    tIn: number,
    c: number,
    padL: number,
    tOut: number,
    f8: number,
    x: number,
    u: number,
    v: number,
    mm: number,
    y: number,
  ): void;
  winograd_filter_grad_f32(
    items: number,
    tIn: number,
    c: number,
    padL: number,
    tOut: number,
    f8: number,
    x: number,
    dy: number,
    accumulate: number,
    v: number,
    e: number,
    du: number,
  ): void;
  mix_rows_f32(outs: number, ins: number, len: number, coef: number, src: number, dst: number): void;
  winograd_filters_f32(
    outs: number,
    ins: number,
    c: number,
    co: number,
    f8: number,
    flip: number,
    coef: number,
    w: number,
    dst: number,
  ): void;
};

/** An instantiated module (by default the DSP core's) and its memory's allocation state. */
export interface WasmRuntime<E = KernelExports> {
  memory: WebAssembly.Memory;
  exports: E;
  /** Next free byte offset. */
  top: number;
  /** A region for per-call data (signals, results), reallocated larger when a call needs more. */
  scratch: { at: number; bytes: number };
  /**
   * A region for one long-lived table at a time (a model's packed filters), and the array whose copy
   * it holds.
   */
  resident: { at: number; bytes: number; owner: WeakRef<Float32Array> | null };
}

let runtime: WasmRuntime | null | undefined;
let fusedRuntime: WasmRuntime<FusedExports> | null | undefined;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A module from its base64 bytes, with a memory of its own; `null` where it cannot run here. */
function instantiate<E>(base64: string): WasmRuntime<E> | null {
  try {
    if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;
    const bytes = decodeBase64(base64);
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory({ initial: RESERVED / 65536 + 4 });
    // A synchronous compile: browsers allow it on the main thread up to 8 MB (Chromium; older
    // versions 4 kB, where this throws and fft.js runs instead). The modules are 31 kB and 10 kB.
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return {
      memory,
      exports: instance.exports as unknown as E,
      top: RESERVED,
      scratch: { at: 0, bytes: 0 },
      resident: { at: 0, bytes: 0, owner: null },
    };
  } catch {
    return null;
  }
}

/** The module, instantiated on first use; `null` where it cannot run here. */
export function getRuntime(): WasmRuntime | null {
  if (runtime === undefined) runtime = instantiate<KernelExports>(KERNELS_WASM_BASE64);
  return runtime;
}

/**
 * Training's module of fused convolutions (f32x4.relaxed_madd), instantiated on first use; `null`
 * where the runtime has no relaxed SIMD (Node 20 without `--experimental-wasm-relaxed-simd`, a
 * browser without it) or no WebAssembly.
 */
export function getFusedRuntime(): WasmRuntime<FusedExports> | null {
  if (fusedRuntime === undefined) fusedRuntime = instantiate<FusedExports>(FUSED_WASM_BASE64);
  return fusedRuntime;
}

/** Reserves `bytes` (16-byte aligned) in the module's memory, growing it if needed. */
export function alloc(rt: WasmRuntime<unknown>, bytes: number): number {
  const at = rt.top;
  rt.top += (bytes + 15) & ~15;
  const need = rt.top - rt.memory.buffer.byteLength;
  if (need > 0) rt.memory.grow(Math.ceil(need / 65536));
  return at;
}

/**
 * The scratch region, at least `bytes` long. Its contents do not survive the next call; a larger
 * request moves it to the top of memory (the old region is not reused: it only ever grows ×1.5).
 */
export function scratch(rt: WasmRuntime<unknown>, bytes: number): number {
  if (rt.scratch.bytes < bytes) {
    const size = Math.max(bytes, Math.ceil(rt.scratch.bytes * 1.5));
    rt.scratch = { at: alloc(rt, size), bytes: size };
  }
  return rt.scratch.at;
}

/**
 * The offset of a copy of `table` in the module's memory, made only when the resident region does
 * not already hold this very array (one table at a time: a model that predicts again and again
 * copies its filters once). The region grows ×1.5 when a larger table comes; the old one is not reused.
 */
export function resident(rt: WasmRuntime<unknown>, table: Float32Array): number {
  if (rt.resident.owner?.deref() !== table) {
    if (rt.resident.bytes < table.byteLength) {
      const size = Math.max(table.byteLength, Math.ceil(rt.resident.bytes * 1.5));
      rt.resident = { at: alloc(rt, size), bytes: size, owner: null };
    }
    new Float32Array(rt.memory.buffer, rt.resident.at, table.length).set(table);
    rt.resident.owner = new WeakRef(table);
  }
  return rt.resident.at;
}
