import { trimSilence } from '../dsp/trim.js';
import { checkKnownOptions, checkedOnce, invalid } from '../dsp/validate.js';
import { normalFrom, peakAbs, seededRandom } from '../util/math.js';
import {
  type NoiseColor,
  butterworth4,
  colouredNoise,
  convolveSame,
  filterInPlace,
  lossyCodec,
  peaking,
  syntheticRir,
} from './channel.js';
import { resample } from './resample.js';
import { pitchShift, timeStretch } from './wsola.js';

export type { NoiseColor } from './channel.js';

/** What {@link perturbAudio} returns. */
export interface PerturbedAudio {
  /** The perturbed samples. */
  signal: Float32Array;
  /** Their rate, Hz (the input's). */
  sampleRate: number;
}

/** A fixed value, or a `[min, max]` range drawn from uniformly. */
export type Range = number | [number, number];

/** The room of {@link PerturbOptions.reverb}. */
export interface ReverbOptions {
  /** Reverberation time in seconds (the tail decays by 60 dB over it), 0–2; under 0.05: dry. */
  rt60: Range;
  /** Direct-to-reverberant energy ratio in dB, −20–40. Default `[0, 10]`. */
  drrDb?: Range;
}

/** The encoder of {@link PerturbOptions.codec}. */
export interface CodecOptions {
  /** Probability (0–1) that the copy passes through it. */
  probability: number;
  /**
   * Nothing is kept above this frequency, Hz (at least 1000), as low-bit-rate encoders low-pass (MP3
   * at 16 kb/s near 5.6 kHz); at or above half the rate: no cut. Default `[5000, 8000]`.
   */
  cutoffHz?: Range;
  /**
   * Quantisation noise this many dB under each critical band's power, 0–60. MP3 at 16 kb/s leaves
   * speech about 14 dB over its error, as this does with `snrDb` near 12. Default `[6, 15]`.
   */
  snrDb?: Range;
}

/** Options of {@link perturbAudio}. Every perturbation is off unless given. */
export interface PerturbOptions {
  /** Speed factor (1.1 = 10% faster and 10% higher in pitch, as sox `speed`). Drawn in steps of 0.01. */
  speed?: Range;
  /** Tempo factor at the same pitch (1.1 = 10% faster), by WSOLA time-stretching. */
  tempo?: Range;
  /** Pitch shift in semitones at the same tempo (WSOLA, then resampling; formants move too). */
  pitchSemitones?: Range;
  /**
   * Keeps a random stretch of this many seconds (at least 0.1) of the voiced part (the part
   * {@link trimSilence} keeps with its defaults), for training on shorter utterances; a voiced part
   * no longer than the drawn length is kept whole. Applied after the voice perturbations, before
   * the room and microphone. (With the default recipe's model it did not help short recordings on
   * the first development fold; see `docs/recipes/results`.)
   */
  cropSeconds?: Range;
  /** Gain in dB. */
  gainDb?: Range;
  /** Adds noise at this signal-to-noise ratio in dB (signal power measured over the clip). */
  noiseSnrDb?: Range;
  /** Colour of the added noise, or a list to draw one from per copy. Default `'white'`. */
  noiseColor?: NoiseColor | NoiseColor[];
  /**
   * Adds a babble of four talkers made from the recording itself (time-reversed, each circularly
   * shifted by a random offset) at this signal-to-babble ratio in dB.
   */
  babbleSnrDb?: Range;
  /**
   * Reverberation through a synthetic room impulse response: a direct path, then Gaussian noise
   * decaying by 60 dB over `rt60` seconds, at a direct-to-reverberant ratio of `drrDb` (default
   * `[0, 10]`). An `rt60` under 0.05 s leaves the copy dry, so `[0, 0.8]` mixes dry and reverberant
   * copies. The level (energy) is kept.
   */
  reverb?: ReverbOptions;
  /**
   * Random equalisation, as a different microphone or room would colour the sound: three peaking
   * bands at log-uniform centres between 150 Hz and 6 kHz (Q 0.7–2), each with a gain in dB drawn
   * from this range.
   */
  eqDb?: Range;
  /** Cut-off of a 4th-order Butterworth low-pass, Hz (telephone: 3400). At or above 0.45 × the rate: none. */
  lowpassHz?: Range;
  /** Cut-off of a 4th-order Butterworth high-pass, Hz (telephone: 300). Under 20 Hz: none. */
  highpassHz?: Range;
  /**
   * Probability (0–1) that the copy passes, last, through an 8-bit μ-law codec (G.711, μ = 255,
   * samples clipped to ±1), as a telephone line would carry it.
   */
  muLaw?: number;
  /**
   * Probability (0–1) that the copy passes, near last (before μ-law), through an 8 kHz line: resampled
   * to 8 kHz and back, so nothing is left above 4 kHz, as in a phone call or an 8 kHz recording.
   * A band-limiting low-pass leaves a slope above its cut-off; this leaves nothing.
   */
  narrowband?: number;
  /**
   * A DC offset, as some recorders and sound cards add: a constant of this size relative to the
   * copy's RMS level (drawn from the range, either sign) added to every sample, after the noise and
   * before the line. SAVEE's recordings carry offsets of 0.07–0.49.
   */
  dcOffset?: Range;
  /**
   * Clipping, as an input driven too hot: every sample held to the copy's peak lowered by this many
   * dB (0: none), after the noise and before any offset or line.
   */
  clipDb?: Range;
  /**
   * A lossy perceptual codec, last, as a recording saved or sent as MP3, AAC or Opus at a low bit
   * rate comes back: a short-time spectrum whose coefficients are rounded band by band, so that the
   * weak ones vanish from frame to frame, and nothing above a cut-off. A simulation, not an encoder
   * (no dependency): its error is of the size a real one leaves, not the same error.
   */
  codec?: CodecOptions;
  /** Seed of the draws, so a perturbed copy can be made again. Default 0. */
  seed?: number;
}

