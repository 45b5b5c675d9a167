import type { RealFftPlan } from './fft.js';
import { fastFftPlan } from './simd.js';
import { type FrameAnalyzer, type ResolvedStft, analyzerFor, frameCount } from './spectral.js';

// Float32 STFT magnitudes, as librosa's np.abs of its complex64 STFT: the input of every spectral
// shape feature and of chroma.

/**
 * Magnitudes of the frame starting at absolute sample `start`, rounded to float32 as librosa's
 * `np.abs` of its complex64 STFT is (real and imaginary parts rounded first), into `out[outOffset …]`.
 */
function magnitudeFrame(
  a: FrameAnalyzer,
  src: Float32Array | Float64Array,
  start: number,
  out: Float32Array,
  outOffset: number,
): void {
  const z = a.spectrumFrame(src, 0, src.length, start);
  if (a.plan.magnitudes) {
    a.plan.magnitudes(out, outOffset, a.nBins);
    return;
  }
  const f32 = Math.fround;
  for (let k = 0, o = outOffset; k < a.nBins; k++, o++) {
    const re = f32(z[2 * k]);
    const im = f32(z[2 * k + 1]);
    out[o] = Math.sqrt(re * re + im * im);
  }
}

/**
 * Magnitudes of two frames at once through one complex FFT (see FrameAnalyzer), each rounded as
 * in {@link magnitudeFrame}, into `out[outA …]` and `out[outB …]`.
 */
function magnitudePair(
  a: FrameAnalyzer,
  src: Float32Array | Float64Array,
  startA: number,
  startB: number,
  out: Float32Array,
  outA: number,
  outB: number,
): void {
  const z = a.transformPair(src, 0, src.length, startA, startB);
  if (a.plan.pairMagnitudes) {
    a.plan.pairMagnitudes(out, outA, outB, a.nBins);
    return;
  }
  const nFft = a.stft.nFft;
  const f32 = Math.fround;
  for (let k = 0; k < a.nBins; k++) {
    const m = k === 0 ? 0 : 2 * (nFft - k);
    const ar = f32(0.5 * (z[2 * k] + z[m]));
    const ai = f32(0.5 * (z[2 * k + 1] - z[m + 1]));
    const br = f32(0.5 * (z[2 * k + 1] + z[m + 1]));
    const bi = f32(0.5 * (z[m] - z[2 * k]));
    out[outA + k] = Math.sqrt(ar * ar + ai * ai);
    out[outB + k] = Math.sqrt(br * br + bi * bi);
  }
}

let spare = new Float32Array(0);

/**
 * A Float32Array of `length` for {@link magnitudeFrames}, reused from call to call up to 4M values
 * (16 MB): a fresh megabyte per call costs page faults that take as long as the FFTs.
 */
function reusable(length: number): Float32Array {
  if (length > 1 << 22) return new Float32Array(length);
  if (spare.length < length)
    spare = new Float32Array(Math.min(1 << 22, Math.max(length, Math.ceil(spare.length * 1.5))));
  return spare.subarray(0, length);
}

/**
 * Magnitudes of every frame, rounded to float32 as librosa's `np.abs(stft)` is (complex64 in,
 * float32 out), so comparisons such as the roll-off threshold fall where librosa's do. `data` is
 * shared scratch, valid until the next call: read it (or change it) before then, never return it.
 * @internal
 */
export function magnitudeFrames(
  fn: string,
  signal: Float32Array | Float64Array,
  stft: ResolvedStft,
  onePerFft = false,
  planFor: (size: number) => RealFftPlan = fastFftPlan,
): { data: Float32Array; frames: number; bins: number } {
  const frames = frameCount(fn, signal.length, stft);
  const a = analyzerFor(stft, planFor);
  const bins = a.nBins;
  const out = reusable(frames * bins);
  const hop = stft.hopLength;
  // Frames [inner, innerEnd) lie wholly inside the signal: a kernel that frames them itself
  // (the WebAssembly plan's) takes them in one call, from an even frame so that pairs fall alike.
  let inner = frames;
  let innerEnd = frames;
  if (a.plan.stftMagnitudes) {
    const off = a.winStart - a.padLeft;
    inner = off >= 0 ? 0 : Math.ceil(-off / hop);
    inner = Math.min(frames, inner + (inner % 2));
    const last = Math.floor((signal.length - a.win.length - off) / hop);
    innerEnd = Math.max(inner, Math.min(frames, last + 1));
    if (!onePerFft) innerEnd -= (innerEnd - inner) % 2;
  }
  const edges = (from: number, to: number) => {
    let t = from;
    // Two frames per complex FFT is ~1.5× faster; its float64 rounding differs from a real FFT's
    // in the last bits, which can move a float32 rounding, so callers that compare running sums
    // against a threshold (roll-off) take one frame per FFT, as numpy does.
    for (; !onePerFft && t + 1 < to; t += 2) {
      magnitudePair(a, signal, t * hop - a.padLeft, (t + 1) * hop - a.padLeft, out, t * bins, (t + 1) * bins);
    }
    for (; t < to; t++) magnitudeFrame(a, signal, t * hop - a.padLeft, out, t * bins);
  };
  edges(0, inner);
  if (innerEnd > inner) {
    const first = inner * hop + a.winStart - a.padLeft;
    a.plan.stftMagnitudes?.(
      signal,
      first,
      innerEnd - inner,
      hop,
      a.win,
      a.winStart,
      onePerFft,
      out,
      inner * bins,
      bins,
    );
  }
  edges(innerEnd, frames);
  return { data: out, frames, bins };
}
