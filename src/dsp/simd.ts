import { padForFrames } from './energy.js';
import { type RealFftPlan, realFftPlan } from './fft.js';
import { type WasmRuntime as Runtime, WASM_BUDGET, alloc, getRuntime, scratch } from './simd-runtime.js';
import type { YinSetup } from './yin.js';

/**
 * Power-of-two FFT plans on the WebAssembly SIMD kernels of `src/dsp/simd/kernels.c` (float64, one
 * complex number per f64x2 vector, radix-4 Stockham): 2.7–3.6× fft.js's speed for complex
 * transforms of 512–2048 points, 2.7–4.3× for real ones, input copy included (bench/README.md).
 * Where WebAssembly or its SIMD is missing (or compiling fails), {@link fastFftPlan} returns
 * fft.js's plan: the results agree to float64 rounding either way.
 *
 * Used by the spectral features and the pitch trackers. `extractMfcc` keeps fft.js, so that its
 * browser bundle does not carry the module.
 */

/**
 * Twiddles of the complex n-point transform, as kernels.c's `fft` reads them: stage by stage
 * (ncur = n, n/4, …, ≥ 4), for p < ncur/4, W^p, W^2p, W^3p (W = exp(−2πi/ncur)), each as the
 * vectors (wr, wr) and (−wi, wi).
 */
function twiddles(n: number): Float64Array {
  let count = 0;
  for (let nc = n; nc >= 4; nc >>= 2) count += (nc >> 2) * 12;
  const tw = new Float64Array(count);
  let o = 0;
  for (let nc = n; nc >= 4; nc >>= 2) {
    for (let p = 0; p < nc >> 2; p++) {
      for (let r = 1; r <= 3; r++) {
        const angle = (-2 * Math.PI * ((r * p) % nc)) / nc;
        const wr = Math.cos(angle);
        const wi = Math.sin(angle);
        tw[o++] = wr;
        tw[o++] = wr;
        tw[o++] = -wi;
        tw[o++] = wi;
      }
    }
  }
  return tw;
}

class WasmPlan implements RealFftPlan {
  readonly size: number;
  readonly rt: Runtime;
  /** Byte offsets of the two transform buffers (2·size doubles each). */
  readonly x: number;
  readonly y: number;
  private readonly out: number;
  /** Float32 magnitudes of the last spectrum (two frames' worth). */
  private readonly mag: number;
  /** Where the last `transform` left its result (x or y). */
  private last = 0;
  /** Twiddles of the n-point complex transform, and of the n/2-point one with the real split. */
  private tw = -1;
  private twHalf = -1;
  private split = -1;
  private buffer: ArrayBuffer | null = null;
  private xView!: Float64Array;
  private yView!: Float64Array;
  private realIn!: Float64Array;
  private outView!: Float64Array;
  private magA!: Float32Array;
  private magB!: Float32Array;

  constructor(rt: Runtime, size: number) {
    this.rt = rt;
    this.size = size;
    this.x = alloc(rt, 16 * size);
    this.y = alloc(rt, 16 * size);
    this.out = alloc(rt, 16 * (size / 2 + 1));
    this.mag = alloc(rt, 8 * (size / 2 + 1));
  }

  private table(values: Float64Array): number {
    const at = alloc(this.rt, 8 * values.length);
    new Float64Array(this.rt.memory.buffer, at, values.length).set(values);
    return at;
  }

  /** Views on the module's memory, made again after it grows (growing detaches the old ones). */
  private views(): void {
    const buf = this.rt.memory.buffer;
    if (buf === this.buffer) return;
    const n = this.size;
    this.buffer = buf;
    this.xView = new Float64Array(buf, this.x, 2 * n);
    this.yView = new Float64Array(buf, this.y, 2 * n);
    this.realIn = new Float64Array(buf, this.x, n);
    this.outView = new Float64Array(buf, this.out, n + 2);
    this.magA = new Float32Array(buf, this.mag, n / 2 + 1);
    this.magB = new Float32Array(buf, this.mag + 4 * (n / 2 + 1), n / 2 + 1);
  }

  /** Makes the real transform's tables (the n/2-point twiddles and W^k for the split) once. */
  private realTables(): void {
    if (this.twHalf >= 0) return;
    const n = this.size;
    this.twHalf = this.table(twiddles(n / 2));
    const split = new Float64Array(n / 2 + 2);
    for (let k = 0; k <= n / 4; k++) {
      const angle = (-2 * Math.PI * k) / n;
      split[2 * k] = Math.cos(angle);
      split[2 * k + 1] = Math.sin(angle);
    }
    this.split = this.table(split);
  }

