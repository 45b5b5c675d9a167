// Audio as real tools write it, made from real recordings: streaming and unfinalised WAV headers,
// files cut inside their samples, G.711 telephone audio, AIFF named .wav, and encodings that
// cannot be read. Then a fuzz test over mutated real files.
import { existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelOrMix } from '../src/audio/mono.js';
import {
  SpeechEmotionError,
  decodeAiff,
  decodeWav,
  defineFeatureSpec,
  isAiff,
  mixLossDb,
  selectChannel,
  toMono,
} from '../src/index.js';
import { readMono, streamMono } from '../src/node.js';
import { processFile } from '../src/node/process-file.js';
import { DATA_DIR, ROOT, missing, skipNote } from './helpers/data.js';
import { lcg } from './helpers/signals.js';
import { encodeAiff, encodeG711Wav, encodeWav } from './helpers/wav.js';

const SAMPLE = join(ROOT, 'examples', 'audio', 'sample.wav');
const RAVDESS_CLIP = join(DATA_DIR, 'ravdess', 'Actor_05', '03-01-05-02-01-01-05.wav');
const noRavdess = missing('ravdess');

/** The recordings every case is made from: the committed espeak-ng sample, and an actor of RAVDESS. */
const sources: [name: string, path: string, skip: string | undefined][] = [
  ['sample.wav (espeak-ng, 16-bit)', SAMPLE, undefined],
  ['a RAVDESS recording', RAVDESS_CLIP, noRavdess],
];

const tmp = mkdtempSync(join(tmpdir(), 'se-input-'));
/** The data chunk's offset and size in a plain WAV. */
function dataChunk(bytes: Uint8Array): { at: number; size: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = v.getUint32(at + 4, true);
    if (id === 'data') return { at, size };
    at += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}
/** The chunks of a stream, joined. */
async function joined(chunks: AsyncIterable<Float32Array>): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const snrDb = (ref: Float32Array, x: Float32Array) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    n += (ref[i] - x[i]) ** 2;
  }
  return 10 * Math.log10(s / n);
};

