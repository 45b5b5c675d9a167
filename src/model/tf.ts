import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
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

let tflPromise: Promise<typeof TFL> | undefined;

/** Loads `@tensorflow/tfjs-layers` (which also registers tfjs's gradients) on first use. @internal */
export function loadLayers(): Promise<typeof TFL> {
  tflPromise ??= loadTf().then(() =>
    import('@tensorflow/tfjs-layers').then(
      (m) =>
        (m as { default?: typeof TFL }).default?.sequential
          ? (m as { default: typeof TFL }).default
          : (m as typeof TFL),
      (e: unknown) => {
        tflPromise = undefined;
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          'The model API needs @tensorflow/tfjs-layers: run `npm install @tensorflow/tfjs-layers`.',
          { cause: e },
        );
      },
    ),
  );
  return tflPromise;
}
