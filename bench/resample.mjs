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
