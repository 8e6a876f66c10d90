// The MNIST lab: the preset picker and model editor, the run on the server (start,
// pause / resume, step), its six live panels, the confusion matrix and weight maps,
// and a drawing pad classified in the browser by the run's own model (TensorFlow.js,
// on the backend backend.js picks). The newest of each event kind is drawn once per
// animation frame, and only for the panels on show.

import { api, ApiError } from "./api.js";
import { chooseBackend } from "./backend.js";
import { BandChart, COLORS, CurveChart, formatCount } from "./mnist-charts.js";
import { ConfusionMatrix, DigitGrid, WeightMaps } from "./mnist-digits.js";
import { DigitClassifier, DrawPad, showDigit } from "./mnist-draw.js";
import { ModelEditor, reportedAccuracy } from "./mnist-editor.js";
import { bindKeys, PANELS, VIEWS } from "./mnist-keys.js";
import { RunStream } from "./run-stream.js";
import { StatusLine } from "./status-line.js";

const MODEL_REFRESH_MS = 3000; // reload the run's model this often while it trains
const ENDED = ["stopped", "diverged", "finished"];
const $ = (id) => document.getElementById(id);

const lab = {
  catalog: null,
  editor: null,
  run: null,
  state: null,
  stream: null,
  token: 0,
  view: "0",
  metrics: null,
  evaluation: null,
  views: {},
  classifier: new DigitClassifier(),
  pad: null,
  classifyPending: false,
  pausing: null, // the pending PATCH of a pause or resume
  modelWanted: false, // load the run's model at the next frame
  panelsSeen: false, // the run has published its first panels: its weights exist
  status: new StatusLine(["message", "model", "connection", "run"], { quiet: ["run"] }),
};

/** What tests read; nothing in the page depends on it. */
const probe = (window.__mnist = {
  ready: false,
  backend: null,
  runId: null,
  state: null,
  view: "0",
  panelsEvents: 0,
  evaluations: 0,
  modelLoads: 0,
  prediction: null,
  probabilities: null,
  accuracyPoints: () => lab.views.accuracy?.points ?? 0,
  lossPoints: () => lab.views.loss?.points ?? 0,
  bandPoints: () => (lab.views.weights?.points ?? 0) + (lab.views.biases?.points ?? 0),
  trainDigits: () => lab.views.trainDigits?.count ?? 0,
  testDigits: () => lab.views.testDigits?.count ?? 0,
  confusionTotal: () => lab.views.confusion?.total ?? 0,
  weightMapsShown: () => lab.views.weightMaps?.shown ?? false,
  visiblePanels: () => PANELS.filter((n) => !$(`panel-${n}`).hidden),
  tensors: () => window.tf?.memory().numTensors ?? 0,
});

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

