// A detector of audio unlike a model's training recordings (issue #11): on the first member's
// embedding (its classifier's input), one mean per emotion and one shared covariance, fitted on the
// clean training recordings; a clip's distance is its smallest Mahalanobis distance to a mean, in
// units of the median of the training recordings' own distances. The measurements behind it are in
// docs/recipes/results/README.md ("A detector of unfamiliar audio on the network's own embedding").
import { SpeechEmotionError } from '../errors.js';

/** How far the shared covariance is shrunk toward its mean variance (as measured: 10%). */
export const FAMILIARITY_SHRINKAGE = 0.1;

/**
 * The default threshold: the 95th percentile of held-out speakers' distances (`calibrate --across`).
 * At the 90th, one in ten clips of unseen speakers of the training corpora was flagged and their
 * calibration error rose from 3.8% to 7.0%; at the 95th it rises by about a point (4.0% → 5.1% for
 * the bundled model) while the other corpus's falls by 7–25 points.
 */
export const UNFAMILIAR_QUANTILE = 0.95;

/**
 * What a model stores to tell how familiar a recording is (`EmotionModel.fitFamiliarity` fits it):
 * the whitened class means and the Cholesky factor of the shared covariance of its first member's
 * embeddings, as float32 (little-endian, base64).
 */
export interface Familiarity {
  /** Size of the embedding: the input of the first member's classifier. */
  dimension: number;
  /** How many class means. */
  classes: number;
  /** The median of the training recordings' own distances; distances are given in units of it. */
  scale: number;
  /** Shrinkage of the covariance toward its mean variance. */
  shrinkage: number;
  /** How many recordings it was fitted on. */
  recordings: number;
  /** The lower triangle of the Cholesky factor L, row by row: dimension·(dimension+1)/2 values. */
  factor: string;
  /** The class means, whitened (L⁻¹μ), one after another: classes·dimension values. */
  means: string;
}

/** A {@link Familiarity} decoded for use. @internal */
export interface FamiliarityTables {
  dimension: number;
  classes: number;
  scale: number;
  factor: Float32Array;
  means: Float32Array;
}

function toBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): Float32Array {
  const binary = atob(text);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** y = L⁻¹e: forward substitution over the packed factor (row a starts at a·(a+1)/2). */
function whiten(factor: Float32Array, d: number, e: ArrayLike<number>, y: Float64Array): void {
  for (let a = 0, row = 0; a < d; row += ++a) {
    let s = e[a];
    for (let k = 0; k < a; k++) s -= factor[row + k] * y[k];
    y[a] = s / factor[row + a];
  }
}

/** Squared distance of L⁻¹e to its nearest whitened mean. */
function nearestSquared(t: FamiliarityTables, e: ArrayLike<number>, y: Float64Array): number {
  const d = t.dimension;
  whiten(t.factor, d, e, y);
  let best = Number.POSITIVE_INFINITY;
  for (let c = 0; c < t.classes; c++) {
    let q = 0;
    for (let a = 0; a < d; a++) {
      const v = y[a] - t.means[c * d + a];
      q += v * v;
    }
    best = Math.min(best, q);
  }
  return best;
}

/**
 * Each embedding's distance to the nearest class, in units of the training recordings' median
 * distance (1 is a typical training recording). @internal
 */
export function familiarityDistances(t: FamiliarityTables, embeddings: ArrayLike<number>[]): number[] {
  const y = new Float64Array(t.dimension);
  return embeddings.map((e) => {
    if (e.length !== t.dimension)
      throw new SpeechEmotionError(
        'INVALID_MODEL',
        `the familiarity detector takes embeddings of ${t.dimension} values, the network gives ${e.length}.`,
      );
    return Math.sqrt(nearestSquared(t, e, y)) / t.scale;
  });
}

/** Class means and the shrunk shared covariance (lower triangle, row-major d × d) in float64. */
function moments(embeddings: ArrayLike<number>[], classes: number[], d: number, shrinkage: number) {
  const kinds = [...new Set(classes)];
  const means = kinds.map((k) => {
    const m = new Float64Array(d);
    const own = embeddings.filter((_, i) => classes[i] === k);
    for (const e of own) for (let j = 0; j < d; j++) m[j] += e[j] / own.length;
    return m;
  });
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const [i, e] of embeddings.entries()) {
    const m = means[kinds.indexOf(classes[i])];
    for (let j = 0; j < d; j++) c[j] = e[j] - m[j];
    for (let a = 0; a < d; a++)
      for (let b = 0; b <= a; b++) cov[a * d + b] += (c[a] * c[b]) / embeddings.length;
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a];
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) cov[a * d + b] *= 1 - shrinkage;
    cov[a * d + a] += (shrinkage * trace) / d;
  }
  return { means, cov, trace };
}

