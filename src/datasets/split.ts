import { SpeechEmotionError } from '../errors.js';
import type { LabelledItem } from './types.js';

/** Deterministic PRNG (mulberry32), so splits depend only on the seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const a = xs.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The key that identifies a speaker across datasets: `dataset:speaker`. */
export const speakerKey = (item: Pick<LabelledItem, 'dataset' | 'speaker'>) =>
  `${item.dataset}:${item.speaker}`;

/** Train/validation/test parts, plus which speakers went where. */
export interface Split {
  /** Items to train on. */
  train: LabelledItem[];
  /** Items for model selection (early stopping, hyper-parameters). */
  validation: LabelledItem[];
  /** Items for the final figures only. */
  test: LabelledItem[];
  /** Speaker keys (`dataset:speaker`) in each part. In a random split a speaker can be in several. */
  speakers: SplitSpeakers;
}

/** Which speakers (`dataset:speaker`) are in each part of a {@link Split}. */
export interface SplitSpeakers {
  /** Speakers of the training part. */
  train: string[];
  /** Speakers of the validation part. */
  validation: string[];
  /** Speakers of the test part. */
  test: string[];
}

/** Options of {@link stratifiedSplit} and {@link speakerSplit}. */
export interface SplitOptions {
  /** Fraction of items (or of speakers' items) for the test part. Default 0.2. */
  test?: number;
  /** Fraction for the validation part. Default 0.1. */
  validation?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
}

