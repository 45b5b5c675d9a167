import { writeFileSync } from 'node:fs';
import { groupKFold, speakerSplit } from '../datasets/split.js';
import { formatSummary, summarize } from '../datasets/summary.js';
import type { LabelledItem } from '../datasets/types.js';
import { UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';

export const SPLIT_HELP = `speech-emotion split <dirs…> [options]

Prints a speaker-independent split of dataset folders: which speakers go to train, validation and
test (or to each fold), with counts per label. No speaker is in two parts.

Options:
  --test-speakers a,b   speakers for the test part (ids such as 05 or ravdess:05)
  --val-speakers a,b    speakers for the validation part
  --test F --val F      fractions of items when speakers are not named (default 0.2, 0.1)
  --folds K             group k-fold by speaker instead
  --seed N              seed of the speaker draw (default 0)
  --dataset NAME        naming of the folders (default auto)
  --out FILE            also write the split (paths per part) as JSON

Examples:
  speech-emotion split data/RAVDESS --test-speakers 05,06 --val-speakers 07
  speech-emotion split data/RAVDESS data/SAVEE --folds 5 --seed 1`;

export async function runSplit(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      'test-speakers': 'string',
      'val-speakers': 'string',
      test: 'number',
      val: 'number',
      folds: 'number',
      seed: 'number',
      dataset: 'string',
      out: 'string',
      help: 'boolean',
    },
    'split',
  );
  if (flags.help) {
    console.log(SPLIT_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('split: give at least one dataset folder.');
  const { items } = await scanAll(positionals, flags.dataset as string | undefined, true);
  const list = (s: unknown) =>
    typeof s === 'string'
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const seed = (flags.seed as number | undefined) ?? 0;
  let result: unknown;
  try {
    result =
      flags.folds !== undefined
        ? printFolds(items, flags.folds as number, seed)
        : printSplit(items, flags, list, seed);
  } catch (e) {
    rethrowAsUsage(e);
  }
  if (flags.out) writeFileSync(flags.out as string, `${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

/** Speaker folds, printed; returns what --out writes. */
function printFolds(items: LabelledItem[], k: number, seed: number) {
  const folds = groupKFold(items, { k, seed });
  for (const f of folds)
    console.log(
      `${f.name}: test speakers ${f.testSpeakers.join(' ')} (${f.test.length} test, ${f.train.length} train)`,
    );
  return folds.map((f) => ({
    name: f.name,
    testSpeakers: f.testSpeakers,
    test: f.test.map((i) => i.path),
    train: f.train.map((i) => i.path),
  }));
}

/** A train/validation/test split by speaker, printed with a summary of each part; returns what --out writes. */
function printSplit(
  items: LabelledItem[],
  flags: Record<string, string | number | boolean | undefined>,
  list: (s: unknown) => string[] | undefined,
  seed: number,
) {
  const s = speakerSplit(items, {
    testSpeakers: list(flags['test-speakers']),
    validationSpeakers: list(flags['val-speakers']),
    test: flags.test as number | undefined,
    validation: flags.val as number | undefined,
    seed,
  });
  for (const part of ['train', 'validation', 'test'] as const) {
    console.log(`\n${part}: ${s[part].length} files, speakers ${s.speakers[part].join(' ') || '(none)'}`);
    if (s[part].length) console.log(formatSummary(summarize(s[part])));
  }
  return {
    speakers: s.speakers,
    train: s.train.map((i) => i.path),
    validation: s.validation.map((i) => i.path),
    test: s.test.map((i) => i.path),
  };
}
