// Gradients that replace tfjs-core's where its form costs more than the arithmetic needs.
import type * as TF from '@tensorflow/tfjs-core';

let registered = false;

/**
 * FusedBatchNorm's gradient without `tile`. tfjs-core multiplies dy by 1/√(var + ε) tiled to the
 * full activation shape first: a tensor as large as the activations, built only to be multiplied
 * (`bench:train -- --profile` measured Tile at 20–34% of a training epoch of cnn1d, crnn and cnn2d
 * on wasm). Broadcasting the per-channel vector gives the same products, so the gradients are
 * bit-identical; the rest of tfjs-core's formula is kept as it is.
 */
function batchNormGrad(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const g = dy as TF.Tensor;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      const axes = mean.rank === 1 ? Array.from({ length: x.rank - 1 }, (_, i) => i) : [];
      const reduce = (t: TF.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScale = tf.mul(g, scaleValue);
      const rsqrt = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(rsqrt, rsqrt), rsqrt), tf.scalar(-0.5));
      return {
        x: () => tf.reshape(tf.mul(tf.mul(g, rsqrt), scaleValue), x.shape),
        mean: () => reduce(tf.mul(tf.mul(rsqrt, tf.scalar(-1)), dyTimesScale)),
        variance: () => reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScale)),
        scale: () => reduce(tf.mul(g, tf.mul(xMinusMean, rsqrt))),
        offset: () => reduce(g),
      };
    },
  };
}

/**
 * Registers the library's gradients (idempotent): for now, batch normalisation's without `tile`.
 * They give the same numbers as tfjs-core's, for every backend; {@link useBackend} calls this.
 * @internal
 */
export function registerGradients(tf: typeof TF): void {
  if (registered) return;
  registered = true;
  // tfjs-core replaces its own gradient (it says so only in DEBUG mode).
  tf.registerGradient(batchNormGrad(tf));
}
