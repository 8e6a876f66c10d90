// "Which way is up?"'s model in its exported page: drop a photo (or choose one), and the
// model says where its top points, with its four probabilities, what it saw (the centred
// square at its input size, prepared as the orientation page prepares it:
// orientation-photo.js, the product's own) and the photo turned upright by its answer.

/* global tf */

import { ARROWS, DIRECTIONS, drawArrow } from "./orientation-images.js";
import {
  centreSquare, drawUpright, firstImage, modelInput, readPhoto, showGrey, TURNS,
} from "./orientation-photo.js";

const VIEW = 200; // px: the two canvases

/**
 * Raw images (side×side grey levels, or side×side×3 RGB values, 0 … 255) → the model's
 * input, float32 [n, side, side, channels] in [0, 1], as the trainer scales its batches.
 * @param {number[][][]|number[][][][]} images
 * @param {{imageSize: number, channels: number}} page  metadata.json's page
 */
export function prepare(images, { imageSize, channels }) {
  return tf.tidy(() => tf.tensor(images, undefined, "float32").div(255)
    .reshape([-1, imageSize, imageSize, channels]));
}

function bars(list) {
  list.innerHTML = DIRECTIONS.map((name, d) =>
    `<li title="${name}"><b>${ARROWS[d]}</b><span class="bar"><span style="width:0"></span></span>` +
    `<span class="value">–</span></li>`).join("");
  return [...list.children];
}

/** The drop zone, the two canvases, the direction and its four probabilities. */
export function show(root, model, metadata) {
  const { imageSize: side, channels } = metadata.page;
  const kind = channels === 1 ? "a digit (white on black, or dark ink on light paper)" : "a photo";
  root.innerHTML = `
    <label class="photo-drop" id="photo-drop" tabindex="0">
      Drop ${kind} here, or click to choose one.
      <input id="photo-file" type="file" accept="image/*" hidden>
    </label>
    <div class="row">
      <figure>
        <canvas class="photo" id="photo-seen" width="${VIEW}" height="${VIEW}"
                aria-label="The photo as the model sees it"></canvas>
        <figcaption>What the model sees (${side}×${side}${channels === 1 ? ", grey" : ""})</figcaption>
      </figure>
      <figure>
        <canvas class="photo" id="photo-upright" width="${VIEW}" height="${VIEW}"
                aria-label="The photo turned upright by the model's answer"></canvas>
        <figcaption>Turned upright by its answer</figcaption>
      </figure>
      <div>
        <p class="direction">Its top points <output id="direction">–</output></p>
        <ol class="bars" id="bars" aria-label="Probability of each direction"></ol>
      </div>
    </div>
    <p id="readout" aria-live="polite"></p>`;
  const rows = bars(root.querySelector("#bars"));
  const seen = root.querySelector("#photo-seen");
  const upright = root.querySelector("#photo-upright");
  const readout = root.querySelector("#readout");

  const read = (photo) => {
    const square = centreSquare(photo.canvas, photo.width, photo.height, side);
    const input = modelInput(square, channels);
    if (channels === 1) showGrey(square, input);
    const ctx = seen.getContext("2d");
    ctx.clearRect(0, 0, VIEW, VIEW);
    ctx.imageSmoothingEnabled = side >= 48;
    ctx.drawImage(square, 0, 0, VIEW, VIEW);
    const out = tf.tidy(() => model.predict(tf.tensor4d(input, [1, side, side, channels])));
    const probabilities = Array.from(out.dataSync());
    out.dispose();
    const best = probabilities.indexOf(Math.max(...probabilities));
    drawArrow(ctx, VIEW - 24, 24, 36, best, "#0877bd");
    drawUpright(upright, photo, best);
    root.querySelector("#direction").textContent = `${ARROWS[best]} ${DIRECTIONS[best]}`;
    rows.forEach((row, d) => {
      const percent = `${(probabilities[d] * 100).toFixed(1)}%`;
      row.classList.toggle("top", d === best);
      row.querySelector(".bar span").style.width = percent;
      row.querySelector(".value").textContent = percent;
    });
    readout.textContent = `${photo.name}: its top points ${DIRECTIONS[best]} ` +
      `(${(probabilities[best] * 100).toFixed(1)}% sure); turned ${TURNS[best]} to stand upright.`;
    Object.assign(readout.dataset, {
      direction: DIRECTIONS[best], probabilities: JSON.stringify(probabilities),
    });
  };

  const take = async (files) => {
    const file = firstImage(files);
    if (!file) return;
    try {
      read(await readPhoto(file));
    } catch (error) {
      readout.textContent = error.message;
      delete readout.dataset.direction;
    }
  };
  const zone = root.querySelector("#photo-drop");
  const input = root.querySelector("#photo-file");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    take(event.dataTransfer.files);
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  input.addEventListener("change", () => take(input.files));
}
