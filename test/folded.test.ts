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
          const folded = FoldedNetwork.of(tf, tfl, net);
          expect(folded).not.toBeNull();
          const joint = jointNetwork(tfl, net) as tfl.LayersModel;
          const x = input(5, 9);
          const [p, e] = (folded as FoldedNetwork).predict(x);
          const [wantP, wantE] = joint.predict(x) as tf.Tensor[];
          expect(await relativeError(p, wantP)).toBeLessThan(1e-5);
          expect(await relativeError(e, wantE)).toBeLessThan(1e-5);
          // Probabilities: rows that sum to 1, not a copy of one member's.
          expect(Math.abs((await tf.sum(p).data())[0] - 5)).toBeLessThan(1e-4);
          tf.dispose([x, p, e, wantP, wantE]);
          folded?.dispose();
        }
      });
    }

    it('folds each convolution with its batch normalisation and ReLU into one step', async () => {
      const m = await model('crnn', 5);
      made.push(m);
      const before = tf.memory().numTensors;
      const folded = FoldedNetwork.of(tf, tfl, m.layersModel) as FoldedNetwork;
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
      const again = FoldedNetwork.of(tf, tfl, plain) as FoldedNetwork;
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
  });
}
