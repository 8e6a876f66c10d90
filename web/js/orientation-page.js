// "Which way is up?": wires the data card (orientation-data.js), the MNIST lab's model
// editor and run control, the run's live views (orientation-progress.js) and the photo
// reader (orientation-reader.js, with TensorFlow.js on the backend backend.js picks).
// The newest of each event kind is drawn once per animation frame.

import { ApiError, api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { ModelEditor } from "./mnist-editor.js";
import { LabRunControl } from "./mnist-run-control.js";
import { DataPicker } from "./orientation-data.js";
import { OrientationProgress } from "./orientation-progress.js";
import { PhotoReader } from "./orientation-reader.js";
import { bindShortcuts } from "./shortcuts.js";
import { StatusLine } from "./status-line.js";

const $ = (id) => document.getElementById(id);

const page = {
  catalog: null, // the catalogue's orientation section
  data: null,
  editor: null,
  control: null,
  progress: null,
  reader: null,
  status: new StatusLine(["message", "model", "notice", "connection", "run"],
    { quiet: ["run", "notice"] }),
};

const NOTES = {
  diverged: "Training diverged (the loss is not a number): lower the learning rate and start again.",
  stopped: "This run was stopped; press Start for a new one.",
  finished: "Finished: the epoch budget is spent. Drop a photo, or download the model.",
};

/** What tests read; nothing in the page depends on it. */
window.__orientation = {
  ready: false,
  backend: null,
  get runId() { return page.control?.run?.id ?? null; },
  get state() { return page.control?.shown ?? null; },
  get evaluations() { return page.progress?.evaluations ?? 0; },
  get modelLoads() { return page.reader?.refresh.loads ?? 0; },
  get prediction() { return page.reader?.prediction ?? null; },
  get probabilities() { return page.reader?.probabilities ?? null; },
  get uploadId() { return page.data?.upload?.id ?? null; },
  get kept() { return page.data?.kept ?? 0; },
  get rejected() { return page.data?.rejected ?? []; },
  get perClass() { return page.progress?.perClass ?? null; },
  get perGroup() { return page.progress?.perGroup ?? null; },
  galleries: () => ({ pass: page.progress?.views.pass.count ?? 0, fail: page.progress?.views.fail.count ?? 0 }),
  confusionTotal: () => page.progress?.views.confusion.total ?? 0,
  accuracyPoints: () => page.progress?.views.accuracy.points ?? 0,
  body: () => page.editor?.body() ?? null,
  tensors: () => window.tf?.memory().numTensors ?? 0,
};

// -- errors ---------------------------------------------------------------------------------

function showError(prefix, error) {
  console.warn(prefix, error);
  let text = error.message;
  if (error instanceof ApiError && error.field === "dataset") text = text.replace(/^dataset: /, "");
  $("error").textContent = prefix ? `${prefix}: ${text}` : text;
  $("error").hidden = false;
  if (error instanceof ApiError) page.editor?.markInvalid(error.field);
  if (error instanceof ApiError && error.field === "upload" && /no upload set/.test(error.message)) {
    page.data?.forgetSet(); // gone with its last run: the next drop starts a new set
  }
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
  page.editor?.markInvalid(null);
}

// -- the data and the model ---------------------------------------------------------------

/** The catalogue as the editor takes it: presets with their layers for this input. */
function editorCatalog() {
  const { catalog, data } = page;
  const info = data.info;
  return {
    ...catalog,
    presets: presetsFor(data.side, info),
    limits: { ...catalog.limits, trainImages: info.trainImages },
    defaults: { ...catalog.defaults, trainImages: info.defaults.trainImages },
  };
}

function presetsFor(side, info) {
  return page.catalog.presets.map((preset) => ({
    ...preset,
    spec: { ...preset.spec, layers: preset.layersBySize[String(side)], epochs: info.defaults.epochs },
  }));
}

function dataChanged() {
  const { data, editor } = page;
  const { side, channels } = data.input;
  $("input-shape").textContent = `${side}×${side}×${channels} image`;
  editor.reconfigure({
    input: data.input, presets: presetsFor(side, data.info), trainImagesLimit: data.info.trainImages,
    trainImages: data.info.defaults.trainImages,
  });
  clearError();
}

// -- runs -------------------------------------------------------------------------------------

function showRun(run) {
  $("code").textContent = run.setup.code;
  $("snippet").textContent = run.setup.snippet;
  const reported = run.setup.preset === "talk" || run.spec.preset === "talk"
    ? { value: page.catalog.reported.accuracy, label: "the talk: 83% on new COCO photos" } : null;
  page.progress.reset(run, reported);
  page.reader.setRun(run);
  const { trainPhotos, testPhotos } = run.setup;
  $("use-note").textContent = `The zip holds model.json and its weights (TensorFlow.js), model.keras and `
    + `metadata.json, which says how to prepare an image: ${run.setup.preprocessing.description}.`;
  if (run.setup.dataset !== "digits") {
    page.status.set("message", `Training on ${trainPhotos.length} photos, testing on ${testPhotos.length} others.`);
  }
}

function frame(now) {
  const { control, progress, reader } = page;
  const metrics = control.session.take("metrics");
  if (metrics) progress.showMetrics(metrics);
  const panels = control.session.take("panels");
  if (panels) {
    progress.showPanels(panels);
    reader.weightsPublished();
  }
  const evaluation = control.session.take("evaluation");
  if (evaluation) progress.showEvaluation(evaluation);
  progress.draw();
  reader.frame(now);
  requestAnimationFrame(frame);
}

// -- start-up ---------------------------------------------------------------------------------

async function showBackend() {
  try {
    const backend = await chooseBackend();
    window.__orientation.backend = backend.name;
    page.status.showBackend(backend);
  } catch (error) {
    console.warn("No TensorFlow.js backend", error);
    $("backend").textContent = "TensorFlow.js could not start: reading a photo will not work";
  }
}

async function init() {
  page.progress = new OrientationProgress();
  page.reader = new PhotoReader(page.status);
  page.control = new LabRunControl(page.status, {
    spec: () => page.editor.body(),
    show: showRun,
    status: (state) => page.reader.setState(state),
    stepped: () => page.reader.weightsChanged(),
    error: showError,
    clearError,
    notes: NOTES,
  });
  bindShortcuts({
    " ": (event) => {
      if (!event.repeat) page.control.togglePause();
    },
  });
  const backend = showBackend();
  try {
    const catalog = await api.catalog();
    if (!catalog.orientation) throw new Error("this server has no orientation lesson");
    page.catalog = catalog.orientation;
    page.data = new DataPicker(page.catalog, { onChange: dataChanged });
    page.editor = new ModelEditor(editorCatalog(), {
      onChange: () => page.editor?.markInvalid(null),
      problem: "orientation",
      input: page.data.input,
      classes: 4,
      extraBody: () => page.data.body(),
    });
    page.editor.choose(page.catalog.defaults.preset);
    dataChanged();
  } catch (error) {
    showError("Could not load the catalogue", error);
    $("start").disabled = true;
  }
  page.progress.reset(null);
  await backend;
  document.body.classList.remove("loading");
  document.body.dataset.ready = "true";
  window.__orientation.ready = true;
  requestAnimationFrame(frame);
}

init();