  forward(input: Float64Array): Float64Array {
    const n = this.size;
    this.realTables();
    this.views();
    this.realIn.set(input.length === n ? input : input.subarray(0, n));
    this.rt.exports.rfft(n, this.x, this.y, this.twHalf, this.split, this.out);
    return this.outView;
  }

  /** Byte offset of the n-point complex transform's twiddles. */
  complexTwiddles(): number {
    if (this.tw < 0) this.tw = this.table(twiddles(this.size));
    return this.tw;
  }

  transform(input: Float64Array): Float64Array {
    const n = this.size;
    this.complexTwiddles();
    this.views();
    this.xView.set(input.length === 2 * n ? input : input.subarray(0, 2 * n));
    const at = this.rt.exports.fft(n, this.x, this.y, this.tw);
    this.last = at;
    return at === this.x ? this.xView : this.yView;
  }

  magnitudes(out: Float32Array, offset: number, bins: number): void {
    this.rt.exports.magnitudes(bins, this.out, this.mag);
    this.views();
    out.set(this.magA.subarray(0, bins), offset);
  }

  /**
   * Float32 magnitudes (as {@link WasmPlan.magnitudes}) of `count` consecutive frames, frame j made
   * of `signal[first + j·hop + i] · win[i]` at position `winStart + i` of the size-point frame (zero
   * elsewhere; every sample index must lie inside `signal`), into rows of `bins` at
   * `out[outOffset …]`. Frames pair through one complex transform unless `onePerFft`.
   */
  stftMagnitudes(
    signal: Float32Array | Float64Array,
    first: number,
    count: number,
    hop: number,
    win: Float64Array,
    winStart: number,
    onePerFft: boolean,
    out: Float32Array,
    outOffset: number,
    bins: number,
    budget = WASM_BUDGET,
  ): void {
    const rt = this.rt;
    this.complexTwiddles();
    this.realTables();
    const wl = win.length;
    // Frames go through in chunks (an even number of them, so pairs fall as in one pass) that keep
    // the module's memory, which never shrinks, within `budget` bytes.
    const perFrame = 8 * hop + 4 * bins;
    const chunk = Math.max(2, 2 * Math.floor((budget - 8 * (wl + 2)) / perFrame / 2));
    const most = Math.min(count, chunk);
    const sigBytes = (8 * ((most - 1) * hop + wl) + 15) & ~15;
    const winBytes = (8 * wl + 15) & ~15;
    const base = scratch(rt, sigBytes + winBytes + 4 * most * bins);
    const buf = rt.memory.buffer;
    new Float64Array(buf, base + sigBytes, wl).set(win);
    const outAt = base + sigBytes + winBytes;
    for (let j = 0; j < count; j += chunk) {
      const n = Math.min(chunk, count - j);
      const from = first + j * hop;
      const span = (n - 1) * hop + wl;
      new Float64Array(buf, base, span).set(signal.subarray(from, from + span));
      const e = rt.exports;
      e.stft_magnitudes(
        base,
        n,
        hop,
        base + sigBytes,
        wl,
        winStart,
        this.size,
        onePerFft ? 1 : 0,
        this.tw,
        this.twHalf,
        this.split,
        this.x,
        this.y,
        this.out,
        bins,
        outAt,
      );
      out.set(new Float32Array(buf, outAt, n * bins), outOffset + j * bins);
    }
  }

  pairMagnitudes(out: Float32Array, outA: number, outB: number, bins: number): void {
    this.rt.exports.pair_magnitudes(this.size, bins, this.last, this.mag, this.mag + 4 * (this.size / 2 + 1));
    this.views();
    out.set(this.magA.subarray(0, bins), outA);
    out.set(this.magB.subarray(0, bins), outB);
  }
}

const plans = new Map<number, RealFftPlan>();

/**
 * The fastest real-FFT plan for `size` available here: the WebAssembly SIMD plan for powers of two
 * from 16, else {@link realFftPlan}'s (fft.js, Bluestein for other sizes). Same contract as
 * `realFftPlan`; the results agree with it to float64 rounding.
 * @internal
 */
export function fastFftPlan(size: number): RealFftPlan {
  let plan = plans.get(size);
  if (!plan) {
    const rt = size >= 16 && (size & (size - 1)) === 0 ? getRuntime() : null;
    plan = rt ? new WasmPlan(rt, size) : realFftPlan(size);
    plans.set(size, plan);
  }
  return plan;
}

/** Whether {@link fastFftPlan} runs on WebAssembly here (false: fft.js). @internal */
export function wasmFftAvailable(): boolean {
  return getRuntime() !== null;
}

