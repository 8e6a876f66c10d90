// The MNIST lab: wires the preset picker and model editor (mnist-editor.js), the run
// (mnist-run-control.js), its live figures and panels (mnist-progress.js), which panels
// show (mnist-views.js) and the drawing pad the run's model reads (mnist-reading.js,
// with TensorFlow.js on the backend backend.js picks). The newest of each event kind is
// drawn once per animation frame.

import { ApiError, api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { ModelEditor, reportedAccuracy } from "./mnist-editor.js";
import { LabProgress } from "./mnist-progress.js";
import { DigitReader } from "./mnist-reading.js";
import { LabRunControl } from "./mnist-run-control.js";
import { PanelViews } from "./mnist-views.js";
import { linkExperiments } from "./experiment-link.js";
import { bindShortcuts } from "./shortcuts.js";
import { StatusLine } from "./status-line.js";

const $ = (id) => document.getElementById(id);

const lab = {
  catalog: null, // the catalogue's mnist section
  editor: null,
  control: null,
  progress: null,
  views: null,
  reader: null,
  status: new StatusLine(["message", "model", "notice", "connection", "run"],
    { quiet: ["run", "notice"] }),
};

/** What tests read; nothing in the page depends on it. */
window.__mnist = {
  ready: false,
  backend: null,
  get runId() { return lab.control?.run?.id ?? null; },
  get state() { return lab.control?.shown ?? null; },
  get view() { return lab.views?.view ?? "0"; },
  get panelsEvents() { return lab.progress?.panelsEvents ?? 0; },
  get evaluations() { return lab.progress?.evaluations ?? 0; },
  get modelLoads() { return lab.reader?.modelLoads ?? 0; },
  get prediction() { return lab.reader?.prediction ?? null; },
  get probabilities() { return lab.reader?.probabilities ?? null; },
  accuracyPoints: () => lab.progress?.views.accuracy.points ?? 0,
  lossPoints: () => lab.progress?.views.loss.points ?? 0,
  bandPoints: () => (lab.progress?.views.weights.points ?? 0) + (lab.progress?.views.biases.points ?? 0),
  trainDigits: () => lab.progress?.views.trainDigits.count ?? 0,
  testDigits: () => lab.progress?.views.testDigits.count ?? 0,
  confusionTotal: () => lab.progress?.views.confusion.total ?? 0,
  weightMapsShown: () => lab.progress?.views.weightMaps.shown ?? false,
  visiblePanels: () => lab.views?.visible() ?? [],
  tensors: () => window.tf?.memory().numTensors ?? 0,
};

// -- errors ---------------------------------------------------------------------------------

function showError(prefix, error) {
  console.warn(prefix, error);
  let text = error.message;
  if (error instanceof ApiError && error.field === "problem") {
    text = text.replace(/^problem: /, ""); // the server's own words on getting MNIST
  }
  $("error").textContent = prefix ? `${prefix}: ${text}` : text;
  $("error").hidden = false;
  if (error instanceof ApiError) lab.editor?.markInvalid(error.field);
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
  lab.editor?.markInvalid(null);
}

// -- runs -------------------------------------------------------------------------------------

/** Make a new run the lab's: its code, its panels emptied, the talk's figure for its preset. */
function showRun(run) {
  $("code").textContent = run.setup.code;
  const preset = lab.catalog.presets.find((p) => p.key === run.setup.preset);
  const reported = reportedAccuracy(preset?.reported);
  lab.progress.reset(run, reported === null ? null
    : { value: reported, label: `the talk reports ${preset.reported.split(",")[0]}` });
  lab.reader.setRun(run);
}

function frame(now) {
  const { control, progress } = lab;
  const metrics = control.session.take("metrics");
  if (metrics) progress.showMetrics(metrics);
  const panels = control.session.take("panels");
  if (panels) {
    progress.showPanels(panels);
    lab.reader.weightsPublished();
  }
  const evaluation = control.session.take("evaluation");
  if (evaluation) progress.showEvaluation(evaluation);
  progress.draw(lab.views.visible());
  lab.reader.frame(now);
  requestAnimationFrame(frame);
}

// -- start-up ---------------------------------------------------------------------------------

async function showBackend() {
  try {
    const backend = await chooseBackend();
    window.__mnist.backend = backend.name;
    lab.status.showBackend(backend);
  } catch (error) {
    console.warn("No TensorFlow.js backend", error);
    $("backend").textContent = "TensorFlow.js could not start: drawing a digit will not work";
  }
}

async function init() {
  lab.progress = new LabProgress();
  lab.reader = new DigitReader(lab.status);
  lab.views = new PanelViews({ onChange: () => lab.progress.markDirty() });
  lab.control = new LabRunControl(lab.status, {
    spec: () => lab.editor.body(),
    show: showRun,
    status: (state) => lab.reader.setState(state),
    stepped: () => lab.reader.weightsChanged(),
    error: showError,
    clearError,
  });
  bindShortcuts({
    ...lab.views.keys(),
    // Space pauses and resumes even when a button has the focus (Enter still presses it).
    " ": (event) => {
      if (!event.repeat) lab.control.togglePause();
    },
  });

  const backend = showBackend();
  try {
    const catalog = await api.catalog();
    if (!catalog.mnist) throw new Error("this server has no MNIST lab");
    lab.catalog = catalog.mnist;
    lab.editor = new ModelEditor(lab.catalog, { onChange: () => lab.editor?.markInvalid(null) });
  } catch (error) {
    showError("Could not load the catalogue", error);
    $("start").disabled = true;
  }
  linkExperiments($("experiments-link"), () => lab.editor?.body());
  lab.progress.reset(null);
  lab.views.show("0");
  await backend;
  document.body.classList.remove("loading");
  document.body.dataset.ready = "true";
  window.__mnist.ready = true;
  requestAnimationFrame(frame);
}

init();
