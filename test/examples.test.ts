import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeWav } from '../src/index.js';
import { ROOT, missing, skipNote } from './helpers/data.js';
import { encodeWav } from './helpers/wav.js';

const wav = join(ROOT, 'test', 'fixtures', 'inputs', 'synthetic-chirp-16k-f32.wav');
const notBuilt = missing('dist');
const noModel = missing('model');
const run = (script: string, ...args: string[]) =>
  execFileSync(process.execPath, [join(ROOT, 'examples', 'node', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

// The examples import the package by name, which resolves to dist/ (npm test builds it first).
describe.skipIf(notBuilt)(`examples run against the built package${skipNote(notBuilt)}`, () => {
  it('examples/node/mfcc.mjs prints MFCC, delta and CMVN of a file', () => {
    const out = run('mfcc.mjs', wav);
    expect(out).toMatch(/MFCC: \d+ frames × 13 coefficients/);
    expect(out).not.toMatch(/NaN/);
  });

  it('examples/node/mfcc.mjs reports a bad file as an error, not a crash', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'se-ex-')), 'notes.wav');
    writeFileSync(bad, 'a text file renamed to .wav\n');
    expect(() => run('mfcc.mjs', bad)).toThrow(/notes\.wav: decodeWav: this is not a WAV file/);
  });

  it.skipIf(noModel)(
    `examples/node/predict.mjs labels the committed sample with the bundled model, and reports a bad file${skipNote(noModel)}`,
    () => {
      const out = run('predict.mjs');
      // The sample is synthetic speech: unlike the training recordings, and the example says so.
      expect(out).toMatch(
        /sample\.wav: (neutral|calm|happy|sad|angry|fearful|disgust|surprised)(, uncertain)?, unfamiliar audio\n/,
      );
      // 4.4 s of sound: the model hears 3 s of it, and the example says which.
      expect(out).toMatch(/\(analysed 0\.0–3\.0 s of sound lasting until 4\.4 s\)\n/);
      expect(out).toMatch(/over time: 0 s \w+ · 1 s \w+/);
      expect(out).not.toMatch(/TensorFlow\.js in Node|NaN/);
      const bad = join(mkdtempSync(join(tmpdir(), 'se-ex-')), 'notes.wav');
      writeFileSync(bad, 'a text file renamed to .wav\n');
      expect(() => run('predict.mjs', bad)).toThrow(/notes\.wav: decodeWav: this is not a WAV file/);
      // The file's own warnings go to stderr: here, the sample driven 12 dB past full scale.
      const { sampleRate, channels } = decodeWav(readFileSync(join(ROOT, 'examples', 'audio', 'sample.wav')));
      const peak = channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const loud = join(mkdtempSync(join(tmpdir(), 'se-ex-')), 'loud.wav');
      writeFileSync(
        loud,
        encodeWav([channels[0].map((v) => Math.max(-1, Math.min(1, (4 * v) / peak)))], sampleRate, 'pcm16'),
      );
      const warned = spawnSync(process.execPath, [join(ROOT, 'examples', 'node', 'predict.mjs'), loud], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(warned.status, warned.stderr).toBe(0);
      expect(warned.stderr).toMatch(/loud\.wav: warning: the recording clips: [0-9.]+% of its samples/);
      expect(warned.stdout).toMatch(/loud\.wav: \w+/);
    },
    60_000,
  );

  it('examples/node/features.mjs summarises energy, spectral shape, chroma and pyin pitch', () => {
    const out = run('features.mjs');
    expect(out).toMatch(/centroid +mean \d+ Hz/);
    expect(out).toMatch(/chroma +strongest [A-G]#?/);
    expect(out).toMatch(/pitch \(pyin\) +\d+ of \d+ frames voiced, median \d+ Hz/);
    expect(out).not.toMatch(/NaN/);
  });

  it.skipIf(noModel)(
    `examples/node/long-recording.mjs streams a file through the model, window by window${skipNote(noModel)}`,
    () => {
      const out = run('long-recording.mjs', '--labels', 'angry,neutral');
      expect(out).toMatch(/sample\.wav: \d+\.\d s at \d+ Hz/);
      const windows = out.match(/^ +\d+\.\d–\d+\.\d +s +(angry|neutral) \d+%$/gm) ?? [];
      expect(windows.length).toBeGreaterThanOrEqual(3);
    },
    60_000,
  );

  it('examples/node/stream.mjs streams and matches whole-clip extraction', () => {
    expect(run('stream.mjs', wav)).toMatch(/streamed (\d+) frames .* whole clip: \1 frames/);
  });
});
