/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  /** Of the items predicted as this class, the fraction that are. */
  precision: number;
  /** Of the items of this class, the fraction found. */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Items of this class in the truth. */
  support: number;
}

/** A confusion matrix with its label order. */
export interface ConfusionMatrix {
  /** Row and column order. */
  labels: string[];
  /** `matrix[i][j]`: items of `labels[i]` predicted as `labels[j]`. */
  matrix: number[][];
}

/** What {@link evaluatePredictions} (and `EmotionModel.evaluate`) report. */
export interface Evaluation {
  /** Fraction of items predicted correctly. */
  accuracy: number;
  /** Mean per-class recall over the classes present in the truth (UA, the usual SER figure). */
  unweightedAccuracy: number;
  /** Mean F1 over the classes present in the truth. */
  macroF1: number;
  /** Metrics per label. */
  perClass: Record<string, ClassMetrics>;
  /** `matrix[i][j]`: items of `labels[i]` predicted as `labels[j]`. */
  confusion: ConfusionMatrix;
  /** Number of items. */
  count: number;
}

/**
 * Scores predictions against the truth: accuracy, unweighted accuracy (mean per-class recall),
 * macro F1, per-class metrics and the confusion matrix.
 *
 * @param truth - True labels.
 * @param predicted - Predicted labels, same length.
 * @param labels - The label order of the confusion matrix (and every class reported).
 *
 * @example
 * ```ts
 * evaluatePredictions(['sad', 'angry'], ['sad', 'sad'], ['angry', 'sad']).unweightedAccuracy;  // 0.5
 * ```
 */
export function evaluatePredictions(
  truth: readonly string[],
  predicted: readonly string[],
  labels: readonly string[],
): Evaluation {
  if (truth.length !== predicted.length)
    throw new Error('evaluatePredictions: truth and predictions differ in length');
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = index.get(truth[i]);
    const p = index.get(predicted[i]);
    if (t === undefined || p === undefined)
      throw new Error(
        `evaluatePredictions: label '${t === undefined ? truth[i] : predicted[i]}' is not among ${labels.join(', ')}`,
      );
    matrix[t][p]++;
    if (t === p) correct++;
  }
  const perClass: Record<string, ClassMetrics> = {};
  let recallSum = 0;
  let f1Sum = 0;
  let present = 0;
  for (let i = 0; i < k; i++) {
    const support = matrix[i].reduce((a, b) => a + b, 0);
    const predictedAs = matrix.reduce((a, row) => a + row[i], 0);
    const precision = predictedAs ? matrix[i][i] / predictedAs : 0;
    const recall = support ? matrix[i][i] / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[labels[i]] = { precision, recall, f1, support };
    if (support) {
      present++;
      recallSum += recall;
      f1Sum += f1;
    }
  }
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    unweightedAccuracy: present ? recallSum / present : 0,
    macroF1: present ? f1Sum / present : 0,
    perClass,
    confusion: { labels: [...labels], matrix },
    count: truth.length,
  };
}
