// Inference helpers behind EmotionModel's predict methods: rows normalised and stacked into one
// input, probabilities in bounded batches, and the window starts of a timeline.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { Metadata } from './metadata.js';

/** Items per forward pass: bounds the memory of a large batch. */
const PREDICT_BATCH = 64;

/**
 * Feature matrices stacked into one Float32Array, each feature normalised with the model's mean and
 * standard deviation. A matrix of another shape than `inputShape` is a SPEC_MISMATCH.
 */
export function stackNormalised(
  matrices: FeatureMatrix[],
  inputShape: number[],
  normalization: Metadata['normalization'],
): Float32Array {
  const per = inputShape.reduce((a, b) => a * b, 1);
  const features = inputShape[inputShape.length - 1];
  const data = new Float32Array(matrices.length * per);
  const { mean, std } = normalization;
  matrices.forEach((m, i) => {
    if (m.data.length !== per) {
      throw new SpeechEmotionError(
        'SPEC_MISMATCH',
        `the features are ${m.frames} × ${m.features}, the model takes ${inputShape.join(' × ')}. Make them with the model's FeatureSpec.`,
      );
    }
    for (let j = 0; j < per; j++) {
      const k = j % features;
      data[i * per + j] = (m.data[j] - mean[k]) / std[k];
    }
  });
  return data;
}

/** What the predictions run: a tfjs-layers model, or a network's folded form (folded.ts). */
export interface Forward {
  readonly outputs: readonly unknown[];
  predict(x: TF.Tensor): TF.Tensor | TF.Tensor[];
}

/** Class probabilities of each matrix, `PREDICT_BATCH` items per forward pass. */
export async function predictProbabilities(
  tf: typeof TF,
  net: Forward,
  meta: Metadata,
  matrices: FeatureMatrix[],
): Promise<Float32Array[]> {
  return (await predictOutputs(tf, net, meta, matrices))[0];
}

/**
 * Every output of `net` (one list per output, one row per matrix) for normalised matrices,
 * `PREDICT_BATCH` items per forward pass.
 */
export async function predictOutputs(
  tf: typeof TF,
  net: Forward,
  meta: Metadata,
  matrices: FeatureMatrix[],
): Promise<Float32Array[][]> {
  const out: Float32Array[][] = net.outputs.map(() => []);
  for (let b = 0; b < matrices.length; b += PREDICT_BATCH) {
    const part = matrices.slice(b, b + PREDICT_BATCH);
    const x = tf.tensor(stackNormalised(part, meta.inputShape, meta.normalization), [
      part.length,
      ...meta.inputShape,
    ]);
    const y = net.predict(x) as TF.Tensor | TF.Tensor[];
    const ys = Array.isArray(y) ? y : [y];
    for (const [o, t] of ys.entries()) {
      const data = (await t.data()) as Float32Array;
      const k = data.length / part.length;
      for (let i = 0; i < part.length; i++) out[o].push(data.slice(i * k, (i + 1) * k));
    }
    tf.dispose([x, ...ys]);
  }
  return out;
}

/**
 * The network with a second output, its first member's embedding, each member computed once (so a
 * prediction with a familiarity distance costs one pass). For one network, its own graph; for an
 * ensemble as {@link EmotionModel.ensemble} builds it (an input, Sequential members, one merge
 * layer), the same layers (weights shared) applied to a new input, the first member layer by layer.
 * Null for another structure.
 */
export function jointNetwork(tfl: typeof TFL, net: TFL.LayersModel): TFL.LayersModel | null {
  const members = net.layers.filter((l) => l instanceof tfl.LayersModel) as TFL.LayersModel[];
  if (members.length === 0)
    return tfl.model({
      inputs: net.inputs,
      outputs: [net.outputs[0], firstMemberEmbedder(tfl, net).outputs[0]],
    });
  const chain = members[0].layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (!(members[0] instanceof tfl.Sequential) || net.layers.length !== members.length + 2 || chain.length < 2)
    return null;
  const input = tfl.input({ shape: (net.inputs[0].shape as number[]).slice(1) });
  let x = input;
  for (const layer of chain.slice(0, -1)) x = layer.apply(x) as TFL.SymbolicTensor;
  const embedding = x;
  const outputs = [chain[chain.length - 1].apply(x), ...members.slice(1).map((m) => m.apply(input))];
  const merged = net.layers[net.layers.length - 1].apply(
    outputs as TFL.SymbolicTensor[],
  ) as TFL.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [merged, embedding] });
}

/**
 * The first member of a network (an ensemble's first nested model, or the network itself) as a
 * model of two outputs: its classifier's input (the embedding the familiarity detector measures)
 * and its own probabilities. The layers are shared, not copied. INVALID_MODEL when the member does
 * not end in a Dense classifier.
 */
export function firstMemberEmbedder(tfl: typeof TFL, net: TFL.LayersModel): TFL.LayersModel {
  const member = (net.layers.find((l) => l instanceof tfl.LayersModel) as TFL.LayersModel | undefined) ?? net;
  const head = member.layers[member.layers.length - 1];
  if (!head || head.getClassName() !== 'Dense')
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `the network's ${net === member ? '' : "first member's "}last layer is ${head?.getClassName() ?? 'missing'}, not a Dense classifier: it has no embedding to measure familiarity on.`,
    );
  return tfl.model({
    inputs: member.inputs,
    outputs: [head.getInputAt(0) as TFL.SymbolicTensor, member.outputs[0]],
  });
}

/**
 * Sample offsets of a timeline's windows: every `hopLen` while a whole window fits, plus one
 * window aligned to the end when the hops do not reach it; one window at 0 for a short signal.
 */
export function timelineStarts(length: number, winLen: number, hopLen: number): number[] {
  if (length <= winLen) return [0];
  const starts: number[] = [];
  for (let s = 0; s + winLen <= length; s += hopLen) starts.push(s);
  const last = length - winLen;
  if (starts[starts.length - 1] < last) starts.push(last);
  return starts;
}
