// Training's convolutions with fused multiply-adds (FitOptions.fusedMultiplyAdd): the second
// WebAssembly module (src/dsp/simd/train-fused.c), which needs relaxed SIMD. Node 20 has it only
// behind a V8 flag, turned on here for this test file's process (vitest runs each file in its own);
// Node 22 and later have it anyway.
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { getFusedRuntime, scratch } from '../src/dsp/simd-runtime.js';
import { fusedConvolutions, packTap, setFusedConvolutions } from '../src/model/wasm-conv1d.js';
import { WINOGRAD } from '../src/model/winograd.js';
import { EMOTIONS, EmotionModel, SpeechEmotionError, defineFeatureSpec, useBackend } from '../src/node.js';
import { convGrads, rand, relErr } from './helpers/conv.js';

setFlagsFromString('--experimental-wasm-relaxed-simd'); // before the module is first compiled
tf.env().set('PROD', true);
const available = getFusedRuntime() !== null;
if (!available)
  console.warn(
    'fused.test.ts: skipped, this runtime has no WebAssembly relaxed SIMD (even with the V8 flag)',
  );

/** A small Conv1D model's rows: 48 random series of 30 frames × 6 features, all eight emotions. */
function smallRows() {
  const data = rand(48 * 30 * 6, 11);
  return Array.from({ length: 48 }, (_, i) => ({
    path: `r${i}.wav`,
    dataset: 'manifest' as const,
    speaker: `s${i % 4}`,
    label: EMOTIONS[i % 8],
    features: { data: data.slice(i * 180, (i + 1) * 180), frames: 30, features: 6 },
  }));
}

/** Trains the small model two epochs with `options` on `backend`; returns its weights and the training summary. */
async function trainSmall(options: object, backend: 'wasm' | 'cpu' = 'wasm') {
  await tf.setBackend(backend);
  const model = await EmotionModel.create({
    labels: [...EMOTIONS],
    featureSpec: defineFeatureSpec({ output: { type: 'series' } }),
    inputShape: [30, 6],
    seed: 4,
    architecture: (shape, k) => {
      const init = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
      const m = tfl.sequential();
      m.add(
        tfl.layers.conv1d({ inputShape: shape, filters: 16, kernelSize: 5, activation: 'relu', ...init(1) }),
      );
      m.add(
        tfl.layers.conv1d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', ...init(2) }),
      );
      m.add(tfl.layers.globalAveragePooling1d());
      m.add(tfl.layers.dense({ units: k, activation: 'softmax', ...init(3) }));
      return m;
    },
  });
  const summary = await model.fit(smallRows(), { epochs: 2, batchSize: 16, seed: 9, ...options });
  const weights = model.layersModel.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return { weights, summary };
}

