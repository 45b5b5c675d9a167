// Trains the default model shipped in models/default, reproducibly (`npm run train:default`):
//   1. speaker-independent cross-validation of the recipe on ../shared/splits/dev-folds.json;
//   2. the final model on every development speaker (an ensemble of seeded members);
//   3. models/default: model.json, weights.bin, metrics.json, confusion.png/.svg, README.md (model card).
//
//   node scripts/train-default.mjs [--recipe scripts/recipes/default.json] [--out models/default]
//                                  [--skip-cv | --cv-from a.json,b.json (scripts/cv.mjs outputs)]
//                                  [--member k | --members-from]
//
// To use both cores for an ensemble: run `--member 1` and `--member 2` side by side (each trains
// and saves one final member under .cache/members), then the full run with `--members-from` loads
// them instead of training again. A member's training is seeded, so the result is the same.
//
// Needs the built package (npm run build) and the datasets (SPEECH_EMOTION_DATA or ../shared/datasets).
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EMOTIONS,
  EmotionModel,
  evaluatePredictions,
  featureSpecHash,
  plotConfusion,
  savePlot,
} from '../dist/node.js';
import { writeCardFigures } from './card-figures.mjs';
import {
  FOLDS_FILE,
  ROOT,
  combineRuns,
  crossValidate,
  developmentItems,
  featureRows,
  loadRecipe,
  startBackend,
  trainModel,
} from './recipe.mjs';

const { values: opt } = parseArgs({
  options: {
    recipe: { type: 'string', default: join(ROOT, 'scripts/recipes/default.json') },
    out: { type: 'string', default: join(ROOT, 'models/default') },
    'skip-cv': { type: 'boolean', default: false },
    'cv-from': { type: 'string' },
    member: { type: 'string' },
    'members-from': { type: 'boolean', default: false },
  },
});
const recipe = loadRecipe(opt.recipe);
const log = (s) => console.error(`[${((performance.now() - T0) / 60000).toFixed(1)} min] ${s}`);
const T0 = performance.now();
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const folds = JSON.parse(readFileSync(FOLDS_FILE, 'utf8'));

await startBackend();
log(`recipe ${recipe.name} (${relative(ROOT, opt.recipe)})`);

// 1. Cross-validation (or its results from scripts/cv.mjs runs of the same recipe, --cv-from).
function summariseCv(r) {
  const perClass = {};
  const pooled = {};
  for (const ds of ['ravdess', 'savee']) {
    const idx = r.predictions.truth.map((t, i) => (t.startsWith(`${ds}:`) ? i : -1)).filter((i) => i >= 0);
    const truth = idx.map((i) => r.predictions.truth[i].slice(ds.length + 1));
    const pred = idx.map((i) => r.predictions.predicted[i].slice(ds.length + 1));
    // All eight labels: a SAVEE clip can be predicted "calm" though SAVEE has none.
    const e = evaluatePredictions(truth, pred, [...EMOTIONS]);
    perClass[ds] = Object.fromEntries(
      Object.entries(e.perClass)
        .filter(([, m]) => m.support > 0)
        .map(([l, m]) => [l, m.recall]),
    );
    pooled[ds] = e;
  }
  return { ...r.summary, folds: r.folds, perClassRecall: perClass, pooled };
}

// The same training recipe: everything but its name and ensemble size, which do not change a member.
const trainingPart = (r) => JSON.stringify({ ...r, name: undefined, ensemble: undefined });

function mergeRuns(files) {
  const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  for (const [i, r] of runs.entries())
    if (trainingPart(r.recipe) !== trainingPart(recipe))
      throw new Error(`${files[i]} is a run of another recipe (${r.recipe.name}), not ${recipe.name}`);
  // Each fold must have each member of the ensemble exactly once.
  const want = Array.from({ length: recipe.ensemble ?? 1 }, (_, m) => m + 1).join(',');
  const perFold = new Map();
  for (const r of runs)
    for (const f of r.folds) perFold.set(f.fold, [...(perFold.get(f.fold) ?? []), ...(r.members ?? [1])]);
  for (const [fold, m] of perFold)
    if (m.sort((a, b) => a - b).join(',') !== want)
      throw new Error(`--cv-from: ${fold} has members ${m.join(',')}, the recipe's ensemble needs ${want}`);
  return combineRuns(runs);
}

let cv = null;
const previous = join(opt.out, 'metrics.json');
if (opt.member) {
  log(`final member ${opt.member} only (no cross-validation, no files in ${relative(ROOT, opt.out)})`);
} else if (opt['cv-from']) {
  log(
    `cross-validation results from ${opt['cv-from']} (scripts/cv.mjs runs of this recipe); read after training`,
  );
} else if (opt['skip-cv'] && existsSync(previous)) {
  cv = JSON.parse(readFileSync(previous, 'utf8')).crossValidation;
  log('cross-validation skipped: figures kept from the previous metrics.json');
} else {
  const r = await crossValidate(recipe, { log });
  mkdirSync(join(ROOT, '.cache', 'cv'), { recursive: true });
  writeFileSync(join(ROOT, '.cache', 'cv', `${recipe.name}.json`), `${JSON.stringify(r)}\n`); // kept in case a later step fails
  cv = summariseCv(r);
}

// 2. Final model on every development speaker.
const items = await developmentItems();
const rows = [...(await featureRows(recipe, items, 0, log))];
for (let c = 1; c <= (recipe.audioAugment?.copies ?? 0); c++)
  rows.push(...(await featureRows(recipe, items, c, log)));
