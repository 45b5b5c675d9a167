import { WASM_BUDGET, getRuntime, scratch } from '../dsp/simd-runtime.js';

const f = Math.fround;

/**
 * One shard's gradients (in trainable-weight order; null for a weight the loss does not depend on)
 * and the rows it held. @internal
 */
export interface ShardGradients {
  grads: (Float32Array | null)[];
  rows: number;
}

/**
 * `fit`'s Adam (`trainStep` in parallel.ts): the gradients of one thread, or the shards' gradients
 * averaged with weights by shard size, one Adam step, then the decoupled weight decay, over all
 * weights on the SIMD module, tensor by tensor (1.2–1.4 ms for the built-in designs' 140 000 or so
 * weights, the copies in and out of the module and the variables' assignment included, against
 * 3.7–4.1 ms for tfjs's `AdamOptimizer`, which runs a dozen kernels per weight tensor). The
 * arithmetic is that of the JavaScript average and tfjs's Adam it replaces, operation by operation,
 * so the weights are the same bits (`test/adam.test.ts`). Holds a copy of the weights, which it
 * updates.
 * @internal
 */
export class ExactAdam {
  /** The weights, all tensors one after the other in trainable-weight order. */
  readonly weights: Float32Array;
  /** Where each weight tensor starts in {@link weights}. */
  private readonly offsets: number[];
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly sizes: number[];
  private readonly decays: boolean[];
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly simd: boolean;
  private acc1: number;
  private acc2: number;

  /**
   * @param initial the weights, one array per tensor.
   * @param ranks each tensor's rank (weight decay applies to rank ≥ 2: kernels, not biases).
   * @param settings Adam's β1, β2 and ε, as the tfjs optimizer it stands for has them; `simd: false`
   * runs the same operations in JavaScript (what happens anyway where WebAssembly is missing).
   */
  constructor(
    initial: Float32Array[],
    ranks: number[],
    settings: { beta1: number; beta2: number; epsilon: number; simd?: boolean },
  ) {
    this.sizes = initial.map((w) => w.length);
    this.offsets = [];
    let total = 0;
    for (const n of this.sizes) {
      this.offsets.push(total);
      total += n;
    }
    this.weights = new Float32Array(total);
    initial.forEach((w, j) => this.weights.set(w, this.offsets[j]));
    this.m = new Float32Array(total);
    this.v = new Float32Array(total);
    this.decays = ranks.map((r) => r >= 2);
    this.b1 = settings.beta1;
    this.b2 = settings.beta2;
    this.eps = settings.epsilon;
    this.simd = settings.simd !== false;
    // tfjs keeps β^t in float32 scalars, starting at β.
    this.acc1 = f(this.b1);
    this.acc2 = f(this.b2);
  }

  /** Tensor j's weights (a view of {@link weights}). */
  tensor(j: number): Float32Array {
    return this.weights.subarray(this.offsets[j], this.offsets[j] + this.sizes[j]);
  }

  /**
   * One step from the shards' gradients at `learningRate`, with decoupled `weightDecay` (0: off);
   * updates {@link weights} in place. Several shards' gradients are averaged with weights by their
   * rows; a single shard's are taken as they are. A tensor without a gradient keeps its weights
   * and moments, as tfjs's optimizer skips it, but still takes the weight decay.
   */
  step(shards: ShardGradients[], learningRate: number, weightDecay: number): void {
    if (shards.length === 1) shards = [{ grads: shards[0].grads, rows: 1 }];
    const rows = shards.reduce((a, s) => a + s.rows, 0);
    const k = {
      b1: f(this.b1),
      c1: f(1 - this.b1),
      b2: f(this.b2),
      c2: f(1 - this.b2),
      o1: f(1 - this.acc1),
      o2: f(1 - this.acc2),
      eps: f(this.eps),
      nlr: f(-learningRate),
    };
    const keep = weightDecay > 0 ? f(1 - learningRate * weightDecay) : 1;
    const rt = this.simd ? getRuntime() : null;
    for (let j = 0; j < this.sizes.length; j++) {
      const kj = this.decays[j] ? keep : 1;
      if (shards[0].grads[j] === null) {
        const t = this.tensor(j);
        if (kj !== 1) for (let i = 0; i < t.length; i++) t[i] *= kj;
      } else if (rt) this.simdStep(rt, j, shards, rows, k, kj);
      else this.jsStep(j, shards, rows, k, kj);
    }
    this.acc1 = f(this.acc1 * k.b1);
    this.acc2 = f(this.acc2 * k.b2);
  }

  /** Tensor j's step on the SIMD module, in pieces that fit its budget. */
  private simdStep(
    rt: NonNullable<ReturnType<typeof getRuntime>>,
    j: number,
    shards: ShardGradients[],
    rows: number,
    k: AdamConstants,
    keep: number,
  ): void {
    // Five regions (weights, two moments, the sum, one shard's gradients), none longer than the tensor.
    const piece = Math.min(Math.max(4, Math.floor(WASM_BUDGET / 20 / 4) & ~3), (this.sizes[j] + 3) & ~3);
    const at = scratch(rt, piece * 20);
    const [w, m, v, sum, g] = [0, 1, 2, 3, 4].map((i) => at + i * piece * 4);
    const heap = () => new Float32Array(rt.memory.buffer);
    for (let a = 0; a < this.sizes[j]; a += piece) {
      const len = Math.min(piece, this.sizes[j] - a);
      const from = this.offsets[j] + a;
      let h = heap();
      h.set(this.weights.subarray(from, from + len), w >> 2);
      h.set(this.m.subarray(from, from + len), m >> 2);
      h.set(this.v.subarray(from, from + len), v >> 2);
      shards.forEach((s, i) => {
        h.set((s.grads[j] as Float32Array).subarray(a, a + len), g >> 2);
        rt.exports.grad_accumulate_f32(len, g, s.rows, i === 0 ? 1 : 0, sum);
      });
      rt.exports.adam_f32(len, w, m, v, sum, rows, k.b1, k.c1, k.b2, k.c2, k.o1, k.o2, k.eps, k.nlr, keep);
      h = heap();
      this.weights.set(h.subarray(w >> 2, (w >> 2) + len), from);
      this.m.set(h.subarray(m >> 2, (m >> 2) + len), from);
      this.v.set(h.subarray(v >> 2, (v >> 2) + len), from);
    }
  }

  /** Tensor j's step in JavaScript, the same operations (where WebAssembly is missing). */
  private jsStep(j: number, shards: ShardGradients[], rows: number, k: AdamConstants, keep: number): void {
    const { b1, c1, b2, c2, o1, o2, eps, nlr } = k;
    const base = this.offsets[j];
    for (let i = 0; i < this.sizes[j]; i++) {
      const g0 = shards[0].grads[j] as Float32Array;
      let s = f(g0[i] * shards[0].rows);
      for (let p = 1; p < shards.length; p++)
        s = f(s + (shards[p].grads[j] as Float32Array)[i] * shards[p].rows);
      const g = f(s / rows);
      const q = base + i;
      const mi = f(f(this.m[q] * b1) + f(g * c1));
      const vi = f(f(this.v[q] * b2) + f(f(g * g) * c2));
      this.m[q] = mi;
      this.v[q] = vi;
      const den = f(f(Math.sqrt(f(vi / o2))) + eps);
      this.weights[q] = f(f(f(f(f(mi / o1) / den) * nlr) + this.weights[q]) * keep);
    }
  }
}

interface AdamConstants {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  o1: number;
  o2: number;
  eps: number;
  nlr: number;
}
