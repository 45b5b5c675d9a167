import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bandEdge } from '../src/audio/channel.js';
import {
  DEFAULT_FEATURE_SPEC,
  type FeatureSpec,
  SpeechEmotionError,
  computeFeatures,
  decodeAiff,
  decodeAudio,
  decodeFeatureSet,
  decodeWav,
  defineFeatureSpec,
  encodeFeatureSet,
  featureNames,
  featureSpecHash,
  fromAudioBuffer,
  perturbAudio,
  resample,
  trimSilence,
} from '../src/index.js';
import { decodeAudioBytes, readAudioFile, readMono, scanDataset, streamMono } from '../src/node.js';
import { processFile } from '../src/node/process-file.js';
import { peakAbs, seededRandom } from '../src/util/math.js';
import { ROOT } from './helpers/data.js';
import { encodeWav } from './helpers/wav.js';

const inputs = join(ROOT, 'test', 'fixtures', 'inputs');

describe('ADPCM (WAV and AIFF-C) and GSM 6.10 WAV, as libsndfile decodes them', () => {
  // sha256 of libsndfile's 16-bit samples (interleaved, little-endian) of each file, through
  // soundfile 0.12.1 (libsndfile 1.2.0): the fixtures README gives the command.
  const libsndfile: [string, number, number, string][] = [
    ['sample-ima.wav', 22050, 1, 'd71290893f47ed3d19991cb30c67dc6bd5b8673804807e3013abfade162e0510'],
    ['sample-msadpcm.wav', 22050, 1, '82b776a6dca9d114084b42f7ce78651224924b092eb985d4c161edea8c4892e1'],
    ['tone-ima.wav', 22050, 2, '3e51c53a1cea5b5151fd6dcbc651c61e4cc17268639170d59fd18a9b840dab08'],
    ['tone-msadpcm.wav', 22050, 2, 'a4a5f158d3dbca7c272a0fa0f9eaa7173eea0e81b49f9426d1da42d935c3f9ce'],
    // GSM's frames depend on the ones before: read in pieces, the decoder's state carries over.
    ['sample-gsm.wav', 8000, 1, 'd58b6d5fae429085760842d6fb0753e39b3d2731e4776f7dc5233f7f4e9dd691'],
    // Apple's IMA4 in AIFF-C: 64 samples a packet, from a header that is not itself a sample.
    ['sample-ima4.aifc', 22050, 1, 'a5e74c8a8db962324174b2baf70b1e2d5752549a99eb0c0c87af2b6f5639daca'],
    ['tone-ima4.aifc', 22050, 2, '01801ed71b25fe9d222483a69f3d3065ef407f336bf0d319399258f782dd9af4'],
  ];
  it.each(libsndfile)(
    '%s: the same samples as libsndfile, whole and in pieces',
    async (file, rate, nCh, sha) => {
      const path = join(inputs, file);
      const { sampleRate, channels } = (file.endsWith('.aifc') ? decodeAiff : decodeWav)(readFileSync(path));
      expect([sampleRate, channels.length]).toEqual([rate, nCh]);
      const pcm = new Int16Array(channels[0].length * nCh);
      for (let i = 0; i < channels[0].length; i++)
        for (let c = 0; c < nCh; c++) pcm[i * nCh + c] = Math.round(channels[c][i] * 32768);
      expect(createHash('sha256').update(new Uint8Array(pcm.buffer)).digest('hex')).toBe(sha);
      // Block by block (predict --timeline), the same mix.
      const stream = await streamMono(path, { chunkSeconds: 0.05 });
      const parts: number[] = [];
      for await (const c of stream.chunks) parts.push(...c);
      expect(Float32Array.from(parts)).toEqual((await readMono(path)).signal);
      expect(stream.duration).toBeCloseTo(channels[0].length / rate, 6);
    },
  );

  it('decodes close to the recording it was made from (SNR over 20 dB), so not only like libsndfile', () => {
    const source = decodeWav(readFileSync(join(ROOT, 'examples', 'audio', 'sample.wav'))).channels[0];
    for (const file of ['sample-ima.wav', 'sample-msadpcm.wav', 'sample-ima4.aifc']) {
      const x = (file.endsWith('.aifc') ? decodeAiff : decodeWav)(readFileSync(join(inputs, file)))
        .channels[0];
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < Math.min(x.length, 1.5 * 22050); i++) {
        signal += source[i] ** 2;
        noise += (source[i] - x[i]) ** 2;
      }
      expect(10 * Math.log10(signal / noise), file).toBeGreaterThan(20);
    }
  });

  it('a block size that cannot hold the channels is refused as corrupt', () => {
    const bytes = new Uint8Array(readFileSync(join(inputs, 'tone-ima.wav')));
    new DataView(bytes.buffer).setUint16(32, 10, true); // blockAlign: under two 4-byte headers
    expect(() => decodeWav(bytes)).toThrow(/a block of 10 bytes cannot hold IMA ADPCM for 2 channel/);
  });
});

