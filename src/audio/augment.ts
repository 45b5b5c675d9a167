import { checkKnownOptions, checkedOnce, invalid } from '../dsp/validate.js';
import { normalFrom, seededRandom } from '../util/math.js';
import { resample } from './resample.js';

/** What {@link perturbAudio} returns. */
export interface PerturbedAudio {
  /** The perturbed samples. */
  signal: Float32Array;
  /** Their rate, Hz (the input's). */
  sampleRate: number;
}

/** A fixed value, or a `[min, max]` range drawn from uniformly. */
export type Range = number | [number, number];

/** Options of {@link perturbAudio}. Every perturbation is off unless given. */
export interface PerturbOptions {
  /** Speed factor (1.1 = 10% faster and 10% higher in pitch, as sox `speed`). Drawn in steps of 0.01. */
  speed?: Range;
  /** Gain in dB. */
  gainDb?: Range;
  /** Adds white noise at this signal-to-noise ratio in dB (signal power measured over the clip). */
  noiseSnrDb?: Range;
  /** Seed of the draws, so a perturbed copy can be made again. Default 0. */
  seed?: number;
}

function draw(fn: string, name: string, r: Range, random: () => number): number {
  const [lo, hi] = typeof r === 'number' ? [r, r] : r;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo)
    throw invalid(fn, `'${name}' must be a number or a [min, max] range, got ${JSON.stringify(r)}.`);
  return lo + (hi - lo) * random();
}

/**
 * Data augmentation for training: a perturbed copy of a recording (speed, gain, additive noise), for
 * making extra training rows with {@link computeFeatures}. The feature-level augmentations
 * (SpecAugment masks, time shift) are options of `EmotionModel.fit`.
 *
 * @returns The perturbed signal and its sample rate (unchanged: speed is applied by resampling).
 *
 * @example
 * ```ts
 * const copy = perturbAudio(signal, 16000, { speed: [0.9, 1.1], noiseSnrDb: [15, 30], seed: 7 });
 * const features = computeFeatures(copy.signal, copy.sampleRate, spec);
 * ```
 */
export function perturbAudio(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  options: PerturbOptions,
): PerturbedAudio {
  const fn = 'perturbAudio';
  checkKnownOptions(fn, options, ['speed', 'gainDb', 'noiseSnrDb', 'seed']);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw invalid(fn, `'sampleRate' must be a positive integer (Hz), got ${sampleRate}.`);
  return checkedOnce(fn, signal, (trust) => {
    const random = seededRandom(options.seed ?? 0);
    // A copy of the checked signal: resample need not scan it again.
    let out: Float32Array = trust(Float32Array.from(signal));
    if (options.speed !== undefined) {
      const s = Math.round(draw(fn, 'speed', options.speed, random) * 100) / 100;
      if (s <= 0) throw invalid(fn, `'speed' must be positive, got ${s}.`);
      // Playing the samples as if recorded at s·rate, resampled back to the rate: s× faster and higher.
      if (s !== 1) out = resample(out, Math.round(sampleRate * s), sampleRate);
    }
    if (options.gainDb !== undefined) {
      const g = 10 ** (draw(fn, 'gainDb', options.gainDb, random) / 20);
      for (let i = 0; i < out.length; i++) out[i] *= g;
    }
    if (options.noiseSnrDb !== undefined) {
      const snr = draw(fn, 'noiseSnrDb', options.noiseSnrDb, random);
      let power = 0;
      for (let i = 0; i < out.length; i++) power += out[i] * out[i];
      power /= Math.max(1, out.length);
      const sigma = Math.sqrt(power / 10 ** (snr / 10));
      if (sigma > 0) for (let i = 0; i < out.length; i++) out[i] += sigma * normalFrom(random);
    }
    return { signal: out, sampleRate };
  });
}
