// The playground's seven input features: the JavaScript twin of server/features.py.
//
// The server trains on feature_matrix(points, keys); the page feeds its 100x100
// grid (and each feature node's small map) through featureMatrix here. Both put
// the selected features in the fixed order of FEATURES, whatever order the
// selection comes in, so the first layer's weights mean the same inputs on both
// sides. Plain ES module, no build step: runs in browsers and in Node.

/** @typedef {{key: string, label: string, expression: string, fn: (x1: number, x2: number) => number}} Feature */

/** @type {ReadonlyArray<Readonly<Feature>>} The features in the network's input order. */
export const FEATURES = Object.freeze(
  [
    { key: "x", label: "X\u2081", expression: "x1", fn: (x1, x2) => x1 },
    { key: "y", label: "X\u2082", expression: "x2", fn: (x1, x2) => x2 },
    { key: "xSquared", label: "X\u2081\u00b2", expression: "x1 * x1", fn: (x1, x2) => x1 * x1 },
    { key: "ySquared", label: "X\u2082\u00b2", expression: "x2 * x2", fn: (x1, x2) => x2 * x2 },
    { key: "xTimesY", label: "X\u2081X\u2082", expression: "x1 * x2", fn: (x1, x2) => x1 * x2 },
    { key: "sinX", label: "sin(X\u2081)", expression: "sin(x1)", fn: (x1, x2) => Math.sin(x1) },
    { key: "sinY", label: "sin(X\u2082)", expression: "sin(x2)", fn: (x1, x2) => Math.sin(x2) },
  ].map((feature) => Object.freeze(feature)),
);

/** The feature keys in input order (also the URL keys that toggle them). */
const FEATURE_KEYS = Object.freeze(FEATURES.map((feature) => feature.key));

const BY_KEY = new Map(FEATURES.map((feature) => [feature.key, feature]));

function lookup(key) {
  const feature = BY_KEY.get(key);
  if (!feature) {
    const known = FEATURE_KEYS.join(", ");
    throw new RangeError(`unknown feature ${JSON.stringify(key)}; expected some of ${known}`);
  }
  return feature;
}

/**
 * The value of one feature at (x1, x2), as a double.
 * @param {string} key
 * @param {number} x1
 * @param {number} x2
 * @returns {number}
 */
export function featureValue(key, x1, x2) {
  return lookup(key).fn(x1, x2);
}

/**
 * The selected features in input order (FEATURES order), duplicates dropped.
 * @param {Iterable<string>} keys
 * @returns {Feature[]}
 */
function orderedFeatures(keys) {
  if (typeof keys === "string") {
    throw new TypeError("keys must be a list of feature keys, not one string");
  }
  const chosen = new Set();
  for (const key of keys) chosen.add(lookup(key).key);
  if (chosen.size === 0) {
    throw new RangeError("no features selected: the network needs at least one input");
  }
  return FEATURES.filter((feature) => chosen.has(feature.key));
}

/**
 * The network's input matrix for the points, row-major n x k.
 *
 * `points` is either an array of pairs ([x1, x2] arrays or 2-element typed
 * arrays; longer rows such as [x1, x2, label] work too) or one flat typed array
 * of interleaved x1, x2 values. Values are computed as doubles and stored as
 * float32, as server/features.py does.
 *
 * @param {ArrayLike<ArrayLike<number>> | Float32Array | Float64Array} points
 * @param {Iterable<string>} keys
 * @returns {Float32Array}
 */
export function featureMatrix(points, keys) {
  const fns = orderedFeatures(keys).map((feature) => feature.fn);
  const k = fns.length;
  const flat = ArrayBuffer.isView(points);
  if (flat && points.length % 2 !== 0) {
    throw new RangeError("a flat typed array of points needs an even length (x1, x2 pairs)");
  }
  const n = flat ? points.length / 2 : points.length;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let x1;
    let x2;
    if (flat) {
      x1 = points[2 * i];
      x2 = points[2 * i + 1];
    } else {
      const point = points[i];
      x1 = point[0];
      x2 = point[1];
    }
    const row = i * k;
    for (let c = 0; c < k; c++) out[row + c] = fns[c](x1, x2);
  }
  return out;
}
