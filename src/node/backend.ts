import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { SpeechEmotionError } from '../errors.js';
import { BACKEND_PACKAGES, type BackendName, useBackend as activate } from '../model/backend.js';
import { loadTf } from '../model/tf.js';
import { withLoopAlive } from './event-loop.js';

const require = createRequire(import.meta.url);

async function importOptional(specifier: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

/**
 * Loads a backend's package in Node and makes it the active one. Node backends: `'tensorflow'`
 * (`@tensorflow/tfjs-node-gpu` if installed, else `@tensorflow/tfjs-node`), `'wasm'` (finds its
 * `.wasm` files itself) and `'cpu'`.
 *
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` saying which package to add when it is not
 * installed.
 *
 * @example
 * ```ts
 * import { useBackend } from 'speech-emotion/node';
 * await useBackend('wasm');
 * ```
 */
export function useBackend(name: BackendName): Promise<BackendName> {
  // The wasm backend compiles WebAssembly as it starts: see withLoopAlive for why the loop must run.
  return withLoopAlive(() => loadBackend(name));
}

async function loadBackend(name: BackendName): Promise<BackendName> {
  if (name === 'webgl' || name === 'webgpu') {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `useBackend: '${name}' runs in browsers only; in Node use 'tensorflow', 'wasm' or 'cpu'.`,
    );
  }
  const tf = await loadTf();
  if (!tf.findBackendFactory(name)) {
    if (name === 'tensorflow') {
      let native: Record<string, unknown> | null;
      try {
        native =
          (await importOptional('@tensorflow/tfjs-node-gpu')) ??
          (await importOptional('@tensorflow/tfjs-node'));
      } catch (e) {
        // Installed but not loadable: typically CUDA or cuDNN libraries missing for the -gpu build.
        throw new SpeechEmotionError(
          'INVALID_OPTION',
          `useBackend: TensorFlow.js for Node is installed but failed to load (${(e as Error)?.message ?? e}). For @tensorflow/tfjs-node-gpu, install CUDA 11.2 and cuDNN 8.1, or use 'wasm'.`,
          { cause: e },
        );
      }
      if (!native) throw missing(name);
    } else if (name === 'wasm') {
      const wasm = await importOptional('@tensorflow/tfjs-backend-wasm');
      if (!wasm) throw missing(name);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      (wasm.setWasmPaths as (p: string) => void)(`${dir}/`);
    } else if (!(await importOptional('@tensorflow/tfjs-backend-cpu'))) throw missing(name);
  }
  return activate(name);
}

function missing(name: BackendName): SpeechEmotionError {
  return new SpeechEmotionError(
    'INVALID_OPTION',
    `useBackend: the '${name}' backend needs ${BACKEND_PACKAGES[name]}; run \`npm install ${BACKEND_PACKAGES[name].split(' ')[0]}\`.`,
  );
}

/**
 * The fastest backend installed here: `'tensorflow'` when tfjs-node(-gpu) is installed, else
 * `'wasm'`, else `'cpu'`. What the CLI uses unless `--backend` says otherwise.
 */
export function pickBackend(): BackendName {
  const has = (p: string) => {
    try {
      require.resolve(p);
      return true;
    } catch {
      return false;
    }
  };
  if (has('@tensorflow/tfjs-node-gpu') || has('@tensorflow/tfjs-node')) return 'tensorflow';
  if (has('@tensorflow/tfjs-backend-wasm')) return 'wasm';
  return 'cpu';
}