describe('fusedMultiplyAdd', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is refused when not a boolean', async () => {
    await expect(trainSmall({ fusedMultiplyAdd: 'yes' })).rejects.toThrow(SpeechEmotionError);
    await expect(trainSmall({ fusedMultiplyAdd: 1 })).rejects.toThrow(
      /'fusedMultiplyAdd' must be true or false/,
    );
  });

  it.skipIf(!available)(
    'conv1d and both gradients, fused, on random shapes and paddings: within float32 rounding of the cpu backend, and not the unfused bits',
    async () => {
      let differing = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            n: fc.integer({ min: 1, max: 4 }),
            len: fc.integer({ min: 5, max: 40 }),
            c: fc.integer({ min: 1, max: 13 }),
            co: fc.integer({ min: 1, max: 19 }),
            k: fc.integer({ min: 1, max: 5 }),
            pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
            seed: fc.nat(),
          }),
          async (s) => {
            const x = rand(s.n * s.len * s.c, s.seed);
            const w = rand(s.k * s.c * s.co, s.seed + 1);
            const shapes = [
              [s.n, s.len, s.c],
              [s.k, s.c, s.co],
            ];
            expect(setFusedConvolutions(true)).toBe(true);
            const fused = await convGrads('wasm', x, shapes[0], w, shapes[1], 1, s.pad, true);
            setFusedConvolutions(false);
            const plain = await convGrads('wasm', x, shapes[0], w, shapes[1], 1, s.pad, true);
            const ref = await convGrads('cpu', x, shapes[0], w, shapes[1], 1, s.pad, true);
            expect(relErr(fused.dw, ref.dw)).toBeLessThan(1e-4);
            expect(relErr(fused.dx, ref.dx)).toBeLessThan(1e-4);
            if (fused.dw.some((v, i) => v !== plain.dw[i]) || fused.dx.some((v, i) => v !== plain.dx[i]))
              differing++;
          },
        ),
        { numRuns: 40, endOnFailure: true },
      );
      // One rounding instead of two changes some bits of most results: the fused module ran.
      expect(differing).toBeGreaterThan(20);
    },
  );

  it.skipIf(!available)(
    'five-tap conv1d and both gradients, fused, in Winograd form: within float32 rounding of the exact sums',
    async () => {
      // Small integers: the direct sums (the cpu backend's, and the unfused kernels') are exact,
      // while Winograd's transforms (with 1/2, 1/4, …) round, so results that are not all integers
      // show it ran.
      const ints = (size: number, seed: number) => rand(size, seed).map((v) => Math.round(2 * v));
      for (const [n, len, c, co, pad] of [
        [3, 37, 8, 16, 'same'],
        [4, 23, 12, 5, 'valid'],
        [2, 300, 40, 64, 'same'],
        [2, 75, 64, 128, 'same'],
        [1, 6, 4, 3, 'same'],
        [3, 29, 12, 8, 'same'], // the input gradient in Winograd's form with 12 outputs: filters packed with zeros
        [20, 20000, 4, 8, 'same'], // two chunks of items in the module's 16 MB
      ] as const) {
        const x = ints(n * len * c, len + c);
        const w = ints(5 * c * co, co);
        const shapes = [
          [n, len, c],
          [5, c, co],
        ];
        setFusedConvolutions(true);
        const fused = await convGrads('wasm', x, shapes[0], w, shapes[1], 1, pad, true);
        setFusedConvolutions(false);
        // The long case against the unfused kernels (bit for bit the cpu backend's: above), faster.
        const long = n * len > 10000;
        const exact = await convGrads(long ? 'wasm' : 'cpu', x, shapes[0], w, shapes[1], 1, pad, true);
        for (const key of ['y', 'dx', 'dw'] as const) {
          expect(exact[key].every(Number.isInteger)).toBe(true);
          // dw of the long case sums 400 000 rows: its float32 rounding grows with their number,
          // more in the transformed domain (1.7e-4 here) than in the direct sum (exact for
          // integers); an error in the chunks' accumulation would be of the order of the values.
          expect(relErr(fused[key], exact[key])).toBeLessThan(long ? 1e-3 : 2e-5);
          expect(fused[key].every(Number.isInteger)).toBe(false);
        }
      }
    },
  );

  it.skipIf(!available)(
    "winograd_filters_f32: the filters in Winograd's form as packTap then mix_rows_f32 make them, bit for bit, flipped or not, outputs not a multiple of 8",
    () => {
      const rt = getFusedRuntime() as NonNullable<ReturnType<typeof getFusedRuntime>>;
      const { n, k, g } = WINOGRAD;
      for (const [c, co] of [
        [4, 8],
        [40, 64],
        [12, 13],
        [8, 3],
        [128, 20],
      ]) {
        for (const flip of [false, true]) {
          const f8 = Math.ceil(co / 8) * 8;
          const filters = c * f8;
          const w = rand(k * c * co, c + co + (flip ? 1 : 0));
          const at = scratch(rt, 4 * (n * k + 2 * k * filters + 2 * n * filters));
          const [taps, raw, viaTaps, direct] = [
            at + 4 * n * k,
            at + 4 * (n * k + k * filters),
            at + 4 * (n * k + 2 * k * filters),
            at + 4 * (n * k + 2 * k * filters + n * filters),
          ];
          const view = (from: number, len: number) => new Float32Array(rt.memory.buffer, from, len);
          view(at, n * k).set(g);
          // Garbage where the zero outputs go, so that a kernel that skips them fails.
          view(viaTaps, 2 * n * filters).fill(Number.NaN);
          for (let j = 0; j < k; j++)
            packTap(w, flip, j, [k, c, co], view(taps + 4 * j * filters, filters), c);
          rt.exports.mix_rows_f32(n, k, filters, at, taps, viaTaps);
          view(raw, w.length).set(w);
          rt.exports.winograd_filters_f32(n, k, c, co, f8, flip ? 1 : 0, at, raw, direct);
          const [want, got] = [view(viaTaps, n * filters), view(direct, n * filters)];
          expect(Array.from(got).every(Number.isFinite)).toBe(true);
          expect(new Uint32Array(got.slice().buffer)).toEqual(new Uint32Array(want.slice().buffer));
        }
      }
    },
  );

  it.skipIf(!available)(
    "conv2d's gradients at stride 1, fused: within float32 rounding of the cpu backend, and not the unfused bits",
    async () => {
      for (const [n, h, w, c, kh, kw, co, pad] of [
        [2, 9, 7, 3, 3, 3, 16, 'same'],
        [3, 8, 6, 5, 2, 3, 11, 'valid'],
        [2, 30, 10, 1, 3, 3, 16, 'same'],
      ] as const) {
        const x = rand(n * h * w * c, h + c);
        const wt = rand(kh * kw * c * co, co);
        const shapes = [
          [n, h, w, c],
          [kh, kw, c, co],
        ];
        setFusedConvolutions(true);
        const fused = await convGrads('wasm', x, shapes[0], wt, shapes[1], 1, pad, false);
        setFusedConvolutions(false);
        const plain = await convGrads('wasm', x, shapes[0], wt, shapes[1], 1, pad, false);
        const ref = await convGrads('cpu', x, shapes[0], wt, shapes[1], 1, pad, false);
        expect(relErr(fused.dw, ref.dw)).toBeLessThan(1e-4);
        expect(fused.dw.some((v, i) => v !== plain.dw[i])).toBe(true);
        expect(relErr(fused.dx, ref.dx)).toBeLessThan(1e-4);
        expect(fused.dx.some((v, i) => v !== plain.dx[i])).toBe(true);
      }
    },
  );

  it.skipIf(!available)(
    'fit: fused by default, repeatable for a seed, other bits than fusedMultiplyAdd: false, which is unfused and restores the setting after',
    async () => {
      const a = await trainSmall({});
      const b = await trainSmall({});
      const exact = await trainSmall({ fusedMultiplyAdd: false });
      expect(a.summary.fusedMultiplyAdd).toBe(true);
      expect(exact.summary.fusedMultiplyAdd).toBeUndefined();
      expect(b.weights).toEqual(a.weights);
      expect(exact.weights).not.toEqual(a.weights);
      expect(a.weights.flat().every(Number.isFinite)).toBe(true);
      // Close: two epochs apart only by rounding.
      for (let i = 0; i < a.weights.length; i++)
        expect(relErr(a.weights[i], exact.weights[i])).toBeLessThan(1e-3);
      expect(fusedConvolutions()).toBe(false); // fit put back what it found
    },
  );

  it('off, or on the cpu backend: not fused, and the summary says so', async () => {
    const off = await trainSmall({ fusedMultiplyAdd: false });
    expect(off.summary.fusedMultiplyAdd).toBeUndefined();
    const cpu = await trainSmall({}, 'cpu'); // the cpu backend has no fused kernels: nothing to report
    expect(cpu.summary.fusedMultiplyAdd).toBeUndefined();
  });
});
