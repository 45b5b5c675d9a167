/**
 * worker_threads entry for parallel extraction. Workers take the next file by incrementing a
 * shared atomic counter (no task messages: new messages arriving at a busy worker cost it measurable
 * CPU), and stream results back in small batches. A shared flag stops them early.
 *
 * Results are copied, not transferred: transferring detaches an ArrayBuffer, which invalidates V8's
 * "no ArrayBuffer was ever detached" protector for the whole worker, after which every typed-array
 * access in the DSP code carries extra checks. Measured here: 4.85 ms CPU per file with transfers,
 * 3.4 ms without; the copies (kilobytes per file) cost far less.
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type FeatureSpec, defineFeatureSpec } from '../features/spec.js';
import { type FileResult, type ProcessOptions, processFile } from './process-file.js';

const { paths, shared, options } = workerData as {
  spec: FeatureSpec;
  paths: string[];
  shared: SharedArrayBuffer;
  options: ProcessOptions;
};
// Rebuilt here rather than used as received: a structured clone arrives as dictionary-mode objects.
const spec = defineFeatureSpec((workerData as { spec: FeatureSpec }).spec);
const control = new Int32Array(shared); // [0] next index to claim, [1] stop flag
const BATCH = 8;

let batch: { index: number; result: FileResult }[] = [];
const flush = () => {
  if (batch.length === 0) return;
  parentPort?.postMessage(batch);
  batch = [];
};
for (;;) {
  if (Atomics.load(control, 1) !== 0) break;
  const index = Atomics.add(control, 0, 1);
  if (index >= paths.length) break;
  const result = processFile(paths[index], spec, options);
  batch.push({ index, result: result instanceof Promise ? await result : result });
  // Small batches near the end, so the last results are not held back.
  if (batch.length >= BATCH || paths.length - index < 4 * BATCH) flush();
}
flush();
parentPort?.postMessage('done');