/**
 * YIN's cumulative mean normalised difference of every frame on the WebAssembly kernel: the same
 * operations as `cmndfScalar` in yin.ts on this module's FFT, so the same bits (float32 energy
 * sums included). Returns `frames × (maxPeriod − minPeriod + 1)` and the frame count, or `null`
 * where the kernels cannot run here or frameLength is not a power of two from 16.
 *
 * Up to `budget` bytes ({@link WASM_BUDGET}), the signal is framed straight into the module's
 * memory and the result is a view on it, **valid only until the next call of a kernel here**.
 * Longer signals go through in chunks of an even number of frames (so frames pair as in one pass)
 * into a new array, so the module's memory, which never shrinks, stays small; the bits are the
 * same.
 * @internal
 */
export function wasmCmndf(
  fn: string,
  signal: Float32Array | Float64Array,
  s: YinSetup,
  budget = WASM_BUDGET,
): { d: Float64Array; frames: number } | null {
  const { frameLength: L, winLength: W, hopLength: hop, minPeriod: minP, maxPeriod: maxP } = s;
  const plan = fastFftPlan(L);
  if (!(plan instanceof WasmPlan)) return null;
  const rt = plan.rt;
  const tw = plan.complexTwiddles();
  const lags = maxP - minP + 1;
  const length = signal.length + (s.center ? 2 * Math.floor(L / 2) : 0);
  const frames = length < L ? 0 : 1 + Math.floor((length - L) / hop);
  // Work buffers, then the framed signal and the result of `chunk` frames.
  const work = [8 * 4 * ((L >> 1) + 1), 8 * 2 * (maxP + 1), 4 * (W + maxP + 1), 4 * (W + maxP + 1)];
  const at: number[] = [];
  let workBytes = 0;
  for (const b of work) {
    at.push(workBytes);
    workBytes += (b + 15) & ~15;
  }
  const perFrame = 8 * (hop + lags);
  const whole = workBytes + 8 * length + 8 * frames * lags + 32;
  const chunk = whole <= budget ? frames : Math.max(2, 2 * Math.floor(budget / perFrame / 2));
  const span = (n: number) => (n - 1) * hop + L;
  const sigBytes = (8 * (chunk === frames ? length : span(chunk)) + 15) & ~15;
  const base = scratch(rt, workBytes + sigBytes + 8 * chunk * lags);
  const [pa, acf, ea, eb] = at.map((o) => base + o);
  const sig = base + workBytes;
  const outAt = sig + sigBytes;
  const buf = rt.memory.buffer;
  if (chunk === frames) {
    const padded = new Float64Array(buf, sig, length);
    // Throws SIGNAL_TOO_SHORT when no frame fits.
    padForFrames(fn, signal, s, s.padMode, padded);
    if (!s.center) padded.set(signal);
    rt.exports.cmndf(sig, frames, L, W, hop, minP, maxP, tw, plan.x, plan.y, pa, acf, ea, eb, outAt);
    return { d: new Float64Array(buf, outAt, frames * lags), frames };
  }
  const { padded } = padForFrames(fn, signal, s, s.padMode);
  const d = new Float64Array(frames * lags);
  const sigView = new Float64Array(buf, sig, span(chunk));
  const outView = new Float64Array(buf, outAt, chunk * lags);
  for (let f0 = 0; f0 < frames; f0 += chunk) {
    const n = Math.min(chunk, frames - f0);
    sigView.set(padded.subarray(f0 * hop, f0 * hop + span(n)));
    rt.exports.cmndf(sig, n, L, W, hop, minP, maxP, tw, plan.x, plan.y, pa, acf, ea, eb, outAt);
    d.set(outView.subarray(0, n * lags), f0 * lags);
  }
  return { d, frames };
}

/**
 * `out[t·rows + r] = Σ_k fb[r·bins + k] · data[t·bins + k]` (float64 sums) for every frame t, on
 * the WebAssembly kernel: chroma's filterbank product. The sums run in another order than a plain
 * loop's, so they agree with it to float64 rounding. Returns a view on the module's memory, valid
 * only until the next call of a kernel here, or `null` where the kernels cannot run (or the work
 * would take more than 16 MB of it: then the caller's JavaScript path runs).
 * @internal
 */
