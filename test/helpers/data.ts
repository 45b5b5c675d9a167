import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The datasets folder: $SPEECH_EMOTION_DATA, else ../shared/datasets beside the repo. */
export const DATA_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');
/** The librosa reference outputs: $SPEECH_EMOTION_PARITY, else `parity` beside the datasets folder. */
export const PARITY_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_PARITY ?? join(DATA_DIR, '..', 'parity'));

export const HAS_DATA = existsSync(join(DATA_DIR, 'ravdess'));
export const HAS_PARITY = existsSync(PARITY_DIR);

/** The reason printed by tests that skip without the shared data. */
export const NO_DATA_REASON = `dataset not found at ${DATA_DIR}; set SPEECH_EMOTION_DATA to the folder holding ravdess/ and savee/ to run these tests`;

if (!HAS_DATA) console.warn(`[speech-emotion tests] skipping data-backed tests: ${NO_DATA_REASON}`);