/** The packed lower Cholesky factor of a (lower-triangle, row-major) covariance, or null if not positive definite. */
function cholesky(cov: Float64Array, d: number): Float64Array | null {
  const L = new Float64Array(d * d);
  for (let a = 0; a < d; a++)
    for (let b = 0; b <= a; b++) {
      let s = cov[a * d + b];
      for (let k = 0; k < b; k++) s -= L[a * d + k] * L[b * d + k];
      if (a === b && !(s > 0)) return null;
      L[a * d + b] = a === b ? Math.sqrt(s) : s / L[b * d + b];
    }
  const packed = new Float64Array((d * (d + 1)) / 2);
  for (let a = 0, at = 0; a < d; a++) for (let b = 0; b <= a; b++) packed[at++] = L[a * d + b];
  return packed;
}

/**
 * Fits the detector on the embeddings of a model's clean training recordings and their classes
 * (indices): means per class, the shared covariance shrunk by `shrinkage` toward its mean variance
 * (Ledoit–Wolf style; 256 dimensions from about a thousand recordings need it), its Cholesky factor,
 * and the median of the recordings' own distances. @internal
 */
export function fitFamiliarityTables(
  embeddings: ArrayLike<number>[],
  classes: number[],
  shrinkage = FAMILIARITY_SHRINKAGE,
): { familiarity: Familiarity; tables: FamiliarityTables } {
  const fn = 'EmotionModel.fitFamiliarity';
  const d = embeddings[0]?.length ?? 0;
  if (embeddings.length < 2 || d === 0 || embeddings.length !== classes.length)
    throw new SpeechEmotionError('INVALID_OPTION', `${fn}: give at least two labelled recordings.`);
  if (!(shrinkage > 0 && shrinkage < 1))
    throw new SpeechEmotionError('INVALID_OPTION', `${fn}: shrinkage must be in (0, 1), got ${shrinkage}.`);
  const { means, cov, trace } = moments(embeddings, classes, d, shrinkage);
  const L = trace > 0 && Number.isFinite(trace) ? cholesky(cov, d) : null;
  if (!L)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: the recordings' embeddings do not vary (or are not finite): nothing to measure distances against.`,
    );
  const factor = Float32Array.from(L);
  // Whitened means, solved against the float32 factor that is stored, so that stored and fitted agree.
  const whitened = new Float32Array(means.length * d);
  const y = new Float64Array(d);
  for (const [c, m] of means.entries()) {
    whiten(factor, d, m, y);
    whitened.set(y, c * d);
  }
  const tables = { dimension: d, classes: means.length, scale: 1, factor, means: whitened };
  const own = familiarityDistances(tables, embeddings).sort((a, b) => a - b);
  tables.scale = own[own.length >> 1];
  return {
    familiarity: {
      dimension: d,
      classes: tables.classes,
      scale: tables.scale,
      shrinkage,
      recordings: embeddings.length,
      factor: toBase64(tables.factor),
      means: toBase64(tables.means),
    },
    tables,
  };
}

/** Checks a stored detector and decodes it (INVALID_MODEL when it does not hold together). @internal */
export function familiarityTables(fn: string, f: unknown): FamiliarityTables {
  const v = f as Familiarity;
  const fail = (why: string) =>
    new SpeechEmotionError('INVALID_MODEL', `${fn}: the model's familiarity detector is damaged: ${why}.`);
  if (typeof v !== 'object' || v === null) throw fail('not an object');
  const { dimension: d, classes: k } = v;
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(k) || k < 1) throw fail('bad sizes');
  if (!(v.scale > 0 && Number.isFinite(v.scale))) throw fail('bad scale');
  if (typeof v.factor !== 'string' || typeof v.means !== 'string') throw fail('no factor or means');
  let factor: Float32Array;
  let means: Float32Array;
  try {
    factor = fromBase64(v.factor);
    means = fromBase64(v.means);
  } catch {
    throw fail('the factor or the means are not base64');
  }
  if (factor.length !== (d * (d + 1)) / 2 || means.length !== k * d) throw fail('wrong lengths');
  if (!factor.every(Number.isFinite) || !means.every(Number.isFinite)) throw fail('values not finite');
  for (let a = 0, row = 0; a < d; row += ++a) if (!(factor[row + a] > 0)) throw fail('a zero pivot');
  return { dimension: d, classes: k, scale: v.scale, factor, means };
}

/**
 * The `p`-quantile of some values, as the measurements took it: the value at index ⌊p·n⌋ of the
 * sorted values (the largest for p = 1). @internal
 */
export function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
