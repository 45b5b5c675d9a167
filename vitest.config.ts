import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // One event-loop turn between tests, so that synchronous tests' times do not add up past the
    // worker's 60 s RPC deadline (see the file).
    setupFiles: ['test/helpers/yield-between-tests.ts'],
    // Load TensorFlow.js through Node itself, as users do: one tfjs-core instance, and the wasm
    // backend's Node build.
    server: { deps: { external: [/@tensorflow\//] } },
  },
});
