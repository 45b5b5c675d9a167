import type { DatasetSummary } from '../datasets/summary.js';
import { invalid } from '../dsp/validate.js';
import type { Evaluation } from '../model/metrics.js';
import type { EpochLog } from '../model/options.js';
import { type Axis, type Box, type Figure, SERIES, axes, range } from './charts.js';
import { type CanvasLike, CanvasPainter, type Painter, SvgPainter, loadCanvas } from './painter.js';

/** A confusion matrix (rows: truth, columns: predicted), cells shaded by row share, with counts. */
export function plotConfusion(
  evaluation: Pick<Evaluation, 'confusion'> & Partial<Evaluation>,
  title = 'confusion matrix',
): Figure {
  const { labels, matrix } = evaluation.confusion;
  const k = labels.length;
  const cell = Math.max(34, Math.min(64, Math.floor(520 / Math.max(1, k))));
  const left = 110;
  const topY = 70;
  const width = left + k * cell + 40;
  const height = topY + k * cell + 90;
  return {
    width,
    height,
    draw(p: Painter) {
      p.fillRect(0, 0, width, height, '#fff');
      p.text(left, 20, title, { size: 15, bold: true });
      if (evaluation.unweightedAccuracy !== undefined)
        p.text(
          left,
          44,
          `unweighted accuracy ${(100 * evaluation.unweightedAccuracy).toFixed(1)}%, accuracy ${(100 * (evaluation.accuracy ?? 0)).toFixed(1)}%, ${evaluation.count ?? ''} items`,
          { size: 12 },
        );
      for (let i = 0; i < k; i++) {
        const total = matrix[i].reduce((a, b) => a + b, 0);
        for (let j = 0; j < k; j++) {
          const share = total ? matrix[i][j] / total : 0;
          const shade = Math.round(255 - 200 * share);
          const color =
            i === j
              ? `rgb(${shade},${Math.round(255 - 120 * share)},${shade})`
              : `rgb(255,${shade},${shade})`;
          p.fillRect(left + j * cell, topY + i * cell, cell, cell, color);
          p.strokeRect(left + j * cell, topY + i * cell, cell, cell, '#ccc');
          p.text(left + (j + 0.5) * cell, topY + (i + 0.5) * cell, String(matrix[i][j]), {
            align: 'middle',
            size: 12,
            color: share > 0.6 ? '#fff' : '#222',
          });
        }
        p.text(left - 8, topY + (i + 0.5) * cell, labels[i], { align: 'end', size: 12 });
        p.text(left + (i + 0.5) * cell, topY + k * cell + 8, labels[i].slice(0, 8), {
          align: 'middle',
          baseline: 'top',
          size: 11,
        });
      }
      p.text(left + (k * cell) / 2, topY + k * cell + 32, 'predicted', {
        align: 'middle',
        baseline: 'top',
        size: 12,
      });
      p.text(24, topY + (k * cell) / 2, 'true', { align: 'middle', size: 12, vertical: true });
    },
  };
}

/** Training loss and validation UA per epoch, side by side. */
export function plotLearningCurves(
  epochs: Pick<EpochLog, 'epoch' | 'loss' | 'validationUA'>[],
  title = 'learning curves',
): Figure {
  const width = 900;
  const height = 340;
  return {
    width,
    height,
    draw(p: Painter) {
      p.fillRect(0, 0, width, height, '#fff');
      p.text(70, 18, title, { size: 15, bold: true });
      const n = Math.max(1, epochs.length);
      const x: Axis = { min: 1, max: Math.max(2, n), title: 'epoch' };
      const losses = epochs.map((e) => e.loss);
      const [lo, hi] = range(losses);
      const l = axes(p, { x: 70, y: 50, w: 330, h: 230 }, x, {
        min: Math.min(0, lo),
        max: hi * 1.05 || 1,
        title: 'training loss',
      });
      p.polyline(
        epochs.map((e, i) => [l.px(i + 1), l.py(e.loss)]),
        SERIES[0],
        2,
      );
      const ua = epochs.filter((e) => e.validationUA !== undefined);
      const v = axes(p, { x: 530, y: 50, w: 330, h: 230 }, x, { min: 0, max: 1, title: 'validation UA' });
      if (ua.length)
        p.polyline(
          epochs.flatMap((e, i) =>
            e.validationUA === undefined ? [] : [[v.px(i + 1), v.py(e.validationUA)] as [number, number]],
          ),
          SERIES[1],
          2,
        );
      else p.text(695, 165, 'no validation data', { align: 'middle', color: '#888' });
    },
  };
}

