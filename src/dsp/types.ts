/**
 * A matrix of features over time, stored frame-major: the value of feature `k` in frame `t` is
 * `data[t * features + k]`.
 *
 * librosa returns the transpose (`[features, frames]`); see the README's parity table for how the
 * two layouts correspond.
 */
export interface FeatureMatrix {
  /** Values, frame-major: `data[t * features + k]`. Length `frames * features`. */
  data: Float32Array;
  /** Number of frames (time steps). */
  frames: number;
  /** Number of features per frame (MFCC coefficients, mel bands, FFT bins…). */
  features: number;
}

/** Analysis window names, as in `scipy.signal.get_window`. `'rectangular'` is scipy's `'boxcar'`. */
export type WindowName = 'hann' | 'hamming' | 'blackman' | 'rectangular';

/** Padding for centred frames: `'constant'` pads with zeros (librosa ≥ 0.9), `'reflect'` mirrors the signal without repeating the edge sample (librosa < 0.9). */
export type PadMode = 'constant' | 'reflect';
