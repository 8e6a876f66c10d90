// MNIST's model in its exported page: a pad to draw a digit on, prepared as MNIST's
// digits were (mnist-preprocess.js, the product's own), and the ten probabilities.

/* global tf */

import { DrawPad, showDigit } from "./mnist-draw.js";
import { SIZE } from "./mnist-preprocess.js";

/**
 * Raw 28×28 grey images (0 … 255, white digit on black) → the model's input,
 * float32 [n, 28, 28, 1] in [0, 1].
 * @param {number[][][]} images
 */
export function prepare(images) {
  return tf.tidy(() => tf.tensor(images, undefined, "float32").div(255).reshape([-1, SIZE, SIZE, 1]));
}

function bars(list) {
  list.innerHTML = Array.from({ length: 10 }, (_, digit) =>
    `<li><b>${digit}</b><span class="bar"><span style="width:0"></span></span>` +
    `<span class="value">–</span></li>`).join("");
  return [...list.children];
}

/** The pad, what the model sees, and its ten probabilities after each stroke. */
export function show(root, model) {
  root.innerHTML = `
    <div class="row">
      <div>
        <canvas class="pad" id="pad" width="280" height="280"
                aria-label="Draw a digit here"></canvas>
        <p><button type="button" id="clear">Clear</button>
           <span class="hint">Draw one digit, large, in the middle.</span></p>
      </div>
      <div>
        <p>What the model sees (28×28): <canvas class="digit" id="seen"></canvas></p>
        <ol class="bars" id="bars" start="0" aria-label="Probability of each digit"></ol>
        <p id="readout" aria-live="polite"></p>
      </div>
    </div>`;
  const rows = bars(root.querySelector("#bars"));
  const seen = root.querySelector("#seen");
  const readout = root.querySelector("#readout");
  showDigit(seen, null);
  const classify = () => {
    const digit = pad.digit();
    showDigit(seen, digit);
    if (!digit) return;
    const out = tf.tidy(() => model.predict(tf.tensor4d(digit, [1, SIZE, SIZE, 1])));
    const probabilities = Array.from(out.dataSync());
    out.dispose();
    const best = probabilities.indexOf(Math.max(...probabilities));
    rows.forEach((row, d) => {
      row.classList.toggle("top", d === best);
      row.querySelector(".bar span").style.width = `${(probabilities[d] * 100).toFixed(1)}%`;
      row.querySelector(".value").textContent = `${(probabilities[d] * 100).toFixed(1)}%`;
    });
    readout.textContent = `It reads ${best} (${(probabilities[best] * 100).toFixed(1)}%).`;
    readout.dataset.probabilities = JSON.stringify(probabilities);
    readout.dataset.digit = best;
  };
  const pad = new DrawPad(root.querySelector("#pad"), { onChange: (final) => final && classify() });
  root.querySelector("#clear").addEventListener("click", () => {
    pad.clear();
    showDigit(seen, null);
    rows.forEach((row) => {
      row.classList.remove("top");
      row.querySelector(".bar span").style.width = "0";
      row.querySelector(".value").textContent = "–";
    });
    readout.textContent = "";
  });
}
