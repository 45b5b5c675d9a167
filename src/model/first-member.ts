// A model's first member up to its classifier (the embedding) and the familiarity detector on it:
// what EmotionModel.fitFamiliarity, familiarityOf and calibrated predictions use. Predictions run on
// the network's folded form (folded.ts) where it has one.
import type * as TFL from '@tensorflow/tfjs-layers';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import {
  type FamiliarityTables,
  familiarityDistances,
  familiarityTables,
  fitFamiliarityTables,
} from './familiarity.js';
import { FoldedNetwork } from './folded.js';
import {
  type Forward,
  firstMemberEmbedder,
  jointNetwork,
  predictOutputs,
  predictProbabilities,
} from './inference.js';
import type { Metadata } from './metadata.js';
import { loadLayers, loadTf } from './tf.js';
import { labelIndex } from './training.js';

/** The first member of one model, and its detector (built and decoded when first needed). @internal */
export class FirstMember {
  private embedder?: TFL.LayersModel;
  private joint?: TFL.LayersModel | null;
  private tables?: FamiliarityTables;
  private foldedNet?: FoldedNetwork | null;

  constructor(
    private readonly net: TFL.LayersModel,
    private readonly meta: Metadata,
  ) {}

  /** The network folded for inference (again once its weights change); null when it has no folded form. */
  private async folded(): Promise<FoldedNetwork | null> {
    if (this.foldedNet?.stale) {
      this.foldedNet.dispose();
      this.foldedNet = undefined;
    }
    if (this.foldedNet === undefined)
      this.foldedNet = FoldedNetwork.of(await loadTf(), await loadLayers(), this.net);
    return this.foldedNet;
  }

  /** The model's probabilities (its members' average). */
  async probabilities(matrices: FeatureMatrix[]): Promise<Float32Array[]> {
    return predictProbabilities(await loadTf(), (await this.folded()) ?? this.net, this.meta, matrices);
  }

  /** Frees the folded weights. */
  dispose(): void {
    this.foldedNet?.dispose();
    this.foldedNet = undefined;
  }

  /** The first member's embeddings and probabilities (the member itself for a one-network model). */
  async outputs(
    matrices: FeatureMatrix[],
  ): Promise<{ embeddings: Float32Array[]; probabilities: Float32Array[] }> {
    this.embedder ??= firstMemberEmbedder(await loadLayers(), this.net);
    const [embeddings, probabilities] = await predictOutputs(
      await loadTf(),
      this.embedder,
      this.meta,
      matrices,
    );
    return { embeddings, probabilities };
  }

  /** Fits the detector on clean training rows into the metadata, dropping a calibration's old threshold. */
  async fit(rows: FeatureRow[]): Promise<void> {
    const classes = Array.from(labelIndex(rows, this.meta.labels));
    const { embeddings } = await this.outputs(rows.map((r) => r.features));
    const { familiarity, tables } = fitFamiliarityTables(embeddings, classes);
    this.meta.familiarity = familiarity;
    this.tables = tables;
    if (this.meta.calibration?.unfamiliar) this.meta.calibration.unfamiliar = undefined;
  }

  /** Drops the detector and the calibration's threshold (the weights are about to change). */
  forget(): void {
    this.meta.familiarity = undefined;
    this.tables = undefined;
    if (this.meta.calibration?.unfamiliar) this.meta.calibration.unfamiliar = undefined;
  }

  /** The decoded detector; INVALID_OPTION when the model has none. */
  private detector(fn: string): FamiliarityTables {
    if (!this.meta.familiarity)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: the model has no familiarity detector (fitFamiliarity fits one; train does for the models it trains).`,
      );
    this.tables ??= familiarityTables(fn, this.meta.familiarity);
    return this.tables;
  }

  /** The first member's probabilities and, when the model has a detector, each matrix's distance: one pass. */
  async measured(
    matrices: FeatureMatrix[],
  ): Promise<{ probabilities: Float32Array[]; distances?: number[] }> {
    const { embeddings, probabilities } = await this.outputs(matrices);
    if (!this.meta.familiarity) return { probabilities };
    return { probabilities, distances: familiarityDistances(this.detector('measured'), embeddings) };
  }

  /** Each matrix's familiarity distance; INVALID_OPTION when the model has no detector. */
  async distances(fn: string, matrices: FeatureMatrix[]): Promise<number[]> {
    const tables = this.detector(fn);
    return familiarityDistances(tables, (await this.outputs(matrices)).embeddings);
  }

  /** The model's probabilities and each matrix's familiarity distance, in one pass where it can. */
  async probabilitiesAndDistances(
    fn: string,
    matrices: FeatureMatrix[],
  ): Promise<{ probabilities: Float32Array[]; distances: number[] }> {
    const tables = this.detector(fn);
    const tf = await loadTf();
    let joint: Forward | null = await this.folded();
    if (!joint) {
      if (this.joint === undefined) this.joint = jointNetwork(await loadLayers(), this.net);
      joint = this.joint;
    }
    if (!joint)
      return {
        probabilities: await predictProbabilities(tf, this.net, this.meta, matrices),
        distances: await this.distances(fn, matrices),
      };
    const [probabilities, embeddings] = await predictOutputs(tf, joint, this.meta, matrices);
    return { probabilities, distances: familiarityDistances(tables, embeddings) };
  }
}
