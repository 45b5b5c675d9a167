// Feature-level augmentation during training: SpecAugment masks and time shift, on batches of
// normalised series.
import { checkKnownOptions } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import { betaFrom } from '../util/math.js';

/** Feature-level augmentation of {@link FitOptions}. */
export interface AugmentOptions {
  /**
   * SpecAugment masks (Park et al. 2019): `timeMasks` bands of up to `timeWidth` frames and
   * `featureMasks` bands of up to `featureWidth` coefficients or mel bands (the same band in each
   * delta block) are set to the training mean.
   */
  specAugment?: {
    /** Masks along time. Default 2. */
    timeMasks?: number;
    /** Widest time mask, frames. Default 12. */
    timeWidth?: number;
    /** Masks along features. Default 2. */
    featureMasks?: number;
    /** Widest feature mask. Default 5. */
    featureWidth?: number;
  };
  /** Rolls each series in time by up to this fraction of its frames, either way. */
  shift?: number;
  /**
   * Mixup (Zhang et al. 2018): each training row becomes λ·itself + (1 − λ)·another row of its
   * batch, inputs and one-hot targets alike, with λ drawn from Beta(α, α) per row; this is α
   * (e.g. 0.4). Applied after the masks. Off when absent or 0. Works with statistics inputs too.
   */
  mixup?: number;
}

/** Resolved augmentation settings. @internal */
export type FullAugment = {
  timeMasks: number;
  timeWidth: number;
  featureMasks: number;
  featureWidth: number;
  shift: number;
  mixup: number;
};

/** Validates fit's `augment` option. @internal */
export function checkAugment(a: AugmentOptions | undefined, inputShape: number[]): FullAugment | null {
  if (a === undefined) return null;
  const fn = 'EmotionModel.fit';
  checkKnownOptions(`${fn} augment`, a, ['specAugment', 'shift', 'mixup']);
  if (inputShape.length !== 2 && (a.specAugment !== undefined || a.shift !== undefined))
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: augment 'specAugment' and 'shift' need series inputs (frames × features); this model takes per-utterance statistics ('mixup' works on both).`,
    );
  const sa = a.specAugment;
  if (sa !== undefined)
    checkKnownOptions(`${fn} augment.specAugment`, sa, [
      'timeMasks',
      'timeWidth',
      'featureMasks',
      'featureWidth',
    ]);
  const out: FullAugment = {
    timeMasks: sa ? (sa.timeMasks ?? 2) : 0,
    timeWidth: sa?.timeWidth ?? 12,
    featureMasks: sa ? (sa.featureMasks ?? 2) : 0,
    featureWidth: sa?.featureWidth ?? 5,
    shift: a.shift ?? 0,
    mixup: a.mixup ?? 0,
  };
  for (const [name, v] of Object.entries(out)) {
    const real = name === 'shift' || name === 'mixup';
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!real && !Number.isInteger(v)))
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: augment '${name}' must be a non-negative ${real ? 'number' : 'integer'}, got ${String(v)}.`,
      );
  }
  if (out.mixup > 100)
    throw new SpeechEmotionError('INVALID_OPTION', `${fn}: augment 'mixup' is Beta's α, ≤ 100.`);
  if (out.shift > 1)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: augment 'shift' is a fraction of the frames, ≤ 1.`,
    );
  return out;
}

/** Applies time shift and SpecAugment masks in place to a batch of normalised series. @internal */
export function augmentBatch(
  data: Float32Array,
  count: number,
  shape: number[],
  block: number,
  a: FullAugment,
  random: () => number,
): void {
  const [frames, features] = shape;
  const per = frames * features;
  const tmp = new Float32Array(per);
  for (let i = 0; i < count; i++) {
    const item = data.subarray(i * per, (i + 1) * per);
    const maxShift = Math.floor(a.shift * frames);
    if (maxShift > 0) {
      const s = Math.floor(random() * (2 * maxShift + 1)) - maxShift;
      if (s !== 0) {
        tmp.set(item);
        for (let t = 0; t < frames; t++) {
          const from = (((t - s) % frames) + frames) % frames;
          item.set(tmp.subarray(from * features, (from + 1) * features), t * features);
        }
      }
    }
    for (let m = 0; m < a.timeMasks; m++) {
      const w = Math.floor(random() * (a.timeWidth + 1));
      const t0 = Math.floor(random() * Math.max(1, frames - w));
      item.fill(0, t0 * features, Math.min(frames, t0 + w) * features);
    }
    for (let m = 0; m < a.featureMasks; m++) {
      const w = Math.floor(random() * (a.featureWidth + 1));
      const f0 = Math.floor(random() * Math.max(1, block - w));
      for (let t = 0; t < frames; t++)
        for (let b = 0; b < features; b += block)
          item.fill(0, t * features + b + f0, t * features + b + Math.min(block, f0 + w));
    }
  }
}

/**
 * Mixup in place: row i of `data` (`per` values) and of `targets` (`k` values) becomes
 * λᵢ·row i + (1 − λᵢ)·row πᵢ, for a random permutation π of the batch and λᵢ ~ Beta(α, α), mixing
 * the rows as they were before this call. @internal
 */
export function mixBatch(
  data: Float32Array,
  targets: Float32Array,
  count: number,
  alpha: number,
  random: () => number,
): void {
  const per = data.length / count;
  const k = targets.length / count;
  const partner = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [partner[i], partner[j]] = [partner[j], partner[i]];
  }
  const x0 = data.slice();
  const y0 = targets.slice();
  for (let i = 0; i < count; i++) {
    const l = betaFrom(random, alpha, alpha);
    const j = partner[i];
    for (let q = 0; q < per; q++) data[i * per + q] = l * x0[i * per + q] + (1 - l) * x0[j * per + q];
    for (let q = 0; q < k; q++) targets[i * k + q] = l * y0[i * k + q] + (1 - l) * y0[j * k + q];
  }
}
