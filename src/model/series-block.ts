// A member's leading convolutions and poolings over time, for predictions, on the WebAssembly SIMD
// module of src/dsp/simd/kernels.c instead of tfjs's kernels: the series read once, every
// convolution (its batch normalisation folded in and its ReLU fused: folded.ts) and pooling run in
// the module's memory. When the member then ends as the built-in designs do (attention or average
// pooling over time, then a softmax Dense layer), that head runs here too, so a member costs no
// tfjs kernel at all: its attention projection on the module, the rest in float64 JavaScript.
// On the wasm and cpu backends only (a GPU backend keeps its own kernels), and where the module runs.
import type * as TF from '@tensorflow/tfjs-core';
import { type KernelExports, WASM_BUDGET, getRuntime, resident, scratch } from '../dsp/simd-runtime.js';
import type { Step } from './folded.js';
import { WINOGRAD } from './winograd.js';

/** A convolution over time at stride 1, its filters at `w` (taps × `c` × `f8`) and bias at `b` in the table. */
interface ConvOp {
  kind: 'conv';
  k: number;
  /** Padded to keep the length ('same'), and the rows of padding before the first. */
  same: boolean;
  padL: number;
  /** Input channels per row (the previous layer's `f8`, or the series' features). */
  c: number;
  /** Output channels, and the row stride they are stored with (a multiple of 8). */
  f: number;
  f8: number;
  relu: boolean;
  w: number;
  b: number;
  /**
   * The Winograd form, for 5 taps: the filters transformed (n × c × f8) and the transforms' tables;
   * `w` is then unused (-1).
   */
  wino: { u: number; bt: number; at: number; zero: number } | null;
}

interface PoolOp {
  kind: 'pool';
  size: number;
  stride: number;
}

/**
 * Pooling over time and a softmax classifier: attention pooling (mean and standard deviation under
 * softmax weights of `v · tanh(x·W + b)`, with x·W + b as a 1-tap convolution `projection`) or the
 * plain mean; then `softmax(embedding · kernel + bias)`.
 */
interface Head {
  projection: ConvOp | null;
  v: Float64Array;
  kernel: Float64Array;
  bias: Float64Array;
  classes: number;
}

/** What a block gives: the rows it ends with, or a whole member's probabilities and embedding. */
export type BlockOutput =
  | { kind: 'series'; data: Float32Array; shape: [number, number, number] }
  | {
      kind: 'probabilities';
      data: Float32Array;
      shape: [number, number];
      embedding: Float32Array;
      width: number;
    };

/** Filters packed into one table, shared by every block of a network (the module holds one at a time). */
class Packer {
  readonly parts: Float32Array[] = [];
  size = 0;
  table = new Float32Array(0);
  /** Where the Winograd transforms' tables and f8 zeros are, once a convolution needs them. */
  private transforms: { bt: number; at: number; zero: number; zeros: number } | null = null;

  private add(part: Float32Array): number {
    const at = this.size;
    this.parts.push(part);
    this.size += part.length;
    return at;
  }

