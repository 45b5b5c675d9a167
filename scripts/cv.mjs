// Speaker-independent cross-validation of one training recipe on ../shared/datasets, on the folds of
// ../shared/splits/dev-folds.json. Used to choose the default model's recipe (see models/default).
//
//   node scripts/cv.mjs recipe.json [--folds 1,2] [--member k] [--out .cache/cv/name.json]
//
// --member k trains only the k-th member of an `ensemble` recipe (seed + 1000·(k−1)).
//
// Fold i holds out RAVDESS fold i and, for i ≤ 3, SAVEE fold i (one speaker); the model trains on
// every other speaker of both datasets. RAVDESS UA is reported per RAVDESS fold, SAVEE UA per
// held-out speaker (leave-one-speaker-out).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { crossValidate, loadRecipe } from './recipe.mjs';

const { values: opt, positionals } = parseArgs({
  options: { folds: { type: 'string' }, member: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
const recipeFile = positionals[0];
if (!recipeFile) {
  console.error('usage: node scripts/cv.mjs recipe.json [--folds 1,2] [--out file.json]');
  process.exit(2);
}
const recipe = loadRecipe(recipeFile);
const folds = opt.folds ? String(opt.folds).split(',').map(Number) : undefined;
const member = opt.member ? Number(opt.member) : undefined;
if (member !== undefined && !(Number.isInteger(member) && member >= 1 && member <= (recipe.ensemble ?? 1))) {
  console.error(`--member must be 1…${recipe.ensemble ?? 1} for this recipe`);
  process.exit(2);
}
const result = await crossValidate(recipe, { folds, member, log: (s) => console.error(s) });
console.log(JSON.stringify(result.summary));
if (opt.out) {
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, `${JSON.stringify(result, null, 2)}\n`);
}
