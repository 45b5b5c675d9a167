import { SpeechEmotionError } from '../errors.js';

/** Text placement of {@link Painter.text}. */
export interface TextStyle {
  /** Font size, px. Default 12. */
  size?: number;
  /** Horizontal anchor. Default `'start'`. */
  align?: 'start' | 'middle' | 'end';
  /** Vertical anchor. Default `'middle'`. */
  baseline?: 'top' | 'middle' | 'bottom';
  /** CSS colour. Default dark grey. */
  color?: string;
  /** Rotated 90° anticlockwise (for y-axis titles). */
  vertical?: boolean;
  /** Bold. */
  bold?: boolean;
}

/**
 * The drawing operations the charts use. Two implementations: SVG text (no dependencies) and PNG
 * through `@napi-rs/canvas`.
 * @internal
 */
export interface Painter {
  readonly width: number;
  readonly height: number;
  fillRect(x: number, y: number, w: number, h: number, color: string): void;
  strokeRect(x: number, y: number, w: number, h: number, color: string): void;
  polyline(points: [number, number][], color: string, width?: number): void;
  text(x: number, y: number, s: string, style?: TextStyle): void;
  /** An RGBA raster of `cols × rows` pixels (top row first), stretched over the rectangle. */
  image(
    x: number,
    y: number,
    w: number,
    h: number,
    rgba: Uint8ClampedArray,
    cols: number,
    rows: number,
  ): void;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (v: number) => (Math.round(v * 10) / 10).toString();

/** Builds an SVG document. @internal */
export class SvgPainter implements Painter {
  private readonly parts: string[] = [];
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    this.parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${color}"/>`);
  }

