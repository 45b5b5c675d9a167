// speech-emotion train: trains a recipe, cross-validates it (speaker folds, a folds file, or leave
// one corpus out) and reports.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelOrder } from '../datasets/labels.js';
import {
  type Fold,
  corpusFolds,
  groupKFold,
  sharedLabels,
  speakerFolds,
  speakerSplit,
} from '../datasets/split.js';
import type { LabelledItem } from '../datasets/types.js';
import type { FeatureRow } from '../features/file.js';
import { defineFeatureSpec } from '../features/spec.js';
import { UNCERTAIN_BELOW } from '../model/calibration.js';
import { EmotionModel } from '../model/emotion-model.js';
import type { EpochLog } from '../model/options.js';
import { RECIPES, type Recipe, type RecipeInput, defineRecipe, recipeByName } from '../model/recipe.js';
import { trainRecipe } from '../model/train-recipe.js';
import { type RecipeRows, recipeRows } from '../node/recipe-rows.js';
import { type FlagSpec, UsageError, parseArgs, rethrowAsUsage, scanAll } from './args.js';
import { type CalibrationReport, foldCalibration } from './calibrate.js';
import { startBackend } from './model-common.js';
import { type FoldResult, foldResult, writeTrainReport } from './train-report.js';

export const TRAIN_HELP = `speech-emotion train <dirs…> --out <modelDir> [options]

Trains a recipe on dataset folders (or CSV manifests) and saves the model with a report
(report.json, report.md, confusion-matrix and learning-curve images). The model records its recipe.

Recipes:
  --recipe NAME|FILE     a built-in recipe or a recipe JSON file (see docs/training.md):
                           default  the bundled model's recipe: three crnn members averaged,
                                    audio and SpecAugment augmentation (about 17 min on 1560 clips
                                    with --workers 2 on 2 cores)
                           single   one member of default, a third of the time: the recipe used when
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
  --backend NAME         tensorflow, wasm or cpu (default: the fastest installed)
  --jobs N               feature-extraction threads
  --dataset NAME         the dataset naming of the folders (default: recognised from the names)
  --quiet                no per-epoch lines

Images are PNG when the optional @napi-rs/canvas is installed, and always SVG.
Exit codes: 0 trained, 1 failure, 2 usage error.

Examples:
  speech-emotion train data/RAVDESS data/SAVEE --out models/mine
  speech-emotion train data/RAVDESS data/SAVEE --recipe default --folds dev-folds.json --workers 2 --out models/both
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

/**
 * Rows of some items, looked up by path: to score on (made as the model predicts), or for a member
 * to train on (clean plus the recipe's copies, that member's when it draws its own).
 */
function rowIndex(all: RecipeRows) {
  const byPath = (rows: FeatureRow[]) => new Map(rows.map((r) => [r.path, r]));
  const clean = byPath(all.rows);
  const test = byPath(all.testRows);
  const copies = all.memberCopies.map((sets) => sets.map(byPath));
  return {
    test: (list: LabelledItem[]) => list.flatMap((i) => test.get(i.path) ?? []),
    training: (list: LabelledItem[], member = 1): FeatureRow[] => [
      ...list.flatMap((i) => clean.get(i.path) ?? []),
      ...(copies[member - 1] ?? copies[0]).flatMap((c) => list.flatMap((i) => c.get(i.path) ?? [])),
    ],
  };
}

function epochLogger(quiet: boolean, recipe: Recipe, tag: string, taught: boolean) {
  const t0 = performance.now();
  let done = 0;
  const d = recipe.distill;
  const teachers = taught || !d ? 0 : d.teachers * Math.max(1, d.speakerFolds);
  const total = recipe.epochs * (recipe.ensemble + teachers);
  return (member: number, epoch: number, log: EpochLog, role: 'member' | 'teacher') => {
    done++;
    if (quiet) return;
    const eta = ((performance.now() - t0) / 1000 / done) * Math.max(0, total - done);
    // Out-of-fold teachers come in at most one group per speaker: their total is not known here.
    const who =
      role === 'teacher'
        ? `teacher ${member}${d?.speakerFolds ? '' : `/${teachers}`} `
        : recipe.ensemble > 1
          ? `member ${member}/${recipe.ensemble} `
          : '';
    console.error(
      `${tag}${who}epoch ${epoch + 1}/${recipe.epochs}  loss ${log.loss.toFixed(4)}${log.validationUA === undefined ? '' : `  val UA ${(100 * log.validationUA).toFixed(1)}%`}  ${log.seconds.toFixed(1)} s  ETA ${eta.toFixed(0)} s`,
    );
  };
}

/** What a run trains on: the labels, the rows by item, and how it logs. */
interface Run {
  recipe: Recipe;
  labels: string[];
  rows: ReturnType<typeof rowIndex>;
  workers: number;
  quiet: boolean;
  /** Where each fold's model is saved (--keep-fold-models), or undefined. */
  foldModels?: string;
  /** Where the teachers of a distilling recipe are (--teachers), or undefined. */
  teachers?: string;
}

/** A fold's (or, without `fold`, the final model's) teacher from --teachers; undefined without it. */
async function teacherOf(run: Run, fold?: string): Promise<EmotionModel | undefined> {
  if (!run.teachers) return undefined;
  return EmotionModel.load(fold === undefined ? run.teachers : join(run.teachers, 'folds', fold));
}

/** Trains the recipe on each fold's training speakers and scores it on the fold's test speakers. */
async function crossValidate(run: Run, folds: Fold[]): Promise<FoldResult[]> {
  const { recipe, labels, rows } = run;
  const cv: FoldResult[] = [];
  for (const [i, fold] of folds.entries()) {
    const tag = `fold ${i + 1}/${folds.length}: `;
    // A fold's model knows the labels its training rows carry, and is scored on the labels both
    // sides carry (for leave-one-corpus-out, the emotions both corpora share).
    const folder = fold.name.replace(/[^\w.-]+/g, '-');
    const teacher = await teacherOf(run, folder);
    const model = await trainRecipe(recipe, rows.training(fold.train), {
      memberRows: (m) => rows.training(fold.train, m),
      labels: labels.filter((l) => fold.train.some((it) => it.label === l)),
      workers: run.workers,
      ...(teacher ? { teacher } : {}),
      onEpochEnd: epochLogger(run.quiet, recipe, tag, teacher !== undefined),
    }).finally(() => teacher?.dispose());
    // The detector of unfamiliar audio, on the fold's clean training recordings.
    await model.fitFamiliarity(rows.test(fold.train));
    const result = await foldResult(model, fold, rows.test(fold.test), sharedLabels(fold, labels));
    if (run.foldModels) await model.save(join(run.foldModels, folder));
    model.dispose();
    cv.push(result);
    console.error(`${tag}${result.line}`);
  }
  return cv;
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

/** Trains the saved model on every training speaker, with the folds' calibration, and saves it. */
async function trainFinal(
  run: Run,
  split: { train: LabelledItem[]; validation?: LabelledItem[] },
  backend: string,
  calibration: { report: CalibrationReport; uncertainBelow: number } | null,
  out: string,
) {
  const { recipe } = run;
  const trainRows = run.rows.training(split.train);
  const valRows = split.validation ? run.rows.test(split.validation) : undefined;
  if (!run.quiet)
    console.error(
      `training ${recipe.name} on ${trainRows.length} rows (${backend} backend, ${run.workers} thread${run.workers > 1 ? 's' : ''})`,
    );
  const teacher = await teacherOf(run);
  const model = await trainRecipe(recipe, trainRows, {
    memberRows: (m) => run.rows.training(split.train, m),
    labels: run.labels,
    workers: run.workers,
    ...(valRows ? { validation: valRows } : {}),
    ...(teacher ? { teacher } : {}),
    onEpochEnd: epochLogger(run.quiet, recipe, '', teacher !== undefined),
  }).finally(() => teacher?.dispose());
  await model.fitFamiliarity(run.rows.test(split.train));
  if (calibration)
    model.setCalibration({
      temperature: calibration.report.temperature,
      uncertainBelow: calibration.uncertainBelow,
      fittedOn: `${calibration.report.clips} held-out clips of ${calibration.report.folds} cross-validation folds (${recipe.name})`,
    });
  await model.save(out);
  const validation = valRows ? await model.evaluate(valRows) : null;
  const training = model.training ?? null;
  model.dispose();
  return { trainCount: trainRows.length, training, validation };
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
  if (!quiet)
    console.error(
      `recipe ${recipe.name}: ${recipe.ensemble} × ${recipe.arch}, ${recipe.epochs} epochs${recipe.distill ? `, distilled from ${recipe.distill.teachers} teachers` : ''}`,
    );
  // Features once for every item (and the recipe's perturbed copies); folds pick rows by path.
  const all = await recipeRows(items, recipe, { jobs: flags.jobs as number | undefined });
  for (const d of all.dropped) console.error(`dropped ${d}`);
  if (all.rows.length === 0) throw new UsageError('train: no usable training recordings.');
  const labels = labelOrder(all.rows.map((r) => r.label));
  const run: Run = {
    recipe,
    labels,
    rows: rowIndex(all),
    workers: (flags.workers as number | undefined) ?? 1,
    quiet,
    ...(flags['keep-fold-models'] ? { foldModels: join(out, 'folds') } : {}),
    ...(flags.teachers === undefined ? {} : { teachers: String(flags.teachers) }),
  };
  const t0 = performance.now();
  const minutes = () => (performance.now() - t0) / 60000;
  const cv = folds ? await crossValidate(run, folds) : [];
  // Temperature scaling from the folds' held-out clips; the final model carries it.
  const calibration = cv.length
    ? { report: foldCalibration(cv, labels), uncertainBelow: UNCERTAIN_BELOW }
    : null;
  const report = { recipe, backend, labels, cv, cvMinutes: minutes(), calibration };
  if (flags['cv-only']) {
    const none = { trainCount: 0, training: null, validation: null };
    console.log(await writeTrainReport(out, { ...report, ...none, minutes: minutes() }));
    return 0;
  }
  const trained = await trainFinal(run, split ? split : { train: items }, backend, calibration, out);
  console.log(
    await writeTrainReport(out, {
      ...report,
      ...trained,
      minutes: minutes(),
    }),
  );
  return 0;
}
