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

/** Class probabilities of each matrix, `PREDICT_BATCH` items per forward pass. */
export async function predictProbabilities(
  tf: typeof TF,
  net: TFL.LayersModel,
  meta: Metadata,
  matrices: FeatureMatrix[],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const k = meta.labels.length;
  for (let b = 0; b < matrices.length; b += PREDICT_BATCH) {
    const part = matrices.slice(b, b + PREDICT_BATCH);
    const x = tf.tensor(stackNormalised(part, meta.inputShape, meta.normalization), [
      part.length,
      ...meta.inputShape,
    ]);
    const p = net.predict(x) as TF.Tensor;
    const data = (await p.data()) as Float32Array;
    tf.dispose([x, p]);
    for (let i = 0; i < data.length / k; i++) out.push(data.slice(i * k, (i + 1) * k));
  }
  return out;
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
