// Fits the familiarity detector (issue #11) to a model trained before `train` fitted one itself, on
// every development recording (RAVDESS and SAVEE of ../shared/datasets or $SPEECH_EMOTION_DATA),
// made with the model's FeatureSpec and no augmented copies: what `train` fits on for a final model
// trained on everything. Used once for the bundled model (trained 2026-12-04), whose weights stay.
//
//   node docs/recipes/results/fit-familiarity.mjs <model folder>
import { devItems, openLibrary } from '../../../scripts/dev-data.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: fit-familiarity.mjs <model folder>');
const lib = await openLibrary();
const model = await lib.EmotionModel.load(dir);
const { rows, dropped } = await lib.itemRows(await devItems(lib), model.featureSpec);
if (dropped.length) console.error(`dropped ${dropped.length}: ${dropped.join('; ')}`);
await model.fitFamiliarity(rows);
await model.save(dir);
console.log(`${dir}: familiarity detector fitted on ${rows.length} recordings`, model.familiarity);
