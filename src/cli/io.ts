import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { monoOf } from '../audio/mono.js';
import type { MonoAudio } from '../node.js';
import { decodeAudioBytes } from '../node/audio-file.js';

const pending = new Set<string>();

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
