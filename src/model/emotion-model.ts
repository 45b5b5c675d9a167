import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import type { FeatureMatrix } from '../dsp/types.js';
import { checkKnownOptions } from '../dsp/validate.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow, FeatureSet } from '../features/file.js';
import { type FeatureSpec, assertSameSpec, defineFeatureSpec, featureSpecHash } from '../features/spec.js';
import { buildArchitecture } from './architectures.js';
import { type Calibration, checkCalibration } from './calibration.js';
import { prefixedCopy } from './ensemble-net.js';
import type { Familiarity } from './familiarity.js';
import { FirstMember } from './first-member.js';
import { timelineStarts } from './inference.js';
import { MODEL_FORMAT_VERSION, type Metadata } from './metadata.js';
import { type Evaluation, evaluatePredictions } from './metrics.js';
import {
  type CreateOptions,
  type FitOptions,
  type Prediction,
  type TimelineOptions,
  type TimelineSegment,
  type TrainingSummary,
  checkShapes,
} from './options.js';
import { loadNetwork, saveNetwork } from './persistence.js';
import { featuresOrWithheld, labelledPrediction, resolveLabelSet, scoresOf, withSpan } from './prediction.js';
import type { Recipe } from './recipe.js';
import { streamWindows, timelineWindows } from './stream.js';
import { loadLayers, loadTf } from './tf.js';
import { fitNetwork, labelIndex } from './training.js';

export { MODEL_FORMAT_VERSION } from './metadata.js';
export type { AugmentOptions } from './spec-augment.js';
export type {
  AnalysedPart,
  CreateOptions,
  EpochLog,
  FitOptions,
  Prediction,
  TimelineOptions,
  TimelineSegment,
  TrainingSummary,
} from './options.js';

function rowsOf(data: FeatureSet | FeatureRow[], spec: FeatureSpec, what: string): FeatureRow[] {
  if (Array.isArray(data)) return data;
  assertSameSpec(spec, data.spec, what);
  return data.rows;
}

/**
 * A speech emotion classifier: a tfjs-layers network plus everything needed to use it correctly —
 * its labels, the {@link FeatureSpec} its inputs are made with, and the feature normalisation learnt
 * from its training set. Saved and loaded as one unit.
 *
 * Needs `@tensorflow/tfjs-core`, `@tensorflow/tfjs-layers` and a backend ({@link useBackend}).
 *
 * @example
 * ```ts
 * const spec = defineFeatureSpec({ duration: { offset: 0.5, seconds: 2.5 }, output: { type: 'series' } });
 * const model = await EmotionModel.create({ labels: [...EMOTIONS], featureSpec: spec, inputShape: [79, 40] });
 * await model.fit(trainSet, { validation: valSet, epochs: 30 });
 * console.log((await model.evaluate(testSet)).unweightedAccuracy);
 * await model.save('models/mine');
 * ```
 */
export class EmotionModel {
  private constructor(
    private readonly net: TFL.LayersModel,
    private readonly meta: Metadata,
  ) {}

  private firstMemberCache?: FirstMember;
  /** The first member up to its classifier, and the familiarity detector on it. */
  private get member(): FirstMember {
    this.firstMemberCache ??= new FirstMember(this.net, this.meta);
    return this.firstMemberCache;
  }

  /** The labels, in output order. */
  get labels(): string[] {
    return [...this.meta.labels];
  }

  /** The FeatureSpec inputs must be made with. */
  get featureSpec(): FeatureSpec {
    return structuredClone(this.meta.featureSpec);
  }

  /** The summary of the last {@link EmotionModel.fit}, if any. */
  get training(): TrainingSummary | undefined {
    return this.meta.training;
  }

  /** The recipe the model was trained with ({@link trainRecipe}), if any. */
  get recipe(): Recipe | undefined {
    return this.meta.recipe ? structuredClone(this.meta.recipe) : undefined;
  }