/** The options {@link perturbAudio} knows. @internal */
export const PERTURB_KEYS = [
  'speed',
  'tempo',
  'pitchSemitones',
  'cropSeconds',
  'gainDb',
  'noiseSnrDb',
  'noiseColor',
  'babbleSnrDb',
  'reverb',
  'eqDb',
  'lowpassHz',
  'highpassHz',
  'muLaw',
  'narrowband',
  'dcOffset',
  'clipDb',
  'codec',
  'seed',
];

/**
 * A value drawn uniformly from a range (or the fixed value). The whole range is checked against
 * `[min, max]` before drawing, so a bad range fails whatever the seed.
 */
function draw(
  fn: string,
  name: string,
  r: Range,
  random: () => number,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
): number {
  const [lo, hi] = typeof r === 'number' ? [r, r] : Array.isArray(r) ? r : [Number.NaN, Number.NaN];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo)
    throw invalid(fn, `'${name}' must be a number or a [min, max] range, got ${JSON.stringify(r)}.`);
  if (lo < min || hi > max)
    throw invalid(fn, `'${name}' must lie within [${min}, ${max}], got ${JSON.stringify(r)}.`);
  return lo + (hi - lo) * random();
}

/**
 * Data augmentation for training: a perturbed copy of a recording, for making extra training rows
 * with {@link computeFeatures}: another voice (speed, tempo, pitch), room (reverberation),
 * microphone (equalisation, band-limiting), level and background (coloured noise), each drawn
 * from its range with a seeded generator. The feature-level augmentations
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
  checkKnownOptions(fn, options, PERTURB_KEYS);
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
    if (options.tempo !== undefined)
      out = timeStretch(out, draw(fn, 'tempo', options.tempo, random, 0.5, 2), sampleRate);
    if (options.pitchSemitones !== undefined)
      out = pitchShift(out, draw(fn, 'pitchSemitones', options.pitchSemitones, random, -12, 12), sampleRate);
    if (options.cropSeconds !== undefined) out = crop(fn, out, sampleRate, options.cropSeconds, random);
    out = channel(fn, out, sampleRate, options, random);
    if (options.gainDb !== undefined) {
      const g = 10 ** (draw(fn, 'gainDb', options.gainDb, random) / 20);
      for (let i = 0; i < out.length; i++) out[i] *= g;
    }
    if (options.babbleSnrDb !== undefined)
      addSelfBabble(out, draw(fn, 'babbleSnrDb', options.babbleSnrDb, random), random);
    if (options.noiseSnrDb !== undefined) {
      const snr = draw(fn, 'noiseSnrDb', options.noiseSnrDb, random);
      let power = 0;
      for (let i = 0; i < out.length; i++) power += out[i] * out[i];
      power /= Math.max(1, out.length);
      const sigma = Math.sqrt(power / 10 ** (snr / 10));
      const color = noiseColor(fn, options.noiseColor, random);
      if (sigma > 0 && color === 'white')
        for (let i = 0; i < out.length; i++) out[i] += sigma * normalFrom(random);
      else if (sigma > 0) {
        const noise = colouredNoise(out.length, color, random);
        for (let i = 0; i < out.length; i++) out[i] += sigma * noise[i];
      }
    }
    if (options.clipDb !== undefined) clipInPlace(out, draw(fn, 'clipDb', options.clipDb, random, 0));
    if (options.dcOffset !== undefined)
      addOffset(out, draw(fn, 'dcOffset', options.dcOffset, random, 0), random);
    if (
      options.narrowband !== undefined &&
      random() < draw(fn, 'narrowband', options.narrowband, random, 0, 1) &&
      sampleRate > 8000
    )
      out = resample(resample(out, sampleRate, 8000), 8000, sampleRate);
    if (options.muLaw !== undefined && random() < draw(fn, 'muLaw', options.muLaw, random, 0, 1))
      muLawInPlace(out);
    if (options.codec !== undefined) out = codec(fn, out, sampleRate, options.codec, random);
    return { signal: out, sampleRate };
  });
}

/** `x` through {@link lossyCodec} with the probability and draws of `options`. */
function codec(
  fn: string,
  x: Float32Array,
  sampleRate: number,
  options: CodecOptions,
  random: () => number,
): Float32Array {
  if (typeof options !== 'object' || options === null)
    throw invalid(
      fn,
      `'codec' must be an object { probability, cutoffHz?, snrDb? }, got ${JSON.stringify(options)}.`,
    );
  checkKnownOptions(`${fn} codec`, options, ['probability', 'cutoffHz', 'snrDb']);
  const p = draw(fn, 'codec.probability', options.probability, random, 0, 1);
  // Every draw is made whether the copy passes or not, so the copies do not depend on the outcome.
  const pass = random() < p;
  const cutoff = draw(fn, 'codec.cutoffHz', options.cutoffHz ?? [5000, 8000], random, 1000);
  const snr = draw(fn, 'codec.snrDb', options.snrDb ?? [6, 15], random, 0, 60);
  return pass ? lossyCodec(x, sampleRate, cutoff, snr) : x;
}

