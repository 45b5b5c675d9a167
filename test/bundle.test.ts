import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/data.js';

// The built package is what users bundle (npm test builds it first); the sources stand in on a
// checkout that has not been built.
const entry = existsSync(join(ROOT, 'dist', 'index.js')) ? './dist/index.js' : './src/index.ts';

describe(`browser bundle of ${entry}`, () => {
  it('`import { extractMfcc }` pulls in no TensorFlow.js, no Node built-ins, and stays ≤ 15 kB gzipped', async () => {
    const result = await build({
      stdin: { contents: `export { extractMfcc } from '${entry}';`, resolveDir: ROOT, loader: 'ts' },
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
    expect(inputs.some((p) => /(dist\/(index|chunk-)|src\/dsp\/mfcc)/.test(p))).toBe(true);
    expect(inputs.filter((p) => p.includes('@tensorflow'))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
    const gz = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
    expect(gz).toBeLessThanOrEqual(15 * 1024);
  });
});
