// Networks of several members: copies whose layer names carry the member's number, so members
// saved by different processes (with the same layer names) fit in one model.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SpeechEmotionError } from '../errors.js';
import { inMemoryArtifacts } from './persistence.js';

/** A copy of `net` (topology and weights) with every layer name prefixed, for an ensemble. @internal */
export async function prefixedCopy(
  tf: typeof TF,
  tfl: typeof TFL,
  net: TFL.LayersModel,
  prefix: string,
): Promise<TFL.LayersModel> {
  const artifacts = await inMemoryArtifacts(tf, (h) => net.save(h));
  if (!artifacts?.modelTopology || !artifacts.weightSpecs)
    throw new SpeechEmotionError('INVALID_MODEL', 'EmotionModel.ensemble: a member cannot be serialised.');
  const names = new Set<string>();
  const topology = renameLayers(structuredClone(artifacts.modelTopology) as Json, prefix, names);
  const weightSpecs = artifacts.weightSpecs.map((w) => {
    const cut = w.name.indexOf('/');
    const layer = cut < 0 ? w.name : w.name.slice(0, cut);
    return names.has(layer) ? { ...w, name: prefix + w.name } : w;
  });
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: artifacts.weightData }),
  );
}

type Json = { [key: string]: unknown };

/**
 * Prefixes the layer names of a serialised tfjs-layers model (its own, its layers', nested models'
 * and the references to them in `inbound_nodes`, `input_layers` and `output_layers`), collecting the
 * original names. Other strings (activations, initialisers…) are left alone.
 */
function renameLayers(model: Json, prefix: string, names: Set<string>): Json {
  const config = model.config as Json | undefined;
  if (!config || typeof config !== 'object') return model;
  const ref = (r: unknown) => {
    if (Array.isArray(r) && typeof r[0] === 'string') r[0] = prefix + r[0];
  };
  if (typeof config.name === 'string') {
    names.add(config.name);
    config.name = prefix + config.name;
  }
  if (typeof model.name === 'string') model.name = prefix + model.name;
  for (const key of ['input_layers', 'output_layers'])
    if (Array.isArray(config[key])) (config[key] as unknown[]).forEach(ref);
  if (Array.isArray(config.layers))
    for (const layer of config.layers as Json[]) {
      renameLayers(layer, prefix, names);
      if (Array.isArray(layer.inbound_nodes))
        for (const node of layer.inbound_nodes as unknown[]) if (Array.isArray(node)) node.forEach(ref);
    }
  return model;
}
