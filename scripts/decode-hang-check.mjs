// Counts hangs of extractItems over compressed files, each run in a fresh process: the measurement
// behind withLoopAlive (src/node/event-loop.ts). Before it, about one run in 15 of 150 mp3 files
// on one thread never finished (the process idle, no CPU used).
//
//   node scripts/decode-hang-check.mjs [--runs 60] [--jobs 1] [--files 150] [--dist <a build's folder>]
//
// Needs the built package (npm run build), ffmpeg on the PATH, and RAVDESS under
// $SPEECH_EMOTION_DATA or ../shared/datasets; the mp3 copies go to a temporary folder, reused.
// A run that has not finished after 30 s counts as a hang and is killed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const runs = arg('runs', 60);
const jobs = arg('jobs', 1);
const files = arg('files', 150);
const root = resolve(import.meta.dirname, '..');
const distAt = process.argv.indexOf('--dist');
const dist = distAt >= 0 ? resolve(process.argv[distAt + 1]) : join(root, 'dist');
const lib = pathToFileURL(join(dist, 'node.js')).href;
const data = join(process.env.SPEECH_EMOTION_DATA ?? join(root, '..', 'shared', 'datasets'), 'ravdess');
if (!existsSync(join(dist, 'node.js'))) throw new Error(`no build at ${dist}: run \`npm run build\` first`);
if (!existsSync(data)) throw new Error(`no RAVDESS at ${data} (set SPEECH_EMOTION_DATA)`);
if (spawnSync('ffmpeg', ['-version']).status !== 0) throw new Error('ffmpeg is not on the PATH');

const dir = join(tmpdir(), `se-decode-hang-${files}`, 'angry');
mkdirSync(dir, { recursive: true });
const wavs = readdirSync(data)
  .filter((a) => a.startsWith('Actor_'))
  .sort()
  .flatMap((a) =>
    readdirSync(join(data, a))
      .sort()
      .map((f) => join(data, a, f)),
  )
  .slice(0, files);
for (const wav of wavs) {
  const mp3 = join(
    dir,
    wav
      .split('/')
      .pop()
      .replace(/\.wav$/, '.mp3'),
  );
  if (!existsSync(mp3))
    spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', wav, '-b:a', '64k', mp3]);
}

const child = `
const { extractItems, scanDataset, defineFeatureSpec } = await import(${JSON.stringify(lib)});
const { items } = await scanDataset(${JSON.stringify(join(dir, '..'))}, { dataset: 'folders' });
let n = 0;
for await (const r of extractItems(items, defineFeatureSpec({}), { jobs: ${jobs} })) if (r.result.ok) n++;
console.log(n);`;
let hangs = 0;
for (let i = 1; i <= runs; i++) {
  const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: 'ignore' });
  const finished = await new Promise((done) => {
    const timer = setTimeout(() => done(false), 30_000);
    p.on('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
  if (!finished) {
    hangs++;
    p.kill('SIGKILL');
    console.log(`run ${i}: hung`);
  }
}
console.log(`${hangs} hang(s) in ${runs} runs (jobs ${jobs}, ${wavs.length} mp3 files in ${dir})`);
