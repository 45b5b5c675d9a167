import { SpeechEmotionError } from '../errors.js';

/** Edit distance, used to suggest the option a typo meant. */
function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(up + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * Throws `UNKNOWN_OPTION` when `options` holds a key outside `known`, naming the closest known key.
 * @internal
 */
export function checkKnownOptions(fn: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: options must be an object, got ${typeof options}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    let best = '';
    let bestD = Number.POSITIVE_INFINITY;
    for (const k of known) {
      const d = editDistance(key.toLowerCase(), k.toLowerCase());
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    const hint = bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` Did you mean '${best}'?` : '';
    throw new SpeechEmotionError(
      'UNKNOWN_OPTION',
      `${fn}: unknown option '${key}'.${hint} Known options: ${known.join(', ')}.`,
    );
  }
}

/** @internal */
export function invalid(fn: string, message: string): SpeechEmotionError {
  return new SpeechEmotionError('INVALID_OPTION', `${fn}: ${message}`);
}

/** Requires an integer ≥ `min`. @internal */
export function checkInt(fn: string, name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(fn, `'${name}' must be an integer ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

/** Requires a finite number (optionally > 0 or ≥ 0). @internal */
export function checkNumber(
  fn: string,
  name: string,
  value: number,
  range: 'any' | 'positive' | 'nonnegative' = 'any',
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(fn, `'${name}' must be a finite number, got ${String(value)}.`);
  }
  if (range === 'positive' && !(value > 0)) throw invalid(fn, `'${name}' must be > 0, got ${value}.`);
  if (range === 'nonnegative' && !(value >= 0)) throw invalid(fn, `'${name}' must be ≥ 0, got ${value}.`);
  return value;
}

/** Requires one of `allowed`. @internal */
export function checkOneOf<T>(fn: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw invalid(
      fn,
      `'${name}' must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Signals a public function has already checked, while it runs the DSP functions under it (see
 * {@link checkedOnce}); their own {@link checkSignal} then skips the scan.
 */
const checked = new WeakSet<object>();

/**
 * Runs `body` with `signal` (and whatever `body` marks with the `trust` it receives: arrays it makes
 * from checked ones, such as a resampled copy or a trimmed view) counted as already checked, so a
 * public function that calls other public DSP functions scans its input once, at its own boundary.
 * The marks last only for the synchronous call: a signal changed afterwards is checked again.
 * @internal
 */
export function checkedOnce<T>(
  fn: string,
  signal: Float32Array | Float64Array,
  body: (trust: <A extends Float32Array | Float64Array>(a: A) => A) => T,
): T {
  checkSignal(fn, signal);
  const marked: object[] = [];
  const trust = <A extends Float32Array | Float64Array>(a: A): A => {
    if (!checked.has(a)) {
      checked.add(a);
      marked.push(a);
    }
    return a;
  };
  trust(signal);
  try {
    return body(trust);
  } finally {
    for (const a of marked) checked.delete(a);
  }
}

/**
 * Checks that a signal is a non-empty Float32Array/Float64Array of finite samples (unless the
 * public function that called this one has checked it: {@link checkedOnce}).
 * @internal
 */
export function checkSignal(fn: string, signal: ArrayLike<number>): void {
  if (checked.has(signal as object)) return;
  if (!(signal instanceof Float32Array || signal instanceof Float64Array)) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: the signal must be a Float32Array (or Float64Array) of samples in [-1, 1]; got ${describe(signal)}. Decode audio bytes first with decodeWav().`,
    );
  }
  if (signal.length === 0) {
    throw new SpeechEmotionError(
      'EMPTY_SIGNAL',
      `${fn}: the signal is empty (0 samples). Pass audio with at least one sample.`,
    );
  }
  for (let i = 0; i < signal.length; i++) {
    const v = signal[i];
    if (v - v !== 0) {
      throw new SpeechEmotionError(
        'NON_FINITE_SAMPLES',
        `${fn}: sample ${i} is ${v}. The signal must hold finite numbers only; clean or re-decode the audio.`,
      );
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}
