// The fitting lessons' model in its exported page: the model's curve over the run's
// points, x normalised as the product's FittingModel does.

/* global tf */

import { FittingModel } from "./fitting-model.js";
import { CurvePlot } from "./fitting-plot.js";

/**
 * Raw x values → the model's input, float32 [n, 1]: x' = (x − mean) / std.
 * @param {ArrayLike<number>} xs
 * @param {{normalization: {mean: number, std: number}}} page  metadata.json's page
 */
export function prepare(xs, { normalization: { mean, std } }) {
  return tf.tensor2d(Float32Array.from(xs, (x) => (x - mean) / std), [xs.length, 1], "float32");
}

/** The points and the model's curve over them; a click reads the curve at that x. */
export function show(root, model, metadata) {
  const page = metadata.page;
  root.innerHTML = `
    <p>The model's prediction of <em class="y-label"></em> from <em class="x-label"></em>
       over the run's training points (blue) and test points (orange).</p>
    <canvas class="curve" id="curve" aria-label="The model's curve over the data"></canvas>
    <p id="readout" aria-live="polite"></p>`;
  // The labels may come from a learner's CSV: text, never markup.
  root.querySelector(".y-label").textContent = page.yLabel;
  root.querySelector(".x-label").textContent = page.xLabel;
  const fitting = new FittingModel(model, page.normalization);
  const plot = new CurvePlot(root.querySelector("#curve"));
  plot.setData(page);
  const draw = () => plot.draw(fitting.predict(plot.sampleXs()));
  draw();
  addEventListener("resize", draw);
  const readout = root.querySelector("#readout");
  plot.canvas.addEventListener("click", (event) => {
    const box = plot.canvas.getBoundingClientRect();
    const g = plot.geometry();
    const [x0, x1] = plot.xRange;
    const x = x0 + ((event.clientX - box.left - g.px(x0)) / (g.px(x1) - g.px(x0))) * (x1 - x0);
    const [y] = fitting.predict(Float32Array.of(x));
    readout.textContent = `${page.xLabel} = ${x.toPrecision(4)} → ${page.yLabel} ≈ ${y.toPrecision(4)}`;
    Object.assign(readout.dataset, { x, output: y });
  });
}
