// Clipping: recordings driven past full scale are found (flat tops at the peak), and only those.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIPPED_ABOVE, clippingShare } from '../src/index.js';
import { readMono, streamMono } from '../src/node.js';
import { DATA_DIR, missing, skipNote } from './helpers/data.js';
import { syllabic } from './helpers/signals.js';
import { encodeWav } from './helpers/wav.js';

const RATE = 16000;
/** A syllabic 180 Hz voice with harmonics, peaking at 1. */
function voice(seconds = 2): Float32Array {
  const x = Float32Array.from({ length: seconds * RATE }, (_, i) => {
    const t = i / RATE;
    return (
      Math.sin(2 * Math.PI * 180 * t) +
      0.5 * Math.sin(2 * Math.PI * 360 * t + 1) +
      0.3 * Math.sin(2 * Math.PI * 540 * t)
    );
  });
  return toPeak(syllabic(x, RATE), 1);
}
function toPeak(x: Float32Array, peak: number): Float32Array {
  const p = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return x.map((v) => (v / p) * peak);
}
/** `x` driven `db` past full scale and clamped there, saved as 16-bit would round it. */
function driven(x: Float32Array, db: number): Float32Array {
  const g = 10 ** (db / 20);
  return x.map((v) => Math.round(Math.max(-1, Math.min(1, v * g)) * 32767) / 32767);
}
const sixteenBit = (x: Float32Array) => x.map((v) => Math.round(v * 32767) / 32767);

describe('clippingShare', () => {
  it('is 0 for a clean recording at full scale, and grows with how far it was driven past it', () => {
    const x = voice();
    expect(clippingShare(sixteenBit(x))).toBe(0);
    const shares = [1, 3, 6, 12].map((db) => clippingShare(driven(x, db)));
    expect(shares[0]).toBeGreaterThan(CLIPPED_ABOVE);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThan(shares[i - 1]);
    // Float64 and plain arrays alike; negative tops count as positive ones.
    const d = driven(x, 6);
    expect(clippingShare(Float64Array.from(d))).toBe(clippingShare(d));
    expect(clippingShare(d.map((v) => -v))).toBe(clippingShare(d));
  });

  it('judges nothing below 0.95 of full scale, nor audio of 8 bits, nor silence or nothing', () => {
    const x = voice();
    // Clipped, then turned down to 0.9: the tops are flat, but not at full scale.
    expect(clippingShare(driven(x, 12).map((v) => 0.9 * v))).toBe(0);
    // 8-bit audio piles up at its top level without clipping; its clipping is not judged either.
    const eightBit = (y: Float32Array) => y.map((v) => Math.round(v * 127) / 128);
    expect(clippingShare(eightBit(x))).toBe(0);
    expect(clippingShare(eightBit(driven(x, 12)))).toBe(0);
    expect(clippingShare(new Float32Array(100))).toBe(0);
    expect(clippingShare(new Float32Array(0))).toBe(0);
  });

  it('readMono and streamMono warn about a clipped recording, for the channel that is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-clip-'));
    const x = voice(3);
    const loud = join(dir, 'loud.wav');
    writeFileSync(loud, encodeWav([driven(x, 12)], RATE, 'pcm16'));
    const clipped =
      /^the recording clips: [0-9.]+% of its samples sit flat at full scale .*input level lower/;
    expect((await readMono(loud)).warnings).toEqual([expect.stringMatching(clipped)]);
    const stream = await streamMono(loud, { chunkSeconds: 1 });
    expect(stream.warnings).toEqual([expect.stringMatching(/clips: .*\(judged on the first 1 s\)$/)]);
    for await (const _ of stream.chunks);
    const clean = join(dir, 'clean.wav');
    writeFileSync(clean, encodeWav([toPeak(x, 0.99)], RATE, 'pcm16'));
    expect((await readMono(clean)).warnings).toBeUndefined();
    expect((await streamMono(clean)).warnings).toBeUndefined();
    // A clipped left channel beside a clean right one: the mix and the left warn, the right does not.
    const two = join(dir, 'two.wav');
    writeFileSync(two, encodeWav([driven(x, 12), toPeak(x, 0.5)], RATE, 'pcm16'));
    expect((await readMono(two)).warnings).toEqual([expect.stringMatching(clipped)]);
    expect((await readMono(two, { channel: 0 })).warnings).toEqual([expect.stringMatching(clipped)]);
    expect((await readMono(two, { channel: 1 })).warnings).toBeUndefined();
  });

  const noData = missing('ravdess', 'savee');
  it.skipIf(noData)(
    `real speech: none of 200 RAVDESS and SAVEE recordings at full scale is over the line; driven 12 dB past it, most are${skipNote(noData)}`,
    async () => {
      const files = ['ravdess', 'savee'].flatMap((corpus) => {
        const all: string[] = [];
        const walk = (d: string) => {
          for (const e of readdirSync(d, { withFileTypes: true }))
            if (e.isDirectory()) walk(join(d, e.name));
            else if (e.name.endsWith('.wav')) all.push(join(d, e.name));
        };
        walk(join(DATA_DIR, corpus));
        return all
          .sort()
          .filter((_, i) => i % Math.floor(all.length / 100) === 0)
          .slice(0, 100);
      });
      let over = 0;
      for (const f of files) {
        const { signal } = await readMono(f);
        expect(clippingShare(sixteenBit(toPeak(signal, 1))), f).toBeLessThanOrEqual(CLIPPED_ABOVE);
        if (clippingShare(driven(toPeak(signal, 1), 12)) > CLIPPED_ABOVE) over++;
      }
      expect(files.length).toBe(200);
      // 93% of all 1 563 (bench/README.md); a lower bound with room for the sample drawn here.
      expect(over / files.length).toBeGreaterThan(0.85);
    },
    60_000,
  );
});
