/**
 * speech-emotion: speech emotion recognition for Node and the browser.
 *
 * This entry is browser-safe: it uses no Node built-ins and never imports TensorFlow.js, so
 * `import { extractMfcc } from 'speech-emotion'` bundles only the DSP code it needs.
 *
 * @packageDocumentation
 */
export { SpeechEmotionError, type SpeechEmotionErrorCode } from './errors.js';
export type { FeatureMatrix, PadMode, WindowName } from './dsp/types.js';
export { getWindow, type WindowOptions } from './dsp/window.js';
export { rfft, type Spectrum } from './dsp/fft.js';
export { spectrogram, type SpectrogramOptions, type StftOptions } from './dsp/spectral.js';
export { hzToMel, melToHz, melFilterbank, type MelFilterbankOptions, type MelNorm } from './dsp/mel.js';
export { powerToDb, type PowerToDbOptions } from './dsp/db.js';
export { dct, type DctNorm, type DctOptions } from './dsp/dct.js';
export { extractMfcc, melSpectrogram, type MelSpectrogramOptions, type MfccOptions } from './dsp/mfcc.js';
export { delta, type DeltaOptions } from './dsp/delta.js';
export { trimSilence, type TrimInterval, type TrimOptions } from './dsp/trim.js';
export { cmvn, type CmvnOptions } from './dsp/cmvn.js';
export { MfccStream } from './dsp/stream.js';
export { decodeWav, type DecodedAudio } from './audio/wav.js';
export { decodeAiff, isAiff } from './audio/aiff.js';
export { mixLossDb, selectChannel, toMono } from './audio/mono.js';
export { CLIPPED_ABOVE, clippingShare } from './audio/clipping.js';
export {
  type AudioBufferLike,
  type AudioContextLike,
  decodeAudio,
  fromAudioBuffer,
} from './audio/browser.js';
export { resample, type ResampleOptions } from './audio/resample.js';
export {
  type CodecOptions,
  type NoiseColor,
  perturbAudio,
  type PerturbOptions,
  type PerturbedAudio,
  type Range,
  type ReverbOptions,
} from './audio/augment.js';
export { EMOTIONS, type Emotion, labelOrder, normaliseLabel } from './datasets/labels.js';
export type { DatasetName, LabelledItem, SkippedFile } from './datasets/types.js';
export {
  ADAPTERS,
  type DatasetAdapter,
  type ParseResult,
  cremaD,
  emodb,
  folders,
  ravdess,
  savee,
  tess,
} from './datasets/adapters.js';
export {
  type Fold,
  type SpeakerSplitOptions,
  type Split,
  type SplitSpeakers,
  type SplitOptions,
  corpusFolds,
  groupKFold,
  predefinedFolds,
  sharedLabels,
  speakerFolds,
  speakerKey,
  speakerSplit,
  stratifiedSplit,
} from './datasets/split.js';
export { type DatasetSummary, type SpeakerSummary, formatSummary, summarize } from './datasets/summary.js';
export {
  DEFAULT_FEATURE_SPEC,
  type ExtraFeature,
  type ExtraFeatureName,
  FEATURE_RESAMPLING,
  FEATURE_SPEC_VERSION,
  type FeatureSpec,
  type FrameStatistic,
  type LogMelFeatures,
  type MfccFeatures,
  type SeriesOutput,
  type StatsOutput,
  computeFeatures,
  defineFeatureSpec,
  featureNames,
  featureSpecHash,
} from './features/spec.js';
export type { BandFill } from './features/prepare.js';
export { type FeatureRow, type FeatureSet, decodeFeatureSet, encodeFeatureSet } from './features/file.js';
export { BACKEND_PACKAGES, type BackendName, useBackend } from './model/backend.js';
export { registerWasmTrainingKernels } from './model/wasm-kernels.js';
export {
  type AnalysedPart,
  type AugmentOptions,
  type CreateOptions,
  EmotionModel,
  type EpochLog,
  type FitOptions,
  MODEL_FORMAT_VERSION,
  type Prediction,
  type TimelineOptions,
  type TimelineSegment,
  type TrainingSummary,
} from './model/emotion-model.js';
export type { ArchitectureName, ModelBuilder } from './model/architectures.js';
export {
  type AudioAugment,
  type DistillOptions,
  RECIPES,
  RECIPE_VERSION,
  type Recipe,
  type RecipeInput,
  type RecipeName,
  defineRecipe,
  memberSeed,
  predictionSpec,
  recipeByName,
} from './model/recipe.js';
export { type TrainRecipeOptions, trainRecipe } from './model/train-recipe.js';
export {
  type Calibration,
  type UnfamiliarCalibration,
  UNCERTAIN_BELOW,
  applyTemperature,
  expectedCalibrationError,
  fitTemperature,
} from './model/calibration.js';
export { type Familiarity, UNFAMILIAR_QUANTILE } from './model/familiarity.js';
export {
  type ClassMetrics,
  type ConfusionMatrix,
  type Evaluation,
  evaluatePredictions,
} from './model/metrics.js';
export type { Figure } from './plot/charts.js';
export type { CanvasLike } from './plot/painter.js';
export {
  type AudioSummary,
  type PlotAudioOptions,
  formatAudioSummary,
  plotAudio,
  summarizeAudio,
} from './plot/audio-figure.js';
export {
  drawFigure,
  plotConfusion,
  plotDatasetSummary,
  plotLearningCurves,
  renderPlot,
} from './plot/figures.js';
export {
  type RmsOptions,
  type TimeFrameOptions,
  type ZeroCrossingRateOptions,
  rms,
  zeroCrossingRate,
} from './dsp/energy.js';
export {
  type SpectralBandwidthOptions,
  type SpectralContrastOptions,
  type SpectralFeatureOptions,
  type SpectralFlatnessOptions,
  type SpectralRolloffOptions,
  spectralBandwidth,
  spectralCentroid,
  spectralContrast,
  spectralFlatness,
  spectralRolloff,
} from './dsp/spectral-shape.js';
export {
  type ChromaStftOptions,
  type EstimateTuningOptions,
  chromaStft,
  estimateTuning,
} from './dsp/chroma.js';
export {
  type YinOptions,
  type YinThresholdOptions,
  yin,
} from './dsp/yin.js';
export { type PyinOptions, type PyinResult, pyin } from './dsp/pyin.js';