describe('other containers in Node (optional audio-decode)', () => {
  it.each(['tone.mp3', 'tone.flac', 'tone.ogg'])(
    'reads %s: 22.05 kHz stereo 440 + 660 Hz, about 1 s',
    async (f) => {
      const { sampleRate, channels } = await readAudioFile(join(inputs, f));
      expect(sampleRate).toBe(22050);
      expect(channels).toHaveLength(2);
      expect(channels[0].length / sampleRate).toBeGreaterThan(0.95);
      expect(channels[0].length / sampleRate).toBeLessThan(1.1);
      let peak = 0;
      for (const v of channels[0]) peak = Math.max(peak, Math.abs(v));
      expect(peak).toBeGreaterThan(0.3);
      const mono = await readMono(join(inputs, f));
      expect(mono.signal.length).toBe(channels[0].length);
    },
  );

  /** Power of `x` at `hz` (one DFT bin, Goertzel-style). */
  const powerAt = (x: Float32Array, rate: number, hz: number) => {
    let re = 0;
    let im = 0;
    for (let i = 0; i < x.length; i++) {
      re += x[i] * Math.cos((2 * Math.PI * hz * i) / rate);
      im -= x[i] * Math.sin((2 * Math.PI * hz * i) / rate);
    }
    return (re * re + im * im) / x.length;
  };

  // What phones and browsers record: AAC in m4a (voice memos) and raw ADTS, Opus in WebM
  // (MediaRecorder) and in Ogg (messaging apps); made from tone.flac by ffmpeg (fixtures README).
  it.each(['tone.m4a', 'tone.aac', 'tone.webm', 'tone.opus', 'tone.wma', 'tone.caf', 'tone-mp3.wav'])(
    'reads %s: 440 Hz left and 660 Hz right at the rate it reports, about 1 s',
    async (f) => {
      const { sampleRate, channels } = await readAudioFile(join(inputs, f));
      expect(channels).toHaveLength(2);
      const [left, right] = channels;
      expect(left.length / sampleRate).toBeGreaterThan(0.95);
      expect(left.length / sampleRate).toBeLessThan(1.1);
      // Read at the wrong rate or with the channels crossed, the tones would sit elsewhere.
      const at = (x: Float32Array, hz: number) => powerAt(x, sampleRate, hz);
      expect(at(left, 440)).toBeGreaterThan(1000 * Math.max(at(left, 550), at(left, 660), 1e-6));
      expect(at(right, 660)).toBeGreaterThan(1000 * Math.max(at(right, 550), at(right, 440), 1e-6));
    },
  );

  it('AMR (Android call and voice recorders), raw and in 3GP: the samples of the reference decoder', async () => {
    // sha256 of `sox sample.amr -e signed -b 16 out.wav` (SoX 14.4.2, opencore-amr), 16-bit samples.
    const amr = await readAudioFile(join(inputs, 'sample.amr'));
    expect([amr.sampleRate, amr.channels.length]).toEqual([8000, 1]);
    const pcm = Int16Array.from(amr.channels[0], (v) => Math.round(v * 32768));
    expect(createHash('sha256').update(new Uint8Array(pcm.buffer)).digest('hex')).toBe(
      '1f66bd88edc8b6fafc0bd61499b1c02306d3136c0a125f8ee7b230c695181bcb',
    );
    // The same frames in a 3GP (MP4) container, as call recorders also save them.
    expect(await readAudioFile(join(inputs, 'sample.3gp'))).toEqual(amr);
  });

  it('an MP3, m4a, WebM, AMR or WMA saved under a .wav name is read by its content, whole and in a batch', async () => {
    const root = mkdtempSync(join(tmpdir(), 'se-renamed-'));
    for (const f of ['tone.mp3', 'tone.m4a', 'tone.webm', 'sample.amr', 'tone.wma']) {
      const renamed = join(root, `${f.replace('.', '-')}.wav`);
      copyFileSync(join(inputs, f), renamed);
      const audio = await readAudioFile(renamed);
      expect(audio, f).toEqual(await readAudioFile(join(inputs, f)));
      const spec = defineFeatureSpec({ sampleRate: 16000 });
      expect(await processFile(renamed, spec), f).toEqual(await processFile(join(inputs, f), spec));
    }
    // MP3 in a WAV wrapper (format tag 0x55), in a batch as alone.
    const wrapped = join(inputs, 'tone-mp3.wav');
    const spec = defineFeatureSpec({ sampleRate: 16000 });
    expect(await processFile(wrapped, spec)).toMatchObject({ ok: true });
    // Text named .wav is still called what it is.
    writeFileSync(join(root, 'notes.wav'), 'not audio at all, just words');
    await expect(readAudioFile(join(root, 'notes.wav'))).rejects.toThrow(/not a WAV file/);
  });

  it('scanDataset finds m4a, WebM, Opus (also as .oga and .weba), AMR, 3GP and AIFF-C files by default, and leaves videos (.mp4) alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'se-formats-'));
    const put = (from: string, to: string) => {
      mkdirSync(join(root, to, '..'), { recursive: true });
      copyFileSync(join(inputs, from), join(root, to));
    };
    put('tone.m4a', 'angry/memo.m4a');
    put('tone.webm', 'sad/recorder.webm');
    put('tone.opus', 'happy/voice-note.opus');
    put('tone.m4a', 'happy/clip.mp4');
    put('sample.amr', 'neutral/call.amr');
    put('sample.3gp', 'neutral/call-2.3gp');
    put('tone.opus', 'calm/telegram.oga');
    put('tone.webm', 'calm/chrome.weba');
    put('tone-ima4.aifc', 'sad/take.aifc');
    const r = await scanDataset(root);
    expect(r.items.map((i) => [i.label, i.path.split(/[\\/]/).pop()])).toEqual([
      ['angry', 'memo.m4a'],
      ['calm', 'chrome.weba'],
      ['calm', 'telegram.oga'],
      ['happy', 'voice-note.opus'],
      ['neutral', 'call-2.3gp'],
      ['neutral', 'call.amr'],
      ['sad', 'recorder.webm'],
      ['sad', 'take.aifc'],
    ]);
    for (const item of r.items)
      expect((await readAudioFile(item.path)).channels[0].length).toBeGreaterThan(0);
  });

  // Damaged compressed files, as downloads and copies leave them: cut anywhere, bytes overwritten in
  // the header or the body, a stretch zeroed, the file twice. Each must decode to finite audio or
  // fail with a SpeechEmotionError, within seconds.
  it.each(['tone.mp3', 'tone.flac', 'tone.ogg', 'tone.m4a', 'tone.aac', 'tone.webm', 'tone.opus'])(
    'damaged %s: finite audio or a SpeechEmotionError, never another exception or a hang',
    async (f) => {
      const original = new Uint8Array(readFileSync(join(inputs, f)));
      const random = seededRandom(7);
      const flip = (from: number, to: number, count: number) => {
        const b = original.slice();
        for (let k = 0; k < count; k++)
          b[from + Math.floor(random() * (to - from))] = Math.floor(random() * 256);
        return b;
      };
      const cases: Uint8Array[] = [];
      for (const p of [0.02, 0.1, 0.3, 0.5, 0.8, 0.97])
        cases.push(original.subarray(0, Math.round(p * original.length)));
      for (let v = 0; v < 6; v++) cases.push(flip(0, Math.min(128, original.length), 3));
      for (let v = 0; v < 4; v++) cases.push(flip(128, original.length, 1 + v * 20));
      const zeroed = original.slice();
      zeroed.fill(0, Math.round(original.length * 0.4), Math.round(original.length * 0.6));
      cases.push(zeroed, new Uint8Array([...original, ...original]));
      const outcomes = { decoded: 0, refused: 0 };
      for (const [i, bytes] of cases.entries()) {
        const hang = new Promise<'hang'>((r) => setTimeout(() => r('hang'), 10_000).unref());
        const got = await Promise.race([
          decodeAudioBytes(bytes, `case ${i}`).then(
            (a) => a,
            (e: unknown) => e,
          ),
          hang,
        ]);
        expect(got, `case ${i}`).not.toBe('hang');
        if (got instanceof Error) {
          expect(got, `case ${i}: ${got.message}`).toBeInstanceOf(SpeechEmotionError);
          expect(got.message).toMatch(/^case \d+/);
          outcomes.refused++;
        } else {
          const { sampleRate, channels } = got as Awaited<ReturnType<typeof decodeAudioBytes>>;
          expect(sampleRate, `case ${i}`).toBeGreaterThan(0);
          for (const ch of channels)
            for (const v of ch) if (!Number.isFinite(v)) expect.fail(`case ${i}: ${v}`);
          outcomes.decoded++;
        }
      }
      // Both outcomes occur: the cases do reach the decoders, and some damage is survivable.
      expect(outcomes.refused).toBeGreaterThan(0);
      expect(outcomes.decoded).toBeGreaterThan(0);
    },
    60_000,
  );

  it('names the file and the problem for text renamed to .mp3 and for missing files', async () => {
    await expect(readAudioFile(join(ROOT, 'package.json'))).rejects.toThrow(/package\.json.*not audio/);
    await expect(readAudioFile(join(ROOT, 'nope.wav'))).rejects.toThrow(SpeechEmotionError);
  });
});

