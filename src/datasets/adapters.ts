import type { Emotion } from './labels.js';
import { EMOTIONS, normaliseLabel } from './labels.js';
import type { DatasetName, LabelledItem } from './types.js';

/** Result of parsing one path: an item, or the reason it cannot be one. */
export type ParseResult =
  | {
      /** The labelled item (its `path` is the relative path given). */
      item: LabelledItem;
    }
  | {
      /** Why the path is not an item of this dataset. */
      skip: string;
    };

/**
 * A filename convention. `parse` receives the path relative to the dataset root, with `/`
 * separators.
 */
export interface DatasetAdapter {
  /** The dataset's name. */
  name: DatasetName;
  /** One line on the naming it reads. */
  describe: string;
  /** Labels one path (relative to the dataset root, `/`-separated) from its name alone. */
  parse(relPath: string, options?: { includeSong?: boolean }): ParseResult;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const stem = (p: string) => base(p).replace(/\.[^.]+$/, '');
const parts = (p: string) => p.split('/').filter(Boolean);

const RAVDESS_STATEMENTS = ['Kids are talking by the door', 'Dogs are sitting by the door'];

/** RAVDESS `MM-VV-EE-II-SS-RR-AA.wav` (Livingstone & Russo, 2018). Speech only unless `includeSong`. */
export const ravdess: DatasetAdapter = {
  name: 'ravdess',
  describe:
    'RAVDESS: MM-VV-EE-II-SS-RR-AA.wav (modality, vocal channel, emotion, intensity, statement, repetition, actor)',
  parse(relPath, options = {}) {
    const m = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/.exec(stem(relPath));
    if (!m) return { skip: 'not a RAVDESS file name (MM-VV-EE-II-SS-RR-AA.wav)' };
    const [modality, channel, emotion, intensity, statement, repetition, actor] = m.slice(1).map(Number);
    // RAVDESS codes 01–08 are the shared vocabulary, in order.
    const label = EMOTIONS[emotion - 1];
    if (!label) return { skip: `unknown RAVDESS emotion code ${m[3]}` };
    if (channel !== 1 && channel !== 2) return { skip: `unknown RAVDESS vocal channel ${m[2]}` };
    if (channel === 2 && !options.includeSong)
      return { skip: 'RAVDESS song (vocal channel 02); speech only by default' };
    return {
      item: {
        path: relPath,
        dataset: 'ravdess',
        label,
        speaker: m[7],
        gender: actor % 2 === 1 ? 'male' : 'female',
        meta: {
          modality:
            ({ 1: 'audio-video', 2: 'video-only', 3: 'audio-only' } as Record<number, string>)[modality] ??
            m[1],
          vocalChannel: channel === 1 ? 'speech' : 'song',
          intensity: intensity === 2 ? 'strong' : 'normal',
          statement: RAVDESS_STATEMENTS[statement - 1] ?? m[5],
          repetition,
          actor,
        },
      },
    };
  },
};

const SAVEE_CODES: Record<string, Emotion> = {
  a: 'angry',
  d: 'disgust',
  f: 'fearful',
  h: 'happy',
  n: 'neutral',
  sa: 'sad',
  su: 'surprised',
};

/** SAVEE, flat `DC_a01.wav` or original `AudioData/DC/a01.wav` (Haq & Jackson, 2009). All male. */
export const savee: DatasetAdapter = {
  name: 'savee',
  describe: 'SAVEE: DC_a01.wav, or AudioData/DC/a01.wav (speaker, emotion a/d/f/h/n/sa/su, sentence)',
  parse(relPath) {
    let speaker: string;
    let code: string;
    let sentence: string;
    const flat = /^([A-Z]{2})_(a|d|f|h|n|sa|su)(\d{2})$/.exec(stem(relPath));
    const nested = /^(a|d|f|h|n|sa|su)(\d{2})$/.exec(stem(relPath));
    const dir = parts(relPath).at(-2) ?? '';
    if (flat) [, speaker, code, sentence] = flat;
    else if (nested && /^[A-Z]{2}$/.test(dir)) {
      speaker = dir;
      [, code, sentence] = nested;
    } else return { skip: 'not a SAVEE file name (DC_a01.wav or DC/a01.wav)' };
    return {
      item: {
        path: relPath,
        dataset: 'savee',
        label: SAVEE_CODES[code],
        speaker,
        gender: 'male',
        meta: { sentence: Number(sentence) },
      },
    };
  },
};

/** TESS `OAF_back_angry.wav` / `YAF_…` (Pichora-Fuller & Dupuis, 2020). Two female speakers. */
export const tess: DatasetAdapter = {
  name: 'tess',
  describe: 'TESS: OAF_back_angry.wav (speaker OAF/YAF, word, emotion)',
  parse(relPath) {
    const m = /^(OAF|YAF)_([A-Za-z]+)_([A-Za-z_]+)$/i.exec(stem(relPath));
    if (!m) return { skip: 'not a TESS file name (OAF_word_emotion.wav)' };
    const label = normaliseLabel(m[3]);
    if (!label) return { skip: `TESS emotion '${m[3]}' has no counterpart in the vocabulary` };
    return {
      item: {
        path: relPath,
        dataset: 'tess',
        label,
        speaker: m[1].toUpperCase(),
        gender: 'female',
        meta: { word: m[2].toLowerCase() },
      },
    };
  },
};

const CREMA_CODES: Record<string, Emotion> = {
  ANG: 'angry',
  DIS: 'disgust',
  FEA: 'fearful',
  HAP: 'happy',
  NEU: 'neutral',
  SAD: 'sad',
};

/** CREMA-D `1001_DFA_ANG_XX.wav` (Cao et al., 2014). Gender is in a separate CSV, so it is left unset. */
export const cremaD: DatasetAdapter = {
  name: 'crema-d',
  describe: 'CREMA-D: 1001_DFA_ANG_XX.wav (actor, sentence, emotion, level)',
  parse(relPath) {
    const m = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$/.exec(stem(relPath));
    if (!m) return { skip: 'not a CREMA-D file name (1001_DFA_ANG_XX.wav)' };
    const label = CREMA_CODES[m[3]];
    if (!label) return { skip: `unknown CREMA-D emotion code ${m[3]}` };
    const level =
      ({ LO: 'low', MD: 'medium', HI: 'high', XX: 'unspecified' } as Record<string, string>)[m[4]] ?? m[4];
    return {
      item: { path: relPath, dataset: 'crema-d', label, speaker: m[1], meta: { sentence: m[2], level } },
    };
  },
};

const EMODB_CODES: Record<string, Emotion | null> = {
  W: 'angry',
  L: null,
  E: 'disgust',
  A: 'fearful',
  F: 'happy',
  T: 'sad',
  N: 'neutral',
};
const EMODB_FEMALE = new Set(['08', '09', '13', '14', '16']);

/** Berlin EmoDB `03a01Fa.wav` (Burkhardt et al., 2005). Boredom (L) has no counterpart and is skipped. */
export const emodb: DatasetAdapter = {
  name: 'emodb',
  describe: 'EmoDB: 03a01Fa.wav (speaker, text, emotion W/L/E/A/F/T/N, version)',
  parse(relPath) {
    const m = /^(\d{2})([ab]\d{2})([WLEAFTN])([a-z])$/.exec(stem(relPath));
    if (!m) return { skip: 'not an EmoDB file name (03a01Fa.wav)' };
    const label = EMODB_CODES[m[3]];
    if (!label) return { skip: 'EmoDB boredom (L) has no counterpart in the vocabulary' };
    return {
      item: {
        path: relPath,
        dataset: 'emodb',
        label,
        speaker: m[1],
        gender: EMODB_FEMALE.has(m[1]) ? 'female' : 'male',
        meta: { text: m[2], version: m[4] },
      },
    };
  },
};

/** `<root>/<label>/<file>.wav`: the folder name is the label; speakers are unknown. */
export const folders: DatasetAdapter = {
  name: 'folders',
  describe: 'folder per label: <label>/<file>.wav',
  parse(relPath) {
    const p = parts(relPath);
    if (p.length < 2) return { skip: 'not inside a label folder' };
    const folder = p[p.length - 2];
    const label = normaliseLabel(folder);
    if (!label) return { skip: `folder '${folder}' is not an emotion label` };
    return { item: { path: relPath, dataset: 'folders', label, speaker: 'unknown', meta: {} } };
  },
};

/** Every file-name adapter, in the order auto-detection tries them. */
export const ADAPTERS: readonly DatasetAdapter[] = [ravdess, savee, tess, cremaD, emodb, folders];
