// Shared by the model commands (train, evaluate, predict): the backend and reports.
import type { BackendName } from '../model/backend.js';
import type { Evaluation } from '../model/metrics.js';
import { loadTf } from '../model/tf.js';
import { pickBackend, useBackend } from '../node/backend.js';
import { rethrowAsUsage } from './args.js';

/** Selects and starts the backend, without tfjs's Node banner. */
export async function startBackend(flag: unknown): Promise<BackendName> {
  const tf = await loadTf();
  tf.env().set('PROD', true); // silences "looks like you are running TensorFlow.js in Node.js"
  const name = (flag as BackendName | undefined) ?? pickBackend();
  return useBackend(name).catch(rethrowAsUsage);
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `accuracy ${pct(e.accuracy)}, unweighted accuracy ${pct(e.unweightedAccuracy)}, macro F1 ${pct(e.macroF1)}, ${e.count} items`,
    '',
    `${'label'.padEnd(10)} ${'recall'.padStart(7)} ${'prec.'.padStart(7)} ${'F1'.padStart(7)} ${'n'.padStart(5)}`,
    ...Object.entries(e.perClass).map(
      ([l, m]) =>
        `${l.padEnd(10)} ${pct(m.recall).padStart(7)} ${pct(m.precision).padStart(7)} ${pct(m.f1).padStart(7)} ${String(m.support).padStart(5)}`,
    ),
    '',
    'confusion (rows: truth, columns: predicted)',
    `${''.padEnd(10)} ${e.confusion.labels.map((l) => l.slice(0, 5).padStart(6)).join('')}`,
    ...e.confusion.matrix.map(
      (row, i) => `${e.confusion.labels[i].padEnd(10)} ${row.map((v) => String(v).padStart(6)).join('')}`,
    ),
  ];
  return lines.join('\n');
}