  /**
   * `op`'s filters (`packed`: taps × c × f8) in Winograd's form, U[ξ] = Σ_j g[ξ][j] · w[j] in float64;
   * null when it has none (not 5 taps, or input rows not a multiple of 4 wide).
   */
  private winograd(packed: Float32Array, op: ConvOp): ConvOp['wino'] {
    const { n, k, g } = WINOGRAD;
    const { c, f8 } = op;
    if (op.k !== k || c % 4 !== 0) return null;
    if (!this.transforms || this.transforms.zeros < f8) {
      const bt = this.add(Float32Array.from(WINOGRAD.bt));
      const at = this.add(Float32Array.from(WINOGRAD.at));
      this.transforms = { bt, at, zero: this.add(new Float32Array(f8)), zeros: f8 };
    }
    const u = new Float32Array(n * c * f8);
    const row = c * f8;
    for (let q = 0; q < n; q++)
      for (let i = 0; i < row; i++) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += g[q * k + j] * packed[j * row + i];
        u[q * row + i] = sum;
      }
    const { bt, at, zero } = this.transforms;
    return { u: this.add(u), bt, at, zero };
  }

  /**
   * A convolution's filters (`c` input rows wide: zero rows beyond the filter's own) and bias; the
   * filters in Winograd's form only, when they have one.
   */
  conv(
    filter: Float32Array,
    bias: Float32Array,
    [k, cin, f]: number[],
    c: number,
    pad: string,
    relu: boolean,
  ): ConvOp {
    const f8 = Math.ceil(f / 8) * 8;
    const packed = new Float32Array(k * c * f8);
    for (let j = 0; j < k; j++)
      for (let ch = 0; ch < cin; ch++)
        packed.set(filter.subarray((j * cin + ch) * f, (j * cin + ch + 1) * f), (j * c + ch) * f8);
    const same = pad === 'same';
    const padL = same ? Math.floor((k - 1) / 2) : 0;
    const op: ConvOp = { kind: 'conv', k, same, padL, c, f, f8, relu, w: -1, b: -1, wino: null };
    op.wino = this.winograd(packed, op);
    if (!op.wino) op.w = this.add(packed);
    const b = new Float32Array(f8);
    b.set(bias);
    op.b = this.add(b);
    return op;
  }

  done(): void {
    this.table = new Float32Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      this.table.set(p, at);
      at += p.length;
    }
  }
}

/** A member's leading convolutions and poolings, and its head when the block reaches it. */
export class SeriesBlock {
  private constructor(
    private readonly ops: (ConvOp | PoolOp)[],
    private readonly head: Head | null,
    private readonly packer: Packer,
    /** How many of the member's steps it stands for. */
    readonly length: number,
  ) {}

  /**
   * Each member's block (null for a member that has none), all filters in one table: a block is the
   * longest run of a member's steps, from the first, of 1-D convolutions at stride 1 and poolings
   * without padding, starting with a convolution, and the head after it when there is one.
   */
  static forMembers(members: readonly (readonly Step[])[]): (SeriesBlock | null)[] {
    const packer = new Packer();
    const blocks = members.map((steps) => SeriesBlock.of(steps, packer));
    packer.done();
    return blocks;
  }

  private static of(steps: readonly Step[], packer: Packer): SeriesBlock | null {
    const ops: (ConvOp | PoolOp)[] = [];
    let c = 0;
    let n = 0;
    for (const s of steps) {
      if (s.kind === 'conv' && s.lift && s.strides[1] === 1 && s.filter.shape[0] === 1) {
        const [, k, cin, f] = s.filter.shape;
        if (n === 0) c = cin;
        const op = packer.conv(
          s.filter.dataSync() as Float32Array,
          s.bias.dataSync() as Float32Array,
          [k, cin, f],
          c,
          s.pad,
          s.activation === 'relu',
        );
        ops.push(op);
        c = op.f8;
      } else if (s.kind === 'pool' && s.pad === 'valid' && n > 0)
        ops.push({ kind: 'pool', size: s.size, stride: s.stride });
      else break;
      n++;
    }
    if (n === 0) return null;
    const head = headOf(steps.slice(n), lastConv(ops), packer);
    return new SeriesBlock(ops, head, packer, n + (head ? 2 : 0));
  }

  /** True where blocks run: the module is there and tfjs computes on the CPU. */
  static usable(tf: typeof TF): boolean {
    const backend = tf.getBackend();
    return (backend === 'wasm' || backend === 'cpu') && getRuntime() !== null;
  }

  /** The rows after each op for `frames` input rows; null when an op would leave none. */
  private rows(frames: number): number[] | null {
    const rows: number[] = [];
    let t = frames;
    for (const op of this.ops) {
      if (op.kind === 'conv') t = op.same ? t : t - op.k + 1;
      else t = Math.floor((t - op.size) / op.stride) + 1;
      if (t < 1) return null;
      rows.push(t);
    }
    return rows;
  }

