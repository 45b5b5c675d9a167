// UA of the file, the raw capture and the processed one per corpus, from mic-eval.mjs's outputs.
//   node mic-an.mjs <out.json>…
import { readFileSync } from 'node:fs';
const r = process.argv.slice(2).flatMap((f) => JSON.parse(readFileSync(f, 'utf8')));
const ua = (rows, k) => {
  const labels = [...new Set(rows.map((x) => x.label))];
  return (
    labels.reduce((a, l) => {
      const m = rows.filter((x) => x.label === l);
      return a + m.filter((x) => x[k] === l).length / m.length;
    }, 0) / labels.length
  );
};
for (const corpus of ['ravdess', 'savee']) {
  const rows = r.filter((x) => x.corpus === corpus);
  if (!rows.length) continue;
  const line = ['file', 'raw', 'processed'].map((k) => `${k} ${(100 * ua(rows, k)).toFixed(1)}%`).join('  ');
  const agree = (k) => ((100 * rows.filter((x) => x[k] === x.file).length) / rows.length).toFixed(0);
  const ratio = rows.map((x) => x.processedRms / x.rawRms).sort((a, b) => a - b);
  const top = (k) =>
    ((100 * rows.reduce((a, x) => a + Math.max(...Object.values(x[`${k}Scores`])), 0)) / rows.length).toFixed(
      1,
    );
  console.log(
    `${corpus} (${rows.length} clips): UA ${line}; same label as the file: raw ${agree('raw')}%, processed ${agree('processed')}%; processed/raw RMS median ${(20 * Math.log10(ratio[ratio.length >> 1])).toFixed(1)} dB; mean top score file ${top('file')} raw ${top('raw')} processed ${top('processed')}`,
  );
  const conf = {};
  for (const x of rows)
    if (x.processed !== x.raw)
      conf[`${x.label}: ${x.raw}→${x.processed}`] = (conf[`${x.label}: ${x.raw}→${x.processed}`] ?? 0) + 1;
  console.log('  changes raw→processed:', JSON.stringify(conf));
}
