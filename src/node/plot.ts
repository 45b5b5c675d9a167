import { rename, writeFile } from 'node:fs/promises';
import { SpeechEmotionError } from '../errors.js';
import type { Figure } from '../plot/charts.js';
import { renderPlot } from '../plot/figures.js';

/**
 * Writes a figure to `path`: PNG for `.png` (needs the optional `@napi-rs/canvas`), SVG for `.svg`.
 * The file is written whole and renamed into place, so a failure never leaves half a file.
 */
export async function savePlot(figure: Figure, path: string): Promise<void> {
  const ext = path.toLowerCase().split('.').pop();
  if (ext !== 'png' && ext !== 'svg')
    throw new SpeechEmotionError('INVALID_OPTION', `savePlot: ${path} must end in .png or .svg.`);
  const data = await renderPlot(figure, ext);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
