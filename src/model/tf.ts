import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { SpeechEmotionError } from '../errors.js';

/**
 * Imports an optional peer dependency on first use. Never imported statically: TensorFlow.js is an
 * optional peer dependency with import side effects, so a static import would both break the
 * feature-only entry points for users without it and pull it into every browser bundle. `probe` is
 * a member that tells the module namespace from a CommonJS `default` export.
 */
function lazy<T>(load: () => Promise<unknown>, probe: string, install: string): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= load().then(
      (m) => {
        const d = (m as { default?: Record<string, unknown> }).default;
        return (d && probe in d ? d : m) as T;
      },
      (e: unknown) => {
        promise = undefined;
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `The model API needs ${install}: run \`npm install ${install}\` and a backend.`,
          { cause: e },
        );
      },
    );
    return promise;
  };
}

/** Loads `@tensorflow/tfjs-core` on first use. @internal */
export const loadTf = lazy<typeof TF>(
  () => import('@tensorflow/tfjs-core'),
  'setBackend',
  '@tensorflow/tfjs-core @tensorflow/tfjs-layers',
);

const layers = lazy<typeof TFL>(
  () => import('@tensorflow/tfjs-layers'),
  'sequential',
  '@tensorflow/tfjs-layers',
);

/** Loads `@tensorflow/tfjs-layers` (which also registers tfjs's gradients) on first use. @internal */
export const loadLayers = (): Promise<typeof TFL> => loadTf().then(layers);
