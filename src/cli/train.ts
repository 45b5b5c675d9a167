// speech-emotion train: trains a recipe, cross-validates it (speaker folds, a folds file, or leave
// one corpus out) and reports.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelOrder } from '../datasets/labels.js';
import { type Fold, corpusFolds, groupKFold, speakerFolds, speakerSplit } from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import { getFusedRuntime } from '../dsp/simd-runtime.js';
import { defineFeatureSpec } from '../features/spec.js';
import { RECIPES, type Recipe, type RecipeInput, defineRecipe, recipeByName } from '../model/recipe.js';
import { recipeRows } from '../node/recipe-rows.js';
import { startTrainingPool } from '../node/train-pool.js';
import { type FlagSpec, UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';
import { startBackend } from './model-common.js';
import { type Run, rowIndex, trainAndReport } from './train-run.js';

export const TRAIN_HELP = `speech-emotion train <dirs…> --out <modelDir> [options]

Trains a recipe on dataset folders (or CSV manifests) and saves the model with a report
(report.json, report.md, confusion-matrix and learning-curve images). The model records its recipe.

Recipes:
  --recipe NAME|FILE     a built-in recipe or a recipe JSON file (see docs/training.md):
                           default  the bundled model's recipe: four crnn members averaged,
                                    audio and SpecAugment augmentation (about 6 min a member on 1560
                                    clips with --workers 2 on 2 cores)
                           single   one member of default, a quarter of the time: the recipe used when
                                    --recipe is not given, because it gives most of default's
                                    accuracy (the previous bundled model's members alone: 59–60%
                                    RAVDESS and 47–53% SAVEE cross-validated UA, against 61.9% and
                                    51.7% for the pair)
                           fast     a cnn1d without augmentation, for a first look in minutes
  --show-recipe          print the recipe (after the options below) as JSON and exit

Options that change the recipe:
  --arch NAME            cnn1d, cnn2d, crnn or mlp
  --epochs N  --batch-size N  --learning-rate X  --seed N
  --weight-decay X       decoupled weight decay (AdamW) on the weight matrices, 0 to under 1
  --members N            members of the ensemble (each seeded seed + 1000·(k−1))
  --spec FILE            FeatureSpec JSON (for training and prediction: it replaces the recipe's
                         predictTrim and predictMinPeakDb too)
  --augment              add default's augmentation (two perturbed copies of every recording: speed,
                         reverberation, equalisation, band-limiting, gain, coloured noise;
                         SpecAugment and time shift) to a recipe without any

Evaluation:
  --folds K              first cross-validate over K speaker folds (UA per fold, mean ± std in the
                         report), then train the saved model on every speaker
  --folds FILE.json      the same over the speaker folds of a folds file (as dev-folds.json:
                         { dataset: { fold1: [speakers], … } }; fold N holds out every dataset's
                         fold N at once); UA is also reported per dataset
  --folds corpus         leave one corpus out (train on the other datasets, test on all of this
                         one, scored on the emotions both carry): what to expect on a new corpus
  --val-speakers a,b     hold these speakers out for validation (early stopping on their UA)
  --cv-only              with --folds: cross-validate and report, without training a final model
                         (report.json, report.md, cv-clips.json: every test clip's probabilities)
  --keep-fold-models     with --folds: also save each fold's model, in DIR/folds/<fold name>
  --teachers DIR         with a recipe that distils: its teachers from an earlier run (--out DIR,
                         same folds, --keep-fold-models) of the recipe without 'distill' and with
                         ensemble = distill.teachers, instead of training them again: DIR/folds/<fold>
                         for each fold, DIR for the final model

Running:
  --out DIR              where the model (model.json, weights.bin) and the report go
  --workers N            data-parallel training threads (default 1; 2 uses both cores of a 2-core machine)
  --no-fma               multiply, then add, in the convolutions: the same weights on every
                         runtime, as tfjs's own kernels (default: one fused multiply-add, and
                         five-tap convolutions in Winograd's form: Conv1D networks about twice as
                         fast, where the runtime has WebAssembly relaxed SIMD: Node 22 and later,
                         or Node 20 started with --experimental-wasm-relaxed-simd)
  --concurrent N         instead of --workers: train N of the run's models at once, each on one
                         thread of its own (every fold's members and the final model's, queued):
                         more work done per minute than data-parallel threads (bench/README.md),
                         but other weights than --workers 2 (a thread's batch normalisation sees
                         whole batches); the same weights as --workers 1, whatever N
  --backend NAME         tensorflow, wasm or cpu (default: the fastest installed)
  --jobs N               feature-extraction threads
  --dataset NAME         the dataset naming of the folders (default: recognised from the names)
  --quiet                no per-epoch lines

Images are PNG when the optional @napi-rs/canvas is installed, and always SVG.
Exit codes: 0 trained, 1 failure, 2 usage error.

Examples:
  speech-emotion train data/RAVDESS data/SAVEE --out models/mine
  speech-emotion train data/RAVDESS data/SAVEE --recipe default --folds dev-folds.json --concurrent 2 --out models/both
  speech-emotion train data/RAVDESS --recipe fast --val-speakers 19,20 --out models/quick
  speech-emotion train data/RAVDESS data/SAVEE --folds corpus --out models/both
  speech-emotion train --recipe default --show-recipe > my-recipe.json`;

const FLAGS: FlagSpec = {
  out: 'string',
  recipe: 'string',
  'show-recipe': 'boolean',
  arch: 'string',
  epochs: 'number',
  'batch-size': 'number',
  'learning-rate': 'number',
  'weight-decay': 'number',
  seed: 'number',
  members: 'number',
  spec: 'string',
  augment: 'boolean',
  'val-speakers': 'string',
  folds: 'string',
  'cv-only': 'boolean',
  'keep-fold-models': 'boolean',
  teachers: 'string',
  workers: 'number',
  concurrent: 'number',
  'no-fma': 'boolean',
  backend: 'string',
  jobs: 'number',
  dataset: 'string',
  quiet: 'boolean',
  help: 'boolean',
};

type Flags = Record<string, string | number | boolean | undefined>;

/** Options that set one recipe field as given (defineRecipe checks the value). */
const RECIPE_FLAGS: [string, keyof Recipe][] = [
  ['arch', 'arch'],
  ['epochs', 'epochs'],
  ['batch-size', 'batchSize'],
  ['learning-rate', 'learningRate'],
  ['weight-decay', 'weightDecay'],
  ['seed', 'seed'],
  ['members', 'ensemble'],
];

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`train: cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** The recipe: built-in or from a file, with the command line's changes applied and recorded in its name. */
export function resolveRecipe(flags: Flags): Recipe {
  const source = (flags.recipe as string | undefined) ?? 'single';
  try {
    const base: RecipeInput = Object.hasOwn(RECIPES, source)
      ? recipeByName(source)
      : (readJson(source, 'the recipe') as Recipe);
    const r = structuredClone(base) as RecipeInput;
    const changed: string[] = [];
    for (const [flag, key] of RECIPE_FLAGS)
      if (flags[flag] !== undefined) {
        (r as Record<string, unknown>)[key] = flags[flag];
        changed.push(flag);
      }
    if (flags.spec !== undefined) {
      r.spec = readJson(flags.spec as string, 'the FeatureSpec') as Recipe['spec'];
      // The spec given is how the model predicts too.
      r.predictTrim = undefined;
      r.predictMinPeakDb = undefined;
      changed.push('spec');
    }
    if (flags.augment) {
      const d = recipeByName('default');
      r.audioAugment ??= d.audioAugment;
      if (defineFeatureSpec(r.spec ?? {}).output.type === 'series') r.augment ??= d.augment;
      changed.push('augment');
    }
    if (changed.length) r.name = `${r.name}+${changed.join('+')}`;
    return defineRecipe(r);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`train: --recipe ${source}: ${(e as Error).message}`);
  }
}

function foldsOf(flags: Flags, items: LabelledItem[]): Fold[] | undefined {
  const f = flags.folds as string | undefined;
  if (f === undefined) return undefined;
  try {
    if (f === 'corpus') return corpusFolds(items);
    if (/^\d+$/.test(f)) {
      const k = Number(f);
      if (k < 2)
        throw new UsageError(`train: --folds must be a number ≥ 2, a folds file or 'corpus', got ${f}.`);
      return groupKFold(items, { k, seed: 0 });
    }
    return speakerFolds(items, readJson(f, 'the folds file') as never);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    rethrowAsUsage(e);
  }
}

/** The command line checked before any work: the recipe, the output folder, compatible options. */
function checkCommand(positionals: string[], flags: Flags): { recipe: Recipe; out: string } {
  const recipe = resolveRecipe(flags);
  const out = flags.out as string | undefined;
  if (flags['show-recipe']) return { recipe, out: '' };
  if (!positionals.length || !out) throw new UsageError('train: give dataset folders and --out <modelDir>.');
  if (flags.folds !== undefined && flags['val-speakers'] !== undefined)
    throw new UsageError('train: use --folds or --val-speakers, not both.');
  if (flags['cv-only'] && flags.folds === undefined) throw new UsageError('train: --cv-only needs --folds.');
  if (flags['keep-fold-models'] && flags.folds === undefined)
    throw new UsageError('train: --keep-fold-models needs --folds.');
  if (flags.teachers !== undefined) checkTeachers(String(flags.teachers), recipe, flags);
  if (flags.concurrent !== undefined) checkConcurrent(flags, recipe);
  return { recipe, out };
}

/** --teachers checked before any work: a distilling recipe, and the teachers' folders there. */
function checkTeachers(dir: string, recipe: Recipe, flags: Flags): void {
  if (!recipe.distill || recipe.distill.speakerFolds)
    throw new UsageError(
      `train: --teachers needs a recipe with 'distill' and no 'speakerFolds' (${recipe.name} is not one).`,
    );
  if (flags.folds !== undefined && !existsSync(join(dir, 'folds')))
    throw new UsageError(
      `train: --teachers ${dir} has no folds/ folder (train the teachers with --keep-fold-models).`,
    );
  if (!flags['cv-only'] && !existsSync(join(dir, 'model.json')))
    throw new UsageError(
      `train: --teachers ${dir} has no model.json for the final model (or add --cv-only).`,
    );
}

/** --concurrent checked before any work: a count, not with --workers, not for a distilling recipe. */
function checkConcurrent(flags: Flags, recipe: Recipe): void {
  const n = flags.concurrent as number;
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`train: --concurrent must be an integer ≥ 1, got ${String(flags.concurrent)}.`);
  if (flags.workers !== undefined && flags.workers !== 1)
    throw new UsageError(
      'train: --concurrent trains each model on one thread: use --concurrent or --workers, not both.',
    );
  if (recipe.distill)
    throw new UsageError(
      `train: --concurrent does not train distilling recipes (${recipe.name} distils): use --workers.`,
    );
}

/** The validation split of --val-speakers, announced on stderr. */
function validationSplit(flags: Flags, items: LabelledItem[]) {
  const valSpeakers = (flags['val-speakers'] as string | undefined)?.split(',').map((s) => s.trim());
  if (!valSpeakers) return undefined;
  try {
    const split = speakerSplit(items, { validationSpeakers: valSpeakers, test: 0 });
    console.error(
      `train speakers: ${split.speakers.train.join(' ')}\nvalidation speakers: ${split.speakers.validation.join(' ')}`,
    );
    return split;
  } catch (e) {
    rethrowAsUsage(e);
  }
}

/** What the wasm backend's convolutions will do (--no-fma, relaxed SIMD), for the log; null on other backends. */
function convolutionNote(backend: string, noFma: boolean): string | null {
  if (backend !== 'wasm') return null;
  if (noFma) return 'convolutions: multiply, then add (--no-fma)';
  return getFusedRuntime()
    ? "convolutions: fused multiply-adds, five-tap ones in Winograd's form (WebAssembly relaxed SIMD; --no-fma for the unfused weights)"
    : 'convolutions: multiply, then add (this runtime has no WebAssembly relaxed SIMD: Node 22 and later have it, Node 20 with --experimental-wasm-relaxed-simd)';
}

export async function runTrain(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, FLAGS, 'train');
  if (flags.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const { recipe, out } = checkCommand(positionals, flags);
  if (flags['show-recipe']) {
    console.log(JSON.stringify(recipe, null, 2));
    return 0;
  }
  const quiet = Boolean(flags.quiet);
  const backend = await startBackend(flags.backend);
  const { items } = await scanAll(positionals, flags.dataset as string | undefined, quiet);
  const split = validationSplit(flags, items);
  const folds = foldsOf(flags, items);
  const convolutions = convolutionNote(backend, Boolean(flags['no-fma']));
  if (!quiet && convolutions) console.error(convolutions);
  if (!quiet)
    console.error(
      `recipe ${recipe.name}: ${recipe.ensemble} × ${recipe.arch}, ${recipe.epochs} epochs${recipe.distill ? `, distilled from ${recipe.distill.teachers} teachers` : ''}`,
    );
  // Features once for every item (and the recipe's perturbed copies); folds pick rows by path.
  const all = await recipeRows(items, recipe, { jobs: flags.jobs as number | undefined });
  for (const d of all.dropped) console.error(`dropped ${d}`);
  if (all.rows.length === 0) throw new UsageError('train: no usable training recordings.');
  const labels = labelOrder(all.rows.map((r) => r.label));
  const concurrent = flags.concurrent as number | undefined;
  const run: Run = {
    recipe,
    labels,
    rows: rowIndex(all),
    workers: (flags.workers as number | undefined) ?? 1,
    fusedMultiplyAdd: !flags['no-fma'],
    quiet,
    ...(concurrent ? { pool: await startTrainingPool(concurrent, backend, !flags['no-fma']) } : {}),
    ...(flags['keep-fold-models'] ? { foldModels: join(out, 'folds') } : {}),
    ...(flags.teachers === undefined ? {} : { teachers: String(flags.teachers) }),
  };
  if (concurrent && !quiet)
    console.error(
      `training side by side: ${concurrent} models at a time, each on one thread (${backend} backend)`,
    );
  try {
    console.log(
      await trainAndReport(run, {
        backend,
        out,
        folds,
        split: split ?? { train: items },
        cvOnly: Boolean(flags['cv-only']),
      }),
    );
  } finally {
    await run.pool?.close();
  }
  return 0;
}
