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
    // Modules whose code is in the bundle (esbuild also lists modules it parsed, then shook out).
    const output = Object.values(result.metafile.outputs)[0];
    const inputs = Object.entries(output.inputs)
      .filter(([, v]) => v.bytesInOutput > 0)
      .map(([k]) => k);
    expect(inputs.some((p) => p.includes('src/dsp/mfcc.ts'))).toBe(true);
    expect(inputs.filter((p) => p.includes('@tensorflow'))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
    const gz = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
    expect(gz).toBeLessThanOrEqual(15 * 1024);
  });
});
