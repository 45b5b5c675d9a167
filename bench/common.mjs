// Shared helpers for the benchmarks: locating the datasets and timing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');

/** Exits with a clear message when the datasets are not there. */
export function requireData() {
  if (!existsSync(join(DATA_DIR, 'ravdess'))) {
    console.error(
      `bench: no datasets at ${DATA_DIR}. Set SPEECH_EMOTION_DATA to the folder holding ravdess/ and savee/.`,
    );
    process.exit(2);
  }
}

/** RAVDESS files in a fixed order (actor, then file name). */
export function ravdessFiles() {
  const dir = join(DATA_DIR, 'ravdess');
  return readdirSync(dir)
    .filter((a) => a.startsWith('Actor_'))
    .sort()
    .flatMap((a) =>
      readdirSync(join(dir, a))
        .filter((f) => f.endsWith('.wav'))
        .sort()
        .map((f) => join(dir, a, f)),
    );
}

export const readBytes = (path) => readFileSync(path);

/**
 * The clip that `predict` is timed on: the first RAVDESS file (in {@link ravdessFiles}' order) of
 * 3.5 s or more, cut to 3.5 s. `readMono` is the library's (from the build being timed).
 */
export async function predictClip(readMono) {
  for (const file of ravdessFiles()) {
    const a = await readMono(file);
    if (a.signal.length >= 3.5 * a.sampleRate)
      return { signal: a.signal.subarray(0, Math.round(3.5 * a.sampleRate)), sampleRate: a.sampleRate, file };
  }
  throw new Error('bench: no RAVDESS file of 3.5 s or more');
}

/** Sorted times in ms of `runs` calls of the async `fn`, after 20 calls to warm up. */
export async function timesOf(fn, runs) {
  for (let i = 0; i < 20; i++) await fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b);
}

/** Parses `--name value` and `--flag` arguments. */
export function args(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in defaults)) {
      console.error(
        `unknown option ${argv[i]}; known: ${Object.keys(defaults)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
      process.exit(2);
    }
    if (typeof defaults[key] === 'boolean') out[key] = true;
    else out[key] = typeof defaults[key] === 'string' ? argv[++i] : Number(argv[++i]);
  }
  return out;
}

/** Best wall time in seconds of `reps` runs of fn (after one warm-up run). */
export function bestOf(reps, fn) {
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best / 1000;
}

export const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** A 44-byte header of a mono WAV of `frames` samples: 16-bit PCM or 32-bit float. */
export function wavHeader(frames, rate, format = 'pcm16') {
  const bytes = format === 'pcm16' ? 2 : 4;
  const b = Buffer.alloc(44);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + bytes * frames, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(format === 'pcm16' ? 1 : 3, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(bytes * rate, 28);
  b.writeUInt16LE(bytes, 32);
  b.writeUInt16LE(8 * bytes, 34);
  b.write('data', 36);
  b.writeUInt32LE(bytes * frames, 40);
  return b;
}

/** The samples of `x` as WAV data: 16-bit PCM (rounded, clipped) or 32-bit float. */
export function wavData(x, format = 'pcm16') {
  if (format === 'float32') return Buffer.from(Float32Array.from(x).buffer);
  const pcm = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768)));
  return Buffer.from(pcm.buffer);
}

/** A whole mono WAV file of `x`. */
export const encodeWav = (x, rate, format = 'pcm16') =>
  Buffer.concat([wavHeader(x.length, rate, format), wavData(x, format)]);

/**
 * A Python that can import torch, for the benchmarks' PyTorch figures: $PYTHON, else python3 on the
 * PATH, else the system's (Debian's python3-torch installs there); undefined when none can.
 */
export function torchPython() {
  return [process.env.PYTHON, 'python3', '/usr/bin/python3'].find(
    (p) => p && spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0,
  );
}
