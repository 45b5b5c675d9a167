import { EmotionModel, defineFeatureSpec } from '../../src/index.js';

/** 13 MFCCs' mean and standard deviation over the whole clip: 26 inputs, quick to build and run. */
export const STATS_SPEC = defineFeatureSpec({
  trim: null,
  duration: null,
  features: { type: 'mfcc', options: { nMfcc: 13 } },
  output: { type: 'stats', stats: ['mean', 'std'] },
});

/** An untrained three-label model ('a', 'b', 'c') on {@link STATS_SPEC}. */
export function smallModel(seed: number): Promise<EmotionModel> {
  return EmotionModel.create({ labels: ['a', 'b', 'c'], featureSpec: STATS_SPEC, inputShape: [26], seed });
}
