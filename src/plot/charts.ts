import type { FeatureMatrix } from '../dsp/types.js';
import type { Painter } from './painter.js';

/** A drawing of a known size, rendered by {@link renderPlot} to PNG or SVG. */
export interface Figure {
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** Draws the figure. @internal */
  draw(p: Painter): void;
}

const AXIS = '#444';
const GRID = '#e4e4e4';

/** About `count` round tick values covering [lo, hi]. @internal */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

const fmtTick = (v: number) =>
  Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(4)));

// Viridis, sampled at 9 points (matplotlib's colour map, CC0).
const VIRIDIS = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The colour of t ∈ [0, 1] on the viridis map. @internal */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
}

/** A rectangle of the figure where a chart goes. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Axis description: range, title and optional tick labeller. */
export interface Axis {
  min: number;
  max: number;
  title: string;
  /** Explicit ticks (value, label); default: round numbers. */
  ticks?: [number, string][];
}

/** Draws the frame, grid, ticks and titles of a chart; returns value → pixel mappers. @internal */
export function axes(p: Painter, box: Box, x: Axis, y: Axis, grid = true) {
  const px = (v: number) => box.x + ((v - x.min) / (x.max - x.min || 1)) * box.w;
  const py = (v: number) => box.y + box.h - ((v - y.min) / (y.max - y.min || 1)) * box.h;
  const xt =
    x.ticks ??
    niceTicks(x.min, x.max, Math.max(2, Math.floor(box.w / 80))).map(
      (v) => [v, fmtTick(v)] as [number, string],
    );
  const yt =
    y.ticks ??
    niceTicks(y.min, y.max, Math.max(2, Math.floor(box.h / 40))).map(
      (v) => [v, fmtTick(v)] as [number, string],
    );
  for (const [v, label] of xt) {
    if (grid)
      p.polyline(
        [
          [px(v), box.y],
          [px(v), box.y + box.h],
        ],
        GRID,
      );
    p.polyline(
      [
        [px(v), box.y + box.h],
        [px(v), box.y + box.h + 4],
      ],
      AXIS,
    );
    p.text(px(v), box.y + box.h + 7, label, { align: 'middle', baseline: 'top', size: 11 });
  }
  for (const [v, label] of yt) {
    if (grid)
      p.polyline(
        [
          [box.x, py(v)],
          [box.x + box.w, py(v)],
        ],
        GRID,
      );
    p.polyline(
      [
        [box.x - 4, py(v)],
        [box.x, py(v)],
      ],
      AXIS,
    );
    p.text(box.x - 7, py(v), label, { align: 'end', size: 11 });
  }
  p.strokeRect(box.x, box.y, box.w, box.h, AXIS);
  p.text(box.x + box.w / 2, box.y + box.h + 24, x.title, { align: 'middle', baseline: 'top', size: 12 });
  p.text(box.x - 48, box.y + box.h / 2, y.title, { align: 'middle', size: 12, vertical: true });
  return { px, py };
}

/**
 * A heatmap of a frame-major matrix (time along x, features along y, the first feature at the
 * bottom) with a colour bar; `lo`/`hi` clip the colour range. The raster is averaged down to at most
 * `maxCols × maxRows` cells (small for SVG, the canvas size for PNG).
 * @internal
 */
export function heatmap(
  p: Painter,
  box: Box,
  m: FeatureMatrix,
  x: Axis,
  y: Axis,
  bar: { title: string; lo: number; hi: number },
  max: { cols: number; rows: number },
): void {
  const cols = Math.max(1, Math.min(m.frames, max.cols));
  const rows = Math.max(1, Math.min(m.features, max.rows));
  const rgba = new Uint8ClampedArray(cols * rows * 4);
  for (let c = 0; c < cols; c++) {
    const t0 = Math.floor((c * m.frames) / cols);
    const t1 = Math.max(t0 + 1, Math.floor(((c + 1) * m.frames) / cols));
    for (let r = 0; r < rows; r++) {
      const f0 = Math.floor((r * m.features) / rows);
      const f1 = Math.max(f0 + 1, Math.floor(((r + 1) * m.features) / rows));
      let s = 0;
      for (let t = t0; t < t1; t++) for (let f = f0; f < f1; f++) s += m.data[t * m.features + f];
      const v = s / ((t1 - t0) * (f1 - f0));
      const [R, G, B] = viridis((v - bar.lo) / (bar.hi - bar.lo || 1));
      const i = 4 * ((rows - 1 - r) * cols + c);
      rgba[i] = R;
      rgba[i + 1] = G;
      rgba[i + 2] = B;
      rgba[i + 3] = 255;
    }
  }
  p.image(box.x, box.y, box.w, box.h, rgba, cols, rows);
  axes(p, box, x, y, false);
  // Colour bar.
  const cb = { x: box.x + box.w + 14, y: box.y, w: 12, h: box.h };
  const steps = 64;
  const ramp = new Uint8ClampedArray(steps * 4);
  for (let i = 0; i < steps; i++) {
    const [R, G, B] = viridis(1 - i / (steps - 1));
    ramp.set([R, G, B, 255], 4 * i);
  }
  p.image(cb.x, cb.y, cb.w, cb.h, ramp, 1, steps);
  p.strokeRect(cb.x, cb.y, cb.w, cb.h, AXIS);
  for (const v of niceTicks(bar.lo, bar.hi, 4)) {
    const yy = cb.y + cb.h - ((v - bar.lo) / (bar.hi - bar.lo || 1)) * cb.h;
    p.polyline(
      [
        [cb.x + cb.w, yy],
        [cb.x + cb.w + 3, yy],
      ],
      AXIS,
    );
    p.text(cb.x + cb.w + 5, yy, fmtTick(v), { size: 10 });
  }
  p.text(cb.x + cb.w + 44, cb.y + cb.h / 2, bar.title, { align: 'middle', size: 11, vertical: true });
}

/** Min and max of finite values. @internal */
export function range(values: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** Colours for data series (colour-blind-friendly, Okabe–Ito). @internal */
export const SERIES = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#F0E442',
  '#000000',
];
