import type { Emotion } from './labels.js';

/** Dataset adapters: the naming scheme a folder follows. */
export type DatasetName = 'ravdess' | 'savee' | 'tess' | 'crema-d' | 'emodb' | 'folders' | 'manifest';

/** One labelled recording. */
export interface LabelledItem {
  /** File path, as found (absolute when the scan was given an absolute folder). */
  path: string;
  /** The adapter that labelled it. */
  dataset: DatasetName;
  /** The emotion, in the shared vocabulary. */
  label: Emotion;
  /** Speaker id within the dataset (`'01'` for RAVDESS actor 1, `'DC'` for SAVEE…); `'unknown'` when the naming does not say. */
  speaker: string;
  /** Speaker gender, when the dataset documents it. */
  gender?: 'male' | 'female';
  /** Every other field the file name encodes (intensity, sentence, repetition…). */
  meta: Record<string, string | number>;
}

/** A file an adapter could not label, and why. */
export interface SkippedFile {
  /** The file. */
  path: string;
  /** Why it was not labelled. */
  reason: string;
}
