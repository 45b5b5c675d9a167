// Gradients that replace tfjs-core's where its form costs more than the arithmetic needs.
import type * as TF from '@tensorflow/tfjs-core';
import { batchNormGradPass } from './wasm-norm.js';
import { axisRunLayout } from './wasm-reductions.js';

/** The kernel that computes all five batch-norm gradients in one pass (wasm and cpu). */
const BN_GRAD = 'SpeechEmotionBatchNormGrad';
/** The kernel that spreads a reduction's gradient back over the reduced axes (wasm and cpu). */
const SPREAD = 'SpeechEmotionSpread';

/** The parts of the wasm and cpu backends the kernel uses. */
interface BackendLike {
  readSync(dataId: object): ArrayLike<number>;
  typedArrayFromHeap?(t: TF.TensorInfo): Float32Array;
  makeOutput?(shape: number[], dtype: 'float32'): TF.TensorInfo;
  makeTensorInfo?(shape: number[], dtype: 'float32', values: Float32Array): TF.TensorInfo;
}

const valuesOf = (b: BackendLike, t: TF.TensorInfo): ArrayLike<number> =>
  b.typedArrayFromHeap ? b.typedArrayFromHeap(t) : b.readSync(t.dataId);

/**
 * Float32 outputs of the given shapes: in wasm memory (allocated before any input is read, because
 * an allocation can grow the wasm heap and detach views taken earlier) or as cpu arrays.
 */
function outputs(
  b: BackendLike,
  shapes: number[][],
): { infos: () => TF.TensorInfo[]; views: Float32Array[] } {
  if (b.makeOutput && b.typedArrayFromHeap) {
    const infos = shapes.map((shape) =>
      (b.makeOutput as NonNullable<BackendLike['makeOutput']>)(shape, 'float32'),
    );
    return {
      infos: () => infos,
      views: infos.map((i) => (b.typedArrayFromHeap as NonNullable<BackendLike['typedArrayFromHeap']>)(i)),
    };
  }
  const views = shapes.map((shape) => new Float32Array(shape.reduce((a, n) => a * n, 1)));
  const make = (b.makeTensorInfo as NonNullable<BackendLike['makeTensorInfo']>).bind(b);
  return { infos: () => views.map((v, i) => make(shapes[i], 'float32', v)), views };
}

/**
 * dx, dmean, dvariance, dscale, doffset of FusedBatchNorm with per-channel (last axis) statistics,
 * in one pass over the activations instead of tfjs-core's dozen element-wise operations and
 * reductions: per channel, Σdy and Σdy·(x − mean) (in float64), then dx = dy · r · scale with
 * r = 1/√(var + ε) in float32, multiplied in tfjs-core's order; the four reductions are the same
 * sums taken in float64. Both differ from tfjs-core's results in float32 rounding only. The pass
 * runs on the library's WebAssembly SIMD module where it can ({@link batchNormGradPass}).
 */
function batchNormGradKernel(args: {
  inputs: TF.NamedTensorInfoMap;
  backend: unknown;
  attrs?: TF.NamedAttrMap;
}) {
  const b = args.backend as BackendLike;
  const { x, dy, mean, variance, scale } = args.inputs as Record<string, TF.TensorInfo>;
  const eps = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const c = mean.shape[0];
  const out = outputs(b, [x.shape, [c], [c], [c], [c]]);
  const [dx, dMean, dVariance, dScale, dOffset] = out.views;
  const xs = valuesOf(b, x);
  const g = valuesOf(b, dy);
  const m = valuesOf(b, mean);
  const v = valuesOf(b, variance);
  const s = scale ? valuesOf(b, scale) : new Float32Array(c).fill(1);
  const r = new Float32Array(c);
  for (let k = 0; k < c; k++) r[k] = 1 / Math.fround(Math.sqrt(Math.fround(v[k] + Math.fround(eps))));
  const { sumDy, sumDyXm } = batchNormGradPass(xs, g, { mean: m, r, scale: s }, dx);
  for (let k = 0; k < c; k++) {
    dMean[k] = -r[k] * s[k] * sumDy[k];
    dVariance[k] = -0.5 * r[k] * r[k] * r[k] * s[k] * sumDyXm[k];
    dScale[k] = r[k] * sumDyXm[k];
    dOffset[k] = sumDy[k];
  }
  return out.infos();
}

/**
 * FusedBatchNorm's gradient. On wasm and cpu, one kernel computes all five gradients in one pass
 * (see batchNormGradKernel). Elsewhere, tfjs-core's formula without its `tile`: it multiplies dy by
 * 1/√(var + ε) tiled to the full activation shape first, a tensor as large as the activations
 * built only to be multiplied (`bench:train -- --profile` measured Tile at 20–34% of a training
 * epoch of cnn1d, crnn and cnn2d on wasm); broadcasting gives the same products, bit for bit.
 */
