import { SpeechEmotionError } from '../errors.js';
import type { FeatureSpec } from '../features/spec.js';

/** One prediction of a window, as {@link streamWindows} receives it back. */
interface WindowPrediction {
  label: string | null;
  scores: Record<string, number>;
  warning?: 'silent' | 'too-short' | 'no-speech';
}

/**
 * Window and hop in samples for a timeline, validated: the window defaults to the FeatureSpec's
 * duration (or 3 s), the hop to half the window. @internal
 */
export function timelineWindows(
  fn: string,
  options: { sampleRate: number; window?: number; hop?: number },
  spec: FeatureSpec,
): { winLen: number; hopLen: number } {
  const window = options.window ?? spec.duration?.seconds ?? 3;
  const hop = options.hop ?? window / 2;
  for (const [name, v] of [
    ['window', window],
    ['hop', hop],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: '${name}' must be a positive number of seconds.`,
      );
  }
  return {
    winLen: Math.round(window * options.sampleRate),
    hopLen: Math.max(1, Math.round(hop * options.sampleRate)),
  };
}

/**
 * The windows of predictTimeline over audio that arrives in chunks: windows start every `hopLen`
 * samples while a whole window fits, then one more ends at the last sample if the regular ones
 * stopped short of it (or one window of everything when the audio is shorter than a window). Each
 * ready window is predicted as soon as its chunk has arrived; only the samples from the oldest
 * window still needed are kept. @internal
 */
export async function* streamWindows(
  chunks: AsyncIterable<Float32Array | Float64Array> | Iterable<Float32Array | Float64Array>,
  winLen: number,
  hopLen: number,
  sampleRate: number,
  predict: (windows: Float32Array[]) => Promise<WindowPrediction[]>,
): AsyncGenerator<{ start: number; end: number } & WindowPrediction> {
  let buf = new Float32Array(Math.max(winLen + hopLen, 4096));
  let bufStart = 0; // absolute index of buf[0]
  let total = 0; // samples received
  let next = 0; // start of the next regular window
  let emitted = 0;
  const segment = (start: number, end: number, p: WindowPrediction) => ({
    start: start / sampleRate,
    end: end / sampleRate,
    ...p,
  });
  for await (const chunk of chunks as AsyncIterable<Float32Array | Float64Array>) {
    if (!(chunk instanceof Float32Array || chunk instanceof Float64Array)) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'EmotionModel.predictStream: each chunk must be a Float32Array (or Float64Array) of samples.',
      );
    }
    // Keep from the next regular window on, or the last winLen samples (the final window's).
    const keepFrom = Math.min(total, Math.max(bufStart, Math.min(next, total + chunk.length - winLen)));
    const kept = total - keepFrom;
    if (kept + chunk.length > buf.length) {
      const bigger = new Float32Array(Math.max(2 * buf.length, kept + chunk.length));
      bigger.set(buf.subarray(keepFrom - bufStart, total - bufStart));
      buf = bigger;
    } else buf.copyWithin(0, keepFrom - bufStart, total - bufStart);
    bufStart = keepFrom;
    buf.set(chunk, total - bufStart);
    total += chunk.length;
    const ready: number[] = [];
    for (; next + winLen <= total; next += hopLen) ready.push(next);
    if (!ready.length) continue;
    const predictions = await predict(ready.map((s) => buf.slice(s - bufStart, s - bufStart + winLen)));
    for (const [i, p] of predictions.entries()) yield segment(ready[i], ready[i] + winLen, p);
    emitted += ready.length;
  }
  if (total === 0) {
    throw new SpeechEmotionError('EMPTY_SIGNAL', 'EmotionModel.predictStream: the stream held no samples.');
  }
  const last = Math.max(0, total - winLen);
  // Shorter than a window: one window of everything; else the window ending at the last sample,
  // unless a regular one already did.
  if (emitted === 0 || next - hopLen < last) {
    const [p] = await predict([buf.slice(last - bufStart, total - bufStart)]);
    yield segment(last, total, p);
  }
}
