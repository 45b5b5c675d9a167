import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { customLayers } from './layers.js';

/** Built-in model designs. */
export type ArchitectureName = 'cnn1d' | 'cnn2d' | 'crnn' | 'mlp';

/**
 * A custom design: receives the input shape (`[frames, features]` for a series, `[features]` for
 * statistics) and the number of classes, returns an uncompiled tfjs-layers model ending in a
 * softmax over the classes.
 */
export type ModelBuilder = (inputShape: number[], numClasses: number) => TFL.LayersModel;

/**
 * Builds a built-in design. `seed` fixes the initial weights; dropout masks are seeded per step by
 * `EmotionModel.fit` (a fixed tfjs dropout seed would draw the same mask at every step).
 * @internal
 */
export function buildArchitecture(
  tf: typeof TF,
  tfl: typeof TFL,
  name: ArchitectureName,
  inputShape: number[],
  numClasses: number,
  seed: number,
): TFL.LayersModel {
  let s = seed;
  const init = () => tfl.initializers.heNormal({ seed: ++s });
  const m = tfl.sequential();
  if (name === 'mlp') {
    m.add(inputShape.length > 1 ? tfl.layers.flatten({ inputShape }) : tfl.layers.inputLayer({ inputShape }));
    for (const units of [256, 128]) {
      m.add(tfl.layers.dense({ units, kernelInitializer: init() }));
      m.add(tfl.layers.batchNormalization());
      m.add(tfl.layers.activation({ activation: 'relu' }));
      m.add(tfl.layers.dropout({ rate: 0.3 }));
    }
  } else {
    if (inputShape.length !== 2) {
      throw new Error(
        `the '${name}' architecture needs a time series (FeatureSpec output 'series' with a duration), not per-utterance statistics; use 'mlp'`,
      );
    }
    if (name === 'cnn1d' || name === 'crnn') {
      m.add(tfl.layers.inputLayer({ inputShape }));
      for (const [filters, pool] of [
        [64, true],
        [128, true],
        [128, false],
      ] as const) {
        m.add(tfl.layers.conv1d({ filters, kernelSize: 5, padding: 'same', kernelInitializer: init() }));
        m.add(tfl.layers.batchNormalization());
        m.add(tfl.layers.activation({ activation: 'relu' }));
        if (pool) m.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
        m.add(tfl.layers.dropout({ rate: 0.2 }));
      }
      if (name === 'cnn1d') m.add(tfl.layers.globalAveragePooling1d());
      else m.add(new (customLayers(tf, tfl).AttentionPooling)({ units: 64, seed: ++s }));
    } else {
      m.add(tfl.layers.reshape({ inputShape, targetShape: [inputShape[0], inputShape[1], 1] }));
      for (const filters of [16, 32, 64]) {
        m.add(tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: init() }));
        m.add(tfl.layers.batchNormalization());
        m.add(tfl.layers.activation({ activation: 'relu' }));
        m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
      }
      m.add(tfl.layers.globalAveragePooling2d({}));
    }
    m.add(tfl.layers.dropout({ rate: 0.3 }));
  }
  m.add(
    tfl.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: ++s }),
    }),
  );
  return m;
}
