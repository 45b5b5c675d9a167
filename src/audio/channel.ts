// Channel and room simulation for training augmentation: biquad filters (random equalisation,
// band-limiting), synthetic reverberation and coloured noise; and the noise floor that a FeatureSpec's
// `bandFill` puts above a low-rate recording's band. Everything works in place or returns a new array
// of the input's length; float64 state, float32 samples.
import FFT from 'fft.js';
import { magnitudeFrames } from '../dsp/magnitudes.js';
import { resolveStftOptions } from '../dsp/spectral.js';
import { normalFrom, seededRandom } from '../util/math.js';

/** Second-order section coefficients, normalised so that a0 = 1. */
interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

function normalise(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): Biquad {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** Peaking equaliser (RBJ audio-EQ cookbook): `gainDb` at `freq` Hz, bandwidth set by `q`. */
export function peaking(freq: number, q: number, gainDb: number, sampleRate: number): Biquad {
  const a = 10 ** (gainDb / 40);
  const w = (2 * Math.PI * freq) / sampleRate;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w);
  return normalise(1 + alpha * a, -2 * c, 1 - alpha * a, 1 + alpha / a, -2 * c, 1 - alpha / a);
}

/** Low- or high-pass second-order section (RBJ cookbook) with quality factor `q`. */
export function pass(kind: 'low' | 'high', freq: number, q: number, sampleRate: number): Biquad {
  const w = (2 * Math.PI * freq) / sampleRate;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w);
  const k = kind === 'low' ? (1 - c) / 2 : (1 + c) / 2;
  return normalise(k, kind === 'low' ? 1 - c : -(1 + c), k, 1 + alpha, -2 * c, 1 - alpha);
}

/** Filters `x` in place through one biquad (direct form I, float64 state). */
export function filterInPlace(x: Float32Array, f: Biquad): void {
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    const y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
    x[i] = y0;
  }
}

/** Q factors of the two sections of a 4th-order Butterworth filter. */
const BUTTERWORTH4_Q = [0.5411961, 1.306563];

/** 4th-order Butterworth low- or high-pass at `freq` Hz, in place (two cascaded sections). */
export function butterworth4(x: Float32Array, kind: 'low' | 'high', freq: number, sampleRate: number): void {
  for (const q of BUTTERWORTH4_Q) filterInPlace(x, pass(kind, freq, q, sampleRate));
}

function energy(x: Float32Array | Float64Array): number {
  let e = 0;
  for (let i = 0; i < x.length; i++) e += x[i] * x[i];
  return e;
}

/**
 * A synthetic room impulse response: a unit direct path, then (after 2 ms) Gaussian noise decaying
 * by 60 dB over `rt60` seconds, scaled so that the direct-to-reverberant energy ratio is `drrDb`.
 */
export function syntheticRir(
  rt60: number,
  drrDb: number,
  sampleRate: number,
  random: () => number,
): Float32Array {
  const n = Math.max(2, Math.ceil(rt60 * sampleRate));
  const h = new Float32Array(n);
  const start = Math.min(n - 1, Math.round(0.002 * sampleRate));
  const decay = Math.log(1000) / (rt60 * sampleRate); // amplitude e^(−decay·t): −60 dB at rt60
  for (let i = start; i < n; i++) h[i] = normalFrom(random) * Math.exp(-decay * i);
  const tail = energy(h);
  const scale = tail > 0 ? Math.sqrt(10 ** (-drrDb / 10) / tail) : 0;
  for (let i = start; i < n; i++) h[i] *= scale;
  h[0] = 1;
  return h;
}

const ffts = new Map<number, FFT>();

/**
 * `x` convolved with `h` (FFT overlap of the whole signal), cut to `x`'s length and scaled to `x`'s
 * energy, so that reverberation changes the colour and smearing of the sound, not its level.
 */
export function convolveSame(x: Float32Array, h: Float32Array): Float32Array {
  let size = 2;
  while (size < x.length + h.length - 1) size *= 2;
  const fft = ffts.get(size) ?? new FFT(size);
  ffts.set(size, fft);
  const spectrum = (v: Float32Array) => {
    const input = new Float64Array(size);
    input.set(v);
    const out = new Float64Array(2 * size);
    fft.realTransform(out, input);
    fft.completeSpectrum(out);
    return out;
  };
  const a = spectrum(x);
  const b = spectrum(h);
  for (let k = 0; k < size; k++) {
    const re = a[2 * k] * b[2 * k] - a[2 * k + 1] * b[2 * k + 1];
    const im = a[2 * k] * b[2 * k + 1] + a[2 * k + 1] * b[2 * k];
    a[2 * k] = re;
    a[2 * k + 1] = im;
  }
  const time = new Float64Array(2 * size);
  fft.inverseTransform(time, a);
  const y = new Float32Array(x.length);
  for (let i = 0; i < y.length; i++) y[i] = time[2 * i];
  const ey = energy(y);
  const g = ey > 0 ? Math.sqrt(energy(x) / ey) : 0;
  for (let i = 0; i < y.length; i++) y[i] *= g;
  return y;
}

