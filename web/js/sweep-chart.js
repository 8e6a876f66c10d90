// The loss curves of a sweep's runs on one chart, one colour per run: the test loss
// (the training loss for a run that has no test set) against the epoch, on a log
// scale so a run at 0.001 and a run at 1 both show their shape, and a diverged run's
// last finite losses do not flatten the others. Each curve keeps at most MAX_POINTS
// points (every other one is dropped as it grows), so a long run costs the same.

import { fitCanvas } from "./canvas-size.js";

const MAX_POINTS = 600;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

export class SweepChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.curves = new Map(); // run id → {color, points: [[epoch, loss]]}
    this.dirty = true;
  }

  setRun(id, color) {
    if (!this.curves.has(id)) this.curves.set(id, { color, points: [] });
  }

  /** A point of run `id`; a loss that is not a positive finite number is left out. */
  add(id, epoch, trainLoss, testLoss) {
    const curve = this.curves.get(id);
    const loss = Number.isFinite(testLoss) ? testLoss : trainLoss;
    if (!curve || !Number.isFinite(loss) || loss <= 0) return;
    const last = curve.points[curve.points.length - 1];
    if (last && last[0] >= epoch) {
      if (last[0] === epoch) last[1] = loss;
      return;
    }
    curve.points.push([epoch, loss]);
    if (curve.points.length > MAX_POINTS) {
      curve.points = curve.points.filter((_, i) => i % 2 === 0 || i === curve.points.length - 1);
    }
    this.dirty = true;
  }

  /** The first epoch at which run `id`'s plotted loss was at most `target`, or null. */
  epochsTo(id, target) {
    const found = this.curves.get(id)?.points.find(([, loss]) => loss <= target);
    return found ? found[0] : null;
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    const { ctx, width, height } = fit;
    let maxEpoch = 1;
    let low = Infinity;
    let high = -Infinity;
    for (const { points } of this.curves.values()) {
      for (const [epoch, loss] of points) {
        maxEpoch = Math.max(maxEpoch, epoch);
        low = Math.min(low, Math.log10(loss));
        high = Math.max(high, Math.log10(loss));
      }
    }
    if (!Number.isFinite(low)) return;
    low = Math.floor(low);
    high = Math.max(low + 1, Math.ceil(high));
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const x = (epoch) => PAD.left + (epoch / maxEpoch) * plotW;
    const y = (loss) => PAD.top + (1 - (Math.log10(loss) - low) / (high - low)) * plotH;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#777";
    ctx.strokeStyle = "#eee";
    ctx.lineWidth = 1;
    for (let p = low; p <= high; p++) {
      const gy = y(10 ** p);
      ctx.beginPath();
      ctx.moveTo(PAD.left, gy);
      ctx.lineTo(width - PAD.right, gy);
      ctx.stroke();
      ctx.fillText(`1e${p}`, 4, gy + 3);
    }
    ctx.fillText("0", PAD.left, height - 6);
    const last = `${maxEpoch.toLocaleString("en-US")} epochs`;
    ctx.fillText(last, width - PAD.right - ctx.measureText(last).width, height - 6);
    ctx.lineWidth = 1.5;
    for (const { color, points } of this.curves.values()) {
      if (points.length === 0) continue;
      ctx.strokeStyle = color;
      ctx.beginPath();
      points.forEach(([epoch, loss], i) => {
        if (i === 0) ctx.moveTo(x(epoch), y(loss));
        else ctx.lineTo(x(epoch), y(loss));
      });
      ctx.stroke();
    }
  }
}
