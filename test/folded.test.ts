import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchitectureName, EmotionModel, defineFeatureSpec } from '../src/index.js';
import { FoldedNetwork } from '../src/model/folded.js';
import { jointNetwork } from '../src/model/inference.js';
import { useBackend } from '../src/node.js';
import { lcg } from './helpers/signals.js';

tf.env().set('PROD', true);

const FRAMES = 24;
const FEATURES = 8;
const SPEC = defineFeatureSpec({
  trim: null,
  duration: { offset: 0, seconds: 0.4 },
  features: { type: 'mfcc', options: { nMfcc: 4 } },
  deltas: 1,
  output: { type: 'series' },
});

/** Every weight redrawn (batch normalisation's variances and scales positive, away from 1), so a fold that dropped a term would show. */
function scramble(net: tfl.LayersModel, seed: number): void {
  const r = lcg(seed);
  net.setWeights(
    net.weights.map((w) => {
      const n = w.shape.reduce((a, b) => (a as number) * (b as number), 1) as number;
      const positive = /moving_variance|gamma/.test(w.name);
      const v = Float32Array.from({ length: n }, () => (positive ? 0.3 + 2 * r() : 0.6 * (r() - 0.5)));
      return tf.tensor(v, w.shape as number[]);
    }),
  );
}

async function model(architecture: ArchitectureName, seed: number): Promise<EmotionModel> {
  const m = await EmotionModel.create({
    labels: ['a', 'b', 'c', 'd'],
    featureSpec: SPEC,
    inputShape: [FRAMES, FEATURES],
    architecture,
    seed,
  });
  scramble(m.layersModel, seed);
  return m;
}

const input = (batch: number, seed: number) => {
  const r = lcg(seed);
  return tf.tensor3d(
    Float32Array.from({ length: batch * FRAMES * FEATURES }, () => 2 * r() - 1),
    [batch, FRAMES, FEATURES],
  );
};

