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
  options: { jobs?: number; perturb?: PerturbOptions } = {},
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
  /** The recipe's perturbed copies: `copies[c]` holds copy c + 1 of every usable item. */
  copies: FeatureRow[][];
  /**
   * Each item once, unperturbed, made as the trained model will predict ({@link predictionSpec}):
   * what a test fold is scored on. The same array as `rows` when the recipe has no `predictTrim`.
   */
  testRows: FeatureRow[];
}

/**
 * The rows a recipe trains on, made with its FeatureSpec: `rows` (each item once, unperturbed) and
 * `copies` (the recipe's `audioAugment.copies` perturbed copies; copy c of a recording is seeded by
 * the recipe's seed, c and the recording's samples, so the rows do not depend on file names or
 * places). Train on `[...rows, ...copies.flat()]`; score on `testRows`.
 */
export async function recipeRows(
  items: LabelledItem[],
  recipe: Recipe,
  options: { jobs?: number } = {},
): Promise<RecipeRows> {
  const r = defineRecipe(recipe);
  const clean = await itemRows(items, r.spec, options);
  const copies: FeatureRow[][] = [];
  if (r.audioAugment) {
    const { copies: n, seed: _seed, ...perturb } = r.audioAugment;
    for (let c = 1; c <= n; c++)
      copies.push(
        (await itemRows(items, r.spec, { ...options, perturb: { ...perturb, seed: copySeed(r, c) } })).rows,
      );
  }
  if (r.predictTrim === undefined) return { ...clean, copies, testRows: clean.rows };
  const test = await itemRows(items, predictionSpec(r), options);
  const dropped = [...clean.dropped, ...test.dropped.filter((d) => !clean.dropped.includes(d))];
  return { rows: clean.rows, dropped, copies, testRows: test.rows };
}
