import type { FeatureSpec } from '../features/spec.js';
import type { Calibration } from './calibration.js';
import type { Familiarity } from './familiarity.js';
import type { TrainingSummary } from './options.js';
import type { Recipe } from './recipe.js';

/** Format version of the metadata a saved model carries. */
export const MODEL_FORMAT_VERSION = 1;

/** What a saved model carries beside its network (`userDefinedMetadata.speechEmotion`). @internal */
export interface Metadata {
  format: number;
  library: string;
  labels: string[];
  featureSpec: FeatureSpec;
  specHash: string;
  inputShape: number[];
  normalization: { mean: number[]; std: number[] };
  training?: TrainingSummary;
  /** The recipe the model was trained with, when it was trained from one. */
  recipe?: Recipe;
  /** Temperature scaling and the uncertainty threshold, when learnt (see {@link Calibration}). */
  calibration?: Calibration;
  /** The detector of unfamiliar audio, when fitted (see EmotionModel.fitFamiliarity). */
  familiarity?: Familiarity;
}
