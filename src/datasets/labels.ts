/**
 * The one emotion vocabulary used across datasets: RAVDESS's eight labels. Every adapter maps its
 * codes onto these.
 */
export const EMOTIONS = [
  'neutral',
  'calm',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgust',
  'surprised',
] as const;

/** One of the eight {@link EMOTIONS}. */
export type Emotion = (typeof EMOTIONS)[number];

const ALIASES: Record<string, Emotion> = {
  neutral: 'neutral',
  neu: 'neutral',
  n: 'neutral',
  calm: 'calm',
  happy: 'happy',
  happiness: 'happy',
  joy: 'happy',
  hap: 'happy',
  sad: 'sad',
  sadness: 'sad',
  angry: 'angry',
  anger: 'angry',
  ang: 'angry',
  fear: 'fearful',
  fearful: 'fearful',
  fea: 'fearful',
  disgust: 'disgust',
  disgusted: 'disgust',
  dis: 'disgust',
  surprise: 'surprised',
  surprised: 'surprised',
  ps: 'surprised',
  pleasant_surprise: 'surprised',
  pleasant_surprised: 'surprised',
};

/**
 * Maps a free-form label (`'Anger'`, `'happiness'`, `'ps'`…) onto the vocabulary, or returns
 * `null` when it has no counterpart (e.g. EmoDB's boredom).
 *
 * @example
 * ```ts
 * normaliseLabel('Happiness');  // 'happy'
 * normaliseLabel('boredom');    // null
 * ```
 */
export function normaliseLabel(label: string): Emotion | null {
  return (
    ALIASES[
      label
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_')
    ] ?? null
  );
}

/**
 * Labels in the order a model lists them: the eight emotions in {@link EMOTIONS} order, then any
 * other label alphabetically; each once. The order the bundled model uses, so models trained on
 * the same emotions list them alike.
 */
export function labelOrder(labels: Iterable<string>): string[] {
  const set = new Set(labels);
  const known = EMOTIONS.filter((e) => set.has(e));
  const other = [...set]
    .filter((l) => !(EMOTIONS as readonly string[]).includes(l))
    .sort((a, b) => a.localeCompare(b));
  return [...known, ...other];
}
