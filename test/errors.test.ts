import { describe, expect, it } from 'vitest';
import { checkSignal, checkedOnce } from '../src/dsp/validate.js';
import {
  MfccStream,
  SpeechEmotionError,
  cmvn,
  computeFeatures,
  defineFeatureSpec,
  delta,
  extractMfcc,
  melFilterbank,
  melSpectrogram,
  powerToDb,
  spectrogram,
  trimSilence,
} from '../src/index.js';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SpeechEmotionError);
    return { code: (e as SpeechEmotionError).code, message: (e as Error).message };
  }
  throw new Error('expected a SpeechEmotionError');
}

const x = Float32Array.from({ length: 8000 }, (_, i) => Math.sin(i / 5) * 0.3);
const sr = { sampleRate: 16000 };

describe('bad input gets a SpeechEmotionError with a code and a helpful message', () => {
  it('an unknown option name suggests the right one', () => {
    const e = codeOf(() => extractMfcc(x, { ...sr, nfft: 512 } as never));
    expect(e.code).toBe('UNKNOWN_OPTION');
    expect(e.message).toMatch(/unknown option 'nfft'.*Did you mean 'nFft'/);
    expect(codeOf(() => melSpectrogram(x, { ...sr, hop_length: 10 } as never)).message).toMatch(/hopLength/);
    expect(codeOf(() => trimSilence(x, { top_db: 30 } as never)).code).toBe('UNKNOWN_OPTION');
    expect(
      codeOf(() => delta({ data: new Float32Array(20), frames: 10, features: 2 }, { widht: 3 } as never))
        .code,
    ).toBe('UNKNOWN_OPTION');
  });

  it.each([
    [{ nFft: 512, winLength: 1024 }, /winLength.*≤ 'nFft'/],
    [{ fmax: 9000 }, /fmax.*Nyquist/],
    [{ hopLength: 0 }, /hopLength/],
    [{ hopLength: -5 }, /hopLength/],
    [{ nMfcc: 50, nMels: 40 }, /nMfcc.*≤ 'nMels'/],
    [{ nFft: 1.5 }, /nFft/],
    [{ fmin: 5000, fmax: 4000 }, /fmin.*below/],
    [{ window: 'kaiser' }, /window/],
    [{ padMode: 'edge' }, /padMode/],
    [{ dctNorm: 'forward' }, /dctNorm/],
  ])('rejects %j', (opts, text) => {
    const e = codeOf(() => extractMfcc(x, { ...sr, ...(opts as object) }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(text);
  });

  it('rejects a missing or bad sample rate', () => {
    expect(codeOf(() => extractMfcc(x, {} as never)).message).toMatch(/sampleRate/);
    expect(codeOf(() => melFilterbank({ sampleRate: -1 })).code).toBe('INVALID_OPTION');
  });

  it('rejects empty signals and non-arrays', () => {
    expect(codeOf(() => extractMfcc(new Float32Array(0), sr)).code).toBe('EMPTY_SIGNAL');
    expect(codeOf(() => spectrogram(new Float32Array(0))).code).toBe('EMPTY_SIGNAL');
    expect(codeOf(() => extractMfcc([0.1, 0.2] as never, sr)).message).toMatch(/Float32Array/);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'rejects a %s sample and says where it is',
    (bad) => {
      const y = x.slice();
      y[1234] = bad;
      const e = codeOf(() => extractMfcc(y, sr));
      expect(e.code).toBe('NON_FINITE_SAMPLES');
      expect(e.message).toMatch(/sample 1234/);
      expect(codeOf(() => trimSilence(y)).code).toBe('NON_FINITE_SAMPLES');
      expect(codeOf(() => new MfccStream(sr).push(y)).code).toBe('NON_FINITE_SAMPLES');
    },
  );

  it('a signal shorter than one frame without centring is SIGNAL_TOO_SHORT; with centring it works', () => {
    expect(codeOf(() => extractMfcc(x.subarray(0, 100), { ...sr, center: false })).code).toBe(
      'SIGNAL_TOO_SHORT',
    );
    expect(extractMfcc(x.subarray(0, 100), sr).frames).toBe(1);
    expect(codeOf(() => delta(extractMfcc(x.subarray(0, 1000), sr))).code).toBe('SIGNAL_TOO_SHORT');
  });

  it('powerToDb rejects malformed matrices and negative power', () => {
    expect(codeOf(() => powerToDb({ data: new Float32Array(3), frames: 2, features: 2 })).code).toBe(
      'INVALID_OPTION',
    );
    expect(
      codeOf(() => powerToDb({ data: new Float32Array([1, -1]), frames: 1, features: 2 })).message,
    ).toMatch(/≥ 0/);
  });

  it('MfccStream refuses ref max, push after flush, and flush with nothing pushed', () => {
    expect(codeOf(() => new MfccStream({ ...sr, ref: 'max' })).code).toBe('INVALID_OPTION');
    const s = new MfccStream(sr);
    expect(codeOf(() => s.flush()).code).toBe('EMPTY_SIGNAL');
    s.reset();
    s.push(x);
    s.flush();
    expect(codeOf(() => s.push(x)).message).toMatch(/reset/);
  });

  it('silent audio gives finite features, not NaN', () => {
    const silent = new Float32Array(16000);
    for (const m of [extractMfcc(silent, sr), melSpectrogram(silent, sr), cmvn(extractMfcc(silent, sr))]) {
      expect(m.data.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('signals are checked once, at the public boundary (checkedOnce)', () => {
  it('inside the call the checked signal and what it trusts skip the scan; afterwards they are checked again', () => {
    const signal = new Float32Array([0.1, 0.2, 0.3]);
    const derived = new Float32Array([0.5, Number.NaN]);
    const seen = checkedOnce('outer', signal, (trust) => {
      trust(derived);
      // A NaN put in after the boundary's check is not looked for again inside the call…
      signal[1] = Number.NaN;
      checkSignal('inner', signal);
      checkSignal('inner', derived);
      return 'ran';
    });
    expect(seen).toBe('ran');
    // …but the marks end with the call.
    expect(() => checkSignal('after', signal)).toThrow(/after: sample 1 is NaN/);
    expect(() => checkSignal('after', derived)).toThrow(/after: sample 1 is NaN/);
    expect(() => checkedOnce('outer', new Float32Array([1, Number.POSITIVE_INFINITY]), () => 0)).toThrow(
      /outer: sample 1 is Infinity/,
    );
  });

  it('computeFeatures still refuses a bad signal, naming itself', () => {
    const spec = defineFeatureSpec({});
    const x = new Float32Array(16000).fill(0.1);
    x[500] = Number.NaN;
    expect(() => computeFeatures(x, 16000, spec)).toThrow(/computeFeatures: sample 500 is NaN/);
    expect(() => computeFeatures(x, 22050, spec)).toThrow(/computeFeatures: sample 500 is NaN/);
  });
});
