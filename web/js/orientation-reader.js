// A photo read by the run's own model in the page: drop one (or take one with the
// camera), and the model, loaded with tf.loadLayersModel, says where its top points;
// the page shows what the model saw (the centred square at its input size) and the
// photo turned upright by that answer. No server round trip.

import { ARROWS, DIRECTIONS, drawArrow } from "./orientation-images.js";
import { ModelRefresh, RunModel } from "./run-model.js";

const $ = (id) => document.getElementById(id);
const MAX_PHOTO = 1024; // px: a dropped photo is kept at most this large on its longer side
const VIEW = 160; // px: the two canvases

/** The centred square of `source` (w×h) at side×side, as the server crops (bilinear). */
function centreSquare(source, width, height, side) {
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const size = Math.min(width, height);
  ctx.drawImage(source, (width - size) / 2, (height - size) / 2, size, size, 0, 0, side, side);
  return canvas;
}

/**
 * The model's input from a side×side canvas: pixels / 255, RGB, or grey for a digits
 * model (light paper turned dark, as MNIST's digits are white on black).
 */
export function modelInput(canvas, channels) {
  const side = canvas.width;
  const { data } = canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, side, side);
  const input = new Float32Array(side * side * channels);
  let sum = 0;
  for (let i = 0; i < side * side; i++) {
    if (channels === 3) {
      for (let c = 0; c < 3; c++) input[i * 3 + c] = data[i * 4 + c] / 255;
    } else {
      const grey = (0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2]) / 255;
      input[i] = grey;
      sum += grey;
    }
  }
  if (channels === 1 && sum / (side * side) > 0.5) {
    for (let i = 0; i < input.length; i++) input[i] = 1 - input[i];
  }
  return input;
}

export class PhotoReader {
  /** @param {import("./status-line.js").StatusLine} status  with a "model" part */
  constructor(status) {
    this.model = new RunModel();
    this.refresh = new ModelRefresh(this.model, {
      loaded: () => this.read(),
      failed: (error) => status.set("model", error
        ? `Could not load the model into the page (${error.message}); retrying` : ""),
    });
    this.photo = null; // {canvas, width, height, name}
    this.input = { side: 28, channels: 1 };
    this.prediction = null;
    this.probabilities = null;
    this.stream = null;
    this.bars = buildBars();
    this.bindDrop();
    this.bindCamera();
    this.read();
  }

  get run() {
    return this.refresh.run;
  }

  setRun(run) {
    this.refresh.setRun(run);
    if (run) this.input = { side: run.setup.imageSize, channels: run.setup.channels };
    this.read();
  }

  setState(state) {
    this.refresh.setState(state);
  }

  weightsPublished() {
    this.refresh.weightsPublished();
  }

  weightsChanged() {
    this.refresh.weightsChanged();
  }

  frame(now) {
    this.refresh.frame(now);
  }

