// Heat maps and data points on canvases, with the playground's colour scale:
// orange #f59322 (-1) through light grey #e8eaeb (0) to blue #0877bd (+1).

import { fitCanvas } from "./canvas-size.js";

const STOPS = [
  [245, 147, 34],
  [232, 234, 235],
  [8, 119, 189],
];
/** Like the classic playground: 30 shades (31 colours), drawn at alpha 160 over white. */
const NUM_SHADES = 30;
const MAP_ALPHA = 160;

/** The continuous colour of a value, clamped to [-1, 1], as [r, g, b]. */
function colorOf(value) {
  const v = Math.max(-1, Math.min(1, Number.isFinite(value) ? value : 0));
  const [a, b, t] = v < 0 ? [STOPS[0], STOPS[1], v + 1] : [STOPS[1], STOPS[2], v];
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

export function cssColor(value) {
  const [r, g, b] = colorOf(value);
  return `rgb(${r},${g},${b})`;
}

// Packed RGBA (the byte order of the platform, for a Uint32Array view of ImageData).
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pack(r, g, b, a) {
  return LITTLE_ENDIAN
    ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0
    : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** 31 shades over [-1, 1] (d3.scale.quantize, as the classic playground's heat map). */
const SHADES = Uint32Array.from({ length: NUM_SHADES + 1 }, (_, i) => {
  const [r, g, b] = colorOf((2 * i) / NUM_SHADES - 1);
  return pack(r, g, b, MAP_ALPHA);
});
const NEG = SHADES[0];
const POS = SHADES[NUM_SHADES];

function shadeOf(value) {
  const k = SHADES.length;
  const i = Math.floor((k * (value + 1)) / 2);
  return SHADES[i < 0 ? 0 : i >= k ? k - 1 : i];
}

/**
 * A canvas showing one neuron's (or feature's) map. The canvas is `size` pixels
 * square and CSS scales it; each pixel takes the nearest sample of the source grid.
 */
export class HeatMap {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {number} size  canvas pixels per side
   * @param {number} density  samples per side of the source grid
   */
  constructor(canvas, size, density) {
    this.canvas = canvas;
    canvas.width = size;
    canvas.height = size;
    this.ctx = canvas.getContext("2d");
    this.image = this.ctx.createImageData(size, size);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.index = new Int32Array(size * size);
    const scale = (density - 1) / Math.max(1, size - 1);
    for (let y = 0; y < size; y++) {
      const row = Math.round(y * scale) * density;
      for (let x = 0; x < size; x++) this.index[y * size + x] = row + Math.round(x * scale);
    }
  }

  /**
   * Draw values[(sample) * stride + offset]; samples are row-major, row 0 at the top (the highest x2).
   * @param {ArrayLike<number>} values
   */
  draw(values, offset, stride, discretize) {
    const { pixels, index } = this;
    for (let p = 0; p < pixels.length; p++) {
      const v = values[index[p] * stride + offset];
      pixels[p] = discretize ? (v >= 0 ? POS : NEG) : shadeOf(v);
    }
    this.ctx.putImageData(this.image, 0, 0);
  }
}

/** The x (and y) of each grid sample over [low, high] in both axes; rows go from high down to low. */
export function gridPoints(density, [low, high]) {
  const points = new Float32Array(density * density * 2);
  const step = (high - low) / (density - 1);
  for (let row = 0; row < density; row++) {
    for (let col = 0; col < density; col++) {
      const p = 2 * (row * density + col);
      points[p] = low + col * step;
      points[p + 1] = high - row * step;
    }
  }
  return points;
}

/**
 * Draw data points on a canvas that covers `range` in both axes, sized for the
 * device's pixel ratio. Test points have a dark outline, training points a white one.
 * @param {HTMLCanvasElement} canvas
 * @param {{train: number[][], test: number[][], showTest: boolean, range: number[], radius?: number,
 *   colour?: (label: number) => string}} data
 */
export function drawPoints(canvas, { train, test, showTest, range, radius = 3.5, colour = cssColor }) {
  const fit = fitCanvas(canvas);
  if (!fit) return;
  const { ctx, width, height } = fit;
  const [low, high] = range;
  const scaleX = width / (high - low);
  const scaleY = height / (high - low);
  const plot = (points, stroke) => {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1;
    for (const [x1, x2, label] of points) {
      ctx.beginPath();
      ctx.arc((x1 - low) * scaleX, (high - x2) * scaleY, radius, 0, 2 * Math.PI);
      ctx.fillStyle = colour(label);
      ctx.fill();
      ctx.stroke();
    }
  };
  plot(train, "#fff");
  if (showTest) plot(test, "#000");
}