  /**
   * The block's output for `items` series of `frames` rows (`data`, row-major, as many features as
   * the first convolution takes); null when the series is too short for it (run the steps instead).
   */
  run(data: Float32Array, items: number, frames: number): BlockOutput | null {
    const rows = this.rows(frames);
    const rt = getRuntime();
    if (!rows || !rt) return null;
    const features = (this.ops[0] as ConvOp).c;
    const last = lastConv(this.ops);
    const proj = this.head?.projection;
    let widest = proj ? rows[rows.length - 1] * proj.f8 : 0;
    this.ops.forEach((op, i) => {
      if (op.kind === 'conv') widest = Math.max(widest, rows[i] * op.f8);
    });
    // Winograd's transformed tiles and products, one item at a time.
    let work = 0;
    this.ops.forEach((op, i) => {
      if (op.kind === 'conv' && op.wino)
        work = Math.max(work, WINOGRAD.n * Math.ceil(rows[i] / 4) * (op.c + op.f8));
    });
    const per = 4 * (frames * features + 2 * widest);
    const chunk = Math.max(1, Math.min(items, Math.floor(WASM_BUDGET / per)));
    const table = resident(rt, this.packer.table);
    const base = scratch(rt, chunk * per + 4 * work);
    const tiles = base + chunk * per;
    const t = rows[rows.length - 1];
    const out = this.head
      ? new Float32Array(items * this.head.classes)
      : new Float32Array(items * t * last.f);
    const embedding = new Float32Array(this.head ? items * (proj ? 2 : 1) * last.f : 0);
    for (let i0 = 0; i0 < items; i0 += chunk) {
      const n = Math.min(chunk, items - i0);
      const buf = rt.memory.buffer;
      const ping = [base + 4 * chunk * frames * features, base + 4 * chunk * (frames * features + widest)];
      new Float32Array(buf, base, n * frames * features).set(
        data.subarray(i0 * frames * features, (i0 + n) * frames * features),
      );
      let src = base;
      let t = frames;
      let c = features;
      this.ops.forEach((op, i) => {
        const dst = ping[i % 2];
        if (op.kind === 'conv') convolve(rt.exports, op, [n, t, rows[i]], src, dst, table, tiles);
        else rt.exports.maxpool1d_f32(n, t, c, op.size, op.stride, rows[i], src, dst);
        src = dst;
        t = rows[i];
        c = op.kind === 'conv' ? op.f8 : c;
      });
      const y = new Float32Array(buf, src, n * t * c);
      if (this.head) {
        const other = ping[this.ops.length % 2];
        if (proj) convolve(rt.exports, proj, [n, t, t], src, other, table, tiles);
        const h = proj ? new Float32Array(buf, other, n * t * proj.f8) : null;
        for (let i = 0; i < n; i++) classify(this.head, y, h, i, t, c, last.f, out, embedding, i0 + i);
      } else if (c === last.f) out.set(y, i0 * t * c);
      else for (let r = 0; r < n * t; r++) out.set(y.subarray(r * c, r * c + last.f), (i0 * t + r) * last.f);
    }
    if (!this.head) return { kind: 'series', data: out, shape: [items, t, last.f] };
    const width = embedding.length / items;
    return { kind: 'probabilities', data: out, shape: [items, this.head.classes], embedding, width };
  }
}

function lastConv(ops: (ConvOp | PoolOp)[]): ConvOp {
  return ops.filter((op): op is ConvOp => op.kind === 'conv').pop() as ConvOp;
}

/**
 * `op` on `n` items of `tIn` rows at `src`, `tOut` rows each to `dst`; its filters in the table at
 * `table`, and `work` scratch for its Winograd form when it has one.
 */
function convolve(
  ex: KernelExports,
  op: ConvOp,
  [n, tIn, tOut]: number[],
  src: number,
  dst: number,
  table: number,
  work: number,
): void {
  const { c, f8, padL } = op;
  const [w, b, relu] = [table + 4 * op.w, table + 4 * op.b, op.relu ? 1 : 0];
  if (!op.wino) {
    ex.conv1d_f32(n, tIn, c, op.k, padL, tOut, f8, src, w, b, relu, dst);
    return;
  }
  const { m, n: points } = WINOGRAD;
  const mm = work + 4 * points * Math.ceil(tOut / m) * c;
  const [u, bt, at, zero] = [op.wino.u, op.wino.bt, op.wino.at, op.wino.zero].map((o) => table + 4 * o);
  ex.winograd_conv1d_f32(n, tIn, c, padL, tOut, f8, m, points, bt, at, src, u, b, zero, relu, work, mm, dst);
}

