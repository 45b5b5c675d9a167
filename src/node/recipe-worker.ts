/**
 * worker_threads entry of {@link startTrainingPool}: trains one member of a recipe at a time, on
 * this thread alone, and sends the model back as tfjs artifacts (copied, not transferred: a
 * transfer would slow every later typed-array access of this worker, see extract-worker.ts).
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SpeechEmotionError } from '../errors.js';
import { inMemoryArtifacts } from '../model/persistence.js';
import { loadTf } from '../model/tf.js';
import { trainRecipe } from '../model/train-recipe.js';
import { useBackend } from './backend.js';
import type { UnitMessage } from './train-pool.js';

const tf = await loadTf();
tf.env().set('PROD', true);
const data = workerData as { backend: string; fusedMultiplyAdd: boolean };
await useBackend(data.backend as never);
const post = (m: object) => parentPort?.postMessage(m);

async function train(m: UnitMessage): Promise<void> {
  const model = await trainRecipe(m.recipe, m.rows, {
    members: [m.member],
    labels: m.labels,
    workers: 1,
    fusedMultiplyAdd: data.fusedMultiplyAdd,
    ...(m.memberRows ? { memberRows: () => m.memberRows as NonNullable<UnitMessage['memberRows']> } : {}),
    ...(m.validation ? { validation: m.validation } : {}),
    onEpochEnd: (_member, epoch, log) => post({ type: 'epoch', epoch, log }),
  });
  const artifacts = await inMemoryArtifacts(tf, (h) => model.save(h));
  model.dispose();
  post({ type: 'done', artifacts });
}

parentPort?.on('message', (m: UnitMessage) => {
  train(m).catch((e: unknown) => {
    const code = e instanceof SpeechEmotionError ? e.code : undefined;
    post({ type: 'error', code, message: (e as Error)?.message ?? String(e) });
  });
});
post({ type: 'ready' });
