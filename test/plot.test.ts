import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/datasets/summary.js';
import { evaluatePredictions } from '../src/index.js';
import {
  plotAudio,
  plotConfusion,
  plotDatasetSummary,
  plotLearningCurves,
  renderPlot,
  savePlot,
  summarizeAudio,
} from '../src/node.js';
import { ROOT, missing, skipNote } from './helpers/data.js';
import { encodeWav } from './helpers/wav.js';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Fraction of distinct colours in a PNG, decoded by the canvas library: a blank image has one. */
async function distinctColours(bytes: Uint8Array): Promise<number> {
  const { createCanvas, loadImage } = await import('@napi-rs/canvas');
  const img = await loadImage(Buffer.from(bytes));
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, img.width, img.height).data;
  const seen = new Set<number>();
  for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
}

const SR = 16000;
const chirp = Float32Array.from({ length: 2 * SR }, (_, t) => {
  const s = t / SR;
  return (s > 0.4 && s < 1.6 ? 0.3 : 0) * Math.sin(2 * Math.PI * (200 + 1500 * s) * s);
});

describe('plots', () => {
  it('summarizeAudio reports levels and the trimmed interval', () => {
    const s = summarizeAudio(chirp, SR, 2);
    expect(s.duration).toBe(2);
    expect(s.channels).toBe(2);
    expect(s.peakDb).toBeCloseTo(20 * Math.log10(0.3), 1);
    expect(s.trimmed?.start).toBeGreaterThan(0.3);
    expect(s.trimmed?.end).toBeLessThan(1.75);
    expect(summarizeAudio(new Float32Array(100), SR).trimmed).toBeNull();
  });

  it('renders every figure as a PNG of the expected size with real content, and as SVG', async () => {
    const e = evaluatePredictions(['a', 'a', 'b', 'c'], ['a', 'b', 'b', 'c'], ['a', 'b', 'c']);
    const figures = [
      plotAudio(chirp, SR, { title: 'chirp' }),
      plotConfusion(e),
      plotLearningCurves([
        { epoch: 0, loss: 2, validationUA: 0.2 },
        { epoch: 1, loss: 1.5, validationUA: 0.35 },
        { epoch: 2, loss: 1.2, validationUA: 0.4 },
      ]),
      plotDatasetSummary(
        summarize([
          { path: 'x', dataset: 'savee', label: 'angry', speaker: 'DC', gender: 'male', meta: {} },
          { path: 'y', dataset: 'savee', label: 'sad', speaker: 'JE', gender: 'male', meta: {} },
        ]),
      ),
    ];
    for (const f of figures) {
      const png = (await renderPlot(f, 'png')) as Uint8Array;
      expect(png.length).toBeGreaterThan(2000);
      expect(pngSize(png)).toEqual({ width: f.width, height: f.height });
      expect(await distinctColours(png)).toBeGreaterThan(8);
      const svg = (await renderPlot(f, 'svg')) as string;
      expect(svg).toMatch(new RegExp(`^<svg [^>]*width="${f.width}" height="${f.height}"`));
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect((svg.match(/<text /g) ?? []).length).toBeGreaterThan(5);
    }
  });

  it('plotAudio draws the pitch track over the spectrogram at the voiced frames, and the energy curve', async () => {
    // 0.5 s of silence, 1 s of a 220 Hz tone, 0.5 s of silence.
    const x = new Float32Array(2 * SR);
    for (let i = 0; i < SR; i++) x[SR / 2 + i] = 0.4 * Math.sin((2 * Math.PI * 220 * i) / SR);
    const svg = (await renderPlot(plotAudio(x, SR), 'svg')) as string;
    const pitch = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*stroke="#ff3b30"/g)].map((m) =>
      m[1].split(' ').map((pt) => pt.split(',').map(Number)),
    );
    expect(pitch.length).toBeGreaterThan(0);
    // The spectrogram panel spans y 316…506 for 8 kHz…0 Hz; 220 Hz sits at y ≈ 500.8.
    const points = pitch.flat();
    for (const [, y] of points) expect(Math.abs(y - (506 - (220 / 8000) * 190))).toBeLessThan(1);
    // Voiced stretch only: x within the tone's second (80 + t/2·830 px), not over the silences.
    const xs = points
      .map(([px]) => (px - 80) / 830) // fraction of the 2 s
      .map((f) => 2 * f);
    expect(Math.min(...xs)).toBeGreaterThan(0.45);
    expect(Math.max(...xs)).toBeLessThan(1.55);
    expect(svg).toMatch(/energy \(RMS per frame\)/);
    expect(svg).toMatch(/pitch \(pyin f0, voiced frames\)/);
  });

  it('savePlot picks the format from the extension and refuses others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-plot-'));
    await savePlot(plotLearningCurves([{ epoch: 0, loss: 1 }]), join(dir, 'c.svg'));
    expect(readFileSync(join(dir, 'c.svg'), 'utf8')).toMatch(/^<svg/);
    await expect(savePlot(plotLearningCurves([]), join(dir, 'c.jpg'))).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    expect(existsSync(join(dir, 'c.jpg'))).toBe(false);
  });

  const CLI = join(ROOT, 'dist', 'cli.js');
  const notBuilt = missing('cli');
  it.skipIf(notBuilt)(
    `speech-emotion inspect prints a summary and writes the PNG${skipNote(notBuilt)}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'se-inspect-'));
      writeFileSync(join(dir, 'chirp.wav'), encodeWav([chirp, chirp], SR, 'pcm16'));
      const r = spawnSync(process.execPath, [CLI, 'inspect', 'chirp.wav', '--plot', 'chirp.png'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/duration 2\.000 s, 16000 Hz, 2 channels/);
      expect(r.stdout).toMatch(/speech \(trimmed at 60 dB\) 0\.\d+–1\.\d+ s/);
      expect(pngSize(readFileSync(join(dir, 'chirp.png')))).toEqual({ width: 1000, height: 1324 });
      const bad = spawnSync(process.execPath, [CLI, 'inspect', 'chirp.wav', '--plot', 'chirp.gif'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--plot must name a \.png or \.svg file/);
    },
  );
});