/** Colours of additive noise: flat (white), −3 dB per octave (pink), −6 dB per octave (brown). */
export type NoiseColor = 'white' | 'pink' | 'brown';

/** `n` samples of noise of the given colour with unit mean power. */
export function colouredNoise(n: number, color: NoiseColor, random: () => number): Float32Array {
  const out = new Float32Array(n);
  // Pink: Paul Kellet's economy filter bank on white noise; brown: a leaky integrator.
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const w = normalFrom(random);
    if (color === 'white') out[i] = w;
    else if (color === 'pink') {
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      out[i] = b0 + b1 + b2 + w * 0.1848;
    } else {
      acc = 0.995 * acc + w;
      out[i] = acc;
    }
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += out[i];
  mean /= Math.max(1, n);
  for (let i = 0; i < n; i++) out[i] -= mean;
  const p = energy(out) / Math.max(1, n);
  const g = p > 0 ? 1 / Math.sqrt(p) : 0;
  for (let i = 0; i < n; i++) out[i] *= g;
  return out;
}

/**
 * The last few noises {@link fillUpperBand} made, by length, edge and rate: the same for every
 * recording of one length (windows of a timeline), whose edges, when found from the content, take
 * a few neighbouring values.
 */
const fills = new Map<string, { noise: Float32Array; rms: number }>();
const KEPT_FILLS = 4;
/** Longer noises (over a minute at 16 kHz) are made for the call and not kept. */
const KEPT_FILL_SAMPLES = 1 << 20;

/**
 * `x` (at `sampleRate`, resampled from a recording at `fromRate`) with the band above `fromRate / 2`,
 * which the recording could not carry, filled with white noise `snrDb` below `x`'s RMS level:
 * seeded, so the same recording always gets the same floor. Returns `x` itself when there is no
 * such band worth filling (`fromRate / 2` at or above 0.45 × `sampleRate`) or `x` is all zeros.
 */
export function fillUpperBand(
  x: Float32Array | Float64Array,
  sampleRate: number,
  fromRate: number,
  snrDb: number,
): Float32Array | Float64Array {
  const edge = fromRate / 2;
  const level = Math.sqrt(energy(x) / Math.max(1, x.length));
  if (!(edge < 0.45 * sampleRate) || !(level > 0)) return x;
  const key = `${x.length}:${edge}:${sampleRate}`;
  let fill = fills.get(key);
  if (!fill) {
    const noise = colouredNoise(x.length, 'white', seededRandom(0x5eed));
    butterworth4(noise, 'high', edge, sampleRate);
    fill = { noise, rms: Math.sqrt(energy(noise) / noise.length) };
    if (x.length <= KEPT_FILL_SAMPLES) {
      if (fills.size >= KEPT_FILLS) fills.delete(fills.keys().next().value as string);
      fills.set(key, fill);
    }
  }
  const { noise, rms } = fill;
  const g = (level / rms) * 10 ** (-snrDb / 20);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + g * noise[i];
  return out;
}

/** FFT size of {@link bandEdge}'s long-term spectrum at 16 kHz (31.25 Hz bins); scaled with the rate. */
const EDGE_FFT_AT_16K = 512;
/** Frames of {@link bandEdge}'s spectrum computed at once. */
const EDGE_BLOCK_FRAMES = 256;

/**
 * Where `x`'s content ends: the lowest frequency (in Hz, a bin edge of a long-term Hann-windowed
 * power spectrum) above which `x` holds less than `10^(−topDb/10)` of its energy. A recording made
 * at 8 kHz and resampled up gives about 4000; one made at the rate it comes at gives a frequency
 * near its Nyquist. `sampleRate / 2` for silence or a signal shorter than one frame.
 */
export function bandEdge(x: Float32Array | Float64Array, sampleRate: number, topDb: number): number {
  let size = EDGE_FFT_AT_16K;
  while (size < (EDGE_FFT_AT_16K * sampleRate) / 16000) size *= 2;
  if (x.length < size) return sampleRate / 2;
  const stft = resolveStftOptions('bandEdge', { nFft: size, hopLength: size, center: false, window: 'hann' });
  const power = new Float64Array(size / 2 + 1);
  // Whole frames side by side, a block of them at a time, so that an hour-long recording needs no
  // hour of spectra.
  const block = EDGE_BLOCK_FRAMES * size;
  for (let start = 0; start + size <= x.length; start += block) {
    const part = x.subarray(start, Math.min(x.length, start + block));
    const { data, frames, bins } = magnitudeFrames('bandEdge', part, stft);
    for (let t = 0; t < frames; t++) for (let k = 0; k < bins; k++) power[k] += data[t * bins + k] ** 2;
  }
  const total = power.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return sampleRate / 2;
  const floor = total * 10 ** (-topDb / 10);
  let above = 0;
  for (let k = power.length - 1; k > 0; k--) {
    above += power[k];
    if (above > floor) return Math.min(sampleRate / 2, ((k + 1) * sampleRate) / size);
  }
  return sampleRate / size;
}

