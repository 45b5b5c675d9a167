import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';
import { decodeWav, toMono } from '../../src/index.js';
import { DATA_DIR } from './data.js';

/** One librosa reference computation (see ../shared/parity/README.md). */
export interface ParityCase {
  name: string;
  call?: string;
  params: Record<string, unknown>;
  input: { file: string; sr: number };
  /** librosa's layout, `[features, frames]` (or `[frames]`); `null` is librosa's NaN. */
  output: { shape: number[]; data: (number | null)[] };
}

/** Loads the input signal the way the reference did: int16/32768, float as stored, channels averaged. */
export function loadInput(c: ParityCase, baseDir: string): { signal: Float32Array; sampleRate: number } {
  const rel = c.input.file;
  // Paths are relative to shared/: "parity/inputs/…" or "datasets/…"; a fixture folder holds inputs/.
  const path = rel.startsWith('parity/')
    ? join(baseDir, rel.slice('parity/'.length))
    : resolve(DATA_DIR, rel.slice('datasets/'.length));
  const { sampleRate, channels } = decodeWav(readFileSync(path));
  expect(sampleRate).toBe(c.input.sr);
  return { signal: toMono(channels), sampleRate };
}

/**
 * max|ours − ref| / max|ref| over the cells where librosa has a number, comparing our frame-major
 * output with librosa's `[features, frames]`. Cells where librosa has NaN (`null`) must be NaN in
 * ours too, and the reverse.
 */
export function normalisedError(
  ours: { data: ArrayLike<number>; frames: number; features: number },
  ref: ParityCase['output'],
): number {
  const [features, frames] = ref.shape.length === 1 ? [1, ref.shape[0]] : ref.shape;
  expect([ours.frames, ours.features]).toEqual([frames, features]);
  let maxDiff = 0;
  let maxRef = 0;
  const nanMismatch: string[] = [];
  for (let k = 0; k < features; k++) {
    for (let t = 0; t < frames; t++) {
      const r = ref.data[k * frames + t];
      const o = ours.data[t * features + k];
      if (r === null || Number.isNaN(o)) {
        if (!(r === null && Number.isNaN(o))) nanMismatch.push(`frame ${t}: ours ${o}, librosa ${r}`);
        continue;
      }
      maxDiff = Math.max(maxDiff, Math.abs(o - r));
      maxRef = Math.max(maxRef, Math.abs(r));
    }
  }
  expect(nanMismatch, 'NaN (unvoiced) frames differ').toEqual([]);
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/**
 * The errors a parity file measures, case name → figure; printed as a markdown table after the
 * file's tests when PARITY_REPORT is set (`npm run parity`).
 */
export function errorReport(): Map<string, string> {
  const measured = new Map<string, string>();
  afterAll(() => {
    if (!process.env.PARITY_REPORT) return;
    const rows = [...measured].sort(([a], [b]) => a.localeCompare(b));
    console.log(
      ['| case | normalised error |', '| --- | --- |', ...rows.map(([n, e]) => `| ${n} | ${e} |`)].join('\n'),
    );
  });
  return measured;
}
