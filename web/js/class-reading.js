// Reading the network at one point (a click on the output map) and showing drawn points
// before their run starts: small pure helpers of the playground page.

/* global tf */

import { mostLikely } from "./class-colours.js";
import { featureMatrix } from "./features.js";

/**
 * The network's answer at (x1, x2): its class (classification) or value (regression).
 * @param {import("./dense-model.js").DenseModel} model
 * @returns {{text: string, cls: number | null}}
 */
export function readAt(model, features, problem, x1, x2) {
  const values = tf.tidy(() => model.model.predict(
    tf.tensor2d(featureMatrix(new Float32Array([x1, x2]), features), [1, features.length]),
  ).dataSync());
  const at = `At (${x1.toFixed(2)}, ${x2.toFixed(2)})`;
  if (problem !== "classification") return { text: `${at}: ${values[0].toFixed(3)}`, cls: null };
  const outputs = values.length;
  if (outputs > 1) {
    const { cls, p } = mostLikely(values, 0, outputs);
    return { text: `${at}: class ${cls} (${(100 * p).toFixed(0)}% sure)`, cls };
  }
  const cls = values[0] >= 0 ? 1 : 0;
  const side = cls === 1 ? "blue, +1" : "orange, −1";
  return { text: `${at}: class ${cls} (${side}; output ${values[0].toFixed(2)})`, cls };
}

/** Drawn points ([x1, x2, class]) with the labels their run will have: ±1 for two classes. */
export function previewRows(points) {
  const classes = Math.max(2, ...points.map((p) => p[2] + 1));
  const rows = points.map(([x1, x2, cls]) => [x1, x2, classes > 2 ? cls : cls === 1 ? 1 : -1]);
  return { rows, classes };
}
