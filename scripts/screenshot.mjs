// Makes docs/screenshot.png: the browser demo (examples/web, built) in headless Chromium after
// analysing a recording; several WAV files are joined into one (to show the timeline).
// Usage: npm run example:web:build && node scripts/screenshot.mjs [audio files…]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { decodeWav, resample, toMono } from '../dist/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, serve } from '../examples/web/serve.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** 16-bit mono WAV bytes. */
function wav16(signal, rate) {
  const b = Buffer.alloc(44 + 2 * signal.length);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + 2 * signal.length, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(2 * rate, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(2 * signal.length, 40);
  signal.forEach((v, i) => b.writeInt16LE(Math.round(32767 * Math.max(-1, Math.min(1, v))), 44 + 2 * i));
  return b;
}

const inputs = process.argv.slice(2);
let file = inputs[0] ?? join(ROOT, 'examples', 'audio', 'sample.wav');
if (inputs.length > 1) {
  const parts = inputs.map((f) => {
    const { sampleRate, channels } = decodeWav(readFileSync(f));
    return resample(toMono(channels), sampleRate, 16000);
  });
  const joined = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  file = join(mkdtempSync(join(tmpdir(), 'se-shot-')), 'recording.wav');
  writeFileSync(file, wav16(joined, 16000));
}
const server = await serve(join(ROOT, 'examples', 'web', 'dist'));
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.setInputFiles('#file', file);
  await page.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
  const out = join(ROOT, 'docs', 'screenshot.png');
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${out}: ${await page.textContent('#label')} on ${await page.textContent('#backend')}`);
} finally {
  await browser.close();
  await server.close();
}
