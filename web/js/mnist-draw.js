// Draw a digit: a 280×280 pad (mouse, pen or touch through pointer events) with thick
// white strokes on black, the run's model loaded from its model.json, and the
// classification of the drawing after MNIST's preprocessing (mnist-preprocess.js).

import { prepareDigit, SIZE } from "./mnist-preprocess.js";
import { RunModel } from "./run-model.js";

const STROKE = 22; // px on the 280-px pad: about 2 px once the digit fits 20×20

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas  280×280
   * @param {{onChange: (final: boolean) => void}} handlers  final: the stroke ended
   */
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.onChange = onChange;
    this.pointer = null;
    this.last = null;
    this.inked = false;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", (e) => this.up(e));
    canvas.addEventListener("lostpointercapture", (e) => this.up(e));
  }

  clear() {
    const { ctx, canvas } = this;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.inked = false;
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  down(event) {
    if (this.pointer !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.pointer = event.pointerId;
    this.canvas.setPointerCapture?.(event.pointerId);
    this.last = this.point(event);
    this.segment(this.last, this.last);
    this.onChange(false);
  }

  move(event) {
    if (event.pointerId !== this.pointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) {
      const p = this.point(e);
      this.segment(this.last, p);
      this.last = p;
    }
    this.onChange(false);
  }

  up(event) {
    if (event.pointerId !== this.pointer) return;
    this.pointer = null;
    this.last = null;
    this.onChange(true);
  }

  segment(from, to) {
    const { ctx } = this;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = STROKE;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    this.inked = true;
  }

  /** The drawing as grey levels 0…1 (the red channel of white-on-black strokes). */
  grey() {
    const { width, height } = this.canvas;
    const data = this.ctx.getImageData(0, 0, width, height).data;
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * 4] / 255;
    return grey;
  }

  /** The drawing as the model's input (784 values), or null when nothing is drawn. */
  digit() {
    if (!this.inked) return null;
    return prepareDigit(this.grey(), this.canvas.width, this.canvas.height);
  }
}

/** Show a 784-value digit (0…1, white on black) in a small canvas; blank when null. */
export function showDigit(canvas, pixels) {
  canvas.width = SIZE;
  canvas.height = SIZE;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(SIZE, SIZE);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const v = pixels ? Math.round(pixels[i] * 255) : 0;
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** The run's model, reading 784-value digits. */
export class DigitClassifier extends RunModel {
  /** Ten probabilities for a 784-value digit; null without a model. */
  classify(pixels) {
    return this.probabilities(pixels, [1, SIZE, SIZE, 1]);
  }
}
