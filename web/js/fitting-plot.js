// The fit (#curve): axes, the training and test points, and the model's curve over the
// input range. Axes and points change only with the data, so they are drawn once into
// a layer; each frame copies the layer and draws the newest curve over it.

import { fitCanvas } from "./canvas-size.js";
import { niceTicks, tickLabel } from "./ticks.js";

const SAMPLES = 240; // x values the curve is evaluated at
const MARGIN = { left: 56, right: 18, top: 14, bottom: 44 };
const TRAIN = { fill: "#0877bd", stroke: "#fff" };
const TEST = { fill: "#f59322", stroke: "#6b3d00" };
const CURVE = "#183d4e";

/** [low, high] of the values, padded by `pad` of the span (a single value gets ±0.5). */
function paddedRange(values, pad) {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (!Number.isFinite(low)) return [0, 1];
  const span = high - low || Math.max(1, Math.abs(low));
  return [low - pad * span, high + pad * span];
}

export class CurvePlot {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.layer = document.createElement("canvas");
    this.data = { train: [], test: [], xLabel: "x", yLabel: "y" };
    this.xRange = [0, 1];
    this.yRange = [0, 1];
    this.layerStale = true;
    this.xs = new Float32Array(SAMPLES);
  }

  /** New points: the axes follow the data (x padded 5%, y padded 12%). */
  setData({ train, test, xLabel, yLabel }) {
    this.data = { train, test, xLabel, yLabel };
    const all = [...train, ...test];
    this.xRange = paddedRange(all.map((p) => p[0]), 0.05);
    this.yRange = paddedRange(all.map((p) => p[1]), 0.12);
    const [low, high] = this.xRange;
    for (let i = 0; i < SAMPLES; i++) this.xs[i] = low + ((high - low) * i) / (SAMPLES - 1);
    this.layerStale = true;
  }

  /** The x values `draw` expects predictions for. */
  sampleXs() {
    return this.xs;
  }

  geometry() {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    const [x0, x1] = this.xRange;
    const [y0, y1] = this.yRange;
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = height - MARGIN.top - MARGIN.bottom;
    return {
      width,
      height,
      plotW,
      plotH,
      px: (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW,
      py: (y) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH,
    };
  }

  /** Draw the layer, as large as the canvas: frame, grid, ticks, labels and points. */
  drawLayer() {
    const { ctx } = fitCanvas(this.layer, { box: this.canvas });
    const g = this.geometry();
    ctx.fillStyle = "#fff";
    ctx.fillRect(MARGIN.left, MARGIN.top, g.plotW, g.plotH);
    ctx.font = "11px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#777";
    ctx.lineWidth = 1;
    const xt = niceTicks(...this.xRange, Math.max(3, Math.round(g.plotW / 80)));
    const yt = niceTicks(...this.yRange, Math.max(3, Math.round(g.plotH / 60)));
    ctx.strokeStyle = "#eee";
    ctx.beginPath();
    for (const v of xt.values) {
      const x = Math.round(g.px(v)) + 0.5;
      ctx.moveTo(x, MARGIN.top);
      ctx.lineTo(x, MARGIN.top + g.plotH);
    }
    for (const v of yt.values) {
      const y = Math.round(g.py(v)) + 0.5;
      ctx.moveTo(MARGIN.left, y);
      ctx.lineTo(MARGIN.left + g.plotW, y);
    }
    ctx.stroke();
    ctx.strokeStyle = "#999";
    ctx.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, g.plotW - 1, g.plotH - 1);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt.values) ctx.fillText(tickLabel(v, xt.step), g.px(v), MARGIN.top + g.plotH + 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt.values) ctx.fillText(tickLabel(v, yt.step), MARGIN.left - 6, g.py(v));
    ctx.font = "12px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#555";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(this.data.xLabel, MARGIN.left + g.plotW / 2, g.height - 2);
    ctx.save();
    ctx.translate(13, MARGIN.top + g.plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(this.data.yLabel, 0, 0);
    ctx.restore();

    const count = this.data.train.length + this.data.test.length;
    const radius = count > 2000 ? 1.6 : count > 300 ? 2.6 : 4.5;
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, g.plotW, g.plotH);
    ctx.clip();
    for (const [points, style] of [[this.data.train, TRAIN], [this.data.test, TEST]]) {
      ctx.fillStyle = style.fill;
      ctx.strokeStyle = style.stroke;
      ctx.lineWidth = count > 2000 ? 0 : 1;
      for (const [x, y] of points) {
        ctx.beginPath();
        ctx.arc(g.px(x), g.py(y), radius, 0, 2 * Math.PI);
        ctx.fill();
        if (count <= 2000) ctx.stroke();
      }
    }
    ctx.restore();
  }

  /** Draw the points and, when given, the model's predictions at `sampleXs()`. */
  draw(ys) {
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    if (fit.resized || this.layerStale) {
      this.drawLayer();
      this.layerStale = false;
    }
    const { ctx } = fit;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0); // the layer has the canvas' own pixels
    ctx.drawImage(this.layer, 0, 0);
    ctx.restore();
    if (!ys) return;
    const g = this.geometry();
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, g.plotW, g.plotH);
    ctx.clip();
    ctx.strokeStyle = CURVE;
    ctx.lineWidth = 2.5;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    // Far outside the box the canvas would lose precision: clamp to a few heights beyond it.
    const limit = (y) => Math.max(-3 * g.height, Math.min(4 * g.height, y));
    for (let i = 0; i < this.xs.length; i++) {
      if (!Number.isFinite(ys[i])) {
        pen = false;
        continue;
      }
      const x = g.px(this.xs[i]);
      const y = limit(g.py(ys[i]));
      if (pen) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }
}