function fractions(fn: string, o: SplitOptions) {
  const test = o.test ?? 0.2;
  const validation = o.validation ?? 0.1;
  if (!(test >= 0 && validation >= 0 && test + validation < 1)) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: test (${test}) and validation (${validation}) must be ≥ 0 and sum to less than 1.`,
    );
  }
  return { test, validation, seed: o.seed ?? 0 };
}

function finish(train: LabelledItem[], validation: LabelledItem[], test: LabelledItem[]): Split {
  const keys = (xs: LabelledItem[]) => [...new Set(xs.map(speakerKey))].sort();
  return {
    train,
    validation,
    test,
    speakers: { train: keys(train), validation: keys(validation), test: keys(test) },
  };
}

/**
 * A random split, stratified by label, deterministic from the seed. Speakers appear in several
 * parts, so accuracy measured on it is **not** speaker-independent; prefer {@link speakerSplit}.
 *
 * @example
 * ```ts
 * const { train, validation, test } = stratifiedSplit(items, { test: 0.2, validation: 0.1, seed: 1 });
 * ```
 */
export function stratifiedSplit(items: readonly LabelledItem[], options: SplitOptions = {}): Split {
  const { test, validation, seed } = fractions('stratifiedSplit', options);
  const random = rng(seed);
  const byLabel = new Map<string, LabelledItem[]>();
  for (const it of items) byLabel.set(it.label, [...(byLabel.get(it.label) ?? []), it]);
  const parts: [LabelledItem[], LabelledItem[], LabelledItem[]] = [[], [], []];
  for (const label of [...byLabel.keys()].sort()) {
    const xs = shuffled(byLabel.get(label)!, random);
    const nTest = Math.round(xs.length * test);
    const nVal = Math.round(xs.length * validation);
    parts[2].push(...xs.slice(0, nTest));
    parts[1].push(...xs.slice(nTest, nTest + nVal));
    parts[0].push(...xs.slice(nTest + nVal));
  }
  return finish(...parts);
}

/** Options of {@link speakerSplit}. */
export interface SpeakerSplitOptions extends SplitOptions {
  /** Speakers for the test part, as `speaker` or `dataset:speaker`; overrides the `test` fraction. */
  testSpeakers?: string[];
  /** Speakers for the validation part; overrides the `validation` fraction. */
  validationSpeakers?: string[];
}

function matches(item: LabelledItem, ids: readonly string[]): boolean {
  return ids.includes(item.speaker) || ids.includes(speakerKey(item));
}

/**
 * A speaker-independent split (leave speakers out): every speaker's items go to exactly one part.
 * Speakers are named explicitly, or drawn at random (from the seed) until each part holds about its
 * fraction of the items.
 *
 * @throws {@link SpeechEmotionError} when the items have no speaker ids (`'unknown'`) or too few
 * speakers, or when a named speaker does not exist.
 *
 * @example
 * ```ts
 * const s = speakerSplit(items, { testSpeakers: ['05', '06'], validation: 0.1, seed: 1 });
 * s.speakers.test;  // ['ravdess:05', 'ravdess:06']
 * ```
 */
export function speakerSplit(items: readonly LabelledItem[], options: SpeakerSplitOptions = {}): Split {
  const { test, validation, seed } = fractions('speakerSplit', options);
  if (items.some((it) => it.speaker === 'unknown')) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'speakerSplit: some items have no speaker id (folder-per-label data). Add a speaker column with a CSV manifest, or use stratifiedSplit (not speaker-independent).',
    );
  }
  const all = [...new Set(items.map(speakerKey))].sort();
  for (const ids of [options.testSpeakers, options.validationSpeakers]) {
    for (const id of ids ?? []) {
      if (!items.some((it) => matches(it, [id]))) {
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `speakerSplit: no items from speaker '${id}'. Speakers: ${all.join(', ')}.`,
        );
      }
    }
  }
  const count = new Map<string, number>();
  for (const it of items) count.set(speakerKey(it), (count.get(speakerKey(it)) ?? 0) + 1);
  const fixedTest = new Set(
    all.filter((k) => options.testSpeakers?.some((id) => id === k || id === k.split(':')[1])),
  );
  const fixedVal = new Set(
    all.filter((k) => options.validationSpeakers?.some((id) => id === k || id === k.split(':')[1])),
  );
  const pool = shuffled(
    all.filter((k) => !fixedTest.has(k) && !fixedVal.has(k)),
    rng(seed),
  );
  const take = (target: number, into: Set<string>) => {
    let have = 0;
    while (have < target && pool.length > 1) {
      const k = pool.pop()!;
      into.add(k);
      have += count.get(k)!;
    }
  };
  if (!options.testSpeakers) take(test * items.length, fixedTest);
  if (!options.validationSpeakers) take(validation * items.length, fixedVal);
  if (pool.length === 0) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `speakerSplit: no speaker left for training among ${all.length}. Use fewer test/validation speakers.`,
    );
  }
  const part = (keys: Set<string>) => items.filter((it) => keys.has(speakerKey(it)));
  const trainKeys = new Set(pool);
  return finish(part(trainKeys), part(fixedVal), part(fixedTest));
}

/** One cross-validation fold. */
export interface Fold {
  /** `fold1`…, or `dataset/foldN` for predefined folds. */
  name: string;
  /** Items of every other speaker. */
  train: LabelledItem[];
  /** Items of this fold's speakers. */
  test: LabelledItem[];
  /** Speaker keys held out in this fold. */
  testSpeakers: string[];
}

/**
 * Group k-fold by speaker: speakers are dealt into `k` folds of about equal item counts
 * (largest speaker first, seeded tie-breaks); each fold tests on its speakers and trains on the rest.
 *
 * @example
 * ```ts
 * for (const fold of groupKFold(items, { k: 5, seed: 0 })) train(fold.train), evaluate(fold.test);
 * ```
 */
export function groupKFold(items: readonly LabelledItem[], options: { k: number; seed?: number }): Fold[] {
  const k = options.k;
  const speakers = shuffled([...new Set(items.map(speakerKey))].sort(), rng(options.seed ?? 0));
  if (!Number.isInteger(k) || k < 2 || k > speakers.length) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `groupKFold: k must be an integer from 2 to the number of speakers (${speakers.length}), got ${k}.`,
    );
  }
  const count = new Map<string, number>();
  for (const it of items) count.set(speakerKey(it), (count.get(speakerKey(it)) ?? 0) + 1);
  speakers.sort((a, b) => count.get(b)! - count.get(a)!); // stable: seeded order breaks ties
  const groups: string[][] = Array.from({ length: k }, () => []);
  const sizes = new Array<number>(k).fill(0);
  for (const s of speakers) {
    const g = sizes.indexOf(Math.min(...sizes));
    groups[g].push(s);
    sizes[g] += count.get(s)!;
  }
  return groups.map((g, i) => foldOf(items, `fold${i + 1}`, new Set(g)));
}

function foldOf(items: readonly LabelledItem[], name: string, test: Set<string>): Fold {
  return {
    name,
    train: items.filter((it) => !test.has(speakerKey(it))),
    test: items.filter((it) => test.has(speakerKey(it))),
    testSpeakers: [...test].sort(),
  };
}

/**
 * Folds given by name, in the format of the project's standard `dev-folds.json`:
 * `{ ravdess: { fold1: ['01', '02'], … }, savee: { fold1: ['DC'], … } }`. Each dataset's folds are
 * evaluated on that dataset's items, training on its other speakers.
 *
 * @returns One fold per (dataset, fold name), named `dataset/foldN`.
 */
export function predefinedFolds(
  items: readonly LabelledItem[],
  spec: Record<string, Record<string, string[]> | string>,
): Fold[] {
  const folds: Fold[] = [];
  for (const [dataset, byFold] of Object.entries(spec)) {
    if (typeof byFold !== 'object' || byFold === null) continue; // e.g. a "description" field
    const own = items.filter((it) => it.dataset === dataset);
    for (const [name, speakers] of Object.entries(byFold)) {
      const keys = new Set(speakers.map((s) => `${dataset}:${s}`));
      const fold = foldOf(own, `${dataset}/${name}`, keys);
      if (fold.test.length === 0) {
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `predefinedFolds: fold ${dataset}/${name} matches no items (speakers ${speakers.join(', ')}).`,
        );
      }
      folds.push(fold);
    }
  }
  return folds;
}

/**
 * Speaker folds shared across datasets, from a folds file in the format of `dev-folds.json`
 * (`{ ravdess: { fold1: ['01', …], … }, savee: { fold1: ['DC'], … } }`): fold `foldN` holds out
 * every dataset's speakers listed under `foldN` at once and trains on all other items, of every
 * dataset. This is how the bundled model is cross-validated. Keys whose value is not an object (a
 * `description`) are ignored; items of datasets the file does not name are always trained on.
 *
 * A file with one fold (say fold 1 only) screens a recipe on that fold.
 *
 * @returns One fold per fold name, in the file's order, named as in the file.
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` when the file is malformed or a fold matches
 * no items.
 */
export function speakerFolds(
  items: readonly LabelledItem[],
  spec: Record<string, Record<string, string[]> | string>,
): Fold[] {
  const fn = 'speakerFolds';
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: a folds file holds { dataset: { foldName: [speakers] } }.`,
    );
  const held = new Map<string, Set<string>>(); // fold name → speaker keys
  for (const [dataset, byFold] of Object.entries(spec)) {
    if (typeof byFold !== 'object' || byFold === null) continue;
    for (const [name, speakers] of Object.entries(byFold)) {
      if (!Array.isArray(speakers) || speakers.some((x) => typeof x !== 'string'))
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `${fn}: ${dataset}.${name} must list speakers as strings.`,
        );
      const keys = held.get(name) ?? new Set<string>();
      for (const x of speakers) keys.add(`${dataset}:${x}`);
      held.set(name, keys);
    }
  }
  if (held.size === 0)
    throw new SpeechEmotionError('INVALID_OPTION', `${fn}: the folds file names no folds.`);
  return [...held].map(([name, keys]) => {
    const fold = foldOf(items, name, keys);
    if (fold.test.length === 0)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: fold ${name} matches no items (speakers ${[...keys].join(', ')}).`,
      );
    // Only the speakers actually present, so reports name who was tested.
    fold.testSpeakers = [...new Set(fold.test.map(speakerKey))].sort();
    return fold;
  });
}

