// Images as the orientation model sees them: decoding the server's uint8 pixels (grey or
// RGB) into canvases, the four directions' arrows, and the Pass / Fail galleries of test
// images, each with the arrow of what the model said and how sure it was.

import { fitCanvas } from "./canvas-size.js";

export const ARROWS = ["↑", "→", "↓", "←"];
export const DIRECTIONS = ["up", "right", "down", "left"];
const FONT_FAMILY = '"Helvetica Neue", Helvetica, Arial, sans-serif';
const RIGHT = "#2e9d5b";
const WRONG = "#c62828";

/** base64 → bytes. */
export function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A canvas of `count` images side by side, from uint8 pixels (side×side×channels each). */
export function imageStrip(bytes, count, side, channels) {
  const canvas = document.createElement("canvas");
  canvas.width = side * Math.max(1, count);
  canvas.height = side;
  const ctx = canvas.getContext("2d");
  const data = ctx.createImageData(canvas.width, side);
  const per = side * side * channels;
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const from = n * per + (y * side + x) * channels;
        const to = (y * canvas.width + n * side + x) * 4;
        data.data[to] = bytes[from];
        data.data[to + 1] = bytes[from + (channels > 1 ? 1 : 0)];
        data.data[to + 2] = bytes[from + (channels > 1 ? 2 : 0)];
        data.data[to + 3] = 255;
      }
    }
  }
  ctx.putImageData(data, 0, 0);
  return canvas;
}

/** An arrow pointing to `direction` (0 up … 3 left) centred at (x, y), `size` px long. */
export function drawArrow(ctx, x, y, size, direction, color) {
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate((direction * Math.PI) / 2);
  ctx.fillStyle = color;
  ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
  ctx.lineWidth = Math.max(1, size / 14);
  const w = size / 2;
  ctx.beginPath();
  ctx.moveTo(0, -w);
  ctx.lineTo(w * 0.8, -w * 0.1);
  ctx.lineTo(w * 0.3, -w * 0.1);
  ctx.lineTo(w * 0.3, w);
  ctx.lineTo(-w * 0.3, w);
  ctx.lineTo(-w * 0.3, -w * 0.1);
  ctx.lineTo(-w * 0.8, -w * 0.1);
  ctx.closePath();
  ctx.stroke();
  ctx.fill();
  ctx.restore();
}

/**
 * A gallery of test images ({pixels, labels, predicted, confidence, count}), each as the
 * model saw it, framed green when right and red when wrong, with the arrow of the
 * direction it said and its confidence below.
 */
export class Gallery {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.strip = null;
    this.items = [];
    this.side = 0;
    this.dirty = true;
  }

  /** @param {object|null} gallery  @param {number} side  @param {number} channels */
  set(gallery, side, channels) {
    this.items = [];
    this.strip = null;
    if (gallery && gallery.count) {
      this.side = side;
      this.strip = imageStrip(decodeBase64(gallery.pixels), gallery.count, side, channels);
      this.items = gallery.labels.map((label, i) => ({
        label, predicted: gallery.predicted[i], confidence: gallery.confidence[i],
      }));
    }
    this.dirty = true;
  }

  get count() {
    return this.items.length;
  }

  draw() {
    if (!this.dirty) return;
    const fit = fitCanvas(this.canvas);
    if (!fit) return;
    this.dirty = false;
    const { ctx, width, height } = fit;
    ctx.clearRect(0, 0, width, height);
    if (!this.strip) return;
    const columns = 6;
    const cell = Math.floor(width / columns);
    const caption = 14;
    const image = cell - 6;
    ctx.imageSmoothingEnabled = this.side >= 48;
    ctx.font = `11px ${FONT_FAMILY}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    this.items.forEach((item, i) => {
      const x = (i % columns) * cell + 3;
      const y = Math.floor(i / columns) * (cell + caption) + 3;
      if (y + image > height) return;
      const right = item.label === item.predicted;
      ctx.fillStyle = right ? RIGHT : WRONG;
      ctx.fillRect(x - 2, y - 2, image + 4, image + 4);
      ctx.drawImage(this.strip, i * this.side, 0, this.side, this.side, x, y, image, image);
      drawArrow(ctx, x + image - image / 6 - 2, y + image / 6 + 2, image / 3, item.predicted,
        right ? RIGHT : WRONG);
      ctx.fillStyle = "#555";
      const truth = right ? "" : ` (top: ${ARROWS[item.label]})`;
      ctx.fillText(`${ARROWS[item.predicted]} ${Math.round(item.confidence * 100)}%${truth}`,
        x + image / 2, y + image + caption - 1);
    });
  }
}
