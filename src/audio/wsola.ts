// Time-stretching by WSOLA (waveform-similarity overlap-add, Verhelst & Roelands 1993): tempo
// changes that keep the pitch, and, with resampling, pitch shifts that keep the tempo.
import { resample } from './resample.js';

/**
 * `x` played `rate` times faster (1.25: a quarter shorter) at the same pitch. Frames of 30 ms
 * (Hann, half overlap) are taken from the input at `rate` times the output hop; each is moved by up
 * to ±8 ms to the place where it best continues the previous frame's waveform (cross-correlation),
 * so that voiced speech keeps its periods intact.
 * @internal
 */
export function timeStretch(x: Float32Array, rate: number, sampleRate: number): Float32Array {
  const win = 2 * Math.round(0.015 * sampleRate);
  const hop = win / 2;
  const tol = Math.round(0.008 * sampleRate);
  const outLength = Math.round(x.length / rate);
  if (rate === 1 || x.length < 2 * win) return Float32Array.from(x);
  const w = Float64Array.from({ length: win }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / win));
  const y = new Float64Array(outLength + win);
  const norm = new Float64Array(outLength + win);
  const at = (i: number) => (i >= 0 && i < x.length ? x[i] : 0);
  let prev = 0; // where the last frame was taken from
  for (let out = 0, k = 0; out < outLength; out = ++k * hop) {
    // After the first frame: the candidate that best continues the previous frame's waveform.
    const nominal = Math.round(k * hop * rate);
    const start = k === 0 ? 0 : bestStart(x, nominal, prev + hop, win, tol);
    for (let i = 0; i < win && out + i < y.length; i++) {
      y[out + i] += w[i] * at(start + i);
      norm[out + i] += w[i];
    }
    prev = start;
  }
  const result = new Float32Array(outLength);
  for (let i = 0; i < outLength; i++) result[i] = norm[i] > 1e-6 ? y[i] / norm[i] : 0;
  return result;
}

/** The start within ±tol of `nominal` whose frame correlates best with the frame at `target`. */
function bestStart(x: Float32Array, nominal: number, target: number, win: number, tol: number): number {
  const at = (i: number) => (i >= 0 && i < x.length ? x[i] : 0);
  let best = Number.NEGATIVE_INFINITY;
  let start = nominal;
  for (let d = -tol; d <= tol; d++) {
    const s = nominal + d;
    let c = 0;
    // Every second sample: the correlation peak of speech is broad enough.
    for (let i = 0; i < win; i += 2) c += at(s + i) * at(target + i);
    if (c > best) {
      best = c;
      start = s;
    }
  }
  return start;
}

/**
 * `x` shifted by `semitones` at the same tempo: stretched by the pitch ratio, then resampled back
 * to the original length (the formants move with the pitch, as in sox `pitch`).
 * @internal
 */
export function pitchShift(x: Float32Array, semitones: number, sampleRate: number): Float32Array {
  const ratio = 2 ** (semitones / 12);
  if (ratio === 1) return Float32Array.from(x);
  // Slower by `ratio` (longer), then played `ratio` times faster: the length returns, the pitch rises.
  const longer = timeStretch(x, 1 / ratio, sampleRate);
  return resample(longer, Math.round(sampleRate * ratio), sampleRate);
}
