// Digits, weight maps and the confusion matrix: the lab's image-like views.

import { fitCanvas } from "./canvas-size.js";
import { formatCount } from "./number-format.js";

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const DIGIT_LABELS = Array.from({ length: 10 }, (_, d) => String(d));
const FONT_FAMILY = '"Helvetica Neue", Helvetica, Arial, sans-serif';

/** base64 → bytes. */
function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function scratchCanvas(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

// Paper and ink of a digit: correct ones dark on white, mistakes dark red on red.
const PAPER = [255, 255, 255];
const INK = [40, 40, 40];
const WRONG_PAPER = [246, 176, 176];
const WRONG_INK = [120, 0, 0];

/**
 * A grid of digits ({pixels (base64 uint8 28×28 each), labels, predicted}), mistakes first,
 * each with its predicted label: grey in a corner when right, white on red when wrong.
 */
export class DigitGrid {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.atlas = null;
    this.labels = [];
    this.predicted = [];
    this.count = 0;
    this.dirty = true;
  }

  set(strip) {
    if (!strip) {
      this.count = 0;
      this.atlas = null;
      this.dirty = true;
      return;
    }
    const pixels = decodeBase64(strip.pixels);
    const n = Math.min(strip.labels.length, Math.floor(pixels.length / PIXELS));
    this.labels = strip.labels.slice(0, n);
    this.predicted = strip.predicted.slice(0, n);
    this.count = n;
    // One row of 28×28 tiles, coloured once; drawing only scales tiles from it.
    const atlas = scratchCanvas(Math.max(1, n) * SIDE, SIDE);
    const ctx = atlas.getContext("2d");
    const image = ctx.createImageData(Math.max(1, n) * SIDE, SIDE);
    const data = image.data;
    for (let d = 0; d < n; d++) {
      const wrong = this.labels[d] !== this.predicted[d];
      const paper = wrong ? WRONG_PAPER : PAPER;
      const ink = wrong ? WRONG_INK : INK;
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const v = pixels[d * PIXELS + y * SIDE + x] / 255;
          const o = (y * n * SIDE + d * SIDE + x) * 4;
          data[o] = paper[0] + (ink[0] - paper[0]) * v;
          data[o + 1] = paper[1] + (ink[1] - paper[1]) * v;
          data[o + 2] = paper[2] + (ink[2] - paper[2]) * v;
          data[o + 3] = 255;
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    this.atlas = atlas;
    this.dirty = true;
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    const { ctx, width, height } = fit;
    const n = this.count;
    if (!n || !this.atlas) return;
    // The most columns that still give square cells filling the canvas.
    let columns = Math.ceil(Math.sqrt((n * width) / height));
    columns = Math.max(1, Math.min(n, columns));
    const rows = Math.ceil(n / columns);
    const cell = Math.floor(Math.min(width / columns, height / rows));
    const gap = cell >= 16 ? 1 : 0;
    const offsetX = Math.floor((width - columns * cell) / 2);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    const fontSize = Math.max(8, Math.round(cell * 0.34));
    ctx.font = `bold ${fontSize}px ${FONT_FAMILY}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let d = 0; d < n; d++) {
      const x = offsetX + (d % columns) * cell;
      const y = Math.floor(d / columns) * cell;
      const size = cell - gap;
      ctx.drawImage(this.atlas, d * SIDE, 0, SIDE, SIDE, x, y, size, size);
      if (cell < 14) continue;
      const wrong = this.labels[d] !== this.predicted[d];
      const tag = Math.round(fontSize * 1.05);
      if (wrong) {
        ctx.fillStyle = "#c62828";
        ctx.fillRect(x + size - tag, y, tag, tag);
        ctx.fillStyle = "#fff";
      } else {
        ctx.fillStyle = "#9a9a9a";
      }
      ctx.fillText(String(this.predicted[d]), x + size - tag / 2, y + tag / 2 + 0.5);
    }
  }
}

/**
 * The ten 28×28 weight maps of a softmax regression ({scale, values: base64 int8,
 * digit-major}), in a diverging colour scale: orange negative, white 0, blue positive.
 */
export class WeightMaps {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.atlas = null;
    this.scale = 0;
    this.dirty = true;
  }

  get shown() {
    return this.atlas !== null;
  }

  set(maps) {
    if (!maps) {
      this.atlas = null;
      this.dirty = true;
      return;
    }
    const bytes = decodeBase64(maps.values);
    const values = new Int8Array(bytes.buffer, 0, Math.min(bytes.length, 10 * PIXELS));
    const atlas = scratchCanvas(10 * SIDE, SIDE);
    const ctx = atlas.getContext("2d");
    const image = ctx.createImageData(10 * SIDE, SIDE);
    for (let d = 0; d < 10; d++) {
      for (let p = 0; p < PIXELS; p++) {
        const v = (values[d * PIXELS + p] ?? 0) / 127;
        const o = ((Math.floor(p / SIDE)) * 10 * SIDE + d * SIDE + (p % SIDE)) * 4;
        const t = Math.min(1, Math.abs(v));
        const target = v >= 0 ? [8, 119, 189] : [245, 147, 34];
        image.data[o] = 255 + (target[0] - 255) * t;
        image.data[o + 1] = 255 + (target[1] - 255) * t;
        image.data[o + 2] = 255 + (target[2] - 255) * t;
        image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    this.atlas = atlas;
    this.scale = maps.scale;
    this.dirty = true;
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    if (!this.atlas) return;
    const { ctx, width, height } = fit;
    const columns = width / height > 3.5 ? 10 : 5;
    const rows = 10 / columns;
    const label = 14;
    const cell = Math.floor(Math.min(width / columns, height / rows - label));
    const offsetX = Math.floor((width - columns * cell) / 2);
    ctx.imageSmoothingEnabled = false;
    ctx.font = `12px ${FONT_FAMILY}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillStyle = "#555";
    for (let d = 0; d < 10; d++) {
      const x = offsetX + (d % columns) * cell;
      const y = Math.floor(d / columns) * (cell + label);
      ctx.drawImage(this.atlas, d * SIDE, 0, SIDE, SIDE, x + 2, y, cell - 4, cell - 4);
      ctx.fillText(String(d), x + cell / 2, y + cell - 3);
    }
  }
}

/** The confusion matrix as a table: rows the true class, columns the predicted one. */
export class ConfusionMatrix {
  /**
   * @param {HTMLTableElement} table
   * @param {{labels?: string[], noun?: (label: string) => string}} options  the classes'
   *   labels (the digits by default) and how a title names a class's images ("7s")
   */
  constructor(table, { labels = DIGIT_LABELS, noun = (label) => `${label}s` } = {}) {
    this.table = table;
    this.labels = labels;
    this.noun = noun;
    this.total = 0;
    this.correct = 0;
    this.build();
  }

  build() {
    const head = document.createElement("thead");
    const top = head.insertRow();
    const corner = document.createElement("th");
    corner.className = "corner";
    corner.textContent = "true ↓ / predicted →";
    corner.scope = "col";
    top.append(corner);
    const n = this.labels.length;
    for (let p = 0; p < n; p++) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = this.labels[p];
      top.append(th);
    }
    const body = document.createElement("tbody");
    this.cells = [];
    for (let t = 0; t < n; t++) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = this.labels[t];
      row.append(th);
      const cells = [];
      for (let p = 0; p < n; p++) {
        const td = row.insertCell();
        td.className = t === p ? "diagonal" : "off";
        td.textContent = "";
        cells.push(td);
      }
      this.cells.push(cells);
    }
    this.table.replaceChildren(head, body);
  }

  /** @param {number[][]|null} confusion  n×n counts [true][predicted] */
  set(confusion) {
    this.total = 0;
    this.correct = 0;
    if (!confusion) {
      for (const row of this.cells) {
        for (const td of row) {
          td.textContent = "";
          td.style.backgroundColor = "";
          td.title = "";
        }
      }
      return;
    }
    let worst = 1;
    const n = this.labels.length;
    for (let t = 0; t < n; t++) {
      for (let p = 0; p < n; p++) {
        this.total += confusion[t][p];
        if (t === p) this.correct += confusion[t][p];
        else worst = Math.max(worst, confusion[t][p]);
      }
    }
    for (let t = 0; t < n; t++) {
      const rowTotal = confusion[t].reduce((a, b) => a + b, 0) || 1;
      for (let p = 0; p < n; p++) {
        const count = confusion[t][p];
        const td = this.cells[t][p];
        td.textContent = formatCount(count);
        if (t === p) {
          const share = count / rowTotal;
          td.style.backgroundColor = `rgba(46, 157, 91, ${(0.25 + 0.6 * share).toFixed(3)})`;
          td.title = `${formatCount(count)} of ${formatCount(rowTotal)} ${this.noun(this.labels[t])} recognised`;
        } else {
          td.style.backgroundColor = count
            ? `rgba(198, 40, 40, ${(0.08 + 0.7 * Math.sqrt(count / worst)).toFixed(3)})`
            : "";
          td.title = `${formatCount(count)} ${this.noun(this.labels[t])} taken for ${this.noun(this.labels[p])}`;
        }
      }
    }
  }
}
