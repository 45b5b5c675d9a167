// Resampling to 16 kHz from every rate between 8 and 96 kHz, ours against the well-kept
// resamplers available in JavaScript, on speed and on quality against sox's very-high-quality
// conversion:
//   - libsamplerate (@alexanderolsen/libsamplerate-js 2.1.2, WebAssembly), SRC_SINC_BEST_QUALITY
//     and SRC_SINC_MEDIUM_QUALITY;
//   - the Speex resampler (@echogarden/speex-resampler-wasm 0.3.0, WebAssembly SIMD), quality 10
//     (its best) and 5 (its default).
// Input: the untouched 48 kHz RAVDESS originals (real wideband speech), converted by sox to each
// rate; reference: sox's conversion of that to 16 kHz (`sox in.wav -r 16000 out.wav rate -v`).
// Quality: normalised MFCC error (librosa defaults) of each 16 kHz output against the reference,
// after aligning it by the lag that best matches the reference (peers may delay their output).
// Needs sox on the PATH (apt-get install sox).
//   --reps N   best of N timings (default 5)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import libsamplerateJs from '@alexanderolsen/libsamplerate-js';
import SpeexResampler from '@echogarden/speex-resampler-wasm/simd';
import { decodeWav, extractMfcc, resample, toMono } from '../dist/index.js';
import { DATA_DIR, args, bestOf, encodeWav, fmt, requireData } from './common.mjs';

const { ConverterType, create } = libsamplerateJs;
const opt = args({ reps: 5 });
requireData();
try {
  execFileSync('sox', ['--version'], { stdio: 'ignore' });
} catch {
  console.log(
    '\npeers (libsamplerate, Speex) against sox: skipped, sox is not installed. Install it (apt-get install sox) and run npm run bench:resample again.',
  );
  process.exit(0);
}
const OUT = 16000;
const RATES = [8000, 11025, 22050, 24000, 24414, 32000, 37800, 44056, 44100, 47952, 48000, 88200, 96000];
const dir = mkdtempSync(join(tmpdir(), 'se-rs-'));

// The two 48 kHz originals, mixed to mono and joined, as a 32-bit float WAV.
const originals = [
  'ravdess-48k-mono-03-01-05-02-01-01-02.wav',
  'ravdess-48k-stereo-03-01-02-01-01-02-01.wav',
].map((f) => toMono(decodeWav(readFileSync(join(DATA_DIR, 'originals', f))).channels));
const joined = new Float32Array(originals.reduce((a, x) => a + x.length, 0));
for (let i = 0, at = 0; i < originals.length; at += originals[i].length, i++) joined.set(originals[i], at);
writeFileSync(join(dir, 'src-48000.wav'), encodeWav(joined, 48000, 'float32'));

const sox = (from, to, rate) =>
  execFileSync('sox', [from, '-e', 'floating-point', '-b', '32', '-r', String(rate), to, 'rate', '-v'], {
    stdio: 'ignore',
  });
const read = (p) => {
  const { sampleRate, channels } = decodeWav(readFileSync(p));
  return { sampleRate, x: toMono(channels) };
};

const speex = await SpeexResampler();
function speexResample(x, from, quality) {
  const err = speex._malloc(4);
  const st = speex._speex_resampler_init(1, from, OUT, quality, err);
  const latency = speex._speex_resampler_get_input_latency(st);
  const input = new Float32Array(x.length + latency);
  input.set(x);
  const outCap = Math.ceil((input.length * OUT) / from) + 64;
  const inPtr = speex._malloc(4 * input.length);
  const outPtr = speex._malloc(4 * outCap);
  const lens = speex._malloc(8);
  speex.HEAPF32.set(input, inPtr >> 2);
  speex.HEAPU32[lens >> 2] = input.length;
  speex.HEAPU32[(lens >> 2) + 1] = outCap;
  speex._speex_resampler_process_float(st, 0, inPtr, lens, outPtr, lens + 4);
  const produced = speex.HEAPU32[(lens >> 2) + 1];
  const y = speex.HEAPF32.slice(outPtr >> 2, (outPtr >> 2) + produced);
  for (const p of [err, inPtr, outPtr, lens]) speex._free(p);
  speex._speex_resampler_destroy(st);
  return y;
}
async function libsamplerate(from, type) {
  return create(1, from, OUT, { converterType: type });
}

/** Normalised MFCC error after the best alignment within ±256 samples. */
function mfccError(y, ref) {
  const a = extractMfcc(ref, { sampleRate: OUT });
  let best = Number.POSITIVE_INFINITY;
  let lagAt = 0;
  // Coarse lag from the waveform, then MFCC error at that lag.
  let bestCorr = Number.NEGATIVE_INFINITY;
  for (let lag = -256; lag <= 256; lag++) {
    let c = 0;
    for (let i = 4000; i < 36000 && i + lag < y.length; i += 2) c += ref[i] * (y[i + lag] ?? 0);
    if (c > bestCorr) {
      bestCorr = c;
      lagAt = lag;
    }
  }
  const n = ref.length;
  const aligned = new Float32Array(n);
  for (let i = 0; i < n; i++) aligned[i] = y[i + lagAt] ?? 0;
  const b = extractMfcc(aligned, { sampleRate: OUT });
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    maxRef = Math.max(maxRef, Math.abs(a.data[i]));
  }
  best = maxDiff / maxRef;
  return { error: best, lag: lagAt };
}

console.log(
  `resample → 16 kHz: ${fmt(joined.length / 48000, 2)} s of real 48 kHz speech, converted by sox to each rate; best of ${opt.reps}, single thread`,
);
console.log(
  'rate   | ours ×rt (MFCC err) | libsamplerate best | libsamplerate medium | speex q10 | speex q5',
);
const rows = [];
for (const rate of RATES) {
  const src = join(dir, `src-${rate}.wav`);
  if (rate !== 48000) sox(join(dir, 'src-48000.wav'), src, rate);
  sox(src, join(dir, `ref-${rate}.wav`), OUT);
  const { x } = read(src);
  const ref = read(join(dir, `ref-${rate}.wav`)).x;
  const secs = x.length / rate;
  const entries = [];
  const measure = (name, fn) => {
    const t = bestOf(opt.reps, fn);
    const { error, lag } = mfccError(fn(), ref);
    entries.push({ name, speed: secs / t, error, lag });
  };
  measure('ours', () => resample(x, rate, OUT));
  for (const [name, type] of [
    ['libsamplerate best', ConverterType.SRC_SINC_BEST_QUALITY],
    ['libsamplerate medium', ConverterType.SRC_SINC_MEDIUM_QUALITY],
  ]) {
    const src2 = await libsamplerate(rate, type);
    measure(name, () => src2.simple(x));
    src2.destroy();
  }
  measure('speex q10', () => speexResample(x, rate, 10));
  measure('speex q5', () => speexResample(x, rate, 5));
  rows.push({ rate, entries });
  console.log(
    `${String(rate).padStart(6)} | ${entries
      .map((e) => `${fmt(e.speed).padStart(5)}× (${e.error.toExponential(1)})`)
      .join(' | ')}`,
  );
}
rmSync(dir, { recursive: true, force: true });
const ok = (e) => e.speed >= 200 && e.error <= 1e-2;
console.log('\nper resampler: rates with ≥ 200× real time and MFCC error ≤ 1e-2 against sox');
for (const name of rows[0].entries.map((e) => e.name)) {
  const met = rows.filter((r) => ok(r.entries.find((e) => e.name === name)));
  console.log(`  ${name.padEnd(21)} ${met.length} of ${rows.length}`);
}