/**
 * Leave-one-corpus-out folds: for each dataset among the items, train on every other dataset and
 * test on all of this one (other studios, microphones, speakers and sentences at once), the
 * protocol that best predicts how a model does on a corpus it never heard. Score such a fold on
 * the emotions both sides carry ({@link sharedLabels}).
 *
 * @returns One fold per dataset, named `corpus/<dataset>`.
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` when the items come from fewer than two datasets.
 *
 * @example
 * ```ts
 * const [toSavee, toRavdess] = corpusFolds([...ravdess.items, ...savee.items]);
 * ```
 */
export function corpusFolds(items: readonly LabelledItem[]): Fold[] {
  const datasets = [...new Set(items.map((it) => it.dataset))].sort();
  if (datasets.length < 2) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `corpusFolds: leave-one-corpus-out needs recordings from at least two datasets, got ${datasets.join(', ') || 'none'}.`,
    );
  }
  return datasets.map((d) => {
    const test = items.filter((it) => it.dataset === d);
    return {
      name: `corpus/${d}`,
      train: items.filter((it) => it.dataset !== d),
      test,
      testSpeakers: [...new Set(test.map(speakerKey))].sort(),
    };
  });
}

/** The labels that both a fold's training and its test items carry, in `order` (e.g. EMOTIONS). */
export function sharedLabels(fold: Fold, order: readonly string[]): string[] {
  const train = new Set<string>(fold.train.map((it) => it.label));
  const test = new Set<string>(fold.test.map((it) => it.label));
  return order.filter((l) => train.has(l) && test.has(l));
}