const count = recipe.ensemble ?? 1;
const memberDir = (m) => join(ROOT, '.cache', 'members', `${recipe.name}-${m}`);
const trainMember = (m) =>
  trainModel(recipe, rows, {
    seed: (recipe.seed ?? 1) + 1000 * (m - 1),
    log,
    tag: `final model ${m}/${count}: `,
  });
if (opt.member) {
  // One member only, saved under .cache/members for a later run with --members-from.
  const m = Number(opt.member);
  if (!(Number.isInteger(m) && m >= 1 && m <= count)) throw new Error(`--member must be 1…${count}`);
  const model = await trainMember(m);
  rmSync(memberDir(m), { recursive: true, force: true });
  await model.save(memberDir(m));
  log(`saved member ${m} to ${relative(ROOT, memberDir(m))}`);
  process.exit(0);
}
const members = [];
let loadedMinutes = 0; // training time of members trained by --member runs
for (let m = 1; m <= count; m++) {
  if (opt['members-from'] && existsSync(join(memberDir(m), 'model.json'))) {
    const member = await EmotionModel.load(memberDir(m));
    if (featureSpecHash(member.featureSpec) !== featureSpecHash(recipe.spec))
      throw new Error(
        `${relative(ROOT, memberDir(m))} was trained with another FeatureSpec: retrain it (--member ${m})`,
      );
    const minutes = (member.training?.epochs ?? []).reduce((a, e) => a + e.seconds, 0) / 60;
    loadedMinutes += minutes;
    log(
      `member ${m}: trained by a --member ${m} run in ${minutes.toFixed(1)} min, loaded from ${relative(ROOT, memberDir(m))}`,
    );
    members.push(member);
  } else members.push(await trainMember(m));
}
const model = members.length > 1 ? await EmotionModel.ensemble(members) : members[0];

if (!cv) {
  const files = opt['cv-from'].split(',');
  // The runs may still be going in other processes: wait for their results (up to an hour).
  for (let waited = 0; files.some((f) => !existsSync(f)); waited += 10) {
    if (waited >= 3600)
      throw new Error(`--cv-from: ${files.filter((f) => !existsSync(f)).join(', ')} never appeared`);
    if (waited % 120 === 0) log(`waiting for ${files.filter((f) => !existsSync(f)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10_000));
  }
  cv = summariseCv(mergeRuns(files));
  cv.runs = files.map((f) => relative(ROOT, f));
}
log(
  `cross-validated UA: RAVDESS ${pct(cv.ravdessUA)} ± ${pct(cv.ravdessStd)}, SAVEE ${pct(cv.saveeUA)} ± ${pct(cv.saveeStd)}`,
);

// The regression split: a fixed part of the development data (seen in training). CI checks that the
// shipped model still scores what it scored here, so a change to the feature code cannot silently
// degrade it. It says nothing about unseen speakers; the cross-validation does.
const regressionSpeakers = { ravdess: folds.ravdess.fold5, savee: folds.savee.fold3 };
const regItems = items.filter((it) => regressionSpeakers[it.dataset]?.includes(it.speaker));
const regRows = await featureRows(recipe, regItems, 0, log);
const regression = await model.evaluate(regRows);

// 3. Write models/default atomically: a sibling folder, renamed into place.
const tmp = `${opt.out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
await model.save(tmp);
// This run's time plus the training time of members trained by earlier --member runs.
const minutes = (performance.now() - T0) / 60000 + loadedMinutes;
const metrics = {
  recipe,
  crossValidation: cv,
  regression: {
    speakers: regressionSpeakers,
    unweightedAccuracy: regression.unweightedAccuracy,
    accuracy: regression.accuracy,
    count: regression.count,
    note: 'seen in training; a regression guard, not a generalisation estimate',
  },
  folds,
  trainingRows: rows.length,
  minutes,
  command:
    process.argv.length > 2
      ? `node scripts/train-default.mjs ${process.argv.slice(2).join(' ')}`
      : 'npm run train:default',
  node: process.version,
};
writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
if (cv.pooled) {
  for (const ds of ['ravdess', 'savee'])
    for (const ext of ['png', 'svg'])
      await savePlot(
        plotConfusion(
          cv.pooled[ds],
          `${ds === 'ravdess' ? 'RAVDESS' : 'SAVEE'}: cross-validation, folds pooled`,
        ),
        join(tmp, `confusion-${ds}.${ext}`),
      );
} else if (existsSync(opt.out)) {
  for (const f of [
    'confusion-ravdess.png',
    'confusion-ravdess.svg',
    'confusion-savee.png',
    'confusion-savee.svg',
  ])
    if (existsSync(join(opt.out, f))) cpSync(join(opt.out, f), join(tmp, f));
}
if (existsSync(join(opt.out, 'README.md'))) cpSync(join(opt.out, 'README.md'), join(tmp, 'README.md'));
mkdirSync(join(opt.out, '..'), { recursive: true });
rmSync(opt.out, { recursive: true, force: true });
renameSync(tmp, opt.out);
if (existsSync(join(opt.out, 'README.md'))) writeCardFigures(opt.out);
log(
  `saved ${relative(ROOT, opt.out)}: ${pct(regression.unweightedAccuracy)} UA on the regression split; ${minutes.toFixed(1)} min in all`,
);
console.log(
  JSON.stringify({
    ravdessUA: cv.ravdessUA,
    ravdessStd: cv.ravdessStd,
    saveeUA: cv.saveeUA,
    saveeStd: cv.saveeStd,
    regressionUA: regression.unweightedAccuracy,
    minutes,
  }),
);
