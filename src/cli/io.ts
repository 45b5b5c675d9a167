import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { checkChannel, monoOf, selectChannel } from '../audio/mono.js';
import { bytesFor, secondsIn } from '../audio/wav.js';
import type { MonoAudio } from '../node.js';
import { decodeAudioBytes } from '../node/audio-file.js';
import { type MonoStream, chunked, firstPieceWarnings, headerLayout } from '../node/audio-stream.js';

const pending = new Set<string>();

/** A file's warnings (damage, a cancelling mix, clipping) on stderr, one line each, after its name. */
export function warn(file: string, warnings: readonly string[] | undefined): void {
  for (const w of warnings ?? []) console.error(`${file}: warning: ${w}`);
}

/** `record` with the file's warnings, when it has any: what `--json` prints, beside {@link warn}'s lines. */
export function withWarnings<R extends object>(record: R, warnings: readonly string[] | undefined) {
  return warnings?.length ? { ...record, warnings } : record;
}

/** `message` led by `file` once: the library's file errors already name the file, others do not. */
export function located(file: string, message: string): string {
  return message.startsWith(`${file}: `) ? message : `${file}: ${message}`;
}

/**
 * Writes a file atomically: to a temporary file beside it, then renamed over it, so readers never
 * see half a file and an interrupted write leaves the old file (or nothing).
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  pending.add(tmp);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } finally {
    pending.delete(tmp);
    rmSync(tmp, { force: true });
  }
}

/** Removes temporary files of writes in progress (on Ctrl-C). */
export function removePendingTemps(): void {
  for (const p of pending) rmSync(p, { force: true });
}

/** Progress on stderr: a live bar with rate and ETA on a TTY, a plain line every 10% otherwise. */
export class Progress {
  private readonly start = performance.now();
  private lastPct = -1;
  private readonly tty: boolean;
  constructor(
    private readonly total: number,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(process.stderr.isTTY);
  }
  update(done: number): void {
    if (this.quiet || this.total === 0) return;
    const secs = (performance.now() - this.start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = rate > 0 ? (this.total - done) / rate : 0;
    const pct = Math.floor((100 * done) / this.total);
    const text = `${done}/${this.total} files ${pct}%  ${rate.toFixed(0)} files/s  ETA ${eta.toFixed(0)} s`;
    if (this.tty) {
      const width = 24;
      const fill = Math.round((width * done) / this.total);
      process.stderr.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text}\x1b[K`);
      if (done === this.total) process.stderr.write('\n');
    } else if (Math.floor(pct / 10) > Math.floor(this.lastPct / 10) || done === this.total) {
      process.stderr.write(`${text}\n`);
    }
    this.lastPct = pct;
  }
}

/**
 * The recording piped into the command (`-` for a file name), read whole, decoded by content, mixed
 * to mono or one channel kept. The caller refuses a terminal on standard input first.
 */
export async function readStandardInput(channel?: number): Promise<MonoAudio> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return monoOf(await decodeAudioBytes(new Uint8Array(Buffer.concat(parts)), 'standard input'), channel);
}

/** Bytes read from a pipe before its header must have been seen. */
const HEAD = 1 << 16;

/** A stream of chunks, and what is learnt only once it has been read to its end. */
export interface PipedStream extends MonoStream {
  /** Warnings found at the end (a WAV whose data stopped short of the size its header declared). */
  late: string[];
}

/**
 * The recording piped in as a stream of mono chunks of about `chunkSeconds`: a WAV or AIFF read
 * piece by piece as it arrives (constant memory, whatever its length: `ffmpeg … -f wav - |` writes
 * one with its sizes unknown), judged for a cancelling mix and clipping on its first piece;
 * anything else read whole and decoded by content ({@link readStandardInput}).
 */
export async function streamStandardInput(channel?: number, chunkSeconds = 10): Promise<PipedStream> {
  const input = process.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const bytes = new ByteQueue(input);
  await bytes.fill(HEAD);
  // Its length: the whole input when it has ended, else unknown. Without a layout it is read whole.
  const head = bytes.peek();
  const layout = headerLayout(head, bytes.ended ? head.length : Number.MAX_SAFE_INTEGER);
  if (!layout) {
    await bytes.fill(Number.POSITIVE_INFINITY);
    const whole = monoOf(await decodeAudioBytes(bytes.take(bytes.length), 'standard input'), channel);
    return { ...chunked(whole, chunkSeconds), late: [] };
  }
  if (channel !== undefined) checkChannel(channel, layout.channels);
  const { sampleRate, frameBytes } = layout;
  const decode = layout.decoder();
  bytes.take(layout.dataAt);
  let left = layout.dataSize; // bytes of samples still to come (to the end of the input when unknown)
  const block = bytesFor(layout, chunkSeconds);
  const next = async (): Promise<Float32Array[] | null> => {
    await bytes.fill(Math.min(block, left));
    const frames = Math.floor(Math.min(block, left, bytes.length) / frameBytes);
    if (frames === 0) return null;
    left -= frames * frameBytes;
    return decode(bytes.take(frames * frameBytes), 0, frames);
  };
  const first = await next();
  const warnings = [...layout.warnings];
  if (first) warnings.push(...firstPieceWarnings(first, channel, chunkSeconds));
  const late: string[] = [];
  const declared = layout.dataSize < Number.MAX_SAFE_INTEGER / 2;
  return {
    sampleRate,
    duration: declared ? secondsIn(layout, layout.dataSize) : null,
    chunks: (async function* () {
      for (let c = first; c; c = await next()) yield selectChannel(c, channel);
      if (declared && left >= frameBytes)
        late.push(
          `the data chunk declares ${layout.dataSize} bytes but only ${layout.dataSize - left} came (the input was cut short); decoded the whole frames that came.`,
        );
    })(),
    late,
    ...warned(warnings),
  };
}

const warned = (warnings?: string[]) => (warnings?.length ? { warnings } : {});

/** Bytes from an async source, taken from the front as they are needed. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;
  /** Whether the source has no more. */
  ended = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Reads until at least `n` bytes are held, or the source ends. */
  async fill(n: number): Promise<void> {
    while (this.length < n && !this.ended) {
      const r = await this.source.next();
      if (r.done) this.ended = true;
      else {
        this.parts.push(r.value);
        this.length += r.value.length;
      }
    }
  }

  /** Everything held, as one array (not consumed). */
  peek(): Uint8Array {
    this.parts = [Buffer.concat(this.parts)];
    return new Uint8Array(this.parts[0].buffer, this.parts[0].byteOffset, this.parts[0].length);
  }

  /** The first `n` bytes held (n ≤ length), removed. */
  take(n: number): Uint8Array {
    const all = this.peek();
    const out = all.slice(0, n);
    this.parts = [Buffer.from(all.buffer, all.byteOffset + n, all.length - n)];
    this.length -= n;
    return out;
  }
}