for (const [name, path, skip] of sources) {
  describe.skipIf(skip)(`real files made from ${name}${skipNote(skip)}`, () => {
    const original = () => readFileSync(path);
    const reference = () => decodeWav(original()).channels[0];

    it('a WAV from a live recorder or a pipe (RIFF and data sizes 0xFFFFFFFF) is read to its end', async () => {
      const bytes = new Uint8Array(original());
      const v = new DataView(bytes.buffer);
      v.setUint32(4, 0xffffffff, true);
      v.setUint32(dataChunk(bytes).at + 4, 0xffffffff, true);
      const file = join(tmp, 'stream.wav');
      writeFileSync(file, bytes);
      const { signal, warnings } = await readMono(file);
      expect(signal).toEqual(reference());
      expect(warnings).toBeUndefined();
    });

    it('RF64 and BW64 (64-bit sizes, past 4 GB) are read by their ds64 chunk, whole and in pieces', async () => {
      // As ffmpeg and broadcast recorders write them: 0xFFFFFFFF sizes, the real ones in 'ds64';
      // a chunk after the samples, which only the ds64 size keeps out of them.
      const bytes = new Uint8Array(original());
      const { at, size } = dataChunk(bytes);
      const latin1 = (t: string) => Uint8Array.from(t, (c) => c.charCodeAt(0));
      const info = latin1('LIST\x0e\0\0\0INFOISFT\x02\0\0\0x\0');
      for (const id of ['RF64', 'BW64']) {
        const out = new Uint8Array(12 + 36 + (bytes.length - 12) + info.length);
        const v = new DataView(out.buffer);
        out.set(latin1(`${id}\xff\xff\xff\xffWAVEds64`));
        v.setUint32(16, 28, true);
        v.setUint32(20, out.length - 8, true); // RIFF size, then the data size, both 64-bit
        v.setUint32(28, size, true);
        out.set(bytes.subarray(12), 48);
        v.setUint32(at + 36 + 4, 0xffffffff, true);
        out.set(info, 48 + bytes.length - 12);
        const file = join(tmp, `${id}.wav`);
        writeFileSync(file, out);
        expect((await readMono(file)).signal, id).toEqual(reference());
        const stream = await streamMono(file, { chunkSeconds: 0.07 });
        expect(await joined(stream.chunks), id).toEqual(reference());
      }
    });

    it('an AIFF written into a pipe (its FORM, frame count and SSND sizes 0) is read to its end', async () => {
      const { sampleRate, channels } = decodeWav(original());
      const finalised = encodeAiff(channels[0], sampleRate);
      const piped = finalised.slice();
      const v = new DataView(piped.buffer);
      for (const at of [4, 22, 42]) v.setUint32(at, 0); // as ffmpeg -f aiff - leaves them
      const file = join(tmp, 'piped.aiff');
      writeFileSync(file, piped);
      const whole = decodeAiff(finalised).channels[0];
      expect(whole.length).toBe(channels[0].length);
      expect(decodeAiff(piped).channels[0]).toEqual(whole);
      const stream = await streamMono(file, { chunkSeconds: 0.07 });
      expect(await joined(stream.chunks)).toEqual(whole);
    });

    it('a WAV whose header was never finalised (sizes 0) is read to its end', () => {
      const bytes = new Uint8Array(original());
      const v = new DataView(bytes.buffer);
      v.setUint32(4, 0, true);
      v.setUint32(dataChunk(bytes).at + 4, 0, true);
      expect(decodeWav(bytes).channels[0]).toEqual(reference());
    });

    it('a WAV cut inside its samples decodes up to its last whole frame, with a warning', async () => {
      const bytes = original();
      const { at } = dataChunk(bytes);
      const keep = at + 8 + 2 * 5000 + 1; // 5000 whole 16-bit frames and half of the next
      const file = join(tmp, 'cut.wav');
      writeFileSync(file, bytes.subarray(0, keep));
      const { signal, warnings } = await readMono(file);
      expect(signal).toEqual(reference().subarray(0, 5000));
      expect(warnings?.join(' ')).toMatch(/cut short.*whole frames/);
      // Read in pieces (predict --timeline), the same samples and the same warning.
      const stream = await streamMono(file, { chunkSeconds: 0.07 });
      expect(await joined(stream.chunks)).toEqual(reference().subarray(0, 5000));
      expect(stream.warnings?.join(' ')).toMatch(/cut short/);
    });

    it('G.711 μ-law and A-law WAV (telephone audio) decode to the recording (SNR > 30 dB)', () => {
      const ref = reference();
      for (const law of ['ulaw', 'alaw'] as const) {
        const { channels, sampleRate } = decodeWav(encodeG711Wav(ref, 16000, law));
        expect(sampleRate).toBe(16000);
        expect(channels[0].length).toBe(ref.length);
        expect(snrDb(ref, channels[0]), law).toBeGreaterThan(30);
      }
    });

    it('AIFF and AIFF-C are recognised by their content, also when named .wav', async () => {
      const ref = reference();
      for (const compression of [undefined, 'NONE', 'sowt', 'fl32'] as const) {
        const file = join(tmp, `aiff-${compression ?? 'plain'}.wav`);
        writeFileSync(file, encodeAiff(ref, 16000, compression));
        const { signal, sampleRate } = await readMono(file);
        expect(sampleRate).toBe(16000);
        expect(signal, compression).toEqual(ref);
        const stream = await streamMono(file, { chunkSeconds: 0.1 });
        expect(await joined(stream.chunks), `${compression} in pieces`).toEqual(ref);
      }
    });

    it('what cannot be read fails with a SpeechEmotionError naming the format', () => {
      const bytes = new Uint8Array(original());
      const v = new DataView(bytes.buffer);
      v.setUint16(20, 0x55, true);
      expect(() => decodeWav(bytes)).toThrow(/MPEG Layer 3 \(MP3 in a WAV wrapper\)/);
      v.setUint16(20, 0x11, true);
      expect(() => decodeWav(bytes)).toThrow(/IMA ADPCM/);
      const aifc = encodeAiff(reference().subarray(0, 100), 16000, 'NONE');
      aifc.set([0x4d, 0x41, 0x43, 0x33], 38); // 'MAC3' (MACE 3:1)
      expect(() => decodeAiff(aifc)).toThrow(/AIFF-C compression 'MAC3' is not supported/);
    });
  });
}

