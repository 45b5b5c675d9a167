import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PerturbOptions } from '../audio/augment.js';
import type { LabelledItem } from '../datasets/types.js';
import type { FeatureSpec } from '../features/spec.js';
import { type FileResult, processFile } from './process-file.js';

/** Options of {@link extractItems}. */
export interface ExtractOptions {
  /** Worker threads; 1 runs in this thread. Default: the number of cores. */
  jobs?: number;
  /** Stops handing out work; results already running still arrive. */
  signal?: AbortSignal;
  /**
   * Features of a perturbed copy of each file instead of the file itself (data augmentation, see
   * {@link perturbAudio}); each file's draw is seeded by `seed` and its own samples.
   */
  perturb?: PerturbOptions;
  /**
   * The features as `predict` takes them: on the WebAssembly FFT (see computeFeaturesSpan), and with
   * the measures of the check behind its `no-speech` warning (how noise-like and how steady each
   * recording is), returned as `noise`. @internal
   */
  forPredict?: boolean;
  /**
   * Read this channel of every file (from 0: the left channel of a stereo file) instead of mixing
   * them (see {@link selectChannel}); a file without it gives a result with `ok: false`.
   */
  channel?: number;
}

/** One item's outcome, in item order. */
export interface ExtractResult {
  /** Position of the item in the input. */
  index: number;
  /** The item. */
  item: LabelledItem;
  /** Its features, or why it was dropped. */
  result: FileResult;
}

function workerUrl(): URL | null {
  const url = new URL('./extract-worker.js', import.meta.url);
  // Running from the TypeScript sources (tests) there is no compiled worker: stay in-thread.
  return existsSync(fileURLToPath(url)) ? url : null;
}

/**
 * Extracts features for every item, in parallel over `worker_threads`, yielding results **in item
 * order** whatever the number of workers. Bad files become results with `ok: false`; they never stop
 * the batch.
 *
 * @example
 * ```ts
 * for await (const { item, result } of extractItems(items, spec, { jobs: 2 })) {
 *   if (result.ok) use(item, result.features); else console.warn(item.path, result.message);
 * }
 * ```
 */
export async function* extractItems(
  items: readonly LabelledItem[],
  spec: FeatureSpec,
  options: ExtractOptions = {},
): AsyncGenerator<ExtractResult> {
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), items.length || 1));
  const url = jobs > 1 ? workerUrl() : null;
  if (!url) {
    yield* extractInThread(items, spec, options);
    return;
  }
  const pool = startPool(url, jobs, items, spec, options);
  try {
    for (let i = 0; i < items.length; i++) {
      while (!pool.done.has(i)) {
        if (pool.failure) throw pool.failure;
        // Stopped early: every worker has finished and this item was never claimed.
        if (pool.finishedWorkers === jobs) return;
        await new Promise<void>((r) => {
          pool.wake = r;
        });
        pool.wake = null;
      }
      const result = pool.done.get(i)!;
      pool.done.delete(i);
      yield { index: i, item: items[i], result };
    }
  } finally {
    await pool.stop();
  }
}

/** One file after another in this thread (one job, or no compiled worker). */
async function* extractInThread(
  items: readonly LabelledItem[],
  spec: FeatureSpec,
  options: ExtractOptions,
): AsyncGenerator<ExtractResult> {
  for (let i = 0; i < items.length; i++) {
    // A macrotask turn per file lets signal handlers (Ctrl-C) and timers run: between yields an
    // async generator only runs microtasks.
    await new Promise<void>((r) => setImmediate(r));
    if (options.signal?.aborted) return;
    yield {
      index: i,
      item: items[i],
      result: await processFile(items[i].path, spec, options),
    };
  }
}

/**
 * `jobs` workers that claim items through a shared counter and post results back in batches; the
 * results land in `done` by index, and `wake` is called on every message, exit or error.
 */
function startPool(
  url: URL,
  jobs: number,
  items: readonly LabelledItem[],
  spec: FeatureSpec,
  options: ExtractOptions,
) {
  const control = new Int32Array(new SharedArrayBuffer(8)); // [0] next index, [1] stop flag
  const onAbort = () => Atomics.store(control, 1, 1);
  options.signal?.addEventListener('abort', onAbort);
  const pool = {
    done: new Map<number, FileResult>(),
    wake: null as (() => void) | null,
    failure: null as Error | null,
    finishedWorkers: 0,
    workers: [] as Worker[],
    stop: async () => {
      options.signal?.removeEventListener('abort', onAbort);
      Atomics.store(control, 1, 1);
      await Promise.all(pool.workers.map((w) => w.terminate()));
    },
  };
  const workerData = {
    spec,
    paths: items.map((it) => it.path),
    shared: control.buffer,
    options: { perturb: options.perturb, forPredict: options.forPredict, channel: options.channel },
  };
  for (let j = 0; j < jobs; j++) {
    const w = new Worker(url, { workerData });
    let finished = false;
    w.on('message', (m: { index: number; result: FileResult }[] | 'done') => {
      if (m === 'done') {
        finished = true;
        pool.finishedWorkers++;
      } else for (const r of m) pool.done.set(r.index, r.result);
      pool.wake?.();
    });
    // A worker that dies without finishing (out of memory, a crash) must not leave us waiting.
    w.on('exit', (code) => {
      if (!finished) pool.failure ??= new Error(`an extraction worker exited unexpectedly (code ${code})`);
      pool.wake?.();
    });
    w.on('error', (e) => {
      pool.failure = e;
      pool.wake?.();
    });
    pool.workers.push(w);
  }
  return pool;
}
