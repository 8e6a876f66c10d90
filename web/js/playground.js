// The playground page: wires the catalogue, the URL state, the controls, the run
// on the server and the views, and draws the newest snapshot once per animation
// frame. The page never trains and never describes the network itself: the model
// comes from the run's model.json, the weights from its snapshots.

import { api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { Controls } from "./controls.js";
import { FEATURES, featureMatrix } from "./features.js";
import { gridPoints } from "./heatmap.js";
import { LineChart } from "./line-chart.js";
import { ModelView } from "./model-view.js";
import { NetworkView } from "./network-view.js";
import { OutputView } from "./output-view.js";
import { RunSession } from "./session.js";
import { bindShortcuts } from "./shortcuts.js";
import { HashHistory } from "./state.js";

const DENSITY = 100; // grid samples per side, like the classic playground
const $ = (id) => document.getElementById(id);

/** What tests and bench/page.py read; nothing in the page depends on it. */
const probe = (window.__playground = {
  ready: false,
  frames: 0,
  runId: null,
  epoch: 0,
  frameMs: 0,
  backend: null,
  tensors: () => window.tf?.memory().numTensors ?? 0,
});

const page = {
  catalog: null,
  state: null,
  hash: null,
  controls: null,
  network: null,
  output: null,
  chart: null,
  session: null,
  model: null,
  runToken: 0,
  shownEpoch: 0,
  hovered: null,
  featureGrid: null,
  mapsDirty: false,
  featuresDirty: false,
  status: { connection: "", run: "", message: "" },
};

// -- status line and numbers -------------------------------------------------------------

function renderStatus() {
  const { connection, run, message } = page.status;
  const text = [message, connection, run].filter(Boolean).join(" · ");
  $("status").textContent = text;
  $("status").classList.toggle("warning", Boolean(text));
}

function setStatus(part, text) {
  page.status[part] = text;
  renderStatus();
}

function showError(prefix, error) {
  console.warn(prefix, error);
  setStatus("message", `${prefix}: ${error.message}`);
}

function formatEpoch(epoch) {
  return String(epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function formatLoss(loss) {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? "NaN" : loss.toFixed(3);
}

function showProgress(epoch, trainLoss, testLoss) {
  if (epoch >= page.shownEpoch) {
    page.shownEpoch = epoch;
    probe.epoch = epoch;
    $("epoch").textContent = formatEpoch(epoch);
  }
  if (trainLoss !== undefined) $("loss-train").textContent = formatLoss(trainLoss);
  if (testLoss !== undefined) $("loss-test").textContent = formatLoss(testLoss);
}

function showRunState(state) {
  const playing = state === "running";
  const button = $("play-pause");
  button.classList.toggle("playing", playing);
  button.title = playing ? "Pause (Space)" : "Run (Space)";
  button.setAttribute("aria-label", playing ? "Pause" : "Run");
  $("step").disabled = !(state === "paused" || state === "running");
  document.body.dataset.runState = state ?? "none";
  const notes = {
    diverged: "training diverged (the loss is not a number): lower the learning rate and reset",
    stopped: "this run was stopped: press play or reset to start a new one",
  };
  setStatus("run", notes[state] ?? "");
}

// -- runs ----------------------------------------------------------------------------------

/** Start a fresh network for the current state (new weights; the same data for the same seed). */
async function startRun({ play = false } = {}) {
  const token = ++page.runToken;
  document.body.classList.add("loading");
  setStatus("message", "");
  try {
    const { run, summary } = await RunSession.create(page.state.spec());
    if (token !== page.runToken) {
      api.deleteRun(run.id).catch(() => {});
      return;
    }
    let model;
    try {
      model = await ModelView.load(run.modelUrl, run.features, DENSITY, page.catalog.inputRange);
    } catch (error) {
      api.deleteRun(run.id).catch(() => {});
      throw error;
    }
    if (token !== page.runToken) {
      model.dispose();
      api.deleteRun(run.id).catch(() => {});
      return;
    }
    page.model?.dispose();
    page.model = model;
    page.session.attach(run, summary);
    probe.runId = run.id;
    if (page.state.get("seed") !== run.spec.seed) {
      page.state = page.state.with({ seed: run.spec.seed });
    }
    page.hash.write(page.state);

    page.network.build({ selected: run.features, shape: run.spec.networkShape });
    page.network.updateWeights(model.weights());
    model.compute();
    page.output.setData(run.train, run.test);
    page.chart.reset();
    page.shownEpoch = 0;
    showProgress(summary.epoch, summary.trainLoss, summary.testLoss);
    page.chart.add(summary.epoch, summary.trainLoss, summary.testLoss);
    showRunState(summary.state);
    page.hovered = null;
    page.mapsDirty = true;
    page.featuresDirty = true;
    $("download").href = api.exportUrl(run.id);
    $("download").classList.remove("disabled");
    // A rate changed while the run was being created: the run has the old one.
    const live = {};
    for (const key of ["learningRate", "regularizationRate"]) {
      if (summary[key] !== page.state.get(key)) live[key] = page.state.get(key);
    }
    if (Object.keys(live).length > 0) await page.session.patch(live);
    if (play) await setPlaying(true);
  } catch (error) {
    if (token === page.runToken) showError("Could not start a run", error);
  } finally {
    if (token === page.runToken) document.body.classList.remove("loading");
  }
}

async function setPlaying(playing) {
  const { session } = page;
  if (!session.id) return;
  if (playing && (session.state === "stopped" || session.state === "diverged")) {
    await startRun({ play: true });
    return;
  }
  showRunState(playing ? "running" : "paused"); // at once; the server's answer follows
  try {
    const summary = playing ? await session.play() : await session.pause();
    showRunState(summary.state);
    showProgress(summary.epoch, summary.trainLoss, summary.testLoss);
  } catch (error) {
    showError(playing ? "Could not play" : "Could not pause", error);
    showRunState(session.state);
  }
}

async function step() {
  const { session } = page;
  if (!session.id) return;
  try {
    if (session.state === "running") await setPlaying(false);
    const summary = await session.step();
    showProgress(summary.epoch, summary.trainLoss, summary.testLoss);
  } catch (error) {
    showError("Could not step", error);
  }
}

// -- state changes -----------------------------------------------------------------------

/** Move to a new state: a new run, a PATCH of the rates, or only a redraw. */
function applyState(next, { write = true } = {}) {
  const diff = page.state.diff(next);
  page.state = next;
  page.controls.show(next);
  if (write) page.hash.write(next, { push: true });
  if (diff.newRun) {
    startRun();
    return;
  }
  if (Object.keys(diff.live).length > 0 && page.session.id) {
    page.session.patch(diff.live).catch((error) => showError("Could not change the rate", error));
  }
  if (diff.view.includes("showTestData")) page.output.setShowTest(next.get("showTestData"));
  if (diff.view.includes("discretize")) {
    page.mapsDirty = true;
    page.featuresDirty = true;
  }
}

function onControl(key, value) {
  if (key === "seed") {
    applyState(page.state.with({ seed: null })); // "Regenerate": the server draws a seed
    return;
  }
  applyState(page.state.with({ [key]: value }));
}

function onToggleFeature(key) {
  const on = !page.state.get(key);
  if (!on && page.state.features().length === 1) {
    setStatus("message", "The network needs at least one input feature");
    return;
  }
  applyState(page.state.with({ [key]: on }));
}

async function onEdit(target, value) {
  if (!page.session.id) return;
  try {
    await page.session.edit(target, value);
  } catch (error) {
    showError("Could not change the value", error);
  }
}

// -- drawing -------------------------------------------------------------------------------

function drawMaps() {
  const { model, output, network, hovered } = page;
  const discretize = page.state.get("discretize");
  if (page.featuresDirty) {
    network.drawFeatureMaps(page.featureGrid, discretize);
    page.featuresDirty = false;
  }
  if (!model?.values) return;
  network.drawNeuronMaps((layer, unit) => model.map(layer, unit), discretize);
  let shown = model.outputMap();
  if (hovered?.kind === "feature") {
    const index = FEATURES.findIndex((f) => f.key === hovered.key);
    shown = { values: page.featureGrid, offset: index, stride: FEATURES.length };
  } else if (hovered?.kind === "neuron") {
    shown = model.map(hovered.layer, hovered.unit);
  }
  output.draw(shown.values, shown.offset, shown.stride, discretize);
  probe.frames += 1;
}

function frame() {
  requestAnimationFrame(frame);
  const snapshot = page.session.take();
  const started = performance.now();
  if (snapshot && page.model?.fits(snapshot.weights)) {
    page.model.setWeights(snapshot.weights);
    page.model.compute();
    page.network.updateWeights(snapshot.weights);
    showProgress(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss);
    page.chart.add(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss);
    page.mapsDirty = true;
  }
  if (page.mapsDirty || page.featuresDirty) {
    page.mapsDirty = false;
    drawMaps();
    probe.frameMs = performance.now() - started;
  }
  page.chart.draw();
}

// -- start-up ------------------------------------------------------------------------------

async function loadPreviews() {
  try {
    const response = await fetch("/data/dataset-previews.json");
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

async function main() {
  const [catalog, backend, previews] = await Promise.all([
    api.catalog(),
    chooseBackend(),
    loadPreviews(),
  ]);
  probe.backend = backend.name;
  $("backend").textContent = `TensorFlow.js backend: ${backend.name}${backend.reason ? ` (${backend.reason})` : ""}`;
  page.catalog = catalog;
  page.featureGrid = featureMatrix(
    gridPoints(DENSITY, catalog.inputRange),
    FEATURES.map((f) => f.key),
  );
  page.hash = new HashHistory(catalog, (next) => applyState(next, { write: false }));
  page.state = page.hash.read();
  page.controls = new Controls(catalog, onControl, previews);
  page.controls.show(page.state);
  page.output = new OutputView($("heatmap"), { density: DENSITY, range: catalog.inputRange });
  page.output.setShowTest(page.state.get("showTestData"));
  page.chart = new LineChart($("loss-chart"));
  page.network = new NetworkView($("network"), {
    features: catalog.features,
    limits: catalog.limits,
    density: DENSITY,
    onToggleFeature,
    onShape: (shape) => applyState(page.state.with({ networkShape: shape })),
    onHover: (node) => {
      page.hovered = node;
      page.mapsDirty = true;
    },
    onEdit,
  });
  page.session = new RunSession({
    onStatus: (state, epoch) => {
      showRunState(state);
      showProgress(epoch);
    },
    onConnection: (state) => {
      const text = { reconnecting: "reconnecting…", closed: "connection lost: reload the page" };
      setStatus("connection", text[state] ?? "");
    },
  });

  $("play-pause").addEventListener("click", () => setPlaying(page.session.state !== "running"));
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", () => startRun());
  bindShortcuts({
    " ": () => setPlaying(page.session.state !== "running"),
    ArrowRight: step,
    r: () => startRun(),
  });
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      page.network.relayout();
      page.mapsDirty = true;
      page.featuresDirty = true;
    }, 150);
  });
  window.addEventListener("pagehide", () => page.session.release({ keepalive: true }));
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) startRun();
  });

  requestAnimationFrame(frame);
  await startRun();
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  showError("The playground could not start", error);
});
