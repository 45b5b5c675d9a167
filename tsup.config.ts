import { defineConfig } from 'tsup';

const external = [/^@tensorflow\//, 'audio-decode', '@napi-rs/canvas'];

// dist/ is emptied by the build script, not here: the two configs build side by side.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    splitting: true,
    shims: true,
    external,
  },
  {
    // The CLI, and the worker_threads entry that extractItems starts (ESM only: it awaits at top
    // level; the CJS build of the library starts this same file).
    entry: {
      cli: 'src/cli/main.ts',
      'extract-worker': 'src/node/extract-worker.ts',
      'train-worker': 'src/node/train-worker.ts',
      'recipe-worker': 'src/node/recipe-worker.ts',
    },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: ({ format }) => ({ js: format === 'esm' ? '#!/usr/bin/env node' : '' }),
    external,
  },
]);
