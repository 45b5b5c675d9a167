// Writes the figures section of the model card (models/default/README.md, between the
// `<!-- figures -->` and `<!-- /figures -->` markers) from models/default/metrics.json, so the card
// always states what the last `npm run train:default` measured. Run by train-default.mjs; also
// runnable alone: node scripts/card-figures.mjs [models/default]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FOLDS_FILE = resolve(
  fileURLToPath(new URL('..', import.meta.url)),
  process.env.SPEECH_EMOTION_FOLDS ?? '../shared/splits/dev-folds.json',
);

export function figuresMarkdown(m, folds) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const cv = m.crossValidation;
  const lines = [
    `Speaker-independent cross-validation on \`dev-folds.json\` (recipe \`${m.recipe.name}\`): fold *i*`,
    'holds out RAVDESS fold *i* and, for *i* ≤ 3, SAVEE speaker *i*; every model trains on all other',
    `speakers of both corpora${(m.recipe.ensemble ?? 1) > 1 ? `, and each fold's predictions average ${m.recipe.ensemble} members trained with different seeds, as the shipped model does` : ''}.`,
    'Unweighted accuracy (UA, mean per-class recall), chance 12.5% (RAVDESS, 8 classes) and 14.3%',
    '(SAVEE, 7 classes):',
    '',
    '| fold | held-out RAVDESS actors | RAVDESS UA | held-out SAVEE speaker | SAVEE UA |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const f of cv.folds)
    lines.push(
      `| ${f.fold} | ${folds.ravdess[f.fold].join(', ')} | ${pct(f.ravdess)} | ${f.saveeSpeaker ? (folds.savee[f.saveeSpeaker]?.join(', ') ?? f.saveeSpeaker) : '—'} | ${f.savee === undefined ? '—' : pct(f.savee)} |`,
    );
  lines.push(
    `| **mean ± std** | | **${pct(cv.ravdessUA)} ± ${pct(cv.ravdessStd)}** | | **${pct(cv.saveeUA)} ± ${pct(cv.saveeStd)}** |`,
    '',
    'Recall per class, folds pooled:',
    '',
    '| | neutral | calm | happy | sad | angry | fearful | disgust | surprised |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const ds of ['ravdess', 'savee']) {
    const r = cv.perClassRecall?.[ds] ?? {};
    const cells = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'].map((l) =>
      r[l] === undefined ? '—' : pct(r[l]),
    );
    lines.push(`| ${ds === 'ravdess' ? 'RAVDESS' : 'SAVEE'} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '![RAVDESS confusion matrix, cross-validation](confusion-ravdess.svg)',
    '![SAVEE confusion matrix, cross-validation](confusion-savee.svg)',
    '',
    'Regression split (seen in training; CI checks the shipped model still scores this, minus 2 points):',
    `RAVDESS actors ${m.regression.speakers.ravdess.join(', ')} and SAVEE ${m.regression.speakers.savee.join(', ')}, ${m.regression.count} clips: UA ${pct(m.regression.unweightedAccuracy)}.`,
    '',
    `Training: ${m.trainingRows} rows (each recording and ${m.recipe.audioAugment?.copies ?? 0} perturbed ${(m.recipe.audioAugment?.copies ?? 0) === 1 ? 'copy' : 'copies'}), wasm backend, one thread, on a 2-core x86-64 machine with Node ${m.node}. Cross-validation: ${cv.minutes.toFixed(0)} min${cv.runs ? ` (${cv.runs.length} runs of \`scripts/cv.mjs\` over two processes, minutes summed)` : ''}; final model${(m.recipe.ensemble ?? 1) > 1 ? ` (${m.recipe.ensemble} members, training minutes summed)` : ''} and files: ${m.minutes.toFixed(0)} min (\`${m.command}\`${cv.runs && !m.command.includes('--cv-from') ? ` with \`--cv-from ${cv.runs.join(',')}\`` : ''}).`,
  );
  return lines.join('\n');
}

export function writeCardFigures(dir) {
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const folds = m.folds ?? JSON.parse(readFileSync(FOLDS_FILE, 'utf8'));
  const path = join(dir, 'README.md');
  const card = readFileSync(path, 'utf8');
  const re = /<!-- figures -->[\s\S]*<!-- \/figures -->/;
  if (!re.test(card)) throw new Error(`${path} has no <!-- figures --> … <!-- /figures --> section`);
  writeFileSync(path, card.replace(re, `<!-- figures -->\n${figuresMarkdown(m, folds)}\n<!-- /figures -->`));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeCardFigures(
    resolve(process.argv[2] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'models/default')),
  );
}
