import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpeechEmotionError, decodeWav, toMono } from '../src/index.js';
import { DATA_DIR, ORIGINALS, missing, skipNote } from './helpers/data.js';
import { type WavFormat, encodeWav } from './helpers/wav.js';

function expectCode(fn: () => unknown, code: string, text?: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpeechEmotionError);
    expect((e as SpeechEmotionError).code).toBe(code);
    if (text) expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error(`expected a SpeechEmotionError ${code}`);
}

const quant: Record<WavFormat, number> = {
  pcm8: 1 / 128,
  pcm16: 1 / 32768,
  pcm24: 2 ** -23,
  pcm32: 2 ** -31,
  float32: 0,
  float64: 0,
};

describe('decodeWav', () => {
  const left = Float32Array.from({ length: 1001 }, (_, i) => 0.9 * Math.sin(i / 7));
  const right = Float32Array.from({ length: 1001 }, (_, i) => -0.5 * Math.cos(i / 3));

  for (const format of Object.keys(quant) as WavFormat[]) {
    for (const extensible of [false, true]) {
      it(`reads ${format}${extensible ? ' (WAVE_FORMAT_EXTENSIBLE)' : ''}, stereo, with unknown odd-sized chunks first`, () => {
        const bytes = encodeWav([left, right], 22050, format, { extensible, extraChunks: true });
        const { sampleRate, channels } = decodeWav(bytes);
        expect(sampleRate).toBe(22050);
        expect(channels).toHaveLength(2);
        for (const [c, ref] of [left, right].entries()) {
          expect(channels[c].length).toBe(ref.length);
          for (let i = 0; i < ref.length; i++)
            expect(Math.abs(channels[c][i] - ref[i])).toBeLessThanOrEqual(quant[format] / 2 + 1e-7);
        }
      });
    }
  }

  it('scales 16-bit PCM as int16 / 32768 (the librosa convention)', () => {
    const bytes = encodeWav([new Float32Array([-1, 0.5, 32767 / 32768])], 16000, 'pcm16');
    expect(Array.from(decodeWav(bytes).channels[0])).toEqual([-1, 0.5, 32767 / 32768]);
  });

  it('rejects empty, non-WAV, truncated and unsupported files with clear errors', () => {
    expectCode(() => decodeWav(new Uint8Array(0)), 'INVALID_AUDIO', /empty/);
    expectCode(
      () => decodeWav(new TextEncoder().encode('hello, I am a text file renamed to .wav')),
      'INVALID_AUDIO',
      /not a WAV/,
    );
    const good = encodeWav([left], 16000, 'pcm16');
    // Cut inside the samples: the whole frames are decoded, with a warning.
    const cut = decodeWav(good.subarray(0, good.length - 101));
    expect(cut.channels[0].length).toBe(left.length - 51);
    expect(cut.warnings?.[0]).toMatch(/cut short/);
    expectCode(() => decodeWav(good.subarray(0, 45)), 'INVALID_AUDIO', /not one whole frame/);
    expectCode(() => decodeWav(good.subarray(0, 30)), 'INVALID_AUDIO', /truncated/);
    const mp3 = encodeWav([left], 8000, 'pcm16');
    new DataView(mp3.buffer).setUint16(20, 0x55, true);
    expectCode(() => decodeWav(mp3), 'UNSUPPORTED_AUDIO', /MP3 in a WAV wrapper/);
    const adpcm = encodeWav([left], 8000, 'pcm16');
    new DataView(adpcm.buffer).setUint16(20, 0x11, true);
    expectCode(() => decodeWav(adpcm), 'UNSUPPORTED_AUDIO', /ADPCM/);
  });

  it('never crashes on mutated bytes: returns valid audio or throws SpeechEmotionError', () => {
    const base = encodeWav([left.subarray(0, 300), right.subarray(0, 300)], 16000, 'pcm24', {
      extraChunks: true,
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.nat(base.length),
        (edits, cut) => {
          const bytes = base.slice(0, Math.max(cut, 1));
          for (const [at, val] of edits) if (at < bytes.length) bytes[at] = val;
          try {
            const { sampleRate, channels } = decodeWav(bytes);
            expect(sampleRate).toBeGreaterThan(0);
            expect(channels.length).toBeGreaterThan(0);
            for (const ch of channels) expect(ch.every(Number.isFinite)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(SpeechEmotionError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

const noOriginals = missing('originals');
describe.skipIf(noOriginals)(`decodeWav on the real originals${skipNote(noOriginals)}`, () => {
  it('reads every original (48 kHz stereo and mono RAVDESS, 44.1 kHz SAVEE)', () => {
    const dir = join(DATA_DIR, 'originals');
    const files = readdirSync(dir).filter((f) => f.endsWith('.wav'));
    expect(files).toEqual(expect.arrayContaining(ORIGINALS.map(([o]) => o.slice('originals/'.length))));
    const rates = new Set<number>();
    for (const f of files) {
      const { sampleRate, channels } = decodeWav(readFileSync(join(dir, f)));
      rates.add(sampleRate);
      const mono = toMono(channels);
      expect(mono.length / sampleRate).toBeGreaterThan(1);
      expect(mono.every(Number.isFinite)).toBe(true);
    }
    expect(rates).toEqual(new Set([48000, 44100]));
  });
});
