// The published artifact, as resolvers see it: packs the package and runs publint and
// @arethetypeswrong/cli (every entry under node10, node16 CJS/ESM and bundler resolution) on the
// tarball. Run by CI (`npm run check:package`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'se-pack-check-'));
try {
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      encoding: 'utf8',
    }),
  );
  const tgz = join(dir, filename);
  execFileSync('npx', ['publint', tgz, '--strict'], { stdio: 'inherit' });
  execFileSync('npx', ['attw', tgz, '--format', 'table-flipped'], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
