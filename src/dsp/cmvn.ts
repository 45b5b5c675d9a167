import type { FeatureMatrix } from './types.js';
import { checkKnownOptions, checkNumber, invalid } from './validate.js';

/** Options of {@link cmvn}. */
export interface CmvnOptions {
  /** Also divide by the standard deviation (CMVN); `false` only subtracts the mean (CMN). Default `true`. */
  variance?: boolean;
  /** Added to the standard deviation before dividing. Default 1e-8. */
  eps?: number;
}

/**
 * Per-utterance cepstral mean (and variance) normalisation: each feature is shifted to zero mean
 * over the frames and, with `variance`, scaled to unit variance (population standard deviation).
 *
 * Removes the fixed channel and speaker offsets that MFCCs carry, which helps models generalise to
 * unseen speakers and microphones. A constant feature becomes 0, never NaN.
 *
 * Reference: Viikki, O. & Laurila, K. (1998). Cepstral domain segmental feature vector normalization
 * for noise robust speech recognition. Speech Communication 25.
 *
 * @param m - Features over time.
 * @param options - See {@link CmvnOptions}.
 * @returns A new normalised matrix of the same shape.
 *
 * @example
 * ```ts
 * const normalised = cmvn(extractMfcc(signal, { sampleRate: 16000 }));
 * ```
 */
export function cmvn(m: FeatureMatrix, options: CmvnOptions = {}): FeatureMatrix {
  checkKnownOptions('cmvn', options, ['variance', 'eps']);
  const eps = checkNumber('cmvn', 'eps', options.eps ?? 1e-8, 'positive');
  const variance = options.variance ?? true;
  const { frames, features, data } = m;
  if (frames < 1) throw invalid('cmvn', 'the matrix has no frames.');
  const mean = new Float64Array(features);
  const sq = new Float64Array(features);
  for (let t = 0; t < frames; t++) for (let k = 0; k < features; k++) mean[k] += data[t * features + k];
  for (let k = 0; k < features; k++) mean[k] /= frames;
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < features; k++) {
      const d = data[t * features + k] - mean[k];
      sq[k] += d * d;
    }
  }
  const out = new Float32Array(data.length);
  for (let k = 0; k < features; k++) {
    const scale = variance ? 1 / (Math.sqrt(sq[k] / frames) + eps) : 1;
    for (let t = 0; t < frames; t++) out[t * features + k] = (data[t * features + k] - mean[k]) * scale;
  }
  return { data: out, frames, features };
}
