import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropoutMultipliers, fastDropouts, keptFrom } from '../src/model/dropout.js';

// fit's dropout (fastDropouts): the multipliers of tfjs-core's `dropout` for the same seed, bit for
// bit, drawn on the SIMD module or in JavaScript, and a layer that only runs the multiply.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** tfjs-core's multipliers: dropout of ones. */
const stock = (n: number, rate: number, seed: number) =>
  tf.tidy(() => tf.dropout(tf.ones([n]), rate, undefined, seed).dataSync() as Float32Array);

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('dropoutMultipliers', () => {
  it("gives tfjs-core's dropout multipliers bit for bit, on the SIMD module and in JavaScript", () => {
    for (const [n, rate, seed] of [
      [1, 0.2, 0],
      [1000, 0.2, 1234567],
      [4097, 0.3, 2147483646],
      [333, 0.5, 42],
      [64, 0.9, 7],
      [20000, 0.1, 99],
      [5000, 1 / 3, 5],
    ]) {
      const want = stock(n, rate, seed);
      for (const onModule of [true, false]) {
        const got = new Float32Array(n);
        dropoutMultipliers(seed, rate, got, onModule);
        expect(bits(got)).toEqual(bits(want));
      }
      // Some kept, some dropped (rates strictly between 0 and 1, enough values).
      if (n > 100) expect(new Set(want).size).toBe(2);
    }
  });

  it('keeps a value from the least integer of the generator on, and not below it', () => {
    for (const rate of [0.1, 0.2, 0.25, 0.3, 0.5, 0.9, 1e-7]) {
      const keep = Math.fround(1 - rate);
      const kept = (d: number) => Math.fround(Math.fround(d / 2 ** 32) + keep) >= 1;
      const d = keptFrom(rate);
      expect(kept(d)).toBe(true);
      expect(kept(d - 1)).toBe(false);
      // Near 1 − keep, as the real numbers say.
      expect(Math.abs(d / 2 ** 32 - (1 - keep))).toBeLessThan(1e-7);
    }
  });

  it('carries the generator from one chunk of the module to the next (more than 4 million values)', () => {
    const n = (4 << 20) + 5; // the module takes 16 MB, 4 194 296 values, a call
    const want = stock(n, 0.2, 31337);
    const got = new Float32Array(n);
    dropoutMultipliers(31337, 0.2, got);
    let differ = 0;
    for (let i = 0; i < n; i++) if (got[i] !== want[i]) differ++;
    expect(differ).toBe(0);
  });
});

describe('fastDropouts', () => {
  function net(seed: number) {
    const m = tfl.sequential();
    m.add(
      tfl.layers.dense({
        inputShape: [6],
        units: 8,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
    );
    m.add(tfl.layers.dropout({ rate: 0.25 }));
    (m.layers[1] as unknown as { seed: number }).seed = seed;
    return m;
  }
  const x = tf.tensor2d(
    Array.from({ length: 30 }, (_, i) => Math.sin(i)),
    [5, 6],
  );

  it('trains with the same outputs and gradients as the stock layer, running only the multiply', async () => {
    const [plain, fast] = [net(77), net(77)];
    fastDropouts(tf, fast);
    const run = (m: tfl.LayersModel) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(tf.square(m.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
          m.trainableWeights.map((w) => w.read() as tf.Variable),
        );
        return [value, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
      });
    expect(run(fast)).toEqual(run(plain));
    const kernels = async (m: tfl.LayersModel) =>
      (await tf.profile(() => m.layers[1].apply(x, { training: true }) as tf.Tensor)).kernelNames;
    expect(await kernels(plain)).toEqual(expect.arrayContaining(['Add', 'Floor', 'RealDiv', 'Multiply']));
    expect(await kernels(fast)).toEqual(['Multiply']);
  });

  it("leaves inference, and a layer without a seed, to the layer's own call", async () => {
    const fast = net(5);
    fastDropouts(tf, fast);
    fastDropouts(tf, fast); // idempotent
    const y = fast.layers[1].apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    (fast.layers[1] as unknown as { seed?: number }).seed = undefined;
    const kernels = (await tf.profile(() => fast.layers[1].apply(x, { training: true }) as tf.Tensor))
      .kernelNames;
    expect(kernels).toEqual(expect.arrayContaining(['Floor']));
  });
});
