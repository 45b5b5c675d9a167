import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SpeechEmotionError } from '../errors.js';
import { customLayers } from './layers.js';

/*
 * TensorFlow.js is imported on first use, never statically: it is an optional peer dependency with
 * import side effects, so a static import would break the feature-only entry points for users
 * without it and pull it into every browser bundle. Only function declarations here (no top-level
 * calls), so bundlers drop all of this from bundles that never train or predict.
 */

let tfPromise: Promise<typeof TF> | undefined;
let tflPromise: Promise<typeof TFL> | undefined;

/** Picks the module namespace or, for CommonJS, its `default` export; `probe` is a known member. */
function interop<T>(m: unknown, probe: string): T {
  const d = (m as { default?: Record<string, unknown> }).default;
  return (d && probe in d ? d : m) as T;
}

function missing(install: string, e: unknown): SpeechEmotionError {
  return new SpeechEmotionError(
    'INVALID_OPTION',
    `The model API needs ${install}: run \`npm install ${install}\` and a backend.`,
    { cause: e },
  );
}

/** Loads `@tensorflow/tfjs-core` on first use. @internal */
export function loadTf(): Promise<typeof TF> {
  tfPromise ??= import('@tensorflow/tfjs-core').then(
    (m) => interop<typeof TF>(m, 'setBackend'),
    (e: unknown) => {
      tfPromise = undefined;
      throw missing('@tensorflow/tfjs-core @tensorflow/tfjs-layers', e);
    },
  );
  return tfPromise;
}

/** Loads `@tensorflow/tfjs-layers` (which also registers tfjs's gradients) on first use. @internal */
export function loadLayers(): Promise<typeof TFL> {
  tflPromise ??= loadTf().then(() =>
    import('@tensorflow/tfjs-layers').then(
      (m) => {
        const tfl = interop<typeof TFL>(m, 'sequential');
        return loadTf().then((tf) => {
          customLayers(tf, tfl); // so saved models with this library's layers load
          return tfl;
        });
      },
      (e: unknown) => {
        tflPromise = undefined;
        throw missing('@tensorflow/tfjs-layers', e);
      },
    ),
  );
  return tflPromise;
}
