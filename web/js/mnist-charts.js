// The lab's charts, drawn on canvas: curves over iterations (accuracy, loss) and
// percentile bands over iterations (the weights' and biases' histograms over time).
//
// The playground's LineChart draws one fixed pair of series against the epoch with
// no axes and a y range from 0; the MNIST panels need axes, legends, a zoomed
// accuracy range (the talk's chart lives between 90% and 100%) and series sampled at
// different iterations (test accuracy is measured less often than training accuracy),
// so these charts are their own.

import { fitCanvas } from "./canvas-size.js";
import { formatCount } from "./number-format.js";
import { niceTicks, tickLabel } from "./ticks.js";

export const COLORS = {
  train: "#0877bd",
  test: "#f59322",
  axis: "#999",
  grid: "#eee",
  text: "#555",
  reference: "#2e9d5b",
};
const LAYER_COLORS = [
  "#0877bd", "#f59322", "#2e9d5b", "#8e44ad", "#c0392b", "#16a085", "#d35400", "#34495e",
  "#7f8c8d", "#b7950b",
];
const FONT = '11px "Helvetica Neue", Helvetica, Arial, sans-serif';
const MARGIN = { left: 46, right: 12, top: 8, bottom: 30 };

function formatIteration(n) {
  return n >= 10000 ? `${Math.round(n / 1000)}k` : formatCount(n);
}

/** Axes, grid and tick labels; returns the plot's mapping functions. */
function drawAxes(ctx, width, height, { x0, x1, y0, y1, yTicks, yFormat, xLabel }) {
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const sx = (x) => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const sy = (y) => bottom - ((y - y0) / (y1 - y0 || 1)) * (bottom - top);
  ctx.font = FONT;
  ctx.lineWidth = 1;
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yTicks.values) {
    const y = Math.round(sy(t)) + 0.5;
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.fillText(yFormat(t, yTicks.step), left - 5, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xTicks = niceTicks(x0, x1, Math.max(2, Math.floor((right - left) / 70)));
  for (const t of xTicks.values) {
    const x = Math.round(sx(t)) + 0.5;
    ctx.strokeStyle = COLORS.axis;
    ctx.beginPath();
    ctx.moveTo(x, bottom);
    ctx.lineTo(x, bottom + 3);
    ctx.stroke();
    ctx.fillText(formatIteration(t), x, bottom + 5);
  }
  ctx.strokeStyle = COLORS.axis;
  ctx.beginPath();
  ctx.moveTo(left + 0.5, top);
  ctx.lineTo(left + 0.5, bottom + 0.5);
  ctx.lineTo(right, bottom + 0.5);
  ctx.stroke();
  ctx.textAlign = "right";
  ctx.fillText(xLabel, right, bottom + 17);
  return { sx, sy, left, right, top, bottom };
}

function clipToPlot(ctx, plot) {
  ctx.beginPath();
  ctx.rect(plot.left, plot.top - 1, plot.right - plot.left + 1, plot.bottom - plot.top + 2);
  ctx.clip();
}

/** Finite values of every series at x ≥ `from`. */
function valuesFrom(series, from) {
  const out = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (s.x[i] >= from && Number.isFinite(s.y[i])) out.push(s.y[i]);
    }
  }
  return out;
}

/**
 * Curves over iterations. `kind` "accuracy" zooms into the range the newer half of the
 * curves lives in (0–100%, 50–100%, … 98–100%); "loss" starts at 0 and leaves out the
 * first tenth of training (its large initial losses) when choosing the top.
 */
export class CurveChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{kind: "accuracy"|"loss", legend?: HTMLElement}} options
   */
  constructor(canvas, { kind, legend = null }) {
    this.canvas = canvas;
    this.legend = legend;
    this.kind = kind;
    this.series = [];
    this.reference = null;
    this.dirty = true;
  }

  /** @param {{label: string, color: string, x: number[], y: number[], width?: number}[]} series */
  setSeries(series) {
    this.series = series;
    this.dirty = true;
  }

  /** A horizontal reference line (the accuracy the talk reports), or null. */
  setReference(reference) {
    this.reference = reference;
    this.dirty = true;
  }

  get points() {
    return this.series.reduce((n, s) => n + s.x.length, 0);
  }

  yRange(xMax) {
    const all = valuesFrom(this.series, -Infinity);
    if (this.kind === "accuracy") {
      const recent = valuesFrom(this.series, xMax * 0.5);
      const low = Math.min(...(recent.length ? recent : all), 1);
      const floor = [0.98, 0.95, 0.9, 0.8, 0.5, 0].find((f) => f <= low - 0.004) ?? 0;
      return [floor, 1];
    }
    const later = valuesFrom(this.series, xMax * 0.1);
    const high = Math.max(...(later.length >= 5 ? later : all), 1e-3);
    return [0, high * 1.1];
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    const { ctx, width, height } = fit;
    const xMax = Math.max(1, ...this.series.flatMap((s) => (s.x.length ? [s.x[s.x.length - 1]] : [])));
    const [y0, y1] = this.yRange(xMax);
    const accuracy = this.kind === "accuracy";
    const yTicks = niceTicks(y0, y1, Math.max(2, Math.min(6, Math.floor(height / 40))));
    const yFormat = accuracy ? (v, step) => `${tickLabel(v * 100, step * 100)}%` : tickLabel;
    const plot = drawAxes(ctx, width, height, {
      x0: 0, x1: xMax, y0, y1, yTicks, yFormat, xLabel: "iteration",
    });
    ctx.save();
    clipToPlot(ctx, plot);
    if (this.reference && this.reference.value >= y0 && this.reference.value <= y1) {
      const y = Math.round(plot.sy(this.reference.value)) + 0.5;
      ctx.strokeStyle = COLORS.reference;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = COLORS.reference;
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(this.reference.label, plot.left + 4, y - 2);
    }
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.lineJoin = "round";
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < s.x.length; i++) {
        if (!Number.isFinite(s.y[i])) {
          pen = false;
          continue;
        }
        const x = plot.sx(s.x[i]);
        // Values below the zoomed range sit on the bottom edge rather than vanish.
        const y = plot.sy(Math.max(y0 - (y1 - y0) * 0.02, Math.min(y1, s.y[i])));
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      }
      if (s.x.length === 1 && Number.isFinite(s.y[0])) {
        ctx.fillStyle = s.color;
        ctx.fillRect(plot.sx(s.x[0]) - 2, plot.sy(s.y[0]) - 2, 4, 4);
      }
      ctx.stroke();
    }
    ctx.restore();
    renderLegend(this.legend, this.series.map((s) => ({ label: s.label, color: s.color })));
  }
}

