import type { LabelledItem } from '../datasets/types.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import { type FeatureSpec, defineFeatureSpec, featureSpecHash } from './spec.js';

const MAGIC = 'SEFEAT01';

/** One row of a feature file: the labelled item and its features. */
export interface FeatureRow extends Omit<LabelledItem, 'meta'> {
  /** The item's features: frames × columns (one frame for statistics). */
  features: FeatureMatrix;
}

/** A whole feature set, as written by `speech-emotion extract` to a `.sef` file. */
export interface FeatureSet {
  /** How the features were made. */
  spec: FeatureSpec;
  /** {@link featureSpecHash} of `spec`. */
  specHash: string;
  /** Names of the features of one frame. */
  columns: string[];
  /** One row per recording, in extraction order. */
  rows: FeatureRow[];
}

interface Header {
  format: string;
  spec: FeatureSpec;
  specHash: string;
  columns: string[];
  rows: (Omit<FeatureRow, 'features'> & { frames: number })[];
}

/**
 * Encodes a feature set in the compact binary `.sef` format: `SEFEAT01`, a little-endian uint32
 * header length, a UTF-8 JSON header (spec, columns, rows with their frame counts), zero padding to
 * a multiple of 4, then every row's float32 values (little-endian), frame-major, in row order.
 * Variable-length series fit, unlike CSV.
 */
export function encodeFeatureSet(set: FeatureSet): Uint8Array {
  const header: Header = {
    format: MAGIC,
    spec: set.spec,
    specHash: set.specHash,
    columns: set.columns,
    rows: set.rows.map(({ features, ...r }) => ({ ...r, frames: features.frames })),
  };
  for (const r of set.rows) {
    if (r.features.features !== set.columns.length) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `encodeFeatureSet: ${r.path} has ${r.features.features} features per frame, not ${set.columns.length}.`,
      );
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const values = set.rows.reduce((a, r) => a + r.features.data.length, 0);
  const out = new Uint8Array(start + 4 * values);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let at = start;
  for (const r of set.rows) {
    const d = r.features.data;
    for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i], true);
  }
  return out;
}

/**
 * Reads a `.sef` feature file (see {@link encodeFeatureSet}).
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` for bytes that are not a complete feature file.
 */
export function decodeFeatureSet(bytes: Uint8Array): FeatureSet {
  const bad = (why: string) => new SpeechEmotionError('INVALID_OPTION', `decodeFeatureSet: ${why}`);
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC)
    throw bad('not a speech-emotion feature file (.sef).');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(8, true);
  if (12 + len > bytes.length) throw bad('the file is truncated inside its header.');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  } catch {
    throw bad('the header is not valid JSON; the file is corrupt.');
  }
  const spec = defineFeatureSpec(header.spec);
  const width = header.columns.length;
  let at = Math.ceil((12 + len) / 4) * 4;
  const rows: FeatureRow[] = header.rows.map(({ frames, ...r }) => {
    const n = frames * width;
    if (at + 4 * n > bytes.length) throw bad(`the file is truncated (row ${r.path}).`);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++, at += 4) data[i] = view.getFloat32(at, true);
    return { ...r, features: { data, frames, features: width } };
  });
  if (featureSpecHash(spec) !== header.specHash)
    throw bad('the spec hash does not match the spec; the file is corrupt.');
  return { spec, specHash: header.specHash, columns: header.columns, rows };
}
