// The frame features a FeatureSpec can stack beside MFCC or log-mel (`extras`): their names,
// their column names, their validation, and their computation on the base features' frame grid.
import { chromaStft } from '../dsp/chroma.js';
import { rms, zeroCrossingRate } from '../dsp/energy.js';
import { type MfccOptions, melSpectrogram } from '../dsp/mfcc.js';
import { pyin } from '../dsp/pyin.js';
import {
  spectralBandwidth,
  spectralCentroid,
  spectralContrast,
  spectralFlatness,
  spectralRolloff,
} from '../dsp/spectral-shape.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { invalid } from '../dsp/validate.js';

/** Names of the frame features a {@link FeatureSpec} can stack; each is the DSP function of that name. */
export type ExtraFeatureName =
  | 'rms'
  | 'zeroCrossingRate'
  | 'spectralCentroid'
  | 'spectralBandwidth'
  | 'spectralRolloff'
  | 'spectralFlatness'
  | 'spectralContrast'
  | 'chromaStft'
  | 'melSpectrogram'
  | 'pyin';

/**
 * One stacked frame feature: the function's name and its options (librosa's names; not
 * `sampleRate`, `hopLength` or `center`, which come from the spec). `pyin` gives two columns,
 * `f0` (Hz, 0 when unvoiced) and `voicedProb`; it needs `fmin` and `fmax` (default 50 and 500 Hz, a
 * speech range) and a `frameLength` long enough for `fmin` (default 1024). Its own option `units:
 * 'semitones'` gives `f0Semitones` instead of `f0`: semitones above the clip's median voiced f0 (0
 * when unvoiced), the same for a low and a high voice saying a line the same way.
 */
export interface ExtraFeature {
  /** Which feature. */
  type: ExtraFeatureName;
  /** Its options, as the function takes them. */
  options?: Record<string, unknown>;
}

export const EXTRA_TYPES: readonly ExtraFeatureName[] = [
  'rms',
  'zeroCrossingRate',
  'spectralCentroid',
  'spectralBandwidth',
  'spectralRolloff',
  'spectralFlatness',
  'spectralContrast',
  'chromaStft',
  'melSpectrogram',
  'pyin',
];

/** Checks a spec's `extras`: a list of known features whose options leave the frame grid to the spec. */
export function checkExtras(fn: string, extras: ExtraFeature[] | undefined): void {
  if (extras === undefined) return;
  if (!Array.isArray(extras)) throw invalid(fn, `'extras' must be a list of { type, options }.`);
  for (const e of extras) {
    if (!EXTRA_TYPES.includes(e?.type))
      throw invalid(
        fn,
        `'extras[].type' must be one of ${EXTRA_TYPES.join(', ')}, got ${JSON.stringify(e?.type)}.`,
      );
    for (const k of ['sampleRate', 'hopLength', 'center'])
      if (k in (e.options ?? {}))
        throw invalid(fn, `'extras' ${e.type}: '${k}' comes from the spec, not from the feature's options.`);
    const units = e.options?.units;
    if (units === undefined) continue;
    if (e.type !== 'pyin') throw invalid(fn, `'extras' ${e.type}: 'units' is an option of pyin only.`);
    if (units !== 'hz' && units !== 'semitones')
      throw invalid(fn, `'extras' pyin: 'units' must be 'hz' or 'semitones', got ${JSON.stringify(units)}.`);
  }
}

/** f0 in semitones above the median of the voiced frames' f0; 0 where unvoiced (or none is voiced). */
function semitonesFromMedian(f0: Float64Array, voiced: Uint8Array): Float64Array {
  const v: number[] = [];
  for (let t = 0; t < f0.length; t++) if (voiced[t]) v.push(f0[t]);
  const out = new Float64Array(f0.length);
  if (v.length === 0) return out;
  v.sort((a, b) => a - b);
  const h = v.length >> 1;
  const median = v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
  for (let t = 0; t < f0.length; t++) if (voiced[t]) out[t] = 12 * Math.log2(f0[t] / median);
  return out;
}

/** Column names of one stacked feature. */
export function extraNames(e: ExtraFeature): string[] {
  const o = e.options ?? {};
  const n = (name: string, count: number) => Array.from({ length: count }, (_, k) => `${name}${k}`);
  switch (e.type) {
    case 'spectralContrast':
      return n('contrast', ((o.nBands as number) ?? 6) + 1);
    case 'chromaStft':
      return n('chroma', (o.nChroma as number) ?? 12);
    case 'melSpectrogram':
      return n('melpower', (o.nMels as number) ?? 128);
    case 'pyin':
      return [o.units === 'semitones' ? 'f0Semitones' : 'f0', 'voicedProb'];
    case 'zeroCrossingRate':
      return ['zcr'];
    default:
      return [e.type.replace(/^spectral/, '').toLowerCase()];
  }
}

/**
 * Computes one stacked feature on the base features' frame grid (`hopLength`, `center`, and `nFft`
 * as the default frame size). Pitch also gives its voiced frames, which statistics of pitch keep.
 */
export function computeExtra(
  x: Float32Array | Float64Array,
  sr: number,
  e: ExtraFeature,
  base: MfccOptions,
): FeatureMatrix & { voiced?: Uint8Array } {
  const grid = {
    sampleRate: sr,
    hopLength: base.hopLength ?? Math.floor((base.winLength ?? base.nFft ?? 2048) / 4),
    center: base.center ?? true,
  };
  const nFft = base.nFft ?? 2048;
  const o = e.options ?? {};
  const stft = { nFft, ...o, ...grid } as never;
  const time = { frameLength: nFft, ...o, ...grid } as never;
  switch (e.type) {
    case 'rms':
      return rms(x, time);
    case 'zeroCrossingRate':
      return zeroCrossingRate(x, time);
    case 'spectralCentroid':
      return spectralCentroid(x, stft);
    case 'spectralBandwidth':
      return spectralBandwidth(x, stft);
    case 'spectralRolloff':
      return spectralRolloff(x, stft);
    case 'spectralFlatness':
      return spectralFlatness(x, stft);
    case 'spectralContrast':
      return spectralContrast(x, stft);
    case 'chromaStft':
      return chromaStft(x, stft);
    case 'melSpectrogram':
      return melSpectrogram(x, stft);
    case 'pyin': {
      const { units, ...own } = o;
      const p = pyin(x, { fmin: 50, fmax: 500, frameLength: 1024, ...own, ...grid } as never);
      const voiced = p.voicedFlag;
      const f0 = units === 'semitones' ? semitonesFromMedian(p.f0, voiced) : p.f0;
      const data = new Float32Array(2 * p.f0.length);
      for (let t = 0; t < p.f0.length; t++) {
        data[2 * t] = voiced[t] ? f0[t] : 0;
        data[2 * t + 1] = p.voicedProb[t];
      }
      return { data, frames: p.f0.length, features: 2, voiced };
    }
  }
}