describe('browser adapters', () => {
  const fake = (channels: Float32Array[], sampleRate: number) => ({
    sampleRate,
    numberOfChannels: channels.length,
    getChannelData: (c: number) => channels[c],
  });

  it('fromAudioBuffer copies every channel', () => {
    const left = new Float32Array([0.1, 0.2]);
    const out = fromAudioBuffer(fake([left, new Float32Array([0.3, 0.4])], 48000));
    expect(out.sampleRate).toBe(48000);
    expect(out.channels.map((c) => Array.from(c))).toEqual([
      [Math.fround(0.1), Math.fround(0.2)],
      [Math.fround(0.3), Math.fround(0.4)],
    ]);
    left[0] = 9;
    expect(out.channels[0][0]).toBeCloseTo(0.1);
    expect(() => fromAudioBuffer({} as never)).toThrow(/AudioBuffer/);
  });

  it('decodeAudio reads WAV itself and hands other bytes to the Web Audio context', async () => {
    const wav = encodeWav([new Float32Array([0.5, -0.5])], 16000, 'pcm16');
    expect((await decodeAudio(wav)).channels[0][0]).toBe(0.5);
    const ctx = { decodeAudioData: async () => fake([new Float32Array(8).fill(0.25)], 44100) };
    expect((await decodeAudio(new Uint8Array([1, 2, 3, 4]), ctx)).sampleRate).toBe(44100);
    const broken = { decodeAudioData: async () => Promise.reject(new Error('EncodingError')) };
    await expect(decodeAudio(new Uint8Array([1, 2, 3, 4]), broken)).rejects.toThrow(
      /cannot decode.*EncodingError/,
    );
    // Node has no OfflineAudioContext: a clear message, not a crash.
    await expect(decodeAudio(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/readAudioFile/);
  });
});

const voice = (seconds: number, rate: number) =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, i) => 0.3 * Math.sin(i / 7) * (0.6 + 0.4 * Math.sin(i / 900)),
  );

