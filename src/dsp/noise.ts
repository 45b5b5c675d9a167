import { magnitudeFrames } from './magnitudes.js';
import { resolveStftOptions } from './spectral.js';
import { trimSilence } from './trim.js';

/**
 * What the no-speech check measures of a recording, from one pass of short-time spectra (frames of
 * about 32 ms, half overlapping) over the part that a 60 dB trim keeps. @internal
 */
export interface NoiseMeasures {
  /**
   * How noise-like it is: the 10th percentile, over its non-silent frames (within 30 dB of the
   * loudest), of the spectral flatness (geometric over arithmetic mean of the power spectrum, 0 for
   * a pure tone, about 0.56 for white noise). Speech always has strongly harmonic frames, so its
   * value is low, while white noise scores about 0.5. Measured once during development with a
   * throwaway script computing the same statistic with slightly different framing (not a committed
   * benchmark): ≤ 0.004 on every RAVDESS and SAVEE clip, ≤ 0.18 on a sample of them with white noise
   * added at 5 dB SNR, 0.53 for white and 0.18 for pink noise.
   */
  flatness: number;
  /**
   * How much its level moves: over windows of about 64 ms, the level in 100–4000 Hz (dB), 90th
   * percentile minus 10th. Speech comes in syllables and words, with dips between them; hum, a tone
   * or steady noise does not. `NaN` when under 1 s is left after trimming (too few windows to tell).
   */
  spreadDb: number;
  /** Over the same windows, the loudest level minus the median level, dB (`NaN` under 1 s). */
  peakDb: number;
}

/** Above this {@link NoiseMeasures.flatness}, a recording is treated as non-speech noise. @internal */
export const NOISE_LIKENESS_THRESHOLD = 0.25;

/**
 * Under both of these (dB), a recording's level is steady: {@link NoiseMeasures.spreadDb} and
 * {@link NoiseMeasures.peakDb}. Chosen on the development data: of the 1560 RAVDESS and SAVEE
 * clips, as recorded and with noise or hum down to 0 dB SNR, a reverberant room, a phone line or
 * clipping, those with a spread under 4 dB peaked 8.8 dB or more over their median, and those that
 * peaked under 5 dB (clipped ones, mostly) spread over 7.9 dB or more; hum at 50 and 60 Hz, a tone,
 * pink noise and brown noise (3 s and 30 s) spread 2.4 dB at most and peaked 3.1 dB at most.
 * `test/no-speech.test.ts` prints all of these. @internal
 */
export const STEADY_SPREAD_DB = 4;
/** See {@link STEADY_SPREAD_DB}. @internal */
export const STEADY_PEAK_DB = 5;

/**
 * True when the no-speech check finds no speech: broadband noise (flatness over
 * {@link NOISE_LIKENESS_THRESHOLD}) or a steady sound (both {@link STEADY_SPREAD_DB} and
 * {@link STEADY_PEAK_DB} undercut). @internal
 */
export function isNoSpeech(m: NoiseMeasures): boolean {
  return m.flatness > NOISE_LIKENESS_THRESHOLD || isSteady(m);
}

/** True when a recording's level is steady: under both {@link STEADY_SPREAD_DB} and {@link STEADY_PEAK_DB}. @internal */
export function isSteady(m: NoiseMeasures): boolean {
  return m.spreadDb < STEADY_SPREAD_DB && m.peakDb < STEADY_PEAK_DB;
}

/** The {@link NoiseMeasures} of a recording. @internal */
export function noiseMeasures(signal: Float32Array | Float64Array, sampleRate: number): NoiseMeasures {
  const t = trimSilence(signal, { topDb: 60 });
  const x = signal.subarray(t.start, t.end);
  let nFft = 256;
  while (nFft < 0.032 * sampleRate) nFft *= 2;
  if (x.length < nFft) return { flatness: 0, spreadDb: Number.NaN, peakDb: Number.NaN };
  const stft = resolveStftOptions('noiseMeasures', { nFft, hopLength: nFft / 2, center: false });
  // Magnitudes (the library's fast STFT; shared scratch, read before the next call), squared below.
  const { data, frames, bins: k } = magnitudeFrames('noiseMeasures', x, stft);
  const energy = new Float64Array(frames);
  let max = 0;
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let b = 1; b < k; b++) e += data[f * k + b] ** 2;
    energy[f] = e;
    if (e > max) max = e;
  }
  const flat: number[] = [];
  for (let f = 0; f < frames; f++) {
    if (!(energy[f] > max * 1e-3)) continue;
    // One log per eight bins: eight powers (each ≥ 1e-20, and under 1e30 even for samples in the
    // 16-bit integer range) multiply well inside float64's range; the sum of logs is the same to rounding.
    let logSum = 0;
    let product = 1;
    for (let b = 1; b < k; b++) {
      product *= data[f * k + b] ** 2 + 1e-20;
      if (b % 8 === 0) {
        logSum += Math.log(product);
        product = 1;
      }
    }
    logSum += Math.log(product);
    flat.push(Math.exp(logSum / (k - 1)) / (energy[f] / (k - 1)));
  }
  const levels = levelSpread(data, frames, k, nFft, sampleRate, x.length);
  if (!flat.length) return { flatness: 0, ...levels };
  flat.sort((a, b) => a - b);
  return { flatness: flat[Math.floor(flat.length * 0.1)], ...levels };
}

/**
 * {@link NoiseMeasures.spreadDb} and {@link NoiseMeasures.peakDb} from power spectra already taken
 * (`data`: magnitudes, `frames` × `bins`, hop `nFft / 2`) of `samples` samples of audio.
 */
function levelSpread(
  data: Float32Array,
  frames: number,
  bins: number,
  nFft: number,
  sampleRate: number,
  samples: number,
): { spreadDb: number; peakDb: number } {
  const hop = nFft / 2;
  const group = Math.max(1, Math.round((0.064 * sampleRate) / hop));
  const lo = Math.ceil((100 * nFft) / sampleRate);
  const hi = Math.min(bins - 1, Math.floor((4000 * nFft) / sampleRate));
  if (samples < sampleRate) return { spreadDb: Number.NaN, peakDb: Number.NaN };
  const windows = Math.floor(frames / group);
  const db = new Float64Array(windows);
  for (let w = 0; w < windows; w++) {
    let e = 0;
    for (let f = w * group; f < (w + 1) * group; f++)
      for (let b = lo; b <= hi; b++) e += data[f * bins + b] ** 2;
    db[w] = 10 * Math.log10(e / group + 1e-20);
  }
  db.sort();
  const at = (q: number) => db[Math.min(windows - 1, Math.floor(q * windows))];
  return { spreadDb: at(0.9) - at(0.1), peakDb: db[windows - 1] - at(0.5) };
}
