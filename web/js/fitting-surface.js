// The linear model's loss surface: the training loss ½·mean((W·x' + b − y)²) for every
// (W, b) on a grid, as a heat map, with the path gradient descent takes drawn on it.
// The loss is a quadratic in (W, b) whose coefficients are five means of the training
// data, so the page computes it exactly from the points the run was created with.
// Both axes share one scale: a round bowl looks round and a narrow valley narrow.

import { fitCanvas } from "./canvas-size.js";
import { HeatMap } from "./heatmap.js";
import { niceTicks, tickLabel } from "./ticks.js";

const DENSITY = 120; // grid samples per side
const MAP_PIXELS = 240; // heat-map canvas pixels per side (CSS scales it)
const MARGIN = { left: 44, bottom: 30, top: 6, right: 8 };

/** The means a line's loss depends on, with x normalised as the model sees it. */
export function moments(points, { mean, std }) {
  const m = { n: points.length, sx: 0, sy: 0, sxx: 0, sxy: 0, syy: 0 };
  for (const [rawX, y] of points) {
    const x = (rawX - mean) / std;
    m.sx += x;
    m.sy += y;
    m.sxx += x * x;
    m.sxy += x * y;
    m.syy += y * y;
  }
  for (const key of ["sx", "sy", "sxx", "sxy", "syy"]) m[key] /= Math.max(1, m.n);
  return m;
}

/** ½·mean squared error of y = W·x + b (the engine's loss). */
export function lossAt(m, w, b) {
  const value =
    0.5 * (w * w * m.sxx + 2 * w * b * m.sx + b * b - 2 * w * m.sxy - 2 * b * m.sy + m.syy);
  return Math.max(0, value);
}

/** The least-squares (W, b): where gradient descent is heading. */
export function bestFit(m) {
  const variance = m.sxx - m.sx * m.sx;
  if (!(variance > 1e-12 * Math.max(1, m.sxx))) return [0, m.sy]; // one x value: any slope
  const w = (m.sxy - m.sx * m.sy) / variance;
  return [w, m.sy - w * m.sx];
}

/**
 * A square (W, b) box holding every point, centred on them, with a margin; the same
 * scale on both axes. Returns {w: [low, high], b: [low, high]}.
 */
export function squareBox(points, margin = 0.25) {
  let w0 = Infinity;
  let w1 = -Infinity;
  let b0 = Infinity;
  let b1 = -Infinity;
  for (const [w, b] of points) {
    if (!Number.isFinite(w) || !Number.isFinite(b)) continue;
    w0 = Math.min(w0, w);
    w1 = Math.max(w1, w);
    b0 = Math.min(b0, b);
    b1 = Math.max(b1, b);
  }
  if (!Number.isFinite(w0)) return { w: [-1, 1], b: [-1, 1] };
  const scale = Math.max(Math.abs(w0), Math.abs(w1), Math.abs(b0), Math.abs(b1), 1e-6);
  const half = Math.max(w1 - w0, b1 - b0, 0.02 * scale) * (0.5 + margin);
  const cw = (w0 + w1) / 2;
  const cb = (b0 + b1) / 2;
  return { w: [cw - half, cw + half], b: [cb - half, cb + half] };
}

/**
 * Heat-map values in [-1, 1] for the loss over the box: +1 (blue) at the lowest loss,
 * -1 (orange) at the highest, on a log scale of the loss above the minimum so the
 * bands near the bottom of the bowl stay visible. Row 0 is the top (highest b).
 */
export function surfaceValues(m, box, density = DENSITY) {
  const losses = new Float64Array(density * density);
  const [w0, w1] = box.w;
  const [b0, b1] = box.b;
  let high = 0;
  for (let row = 0; row < density; row++) {
    const b = b1 - ((b1 - b0) * row) / (density - 1);
    for (let col = 0; col < density; col++) {
      const w = w0 + ((w1 - w0) * col) / (density - 1);
      const loss = lossAt(m, w, b);
      losses[row * density + col] = loss;
      if (loss > high) high = loss;
    }
  }
  const low = lossAt(m, ...bestFit(m));
  const floor = Math.max((high - low) * 1e-4, 1e-12);
  const top = Math.log(Math.max(high - low, floor) + floor);
  const bottom = Math.log(floor);
  const values = new Float32Array(density * density);
  for (let i = 0; i < losses.length; i++) {
    const t = (Math.log(Math.max(0, losses[i] - low) + floor) - bottom) / (top - bottom || 1);
    values[i] = 1 - 2 * Math.min(1, Math.max(0, t));
  }
  return values;
}

