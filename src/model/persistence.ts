import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SpeechEmotionError } from '../errors.js';
import { defineFeatureSpec } from '../features/spec.js';
import { isNode, nodeModule } from '../util/node-only.js';
// Saving and loading: a tfjs-layers model.json with the speech-emotion metadata, and weights.bin,
// written whole and renamed into place; loading checks that the metadata fits the network.
import { checkCalibration } from './calibration.js';
import { familiarityTables } from './familiarity.js';
import { MODEL_FORMAT_VERSION, type Metadata } from './metadata.js';
import { loadLayers, loadTf } from './tf.js';

/**
 * What a network's save gives, kept in memory (topology, weight specs and data, metadata): for a
 * copy of it, or to send it to another thread. `save` is `net.save` or `EmotionModel.save`.
 * @internal
 */
export async function inMemoryArtifacts(
  tf: typeof TF,
  save: (handler: TF.io.IOHandler) => Promise<unknown>,
): Promise<TF.io.ModelArtifacts | undefined> {
  let artifacts: TF.io.ModelArtifacts | undefined;
  await save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts;
}

/** Saves a network with its metadata (see EmotionModel.save). @internal */
export async function saveNetwork(
  net: TFL.LayersModel,
  meta: Metadata,
  destination: string | TF.io.IOHandler,
): Promise<void> {
  const tf = await loadTf();
  // Through JSON, as it will be stored: tfjs refuses a metadata object holding `undefined`.
  net.setUserDefinedMetadata({ speechEmotion: JSON.parse(JSON.stringify(meta)) });
  if (typeof destination !== 'string' || /^[a-z]+:\/\//.test(destination)) {
    await net.save(destination as TF.io.IOHandler);
    return;
  }
  if (!isNode())
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'EmotionModel.save: a folder path works in Node only; in browsers give an IOHandler or a URL scheme.',
    );
  const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await nodeModule<typeof import('node:path')>('node:path');
  await net.save(
    tf.io.withSaveHandler(async (a) => {
      await fs.mkdir(destination, { recursive: true });
      const weights = new Uint8Array(a.weightData as ArrayBuffer);
      const json = {
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
        userDefinedMetadata: a.userDefinedMetadata,
      };
      // Weights first, then model.json, each written whole and renamed into place.
      for (const [name, data] of [
        ['weights.bin', weights],
        ['model.json', JSON.stringify(json)],
      ] as const) {
        const tmp = path.join(destination, `.${name}.tmp-${Date.now()}`);
        await fs.writeFile(tmp, data);
        await fs.rename(tmp, path.join(destination, name));
      }
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.length,
        },
      };
    }),
  );
}

/**
 * Where the model shipped in the package is: a file path in Node, an IOHandler over the
 * bundler-resolved URLs elsewhere.
 */
async function bundledSource(tf: typeof TF): Promise<string | TF.io.IOHandler> {
  // The literal `new URL(…, import.meta.url)` lets bundlers (Vite, webpack 5, Rollup) copy both
  // files and rewrite the URLs.
  const json = new URL('../models/default/model.json', import.meta.url);
  const weights = new URL('../models/default/weights.bin', import.meta.url);
  if (isNode() && json.protocol === 'file:') {
    const url = await nodeModule<typeof import('node:url')>('node:url');
    const fs = await nodeModule<typeof import('node:fs')>('node:fs');
    // Built, this file is dist/<chunk>.js, one folder below models/; run from the sources
    // (src/model/persistence.ts, as tests and ts-node do) it is two folders below.
    const fromSource = new URL('../../models/default/model.json', import.meta.url);
    const path = url.fileURLToPath(json);
    return fs.existsSync(path) ? path : url.fileURLToPath(fromSource);
  }
  return tf.io.http(json.href, { weightUrlConverter: async () => weights.href });
}

/** A model folder (or its model.json) read from disk into an in-memory IOHandler (Node). */
async function fileHandler(tf: typeof TF, source: string): Promise<TF.io.IOHandler> {
  if (!isNode()) throw new SpeechEmotionError('INVALID_OPTION', 'EmotionModel.load: give a URL in browsers.');
  const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises');
  const path = await nodeModule<typeof import('node:path')>('node:path');
  const jsonPath = source.endsWith('.json') ? source : path.join(source, 'model.json');
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: object;
    format?: string;
  };
  try {
    json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `EmotionModel.load: cannot read ${jsonPath}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `EmotionModel.load: ${jsonPath} is not a tfjs layers model (no modelTopology or weightsManifest).`,
    );
  }
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths)
      parts.push(
        await fs.readFile(path.join(path.dirname(jsonPath), p)).catch((e: Error) => {
          throw new SpeechEmotionError(
            'INVALID_MODEL',
            `EmotionModel.load: weights file ${p} is missing: ${e.message}`,
          );
        }),
      );
  }
  const weightData = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.length;
  }
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    userDefinedMetadata: json.userDefinedMetadata,
    format: json.format,
  });
}

/** The speech-emotion metadata of a restored network, checked against the network. */
function checkedMetadata(net: TFL.LayersModel): Metadata {
  const meta = (net.getUserDefinedMetadata() as { speechEmotion?: Metadata } | undefined)?.speechEmotion;
  const fail = (message: string) => new SpeechEmotionError('INVALID_MODEL', `EmotionModel.load: ${message}`);
  if (!meta || meta.library !== 'speech-emotion')
    throw fail('this tfjs model has no speech-emotion metadata (labels, FeatureSpec, normalisation).');
  if (meta.format !== MODEL_FORMAT_VERSION)
    throw fail(`model format ${meta.format} is not supported (this version reads ${MODEL_FORMAT_VERSION}).`);
  if (!Array.isArray(meta.labels) || meta.labels.length < 2) throw fail('the model lists no labels.');
  const spec = defineFeatureSpec(meta.featureSpec); // SPEC_MISMATCH for another spec version
  const outUnits = (net.outputs[0].shape as number[]).at(-1);
  if (outUnits !== meta.labels.length)
    throw fail(`the network has ${outUnits} outputs but the metadata lists ${meta.labels.length} labels.`);
  const features = meta.inputShape?.at(-1);
  if (
    !features ||
    meta.normalization?.mean?.length !== features ||
    meta.normalization?.std?.length !== features
  )
    throw fail('the normalisation does not match the input shape.');
  if (meta.familiarity !== undefined) familiarityTables('EmotionModel.load', meta.familiarity);
  if (meta.calibration !== undefined)
    checkCalibration('EmotionModel.load', meta.calibration, meta.familiarity !== undefined);
  return { ...meta, featureSpec: spec };
}

/** Loads and checks a saved network and its metadata (see EmotionModel.load). @internal */
export async function loadNetwork(
  source?: string | TF.io.IOHandler,
): Promise<{ net: TFL.LayersModel; meta: Metadata }> {
  const tf = await loadTf();
  const from = source ?? (await bundledSource(tf));
  const handler = typeof from === 'string' && !/^[a-z]+:\/\//.test(from) ? await fileHandler(tf, from) : from;
  const tfl = await loadLayers();
  let net: TFL.LayersModel;
  try {
    net = await tfl.loadLayersModel(handler as TF.io.IOHandler);
  } catch (e) {
    throw new SpeechEmotionError(
      'INVALID_MODEL',
      `EmotionModel.load: the network cannot be restored: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return { net, meta: checkedMetadata(net) };
}
