import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ExactAdam, type ShardGradients } from '../src/model/adam.js';
import { useBackend } from '../src/node.js';

tf.env().set('PROD', true);

/** A seeded generator (mulberry32), so a failure reproduces. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = d[i] * shards[0].rows;
    return out;
  });
  for (const s of shards.slice(1))
    s.grads.forEach((g, j) => {
      for (let q = 0; q < g.length; q++) sums[j][q] += g[q] * s.rows;
    });
  for (const s of sums) for (let q = 0; q < s.length; q++) s[q] /= n;
  (opt as unknown as { learningRate: number }).learningRate = lr;
  const named = vars.map((v, j) => ({ name: v.name, tensor: tf.tensor(sums[j], v.shape) }));
  opt.applyGradients(named);
  tf.dispose(named.map((x) => x.tensor));
  if (wd > 0) {
    const keep = 1 - lr * wd;
    tf.tidy(() => {
      for (const v of vars) if (v.rank >= 2) v.assign(tf.mul(v, keep));
    });
  }
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('ExactAdam: the same bits as the shards averaged in JavaScript and tfjs Adam', () => {
  afterAll(() => tf.disposeVariables());
  const shapes = [[5, 3, 7], [13], [2, 2], [1], [4, 9]];
  for (const backend of ['wasm', 'cpu'] as const)
    for (const simd of [true, false])
      it(`${backend} backend, ${simd ? 'SIMD module' : 'JavaScript'}: 6 steps, 1–3 shards, weight decay on and off`, async () => {
        await useBackend(backend);
        for (const [shardRows, wd] of [
          [[32], 0],
          [[16, 16], 0.01],
          [[11, 10, 11], 0.05],
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
            const shards = shardRows.map((rows) => ({
              rows,
              grads: initial.map((w) => values(w.length, random)),
            }));
            const lr = 1e-3 * (1 - step / 10);
            reference(vars, opt, shards, lr, wd);
            adam.step(shards, lr, wd);
            vars.forEach((v, j) =>
              expect(bits(adam.tensor(j)), `tensor ${j}, step ${step}`).toEqual(
                bits(v.dataSync() as Float32Array),
              ),
            );
          }
          opt.dispose();
          tf.dispose(vars);
        }
      });
});
