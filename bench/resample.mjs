// Resampling throughput to 16 kHz on the untouched 48 kHz and 44.1 kHz originals, against
// linear interpolation as a (poor-quality) speed reference. Run with `npm run bench:resample`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav, resample, toMono } from '../dist/index.js';
import { DATA_DIR, args, bestOf, fmt, requireData } from './common.mjs';

const opt = args({ reps: 5 });
requireData();
const dir = join(DATA_DIR, 'originals');

function linear(x, from, to) {
  const n = Math.ceil((x.length * to) / from);
  const y = new Float32Array(n);
  for (let m = 0; m < n; m++) {
    const t = (m * from) / to;
    const i = Math.floor(t);
    const f = t - i;
    y[m] = (x[i] ?? 0) * (1 - f) + (x[i + 1] ?? 0) * f;
  }
  return y;
}

console.log(`resample benchmark: originals → 16 kHz, best of ${opt.reps}, single thread`);
for (const f of readdirSync(dir)
  .filter((x) => x.endsWith('.wav'))
  .sort()) {
  const { sampleRate, channels } = decodeWav(readFileSync(join(dir, f)));
  const x = toMono(channels);
  const secs = x.length / sampleRate;
  const ours = bestOf(opt.reps, () => resample(x, sampleRate, 16000));
  const lin = bestOf(opt.reps, () => linear(x, sampleRate, 16000));
  console.log(
    `  ${f} (${sampleRate} Hz, ${fmt(secs, 2)} s): ours ${fmt(secs / ours)}× real time; linear interpolation ${fmt(secs / lin)}×`,
  );
}

// Every rate a user may bring, to 16 kHz: 10 s of two tones per rate (content does not change the
// cost). Uncommon rates (24 414, 37 800, 44 056, 47 952 Hz) have no small polyphase table.
console.log(`\nto 16 kHz from each rate (10 s of audio, best of ${opt.reps}):`);
const sweep = {};
for (const from of [
  8000, 11025, 16000, 22050, 24000, 24414, 32000, 37800, 44056, 44100, 47952, 48000, 88200, 96000,
]) {
  if (from === 16000) continue;
  const x = Float32Array.from(
    { length: 10 * from },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / from),
  );
  const t = bestOf(opt.reps, () => resample(x, from, 16000));
  sweep[from] = 10 / t;
  console.log(
    `  ${String(from).padStart(6)} Hz: ${fmt(10 / t).padStart(5)}× real time${10 / t >= 200 ? '' : '   (under 200×)'}`,
  );
}
