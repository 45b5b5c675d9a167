// The networks the training benchmarks time (bench/train.mjs, train-profile.mjs, train-compare.mjs).

/**
 * The reference CNN: Conv1D 64 k5 → MaxPool 2 → Conv1D 128 k5 → MaxPool 2 → Conv1D 128 k5
 * → global average pooling → Dense softmax. Uncompiled.
 */
export function referenceCnn(tfl, inputShape = [300, 40], classes = 8) {
  const m = tfl.sequential();
  m.add(tfl.layers.conv1d({ inputShape, filters: 64, kernelSize: 5, activation: 'relu' }));
  m.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
  m.add(tfl.layers.conv1d({ filters: 128, kernelSize: 5, activation: 'relu' }));
  m.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
  m.add(tfl.layers.conv1d({ filters: 128, kernelSize: 5, activation: 'relu' }));
  m.add(tfl.layers.globalAveragePooling1d());
  m.add(tfl.layers.dense({ units: classes, activation: 'softmax' }));
  return m;
}

/**
 * An EmotionModel of a built-in architecture, or of the reference CNN (`'reference'`), from the
 * given build of the library (`lib`): series inputs of 300 frames × 40 MFCC (cnn2d reads them as a
 * 300 × 40 image), mlp on 160 per-utterance statistics. Returns the model and its input shape.
 */
export async function benchModel(lib, tfl, arch) {
  const shape = arch === 'mlp' ? [160] : [300, 40];
  const spec = lib.defineFeatureSpec(
    arch === 'mlp'
      ? { output: { type: 'stats', stats: ['mean', 'std', 'min', 'max'] } }
      : { output: { type: 'series' } },
  );
  const model = await lib.EmotionModel.create({
    labels: [...lib.EMOTIONS],
    featureSpec: spec,
    inputShape: shape,
    architecture: arch === 'reference' ? (s, k) => referenceCnn(tfl, s, k) : arch,
  });
  return { model, shape };
}

/** `clips` training rows of random features of `shape` (speed does not depend on the values), all eight labels. */
export function randomRows(lib, shape, clips) {
  const per = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: clips }, (_, i) => ({
    path: `r${i}`,
    dataset: 'manifest',
    speaker: 'x',
    label: lib.EMOTIONS[i % 8],
    features: {
      data: Float32Array.from({ length: per }, () => Math.random() - 0.5),
      frames: shape.length > 1 ? shape[0] : 1,
      features: shape.at(-1),
    },
  }));
}

/**
 * Seconds of one epoch of `EmotionModel.fit` on `clips` random clips, batch 32, with `workers`
 * threads (data-parallel above 1) and `options` for fit (e.g. `{ fusedMultiplyAdd: false }`): the
 * faster of epochs 2 and 3 (the first warms up). Returns the seconds, the threads fit used and
 * whether the convolutions ran fused.
 */
export async function fitEpoch(lib, tfl, arch, workers, clips = 1560, options = {}) {
  const { model, shape } = await benchModel(lib, tfl, arch);
  const rows = randomRows(lib, shape, clips);
  const summary = await model.fit(rows, { epochs: 3, batchSize: 32, workers, ...options });
  model.dispose();
  return {
    seconds: Math.min(summary.epochs[1].seconds, summary.epochs[2].seconds),
    workers: summary.workers,
    fused: summary.fusedMultiplyAdd === true,
  };
}