describe('FeatureSpec', () => {
  it('fills defaults, validates, and refuses unknown fields and other versions', () => {
    expect(defineFeatureSpec()).toEqual(DEFAULT_FEATURE_SPEC);
    expect(() => defineFeatureSpec({ sampleRat: 16000 } as never)).toThrow(/Did you mean 'sampleRate'/);
    expect(() => defineFeatureSpec({ deltas: 3 as never })).toThrow(/deltas/);
    expect(() => defineFeatureSpec({ features: { type: 'mfcc', options: { nfft: 512 } as never } })).toThrow(
      /nFft/,
    );
    expect(() => defineFeatureSpec({ features: { type: 'mfcc', options: { nMfcc: 200 } } })).toThrow(/nMfcc/);
    expect(() =>
      defineFeatureSpec({ features: { type: 'logmel', options: { nMfcc: 13 } as never } }),
    ).toThrow(/unknown option 'nMfcc'/);
    try {
      defineFeatureSpec({ version: 2 });
      throw new Error('accepted version 2');
    } catch (e) {
      expect((e as SpeechEmotionError).code).toBe('SPEC_MISMATCH');
    }
  });

  it('hashes equal specs equally whatever the key order, and different specs differently', () => {
    const a = defineFeatureSpec({ deltas: 1, cmvn: 'meanvar' });
    const b = defineFeatureSpec(JSON.parse(JSON.stringify({ cmvn: 'meanvar', deltas: 1 })));
    expect(featureSpecHash(a)).toBe(featureSpecHash(b));
    expect(featureSpecHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(featureSpecHash(defineFeatureSpec({ deltas: 2, cmvn: 'meanvar' }))).not.toBe(featureSpecHash(a));
  });

  it('computes series and statistics with the advertised shapes, at any input rate', () => {
    const series = defineFeatureSpec({
      duration: { offset: 0.5, seconds: 2.5 },
      deltas: 2,
      cmvn: 'meanvar',
      output: { type: 'series' },
      features: { type: 'mfcc', options: { nMfcc: 13, hopLength: 160, nFft: 512 } },
    });
    const m16 = computeFeatures(voice(3.2, 16000), 16000, series);
    expect(m16.features).toBe(39);
    expect(m16.frames).toBe(1 + Math.floor((2.5 * 16000) / 160));
    expect(featureNames(series)).toHaveLength(39);
    const m48 = computeFeatures(voice(3.2, 48000), 48000, series);
    expect(m48.frames).toBe(m16.frames);
    const stats = defineFeatureSpec({ output: { type: 'stats', stats: ['mean', 'std', 'min', 'max'] } });
    const s = computeFeatures(voice(1, 22050), 22050, stats);
    expect(s.frames).toBe(1);
    expect(s.features).toBe(40 * 4);
    expect(featureNames(stats)[0]).toBe('mfcc0_mean');
    const logmel = defineFeatureSpec({
      features: { type: 'logmel', options: { nMels: 64, topDb: 80 } },
      output: { type: 'series' },
    });
    expect(computeFeatures(voice(1, 16000), 16000, logmel).features).toBe(64);
  });

  /** A log-mel spec that shows the top band, with `bandFill` when given. */
  const bandSpec = (bandFill?: FeatureSpec['bandFill']) =>
    defineFeatureSpec({
      trim: null,
      features: { type: 'logmel', options: { nMels: 40, ref: 'max', topDb: 120 } },
      output: { type: 'series' },
      ...(bandFill ? { bandFill } : {}),
    });

  it("bandFill puts a noise floor above a low-rate recording's band, and leaves full-rate audio alone", () => {
    const spec = bandSpec;
    const plain = spec();
    const filled = spec({ snrDb: 30 });
    // Mean dB of the bottom 10 mel bands (under 1 kHz) and of the top 5 (above 6 kHz).
    const bands = (rate: number, s: ReturnType<typeof spec>) => {
      const m = computeFeatures(voice(1, rate), rate, s);
      const mean = (from: number, to: number) => {
        let sum = 0;
        for (let t = 0; t < m.frames; t++) for (let k = from; k < to; k++) sum += m.data[t * m.features + k];
        return sum / (m.frames * (to - from));
      };
      return { low: mean(0, 10), high: mean(35, 40) };
    };
    const before = bands(8000, plain);
    const after = bands(8000, filled);
    expect(after.high - before.high).toBeGreaterThan(20); // an empty band, then a floor
    expect(Math.abs(after.low - before.low)).toBeLessThan(0.5); // the voice's own band as it was
    // The same recording gets the same floor; full-rate audio is not touched.
    expect(computeFeatures(voice(1, 8000), 8000, filled).data).toEqual(
      computeFeatures(voice(1, 8000), 8000, filled).data,
    );
    expect(computeFeatures(voice(1, 16000), 16000, filled).data).toEqual(
      computeFeatures(voice(1, 16000), 16000, plain).data,
    );
    expect(computeFeatures(voice(1, 44100), 44100, filled).data).toEqual(
      computeFeatures(voice(1, 44100), 44100, plain).data,
    );
    expect(featureSpecHash(filled)).not.toBe(featureSpecHash(plain));
    expect(() => spec({ snrDb: Number.NaN })).toThrow(/'bandFill' must be/);
    expect(() => spec({ snr: 30 } as never)).toThrow(/Did you mean 'snrDb'/);
    expect(() => defineFeatureSpec({ bandFill: null as never })).toThrow(/'bandFill' must be/);
  });

  it('bandFill.detect fills a recording upsampled from 8 kHz, and leaves full-band and low-passed 16 kHz audio alone', () => {
    const spec = bandSpec;
    const plain = spec();
    const rateOnly = spec({ snrDb: 30 });
    const detecting = spec({ snrDb: 30, detect: { topDb: 75, maxHz: 4500 } });
    const top = (x: Float32Array, s: FeatureSpec) => {
      const m = computeFeatures(x, 16000, s);
      let sum = 0;
      for (let t = 0; t < m.frames; t++) for (let k = 35; k < 40; k++) sum += m.data[t * m.features + k];
      return sum / (m.frames * 5);
    };
    // A voice over a room's noise 40 dB down (seeded), which fills the band up to the recording's Nyquist.
    const recorded = (rate: number, seconds = 1) => {
      const random = seededRandom(7);
      return voice(seconds, rate).map((v) => v + (random() - 0.5) * 0.01);
    };
    // An 8 kHz recording saved at 16 kHz: its content ends near 4 kHz, and only `detect` sees that.
    const upsampled = resample(recorded(8000), 8000, 16000);
    expect(bandEdge(upsampled, 16000, 75)).toBeGreaterThan(3700);
    expect(bandEdge(upsampled, 16000, 75)).toBeLessThanOrEqual(4100);
    // Longer than one block of spectra (256 frames): the blocks add up to the same long-term spectrum.
    const long = resample(recorded(8000, 10), 8000, 16000);
    expect(Math.abs(bandEdge(long, 16000, 75) - bandEdge(upsampled, 16000, 75))).toBeLessThanOrEqual(62.5);
    const thenFull = new Float32Array(long.length + 16000 * 10);
    thenFull.set(long);
    thenFull.set(recorded(16000, 10), long.length); // full-band after the first blocks: counted too
    expect(bandEdge(thenFull, 16000, 75)).toBeGreaterThan(7000);
    expect(top(upsampled, rateOnly)).toBeCloseTo(top(upsampled, plain), 6);
    expect(top(upsampled, detecting) - top(upsampled, plain)).toBeGreaterThan(20);
    // At 8 kHz the rate decides, as without `detect`.
    expect(computeFeatures(recorded(8000), 8000, detecting).data).toEqual(
      computeFeatures(recorded(8000), 8000, rateOnly).data,
    );
    // Full-band audio, and a 16 kHz recording low-passed at 3.4 kHz (its content fades, it does not stop), are not touched.
    const full = recorded(16000);
    const lowpassed = perturbAudio(full, 16000, { lowpassHz: 3400 }).signal;
    expect(bandEdge(lowpassed, 16000, 75)).toBeGreaterThan(4500);
    for (const x of [full, lowpassed])
      expect(computeFeatures(x, 16000, detecting).data).toEqual(computeFeatures(x, 16000, plain).data);
    expect(bandEdge(new Float32Array(16000), 16000, 75)).toBe(8000);
    expect(() => spec({ snrDb: 30, detect: { topDb: 75, maxHz: 8000 } })).toThrow(/'bandFill' must be/);
    expect(() => spec({ snrDb: 30, detect: { topDb: 0, maxHz: 4500 } })).toThrow(/'bandFill' must be/);
    expect(() => spec({ snrDb: 30, detect: { topDb: 75 } as never })).toThrow(/'bandFill' must be/);
    expect(() => spec({ snrDb: 30, detect: { topDb: 75, maxHz: 4500, max: 1 } as never })).toThrow(
      /Unknown option 'max'|Did you mean/,
    );
    expect(() => spec({ snrDb: 30, detect: true as never })).toThrow(/'bandFill' must be/);
  });

  it('highpassHz removes a DC offset before the trim and the features', () => {
    const spec = (highpassHz?: number) =>
      defineFeatureSpec({
        duration: { offset: 0, seconds: 1 },
        output: { type: 'series' },
        ...(highpassHz === undefined ? {} : { highpassHz }),
      });
    // Half a second of near silence, then the voice; the same with a DC offset of 0.1 on every sample.
    const x = new Float32Array(24000);
    x.set(voice(1, 16000), 8000);
    const offset = x.map((v) => v + 0.1);
    const close = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    // Without it the offset keeps the quiet start (it is within 60 dB of the peak) and moves every value.
    expect(
      close(computeFeatures(offset, 16000, spec()).data, computeFeatures(x, 16000, spec()).data),
    ).toBeGreaterThan(1);
    const a = computeFeatures(offset, 16000, spec(30)).data;
    const b = computeFeatures(x, 16000, spec(30)).data;
    expect(close(a, b)).toBeLessThan(0.05);
    expect(featureSpecHash(spec(30))).not.toBe(featureSpecHash(spec()));
    for (const bad of [0, -5, 8000, Number.NaN]) expect(() => spec(bad)).toThrow(/'highpassHz' must be/);
  });

  it('minPeakDb reads a very quiet recording as the same recording at that level; louder ones are untouched', () => {
    const spec = (minPeakDb?: number) =>
      defineFeatureSpec({
        duration: { offset: 0, seconds: 1 },
        output: { type: 'series' },
        ...(minPeakDb === undefined ? {} : { minPeakDb }),
      });
    // A voice with a quiet room behind it, at a normal level (peak 0.5) and 80 dB lower.
    const random = seededRandom(7);
    const x = Float32Array.from({ length: 24000 }, () => 1e-3 * (random() - 0.5));
    const v = voice(1, 16000);
    for (let i = 0; i < v.length; i++) x[8000 + i] += v[i];
    const peak = peakAbs(x);
    const normal = x.map((s) => (0.5 * s) / peak);
    const quiet = normal.map((s) => s * 1e-4);
    const before = Float32Array.from(quiet);
    const far = (a: Float32Array, b: Float32Array) => Math.max(...a.map((s, i) => Math.abs(s - b[i])));
    // Without it, the dB floor flattens the quiet recording's features: far from the normal one's.
    const plain = computeFeatures(normal, 16000, spec()).data;
    expect(far(computeFeatures(quiet, 16000, spec()).data, plain)).toBeGreaterThan(10);
    // Raised to -6 dB (the normal one's peak): the normal recording's features. The input is not changed.
    expect(far(computeFeatures(quiet, 16000, spec(-6.0206)).data, plain)).toBeLessThan(1e-3);
    expect(quiet).toEqual(before);
    // A recording above the level is not touched: the same bytes as without the option.
    expect(computeFeatures(normal, 16000, spec(-30)).data).toEqual(plain);
    expect(featureSpecHash(spec(-30))).not.toBe(featureSpecHash(spec()));
    for (const bad of [0, 3, Number.NaN, '-30'])
      expect(() => spec(bad as number)).toThrow(/'minPeakDb' must be a level in dB under 0/);
  });

  it('trim.leadIn drops the quiet before the speech that topDb keeps, up to keepSeconds before it', () => {
    const rate = 16000;
    // 1 s of hum 40 dB under the voice, then 2 s of voice.
    const hum = Float32Array.from({ length: rate }, (_, i) => 0.003 * Math.sin(i / 3));
    const speech = voice(2, rate);
    const x = new Float32Array(3 * rate);
    x.set(hum);
    x.set(speech, rate);
    const spec = (leadIn?: { topDb: number; keepSeconds: number }) =>
      defineFeatureSpec({
        trim: leadIn ? { topDb: 60, leadIn } : { topDb: 60 },
        duration: { offset: 0, seconds: 1 },
        output: { type: 'series' },
      });
    const first = (s: ReturnType<typeof spec>, y = x) => computeFeatures(y, rate, s).data;
    // The voice starts at 1 s; trimSilence at 30 dB finds it to within a frame (2048 samples, centred).
    const onset = trimSilence(x, { topDb: 30 }).start;
    expect(Math.abs(onset - rate)).toBeLessThanOrEqual(1024);
    expect(trimSilence(x, { topDb: 60 }).start).toBe(0); // topDb 60 keeps the hum
    expect(first(spec())).not.toEqual(first(spec(), x.subarray(onset)));
    // leadIn at 30 dB: the window starts at the onset, or keepSeconds before it.
    expect(first(spec({ topDb: 30, keepSeconds: 0 }))).toEqual(first(spec(), x.subarray(onset)));
    expect(first(spec({ topDb: 30, keepSeconds: 0.25 }))).toEqual(
      first(spec(), x.subarray(onset - rate / 4)),
    );
    // Keeping more than there is, or an onset threshold the hum passes, changes nothing.
    expect(first(spec({ topDb: 30, keepSeconds: 2 }))).toEqual(first(spec()));
    expect(first(spec({ topDb: 50, keepSeconds: 0 }))).toEqual(first(spec()));
    expect(featureSpecHash(spec({ topDb: 30, keepSeconds: 0 }))).not.toBe(featureSpecHash(spec()));
    expect(() => spec({ topDb: 30 } as never)).toThrow(/trim.leadIn/);
    expect(() => spec({ topDb: 30, keepSeconds: 0, margin: 1 } as never)).toThrow(/unknown option 'margin'/);
    expect(() => spec({ topDb: 30, keepsecond: 0 } as never)).toThrow(/Did you mean 'keepSeconds'/);
    expect(() => spec({ topDb: 30, keepSeconds: -1 })).toThrow(/trim.leadIn/);
    expect(() => defineFeatureSpec({ trim: { topDb: 60, lead: {} } as never })).toThrow(
      /Did you mean 'leadIn'/,
    );
  });

  it("duration.pad 'repeat' fills a short clip's window with the clip again instead of silence", () => {
    const rate = 16000;
    const x = voice(1.2, rate);
    const spec = (pad?: 'zeros' | 'repeat') =>
      defineFeatureSpec({ trim: null, duration: { offset: 0, seconds: 3, pad }, output: { type: 'series' } });
    const tiled = new Float32Array(3 * rate);
    for (let i = 0; i < tiled.length; i++) tiled[i] = x[i % x.length];
    const repeated = computeFeatures(x, rate, spec('repeat'));
    expect(repeated.data).toEqual(computeFeatures(tiled, rate, spec()).data);
    expect(repeated.data).not.toEqual(computeFeatures(x, rate, spec()).data);
    // A clip as long as the window is not changed by either.
    expect(computeFeatures(tiled, rate, spec('repeat')).data).toEqual(
      computeFeatures(tiled, rate, spec()).data,
    );
    // 'zeros' is the default: the same spec, the same hash; 'repeat' is another spec.
    expect(spec('zeros')).toEqual(spec());
    expect(featureSpecHash(spec('zeros'))).toBe(featureSpecHash(spec()));
    expect(featureSpecHash(spec('repeat'))).not.toBe(featureSpecHash(spec()));
    expect(() => spec('loop' as never)).toThrow(/'duration.pad' must be 'zeros' or 'repeat'/);
    expect(() => defineFeatureSpec({ duration: { offset: 0, seconds: 3, pads: 'zeros' } as never })).toThrow(
      /Did you mean 'pad'/,
    );
  });

  it('refuses silence and clips that are too short, with their codes', () => {
    const spec = defineFeatureSpec();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as SpeechEmotionError).code;
      }
      return 'none';
    };
    expect(code(() => computeFeatures(new Float32Array(16000), 16000, spec))).toBe('SILENT_AUDIO');
    expect(code(() => computeFeatures(voice(0.1, 16000), 16000, spec))).toBe('SIGNAL_TOO_SHORT');
  });

  it('feature sets round-trip through the .sef format, and truncation is detected', () => {
    const spec = defineFeatureSpec({
      output: { type: 'series' },
      features: { type: 'mfcc', options: { nMfcc: 13 } },
    });
    const rows = [1, 2].map((n) => ({
      path: `a${n}.wav`,
      dataset: 'ravdess' as const,
      label: 'sad' as const,
      speaker: '01',
      features: computeFeatures(voice(n, 16000), 16000, spec),
    }));
    const bytes = encodeFeatureSet({
      spec,
      specHash: featureSpecHash(spec),
      columns: featureNames(spec),
      rows,
    });
    const back = decodeFeatureSet(bytes);
    expect(back.rows.map((r) => r.features.frames)).toEqual(rows.map((r) => r.features.frames));
    expect(Array.from(back.rows[1].features.data)).toEqual(Array.from(rows[1].features.data));
    expect(() => decodeFeatureSet(bytes.subarray(0, bytes.length - 10))).toThrow(/truncated/);
    expect(() => decodeFeatureSet(new Uint8Array(20))).toThrow(/not a speech-emotion feature file/);
  });
});
