// End-to-end tests of the browser demo (examples/web) in real headless Chromium: Debian's chromium
// driven by playwright-core. Builds the demo with Vite first (dist/ must be built: npm test does).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { CHROMIUM_ARGS, CHROMIUM_PATH, serve } from '../examples/web/serve.mjs';
import { EMOTIONS, decodeWav } from '../src/index.js';
import { DATA_DIR, ROOT, missing, skipNote } from './helpers/data.js';
import { encodeWav } from './helpers/wav.js';

type NodeLib = typeof import('../src/node.js');

const why =
  (existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`) ??
  missing('ravdess', 'dist', 'model');
const RAVDESS_CLIP = join(DATA_DIR, 'ravdess', 'Actor_20', '03-01-05-02-01-01-20.wav');

describe.skipIf(why)(`web demo in headless Chromium${skipNote(why)}`, () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  const dir = mkdtempSync(join(tmpdir(), 'se-web-'));

  beforeAll(async () => {
    const b = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'examples/web/vite.config.js',
        '--logLevel',
        'error',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(b.status, b.stderr).toBe(0);
    server = await serve(join(ROOT, 'examples', 'web', 'dist'));
    // The fake microphone plays a RAVDESS clip (Chromium loops it), as 16-bit PCM.
    const { sampleRate, channels } = decodeWav(readFileSync(RAVDESS_CLIP));
    writeFileSync(join(dir, 'mic.wav'), encodeWav(channels, sampleRate, 'pcm16'));
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${join(dir, 'mic.wav')}`,
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    (page as unknown as { errors: string[] }).errors = errors;
    return page;
  }

  it('an uploaded RAVDESS file gets the same label as speech-emotion predict in Node', async () => {
    // The built package, as users get it: its EmotionModel.load() finds models/default beside dist/.
    const dist = '../dist/node.js';
    const { EmotionModel, readMono, useBackend } = (await import(/* @vite-ignore */ dist)) as NodeLib;
    tf.env().set('PROD', true);
    await useBackend('wasm');
    const model = await EmotionModel.load();
    const { signal, sampleRate } = await readMono(RAVDESS_CLIP);
    const node = await model.predict(signal, { sampleRate });
    model.dispose();
    const page = await open();
    const backend = await page.textContent('#backend');
    await page.setInputFiles('#file', RAVDESS_CLIP);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    const label = await page.textContent('#label');
    console.log(`browser (${backend}): ${label}; Node (wasm): ${node.label}`);
    expect(EMOTIONS, `Node predicted ${node.label} (${node.warning})`).toContain(node.label);
    expect(label).toBe(node.label);
    expect(node.unfamiliar).toBe(false); // a recording of the training corpora
    expect((await page.textContent('#message'))?.includes('Low confidence')).toBe(node.uncertain);
    expect(await page.locator('#scores .bar').count()).toBe(EMOTIONS.length);
    // The synthetic sample is unlike the training recordings, and the page says so.
    await page.evaluate(() => {
      document.body.dataset.state = 'next'; // so that the wait below sees this file's result
    });
    await page.setInputFiles('#file', join(ROOT, 'examples', 'audio', 'sample.wav'));
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await page.textContent('#message')).toContain('unlike those the model learnt from');
    // 4.4 s of sound, of which the model hears 3 s.
    expect(await page.textContent('#message')).toContain(
      'The model heard 0.0–3.0 s of the sound, which lasts until 4.4 s.',
    );
    expect(await page.textContent('#message')).not.toContain('cancel out');
    // The RAVDESS clip in stereo, its right channel inverted: mixed, it would be silence; the page
    // analyses the left channel, gets Node's label for the clip, and says why.
    const { sampleRate: rate, channels } = decodeWav(readFileSync(RAVDESS_CLIP));
    const inverted = join(dir, 'inverted.wav');
    writeFileSync(inverted, encodeWav([channels[0], channels[0].map((v) => -v)], rate, 'pcm16'));
    await page.evaluate(() => {
      document.body.dataset.state = 'next';
    });
    await page.setInputFiles('#file', inverted);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await page.textContent('#label')).toBe(node.label);
    expect(await page.textContent('#message')).toContain(
      'The channels cancel out when mixed (one has its polarity reversed), so only the first was analysed.',
    );
    expect(await page.textContent('#message')).not.toContain('clips');
    // The clip driven 12 dB past full scale: its tops cut flat, which the page reports.
    const peak = channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const loud = join(dir, 'clipped.wav');
    writeFileSync(
      loud,
      encodeWav([channels[0].map((v) => Math.max(-1, Math.min(1, (4 * v) / peak)))], rate, 'pcm16'),
    );
    await page.evaluate(() => {
      document.body.dataset.state = 'next';
    });
    await page.setInputFiles('#file', loud);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await page.textContent('#message')).toMatch(
      /The recording clips \([0-9.]+% of its samples sit flat at full scale\): it was recorded too loud\./,
    );
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a stereo file: the channel chosen is analysed, with the label Node gives that channel', async () => {
    const dist = '../dist/node.js';
    const { EmotionModel, readMono, useBackend } = (await import(/* @vite-ignore */ dist)) as NodeLib;
    await useBackend('wasm');
    // An angry take on the left, a calm one on the right (the same actor), as one stereo file.
    const calm = join(DATA_DIR, 'ravdess', 'Actor_20', '03-01-02-01-01-01-20.wav');
    const [a, b] = [RAVDESS_CLIP, calm].map((f) => decodeWav(readFileSync(f)));
    const n = Math.min(a.channels[0].length, b.channels[0].length);
    const stereo = join(dir, 'stereo.wav');
    writeFileSync(
      stereo,
      encodeWav([a.channels[0].subarray(0, n), b.channels[0].subarray(0, n)], a.sampleRate, 'pcm16'),
    );
    const model = await EmotionModel.load();
    const node: Record<string, string | null> = {};
    for (const [choice, channel] of [
      ['mix', undefined],
      ['0', 0],
      ['1', 1],
    ] as const) {
      const { signal, sampleRate } = await readMono(stereo, { channel });
      node[choice] = (await model.predict(signal, { sampleRate })).label;
    }
    model.dispose();
    console.log(`stereo file in Node: mixed ${node.mix}, left ${node['0']}, right ${node['1']}`);
    expect(node['0']).not.toBe(node['1']); // so that the choice shows in the label
    const page = await open();
    await page.setInputFiles('#file', stereo);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await page.isVisible('#channel-block')).toBe(true);
    expect(await page.inputValue('#channel')).toBe('mix');
    expect(await page.textContent('#label')).toBe(node.mix);
    for (const choice of ['1', '0']) {
      await page.evaluate(() => {
        document.body.dataset.state = 'next';
      });
      await page.selectOption('#channel', choice);
      await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
      expect(await page.textContent('#label'), `channel ${choice}`).toBe(node[choice]);
      expect(await page.textContent('#message')).toContain(
        `Channel ${Number(choice) + 1} alone was analysed.`,
      );
    }
    // A mono file hides the choice again.
    await page.evaluate(() => {
      document.body.dataset.state = 'next';
    });
    await page.setInputFiles('#file', RAVDESS_CLIP);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    expect(await page.isVisible('#channel-block')).toBe(false);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('records about 3 s from the (fake) microphone and predicts', async () => {
    const page = await open();
    await page.click('#record');
    await page.waitForSelector('body[data-state="recording"]');
    await page.waitForTimeout(3000);
    expect(Number.parseFloat((await page.textContent('#clock')) ?? '0')).toBeGreaterThanOrEqual(2.5);
    await page.click('#stop');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    expect(EMOTIONS).toContain(await page.textContent('#label'));
    await page.close();
  }, 120_000);

  it('while recording, shows the current emotion and a timeline that grows every second', async () => {
    const page = await open();
    await page.click('#record');
    await page.waitForSelector('body[data-state="recording"]');
    // Windows of 3 s every second: by 5.5 s into the recording, at least three have arrived.
    await page.waitForFunction(() => Number(document.body.dataset.liveSegments ?? 0) >= 3, null, {
      timeout: 15_000,
    });
    expect(await page.getAttribute('body', 'data-state')).toBe('recording');
    const cells = await page.$$eval('#live-timeline div', (ds) =>
      ds.map((d) => ({
        end: Number((d as HTMLElement).dataset.end),
        arrived: Number((d as HTMLElement).dataset.arrived),
      })),
    );
    console.log(
      `live windows (end of audio → arrival, s): ${cells.map((c) => `${c.end}→${c.arrived}`).join(', ')}`,
    );
    expect(cells.map((c) => c.end)).toEqual(cells.map((_, i) => 3 + i));
    // Each window shows at most 1.5 s after the audio it covers, and one follows another within a
    // second of audio (plus the same allowance).
    for (const c of cells) expect(c.arrived - c.end).toBeLessThanOrEqual(1.5);
    expect(EMOTIONS).toContain(await page.textContent('#live-label'));
    await page.click('#stop');
    // Stopping gives the whole recording's result.
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-state')).toBe('done');
    expect(EMOTIONS).toContain(await page.textContent('#label'));
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a text file renamed .wav shows an error, and the page still works afterwards, also on GSM, ADPCM (WAV and AIFF-C) and MP3-in-WAV files', async () => {
    const page = await open();
    writeFileSync(join(dir, 'notes.wav'), 'these are my notes, not audio\n');
    await page.setInputFiles('#file', join(dir, 'notes.wav'));
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    expect(await page.textContent('#message')).toMatch(/Cannot read notes\.wav: it is not an audio file/);
    expect(await page.getAttribute('#message', 'class')).toBe('error');
    await page.setInputFiles('#file', RAVDESS_CLIP);
    await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
    // Decoded by the library in the page: GSM (voicemail) and IMA ADPCM WAV, Apple's IMA4 in AIFF-C;
    // and MP3 in a WAV wrapper, whose MP3 stream the browser decodes (a steady tone: no label, but
    // no error).
    const inputs = join(ROOT, 'test', 'fixtures', 'inputs');
    for (const [file, labelled] of [
      ['sample-gsm.wav', true],
      ['sample-ima.wav', true],
      ['sample-ima4.aifc', true],
      ['tone-mp3.wav', false],
    ] as const) {
      await page.evaluate(() => {
        document.body.dataset.state = 'next';
      });
      await page.setInputFiles('#file', join(inputs, file));
      await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 });
      const label = await page.textContent('#label');
      expect(labelled ? EMOTIONS : ['none'], `${file}: ${label}`).toContain(label);
    }
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a minute-long file is analysed off the main thread: the page stays responsive and shows a timeline', async () => {
    // 60 s: RAVDESS clips of one actor end to end.
    const { sampleRate, channels } = decodeWav(readFileSync(RAVDESS_CLIP));
    const long = new Float32Array(60 * sampleRate);
    for (let at = 0; at < long.length; at += channels[0].length)
      long.set(channels[0].subarray(0, Math.min(channels[0].length, long.length - at)), at);
    writeFileSync(join(dir, 'long.wav'), encodeWav([long], sampleRate, 'pcm16'));
    const page = await open();
    await page.setInputFiles('#file', join(dir, 'long.wav'));
    await page.waitForSelector('body[data-state="busy"]');
    const before = Number(await page.textContent('#heartbeat'));
    await page.waitForTimeout(1500);
    const during = Number(await page.textContent('#heartbeat'));
    const busy = await page.getAttribute('body', 'data-state');
    await page.waitForSelector('body[data-state="done"]', { timeout: 90_000 });
    console.log(`heartbeat advanced ${during - before} ticks of 100 ms in 1.5 s while analysing (${busy})`);
    expect(during - before).toBeGreaterThanOrEqual(8);
    expect(await page.isVisible('#timeline-block')).toBe(true);
    expect(await page.locator('#timeline div').count()).toBeGreaterThanOrEqual(30);
    await page.close();
  }, 150_000);
});