  /**
   * How {@link EmotionModel.predict}'s scores are calibrated, if they are ({@link Calibration});
   * `predictFeatures` and `evaluate` always use the network's raw probabilities.
   */
  get calibration(): Calibration | undefined {
    return this.meta.calibration ? { ...this.meta.calibration } : undefined;
  }

  /**
   * Sets (or, with `null`, removes) the calibration that `predict`, `predictBatch` and the timelines
   * apply; it is saved with the model. Learn the temperature with {@link fitTemperature} on
   * held-out predictions (`speech-emotion calibrate` does it from a cross-validation's `cv-clips.json`).
   */
  setCalibration(calibration: Calibration | null): void {
    this.meta.calibration =
      calibration === null
        ? undefined
        : checkCalibration('EmotionModel.setCalibration', calibration, this.meta.familiarity !== undefined);
  }

  /** The familiarity detector's sizes and scale, if the model has one ({@link EmotionModel.fitFamiliarity}). */
  get familiarity(): Omit<Familiarity, 'factor' | 'means'> | undefined {
    const { factor: _f, means: _m, ...sizes } = this.meta.familiarity ?? {};
    return this.meta.familiarity ? (sizes as Omit<Familiarity, 'factor' | 'means'>) : undefined;
  }

  /**
   * Fits the model's familiarity detector on its clean training recordings (made with its
   * FeatureSpec, no augmented copies): on the first member's embedding (the input of its
   * classifier), a mean per emotion and a shared covariance shrunk 10% toward its mean variance.
   * {@link EmotionModel.familiarityOf} then tells how far a recording lies from them. `train` does
   * this for every model it trains. Refitting drops `calibration.unfamiliar`, whose threshold was in
   * the old detector's units; training again ({@link EmotionModel.fit}) drops the detector. 256
   * dimensions and eight emotions take 186 KB of model.json.
   */
  async fitFamiliarity(data: FeatureSet | FeatureRow[]): Promise<void> {
    await this.member.fit(rowsOf(data, this.meta.featureSpec, 'the familiarity rows'));
  }

  /**
   * How far each recording (feature matrices made with the model's spec) lies from the model's
   * training recordings: the smallest Mahalanobis distance of its first-member embedding to an
   * emotion's mean, in units of the training recordings' median (about 1 for a training recording;
   * 95% of unseen speakers of the training corpora stay under about 1.4). INVALID_OPTION without a detector.
   */
  async familiarityOf(matrices: FeatureMatrix[]): Promise<number[]> {
    return this.member.distances('EmotionModel.familiarityOf', matrices);
  }

  /**
   * The first member's probabilities (the member itself for a one-network model) and, with a
   * detector, each matrix's familiarity distance, from one pass. @internal
   */
  async firstMember(matrices: FeatureMatrix[]) {
    return this.member.measured(matrices);
  }

  /** The underlying tfjs-layers model. */
  get layersModel(): TFL.LayersModel {
    return this.net;
  }

