// librosa parity of the frame features beyond MFCC: rms, zero crossings, spectral shape, chroma,
// yin and pyin, against ../shared/parity/features (and its synthetic cases in test/fixtures/features).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chromaStft,
  pyin,
  rms,
  spectralBandwidth,
  spectralCentroid,
  spectralContrast,
  spectralFlatness,
  spectralRolloff,
  yin,
  zeroCrossingRate,
} from '../src/index.js';
import { PARITY_DIR, ROOT, missing, skipNote } from './helpers/data.js';
import { type ParityCase, errorReport, loadInput, normalisedError } from './helpers/parity.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'features');
const REAL = join(PARITY_DIR, 'features');

/** librosa's snake_case parameter names in our camelCase (n_fft → nFft, roll_percent → rollPercent…). */
function options(p: Record<string, unknown>, sampleRate: number): Record<string, unknown> {
  const out: Record<string, unknown> = { sampleRate };
  for (const [k, v] of Object.entries(p))
    out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

type Matrix = { data: ArrayLike<number>; frames: number; features: number };
const row = (data: ArrayLike<number>): Matrix => ({ data, frames: data.length, features: 1 });

/** Runs the case's librosa call in our names. */
function compute(c: ParityCase, signal: Float32Array, sampleRate: number): Matrix {
  const kind = c.name.split('--')[0];
  const o = options(c.params, sampleRate) as never;
  if (kind.startsWith('rms')) return rms(signal, o);
  if (kind.startsWith('zcr')) return zeroCrossingRate(signal, o);
  if (kind.startsWith('centroid')) return spectralCentroid(signal, o);
  if (kind.startsWith('bandwidth')) return spectralBandwidth(signal, o);
  if (kind.startsWith('rolloff')) return spectralRolloff(signal, o);
  if (kind.startsWith('flatness')) return spectralFlatness(signal, o);
  if (kind.startsWith('contrast')) return spectralContrast(signal, o);
  if (kind.startsWith('chroma-stft')) return chromaStft(signal, o);
  if (kind.startsWith('yin')) return row(yin(signal, o));
  if (kind.startsWith('pyin-f0')) return row(pyin(signal, o).f0);
  if (kind.startsWith('pyin-voiced')) return row(pyin(signal, o).voicedFlag);
  if (kind.startsWith('pyin-prob')) return row(pyin(signal, o).voicedProb);
  throw new Error(`no function for parity case ${c.name}`);
}

/**
 * The largest normalised error allowed per case family: 1e-6, our stated exactness, unless librosa
 * itself rounds a whole row in float32, so that its rounding is what we measure. That is the case
 * for flatness (float32 log and means over 1025 powers: measured ≤ 1.4e-6) and chroma (a float32
 * matrix product over 1025 bins: ≤ 9.5e-7), held to 1e-5. Voiced flags must match exactly.
 */
const TOLERANCE: [prefix: string, tolerance: number][] = [
  ['pyin-voiced', 0],
  ['flatness', 1e-5],
  ['chroma-stft', 1e-5],
];
const toleranceOf = (kind: string) => TOLERANCE.find(([p]) => kind.startsWith(p))?.[1] ?? 1e-6;

const measured = errorReport();

function runCases(dir: string, filter: (f: string) => boolean) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && filter(f));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const c = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ParityCase;
    const tolerance = toleranceOf(c.name.split('--')[0]);
    it(`${c.name} (normalised error ≤ ${tolerance})`, () => {
      // Synthetic inputs sit in test/fixtures/inputs (the fixture folder's parent).
      const { signal, sampleRate } = loadInput(c, dir === FIXTURES ? join(FIXTURES, '..') : PARITY_DIR);
      const ours = compute(c, signal, sampleRate);
      const err = normalisedError(ours, c.output);
      measured.set(c.name, err.toExponential(1));
      expect(err).toBeLessThanOrEqual(tolerance);
    });
  }
}

describe('librosa feature parity: synthetic cases (test/fixtures/features, always run)', () => {
  runCases(FIXTURES, (f) => f.includes('--synthetic'));
});

const noParity = missing('parity', 'ravdess', 'savee');
describe(`librosa feature parity: real speech (${REAL})`, () => {
  if (!noParity) runCases(REAL, (f) => !f.includes('--synthetic'));
  else {
    const kinds = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('--synthetic.json'))
      .map((f) => f.slice(0, -'--synthetic.json'.length));
    for (const kind of kinds) it.skip(`${kind} on real speech${skipNote(noParity)}`, () => {});
  }
});