export class LossSurface {
  /** @param {HTMLElement} root  holds canvas.heat and canvas.overlay */
  constructor(root) {
    this.root = root;
    this.heatCanvas = root.querySelector("canvas.heat");
    this.overlay = root.querySelector("canvas.overlay");
    this.heat = new HeatMap(this.heatCanvas, MAP_PIXELS, DENSITY);
    this.moments = null;
    this.best = [0, 0];
    this.box = null;
    this.path = [];
  }

  /** The run's training points and normalisation; forgets the previous run's path. */
  setData(train, normalization) {
    this.moments = moments(train, normalization);
    this.best = bestFit(this.moments);
    this.box = null;
    this.path = [];
  }

  /** Show this path ([[epoch, W, b], …]); the box grows when the path leaves it. */
  setPath(path) {
    if (!this.moments) return;
    this.path = path;
    const outside = ([, w, b]) =>
      !this.box || w < this.box.w[0] || w > this.box.w[1] || b < this.box.b[0] || b > this.box.b[1];
    if (path.some(outside)) {
      this.box = squareBox([this.best, ...path.map(([, w, b]) => [w, b])]);
      this.heat.draw(surfaceValues(this.moments, this.box), 0, 1, false);
    }
    this.drawOverlay();
  }

  drawOverlay() {
    const fit = fitCanvas(this.overlay);
    if (!fit || !this.box) return;
    const { ctx, height } = fit;
    const size = this.heatCanvas.clientWidth;
    const [w0, w1] = this.box.w;
    const [b0, b1] = this.box.b;
    const px = (w) => MARGIN.left + ((w - w0) / (w1 - w0)) * size;
    const py = (b) => MARGIN.top + ((b1 - b) / (b1 - b0)) * size;

    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, size + 1, size + 1);
    ctx.font = "10px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#777";
    const wt = niceTicks(w0, w1, 4);
    const bt = niceTicks(b0, b1, 4);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of wt.values) ctx.fillText(tickLabel(v, wt.step), px(v), MARGIN.top + size + 4);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of bt.values) ctx.fillText(tickLabel(v, bt.step), MARGIN.left - 5, py(v));
    ctx.font = "italic 12px Georgia, serif";
    ctx.fillStyle = "#444";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText("W", MARGIN.left + size / 2, height);
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText("b", 2, MARGIN.top + size / 2);

    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, size, size);
    ctx.clip();
    const points = this.path.map(([, w, b]) => [px(w), py(b)]);
    if (points.length > 1) {
      for (const [style, widthPx] of [["rgba(255,255,255,0.9)", 4], ["#183d4e", 1.6]]) {
        ctx.strokeStyle = style;
        ctx.lineWidth = widthPx;
        ctx.lineJoin = "round";
        ctx.beginPath();
        points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.stroke();
      }
      ctx.fillStyle = "#183d4e";
      for (const [x, y] of points.slice(1, -1)) ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    const [bx, by] = [px(this.best[0]), py(this.best[1])];
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(bx - 7, by);
    ctx.lineTo(bx + 7, by);
    ctx.moveTo(bx, by - 7);
    ctx.lineTo(bx, by + 7);
    ctx.stroke();
    if (points.length > 0) {
      const [sx, sy] = points[0];
      ctx.fillStyle = "#fff";
      ctx.strokeStyle = "#183d4e";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx, sy, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      const [nx, ny] = points[points.length - 1];
      ctx.fillStyle = "#183d4e";
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(nx, ny, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }
}