  /** Builds an untrained model. */
  static async create(options: CreateOptions): Promise<EmotionModel> {
    checkKnownOptions('EmotionModel.create', options, [
      'labels',
      'featureSpec',
      'architecture',
      'inputShape',
      'seed',
      'recipe',
    ]);
    const { labels, inputShape } = checkShapes(options);
    const spec = defineFeatureSpec(options.featureSpec);
    const tfl = await loadLayers();
    const arch = options.architecture ?? (inputShape.length === 1 ? 'mlp' : 'cnn1d');
    let net: TFL.LayersModel;
    try {
      net =
        typeof arch === 'function'
          ? arch(inputShape, labels.length)
          : buildArchitecture(await loadTf(), tfl, arch, inputShape, labels.length, options.seed ?? 0);
    } catch (e) {
      throw new SpeechEmotionError('INVALID_OPTION', `EmotionModel.create: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const features = inputShape[inputShape.length - 1];
    return new EmotionModel(net, {
      format: MODEL_FORMAT_VERSION,
      library: 'speech-emotion',
      labels: [...labels],
      featureSpec: spec,
      specHash: featureSpecHash(spec),
      inputShape: [...inputShape],
      normalization: { mean: new Array(features).fill(0), std: new Array(features).fill(1) },
      ...(options.recipe ? { recipe: structuredClone(options.recipe) } : {}),
    });
  }

  /**
   * Combines models into one that averages their class probabilities (an ensemble), saved and loaded
   * as a single model. The members must share labels, FeatureSpec, input shape and normalisation —
   * typically the same recipe trained on the same rows with different seeds. Members loaded from
   * separately saved files are fine. The ensemble holds its own copy of the weights: the members stay
   * usable, and disposing of them does not affect it. The ensemble has no calibration: learn one
   * for it ({@link EmotionModel.setCalibration}).
   */
  static async ensemble(members: EmotionModel[]): Promise<EmotionModel> {
    const fn = 'EmotionModel.ensemble';
    if (!Array.isArray(members) || members.length < 2 || !members.every((m) => m instanceof EmotionModel))
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: give at least two EmotionModels.`);
    const [first] = members;
    const same = (m: EmotionModel) =>
      JSON.stringify([m.meta.labels, m.meta.specHash, m.meta.inputShape, m.meta.normalization]) ===
      JSON.stringify([
        first.meta.labels,
        first.meta.specHash,
        first.meta.inputShape,
        first.meta.normalization,
      ]);
    if (!members.every(same))
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: the members differ in labels, FeatureSpec, input shape or normalisation; train them on the same rows with the same spec.`,
      );
    const tf = await loadTf();
    const tfl = await loadLayers();
    // Copies of the members whose layer (and so weight) names carry the member's number: members
    // loaded from files saved by different processes have the same names ('sequential_1',
    // 'conv1d_Conv1D1/kernel'…), which one model cannot hold or save unambiguously.
    const copies = await Promise.all(members.map((m, i) => prefixedCopy(tf, tfl, m.net, `member${i + 1}_`)));
    const input = tfl.input({ shape: first.meta.inputShape });
    const outputs = copies.map((net) => net.apply(input) as TFL.SymbolicTensor);
    const average = tfl.layers.average().apply(outputs) as TFL.SymbolicTensor;
    const net = tfl.model({ inputs: input, outputs: average });
    const meta: Metadata = structuredClone(first.meta);
    if (first.meta.training) meta.training = { ...first.meta.training, members: members.length };
    // A member's temperature is not the ensemble's (averaging already softens the scores); a
    // detector is fitted on the ensemble's training recordings.
    meta.calibration = undefined;
    meta.familiarity = undefined;
    return new EmotionModel(net, meta);
  }

  /**
   * Trains the model. Feature normalisation (mean and standard deviation per feature) is learnt from
   * the training rows only (or `normalizationRows`) and stored in the model. A familiarity detector
   * (and the calibration's threshold for unfamiliar audio) is dropped: fit it again afterwards.
   */
  async fit(train: FeatureSet | FeatureRow[], options: FitOptions = {}): Promise<TrainingSummary> {
    const rows = rowsOf(train, this.meta.featureSpec, 'the training data');
    const val = options?.validation
      ? rowsOf(options.validation, this.meta.featureSpec, 'the validation data')
      : undefined;
    const validate = val ? async () => (await this.evaluate(val)).unweightedAccuracy : null;
    this.member.forget(); // a detector of the old weights' embedding would mislead
    return fitNetwork(this.net, this.meta, rows, validate, options ?? {});
  }

  /** Class probabilities for feature matrices made with the model's spec, one row per item. */
  async predictFeatures(matrices: FeatureMatrix[]): Promise<Float32Array[]> {
    return this.member.probabilities(matrices);
  }

  /**
   * Scores the model on labelled rows (see {@link Evaluation}). With `labels`, predictions are
   * restricted to those labels (as {@link EmotionModel.predict} does) and the confusion matrix has
   * their rows only: how a dataset that carries fewer emotions than the model knows is scored.
   * `labels: 'data'` takes the labels the rows carry.
   */
  async evaluate(
    data: FeatureSet | FeatureRow[],
    options: { labels?: string[] | 'data' } = {},
  ): Promise<Evaluation> {
    checkKnownOptions('EmotionModel.evaluate', options, ['labels']);
    const rows = rowsOf(data, this.meta.featureSpec, 'the evaluation data');
    labelIndex(rows, this.meta.labels);
    const wanted = options.labels === 'data' ? [...new Set(rows.map((r) => r.label))] : options.labels;
    const allowed = resolveLabelSet('EmotionModel.evaluate', wanted, this.meta.labels);
    const outside = allowed ? [...new Set(rows.map((r) => r.label))].filter((l) => !allowed.includes(l)) : [];
    if (outside.length)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `EmotionModel.evaluate: the rows carry ${outside.map((l) => `'${l}'`).join(', ')}, which 'labels' leaves out. Drop those rows or add the labels.`,
      );
    const probs = await this.predictFeatures(rows.map((r) => r.features));
    const predicted = probs.map((p) => scoresOf(p, this.meta.labels, allowed).label);
    return evaluatePredictions(
      rows.map((r) => r.label),
      predicted,
      allowed ?? this.meta.labels,
    );
  }

  /**
   * Predicts the emotion of a recording at any sample rate (resampled to the model's). Silent, too
   * short or noise-like audio gets `label: null` and a `warning` instead of a confident guess.
   */
  async predict(
    signal: Float32Array | Float64Array,
    options: { sampleRate: number; labels?: string[] },
  ): Promise<Prediction> {
    checkKnownOptions('EmotionModel.predict', options, ['sampleRate', 'labels']);
    return (
      await this.predictBatch([{ signal, sampleRate: options?.sampleRate }], { labels: options?.labels })
    )[0];
  }

  /**
   * {@link EmotionModel.predict} for several recordings, batched. `labels` restricts every
   * prediction to those emotions: the label is the likeliest of them, and their scores are
   * renormalised to sum to 1 (for an app that only cares about, say, angry versus neutral).
   */
  async predictBatch(
    inputs: { signal: Float32Array | Float64Array; sampleRate: number }[],
    options: { labels?: string[] } = {},
  ): Promise<Prediction[]> {
    checkKnownOptions('EmotionModel.predictBatch', options, ['labels']);
    const allowed = resolveLabelSet('EmotionModel.predictBatch', options.labels, this.meta.labels);
    const results = inputs.map(({ signal, sampleRate }) =>
      featuresOrWithheld(signal, sampleRate, this.meta.featureSpec),
    );
    const heard = results.flatMap((r) => ('features' in r ? [r.features] : []));
    const labelled = await this.labelFeatures(heard, allowed);
    let at = 0;
    return results.map((r) => ('features' in r ? withSpan(labelled[at++], r.span) : r));
  }

  /** Predictions for feature matrices: probabilities, calibration, familiarity. @internal */
  async labelFeatures(matrices: FeatureMatrix[], allowed?: readonly string[]): Promise<Prediction[]> {
    const calibration = this.meta.calibration;
    const { probabilities, distances } = calibration?.unfamiliar
      ? await this.member.probabilitiesAndDistances('EmotionModel.predict', matrices)
      : { probabilities: await this.predictFeatures(matrices), distances: [] };
    return probabilities.map((p, i) =>
      labelledPrediction(p, this.meta.labels, allowed, calibration, distances[i]),
    );
  }

  /**
   * The emotion over time in a long recording: the model's prediction for each window of `window`
   * seconds, every `hop` seconds (the last window ends at the end of the signal). Windows are
   * analysed a batch at a time, so memory stays bounded however long the recording; silent windows
   * get `label: null` and `warning: 'silent'`.
   */
  async predictTimeline(
    signal: Float32Array | Float64Array,
    options: TimelineOptions,
  ): Promise<TimelineSegment[]> {
    checkKnownOptions('EmotionModel.predictTimeline', options, [
      'sampleRate',
      'window',
      'hop',
      'onSegment',
      'labels',
    ]);
    const { sampleRate } = options ?? ({} as TimelineOptions);
    const fn = 'EmotionModel.predictTimeline';
    if (!Number.isInteger(sampleRate) || sampleRate <= 0)
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: 'sampleRate' must be a positive integer (Hz).`);
    const { winLen, hopLen } = timelineWindows(fn, options, this.meta.featureSpec);
    const starts = timelineStarts(signal.length, winLen, hopLen);
    const segments: TimelineSegment[] = [];
    const batch = 16;
    for (let b = 0; b < starts.length; b += batch) {
      const chunk = starts.slice(b, b + batch);
      const predictions = await this.predictBatch(
        chunk.map((s) => ({ signal: signal.subarray(s, Math.min(signal.length, s + winLen)), sampleRate })),
        { labels: options.labels },
      );
      for (const [i, p] of predictions.entries()) {
        const start = chunk[i] / sampleRate;
        const end = Math.min(signal.length, chunk[i] + winLen) / sampleRate;
        const segment: TimelineSegment = { start, end, ...p };
        segments.push(segment);
        await options.onSegment?.(segment);
      }
    }
    return segments;
  }