/** The largest difference relative to the largest magnitude of `want`. */
async function relativeError(got: tf.Tensor, want: tf.Tensor): Promise<number> {
  expect(got.shape).toEqual(want.shape);
  const [g, w] = [await got.data(), await want.data()];
  const scale = Math.max(...w.map(Math.abs));
  return Math.max(...g.map((v, i) => Math.abs(v - w[i]))) / scale;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`the folded network on ${backend}: batch normalisation folded into the convolutions`, () => {
    beforeAll(async () => {
      await useBackend(backend);
    });
    const made: EmotionModel[] = [];
    afterAll(() => {
      for (const m of made) m.dispose();
    });

    for (const architecture of ['crnn', 'cnn1d', 'cnn2d', 'mlp'] as const) {
      it(`computes what the tfjs-layers network does for '${architecture}', alone and in an ensemble, with its embedding`, async () => {
        const one = await model(architecture, 3);
        const two = await model(architecture, 4);
        const ensemble = await EmotionModel.ensemble([one, two]);
        made.push(one, two, ensemble);
        for (const m of [one, ensemble]) {
          const net = m.layersModel;
          // With the convolutions over time on the SIMD module and without (tfjs's kernels).
          const foldings = [
            FoldedNetwork.of(tf, tfl, net),
            FoldedNetwork.of(tf, tfl, net, { series: false }),
          ];
          const joint = jointNetwork(tfl, net) as tfl.LayersModel;
          const x = input(5, 9);
          const [wantP, wantE] = joint.predict(x) as tf.Tensor[];
          for (const folded of foldings) {
            expect(folded).not.toBeNull();
            const [p, e] = (folded as FoldedNetwork).predict(x);
            // The embedding to float rounding. The scrambled weights give embeddings up to about 50
            // and logits of ±15 (crnn), so the embedding's rounding (about 1e-6 of its largest
            // value with Winograd's convolutions) moves the probabilities by up to about 2e-5; the
            // bundled model's scores move by under 2e-7.
            expect(await relativeError(e, wantE)).toBeLessThan(1e-5);
            expect(await relativeError(p, wantP)).toBeLessThan(1e-4);
            // Probabilities: rows that sum to 1, not a copy of one member's.
            expect(Math.abs((await tf.sum(p).data())[0] - 5)).toBeLessThan(1e-4);
            tf.dispose([p, e]);
            folded?.dispose();
          }
          tf.dispose([x, wantP, wantE]);
        }
      });
    }

    it('folds each convolution with its batch normalisation and ReLU into one step', async () => {
      const m = await model('crnn', 5);
      made.push(m);
      const before = tf.memory().numTensors;
      const folded = FoldedNetwork.of(tf, tfl, m.layersModel, { series: false }) as FoldedNetwork;
      // Three convolutions, each a filter and a bias of its own: nothing else kept.
      expect(tf.memory().numTensors - before).toBe(6);
      const x = input(1, 2);
      const kernels: string[] = [];
      const profile = await tf.profile(() => tf.dispose(folded.predict(x)));
      for (const k of profile.kernels) kernels.push(k.name);
      expect(kernels.filter((k) => k === 'FusedConv2D')).toHaveLength(3);
      expect(kernels).not.toContain('FusedBatchNorm');
      folded.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // Without batch normalisation, a ReLU layer right after the convolution joins it too.
      const plain = tfl.sequential({
        layers: [
          tfl.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [FRAMES, FEATURES] }),
          tfl.layers.activation({ activation: 'relu' }),
          tfl.layers.globalAveragePooling1d(),
          tfl.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      scramble(plain, 8);
      const again = FoldedNetwork.of(tf, tfl, plain, { series: false }) as FoldedNetwork;
      const y = input(2, 3);
      const names = (await tf.profile(() => tf.dispose(again.predict(y)))).kernels.map((k) => k.name);
      expect(names.filter((k) => k === 'FusedConv2D')).toHaveLength(1);
      expect(names).not.toContain('Relu');
      const out = again.predict(y);
      const want = plain.predict(y) as tf.Tensor;
      expect(await relativeError(out[0], want)).toBeLessThan(1e-5);
      tf.dispose([...out, want, y]);
      again.dispose();
      plain.dispose();
    });

    it('predictFeatures follows the weights when they change after a prediction (fit, setWeights)', async () => {
      const m = await model('crnn', 6);
      made.push(m);
      const r = lcg(4);
      const matrix = {
        data: Float32Array.from({ length: FRAMES * FEATURES }, () => r()),
        frames: FRAMES,
        features: FEATURES,
      };
      const first = (await m.predictFeatures([matrix]))[0];
      scramble(m.layersModel, 77);
      const again = (await m.predictFeatures([matrix]))[0];
      const x = tf.tensor3d(matrix.data, [1, FRAMES, FEATURES]);
      const want = (await (m.layersModel.predict(x) as tf.Tensor).data()) as Float32Array;
      x.dispose();
      expect(Math.max(...again.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
      expect(Math.max(...again.map((v, i) => Math.abs(v - first[i])))).toBeGreaterThan(1e-3);
    });

    it('has no folded form for other structures, which predict through tfjs-layers', async () => {
      const builder = (inputShape: number[], classes: number) => {
        const x = tfl.input({ shape: inputShape });
        const y = tfl.layers
          .dense({ units: classes, activation: 'softmax' })
          .apply(tfl.layers.flatten().apply(x)) as tfl.SymbolicTensor;
        return tfl.model({ inputs: x, outputs: y });
      };
      const m = await EmotionModel.create({
        labels: ['a', 'b'],
        featureSpec: SPEC,
        inputShape: [FRAMES, FEATURES],
        architecture: builder,
      });
      made.push(m);
      expect(FoldedNetwork.of(tf, tfl, m.layersModel)).toBeNull();
      // Two Sequential members under an Average, but one reads the other's output: not an ensemble.
      const member = () =>
        tfl.sequential({ layers: [tfl.layers.dense({ units: FEATURES, inputShape: [FRAMES, FEATURES] })] });
      const averaged = (chain: boolean) => {
        const [a, b] = [member(), member()];
        const x = tfl.input({ shape: [FRAMES, FEATURES] });
        const ya = a.apply(x) as tfl.SymbolicTensor;
        const yb = b.apply(chain ? ya : x) as tfl.SymbolicTensor;
        return tfl.model({ inputs: x, outputs: tfl.layers.average().apply([ya, yb]) as tfl.SymbolicTensor });
      };
      const chained = averaged(true);
      expect(FoldedNetwork.of(tf, tfl, chained)).toBeNull();
      const side = averaged(false);
      const folded = FoldedNetwork.of(tf, tfl, side) as FoldedNetwork;
      expect(folded).not.toBeNull();
      const input = tf.ones([1, FRAMES, FEATURES]);
      const [probabilities, embedding] = folded.predict(input);
      expect(await relativeError(probabilities, side.predict(input) as tf.Tensor)).toBeLessThan(1e-5);
      tf.dispose([input, probabilities, embedding]);
      folded.dispose();
      chained.dispose();
      side.dispose();
      const p = await m.predictFeatures([
        { data: new Float32Array(FRAMES * FEATURES).fill(0.5), frames: FRAMES, features: FEATURES },
      ]);
      expect(p[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });

    describe('the convolutions over time on the SIMD module (SeriesBlock)', () => {
      /** A Sequential network on [FRAMES, FEATURES] with scrambled weights, and its folded form. */
      const network = (layers: tfl.layers.Layer[], seed: number) => {
        const net = tfl.sequential({ layers });
        scramble(net, seed);
        return { net, folded: FoldedNetwork.of(tf, tfl, net) as FoldedNetwork };
      };
      const kernelsOf = async (folded: FoldedNetwork, x: tf.Tensor) =>
        (await tf.profile(() => tf.dispose(folded.predict(x)))).kernels.map((k) => k.name);

      it("runs the built-in 1-D designs with no tfjs kernel but the members' average", async () => {
        for (const architecture of ['crnn', 'cnn1d'] as const) {
          const [one, two] = [await model(architecture, 11), await model(architecture, 12)];
          const ensemble = await EmotionModel.ensemble([one, two]);
          made.push(one, two, ensemble);
          const x = input(3, 5);
          const alone = FoldedNetwork.of(tf, tfl, one.layersModel) as FoldedNetwork;
          const both = FoldedNetwork.of(tf, tfl, ensemble.layersModel) as FoldedNetwork;
          expect(await kernelsOf(alone, x)).toEqual([]);
          expect((await kernelsOf(both, x)).sort()).toEqual(['AddN', 'RealDiv']);
          tf.dispose(x);
          alone.dispose();
          both.dispose();
        }
      });

      it('takes other 1-D shapes, and leaves what it cannot take to tfjs', async () => {
        const shapes = [
          // An even kernel padded 'same', channels that are not a multiple of 8, a pooling of 3
          // every 2, a 'valid' convolution, then a strided one and a linear classifier on tfjs.
          [
            tfl.layers.conv1d({ filters: 5, kernelSize: 4, padding: 'same', inputShape: [FRAMES, FEATURES] }),
            tfl.layers.batchNormalization(),
            tfl.layers.activation({ activation: 'relu' }),
            tfl.layers.maxPooling1d({ poolSize: 3, strides: 2 }),
            tfl.layers.conv1d({ filters: 12, kernelSize: 3, activation: 'relu' }),
            tfl.layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }),
            tfl.layers.globalAveragePooling1d(),
            tfl.layers.dense({ units: 3, activation: 'softmax' }),
          ],
          // No batch normalisation, a linear convolution, a head that is not one of the built-in ones.
          [
            tfl.layers.conv1d({ filters: 9, kernelSize: 1, inputShape: [FRAMES, FEATURES] }),
            tfl.layers.conv1d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
            tfl.layers.globalMaxPooling1d(),
            tfl.layers.dense({ units: 3, activation: 'softmax' }),
          ],
          // A whole member on the module: the average-pooling head.
          [
            tfl.layers.conv1d({ filters: 7, kernelSize: 3, padding: 'same', inputShape: [FRAMES, FEATURES] }),
            tfl.layers.globalAveragePooling1d(),
            tfl.layers.dense({ units: 5, activation: 'softmax' }),
          ],
          // Five taps (Winograd's form) unpadded, over 7 rows left by a pooling: a partial last
          // tile; then five taps on 6 features (not a multiple of 4: the direct sum).
          [
            tfl.layers.conv1d({ filters: 10, kernelSize: 3, inputShape: [FRAMES, FEATURES] }),
            tfl.layers.maxPooling1d({ poolSize: 2 }),
            tfl.layers.conv1d({ filters: 8, kernelSize: 5, activation: 'relu' }),
            tfl.layers.globalAveragePooling1d(),
            tfl.layers.dense({ units: 2, activation: 'softmax' }),
          ],
          [
            tfl.layers.conv1d({ filters: 4, kernelSize: 5, padding: 'same', inputShape: [FRAMES, 6] }),
            tfl.layers.globalAveragePooling1d(),
            tfl.layers.dense({ units: 2, activation: 'softmax' }),
          ],
        ];
        const onTfjs = [['FusedConv2D'], ['Max', 'Softmax'], [], [], []];
        const r = lcg(12);
        const six = tf.tensor3d(
          Float32Array.from({ length: 3 * FRAMES * 6 }, () => 2 * r() - 1),
          [3, FRAMES, 6],
        );
        for (const [i, layers] of shapes.entries()) {
          const { net, folded } = network(layers, 20 + i);
          const x = i === 4 ? six : input(4, 6);
          const [p] = folded.predict(x);
          const want = net.predict(x) as tf.Tensor;
          expect(await relativeError(p, want)).toBeLessThan(1e-5);
          const kernels = await kernelsOf(folded, x);
          for (const k of onTfjs[i]) expect(kernels).toContain(k);
          expect(kernels).not.toContain('MaxPool');
          expect(kernels.filter((k) => k === 'FusedConv2D')).toHaveLength(i === 0 ? 1 : 0);
          tf.dispose([x, p, want]);
          folded.dispose();
          net.dispose();
        }
      });

      it('keeps two networks apart that take turns, and long series in parts', async () => {
        const [a, b] = [await model('crnn', 31), await model('crnn', 32)];
        made.push(a, b);
        const fa = FoldedNetwork.of(tf, tfl, a.layersModel) as FoldedNetwork;
        const fb = FoldedNetwork.of(tf, tfl, b.layersModel) as FoldedNetwork;
        const x = input(2, 7);
        const first = fa.predict(x);
        const other = fb.predict(x);
        const again = fa.predict(x);
        expect(await relativeError(again[0], first[0])).toBe(0);
        expect(await relativeError(other[0], first[0])).toBeGreaterThan(1e-3);
        tf.dispose([x, ...first, ...other, ...again]);
        fa.dispose();
        fb.dispose();
        if (backend !== 'wasm') return;
        // 4 series of 6000 × 80 take about 4 MB each in the module: more than one part of 16 MB.
        const long = await EmotionModel.create({
          labels: ['a', 'b', 'c'],
          featureSpec: SPEC,
          inputShape: [6000, 80],
          architecture: 'crnn',
          seed: 3,
        });
        made.push(long);
        scramble(long.layersModel, 40);
        const folded = FoldedNetwork.of(tf, tfl, long.layersModel) as FoldedNetwork;
        const r = lcg(8);
        const big = tf.tensor3d(
          Float32Array.from({ length: 5 * 6000 * 80 }, () => 2 * r() - 1),
          [5, 6000, 80],
        );
        const [p, e] = folded.predict(big);
        const [wantP, wantE] = (jointNetwork(tfl, long.layersModel) as tfl.LayersModel).predict(
          big,
        ) as tf.Tensor[];
        expect(await relativeError(p, wantP)).toBeLessThan(1e-5);
        expect(await relativeError(e, wantE)).toBeLessThan(1e-5);
        tf.dispose([big, p, e, wantP, wantE]);
        folded.dispose();
      });
    });
  });
}
