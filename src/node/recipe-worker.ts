/**
 * worker_threads entry of {@link startTrainingPool}: trains one member of a recipe at a time, on
 * this thread alone, and sends the model back as tfjs artifacts (copied, not transferred: a
 * transfer would slow every later typed-array access of this worker, see extract-worker.ts).
 * @internal
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as TF from '@tensorflow/tfjs-core';
import { SpeechEmotionError } from '../errors.js';
import { loadTf } from '../model/tf.js';
import { trainRecipe } from '../model/train-recipe.js';
import { useBackend } from './backend.js';
import type { UnitMessage } from './train-pool.js';

const tf = await loadTf();
tf.env().set('PROD', true);
await useBackend((workerData as { backend: string }).backend as never);
const post = (m: object) => parentPort?.postMessage(m);

async function train(m: UnitMessage): Promise<void> {
  const model = await trainRecipe(m.recipe, m.rows, {
    members: [m.member],
    labels: m.labels,
    workers: 1,
    ...(m.memberRows ? { memberRows: () => m.memberRows as NonNullable<UnitMessage['memberRows']> } : {}),
    ...(m.validation ? { validation: m.validation, patience: m.patience } : {}),
    onEpochEnd: (_member, epoch, log) => post({ type: 'epoch', id: m.id, epoch, log }),
  });
  let artifacts: TF.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  post({ type: 'done', id: m.id, artifacts });
}

parentPort?.on('message', (m: UnitMessage) => {
  train(m).catch((e: unknown) => {
    const code = e instanceof SpeechEmotionError ? e.code : undefined;
    post({ type: 'error', id: m.id, code, message: (e as Error)?.message ?? String(e) });
  });
});
post({ type: 'ready' });
