// The optimizer `fit` trains with: tfjs-core's Adam, computed in one pass over each weight instead
// of a dozen tfjs ops per weight.
import type * as TF from '@tensorflow/tfjs-core';

/** Adam that can also step from gradients already in memory (the data-parallel path). @internal */
export interface FusedAdam extends TF.Optimizer {
  /** Read at every step (the cosine schedule sets it between epochs). */
  learningRate: number;
  /** One step from gradients in `vars` order, without making tensors of them. */
  applyArrays(vars: TF.Variable[], grads: Float32Array[]): void;
}

const f = Math.fround;

/**
 * The Adam update of one weight, in place: `w`, the moments `m` and `v`, and gradient `g`. Every
 * operation rounds to float32 where tfjs-core's `AdamOptimizer` has a separate op (mul, add,
 * square, div, sqrt), so the result is tfjs-core's, bit for bit: a float32 operation done in
 * float64 and rounded once is exactly the float32 result for +, −, ×, ÷ and √. Hot: one call per
 * weight per step.
 */
function adamStep(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: ArrayLike<number>,
  k: { b1: number; c1: number; b2: number; c2: number; a1: number; a2: number; eps: number; lr: number },
): void {
  for (let q = 0; q < w.length; q++) {
    const gq = g[q];
    const mq = f(f(m[q] * k.b1) + f(gq * k.c1));
    const vq = f(f(v[q] * k.b2) + f(f(gq * gq) * k.c2));
    m[q] = mq;
    v[q] = vq;
    const den = f(f(Math.sqrt(f(vq / k.a2))) + k.eps);
    w[q] = f(f(f(f(mq / k.a1) / den) * k.lr) + w[q]);
  }
}

/**
 * A `tf.train.adam(learningRate)` whose steps give the same weights, bit for bit, on any backend
 * whose element-wise float32 kernels round correctly (cpu and wasm do; the test checks both). The
 * moments live in JavaScript arrays; each weight is read once, updated and written back once.
 * `getWeights` and `setWeights` keep tfjs's format (iterations, then the first and the second
 * moments). @internal
 */
export function fusedAdam(tf: typeof TF, learningRate: number): FusedAdam {
  class Fused extends tf.AdamOptimizer implements FusedAdam {
    declare learningRate: number;
    private moments: { m: Float32Array; v: Float32Array }[] = [];
    private acc = [0, 0];

    constructor() {
      super(learningRate, 0.9, 0.999);
      this.acc = [f(this.beta1), f(this.beta2)];
    }

    override applyGradients(grads: TF.NamedTensorMap | { name: string; tensor: TF.Tensor }[]): void {
      const named = Array.isArray(grads)
        ? grads
        : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
      const registered = tf.engine().registeredVariables;
      this.step(
        named.map((n) => [
          registered[n.name],
          n.tensor === null ? null : (n.tensor.dataSync() as Float32Array),
        ]),
      );
    }

    applyArrays(vars: TF.Variable[], grads: Float32Array[]): void {
      this.step(vars.map((v, i) => [v, grads[i]]));
    }

    private step(pairs: [TF.Variable, Float32Array | null][]): void {
      const [acc1, acc2] = this.acc;
      const k = {
        b1: f(this.beta1),
        c1: f(1 - this.beta1),
        b2: f(this.beta2),
        c2: f(1 - this.beta2),
        a1: f(1 - acc1),
        a2: f(1 - acc2),
        eps: f(this.epsilon),
        lr: f(-this.learningRate),
      };
      pairs.forEach(([variable, g], i) => {
        this.moments[i] ??= { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
        if (g === null) return;
        // A copy: the cpu backend's dataSync is the variable's own storage.
        const w = new Float32Array(variable.dataSync() as Float32Array);
        adamStep(w, this.moments[i].m, this.moments[i].v, g, k);
        const t = tf.tensor(w, variable.shape);
        variable.assign(t);
        t.dispose();
      });
      this.acc = [f(acc1 * f(this.beta1)), f(acc2 * f(this.beta2))];
      this.incrementIterations();
    }

    override async getWeights(): Promise<{ name: string; tensor: TF.Tensor }[]> {
      const moment = (which: 'm' | 'v') =>
        this.moments.map((s, i) => ({ name: `${i}/${which}`, tensor: tf.tensor(s[which]) }));
      return [await this.saveIterations(), ...moment('m'), ...moment('v')];
    }

    override async setWeights(values: { name: string; tensor: TF.Tensor }[]): Promise<void> {
      const rest = await this.extractIterations(values);
      const n = rest.length / 2;
      this.moments = rest.slice(0, n).map((m, i) => ({
        m: new Float32Array(m.tensor.dataSync() as Float32Array),
        v: new Float32Array(rest[n + i].tensor.dataSync() as Float32Array),
      }));
      // The products the steps would have made, rounded as they were (a power rounded once differs
      // in the last bit, and 1 − β₂ᵗ magnifies that).
      this.acc = [f(this.beta1), f(this.beta2)];
      for (let t = 0; t < this.iterations; t++)
        this.acc = [f(this.acc[0] * f(this.beta1)), f(this.acc[1] * f(this.beta2))];
    }
  }
  return new Fused();
}
