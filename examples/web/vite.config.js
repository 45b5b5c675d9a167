// Builds the demo from this repository: `speech-emotion` resolves to the package built in ../../dist
// (run `npm run build` first; `npm run example:web` does both), as an installed copy would.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: { alias: { 'speech-emotion': here('../../dist/index.js') } },
  worker: { format: 'es' },
  build: { outDir: here('./dist'), emptyOutDir: true, target: 'es2022' },
  server: { fs: { allow: [here('../..')] } },
});