/** An HTML legend (swatch + label per entry) in `element`; rebuilt only when it changes. */
function renderLegend(element, entries) {
  if (!element) return;
  const key = JSON.stringify(entries);
  if (element.dataset.key === key) return;
  element.dataset.key = key;
  element.replaceChildren(...entries.map((entry) => {
    const item = document.createElement("span");
    item.className = "legend-item";
    const swatch = document.createElement("span");
    swatch.className = "legend-swatch";
    swatch.style.backgroundColor = entry.color;
    item.append(swatch, entry.label);
    return item;
  }));
}

function bandLabel(band, all) {
  const sameLayer = all.filter((b) => b.layer === band.layer).length > 1;
  const plain = band.name === "kernel" || band.name === "bias";
  return sameLayer || !plain ? `${band.layer} ${band.name}` : band.layer;
}

function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * Percentile bands over iterations, one colour per layer: the outer band spans
 * min–max, then 10–90% and 25–75%, with the median as a line.
 */
export class BandChart {
  /** @param {HTMLCanvasElement} canvas  @param {HTMLElement|null} legend */
  constructor(canvas, legend = null) {
    this.canvas = canvas;
    this.legend = legend;
    this.bands = [];
    this.dirty = true;
  }

  /** @param {{layer: string, name: string, iteration: number[], percentiles: number[][]}[]} bands */
  setBands(bands) {
    this.bands = bands;
    this.dirty = true;
  }

  get points() {
    return this.bands.reduce((n, b) => n + b.iteration.length, 0);
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    const { ctx, width, height } = fit;
    const bands = this.bands.filter((b) => b.iteration.length > 0);
    let lo = Infinity;
    let hi = -Infinity;
    let xMax = 1;
    for (const b of bands) {
      for (const p of b.percentiles) {
        if (Number.isFinite(p[0])) lo = Math.min(lo, p[0]);
        if (Number.isFinite(p[6])) hi = Math.max(hi, p[6]);
      }
      xMax = Math.max(xMax, b.iteration[b.iteration.length - 1]);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      lo = -1;
      hi = 1;
    }
    if (hi - lo < 1e-6) {
      lo -= 0.1;
      hi += 0.1;
    }
    const pad = (hi - lo) * 0.04;
    lo -= pad;
    hi += pad;
    const yTicks = niceTicks(lo, hi, Math.max(2, Math.min(6, Math.floor(height / 40))));
    const plot = drawAxes(ctx, width, height, {
      x0: 0, x1: xMax, y0: lo, y1: hi, yTicks, yFormat: tickLabel,
      xLabel: "iteration",
    });
    ctx.save();
    clipToPlot(ctx, plot);
    const colors = new Map();
    for (const b of bands) {
      if (!colors.has(b.layer)) colors.set(b.layer, LAYER_COLORS[colors.size % LAYER_COLORS.length]);
    }
    const shades = [[0, 6, 0.1], [1, 5, 0.16], [2, 4, 0.26]];
    for (const b of bands) {
      const color = colors.get(b.layer);
      let xs = b.iteration.map(plot.sx);
      let ps = b.percentiles;
      if (xs.length === 1) {
        // One time point: a narrow bar instead of an area.
        xs = [xs[0] - 1.5, xs[0] + 1.5];
        ps = [ps[0], ps[0]];
      }
      for (const [low, high, alpha] of shades) {
        ctx.fillStyle = withAlpha(color, alpha);
        ctx.beginPath();
        xs.forEach((x, i) => ctx.lineTo(x, plot.sy(ps[i][high])));
        for (let i = xs.length - 1; i >= 0; i--) ctx.lineTo(xs[i], plot.sy(ps[i][low]));
        ctx.closePath();
        ctx.fill();
      }
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.25;
      ctx.beginPath();
      xs.forEach((x, i) => ctx.lineTo(x, plot.sy(ps[i][3])));
      ctx.stroke();
    }
    ctx.restore();
    renderLegend(this.legend, bands.map((b) => ({ label: bandLabel(b, bands), color: colors.get(b.layer) })));
  }
}