/** Frame length of {@link lossyCodec} at 16 kHz (32 ms, about an MP3 granule pair); scaled with the rate. */
const CODEC_FRAME_AT_16K = 512;
/** How far under a frame's loudest band {@link lossyCodec} lets the quantisation noise reach at most, dB. */
const CODEC_RANGE_DB = 50;

/** The critical band (Bark, Zwicker's approximation, floored) of a frequency in Hz. */
function bark(hz: number): number {
  return Math.floor(13 * Math.atan(0.00076 * hz) + 3.5 * Math.atan((hz / 7500) ** 2));
}

/**
 * `x` as a low-bit-rate perceptual codec (MP3, AAC, Opus) would leave it, without an encoder: a
 * short-time spectrum (sine-windowed frames of 32 ms, half overlapping, which add back to the
 * signal exactly), every critical band's coefficients rounded to a step that puts the quantisation
 * noise `snrDb` below the band's power (and no lower than {@link CODEC_RANGE_DB} under the frame's
 * loudest band), so that the weak bins between harmonics and the quiet bands drop to zero from frame
 * to frame as a starved encoder drops them; nothing kept above `cutoffHz`, as such encoders low-pass.
 * Returns a new array of `x`'s length.
 */
export function lossyCodec(
  x: Float32Array,
  sampleRate: number,
  cutoffHz: number,
  snrDb: number,
): Float32Array {
  let size = CODEC_FRAME_AT_16K;
  while (size < (CODEC_FRAME_AT_16K * sampleRate) / 16000) size *= 2;
  const hop = size / 2;
  const fft = ffts.get(size) ?? new FFT(size);
  ffts.set(size, fft);
  const bins = size / 2 + 1;
  const window = new Float64Array(size);
  for (let i = 0; i < size; i++) window[i] = Math.sin((Math.PI * (i + 0.5)) / size);
  const band = new Int32Array(bins);
  for (let k = 0; k < bins; k++) band[k] = bark((k * sampleRate) / size);
  const bands = band[bins - 1] + 1;
  const top = Math.min(bins, Math.ceil((cutoffHz * size) / sampleRate));
  const noiseShare = 10 ** (-snrDb / 10);
  const rangeShare = 10 ** (-CODEC_RANGE_DB / 10);
  // A hop of zeros before and after, so every sample lies under two frames.
  const padded = new Float64Array(x.length + 2 * hop + size);
  padded.set(x, hop);
  const out = new Float64Array(padded.length);
  const frame = new Float64Array(size);
  const spectrum = new Float64Array(2 * size);
  const time = new Float64Array(2 * size);
  const power = new Float64Array(bands);
  // Bins of each band under the cut-off (the same in every frame).
  const count = new Float64Array(bands);
  for (let k = 0; k < top; k++) count[band[k]]++;
  for (let start = 0; start + size <= padded.length; start += hop) {
    for (let i = 0; i < size; i++) frame[i] = padded[start + i] * window[i];
    fft.realTransform(spectrum, frame);
    fft.completeSpectrum(spectrum);
    power.fill(0);
    for (let k = 0; k < top; k++) power[band[k]] += spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
    let loudest = 0;
    for (let b = 0; b < bands; b++) {
      if (count[b] > 0) power[b] /= count[b];
      loudest = Math.max(loudest, power[b]);
    }
    if (!(loudest > 0)) continue;
    for (let k = 0; k < size; k++) {
      // Bin k and its mirror size − k share a band, so the frame stays real.
      const m = k <= size / 2 ? k : size - k;
      if (m >= top) {
        spectrum[2 * k] = 0;
        spectrum[2 * k + 1] = 0;
        continue;
      }
      // Rounding each part to a step Δ adds noise of Δ²/12 to it: Δ² = 6·N puts N in the bin.
      const step = Math.sqrt(6 * Math.max(power[band[m]] * noiseShare, loudest * rangeShare));
      spectrum[2 * k] = Math.round(spectrum[2 * k] / step) * step;
      spectrum[2 * k + 1] = Math.round(spectrum[2 * k + 1] / step) * step;
    }
    fft.inverseTransform(time, spectrum);
    for (let i = 0; i < size; i++) out[start + i] += time[2 * i] * window[i];
  }
  return Float32Array.from(out.subarray(hop, hop + x.length));
}