function batchNormGrad(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const g = dy as TF.Tensor;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      if (mean.rank === 1 && (scale == null || scale.rank === 1) && tf.getKernel(BN_GRAD, tf.getBackend())) {
        const inputs = scale == null ? { x, dy: g, mean, variance } : { x, dy: g, mean, variance, scale };
        const [dx, dMean, dVariance, dScale, dOffset] = tf
          .engine()
          .runKernel(
            BN_GRAD,
            inputs as unknown as TF.NamedTensorMap,
            { varianceEpsilon } as unknown as TF.NamedAttrMap,
          ) as TF.Tensor[];
        return {
          x: () => dx,
          mean: () => dMean,
          variance: () => dVariance,
          scale: () => dScale,
          offset: () => dOffset,
        };
      }
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
 * The gradient of a sum or mean over a run of axes, dy spread back over them: x viewed as
 * [outer, reduced, inner], out[o, r, i] = dy[o, i] (divided by `reduced` for a mean, in float32, as
 * tfjs-core divides). tfjs-core builds a tensor of ones as large as x in JavaScript, multiplies dy
 * by it and divides; the values are the same, bit for bit. Each block is written once and then
 * doubled with `copyWithin`.
 */
function spreadKernel(args: { inputs: TF.NamedTensorInfoMap; backend: unknown; attrs?: TF.NamedAttrMap }) {
  const b = args.backend as BackendLike;
  const { dy } = args.inputs as { dy: TF.TensorInfo };
  const { shape, layout, mean } = args.attrs as unknown as {
    shape: number[];
    layout: [number, number, number];
    mean: boolean;
  };
  const [outer, reduced, inner] = layout;
  const out = outputs(b, [shape]);
  const [o] = out.views;
  const g = valuesOf(b, dy);
  const block = reduced * inner;
  for (let k = 0; k < outer; k++) {
    const at = k * block;
    for (let i = 0; i < inner; i++) o[at + i] = mean ? g[k * inner + i] / reduced : g[k * inner + i];
    for (let len = inner; len < block; len *= 2) o.copyWithin(at + len, at, at + Math.min(len, block - len));
  }
  return out.infos()[0];
}

/**
 * Sum's and Mean's gradients: on wasm and cpu, for a run of axes, {@link spreadKernel}; elsewhere,
 * and for other axis sets, tfjs-core's formula.
 */
function reductionGrad(tf: typeof TF, kernelName: 'Sum' | 'Mean'): TF.GradConfig {
  const mean = kernelName === 'Mean';
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const layout = axisRunLayout(x.shape, axes);
      if (layout && x.dtype === 'float32' && tf.getKernel(SPREAD, tf.getBackend()))
        return {
          x: () =>
            tf.engine().runKernel(SPREAD, { dy: dy as TF.Tensor }, {
              shape: x.shape,
              layout,
              mean,
            } as unknown as TF.NamedAttrMap) as TF.Tensor,
        };
      const expanded = x.shape.map((n, i) => (axes.includes(i) ? 1 : n));
      const spread = () => tf.mul(tf.reshape(dy as TF.Tensor, expanded), tf.ones(x.shape, 'float32'));
      const count = axes.reduce((p, a) => p * x.shape[a], 1);
      return { x: () => (mean ? tf.div(spread(), count) : spread()) };
    },
  };
}

/**
 * Registers the library's gradients and the kernels they use: batch normalisation's, Sum's and
 * Mean's. They give tfjs-core's results (bit for bit, or within float32 rounding where the kernel
 * sums in float64), for every backend. Called by {@link useBackend} and at the start of every
 * training step loop: loading `@tensorflow/tfjs-layers` registers tfjs-core's gradients again (its Node
 * bundle carries its own copy of that code), which would silently undo an earlier registration.
 * @internal
 */
export function registerGradients(tf: typeof TF): void {
  for (const [kernelName, kernelFunc] of [
    [BN_GRAD, batchNormGradKernel],
    [SPREAD, spreadKernel],
  ] as const)
    for (const backendName of ['wasm', 'cpu'])
      if (!tf.getKernel(kernelName, backendName))
        tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as TF.KernelFunc });
  // tfjs-core replaces its own gradient (it says so only in DEBUG mode).
  tf.registerGradient(batchNormGrad(tf));
  tf.registerGradient(reductionGrad(tf, 'Sum'));
  tf.registerGradient(reductionGrad(tf, 'Mean'));
}
