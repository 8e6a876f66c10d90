// Colours for data with several classes: one hue per class, the classic's orange and
// blue first (so two drawn classes look like the classic's -1 and +1). The output map
// of a many-class network shows the most likely class's colour, lighter where the
// network is less sure (white where every class is equally likely).

import { cssColor } from "./heatmap.js";

/** Class 0 … 4: orange and blue as the classic, then green, purple and red. */
export const CLASS_COLOURS = Object.freeze([
  [245, 147, 34],
  [8, 119, 189],
  [44, 160, 44],
  [148, 103, 189],
  [214, 39, 40],
]);

const MAP_ALPHA = 160; // as the classic's heat map
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function pack(r, g, b, a) {
  return LITTLE_ENDIAN
    ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0
    : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** A point's CSS colour: the class colour for many classes, the classic's scale for ±1. */
export function pointColour(label, classes) {
  if (classes > 2) {
    const [r, g, b] = CLASS_COLOURS[label] ?? [0, 0, 0];
    return `rgb(${r},${g},${b})`;
  }
  return cssColor(label);
}

/** The class number of a drawn point's label as the run sees it (±1 for two classes). */
export function classOfLabel(label, classes) {
  return classes > 2 ? label : label > 0 ? 1 : 0;
}

/**
 * The most likely class and its probability at each sample of a softmax map.
 * @param {ArrayLike<number>} values  samples × classes
 */
export function mostLikely(values, sample, classes) {
  let best = 0;
  let p = values[sample * classes];
  for (let k = 1; k < classes; k++) {
    const q = values[sample * classes + k];
    if (q > p) {
      p = q;
      best = k;
    }
  }
  return { cls: best, p };
}

/**
 * The colour of a sample: its most likely class's colour mixed with white by how sure the
 * network is (1/K: white; 1: the full colour). `discretize` shows the full colour.
 */
export function classShade(cls, p, classes, discretize) {
  const sure = discretize ? 1 : Math.max(0, Math.min(1, (p - 1 / classes) / (1 - 1 / classes)));
  const [r, g, b] = CLASS_COLOURS[cls];
  const mix = (c) => Math.round(255 + (c - 255) * sure);
  return [mix(r), mix(g), mix(b)];
}

/**
 * Draw a softmax map on a HeatMap's canvas (see heatmap.js HeatMap: `pixels`, `index`).
 * @param {import("./heatmap.js").HeatMap} heat
 */
export function drawClassMap(heat, values, classes, discretize) {
  const { pixels, index } = heat;
  const cache = new Map();
  for (let p = 0; p < pixels.length; p++) {
    const { cls, p: prob } = mostLikely(values, index[p], classes);
    const level = discretize ? 30 : Math.round(prob * 30);
    const key = cls * 64 + level;
    let colour = cache.get(key);
    if (colour === undefined) {
      const [r, g, b] = classShade(cls, level / 30, classes, discretize);
      colour = pack(r, g, b, MAP_ALPHA);
      cache.set(key, colour);
    }
    pixels[p] = colour;
  }
  heat.ctx.putImageData(heat.image, 0, 0);
}

/** Fill the legend element with one swatch per class (empty for two classes). */
export function renderClassLegend(element, classes) {
  element.replaceChildren();
  element.hidden = classes <= 2;
  for (let k = 0; k < classes && classes > 2; k++) {
    const item = document.createElement("span");
    item.className = "class-legend-item";
    item.dataset.class = String(k);
    const swatch = document.createElement("span");
    swatch.className = "class-swatch";
    swatch.style.background = pointColour(k, classes);
    item.append(swatch, `Class ${k}`);
    element.appendChild(item);
  }
}
