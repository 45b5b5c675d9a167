// The feature rows a recipe trains on: every recording once, clean, and the recipe's audio-augmented
// copies, extracted over worker threads.
import type { PerturbOptions } from '../audio/augment.js';
import type { LabelledItem } from '../datasets/types.js';
import type { FeatureRow } from '../features/file.js';
import type { FeatureSpec } from '../features/spec.js';
import { type Recipe, copySeed, defineRecipe, predictionSpec } from '../model/recipe.js';
import { extractItems } from './extract.js';

/** Feature rows of items, in item order, and the files that could not be used. */
export interface ItemRows {
  /** One row per usable item. */
  rows: FeatureRow[];
  /** `path: CODE: message` of every item dropped (unreadable, silent, too short…). */
  dropped: string[];
}

/**
 * Features of every item with `spec` (of a perturbed copy with `perturb`), as rows labelled from
 * the items; bad files are listed in `dropped`, never thrown.
 */
export async function itemRows(
  items: LabelledItem[],
  spec: FeatureSpec,
  options: { jobs?: number; perturb?: PerturbOptions; channel?: number } = {},
): Promise<ItemRows> {
  const rows: FeatureRow[] = [];
  const dropped: string[] = [];
  for await (const { item, result } of extractItems(items, spec, options)) {
    if (result.ok)
      rows.push({
        path: item.path,
        dataset: item.dataset,
        label: item.label,
        speaker: item.speaker,
        gender: item.gender,
        features: result.features,
      });
    else dropped.push(`${item.path}: ${result.code}: ${result.message}`);
  }
  return { rows, dropped };
}

/** What {@link recipeRows} returns. */
export interface RecipeRows extends ItemRows {
  /** The recipe's perturbed copies: `copies[c]` holds copy c + 1 of every usable item (member 1's). */
  copies: FeatureRow[][];
  /**
   * The copies of each member, `memberCopies[k][c]` member k + 1's: one set per member of the
   * ensemble with `audioAugment.perMember`, else only `copies` (which every member shares).
   */
  memberCopies: FeatureRow[][][];
  /**
   * Each item once, unperturbed, made as the trained model will predict ({@link predictionSpec}):
   * what a test fold is scored on. The same array as `rows` when the recipe has neither `predictTrim`
   * nor `predictMinPeakDb`.
   */
  testRows: FeatureRow[];
}

/**
 * The rows a recipe trains on, made with its FeatureSpec: `rows` (each item once, unperturbed) and
 * `copies` (the recipe's `audioAugment.copies` perturbed copies; copy c of a recording is seeded by
 * the recipe's seed, c and the recording's samples, so the rows do not depend on file names or
 * places). Train on `[...rows, ...copies.flat()]` ({@link trainingRows}); score on `testRows`. With
 * `audioAugment.perMember`, each member's copies are in `memberCopies`.
 */
export async function recipeRows(
  items: LabelledItem[],
  recipe: Recipe,
  options: { jobs?: number } = {},
): Promise<RecipeRows> {
  const r = defineRecipe(recipe);
  const clean = await itemRows(items, r.spec, options);
  const memberCopies: FeatureRow[][][] = [];
  if (r.audioAugment) {
    const { copies: n, seed: _seed, perMember, ...perturb } = r.audioAugment;
    for (let m = 1; m <= (perMember ? r.ensemble : 1); m++) {
      const sets: FeatureRow[][] = [];
      for (let c = 1; c <= n; c++) {
        const seed = copySeed(r, c, m);
        sets.push((await itemRows(items, r.spec, { ...options, perturb: { ...perturb, seed } })).rows);
      }
      memberCopies.push(sets);
    }
  } else memberCopies.push([]);
  const copies = memberCopies[0];
  if (r.predictTrim === undefined && r.predictMinPeakDb === undefined)
    return { ...clean, copies, memberCopies, testRows: clean.rows };
  const test = await itemRows(items, predictionSpec(r), options);
  const dropped = [...clean.dropped, ...test.dropped.filter((d) => !clean.dropped.includes(d))];
  return { rows: clean.rows, dropped, copies, memberCopies, testRows: test.rows };
}

/**
 * What member `member` (1-based, default 1) of a recipe trains on: the clean rows and that member's
 * copies (the shared copies unless the recipe draws them per member).
 *
 * @example
 * ```ts
 * const all = await recipeRows(items, recipe);
 * const model = await trainRecipe(recipe, trainingRows(all), { memberRows: (m) => trainingRows(all, m) });
 * ```
 */
export function trainingRows(all: RecipeRows, member = 1): FeatureRow[] {
  const copies = all.memberCopies[member - 1] ?? all.memberCopies[0];
  return [...all.rows, ...copies.flat()];
}