  bindDrop() {
    const zone = $("photo-drop");
    const take = (files) => {
      const file = [...files].find((f) => f.type.startsWith("image/")) ?? files[0];
      if (file) this.open(file);
    };
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
      if (event.key === "Enter" || event.key === " ") $("photo-file").click();
    });
    $("photo-file").addEventListener("change", () => take($("photo-file").files));
  }

  bindCamera() {
    if (!navigator.mediaDevices?.getUserMedia) return;
    $("camera").hidden = false;
    $("camera").addEventListener("click", () => this.startCamera());
    $("camera-shot").addEventListener("click", () => this.takePicture());
  }

  async startCamera() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      $("reader-note").textContent = `The camera is not available (${error.message}).`;
      return;
    }
    const video = $("camera-video");
    video.srcObject = this.stream;
    video.hidden = false;
    $("camera-shot").hidden = false;
    await video.play();
  }

  takePicture() {
    const video = $("camera-video");
    if (!video.videoWidth) return;
    this.keep(video, video.videoWidth, video.videoHeight, "camera");
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    video.hidden = true;
    $("camera-shot").hidden = true;
  }

  /** A dropped or chosen file: decoded by the browser (EXIF orientation applied). */
  async open(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      $("reader-note").textContent = `${file.name} is not an image this browser can read.`;
      return;
    }
    this.keep(bitmap, bitmap.width, bitmap.height, file.name);
    bitmap.close();
  }

  keep(source, width, height, name) {
    const scale = Math.min(1, MAX_PHOTO / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    this.photo = { canvas, width: canvas.width, height: canvas.height, name };
    this.read();
  }

  /** Read the photo with the model: the direction, the four bars, the two canvases. */
  read() {
    const { photo } = this;
    const seen = $("photo-seen");
    const upright = $("photo-upright");
    seen.getContext("2d").clearRect(0, 0, VIEW, VIEW);
    upright.getContext("2d").clearRect(0, 0, VIEW, VIEW);
    this.prediction = null;
    this.probabilities = null;
    if (!photo) {
      this.show(null);
      $("reader-note").textContent = this.run
        ? "Drop a photo (or take one): the run's model says which way is up."
        : "Start a run: its model, loaded into this page, reads your photo here, with no trip to the server.";
      return;
    }
    const { side, channels } = this.input;
    const square = centreSquare(photo.canvas, photo.width, photo.height, side);
    const ctx = seen.getContext("2d");
    ctx.imageSmoothingEnabled = side >= 48;
    if (channels === 1) {
      const grey = modelInput(square, 1);
      const image = square.getContext("2d").createImageData(side, side);
      grey.forEach((v, i) => {
        image.data.set([v * 255, v * 255, v * 255, 255], i * 4);
      });
      square.getContext("2d").putImageData(image, 0, 0);
    }
    ctx.drawImage(square, 0, 0, VIEW, VIEW);
    const probabilities = this.model.probabilities(modelInput(square, channels),
      [1, side, side, channels]);
    if (!probabilities) {
      this.show(null);
      $("reader-note").textContent = this.run ? "Loading the model…" : "Start a run: its model reads your photo here.";
      return;
    }
    const direction = probabilities.indexOf(Math.max(...probabilities));
    this.prediction = DIRECTIONS[direction];
    this.probabilities = probabilities;
    drawArrow(ctx, VIEW - 22, 22, 32, direction, "#0877bd");
    this.drawUpright(direction);
    this.show(probabilities, direction);
    $("reader-note").textContent = `${photo.name}: ${(probabilities[direction] * 100).toFixed(1)}% sure, `
      + `with ${this.refresh.describe()}; turned ${["not at all", "a quarter turn to the left", "half a turn", "a quarter turn to the right"][direction]}.`;
  }

  /** The whole photo turned counter-clockwise by `direction` quarter turns, fitted in view. */
  drawUpright(direction) {
    const { canvas, width, height } = this.photo;
    const ctx = $("photo-upright").getContext("2d");
    const turned = direction % 2 === 1;
    const [w, h] = turned ? [height, width] : [width, height];
    const scale = Math.min(VIEW / w, VIEW / h);
    ctx.save();
    ctx.translate(VIEW / 2, VIEW / 2);
    ctx.rotate((-direction * Math.PI) / 2);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(canvas, (-width * scale) / 2, (-height * scale) / 2, width * scale, height * scale);
    ctx.restore();
  }

  show(probabilities, best = -1) {
    $("direction").textContent = probabilities ? `${ARROWS[best]} ${DIRECTIONS[best]}` : "–";
    $("direction").dataset.direction = probabilities ? DIRECTIONS[best] : "";
    $("direction-confidence").textContent = probabilities
      ? `${(probabilities[best] * 100).toFixed(1)}% sure` : "";
    this.bars.forEach(({ item, bar, value }, d) => {
      const p = probabilities ? probabilities[d] : 0;
      bar.style.height = `${(p * 100).toFixed(1)}%`;
      value.textContent = probabilities ? `${Math.round(p * 100)}` : "";
      item.classList.toggle("top", d === best);
    });
  }
}

/** One bar per direction in #direction-probabilities (the MNIST lab's bar styles). */
function buildBars() {
  const bars = DIRECTIONS.map((name, d) => {
    const bar = document.createElement("span");
    bar.className = "prob-bar";
    const track = document.createElement("span");
    track.className = "prob-track";
    track.append(bar);
    const value = document.createElement("span");
    value.className = "prob-value";
    const label = document.createElement("span");
    label.className = "prob-digit";
    label.textContent = ARROWS[d];
    label.title = name;
    const item = document.createElement("div");
    item.className = "prob";
    item.append(value, track, label);
    return { item, bar, value };
  });
  $("direction-probabilities").replaceChildren(...bars.map((b) => b.item));
  return bars;
}