/**
 * The head of `rest` (the steps after a block whose last convolution is `conv`): attention or
 * average pooling over time then a softmax Dense layer, and nothing after them; null otherwise.
 */
function headOf(rest: readonly Step[], conv: ConvOp, packer: Packer): Head | null {
  if (rest.length !== 2 || rest[0].kind !== 'layer' || rest[1].kind !== 'layer') return null;
  const [pool, dense] = [rest[0].layer, rest[1].layer];
  const d = dense.getConfig() as { activation?: string; useBias?: boolean };
  if (dense.getClassName() !== 'Dense' || d.activation !== 'softmax' || d.useBias === false) return null;
  const [kernel, bias] = dense.getWeights().map((w) => Float64Array.from(w.dataSync()));
  const name = pool.getClassName();
  let projection: ConvOp | null = null;
  let v = new Float64Array(0);
  if (name === 'SpeechEmotionAttentionPooling') {
    const [w, b, vw] = pool.getWeights();
    const [cin, units] = w.shape;
    projection = packer.conv(
      w.dataSync() as Float32Array,
      b.dataSync() as Float32Array,
      [1, cin, units],
      conv.f8,
      'valid',
      false,
    );
    v = Float64Array.from(vw.dataSync());
  } else if (name !== 'GlobalAveragePooling1D') return null;
  const width = (projection ? 2 : 1) * conv.f;
  if (kernel.length % width !== 0) return null;
  return { projection, v, kernel, bias, classes: kernel.length / width };
}

/**
 * Item `i` of `y` (`t` rows of `c`, the first `f` channels real) pooled over time and classified,
 * as the layers compute it (in float64): its embedding and probabilities written at item `at`.
 * `h` holds the attention projection x·W + b of every row (rows of the projection's `f8`).
 */
function classify(
  head: Head,
  y: Float32Array,
  h: Float32Array | null,
  i: number,
  t: number,
  c: number,
  f: number,
  out: Float32Array,
  embedding: Float32Array,
  at: number,
): void {
  const weights = new Float64Array(t).fill(1 / t);
  if (h && head.projection) {
    const { f8 } = head.projection;
    const units = head.v.length;
    let top = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < t; r++) {
      let s = 0;
      for (let u = 0, q = (i * t + r) * f8; u < units; u++, q++) s += Math.tanh(h[q]) * head.v[u];
      weights[r] = s;
      top = Math.max(top, s);
    }
    let sum = 0;
    for (let r = 0; r < t; r++) {
      weights[r] = Math.exp(weights[r] - top);
      sum += weights[r];
    }
    for (let r = 0; r < t; r++) weights[r] /= sum;
  }
  const width = h ? 2 * f : f;
  const emb = new Float64Array(width);
  for (let r = 0; r < t; r++) {
    const a = weights[r];
    for (let ch = 0, q = (i * t + r) * c; ch < f; ch++, q++) {
      emb[ch] += a * y[q];
      if (h) emb[f + ch] += a * y[q] * y[q];
    }
  }
  if (h)
    for (let ch = 0; ch < f; ch++)
      emb[f + ch] = Math.sqrt(Math.max(0, emb[f + ch] - emb[ch] * emb[ch]) + 1e-6);
  embedding.set(emb, at * width);
  const { kernel, bias, classes } = head;
  const logits = Float64Array.from(bias);
  for (let j = 0; j < width; j++)
    for (let k = 0; k < classes; k++) logits[k] += emb[j] * kernel[j * classes + k];
  let top = Number.NEGATIVE_INFINITY;
  for (const l of logits) top = Math.max(top, l);
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    logits[k] = Math.exp(logits[k] - top);
    sum += logits[k];
  }
  for (let k = 0; k < classes; k++) out[at * classes + k] = logits[k] / sum;
}