/** Holds every sample of `x` within its peak lowered by `db` dB. */
function clipInPlace(x: Float32Array, db: number): void {
  const limit = peakAbs(x) * 10 ** (-db / 20);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-limit, Math.min(limit, x[i]));
}

/** Adds `size` × the RMS of `x` to every sample of it, with a random sign. */
function addOffset(x: Float32Array, size: number, random: () => number): void {
  let power = 0;
  for (let i = 0; i < x.length; i++) power += x[i] * x[i];
  const dc = (random() < 0.5 ? -size : size) * Math.sqrt(power / Math.max(1, x.length));
  for (let i = 0; i < x.length; i++) x[i] += dc;
}

/** Adds four time-reversed copies of `x`, each circularly shifted at random, at `snr` dB below it. */
function addSelfBabble(x: Float32Array, snr: number, random: () => number): void {
  const n = x.length;
  const babble = new Float32Array(n);
  for (let k = 0; k < 4; k++) {
    const shift = Math.floor(random() * n);
    for (let i = 0; i < n; i++) babble[i] += x[n - 1 - ((i + shift) % n)];
  }
  let ps = 0;
  let pb = 0;
  for (let i = 0; i < n; i++) {
    ps += x[i] * x[i];
    pb += babble[i] * babble[i];
  }
  const g = pb > 0 ? Math.sqrt(ps / pb / 10 ** (snr / 10)) : 0;
  for (let i = 0; i < n; i++) x[i] += g * babble[i];
}