  /**
   * {@link EmotionModel.predictTimeline} for audio that arrives in chunks: a microphone, a network
   * stream, a file read piece by piece. Each window is predicted as soon as its last sample has
   * arrived, and only the samples of the current window are kept, so memory stays constant over any
   * length. The segments equal `predictTimeline` on the whole signal, the last (aligned to the end,
   * when the length is not a whole number of hops) included.
   *
   * @param chunks - Mono samples at `sampleRate`, in order, as an async or sync iterable.
   * @param options - `sampleRate`, `window`, `hop` as for predictTimeline.
   * @returns Segments, in order, as they are ready.
   *
   * @example
   * ```ts
   * for await (const seg of model.predictStream(microphoneChunks, { sampleRate: 48000 }))
   *   console.log(seg.start, seg.label);
   * ```
   */
  predictStream(
    chunks: AsyncIterable<Float32Array | Float64Array> | Iterable<Float32Array | Float64Array>,
    options: Omit<TimelineOptions, 'onSegment'>,
  ): AsyncGenerator<TimelineSegment> {
    const fn = 'EmotionModel.predictStream';
    checkKnownOptions(fn, options, ['sampleRate', 'window', 'hop', 'labels']);
    const { sampleRate } = options ?? ({} as TimelineOptions);
    if (!Number.isInteger(sampleRate) || sampleRate <= 0)
      throw new SpeechEmotionError('INVALID_OPTION', `${fn}: 'sampleRate' must be a positive integer (Hz).`);
    const { winLen, hopLen } = timelineWindows(fn, options, this.meta.featureSpec);
    return streamWindows(chunks, winLen, hopLen, sampleRate, (windows) =>
      this.predictBatch(
        windows.map((w) => ({ signal: w, sampleRate })),
        { labels: options.labels },
      ),
    );
  }

  /**
   * Saves the model: a tfjs-layers `model.json` (with the labels, FeatureSpec, normalisation and
   * training summary in its `userDefinedMetadata`) and `weights.bin`. In Node, give a folder path;
   * anywhere, a tfjs IOHandler or URL scheme (`indexeddb://…`, `downloads://…`).
   */
  async save(destination: string | TF.io.IOHandler): Promise<void> {
    await saveNetwork(this.net, this.meta, destination);
  }

  /**
   * Loads a saved model: a folder (or its `model.json`) in Node, a URL of `model.json` in browsers,
   * or any tfjs IOHandler. With no argument, loads the default model shipped in the package
   * (`models/default`, see its model card), from the installed package in Node and through a
   * bundler-resolved URL in browsers; nothing is downloaded from elsewhere. Refuses files that are not speech-emotion models, a FeatureSpec of
   * another format version, missing labels, and weights that do not fit the network.
   */
  static async load(source?: string | TF.io.IOHandler): Promise<EmotionModel> {
    const { net, meta } = await loadNetwork(source);
    return new EmotionModel(net, meta);
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.firstMemberCache?.dispose();
    this.net.dispose();
  }
}
