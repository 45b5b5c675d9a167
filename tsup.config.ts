import { defineConfig } from 'tsup';

const external = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'];

// dist/ is emptied by the build script, not here: the two configs build side by side.
export default defineConfig([
  {
    // The library. extract-worker is the worker_threads entry that node's extractItems starts.
    entry: { index: 'src/index.ts', node: 'src/node.ts', 'extract-worker': 'src/node/extract-worker.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    splitting: true,
    shims: true,
    external,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external,
  },
]);