it('a RIFF file that is not WAVE is refused alike whole and in pieces (predict and predict --timeline)', async () => {
  const bytes = new Uint8Array(readFileSync(SAMPLE));
  bytes.set([0x41, 0x56, 0x49, 0x20], 8); // 'AVI ': a RIFF container of something else
  const file = join(tmp, 'riff-avi.wav');
  writeFileSync(file, bytes);
  const notWav = /not a WAV file: it does not start with a RIFF\/WAVE header/;
  await expect(readMono(file)).rejects.toThrow(notWav);
  await expect(streamMono(file)).rejects.toThrow(notWav);
  await expect(streamMono(file)).rejects.toBeInstanceOf(SpeechEmotionError);
});

it.skipIf(!existsSync('/proc/self/fd'))(
  'a stream whose chunks are never read leaves no file open (only its duration or warnings wanted)',
  async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 20; i++) expect((await streamMono(SAMPLE)).duration).toBeGreaterThan(4);
    expect(open()).toBeLessThan(before + 5);
    // Read, the chunks open the file again and close it at the end.
    const stream = await streamMono(SAMPLE, { chunkSeconds: 1 });
    expect(await joined(stream.chunks)).toEqual((await readMono(SAMPLE)).signal);
    expect(open()).toBeLessThan(before + 5);
  },
);