/** 8-bit μ-law (G.711, μ = 255) encoding and decoding of samples clipped to ±1. */
function muLawInPlace(x: Float32Array): void {
  const mu = 255;
  const log1pMu = Math.log1p(mu);
  for (let i = 0; i < x.length; i++) {
    const v = Math.max(-1, Math.min(1, x[i]));
    const q = Math.round(((Math.sign(v) * Math.log1p(mu * Math.abs(v))) / log1pMu) * 127) / 127;
    x[i] = (Math.sign(q) * ((1 + mu) ** Math.abs(q) - 1)) / mu;
  }
}

/** A random stretch of `range` seconds of the voiced part of `x` (the whole voiced part when shorter). */
function crop(
  fn: string,
  x: Float32Array,
  sampleRate: number,
  range: Range,
  random: () => number,
): Float32Array {
  const seconds = draw(fn, 'cropSeconds', range, random, 0.1);
  const length = Math.round(seconds * sampleRate);
  const { start, end } = trimSilence(x);
  // The draw of the start is made whatever the lengths, so later draws do not depend on them.
  const at = random();
  if (end <= start) return x;
  if (end - start <= length) return x.slice(start, end);
  const from = start + Math.floor(at * (end - start - length + 1));
  return x.slice(from, from + length);
}

const COLORS: NoiseColor[] = ['white', 'pink', 'brown'];

function noiseColor(fn: string, c: PerturbOptions['noiseColor'], random: () => number): NoiseColor {
  if (c === undefined) return 'white';
  const list = Array.isArray(c) ? c : [c];
  if (list.length === 0 || list.some((x) => !COLORS.includes(x)))
    throw invalid(
      fn,
      `'noiseColor' must be one of ${COLORS.join(', ')} or a list of them, got ${JSON.stringify(c)}.`,
    );
  // A single colour draws nothing, so copies made before colours existed are unchanged.
  return list.length === 1 ? list[0] : list[Math.min(list.length - 1, Math.floor(random() * list.length))];
}

/** The room and microphone: reverberation, then equalisation, then band-limiting. */
function channel(
  fn: string,
  x: Float32Array,
  sampleRate: number,
  options: PerturbOptions,
  random: () => number,
): Float32Array {
  let out = x;
  if (options.reverb !== undefined) {
    if (typeof options.reverb !== 'object' || options.reverb === null)
      throw invalid(
        fn,
        `'reverb' must be an object { rt60, drrDb? }, got ${JSON.stringify(options.reverb)}.`,
      );
    checkKnownOptions(`${fn} reverb`, options.reverb, ['rt60', 'drrDb']);
    const rt60 = draw(fn, 'reverb.rt60', options.reverb.rt60, random, 0, 2);
    const drr = draw(fn, 'reverb.drrDb', options.reverb.drrDb ?? [0, 10], random, -20, 40);
    if (rt60 >= 0.05) out = convolveSame(out, syntheticRir(rt60, drr, sampleRate, random));
  }
  if (options.eqDb !== undefined) {
    const top = Math.min(6000, 0.45 * sampleRate);
    for (let band = 0; band < 3; band++) {
      const gain = draw(fn, 'eqDb', options.eqDb, random, -24, 24);
      const freq = 150 * (top / 150) ** random();
      const q = 0.7 * (2 / 0.7) ** random();
      filterInPlace(out, peaking(freq, q, gain, sampleRate));
    }
  }
  if (options.highpassHz !== undefined) {
    const f = draw(fn, 'highpassHz', options.highpassHz, random, 0);
    if (f >= 20 && f < 0.45 * sampleRate) butterworth4(out, 'high', f, sampleRate);
  }
  if (options.lowpassHz !== undefined) {
    const f = draw(fn, 'lowpassHz', options.lowpassHz, random, 0);
    if (f > 0 && f < 0.45 * sampleRate) butterworth4(out, 'low', f, sampleRate);
  }
  return out;
}
