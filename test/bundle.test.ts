import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/data.js';

describe('browser bundle', () => {
  it('`import { extractMfcc }` pulls in no TensorFlow.js, no Node built-ins, and stays ≤ 15 kB gzipped', async () => {
    const result = await build({
      stdin: { contents: "export { extractMfcc } from './src/index.ts';", resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes('@tensorflow'))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
    const gz = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
    expect(gz).toBeLessThanOrEqual(15 * 1024);
  });
});
