// A photo read by the run's own model in the page: drop one (or take one with the
// camera), and the model, loaded with tf.loadLayersModel, says where its top points;
// the page shows what the model saw (the centred square at its input size) and the
// photo turned upright by that answer. No server round trip.

import { ARROWS, DIRECTIONS, drawArrow } from "./orientation-images.js";
import {
  centreSquare, drawUpright, firstImage, keepPhoto, modelInput, readPhoto, showGrey, TURNS,
} from "./orientation-photo.js";
import { ModelRefresh, RunModel } from "./run-model.js";

const $ = (id) => document.getElementById(id);
const VIEW = 160; // px: the two canvases

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
      const file = firstImage(files);
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
    try {
      this.photo = await readPhoto(file);
    } catch (error) {
      $("reader-note").textContent = error.message;
      return;
    }
    this.read();
  }

  keep(source, width, height, name) {
    this.photo = keepPhoto(source, width, height, name);
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
    if (channels === 1) showGrey(square, modelInput(square, 1));
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
    drawUpright(upright, photo, direction);
    this.show(probabilities, direction);
    $("reader-note").textContent = `${photo.name}: ${(probabilities[direction] * 100).toFixed(1)}% sure, `
      + `with ${this.refresh.describe()}; turned ${TURNS[direction]}.`;
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
