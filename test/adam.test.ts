import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { EMOTIONS, EmotionModel, type FeatureRow, defineFeatureSpec } from '../src/index.js';
import { ExactAdam, type ShardGradients } from '../src/model/adam.js';
import { useBackend } from '../src/node.js';
import { seededRandom as seeded } from '../src/util/math.js';

tf.env().set('PROD', true);

/** Random values over many magnitudes (and some zeros), as gradients and weights have. */
function values(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () =>
    random() < 0.05 ? 0 : (random() - 0.5) * 10 ** Math.floor(random() * 10 - 7),
  );
}

/**
 * What data-parallel training did before ExactAdam: the shards' gradients averaged in JavaScript
 * Float32Arrays, tfjs's AdamOptimizer, then the weight decay as tf.mul.
 */
function reference(
  vars: tf.Variable[],
  opt: tf.AdamOptimizer,
  shards: ShardGradients[],
  lr: number,
  wd: number,
) {
  const n = shards.reduce((a, s) => a + s.rows, 0);
  const sums = shards[0].grads.map((d) => {
    if (!d) return null;
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i] * shards[0].rows;
    return out;
  });
  for (const s of shards.slice(1))
    s.grads.forEach((g, j) => {
      const sum = sums[j];
      if (g && sum) for (let q = 0; q < g.length; q++) sum[q] += g[q] * s.rows;
    });
  for (const s of sums) if (s) for (let q = 0; q < s.length; q++) s[q] /= n;
  (opt as unknown as { learningRate: number }).learningRate = lr;
  // A weight without a gradient is given as null, which tfjs's optimizer skips.
  const named = vars.map((v, j) => ({ name: v.name, tensor: sums[j] && tf.tensor(sums[j], v.shape) }));
  opt.applyGradients(named as { name: string; tensor: tf.Tensor }[]);
  tf.dispose(named.flatMap((x) => x.tensor ?? []));
  if (wd > 0) {
    const keep = 1 - lr * wd;
    tf.tidy(() => {
      for (const v of vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
    });
  }
}

/** The first index where two arrays differ in their bits (-1: none; -2: lengths differ). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return -2;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe('ExactAdam: the same bits as the shards averaged in JavaScript and tfjs Adam', () => {
  afterAll(() => tf.disposeVariables());
  // The last is larger than one piece of the module's budget (209 712 floats), so it runs in two.
  const shapes = [[5, 3, 7], [13], [2, 2], [1], [4, 9], [600, 400]];
  for (const backend of ['wasm', 'cpu'] as const)
    for (const simd of [true, false])
      it(`${backend} backend, ${simd ? 'SIMD module' : 'JavaScript'}: 6 steps, 1–3 shards of 24 or 32 rows, weight decay on and off, a missing gradient`, async () => {
        await useBackend(backend);
        for (const [shardRows, wd] of [
          [[32], 0],
          [[16, 16], 0.01],
          [[11, 10, 11], 0.05],
          // 24 rows: not a power of two, so the module divides by them (else multiplies by 1 / rows).
          [[13, 11], 0],
        ] as const) {
          const random = seeded(shardRows.length * 7 + (simd ? 1 : 0));
          const initial = shapes.map((s) =>
            values(
              s.reduce((a, b) => a * b, 1),
              random,
            ),
          );
          const vars = initial.map((w, j) => tf.variable(tf.tensor(w, shapes[j])));
          const opt = tf.train.adam(1e-3);
          const adam = new ExactAdam(
            initial,
            shapes.map((s) => s.length),
            {
              beta1: 0.9,
              beta2: 0.999,
              epsilon: tf.backend().epsilon(),
              simd,
            },
          );
          for (let step = 0; step < 6; step++) {
            // At step 2, tensor 0 (a kernel: it still decays) has no gradient, as a weight the loss does not reach.
            const shards = shardRows.map((rows) => ({
              rows,
              grads: initial.map((w, j) => (step === 2 && j === 0 ? null : values(w.length, random))),
            }));
            const lr = 1e-3 * (1 - step / 10);
            reference(vars, opt, shards, lr, wd);
            adam.step(shards, lr, wd);
            vars.forEach((v, j) =>
              expect(
                firstDifference(adam.tensor(j), v.dataSync() as Float32Array),
                `tensor ${j}, step ${step}`,
              ).toBe(-1),
            );
          }
          opt.dispose();
          tf.dispose(vars);
        }
      });
});

describe('fit: ExactAdam and the tfjs optimizer train to the same weights', () => {
  it('on the cpu backend (ExactAdam) and on the same backend under another name (trainOnBatch, tfjs Adam)', async () => {
    // fit keeps tfjs's optimizer on backends other than wasm and cpu (their tensors live off the CPU).
    if (!tf.findBackend('cpu-by-another-name')) {
      tf.registerBackend('cpu-by-another-name', () => new MathBackendCPU(), -1);
      for (const k of tf.getKernelsForBackend('cpu'))
        tf.registerKernel({ ...k, backendName: 'cpu-by-another-name' });
    }
    const spec = defineFeatureSpec({ output: { type: 'stats', stats: ['mean', 'std', 'min', 'max'] } });
    const random = seeded(11);
    const rows: FeatureRow[] = Array.from({ length: 48 }, (_, i) => ({
      path: `r${i}`,
      dataset: 'manifest',
      speaker: 'x',
      label: EMOTIONS[i % 8],
      features: { data: Float32Array.from({ length: 160 }, () => random() - 0.5), frames: 1, features: 160 },
    }));
    const weightsAfterFit = async (backend: string) => {
      await tf.setBackend(backend);
      const m = await EmotionModel.create({
        labels: [...EMOTIONS],
        featureSpec: spec,
        inputShape: [160],
        architecture: 'mlp',
        seed: 3,
      });
      await m.fit(rows, { epochs: 3, batchSize: 16, seed: 5, weightDecay: 0.01, schedule: 'cosine' });
      const w = m.layersModel.getWeights().map((t) => t.dataSync().slice() as Float32Array);
      m.dispose();
      return w;
    };
    const exact = await weightsAfterFit('cpu');
    const stock = await weightsAfterFit('cpu-by-another-name');
    expect(exact.length).toBe(stock.length);
    exact.forEach((w, j) => expect(firstDifference(w, stock[j]), `weight ${j}`).toBe(-1));
  });
});