  strokeRect(x: number, y: number, w: number, h: number, color: string): void {
    this.parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="${color}"/>`,
    );
  }

  polyline(points: [number, number][], color: string, width = 1): void {
    if (points.length < 2) return;
    const p = points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
    this.parts.push(`<polyline points="${p}" fill="none" stroke="${color}" stroke-width="${width}"/>`);
  }

  text(x: number, y: number, s: string, style: TextStyle = {}): void {
    const anchor = style.align ?? 'start';
    const base = { top: 'hanging', middle: 'central', bottom: 'text-after-edge' }[style.baseline ?? 'middle'];
    const rot = style.vertical ? ` transform="rotate(-90 ${n(x)} ${n(y)})"` : '';
    this.parts.push(
      `<text x="${n(x)}" y="${n(y)}" font-size="${style.size ?? 12}" text-anchor="${anchor}" dominant-baseline="${base}" fill="${style.color ?? '#222'}"${style.bold ? ' font-weight="bold"' : ''}${rot}>${esc(s)}</text>`,
    );
  }

  image(
    x: number,
    y: number,
    w: number,
    h: number,
    rgba: Uint8ClampedArray,
    cols: number,
    rows: number,
  ): void {
    // One rect per run of equal colour along each row; the raster is made small enough by the caller.
    const cw = w / cols;
    const ch = h / rows;
    const out: string[] = [];
    for (let r = 0; r < rows; r++) {
      let c = 0;
      while (c < cols) {
        const i = 4 * (r * cols + c);
        let e = c + 1;
        while (
          e < cols &&
          rgba[4 * (r * cols + e)] === rgba[i] &&
          rgba[4 * (r * cols + e) + 1] === rgba[i + 1] &&
          rgba[4 * (r * cols + e) + 2] === rgba[i + 2]
        )
          e++;
        const hex = `#${((1 << 24) | (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]).toString(16).slice(1)}`;
        out.push(
          `<rect x="${n(x + c * cw)}" y="${n(y + r * ch)}" width="${n((e - c) * cw + 0.3)}" height="${n(ch + 0.3)}" fill="${hex}"/>`,
        );
        c = e;
      }
    }
    this.parts.push(`<g shape-rendering="crispEdges">${out.join('')}</g>`);
  }

  /** The finished document. */
  toString(): string {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="${FONT}">\n${this.parts.join('\n')}\n</svg>\n`;
  }
}

/** The part of a 2-D canvas context the painter uses (browser, OffscreenCanvas or @napi-rs/canvas). */
export interface Context2DLike {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  font: string;
  textAlign: string;
  textBaseline: string;
  imageSmoothingEnabled: boolean;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(a: number): void;
  fillText(s: string, x: number, y: number): void;
  createImageData(w: number, h: number): { data: Uint8ClampedArray };
  putImageData(img: never, x: number, y: number): void;
  drawImage(src: never, x: number, y: number, w: number, h: number): void;
}

/** A canvas: an `HTMLCanvasElement`, an `OffscreenCanvas`, or an `@napi-rs/canvas` canvas. */
export interface CanvasLike {
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** The 2-D drawing context. */
  getContext(type: '2d'): unknown;
}

type CanvasModule = typeof import('@napi-rs/canvas');

/** Loads `@napi-rs/canvas`, or says how to install it. @internal */
export async function loadCanvas(): Promise<CanvasModule> {
  try {
    // A computed specifier: bundlers must not try to include this native Node package.
    const id = '@napi-rs/canvas';
    const m = (await import(/* @vite-ignore */ id)) as CanvasModule & { default?: CanvasModule };
    return 'createCanvas' in m && typeof m.createCanvas === 'function' ? m : (m.default as CanvasModule);
  } catch (e) {
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      'PNG plots need the optional package @napi-rs/canvas: run `npm install @napi-rs/canvas`, or write an .svg file instead.',
      { cause: e },
    );
  }
}

/** Draws on any 2-D canvas; `makeCanvas` makes the scratch canvases that rasters are scaled from. @internal */
export class CanvasPainter implements Painter {
  private readonly ctx: Context2DLike;
  constructor(
    readonly canvas: CanvasLike,
    private readonly makeCanvas: (w: number, h: number) => CanvasLike,
  ) {
    this.ctx = canvas.getContext('2d') as Context2DLike;
  }

  get width(): number {
    return this.canvas.width;
  }

  get height(): number {
    return this.canvas.height;
  }

  fillRect(x: number, y: number, w: number, h: number, color: string): void {
    this.ctx.fillStyle = color;
    this.ctx.fillRect(x, y, w, h);
  }

  strokeRect(x: number, y: number, w: number, h: number, color: string): void {
    this.ctx.strokeStyle = color;
    this.ctx.lineWidth = 1;
    this.ctx.strokeRect(Math.round(x) + 0.5, Math.round(y) + 0.5, Math.round(w), Math.round(h));
  }

  polyline(points: [number, number][], color: string, width = 1): void {
    if (points.length < 2) return;
    const c = this.ctx;
    c.strokeStyle = color;
    c.lineWidth = width;
    c.beginPath();
    c.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) c.lineTo(x, y);
    c.stroke();
  }

  text(x: number, y: number, s: string, style: TextStyle = {}): void {
    const c = this.ctx;
    c.save();
    c.font = `${style.bold ? 'bold ' : ''}${style.size ?? 12}px ${FONT}`;
    c.fillStyle = style.color ?? '#222';
    c.textAlign = ({ start: 'left', middle: 'center', end: 'right' } as const)[style.align ?? 'start'];
    c.textBaseline = style.baseline ?? 'middle';
    c.translate(x, y);
    if (style.vertical) c.rotate(-Math.PI / 2);
    c.fillText(s, 0, 0);
    c.restore();
  }

  image(
    x: number,
    y: number,
    w: number,
    h: number,
    rgba: Uint8ClampedArray,
    cols: number,
    rows: number,
  ): void {
    const src = this.makeCanvas(cols, rows);
    const sctx = src.getContext('2d') as Context2DLike;
    const img = sctx.createImageData(cols, rows);
    img.data.set(rgba);
    sctx.putImageData(img as never, 0, 0);
    this.ctx.imageSmoothingEnabled = cols < w / 2 || rows < h / 2;
    this.ctx.drawImage(src as never, x, y, w, h);
  }
}
