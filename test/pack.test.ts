// The published artifact: `npm pack`, installed into an empty folder, runs the main job with no
// other files: `npx speech-emotion predict <file> --json` with the bundled model.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMOTIONS } from '../src/index.js';
import { ROOT, missing, skipNote } from './helpers/data.js';

const NOT_READY = missing('cli', 'model');
const npm = (args: string[], cwd: string) => spawnSync('npm', args, { cwd, encoding: 'utf8' });
/** npm without blocking this test worker: an install can take long enough to miss vitest's RPC deadline. */
const npmAsync = (args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stderr }));
  });

describe.skipIf(NOT_READY)(`the packed package${skipNote(NOT_READY)}`, () => {
  it('installs from its tarball and predicts a WAV with npx speech-emotion predict --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-pack-'));
    // --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet.
    const pack = npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout);
    const files: string[] = info.files.map((f: { path: string }) => f.path);
    for (const f of [
      'dist/cli.js',
      'dist/index.js',
      'dist/node.js',
      'models/default/model.json',
      'models/default/weights.bin',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /^(test|scripts|examples|bench|src)\//.test(f) || f.endsWith('.wav'))).toEqual(
      [],
    );
    console.log(
      `tarball: ${info.filename}, ${(info.size / 1e6).toFixed(2)} MB packed, ${files.length} files`,
    );

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    const install = await npmAsync(
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info.filename)],
      app,
    );
    expect(install.status, install.stderr).toBe(0);
    copyFileSync(join(ROOT, 'examples', 'audio', 'sample.wav'), join(app, 'sample.wav'));
    const r = spawnSync('npx', ['--no-install', 'speech-emotion', 'predict', 'sample.wav', '--json'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/TensorFlow\.js in Node/);
    const out = JSON.parse(r.stdout.trim());
    expect(out.file).toBe('sample.wav');
    expect(EMOTIONS).toContain(out.label);
    expect(Object.values(out.scores as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  }, 300_000);
});
