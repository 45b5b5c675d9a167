/**
 * Stable machine-readable codes carried by every {@link SpeechEmotionError}.
 *
 * - `UNKNOWN_OPTION`: an option name the function does not know (often a typo such as `nfft`).
 * - `INVALID_OPTION`: a known option with a value out of range or of the wrong type.
 * - `EMPTY_SIGNAL`: a signal with no samples.
 * - `NON_FINITE_SAMPLES`: a signal that holds NaN or ±Infinity.
 * - `SIGNAL_TOO_SHORT`: a signal shorter than one analysis frame where padding is off.
 * - `INVALID_AUDIO`: bytes that are not a readable audio file (truncated, corrupt, not audio).
 * - `UNSUPPORTED_AUDIO`: a valid audio file in an encoding this library does not decode.
 * - `SILENT_AUDIO`: audio with nothing above the silence threshold, so no emotion can be read from it.
 * - `INVALID_MODEL`: a saved model that is malformed, incomplete or does not fit its weights.
 * - `SPEC_MISMATCH`: features or a model made with a different FeatureSpec than the one asked for.
 */
export type SpeechEmotionErrorCode =
  | 'UNKNOWN_OPTION'
  | 'INVALID_OPTION'
  | 'EMPTY_SIGNAL'
  | 'NON_FINITE_SAMPLES'
  | 'SIGNAL_TOO_SHORT'
  | 'INVALID_AUDIO'
  | 'UNSUPPORTED_AUDIO'
  | 'SILENT_AUDIO'
  | 'SPEC_MISMATCH'
  | 'INVALID_MODEL';

/**
 * The one error type thrown by speech-emotion for bad input.
 *
 * `code` is stable across releases, so callers can branch on it; `message` says what was wrong and
 * what to change.
 *
 * @example
 * ```ts
 * try {
 *   extractMfcc(signal, { sampleRate: 16000, nfft: 512 } as never);
 * } catch (e) {
 *   if (e instanceof SpeechEmotionError && e.code === 'UNKNOWN_OPTION') console.error(e.message);
 * }
 * ```
 */
export class SpeechEmotionError extends Error {
  /** Stable machine-readable reason; see {@link SpeechEmotionErrorCode}. */
  readonly code: SpeechEmotionErrorCode;

  constructor(code: SpeechEmotionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpeechEmotionError';
    this.code = code;
  }
}
