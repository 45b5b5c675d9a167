import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The datasets folder: $SPEECH_EMOTION_DATA, else ../shared/datasets beside the repo. */
export const DATA_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');
/** The librosa reference outputs: $SPEECH_EMOTION_PARITY, else `parity` beside the datasets folder. */
export const PARITY_DIR = resolve(ROOT, process.env.SPEECH_EMOTION_PARITY ?? join(DATA_DIR, '..', 'parity'));
/** The standard speaker folds: `splits/dev-folds.json` beside the datasets folder. */
export const FOLDS_FILE = resolve(DATA_DIR, '..', 'splits', 'dev-folds.json');

/**
 * The untouched originals (`originals/` in the datasets folder) with the 16 kHz dataset copy each
 * was converted into (by sox, very high quality), as paths relative to {@link DATA_DIR}.
 */
export const ORIGINALS: readonly (readonly [original: string, copy: string])[] = [
  ['originals/ravdess-48k-stereo-03-01-02-01-01-02-01.wav', 'ravdess/Actor_01/03-01-02-01-01-02-01.wav'],
  ['originals/ravdess-48k-mono-03-01-05-02-01-01-02.wav', 'ravdess/Actor_02/03-01-05-02-01-01-02.wav'],
  ['originals/savee-44k-JE_sa01.wav', 'savee/JE_sa01.wav'],
];

/** What a test can need beyond the repository itself, each with how to provide it. */
const NEEDS = {
  ravdess: [join(DATA_DIR, 'ravdess'), 'set SPEECH_EMOTION_DATA to the folder holding ravdess/'],
  savee: [join(DATA_DIR, 'savee'), 'set SPEECH_EMOTION_DATA to the folder holding savee/'],
  originals: [ORIGINALS.map(([o]) => join(DATA_DIR, o)), 'the datasets folder ships them under originals/'],
  folds: [FOLDS_FILE, 'the standard folds sit in splits/ beside the datasets folder'],
  parity: [PARITY_DIR, 'set SPEECH_EMOTION_PARITY to the librosa reference outputs'],
  dist: [join(ROOT, 'dist', 'node.js'), 'run npm run build (npm test builds it first)'],
  cli: [join(ROOT, 'dist', 'cli.js'), 'run npm run build (npm test builds it first)'],
  model: [
    join(ROOT, 'models', 'default', 'model.json'),
    'the bundled model is committed under models/default',
  ],
} satisfies Record<string, [string | string[], string]>;

export type Need = keyof typeof NEEDS;

/**
 * Why a test that needs these inputs cannot run here, naming each missing path and how to provide
 * it; `undefined` when all are present. Use it with `skipIf` and put {@link skipNote} in the title,
 * so a skip always says why.
 */
export function missing(...needs: Need[]): string | undefined {
  const reasons: string[] = [];
  for (const need of needs) {
    const [paths, hint] = NEEDS[need];
    const absent = (Array.isArray(paths) ? paths : [paths]).filter((p) => !existsSync(p));
    if (absent.length > 0) reasons.push(`${need} not found at ${absent.join(', ')} (${hint})`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** ` [skipped: reason]` for a test title, or nothing when the test runs. */
export function skipNote(reason: string | undefined): string {
  return reason ? ` [skipped: ${reason}]` : '';
}

/** True when RAVDESS is present (kept for tests that need only it). */
export const HAS_DATA = missing('ravdess') === undefined;

/** The reason printed by tests that skip without the shared data. */
export const NO_DATA_REASON = missing('ravdess') ?? '';

if (!HAS_DATA) console.warn(`[speech-emotion tests] skipping data-backed tests: ${NO_DATA_REASON}`);
