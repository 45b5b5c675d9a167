// Clipping: a recording driven past full scale, whose waveform's tops are cut flat.

/** {@link clippingShare} above which a recording is called clipped (and warned about). */
export const CLIPPED_ABOVE = 1e-3;

/** Runs of at least this many samples at the peak count as flat tops. */
const RUN = 3;

/**
 * How much of a recording sits flat at full scale, as the tops of a waveform driven past it (a
 * microphone input set too loud) do: the share of samples in runs of three or more at the
 * recording's peak (within 0.01% of it), when that peak is at least 0.95 of full scale. Over 0.001
 * ({@link CLIPPED_ABOVE}) the recording clipped: `readMono`, `speech-emotion predict`, `extract`
 * and `inspect` then warn. 0 for a quieter recording, and for audio of 8 bits or coarser (its top
 * level piles up without clipping; such a recording is not judged).
 *
 * On RAVDESS and SAVEE (1 563 recordings) scaled to full scale and saved as 16-bit, none is over
 * 0.001; driven 6 dB and 12 dB past full scale, 91% and 93% are (`node scripts/clipping-eval.mjs`).
 * Clipping that a later resampling or a lossy codec (mp3, AAC) has smoothed is not flat any more,
 * and is not seen.
 *
 * @param signal - Samples of one channel, full scale ±1.
 * @returns A share of the samples, from 0 to 1.
 *
 * @example
 * ```ts
 * const { channels } = decodeWav(bytes);
 * if (clippingShare(channels[0]) > 0.001) console.warn('recorded too loud');
 * ```
 */
export function clippingShare(signal: ArrayLike<number>): number {
  const n = signal.length;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(signal[i]);
    if (a > peak) peak = a;
  }
  if (!(peak >= 0.95)) return 0;
  const level = peak * (1 - 1e-4);
  let flat = 0;
  let run = 0;
  let side = 0;
  let below = 0;
  for (let i = 0; i <= n; i++) {
    const v = i < n ? signal[i] : 0;
    const s = v >= level ? 1 : v <= -level ? -1 : 0;
    if (s === 0 && Math.abs(v) > below) below = Math.abs(v);
    if (s !== 0 && s === side) run++;
    else {
      if (run >= RUN) flat += run;
      run = s === 0 ? 0 : 1;
      side = s;
    }
  }
  // No sample within 0.3% of the peak but those at it: a step of 8-bit audio (1/128) or coarser.
  return peak - below < 3e-3 ? flat / n : 0;
}

/** The warning for `channels` (the ones a signal is made of) when one of them clipped. @internal */
export function clippingWarning(channels: readonly ArrayLike<number>[]): string | undefined {
  const share = Math.max(0, ...channels.map(clippingShare));
  if (!(share > CLIPPED_ABOVE)) return undefined;
  return `the recording clips: ${(100 * share).toPrecision(2)}% of its samples sit flat at full scale (it was recorded too loud, which distorts the voice); record with the input level lower`;
}
