// Independent trainings side by side: the members of a cross-validation's folds and of its final
// model, each trained on one thread of its own, as many at once as the pool has threads.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as TF from '@tensorflow/tfjs-core';
import { SpeechEmotionError, type SpeechEmotionErrorCode } from '../errors.js';
import type { FeatureRow } from '../features/file.js';
import { EmotionModel } from '../model/emotion-model.js';
import type { EpochLog } from '../model/options.js';
import type { Recipe } from '../model/recipe.js';
import { loadTf } from '../model/tf.js';

/** One member of a recipe to train: what {@link trainRecipe} gets with `members: [member]`. */
export interface TrainingUnit {
  recipe: Recipe;
  /** The member (1-based): its seed, and its rows with `memberRows`. */
  member: number;
  /** The model's classes, in output order. */
  labels: string[];
  /** The training rows (member 1's copies): every member's feature normalisation is learnt from them. */
  rows: FeatureRow[];
  /** The rows this member trains on, when they are not `rows` (a recipe with `audioAugment.perMember`). */
  memberRows?: FeatureRow[];
  /** Held-out rows for early stopping (patience 10, trainRecipe's). */
  validation?: FeatureRow[];
  /** Called after each of the member's epochs. */
  onEpochEnd?: (epoch: number, log: EpochLog) => void;
}

/** A unit as sent to a worker. @internal */
export type UnitMessage = Omit<TrainingUnit, 'onEpochEnd'>;

/** Worker threads that train {@link TrainingUnit}s, first come first served. @internal */
export interface TrainingPool {
  /** Trainings at a time. */
  readonly threads: number;
  /** Queues a member; resolves to it, trained, once a thread has trained it. */
  train(unit: TrainingUnit): Promise<EmotionModel>;
  /** Ends the threads (waiting units are rejected). */
  close(): Promise<void>;
}

type Reply =
  | { type: 'ready' }
  | { type: 'epoch'; epoch: number; log: EpochLog }
  | { type: 'done'; artifacts: TF.io.ModelArtifacts }
  | { type: 'error'; code?: SpeechEmotionErrorCode; message: string };

/** A queued unit; a worker's replies are about the one job it runs. */
interface Job {
  unit: TrainingUnit;
  resolve: (m: EmotionModel) => void;
  reject: (e: unknown) => void;
}

/**
 * Starts `threads` worker threads on `backend`, each training one unit at a time on that thread
 * alone (no data-parallel replicas). A unit trained here gives the same weights as
 * `trainRecipe(recipe, rows, { members: [member], workers: 1 })` in this thread: each training
 * depends only on its recipe, member and rows, never on what ran beside it or in what order.
 * @internal
 */
export async function startTrainingPool(
  threads: number,
  backend: string,
  fusedMultiplyAdd = true,
): Promise<TrainingPool> {
  const url = new URL('./recipe-worker.js', import.meta.url);
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url)))
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'training side by side needs the built package (dist/recipe-worker.js), not the TypeScript sources.',
    );
  const tf = await loadTf();
  const queue: Job[] = [];
  const running = new Map<Worker, Job>();
  const idle: Worker[] = [];
  let failure: unknown = null;
  const next = (w: Worker) => {
    const job = queue.shift();
    if (!job) return void idle.push(w);
    running.set(w, job);
    const { onEpochEnd: _, ...unit } = job.unit;
    w.postMessage(unit satisfies UnitMessage);
  };
  const finish = (w: Worker, reply: Reply) => {
    const job = running.get(w);
    if (!job || reply.type === 'ready') return next(w);
    if (reply.type === 'epoch') return job.unit.onEpochEnd?.(reply.epoch, reply.log);
    running.delete(w);
    next(w);
    if (reply.type === 'error')
      job.reject(new SpeechEmotionError(reply.code ?? 'INVALID_OPTION', reply.message));
    else EmotionModel.load(tf.io.fromMemory(reply.artifacts)).then(job.resolve, job.reject);
  };
  const workers = Array.from({ length: threads }, () => {
    const w = new Worker(url, { workerData: { backend, fusedMultiplyAdd } });
    w.on('message', (reply: Reply) => finish(w, reply));
    w.on('error', (e) => {
      failure = e;
      for (const job of [...running.values(), ...queue.splice(0)]) job.reject(e);
      running.clear();
    });
    return w;
  });
  return {
    threads,
    train: (unit) =>
      new Promise<EmotionModel>((resolve, reject) => {
        if (failure) return reject(failure);
        queue.push({ unit, resolve, reject });
        const w = idle.shift();
        if (w) next(w);
      }),
    close: async () => {
      const closed = new SpeechEmotionError('INVALID_OPTION', 'the training pool was closed.');
      for (const job of queue.splice(0)) job.reject(closed);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
