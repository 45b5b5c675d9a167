import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { fusedAdam } from '../src/model/adam.js';
import { useBackend } from '../src/node.js';

tf.env().set('PROD', true);

/** Values over many magnitudes, signs and a few exact zeros, from a seeded generator. */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  return Float32Array.from({ length: n }, () => {
    const u = next();
    if (u < 0.02) return 0;
    return (next() < 0.5 ? -1 : 1) * 10 ** (-8 + 9 * next());
  });
}

const SHAPES = [[7], [3, 5], [2, 3, 4], [1]];

/** Weights after `steps` steps of an optimizer, with a learning rate that changes as a cosine schedule does. */
function train(
  make: (lr: number) => tf.Optimizer,
  apply: (opt: tf.Optimizer, vars: tf.Variable[], grads: Float32Array[]) => void,
  steps: number,
): Float32Array[] {
  const vars = SHAPES.map((s, i) =>
    tf.variable(
      tf.tensor(
        values(
          s.reduce((a, b) => a * b),
          10 + i,
        ),
        s,
      ),
    ),
  );
  const opt = make(0.001);
  for (let t = 0; t < steps; t++) {
    (opt as unknown as { learningRate: number }).learningRate =
      0.001 * (1 + Math.cos((Math.PI * t) / steps)) * 0.5;
    apply(
      opt,
      vars,
      vars.map((v, i) => values(v.size, 1000 * t + i)),
    );
  }
  const out = vars.map((v) => Float32Array.from(v.dataSync()));
  opt.dispose();
  tf.dispose(vars);
  return out;
}

const named = (vars: tf.Variable[], grads: Float32Array[]) =>
  vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) }));

describe.each(['cpu', 'wasm'] as const)('fusedAdam on %s', (backend) => {
  it("gives tfjs-core's Adam weights bit for bit, through applyGradients, a map of names and applyArrays", async () => {
    await useBackend(backend);
    /** Steps through applyGradients, with a list of named tensors or a map of names. */
    const applyNamed =
      (asMap: boolean) => (opt: tf.Optimizer, vars: tf.Variable[], grads: Float32Array[]) => {
        const n = named(vars, grads);
        opt.applyGradients(asMap ? Object.fromEntries(n.map((x) => [x.name, x.tensor])) : n);
        tf.dispose(n.map((x) => x.tensor));
      };
    const stock = train((lr) => tf.train.adam(lr), applyNamed(false), 12);
    const viaList = train((lr) => fusedAdam(tf, lr), applyNamed(false), 12);
    const viaMap = train((lr) => fusedAdam(tf, lr), applyNamed(true), 12);
    const viaArrays = train(
      (lr) => fusedAdam(tf, lr),
      (opt, vars, grads) => (opt as ReturnType<typeof fusedAdam>).applyArrays(vars, grads),
      12,
    );
    for (const got of [viaList, viaMap, viaArrays])
      got.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(stock[i].buffer))).toBe(true));
    // The weights moved: a comparison of untouched weights could not fail.
    expect(stock[0]).not.toEqual(values(7, 10));
  });

  it('keeps its moments through getWeights and setWeights', async () => {
    await useBackend(backend);
    const v = tf.variable(tf.tensor(values(6, 3)));
    const a = fusedAdam(tf, 0.01);
    a.applyArrays([v], [values(6, 4)]);
    const saved = await a.getWeights();
    expect(saved.map((s) => s.name)).toEqual(['iter', '0/m', '0/v']);
    const b = fusedAdam(tf, 0.01);
    await b.setWeights(saved);
    const w = tf.variable(tf.tensor(v.dataSync()));
    a.applyArrays([v], [values(6, 5)]);
    b.applyArrays([w], [values(6, 5)]);
    expect(Array.from(w.dataSync())).toEqual(Array.from(v.dataSync()));
    tf.dispose([v, w, ...saved.map((s) => s.tensor)]);
    a.dispose();
    b.dispose();
  });
});
