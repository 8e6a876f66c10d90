// MNIST-style preprocessing of a drawn digit, as pure functions (no DOM, no TensorFlow):
// importable in the page and in Node alike.
//
// MNIST's digits were size-normalised to fit a 20×20 box keeping their aspect ratio
// (anti-aliased), then placed in the 28×28 field so that their centre of mass falls on
// its centre. Measured on the training images, the centre of mass sits at (14, 14) in
// pixel-index coordinates (0..27), spread ±0.29 px: the translation was a whole number
// of pixels. `prepareDigit` does the same to a drawing.

export const SIZE = 28;
const BOX = 20;
const CENTRE = 14;
/** Grey values at or below this are paper, not ink (canvas anti-aliasing leaves a faint halo). */
const INK_THRESHOLD = 0.05;

/**
 * The ink's bounding box: {left, top, right, bottom} with right/bottom exclusive; null when blank.
 * @param {ArrayLike<number>} grey  row-major, 0 (paper) … 1 (ink)
 */
function inkBounds(grey, width, height, threshold = INK_THRESHOLD) {
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (grey[row + x] > threshold) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  if (right < 0) return null;
  return { left, top, right: right + 1, bottom: bottom + 1 };
}

/**
 * For each of `count` target cells covering [start, start + span) of the source axis: the
 * source indices it overlaps and the overlap lengths divided by the cell's length
 * (area averaging: a box filter, which anti-aliases when shrinking).
 */
function axisWeights(start, span, count) {
  const step = span / count;
  const cells = [];
  for (let i = 0; i < count; i++) {
    const from = start + i * step;
    const to = from + step;
    const taps = [];
    for (let s = Math.floor(from); s < Math.ceil(to); s++) {
      const overlap = Math.min(to, s + 1) - Math.max(from, s);
      if (overlap > 1e-9) taps.push([s, overlap / step]);
    }
    cells.push(taps);
  }
  return cells;
}

/**
 * Resample the source rectangle (x, y, w, h) of `grey` to outW × outH by area averaging.
 * @returns {Float32Array} outW × outH, row-major
 */
function resampleArea(grey, width, x, y, w, h, outW, outH) {
  const columns = axisWeights(x, w, outW);
  const rows = axisWeights(y, h, outH);
  // Horizontal pass over the rows the target needs, then vertical.
  const firstRow = Math.floor(y);
  const lastRow = Math.ceil(y + h);
  const across = new Float32Array((lastRow - firstRow) * outW);
  for (let sy = firstRow; sy < lastRow; sy++) {
    const src = sy * width;
    const dst = (sy - firstRow) * outW;
    for (let i = 0; i < outW; i++) {
      let sum = 0;
      for (const [sx, weight] of columns[i]) sum += grey[src + sx] * weight;
      across[dst + i] = sum;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let j = 0; j < outH; j++) {
    for (const [sy, weight] of rows[j]) {
      const src = (sy - firstRow) * outW;
      for (let i = 0; i < outW; i++) out[j * outW + i] += across[src + i] * weight;
    }
  }
  return out;
}

/** Centre of mass in pixel-index coordinates; null for an image with no ink. */
function centreOfMass(image, width, height) {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = image[y * width + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass, mass } : null;
}

/**
 * A drawing as MNIST would have it: crop the ink, fit it in 20×20 keeping the aspect
 * ratio (area-averaged), and place it in 28×28 with its centre of mass at (14, 14).
 *
 * @param {ArrayLike<number>} grey  the drawing, row-major, 0 (paper) … 1 (ink); e.g. a
 *   280×280 canvas' red channel / 255 for white strokes on black
 * @returns {Float32Array|null}  784 values in [0, 1] (white digit on black), or null when blank
 */
export function prepareDigit(grey, width = 280, height = 280) {
  const bounds = inkBounds(grey, width, height);
  if (!bounds) return null;
  const w = bounds.right - bounds.left;
  const h = bounds.bottom - bounds.top;
  const scale = BOX / Math.max(w, h);
  const outW = Math.min(BOX, Math.max(1, Math.round(w * scale)));
  const outH = Math.min(BOX, Math.max(1, Math.round(h * scale)));
  const small = resampleArea(grey, width, bounds.left, bounds.top, w, h, outW, outH);
  const centre = centreOfMass(small, outW, outH);
  if (!centre) return null;
  const dx = Math.round(CENTRE - centre.x);
  const dy = Math.round(CENTRE - centre.y);
  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < outH; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= SIZE) continue;
    for (let x = 0; x < outW; x++) {
      const tx = x + dx;
      if (tx < 0 || tx >= SIZE) continue;
      out[ty * SIZE + tx] = Math.min(1, Math.max(0, small[y * outW + x]));
    }
  }
  return out;
}
