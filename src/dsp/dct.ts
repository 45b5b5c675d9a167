import { checkInt, checkKnownOptions, checkNumber, checkOneOf, invalid } from './validate.js';

/** DCT normalisation: `'ortho'` makes the transform orthonormal; `null` is scipy's unnormalised `2 · Σ …`. */
export type DctNorm = 'ortho' | null;

const cache = new Map<string, Float64Array>();

/**
 * The first `nOut` rows of the DCT-II matrix of size `n` (`nOut × n`, row-major), with liftering
 * folded into each row. Cached by parameters; do not modify.
 *
 * Row k is symmetric (k even) or antisymmetric (k odd) about its centre, which
 * {@link dctFolded} uses to halve the multiply-adds.
 * @internal
 */
export function dctMatrix(n: number, nOut: number, norm: DctNorm, lifter: number): Float64Array {
  const key = `${n}:${nOut}:${norm}:${lifter}`;
  let m = cache.get(key);
  if (m) return m;
  m = new Float64Array(nOut * n);
  for (let k = 0; k < nOut; k++) {
    // scipy.fftpack.dct type 2: y[k] = 2 Σ x[j] cos(πk(2j+1)/(2n)); ortho scales by √(1/4n) (k=0) or √(1/2n).
    const scale = norm === 'ortho' ? (k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n)) : 2;
    // librosa: M *= 1 + (lifter/2) · sin(π (k+1) / lifter)
    const lift = lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * (k + 1)) / lifter) : 1;
    for (let j = 0; j < n; j++) m[k * n + j] = scale * lift * Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
  }
  cache.set(key, m);
  return m;
}

/**
 * out[outOffset + k] = Σ_j m[k, j] · max(x[xOffset + j], floor) for the DCT matrix `m` of
 * {@link dctMatrix}, folding the input first: row k only needs x[j] ± x[n−1−j] for j < n/2.
 * `fold` is scratch of length ≥ n.
 * @internal
 */
export function dctFolded(
  x: Float64Array,
  xOffset: number,
  floor: number,
  n: number,
  m: Float64Array,
  nOut: number,
  fold: Float64Array,
  out: Float32Array,
  outOffset: number,
): void {
  const half = n >> 1;
  // fold[j] = sum, fold[half + j] = difference of the mirrored pair; the middle sample of odd n
  // only enters even rows.
  for (let j = 0; j < half; j++) {
    const a = x[xOffset + j];
    const b = x[xOffset + n - 1 - j];
    const fa = a > floor ? a : floor;
    const fb = b > floor ? b : floor;
    fold[j] = fa + fb;
    fold[half + j] = fa - fb;
  }
  const mid = n & 1 ? Math.max(x[xOffset + half], floor) : 0;
  for (let k = 0; k < nOut; k++) {
    const row = k * n;
    let acc = 0;
    if (k & 1) {
      for (let j = 0; j < half; j++) acc += m[row + j] * fold[half + j];
    } else {
      for (let j = 0; j < half; j++) acc += m[row + j] * fold[j];
      if (n & 1) acc += m[row + half] * mid;
    }
    out[outOffset + k] = acc;
  }
}

const above = (v: number, floor: number) => (v > floor ? v : floor);

/**
 * {@link dctFolded} of two frames at once (at `xa` and `xb` into `outA` and `outB`), each matrix
 * value read once for both: the same sums in the same order, so the same bits, in less time
 * (188 frames of 128 bands to 40 coefficients: 0.16–0.28 ms against 0.31–0.36 ms, bench/README.md).
 * `foldA` and `foldB` are scratch of length ≥ n. Hot: extractMfcc's per-frame loop.
 * @internal
 */
export function dctFoldedPair(
  x: Float64Array,
  xa: number,
  xb: number,
  floor: number,
  n: number,
  m: Float64Array,
  nOut: number,
  foldA: Float64Array,
  foldB: Float64Array,
  out: Float32Array,
  outA: number,
  outB: number,
): void {
  if (n & 1) {
    dctFolded(x, xa, floor, n, m, nOut, foldA, out, outA);
    dctFolded(x, xb, floor, n, m, nOut, foldB, out, outB);
    return;
  }
  const half = n >> 1;
  for (let j = 0; j < half; j++) {
    // Floored as dctFolded floors (a comparison, not Math.max), so the bits agree.
    const a = above(x[xa + j], floor);
    const b = above(x[xa + n - 1 - j], floor);
    foldA[j] = a + b;
    foldA[half + j] = a - b;
    const c = above(x[xb + j], floor);
    const d = above(x[xb + n - 1 - j], floor);
    foldB[j] = c + d;
    foldB[half + j] = c - d;
  }
  for (let k = 0; k < nOut; k++) {
    const row = k * n;
    const at = k & 1 ? half : 0;
    let p = 0;
    let q = 0;
    for (let j = 0; j < half; j++) {
      const w = m[row + j];
      p += w * foldA[at + j];
      q += w * foldB[at + j];
    }
    out[outA + k] = p;
    out[outB + k] = q;
  }
}

/** Options of {@link dct}. */
export interface DctOptions {
  /** Number of output coefficients, ≤ the input length. Default: the input length. */
  nOut?: number;
  /** Normalisation. Default `'ortho'` (librosa's default for MFCC). */
  dctNorm?: DctNorm;
}

/**
 * Type-II discrete cosine transform of one vector, as `scipy.fftpack.dct(x, type=2, norm=…)`.
 *
 * With `dctNorm: 'ortho'` the transform matrix is orthonormal, so energy is preserved.
 *
 * @param x - Input vector.
 * @param options - See {@link DctOptions}.
 * @returns The first `nOut` DCT coefficients.
 *
 * @example
 * ```ts
 * dct(new Float64Array([1, 1, 1, 1]));  // [2, 0, 0, 0]
 * ```
 */
export function dct(x: ArrayLike<number>, options: DctOptions = {}): Float64Array {
  checkKnownOptions('dct', options, ['nOut', 'dctNorm']);
  const n = x.length;
  if (n === 0) throw invalid('dct', 'the input vector is empty.');
  const nOut = checkInt('dct', 'nOut', options.nOut ?? n, 1);
  if (nOut > n) throw invalid('dct', `'nOut' (${nOut}) must be ≤ the input length (${n}).`);
  const norm = options.dctNorm === undefined ? 'ortho' : options.dctNorm;
  checkOneOf('dct', 'dctNorm', norm, ['ortho', null]);
  for (let j = 0; j < n; j++) checkNumber('dct', `x[${j}]`, x[j]);
  const m = dctMatrix(n, nOut, norm, 0);
  const out = new Float64Array(nOut);
  for (let k = 0; k < nOut; k++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += m[k * n + j] * x[j];
    out[k] = acc;
  }
  return out;
}
