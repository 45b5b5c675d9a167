// Browser bundle size of `import { extractMfcc } from 'speech-emotion'`, bundled with esbuild
// (minified, ESM, browser platform) from the built package. Fails (exit 1) when the bundle pulls in
// TensorFlow.js or exceeds the budget. Run with `npm run bench:bundle`.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT } from './common.mjs';

const BUDGET_GZIP = 15 * 1024;
const entries = {
  extractMfcc: "import { extractMfcc } from 'speech-emotion'; globalThis.f = extractMfcc;",
  'extractMfcc + decodeWav + delta + cmvn':
    "import { extractMfcc, decodeWav, delta, cmvn } from 'speech-emotion'; globalThis.f = [extractMfcc, decodeWav, delta, cmvn];",
};

let failed = false;
for (const [name, contents] of Object.entries(entries)) {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    // Resolve the package name to this checkout, as a consumer's bundler would.
    alias: { 'speech-emotion': `${ROOT}/dist/index.js` },
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  const gz = gzipSync(code, { level: 9 }).length;
  // Modules whose code is in the bundle (esbuild also lists modules it parsed, then shook out).
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs)
    .filter(([, v]) => v.bytesInOutput > 0)
    .map(([k]) => k);
  const tf = inputs.filter((p) => p.includes('@tensorflow'));
  const ok = gz <= BUDGET_GZIP && tf.length === 0;
  failed ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name}: ${(code.length / 1024).toFixed(1)} kB minified, ${(gz / 1024).toFixed(1)} kB gzipped (budget ${BUDGET_GZIP / 1024} kB), ${inputs.length} modules, tfjs modules: ${tf.length}`,
  );
}
process.exit(failed ? 1 : 0);
