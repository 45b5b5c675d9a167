import { SpeechEmotionError } from '../errors.js';
import { registerGradients } from './gradients.js';
import { loadTf } from './tf.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

/**
 * TensorFlow.js backends: `'tensorflow'` is `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`
 * (native, CUDA with -gpu), `'webgl'` and `'webgpu'` run on the GPU in browsers, `'wasm'`
 * (`@tensorflow/tfjs-backend-wasm`) runs anywhere on the CPU with SIMD, `'cpu'` is plain JavaScript.
 */
export type BackendName = 'tensorflow' | 'webgl' | 'webgpu' | 'wasm' | 'cpu';

/** The package that provides each backend. */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  tensorflow: '@tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu on a CUDA machine)',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/**
 * Makes a TensorFlow.js backend the active one, for training and prediction. The consumer loads the
 * backend's package (this library never forces one into a browser bundle); in Node,
 * `useBackend` from `speech-emotion/node` loads it too.
 *
 * With `'wasm'` it also registers the library's training kernels (see the README's training section):
 * stock tfjs cannot train convolutions on wasm.
 *
 * @returns The backend now in use.
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` naming the package to install and import when
 * the backend is not registered, or when it fails to initialise (e.g. no WebGPU in this browser).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-webgl';
 * import { useBackend } from 'speech-emotion';
 * await useBackend('webgl');
 * ```
 */
export async function useBackend(name: BackendName): Promise<BackendName> {
  if (!(name in BACKEND_PACKAGES)) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `useBackend: unknown backend '${name}'. Known: ${Object.keys(BACKEND_PACKAGES).join(', ')}.`,
    );
  }
  const tf = await loadTf();
  if (!tf.findBackendFactory(name)) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `useBackend: the '${name}' backend is not loaded. Install ${BACKEND_PACKAGES[name]} and import it before calling useBackend.`,
    );
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `useBackend: the '${name}' backend failed to start: ${(e as Error)?.message ?? e}`,
      { cause: e },
    );
  }
  if (!ok)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `useBackend: the '${name}' backend failed to start on this platform.`,
    );
  registerGradients(tf);
  if (name === 'wasm') await registerWasmTrainingKernels();
  return name;
}
