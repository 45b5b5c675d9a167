import { SpeechEmotionError } from '../errors.js';
import { dctFolded } from './dct.js';
import { type MfccOptions, type ResolvedMfcc, resolveMfccOptions } from './mfcc.js';
import { FrameAnalyzer, applyFilterbank } from './spectral.js';
import type { FeatureMatrix } from './types.js';
import { checkSignal, invalid } from './validate.js';

/**
 * Incremental MFCC extraction: push audio in chunks of any size and receive the frames each chunk
 * completes; {@link MfccStream.flush} ends the signal and returns the last frames.
 *
 * With `topDb: null` the frames equal {@link extractMfcc}'s on the whole signal (same parameters),
 * whatever the chunking. With a `topDb` floor they can differ: the whole-clip floor is relative to
 * the loudest cell of the entire clip, which a stream cannot know in advance, so the stream floors
 * each frame at the loudest cell seen **so far** minus `topDb`. Early frames of a clip that gets
 * louder later are floored less than in the whole-clip result. `ref: 'max'` is refused for the same
 * reason.
 *
 * Memory is bounded: the stream keeps at most about two frames of samples.
 *
 * @example
 * ```ts
 * const stream = new MfccStream({ sampleRate: 16000, nMfcc: 13, topDb: null });
 * for (const chunk of chunks) handle(stream.push(chunk));
 * handle(stream.flush());
 * ```
 */
export class MfccStream {
  private readonly r: ResolvedMfcc;
  private readonly analyzer: FrameAnalyzer;
  private readonly spec: Float64Array;
  private readonly mel: Float64Array;
  private readonly fold: Float64Array;
  /** Samples from absolute index `bufStart`, `bufLen` of them. */
  private buf: Float64Array;
  private bufStart = 0;
  private bufLen = 0;
  private total = 0;
  private next = 0;
  private maxDb = Number.NEGATIVE_INFINITY;
  private done = false;

  /**
   * @param options - The same options as {@link extractMfcc}; `sampleRate` is required and
   * `ref: 'max'` is not allowed.
   */
  constructor(options: MfccOptions & { sampleRate: number }) {
    this.r = resolveMfccOptions('MfccStream', options);
    if (this.r.db.ref === 'max') {
      throw invalid(
        'MfccStream',
        "ref: 'max' needs the whole clip; a stream cannot use it. Give a number (default 1).",
      );
    }
    this.analyzer = new FrameAnalyzer(this.r.stft);
    this.spec = new Float64Array(this.analyzer.nBins);
    this.mel = new Float64Array(this.r.fb.nMels);
    this.fold = new Float64Array(this.r.fb.nMels);
    this.buf = new Float64Array(4 * this.r.stft.nFft);
  }

  /** Number of coefficients per frame. */
  get features(): number {
    return this.r.nMfcc;
  }

  /**
   * Adds samples and returns the frames they complete (possibly none).
   * @param chunk - Mono samples at the stream's sample rate; any length, including 0.
   */
  push(chunk: Float32Array | Float64Array): FeatureMatrix {
    if (this.done)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'MfccStream: push() after flush(); call reset() to start a new signal.',
      );
    if (chunk.length > 0) checkSignal('MfccStream.push', chunk);
    this.append(chunk);
    const { hopLength, nFft, padMode } = this.r.stft;
    const pad = this.analyzer.padLeft;
    // A frame is ready when its last sample has arrived; reflect padding at the start also needs
    // sample `pad` (the mirror of the first padded sample).
    const ready = (t: number) => {
      const end = t * hopLength - pad + nFft;
      return end <= this.total && (padMode !== 'reflect' || t * hopLength >= pad || pad < this.total);
    };
    let count = 0;
    while (ready(this.next + count)) count++;
    return this.emit(count, Number.POSITIVE_INFINITY);
  }

  /**
   * Ends the signal: returns every remaining frame, padded at the end as {@link extractMfcc} pads.
   * After this, only {@link MfccStream.reset} may be called.
   */
  flush(): FeatureMatrix {
    if (this.done)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'MfccStream: flush() called twice; call reset() to start a new signal.',
      );
    if (this.total === 0) {
      throw new SpeechEmotionError('EMPTY_SIGNAL', 'MfccStream: no samples were pushed before flush().');
    }
    this.done = true;
    const { center, nFft, hopLength } = this.r.stft;
    const padded = center ? this.total + 2 * Math.floor(nFft / 2) : this.total;
    const frames = padded < nFft ? 0 : 1 + Math.floor((padded - nFft) / hopLength);
    return this.emit(Math.max(0, frames - this.next), this.total);
  }

  /** Forgets all input, so the stream can take a new signal. */
  reset(): void {
    this.bufStart = 0;
    this.bufLen = 0;
    this.total = 0;
    this.next = 0;
    this.maxDb = Number.NEGATIVE_INFINITY;
    this.done = false;
  }

  private append(chunk: Float32Array | Float64Array): void {
    // Drop samples no future frame can touch (keep one nFft of history for reflect padding).
    const { hopLength, nFft } = this.r.stft;
    const keepFrom = Math.max(0, this.next * hopLength - this.analyzer.padLeft - nFft);
    if (keepFrom > this.bufStart) {
      const drop = Math.min(keepFrom - this.bufStart, this.bufLen);
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart += drop;
    }
    if (this.bufLen + chunk.length > this.buf.length) {
      const grown = new Float64Array(Math.max(2 * this.buf.length, this.bufLen + chunk.length));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(chunk, this.bufLen);
    this.bufLen += chunk.length;
    this.total += chunk.length;
  }

  /** Computes `count` frames from `this.next`; `n` is the signal length for padding (∞ while streaming). */
  private emit(count: number, n: number): FeatureMatrix {
    const { r, analyzer, spec, mel } = this;
    const nMels = r.fb.nMels;
    const out = new Float32Array(count * r.nMfcc);
    const { amin, topDb } = r.db;
    const refDb = 10 * Math.log10(Math.max(amin, r.db.ref as number));
    const signalLength = Number.isFinite(n) ? n : this.total;
    for (let i = 0; i < count; i++) {
      const t = this.next + i;
      analyzer.powerFrame(
        this.buf,
        this.bufStart,
        signalLength,
        t * r.stft.hopLength - analyzer.padLeft,
        spec,
        0,
        r.power,
      );
      applyFilterbank(r.fb, spec, 0, mel, 0);
      for (let j = 0; j < nMels; j++) {
        const v = 10 * Math.log10(Math.max(amin, mel[j])) - refDb;
        mel[j] = v;
        if (v > this.maxDb) this.maxDb = v;
      }
      const floor = topDb === null ? Number.NEGATIVE_INFINITY : this.maxDb - topDb;
      dctFolded(mel, 0, floor, nMels, r.dct, r.nMfcc, this.fold, out, i * r.nMfcc);
    }
    this.next += count;
    return { data: out, frames: count, features: r.nMfcc };
  }
}