const percent = (v, digits = 2) => (Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : "–");
const fixed = (v, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

// -- progress and state -------------------------------------------------------------------------

function showMetrics(m) {
  lab.metrics = m;
  const run = lab.run;
  if (!run) return;
  $("epoch").textContent = `${m.epoch.toFixed(2)} / ${run.spec.epochs}`;
  $("iteration").textContent = `${formatCount(m.batch)} / ${formatCount(run.totalSteps)}`;
  $("test-accuracy").textContent = percent(m.testAccuracy);
  $("accuracy-note").textContent = Number.isFinite(m.evaluatedImages)
    ? m.evaluatedImages === run.testImages ? `(all ${formatCount(m.evaluatedImages)} images)`
      : `(${formatCount(m.evaluatedImages)}-image sample)`
    : "";
  $("accuracy-note").title = Number.isFinite(m.evaluationShare)
    ? `Evaluating has taken ${(m.evaluationShare * 100).toFixed(1)}% of training time` : "";
  $("train-accuracy").textContent = percent(m.trainAccuracy, 1);
  $("test-loss").textContent = fixed(m.testLoss);
  $("learning-rate-now").textContent = Number.isFinite(m.learningRate)
    ? Number(m.learningRate.toPrecision(3)).toString() : "–";
}

function showRunState(state) {
  lab.state = state;
  probe.state = state;
  document.body.dataset.runState = state ?? "none";
  const live = state === "running" || state === "paused";
  const pause = $("pause");
  pause.disabled = !live;
  pause.textContent = state === "paused" ? "Resume" : "Pause";
  pause.setAttribute("aria-pressed", String(state === "paused"));
  $("step").disabled = !live;
  $("start").textContent = lab.run ? "Restart" : "Start";
  const labels = { running: "training", paused: "paused", finished: "finished", stopped: "stopped", diverged: "diverged" };
  $("run-state").textContent = labels[state] ?? "no run";
  $("run-state").dataset.state = state ?? "none";
  const notes = {
    diverged: "Training diverged (the loss is not a number): lower the learning rate and start again.",
    stopped: "This run was stopped; press Start for a new one.",
    finished: "Finished: the epoch budget is spent. Draw a digit, or download the model.",
  };
  lab.status.set("run", notes[state] ?? "");
}

// -- runs --------------------------------------------------------------------------------------

function resetViews() {
  const v = lab.views;
  v.trainDigits.set(null);
  v.testDigits.set(null);
  v.accuracy.setSeries([]);
  v.loss.setSeries([]);
  v.weights.setBands([]);
  v.biases.setBands([]);
  v.weightMaps.set(null);
  v.confusion.set(null);
  lab.metrics = null;
  lab.evaluation = null;
  for (const id of ["epoch", "iteration", "test-accuracy", "train-accuracy", "test-loss", "learning-rate-now"]) {
    $(id).textContent = "–";
  }
  $("accuracy-note").textContent = "";
  $("batch-note").textContent = "";
  $("test-note").textContent = "";
  $("confusion-note").textContent = "After a full evaluation of the 10,000 test images.";
  for (const panel of document.querySelectorAll(".panel")) panel.classList.remove("filled");
  $("weight-maps").classList.add("empty");
}

/** Close the stream and delete the current run (its training stops). */
function release({ keepalive = false } = {}) {
  lab.stream?.close();
  lab.stream = null;
  if (lab.run) api.deleteRun(lab.run.id, { keepalive }).catch(() => {});
  lab.run = null;
  probe.runId = null;
}

async function startRun() {
  const token = ++lab.token;
  clearError();
  $("start").disabled = true;
  lab.status.set("message", "Starting a run…");
  try {
    let run = await api.createRun(lab.editor.body());
    if (token !== lab.token) {
      api.deleteRun(run.id).catch(() => {});
      return;
    }
    // api.createRun asks for a paused run (the playground's way); the lab trains at once.
    // Only the state is taken from the answer: the run's description stays as created.
    if (run.state === "paused") {
      run = { ...run, state: (await api.patchRun(run.id, { state: "running" })).state };
    }
    release();
    attach(run);
    lab.status.set("message", "");
  } catch (error) {
    if (token === lab.token) {
      lab.status.set("message", "");
      showError("Could not start a run", error);
    }
  } finally {
    if (token === lab.token) $("start").disabled = false;
  }
}

function attach(run) {
  lab.run = run;
  probe.runId = run.id;
  resetViews();
  $("code").textContent = run.code;
  $("export").href = api.exportUrl(run.id);
  $("export").classList.remove("disabled");
  $("export").removeAttribute("aria-disabled");
  const preset = lab.catalog.mnist.presets.find((p) => p.key === run.preset);
  const reported = reportedAccuracy(preset?.reported);
  lab.views.accuracy.setReference(reported === null ? null
    : { value: reported, label: `the talk reports ${preset.reported.split(",")[0]}` });
  showRunState(run.state);
  $("epoch").textContent = `0.00 / ${run.spec.epochs}`;
  $("iteration").textContent = `0 / ${formatCount(run.totalSteps)}`;
  const id = run.id;
  lab.stream = new RunStream(api.eventsUrl(id), {
    kinds: ["metrics", "panels", "evaluation"],
    onStatus: ({ state }) => {
      if (lab.run?.id !== id) return;
      showRunState(state);
      if (state !== "running") lab.modelWanted = true; // the newest weights, once
    },
    onConnection: (state) => {
      if (lab.run?.id !== id) return;
      const notes = { reconnecting: "connection lost, reconnecting…", closed: "disconnected from the server" };
      lab.status.set("connection", notes[state] ?? "");
    },
  });
  lab.classifier.reset();
  lab.panelsSeen = false;
  lab.modelWanted = false;
  lab.status.set("model", "");
}

function setPaused(paused) {
  const run = lab.run;
  if (!run || !(lab.state === "running" || lab.state === "paused")) return lab.pausing;
  const target = paused ? "paused" : "running";
  if (lab.state === target) return lab.pausing;
  showRunState(target); // at once; the server's answer follows
  // A pause returns once the run's current chunk is done: steps wait for it.
  const change = (async () => {
    try {
      const summary = await api.patchRun(run.id, { state: target });
      if (lab.run?.id === run.id) showRunState(summary.state);
    } catch (error) {
      if (lab.run?.id === run.id) {
        showError(paused ? "Could not pause" : "Could not resume", error);
        const summary = await api.getRun(run.id).catch(() => null);
        if (summary && lab.run?.id === run.id) showRunState(summary.state);
      }
    }
  })();
  const pending = change.finally(() => {
    if (lab.pausing === pending) lab.pausing = null;
  });
  lab.pausing = pending;
  return pending;
}

function togglePause() {
  if (lab.state === "running") setPaused(true);
  else if (lab.state === "paused") setPaused(false);
}

async function step() {
  const run = lab.run;
  if (!run) return;
  try {
    if (lab.state === "running") setPaused(true);
    await lab.pausing;
    if (lab.state !== "paused" || lab.run?.id !== run.id) return;
    await api.step(run.id);
    if (lab.run?.id === run.id) lab.modelWanted = true;
  } catch (error) {
    showError("Could not step", error);
  }
}

// -- the run's model in the browser ----------------------------------------------------------

function loadModel() {
  const run = lab.run;
  if (!run) return;
  lab.classifier.load(run.modelUrl).then((changed) => {
    if (!changed || lab.run?.id !== run.id) return;
    probe.modelLoads += 1;
    lab.status.set("model", "");
    classifyDrawing();
  }).catch((error) => {
    if (lab.run?.id === run.id) {
      console.warn("Could not load the run's model", error);
      lab.status.set("model", `Could not load the model into the page (${error.message}); retrying`);
    }
  });
}

/**
 * Load the run's model once its first weights exist (the first panels event), again
 * every few seconds while it trains, and once more after it pauses, steps or ends.
 */
function refreshModel(now) {
  const { classifier } = lab;
  if (!lab.run || !lab.panelsSeen || classifier.busy) return;
  const due = now - classifier.attemptedAt >= MODEL_REFRESH_MS;
  if (lab.modelWanted || (due && (lab.state === "running" || !classifier.model))) {
    lab.modelWanted = false;
    loadModel();
  }
}

// -- drawing -------------------------------------------------------------------------------------

function buildProbabilities() {
  const bars = [];
  for (let d = 0; d < 10; d++) {
    const bar = document.createElement("span");
    bar.className = "prob-bar";
    const track = document.createElement("span");
    track.className = "prob-track";
    track.append(bar);
    const value = document.createElement("span");
    value.className = "prob-value";
    const digit = document.createElement("span");
    digit.className = "prob-digit";
    digit.textContent = String(d);
    const item = document.createElement("div");
    item.className = "prob";
    item.append(value, track, digit);
    bars.push({ item, bar, value });
  }
  $("probabilities").replaceChildren(...bars.map((b) => b.item));
  lab.bars = bars;
}

function showProbabilities(probabilities) {
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  lab.bars.forEach(({ item, bar, value }, d) => {
    const p = probabilities ? probabilities[d] : 0;
    bar.style.height = `${(p * 100).toFixed(1)}%`;
    value.textContent = probabilities ? `${Math.round(p * 100)}` : "";
    item.classList.toggle("top", d === best);
    item.title = probabilities ? `${d}: ${(p * 100).toFixed(1)}%` : "";
  });
}

function classifyDrawing() {
  lab.classifyPending = false;
  const pixels = lab.pad.digit();
  showDigit($("draw-preview"), pixels);
  const probabilities = pixels ? lab.classifier.classify(pixels) : null;
  probe.probabilities = probabilities;
  if (!probabilities) {
    probe.prediction = null;
    $("prediction").textContent = "–";
    showProbabilities(null);
    $("draw-note").textContent = !lab.run
      ? "Start a run: its model, as trained so far, reads your digit."
      : pixels ? "Loading the model…" : "Draw a digit in the black square.";
    return;
  }
  const digit = probabilities.indexOf(Math.max(...probabilities));
  probe.prediction = digit;
  $("prediction").textContent = String(digit);
  showProbabilities(probabilities);
  const which = lab.state === "running" ? "the model as of a few seconds ago (it is still training)"
    : lab.state === "finished" ? "the trained model" : "the model as it is now";
  $("draw-note").textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure, with ${which}.`;
}

// -- panels ----------------------------------------------------------------------------------------

function fill(panel) {
  $(`panel-${panel}`).classList.add("filled");
}

function applyPanels(p) {
  probe.panelsEvents += 1;
  if (!lab.panelsSeen) {
    lab.panelsSeen = true;
    lab.modelWanted = true;
  }
  const { views } = lab;
  if (p.batch) {
    views.trainDigits.set(p.batch);
    const shift = lab.run?.spec?.shift;
    const seen = shift ? ` · shifted ±${shift} px, as trained` : "";
    $("batch-note").textContent = `${p.batch.mistakes} of ${p.batch.count} wrong${seen}`;
    fill(1);
  }
  const h = p.history;
  views.accuracy.setSeries([
    { label: "training", color: COLORS.train, x: h.iteration, y: h.trainAccuracy, width: 1.25 },
    { label: "test", color: COLORS.test, x: h.testIteration, y: h.testAccuracy, width: 2 },
  ]);
  views.loss.setSeries([
    { label: "training", color: COLORS.train, x: h.iteration, y: h.trainLoss, width: 1.25 },
    { label: "test", color: COLORS.test, x: h.testIteration, y: h.testLoss, width: 2 },
  ]);
  if (h.iteration.length + h.testIteration.length > 0) {
    fill(2);
    fill(3);
  }
  views.weights.setBands(p.bands.filter((b) => b.kind === "weights"));
  views.biases.setBands(p.bands.filter((b) => b.kind === "bias"));
  if (p.bands.length) {
    fill(4);
    fill(5);
  }
  views.weightMaps.set(p.weightMaps);
  $("weight-maps").classList.toggle("empty", !p.weightMaps);
  $("weight-maps-note").textContent = p.weightMaps
    ? `Iteration ${formatCount(p.iteration)}: blue pixels vote for the digit, orange ones against it (±${p.weightMaps.scale.toFixed(3)}).`
    : "Weight maps show for a softmax regression (step a): its one layer is 784 × 10, one 28×28 map per digit.";
}

function applyEvaluation(e) {
  probe.evaluations += 1;
  lab.evaluation = e;
  const { views } = lab;
  views.testDigits.set(e.digits);
  fill(6);
  const { mistakes, count } = e.digits;
  $("test-note").textContent = `${percent(e.testAccuracy)} right · ${formatCount(mistakes)} of ${formatCount(count)} wrong`;
  views.confusion.set(e.confusion);
  $("confusion-note").textContent = `Iteration ${formatCount(e.iteration)} (epoch ${e.epoch.toFixed(1)}): `
    + `${formatCount(views.confusion.correct)} of ${formatCount(views.confusion.total)} test digits right. `
    + "Rows: the true digit; columns: what the model read.";
  if (lab.metrics) showMetrics(lab.metrics);
}

function setView(view) {
  const shown = VIEWS[view];
  if (!shown) return;
  lab.view = view;
  probe.view = view;
  for (const n of PANELS) $(`panel-${n}`).hidden = !shown.includes(n);
  $("panels").dataset.count = String(shown.length);
  for (const button of document.querySelectorAll(".view-button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
  markDirty();
}

function markDirty() {
  for (const view of Object.values(lab.views)) {
    if ("dirty" in view) view.dirty = true;
  }
}

function frame(now) {
  const stream = lab.stream;
  if (stream) {
    const metrics = stream.take("metrics");
    if (metrics) showMetrics(metrics);
    const panels = stream.take("panels");
    if (panels) applyPanels(panels);
    const evaluation = stream.take("evaluation");
    if (evaluation) applyEvaluation(evaluation);
  }
  const { views } = lab;
  const panelViews = [views.trainDigits, views.accuracy, views.loss, views.weights, views.biases, views.testDigits];
  panelViews.forEach((view, i) => {
    if (!$(`panel-${i + 1}`).hidden) view.draw();
  });
  views.weightMaps.draw();
  if (lab.classifyPending) classifyDrawing();
  refreshModel(now);
  requestAnimationFrame(frame);
}

// -- start-up ----------------------------------------------------------------------------------------

async function showBackend() {
  try {
    const backend = await chooseBackend();
    probe.backend = backend.name;
    lab.status.showBackend(backend);
  } catch (error) {
    console.warn("No TensorFlow.js backend", error);
    $("backend").textContent = "TensorFlow.js could not start: drawing a digit will not work";
  }
}

async function init() {
  lab.views = {
    trainDigits: new DigitGrid($("train-digits")),
    testDigits: new DigitGrid($("test-digits")),
    accuracy: new CurveChart($("accuracy-chart"), { kind: "accuracy", legend: $("accuracy-legend") }),
    loss: new CurveChart($("loss-chart"), { kind: "loss", legend: $("loss-legend") }),
    weights: new BandChart($("weights-chart"), $("weights-legend")),
    biases: new BandChart($("biases-chart"), $("biases-legend")),
    weightMaps: new WeightMaps($("weight-maps")),
    confusion: new ConfusionMatrix($("confusion")),
  };
  buildProbabilities();
  showProbabilities(null);
  lab.pad = new DrawPad($("draw"), {
    onChange: (final) => {
      if (final) classifyDrawing();
      else lab.classifyPending = true;
    },
  });
  showDigit($("draw-preview"), null);
  $("clear").addEventListener("click", () => {
    lab.pad.clear();
    classifyDrawing();
  });

  for (const button of document.querySelectorAll(".view-button")) {
    button.addEventListener("click", () => setView(button.dataset.view));
  }
  bindKeys({ onView: setView, onTogglePause: togglePause });
  new ResizeObserver(markDirty).observe($("panels"));
  new ResizeObserver(() => {
    lab.views.weightMaps.dirty = true;
  }).observe($("weight-maps"));

  $("start").addEventListener("click", startRun);
  $("pause").addEventListener("click", togglePause);
  $("step").addEventListener("click", step);
  window.addEventListener("pagehide", () => release({ keepalive: true }));

  const backend = showBackend();
  try {
    lab.catalog = await api.catalog();
    if (!lab.catalog.mnist) throw new Error("this server has no MNIST lab");
    lab.editor = new ModelEditor(lab.catalog.mnist, {
      onChange: () => {
        lab.editor?.markInvalid(null);
      },
    });
  } catch (error) {
    showError("Could not load the catalogue", error);
    $("start").disabled = true;
  }
  showRunState(null);
  resetViews();
  setView("0");
  await backend;
  classifyDrawing();
  document.body.classList.remove("loading");
  document.body.dataset.ready = "true";
  probe.ready = true;
  requestAnimationFrame(frame);
}

init();
