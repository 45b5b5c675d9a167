import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Load TensorFlow.js through Node itself, as users do: one tfjs-core instance, and the wasm
    // backend's Node build.
    server: { deps: { external: [/@tensorflow\//] } },
  },
});