export function wasmFilterbankProduct(
  fb: Float32Array,
  rows: number,
  data: Float32Array,
  frames: number,
  bins: number,
): Float64Array | null {
  const rt = getRuntime();
  const fbBytes = (4 * rows * bins + 15) & ~15;
  const dataBytes = (4 * frames * bins + 15) & ~15;
  const total = fbBytes + dataBytes + 8 * frames * rows;
  if (!rt || total > WASM_BUDGET) return null;
  const base = scratch(rt, total);
  const buf = rt.memory.buffer;
  new Float32Array(buf, base, rows * bins).set(fb.subarray(0, rows * bins));
  new Float32Array(buf, base + fbBytes, frames * bins).set(data.subarray(0, frames * bins));
  const outAt = base + fbBytes + dataBytes;
  rt.exports.filterbank_f32(rows, bins, frames, base, base + fbBytes, outAt);
  return new Float64Array(buf, outAt, frames * rows);
}

/** Outputs per call of the resampling kernels: with 44.1 kHz in, about 3 MB of samples and 1 MB out. */
const RESAMPLE_BLOCK = 1 << 18;

/**
 * Runs one of `resample`'s filter kernels over `out`, `block` outputs at a time: the float64
 * `coefficients` are copied into the module's memory once, then for each block the samples it needs
 * (`span(first, count)`, clipped to the signal; at most `spanFloats`) and `kernel(sigAt, from,
 * coefAt, first, count, outAt)` writes its outputs, which are copied out. The module's memory then
 * stays small for a long recording.
 */
function filterInBlocks(
  rt: Runtime,
  signal: Float32Array,
  coefficients: Float64Array,
  out: Float32Array,
  block: number,
  spanFloats: number,
  span: (first: number, count: number) => [number, number],
  kernel: (sigAt: number, from: number, coefAt: number, first: number, count: number, outAt: number) => void,
): void {
  const coefBytes = (8 * coefficients.length + 15) & ~15;
  const sigBytes = (4 * spanFloats + 15) & ~15;
  const base = scratch(rt, coefBytes + sigBytes + 4 * block);
  const buf = rt.memory.buffer;
  new Float64Array(buf, base, coefficients.length).set(coefficients);
  const sigAt = base + coefBytes;
  const outAt = sigAt + sigBytes;
  for (let first = 0; first < out.length; first += block) {
    const count = Math.min(block, out.length - first);
    const [a, b] = span(first, count);
    const from = Math.max(0, a);
    const to = Math.min(signal.length, b);
    if (to > from) new Float32Array(buf, sigAt, to - from).set(signal.subarray(from, to));
    kernel(sigAt, from, base, first, count, outAt);
    out.set(new Float32Array(buf, outAt, count), first);
  }
}

/**
 * The polyphase stage of `resample` on the WebAssembly kernel, for a float32 signal and an exact
 * table (one row per phase): the same float64 arithmetic in the same order as the JavaScript loop,
 * so the output is identical to it. Returns `false` (and writes nothing) where the kernel cannot
 * run here.
 * @internal
 */
export function wasmPolyphase(
  signal: Float32Array,
  table: Float64Array,
  taps: number,
  half: number,
  up: number,
  down: number,
  out: Float32Array,
): boolean {
  const rt = getRuntime();
  if (!rt) return false;
  // At most about a million samples a block, however far the rate goes down.
  const block = Math.max(1, Math.min(RESAMPLE_BLOCK, out.length, Math.floor(((1 << 20) * up) / down)));
  // From the first output's first tap to the last output's last tap.
  const firstTap = (m: number) => Math.floor((m * down) / up) - half + 1;
  filterInBlocks(
    rt,
    signal,
    table,
    out,
    block,
    Math.ceil((block * down) / up) + taps + 1,
    (m0, count) => [firstTap(m0), firstTap(m0 + count - 1) + taps],
    (sigAt, from, tableAt, m0, count, outAt) =>
      rt.exports.polyphase_f32(sigAt, from, signal.length, tableAt, taps, half, up, down, m0, count, outAt),
  );
  return true;
}

/**
 * The half-band stage of `resample` on the WebAssembly kernel, for a float32 signal: one float64
 * running sum per output in tap order, as the JavaScript loop, so the output is identical to it.
 * `false` (nothing written) where the kernel cannot run here.
 * @internal
 */
export function wasmHalve(signal: Float32Array, taps: Float64Array, h: number, out: Float32Array): boolean {
  const rt = getRuntime();
  if (!rt) return false;
  const block = Math.min(RESAMPLE_BLOCK, out.length);
  filterInBlocks(
    rt,
    signal,
    taps,
    out,
    block,
    // The span a block needs, and a few floats more: the kernel loads four floats at a time, and
    // drops the odd ones.
    2 * block + taps.length + 8,
    (j0, count) => [2 * j0 - h, 2 * (j0 + count - 1) + h + 1],
    (sigAt, from, tapsAt, j0, count, outAt) =>
      rt.exports.halve_f32(sigAt, from, signal.length, tapsAt, h, j0, count, outAt),
  );
  return true;
}
