// Per-utterance statistics over frames, and side-by-side stacking of frame features.
import type { FeatureMatrix } from '../dsp/types.js';
import type { FrameStatistic } from './spec.js';

/** Matrices with the same frames, side by side: each frame's columns in the given order. */
export function concatFeatures(ms: FeatureMatrix[]): FeatureMatrix {
  const frames = ms[0].frames;
  const features = ms.reduce((a, m) => a + m.features, 0);
  const data = new Float32Array(frames * features);
  for (let t = 0; t < frames; t++) {
    let at = t * features;
    for (const m of ms) {
      data.set(m.data.subarray(t * m.features, (t + 1) * m.features), at);
      at += m.features;
    }
  }
  return { data, frames, features };
}

/**
 * Statistics of each column over the frames; columns in `voicedOnly` (pitch) use only the frames
 * marked in `voiced`, and give 0 when there are none.
 */
export function statistics(
  m: FeatureMatrix,
  stats: FrameStatistic[],
  voicedOnly: Set<number> = new Set(),
  voiced?: Uint8Array,
): FeatureMatrix {
  const out = new Float32Array(m.features * stats.length);
  for (let k = 0; k < m.features; k++) {
    const only = voicedOnly.has(k);
    let sum = 0;
    let count = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < m.frames; t++) {
      const v = m.data[t * m.features + k];
      if (only && !voiced?.[t]) continue;
      sum += v;
      count++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = count ? sum / count : 0;
    let sq = 0;
    for (let t = 0; t < m.frames; t++) {
      const v = m.data[t * m.features + k];
      if (!only || voiced?.[t]) sq += (v - mean) ** 2;
    }
    const values: Record<FrameStatistic, number> = count
      ? { mean, std: Math.sqrt(sq / count), min, max }
      : { mean: 0, std: 0, min: 0, max: 0 };
    stats.forEach((s, j) => {
      out[k * stats.length + j] = values[s];
    });
  }
  return { data: out, frames: 1, features: out.length };
}