it('a WAV over 2 GiB is refused whole with the way to read it, and read in pieces', async () => {
  // A sparse file (no disk used): the sample's header, its data size unknown, then zeros past 2 GiB.
  const bytes = new Uint8Array(readFileSync(SAMPLE));
  const v = new DataView(bytes.buffer);
  v.setUint32(4, 0xffffffff, true);
  const { at } = dataChunk(bytes);
  v.setUint32(at + 4, 0xffffffff, true);
  const file = join(tmp, 'over-2gib.wav');
  writeFileSync(file, bytes);
  truncateSync(file, 2 ** 31 + 2 ** 20);
  const whole = readMono(file);
  await expect(whole).rejects.toMatchObject({ code: 'UNSUPPORTED_AUDIO' });
  await expect(readMono(file)).rejects.toThrow(/over-2gib\.wav whole: .*2 GiB.*in pieces \(streamMono/);
  // The batch path (predict over many files, extract, evaluate) says the same.
  expect(processFile(file, defineFeatureSpec({ sampleRate: 16000 }))).toMatchObject({
    ok: false,
    code: 'UNSUPPORTED_AUDIO',
    message: expect.stringMatching(/in pieces/),
  });
  const stream = await streamMono(file, { chunkSeconds: 1 });
  for await (const first of stream.chunks) {
    expect(first).toEqual(decodeWav(readFileSync(SAMPLE)).channels[0].subarray(0, first.length));
    break;
  }
});

describe('one channel of a recording (a voice per channel, as a two-sided call)', () => {
  const n = 3000;
  const left = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i / 7));
  const right = Float32Array.from({ length: n }, (_, i) => 0.25 * Math.sin(i / 3));
  const mix = Float32Array.from({ length: n }, (_, i) => (left[i] + right[i]) / 2);
  const near = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

  it('selectChannel keeps the channel asked for, or mixes them all', () => {
    expect(selectChannel([left, right], 0)).toBe(left);
    expect(selectChannel([left, right], 1)).toBe(right);
    expect(selectChannel([left, right])).toEqual(toMono([left, right]));
    for (const bad of [2, -1, 0.5, Number.NaN]) {
      expect(() => selectChannel([left, right], bad), String(bad)).toThrow(SpeechEmotionError);
    }
    expect(() => selectChannel([left], 1)).toThrow(/has 1 channel; channel 2 \(index 1\) was asked for/);
  });

  it('readMono and streamMono read the same channel of a stereo WAV, whole and in pieces', async () => {
    const file = join(tmp, 'two-voices.wav');
    writeFileSync(file, encodeWav([left, right], 16000, 'float32'));
    for (const [channel, want] of [
      [0, left],
      [1, right],
      [undefined, mix],
    ] as const) {
      const { signal } = await readMono(file, { channel });
      expect(near(signal, want), `readMono channel ${channel}`).toBeLessThan(1e-6);
      const stream = await streamMono(file, { channel, chunkSeconds: 0.05 });
      expect(near(await joined(stream.chunks), want), `streamMono channel ${channel}`).toBeLessThan(1e-6);
    }
    await expect(readMono(file, { channel: 2 })).rejects.toThrow(/has 2 channels; channel 3/);
    await expect(streamMono(file, { channel: 2 })).rejects.toThrow(/has 2 channels; channel 3/);
  });

  it('warns when the channels cancel out in the mix (one with its polarity reversed), and only then', async () => {
    const scaled = (x: Float32Array, g: number) => x.map((v) => g * v);
    const warned = (channels: Float32Array[], channel?: number) =>
      channelOrMix(channels, channel).warnings[0];
    expect(warned([left, scaled(left, -1)])).toMatch(
      /cancel out when mixed \(the mix is silent, unlike the channels/,
    );
    expect(warned([left, scaled(left, -0.7)])).toMatch(/the mix is 15 dB quieter than the channels/);
    // Different voices (3 dB), the same signal twice, one side silent, all silent, one channel kept, mono.
    for (const ok of [
      [left, right],
      [left, left],
      [left, new Float32Array(n)],
      [new Float32Array(n), new Float32Array(n)],
    ])
      expect(warned(ok)).toBeUndefined();
    expect(warned([left, scaled(left, -1)], 0)).toBeUndefined();
    expect(warned([left])).toBeUndefined();
    expect(channelOrMix([left, right]).signal).toEqual(toMono([left, right]));
    // mixLossDb, the measure behind it: 0 dB for the same sound, 3 for unrelated ones, ∞ when they cancel.
    const noise = (seed: number) => {
      const r = lcg(seed);
      return Float32Array.from({ length: 20000 }, () => r() - 0.5);
    };
    expect(mixLossDb([left, left])).toBeCloseTo(0, 6);
    expect(mixLossDb([noise(1), noise(2)])).toBeCloseTo(3, 0);
    expect(mixLossDb([left, scaled(left, -1)])).toBe(Number.POSITIVE_INFINITY);
    expect(mixLossDb([left, scaled(left, -0.7)])).toBeCloseTo(15.2, 1); // 10·log10(0.745 / 0.15²)
    expect(mixLossDb([left])).toBe(0);
    expect(mixLossDb([new Float32Array(n), new Float32Array(n)])).toBe(0);
    // The files' readers pass it on: whole, in pieces (judged on the first piece), and not for one channel.
    const file = join(tmp, 'inverted.wav');
    writeFileSync(file, encodeWav([left, scaled(left, -1)], 16000, 'float32'));
    expect((await readMono(file)).warnings).toEqual([expect.stringMatching(/channels cancel out/)]);
    const stream = await streamMono(file, { chunkSeconds: 0.05 });
    expect(stream.warnings).toEqual([
      expect.stringMatching(/channels cancel out .*\(judged on the first 0.05 s\)$/),
    ]);
    await joined(stream.chunks);
    expect((await readMono(file, { channel: 1 })).warnings).toBeUndefined();
    writeFileSync(join(tmp, 'two.wav'), encodeWav([left, right], 16000, 'float32'));
    expect((await readMono(join(tmp, 'two.wav'))).warnings).toBeUndefined();
    expect((await streamMono(join(tmp, 'two.wav'))).warnings).toBeUndefined();
    // A bad sample in the first chunk is the file's error, now found while opening it.
    const bad = left.slice();
    bad[10] = Number.NaN;
    writeFileSync(join(tmp, 'nan.wav'), encodeWav([bad, right], 16000, 'float32'));
    await expect(streamMono(join(tmp, 'nan.wav'))).rejects.toThrow(SpeechEmotionError);
    await expect(streamMono(join(tmp, 'nan.wav'))).rejects.toThrow(/sample 10 of channel 0 is NaN/);
  });
});

