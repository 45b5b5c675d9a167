// Shared helpers for the benchmarks: locating the datasets and timing.
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
    else out[key] = Number(argv[++i]);
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