/** Recordings per label, one bar group per dataset speaker group (`inspect <dataset>`). */
export function plotDatasetSummary(summary: DatasetSummary, title = 'dataset'): Figure {
  const labels = Object.keys(summary.byLabel);
  const speakers = Object.keys(summary.bySpeaker).sort();
  const width = Math.max(700, 90 + speakers.length * 22 + 40);
  const height = 620;
  return {
    width,
    height,
    draw(p: Painter) {
      p.fillRect(0, 0, width, height, '#fff');
      p.text(70, 18, `${title}: ${summary.total} recordings, ${speakers.length} speakers`, {
        size: 15,
        bold: true,
      });
      const maxLabel = Math.max(1, ...labels.map((l) => summary.byLabel[l]));
      const b1: Box = { x: 70, y: 50, w: width - 110, h: 220 };
      const step = b1.w / Math.max(1, labels.length);
      const a = axes(
        p,
        b1,
        { min: 0, max: labels.length, title: 'label', ticks: labels.map((l, i) => [i + 0.5, l]) },
        { min: 0, max: maxLabel * 1.1, title: 'recordings' },
      );
      labels.forEach((l, i) => {
        const y = a.py(summary.byLabel[l]);
        p.fillRect(b1.x + i * step + step * 0.15, y, step * 0.7, b1.y + b1.h - y, SERIES[0]);
      });
      const maxSp = Math.max(1, ...speakers.map((s) => summary.bySpeaker[s].count));
      const b2: Box = { x: 70, y: 340, w: width - 110, h: 200 };
      const st = b2.w / Math.max(1, speakers.length);
      const c = axes(
        p,
        b2,
        { min: 0, max: speakers.length, title: '', ticks: [] },
        { min: 0, max: maxSp * 1.1, title: 'recordings' },
      );
      speakers.forEach((s, i) => {
        const sp = summary.bySpeaker[s];
        const y = c.py(sp.count);
        const color = sp.gender === 'female' ? SERIES[1] : sp.gender === 'male' ? SERIES[0] : SERIES[2];
        p.fillRect(b2.x + i * st + st * 0.1, y, st * 0.8, b2.y + b2.h - y, color);
        p.text(b2.x + (i + 0.5) * st, b2.y + b2.h + 6, s.split(':').pop() ?? s, {
          align: 'end',
          size: 9,
          vertical: true,
        });
      });
      p.text(b2.x + b2.w, b2.y - 12, 'blue: male · orange: female · green: unknown', {
        align: 'end',
        size: 11,
      });
    },
  };
}

/** Renders a figure: PNG bytes (needs the optional `@napi-rs/canvas`) or an SVG document. */
export async function renderPlot(figure: Figure, format: 'png' | 'svg'): Promise<Uint8Array | string> {
  if (format === 'svg') {
    // Heatmaps are averaged down harder in SVG, where each cell is an element.
    const p = new SvgPainter(figure.width, figure.height);
    const image = p.image.bind(p);
    p.image = (x, y, w, h, rgba, cols, rows) => {
      const fc = Math.max(1, Math.ceil(cols / 240));
      const fr = Math.max(1, Math.ceil(rows / 96));
      if (fc === 1 && fr === 1) return image(x, y, w, h, rgba, cols, rows);
      const c2 = Math.ceil(cols / fc);
      const r2 = Math.ceil(rows / fr);
      const out = new Uint8ClampedArray(c2 * r2 * 4);
      for (let r = 0; r < r2; r++)
        for (let c = 0; c < c2; c++) {
          const i = 4 * (Math.min(rows - 1, r * fr) * cols + Math.min(cols - 1, c * fc));
          out.set(rgba.subarray(i, i + 4), 4 * (r * c2 + c));
        }
      image(x, y, w, h, out, c2, r2);
    };
    figure.draw(p);
    return p.toString();
  }
  if (format !== 'png') throw invalid('renderPlot', `format must be 'png' or 'svg', got ${String(format)}.`);
  const mod = await loadCanvas();
  const canvas = mod.createCanvas(figure.width, figure.height);
  figure.draw(new CanvasPainter(canvas as CanvasLike, (w, h) => mod.createCanvas(w, h) as CanvasLike));
  return new Uint8Array(canvas.toBuffer('image/png'));
}

/**
 * Draws a figure on a canvas in the browser (an `HTMLCanvasElement`, or an `OffscreenCanvas` in a
 * Web Worker), resizing the canvas to the figure.
 *
 * @example
 * ```ts
 * drawFigure(plotAudio(signal, sampleRate), document.querySelector('canvas'));
 * ```
 */
export function drawFigure(figure: Figure, canvas: CanvasLike): void {
  const Offscreen = (globalThis as { OffscreenCanvas?: new (w: number, h: number) => CanvasLike })
    .OffscreenCanvas;
  if (!Offscreen)
    throw invalid('drawFigure', 'needs OffscreenCanvas (a browser or Web Worker); in Node use renderPlot.');
  canvas.width = figure.width;
  canvas.height = figure.height;
  figure.draw(new CanvasPainter(canvas, (w, h) => new Offscreen(w, h)));
}