/** Decodes as the library does for files: by content, WAV or AIFF. */
function decodeAny(bytes: Uint8Array) {
  return isAiff(bytes) ? decodeAiff(bytes) : decodeWav(bytes);
}

/** Byte-level damage of the kinds files suffer: flipped bytes, overwritten sizes, cuts, splices. */
const damage = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(length - 1), value: fc.nat(255) }),
    fc.record({
      kind: fc.constant('u32' as const),
      at: fc.nat(Math.min(length - 4, 80)),
      value: fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 44, 65535),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(length), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat(length - 1), value: fc.nat(64) }),
  );

function apply(
  base: Uint8Array,
  edits: { kind: string; at: number; value: number }[],
  littleEndian: boolean,
) {
  let bytes = base.slice();
  for (const e of edits) {
    if (e.kind === 'set' && e.at < bytes.length) bytes[e.at] = e.value;
    else if (e.kind === 'u32' && e.at + 4 <= bytes.length)
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(e.at, e.value, littleEndian);
    else if (e.kind === 'cut') bytes = bytes.slice(0, Math.max(0, Math.min(e.at, bytes.length)));
    else if (e.kind === 'drop' && e.at < bytes.length)
      bytes = Uint8Array.from([...bytes.subarray(0, e.at), ...bytes.subarray(e.at + e.value)]);
  }
  return bytes;
}

/** Runs the property: every mutated file decodes to sane audio or throws a SpeechEmotionError. */
function fuzzDecoders(numRuns: number) {
  const sample = decodeWav(readFileSync(SAMPLE));
  const short = toMono(sample.channels).subarray(0, 4000);
  const bases: [Uint8Array, boolean][] = [
    [readFileSync(SAMPLE).subarray(0, 44 + 2 * 4000), true],
    [encodeG711Wav(short, 16000, 'ulaw'), true],
    [encodeAiff(short, 16000), false],
    [encodeAiff(short, 16000, 'fl32'), false],
    [readFileSync(join(ROOT, 'test', 'fixtures', 'inputs', 'tone-ima.wav')), true],
    [readFileSync(join(ROOT, 'test', 'fixtures', 'inputs', 'tone-msadpcm.wav')), true],
    [readFileSync(join(ROOT, 'test', 'fixtures', 'inputs', 'sample-gsm.wav')), true],
    [readFileSync(join(ROOT, 'test', 'fixtures', 'inputs', 'tone-ima4.aifc')), false],
  ];
  fc.assert(
    fc.property(
      fc.nat(bases.length - 1),
      fc.array(damage(8044), { minLength: 1, maxLength: 6 }),
      (b, edits) => {
        const [base, le] = bases[b];
        const bytes = apply(base, edits, le);
        try {
          const { sampleRate, channels } = decodeAny(bytes);
          if (!(sampleRate > 0) || channels.length === 0) return false;
          const n = channels[0].length;
          for (const ch of channels) {
            if (ch.length !== n) return false;
            for (let i = 0; i < ch.length; i++) if (!Number.isFinite(ch[i])) return false;
          }
          return true;
        } catch (e) {
          return e instanceof SpeechEmotionError;
        }
      },
    ),
    { numRuns },
  );
}

// `npm run fuzz:decode` runs 10⁵ cases (FUZZ_RUNS); npm test runs 10⁴.
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
describe('fuzz: mutated real files (WAV, μ-law, AIFF, AIFF-C float and IMA4, IMA and Microsoft ADPCM, GSM)', () => {
  it(`${RUNS} cases: each decodes to finite audio or throws a SpeechEmotionError, never another exception or a hang`, () => {
    fuzzDecoders(RUNS);
  }, 600_000);
});
