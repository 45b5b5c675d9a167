import { readFile } from 'node:fs/promises';
import { decodeAiff, isAiff } from '../audio/aiff.js';
import { type DecodedAudio, decodeWav, isWave, mp3InWav } from '../audio/wav.js';
import { SpeechEmotionError } from '../errors.js';
import { withLoopAlive } from './event-loop.js';

type Decoder = (bytes: Uint8Array) => Promise<{ channelData: Float32Array[]; sampleRate: number }>;
let decoder: Promise<Decoder> | undefined;

/** Loads the optional `audio-decode` package on first use. */
function loadDecoder(): Promise<Decoder> {
  decoder ??= import('audio-decode').then(
    (m) => m.default as Decoder,
    () => {
      decoder = undefined;
      throw new SpeechEmotionError(
        'UNSUPPORTED_AUDIO',
        "mp3, flac, ogg, Opus, m4a/AAC, WebM, AMR/3GP, WMA and CAF need the optional package 'audio-decode': run `npm install audio-decode`, or convert the files to WAV.",
      );
    },
  );
  return decoder;
}

/**
 * File endings that {@link scanDataset} looks for by default: the formats whose reading is tested
 * (WAV and AIFF built in; the rest through `audio-decode`), among them what phones and browsers
 * record (m4a/AAC from voice memos, WebM/Opus from `MediaRecorder` (`.weba` as Chrome saves it),
 * Opus from messaging apps (`.oga` from Telegram), AMR raw or in 3GP from Android call and voice
 * recorders, AIFF-C `.aifc` from Macs).
 * Not `.mp4`: a corpus's videos (RAVDESS ships them) would be read again as audio. @internal
 */
export const AUDIO_EXTENSIONS: readonly string[] = [
  '.wav',
  '.aif',
  '.aiff',
  '.aifc',
  '.mp3',
  '.flac',
  '.ogg',
  '.opus',
  '.oga',
  '.m4a',
  '.aac',
  '.webm',
  '.weba',
  '.amr',
  '.3gp',
  '.3ga',
  '.wma',
  '.caf',
];

/**
 * WAV goes to the built-in decoder: bytes that start with RIFF (or RF64/BW64 WAVE), empty files,
 * and anything named `.wav` (so text renamed to .wav is reported as "not a WAV file") unless its
 * bytes open as another container (an MP3 or m4a saved as .wav, as some apps and sites do).
 */
function isWav(bytes: Uint8Array, name: string): boolean {
  const riff =
    bytes.length >= 4 && bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46;
  if (riff || isWave(bytes) || bytes.length === 0) return true;
  return name.toLowerCase().endsWith('.wav') && !isOtherContainer(bytes);
}

/**
 * Whether bytes open as a container that `audio-decode` reads: MP3 (an ID3 tag or a frame sync, as
 * raw AAC's), Ogg, FLAC, MP4/m4a/3GP (`ftyp`), WebM (EBML), AMR, WMA (ASF) or CAF.
 */
function isOtherContainer(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const at = (i: number, s: string) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));
  const ebml = b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3;
  const asf = b[0] === 0x30 && b[1] === 0x26 && b[2] === 0xb2 && b[3] === 0x75;
  const sync = b[0] === 0xff && (b[1] & 0xe0) === 0xe0;
  const tagged = ['ID3', 'OggS', 'fLaC', '#!AMR', 'caff'].some((t) => at(0, t));
  return tagged || at(4, 'ftyp') || ebml || asf || sync;
}

/**
 * Why `name` could not be read into memory: missing or unreadable (`INVALID_AUDIO`), or over the
 * 2 GiB that Node reads at once (`UNSUPPORTED_AUDIO`, with the way to read such a file). @internal
 */
export function unreadable(name: string, e: unknown): SpeechEmotionError {
  const message = (e as Error)?.message ?? String(e);
  if ((e as NodeJS.ErrnoException)?.code === 'ERR_FS_FILE_TOO_LARGE')
    return new SpeechEmotionError(
      'UNSUPPORTED_AUDIO',
      `cannot read ${name} whole: ${message}. Read a WAV or AIFF recording this long in pieces (streamMono; \`speech-emotion predict --timeline\`), or cut it into parts.`,
      { cause: e },
    );
  return new SpeechEmotionError('INVALID_AUDIO', `cannot read ${name}: ${message}`, { cause: e });
}

/**
 * The bytes decoded synchronously by the built-in decoders when they are theirs (WAV and AIFF,
 * recognised by content: AIFF files are often named .wav in real corpora), else `null`: what
 * `audio-decode` reads, MP3 in a WAV wrapper among them. @internal
 */
export function decodeBuiltIn(bytes: Uint8Array, name: string): DecodedAudio | null {
  if (isAiff(bytes)) return decodeAiff(bytes);
  if (isWav(bytes, name) && !mp3InWav(bytes)) return decodeWav(bytes);
  return null;
}

/**
 * Decodes audio bytes in Node, recognising the format by content: WAV and AIFF with the built-in
 * {@link decodeWav} and {@link decodeAiff}; mp3 (also in a WAV wrapper), flac, ogg (Vorbis or
 * Opus), m4a/AAC, WebM/Opus, AMR (raw or in 3GP), WMA and CAF with the optional `audio-decode`
 * package, loaded only when such a file comes along.
 * @throws {@link SpeechEmotionError} `UNSUPPORTED_AUDIO` when `audio-decode` is needed but not
 * installed, `INVALID_AUDIO` when the bytes are not audio.
 */
export async function decodeAudioBytes(bytes: Uint8Array, name = 'the file'): Promise<DecodedAudio> {
  const builtIn = decodeBuiltIn(bytes, name);
  if (builtIn) return builtIn;
  // MP3 in a WAV wrapper: its MP3 stream goes to audio-decode, like an .mp3 file.
  const encoded = mp3InWav(bytes) ?? bytes;
  let out: Awaited<ReturnType<Decoder>>;
  try {
    // The decoders compile WebAssembly as they start: see withLoopAlive for why the loop must run.
    out = await withLoopAlive(async () => (await loadDecoder())(encoded));
  } catch (e) {
    if (e instanceof SpeechEmotionError) throw e; // audio-decode is not installed
    throw new SpeechEmotionError(
      'INVALID_AUDIO',
      `${name} is not audio that can be decoded: it is corrupt, cut short or not a format the decoder knows (${(e as Error)?.message ?? e}).`,
      { cause: e },
    );
  }
  if (!out?.channelData?.length || !(out.sampleRate > 0))
    throw new SpeechEmotionError(
      'INVALID_AUDIO',
      `${name} decoded to no audio: it is empty, cut short or corrupt.`,
    );
  return { sampleRate: out.sampleRate, channels: out.channelData };
}

/**
 * Reads and decodes an audio file: WAV and AIFF always; mp3, flac, ogg, Opus, m4a/AAC, WebM, AMR
 * and 3GP (what phones, call recorders and browsers record), WMA and CAF when the optional
 * `audio-decode` package is installed.
 *
 * @example
 * ```ts
 * import { readAudioFile } from 'speech-emotion/node';
 * const { sampleRate, channels } = await readAudioFile('speech.mp3');
 * ```
 */
export async function readAudioFile(path: string): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    return await decodeAudioBytes(bytes, path);
  } catch (e) {
    if (e instanceof SpeechEmotionError && !e.message.includes(path))
      throw new SpeechEmotionError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
