import type * as TF from '@tensorflow/tfjs-core';
import { SpeechEmotionError } from '../errors.js';

let tfPromise: Promise<typeof TF> | undefined;

/**
 * Loads `@tensorflow/tfjs-core` on first use. Never imported statically: tfjs-core is an optional
 * peer dependency and has import side effects, so a static import would both break the feature-only
 * entry points for users without it and pull it into every browser bundle.
 * @internal
 */
export function loadTf(): Promise<typeof TF> {
  tfPromise ??= import('@tensorflow/tfjs-core').then(
    // CommonJS interop: Node exposes tfjs-core's exports as named exports and as `default`.
    (m) =>
      (m as { default?: typeof TF }).default?.setBackend
        ? (m as { default: typeof TF }).default
        : (m as typeof TF),
    (e: unknown) => {
      tfPromise = undefined;
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'The model API needs @tensorflow/tfjs-core and @tensorflow/tfjs-layers: run `npm install @tensorflow/tfjs-core @tensorflow/tfjs-layers` and a backend.',
        { cause: e },
      );
    },
  );
  return tfPromise;
}
