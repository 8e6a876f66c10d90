// The playground's model in its exported page: the output map over the input range,
// the run's points over it, and a click that classifies a point. Inputs are prepared
// by the product's own features.js, so they are the product's inputs to the bit.

/* global tf */

import { mostLikely } from "./class-colours.js";
import { featureMatrix } from "./features.js";
import { gridPoints } from "./heatmap.js";
import { OutputView } from "./output-view.js";

const DENSITY = 100; // grid samples per side, as the product's map

/**
 * Raw points [[x1, x2], …] → the model's input, float32 [n, features].
 * @param {number[][] | Float32Array} points  pairs, or interleaved x1, x2 values
 * @param {{features: string[]}} page  metadata.json's page
 */
export function prepare(points, { features }) {
  const matrix = featureMatrix(points, features);
  return tf.tensor2d(matrix, [matrix.length / features.length, features.length], "float32");
}

function predict(model, points, page) {
  const out = tf.tidy(() => model.predictOnBatch(prepare(points, page)));
  const values = out.dataSync();
  out.dispose();
  return values;
}

/** Several classes (softmax outputs): the most likely one and how sure the model is. */
function describeClasses(values, classes) {
  const { cls, p } = mostLikely(values, 0, classes);
  return { text: `class ${cls} (probability ${p.toFixed(3)})`, label: cls };
}

function describe(value, classification) {
  if (!classification) return { text: `predicted value ${value.toFixed(3)}`, label: null };
  const label = value >= 0 ? 1 : -1;
  const name = label > 0 ? "class +1 (blue)" : "class −1 (orange)";
  return { text: `output ${value.toFixed(3)}: ${name}`, label };
}

/** Draw the map and points; a click on the map classifies the point under the pointer. */
export function show(root, model, metadata) {
  const page = metadata.page;
  const classification = page.problemType === "classification";
  const classes = page.classes ?? 2; // more than 2: one softmax output per class
  root.innerHTML = `
    <div class="row">
      <div class="heatmap" id="heatmap">
        <canvas class="heat" aria-label="The model's output over the input space"></canvas>
        <canvas class="points"></canvas>
        <svg class="axes" aria-hidden="true"></svg>
      </div>
      <div>
        <p>The model's output over x1, x2 ∈ [${page.inputRange.join(", ")}]
           (${classes > 2 ? "coloured by the most likely class, lighter where the model is less sure"
    : "blue &gt; 0, orange &lt; 0"}), with the run's training points (white rim) and
           test points (dark rim).</p>
        <p><strong>Click the map</strong> to ${classification ? "classify" : "predict"} a point.</p>
        <p id="readout" aria-live="polite"></p>
      </div>
    </div>`;
  const map = root.querySelector("#heatmap");
  const view = new OutputView(map, { density: DENSITY, range: page.inputRange });
  const values = predict(model, gridPoints(DENSITY, page.inputRange), page);
  if (classes > 2) view.drawClasses(values, classes, false);
  else view.draw(values, 0, 1, false);
  view.setData(page.train, page.test, classes);
  view.setShowTest(true);

  const readout = root.querySelector("#readout");
  const [low, high] = page.inputRange;
  map.querySelector("canvas.points").addEventListener("click", (event) => {
    const box = event.currentTarget.getBoundingClientRect();
    const x1 = low + ((event.clientX - box.left) / box.width) * (high - low);
    const x2 = high - ((event.clientY - box.top) / box.height) * (high - low);
    const outputs = predict(model, [[x1, x2]], page);
    const [value] = outputs;
    const { text, label } = classes > 2 ? describeClasses(outputs, classes)
      : describe(value, classification);
    readout.textContent = `(x1, x2) = (${x1.toFixed(2)}, ${x2.toFixed(2)}) → ${text}`;
    Object.assign(readout.dataset, { x1, x2, output: value, label: label ?? "" });
  });
  addEventListener("resize", () => view.drawPoints());
}
