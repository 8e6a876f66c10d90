// The playground page: wires the catalogue, the URL state, the controls, the run
// on the server and the views, and draws the newest snapshot once per animation
// frame. The page never trains and never describes the network itself: the model
// comes from the run's model.json, the weights from its snapshots.

import { api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { setUpBeyond } from "./beyond-page.js";
import { renderClassLegend } from "./class-colours.js";
import { PlaygroundControls } from "./playground-controls.js";
import { FEATURES, featureMatrix } from "./features.js";
import { FrameRate } from "./frame-rate.js";
import { gridPoints } from "./heatmap.js";
import { ModelView } from "./model-view.js";
import { NetworkView } from "./network-view.js";
import { OutputView } from "./output-view.js";
import { ProgressChart } from "./progress-chart.js";
import { RunControl } from "./run-control.js";
import { linkExperiments } from "./experiment-link.js";
import { bindShortcuts } from "./shortcuts.js";
import { HashHistory } from "./state.js";
import { showEpoch, showValues } from "./playground-readout.js";
import { fillChart, startFirstRun, startFork } from "./run-forks.js";
import { StatusLine } from "./status-line.js";
import { TimeTravel } from "./time-travel.js";
import { hiddenFeatures, specWithoutHidden, unlessHidden } from "./teacher-options.js";

const DENSITY = 100; // grid samples per side, like the classic playground
const $ = (id) => document.getElementById(id);

/** What tests and bench/page.py read; nothing in the page depends on it. */
const probe = (window.__playground = {
  ready: false,
  frames: 0,
  runId: null,
  epoch: 0,
  frameMs: 0,
  frameRate: 0,
  backend: null,
  shownEpochs: [], // [time, epoch] of drawn snapshots, for bench/page.py
  weights: () => page.latest?.weights ?? null, // the newest state's [[kernel, bias], …]
  chartIsLog: () => page.chart?.axis?.log ?? null,
  tensors: () => window.tf?.memory().numTensors ?? 0,
  classes: () => page.classes,
});

const page = {
  catalog: null, // the catalogue's playground section
  state: null,
  hash: null,
  controls: null,
  network: null,
  output: null,
  chart: null,
  control: null, // the RunControl: the run's session and model
  travel: null, // the TimeTravel slider
  frameRate: new FrameRate(),
  latest: null, // the newest state the run published: {epoch, weights, losses, accuracies}
  toldFrameRate: 0, // the frame rate the run was last told (the `frame` pace)
  frameRateCheckedAt: 0,
  shownEpoch: 0,
  hovered: null,
  featureGrid: null,
  mapsDirty: false,
  featuresDirty: false,
  hiddenFeatures: new Set(), // inputs the link hides (`xTimesY_hide=true`)
  classes: 2, // the run's classes: 2 (the classic's ±1) or 3 to 5 (softmax outputs)
  beyond: null, // optimizer and dropout pickers
  draw: null, // "draw your data"
  code: null, // the "Show code" panel
  status: new StatusLine(["message", "notice", "connection", "run"], { quiet: ["notice"] }),
};

// -- numbers ---------------------------------------------------------------------------------

function showProgress(epoch, trainLoss, testLoss, metrics = {}) {
  if (epoch >= page.shownEpoch) {
    page.shownEpoch = epoch;
    probe.epoch = epoch;
    if (page.travel?.live !== false) showEpoch(epoch);
    page.travel?.progress(epoch);
  }
  if (page.travel?.live === false) return; // the page shows the past
  showValues(trainLoss, testLoss, metrics);
}

/** Show a state the run kept (time travel), or the newest one again (null). */
function showMoment(moment) {
  const { model } = page.control;
  const state = moment ?? page.latest;
  if (!state || !model?.fits(state.weights)) return;
  model.setWeights(state.weights);
  model.compute();
  page.network.updateWeights(state.weights);
  showEpoch(moment ? moment.epoch : page.shownEpoch);
  showValues(state.trainLoss, state.testLoss, state);
  page.chart.setMarker(moment ? moment.epoch : null);
  page.mapsDirty = true;
}

/** "Train on from here": a new run from the shown state. */
async function forkFrom(epoch) {
  try {
    await startFork(page.control, page.control.session.id, epoch);
  } catch (error) {
    page.status.error("Could not train on from here", error);
  }
}

// -- runs ----------------------------------------------------------------------------------

/** What the RunControl asks of the page: a fresh network for the current state (new weights;
 * the same data for the same seed), its model, and how to show it. */
const runHooks = {
  spec: () => {
    const featureKeys = page.catalog.features.map((f) => f.key);
    const spec = specWithoutHidden(page.state.spec(), page.hiddenFeatures, featureKeys);
    return { ...spec, frameRate: page.frameRate.rate() };
  },
  load: (run) => ModelView.load(run.modelUrl, run.setup.features, DENSITY, page.catalog.inputRange),
  show(run, model) {
    probe.runId = run.id;
    const origin = run.forkedFrom ? `${run.forkedFrom.run}@${run.forkedFrom.epoch}` : null;
    if (page.state.get("seed") !== run.spec.seed || page.state.get("forkedFrom") !== origin) {
      page.state = page.state.with({ seed: run.spec.seed, forkedFrom: origin });
    }
    page.hash.write(page.state);
    page.toldFrameRate = run.spec.frameRate;
    page.latest = { epoch: run.epoch, weights: model.weights(), ...run.metrics };
    page.travel.attach(run.id, run.epoch);
    page.chart.showAccuracy(run.spec.problem === "classification");
    document.body.dataset.problem = run.spec.problem;

    page.network.build({ selected: run.setup.features, shape: run.spec.networkShape });
    page.network.updateWeights(model.weights());
    model.compute();
    page.classes = run.setup.classes ?? 2;
    renderClassLegend($("class-legend"), page.classes);
    page.output.setData(run.setup.train, run.setup.test, page.classes);
    page.code?.refresh();
    page.chart.reset();
    page.shownEpoch = 0;
    const { trainLoss, testLoss } = run.metrics;
    showProgress(run.epoch, trainLoss, testLoss, run.metrics);
    page.chart.add(run.epoch, trainLoss, testLoss, run.metrics);
    if (run.epoch > 0) fillChart(page.chart, page.control.session, run);
    page.hovered = null;
    page.mapsDirty = true;
    page.featuresDirty = true;
  },
  /** A rate changed while the run was being created: the run has the old one. */
  async sync(run) {
    const live = {};
    for (const key of ["learningRate", "regularizationRate"]) {
      if (run.metrics[key] !== page.state.get(key)) live[key] = page.state.get(key);
    }
    for (const key of ["pace", "optimizer"]) {
      if (run.spec[key] !== page.state.get(key)) live[key] = page.state.get(key);
    }
    if (Object.keys(live).length > 0) await page.control.session.patch(live);
  },
  progress: showProgress,
  stateChanged(state) {
    if (state === "running" && page.travel && !page.travel.live) page.travel.goLive();
  },
  /** An existing run (`/?run=<id>`, a sweep's) becomes the page's: its settings are shown. */
  adopted(run) {
    const known = Object.entries(run.spec).filter(([key]) => page.state.specKeys.includes(key));
    page.state = page.state.with(Object.fromEntries(known));
    page.controls.show(page.state);
    history.replaceState(null, "", `/${location.hash}`); // a reload makes a run of its own
  },
};

// -- state changes -----------------------------------------------------------------------

/** Move to a new state: a new run, a PATCH of the rates, or only a redraw. */
function applyState(next, { write = true } = {}) {
  const diff = page.state.diff(next);
  page.state = next;
  page.controls.show(next);
  page.beyond.show(next);
  if (write) page.hash.write(next, { push: true });
  if (diff.newRun) {
    page.control.start();
    return;
  }
  if (Object.keys(diff.live).length > 0 && page.control.session.id) {
    if ("pace" in diff.live) diff.live.frameRate = page.frameRate.rate();
    page.control.session.patch(diff.live)
      .then(() => page.code?.refresh())
      .catch((error) => page.status.error("Could not change the rate", error));
  }
  if (diff.view.includes("showTestData")) page.output.setShowTest(next.get("showTestData"));
  if (diff.view.includes("discretize")) {
    page.mapsDirty = true;
    page.featuresDirty = true;
  }
}

/** Keys whose change draws new points from a new seed (and a new network), as the classic. */
const NEW_DATA_KEYS = ["noise", "percTrainData", "dataset", "regDataset", "problem"];

function onControl(key, value) {
  if (key === "seed") {
    regenerate();
    return;
  }
  const seed = NEW_DATA_KEYS.includes(key) ? { seed: null } : {}; // the server draws one
  // Picking a data set (or the problem) leaves drawn points behind.
  const own = ["dataset", "regDataset", "problem"].includes(key) ? { points: [] } : {};
  applyState(page.state.with({ [key]: value, ...seed, ...own }));
}

/** "Regenerate": new points from a new seed; the network, its weights and its epoch stay,
 * as in the classic. A run that has ended is started afresh on new points instead. */
async function regenerate() {
  const { session } = page.control;
  if (!session.id || ["stopped", "diverged", "finished"].includes(session.state)) {
    applyState(page.state.with({ seed: null }));
    return;
  }
  const id = session.id;
  try {
    const summary = await session.patch({ seed: null });
    const run = await api.getRun(id);
    if (session.id !== id) return;
    page.state = page.state.with({ seed: summary.spec.seed });
    page.hash.write(page.state, { push: true });
    page.output.setData(run.setup.train, run.setup.test, run.setup.classes ?? 2);
    page.mapsDirty = true;
  } catch (error) {
    page.status.error("Could not regenerate the data", error);
  }
}

function onToggleFeature(key) {
  const on = !page.state.get(key);
  if (!on && page.state.features().length === 1) {
    page.status.set("message", "The network needs at least one input feature");
    return;
  }
  applyState(page.state.with({ [key]: on }));
}

/** Set one weight ({kind: "weight", layer, input, unit}) or bias ({kind: "bias", layer, unit}). */
async function onEdit(target, value) {
  const { session } = page.control;
  if (!session.id) return;
  const { layer, input, unit } = target;
  const change = target.kind === "weight"
    ? { weights: [{ layer, input, unit, value }] }
    : { biases: [{ layer, unit, value }] };
  try {
    await session.patch(change);
  } catch (error) {
    page.status.error("Could not change the value", error);
  }
}

// -- drawing -------------------------------------------------------------------------------

function drawMaps() {
  const { output, network, hovered } = page;
  const { model } = page.control;
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
  if (!hovered && model.outputs > 1) output.drawClasses(model.classValues(), model.outputs, discretize);
  else output.draw(shown.values, shown.offset, shown.stride, discretize);
  probe.frames += 1;
}

/** The `frame` pace trains one epoch per frame: tell the run when the screen's rate
 * turns out other than it was told (by more than 5%), at most every two seconds. */
function keepFrameRate(now) {
  const { session } = page.control;
  if (page.state.get("pace") !== "frame" || !session.id || now - page.frameRateCheckedAt < 2000) {
    return;
  }
  page.frameRateCheckedAt = now;
  const rate = page.frameRate.rate(0);
  if (rate > 0 && Math.abs(rate - page.toldFrameRate) > 0.05 * rate) {
    page.toldFrameRate = rate;
    session.patch({ frameRate: rate }).catch(() => {});
  }
}

function frame(now) {
  requestAnimationFrame(frame);
  page.frameRate.tick(now);
  probe.frameRate = page.frameRate.rate(0);
  keepFrameRate(now);
  const { session, model } = page.control;
  const snapshot = session.take();
  const started = performance.now();
  if (snapshot && model?.fits(snapshot.weights)) {
    page.latest = snapshot;
    // A step or play while looking back brings the page back to now.
    if (!page.travel.live && snapshot.epoch > page.shownEpoch) page.travel.goLive();
    showProgress(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss, snapshot);
    page.chart.add(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss, snapshot);
    if (page.travel.live) {
      model.setWeights(snapshot.weights);
      model.compute();
      page.network.updateWeights(snapshot.weights);
      page.mapsDirty = true;
    }
    probe.shownEpochs.push([now, snapshot.epoch]);
    if (probe.shownEpochs.length > 2000) probe.shownEpochs.splice(0, 1000);
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
  const [{ playground: catalog }, backend, previews] = await Promise.all([
    api.catalog(),
    chooseBackend(),
    loadPreviews(),
  ]);
  probe.backend = backend.name;
  page.status.showBackend(backend);
  page.catalog = catalog;
  page.featureGrid = featureMatrix(
    gridPoints(DENSITY, catalog.inputRange),
    FEATURES.map((f) => f.key),
  );
  page.hash = new HashHistory(catalog, (next) => applyState(next, { write: false }));
  page.state = page.hash.read();
  // Inputs a link hides leave the page for its life (the classic reads them once too).
  page.hiddenFeatures = hiddenFeatures(page.state, catalog.features.map((f) => f.key));
  page.controls = new PlaygroundControls(catalog, onControl, previews);
  page.controls.show(page.state);
  page.output = new OutputView($("heatmap"), { density: DENSITY, range: catalog.inputRange });
  page.output.setShowTest(page.state.get("showTestData"));
  setUpBeyond(page, catalog, { onControl, applyState, probe });
  page.chart = new ProgressChart($("loss-chart"));
  page.travel = new TimeTravel({
    slider: $("scrub"),
    label: $("scrub-epoch"),
    forkButton: $("fork"),
    timeline: (id) => api.timeline(id),
    hold: async () => {
      if (page.control.session.state === "running") await page.control.setPlaying(false);
    },
    show: showMoment,
    onFork: forkFrom,
  });
  page.network = new NetworkView($("network"), {
    features: catalog.features,
    limits: catalog.limits,
    density: DENSITY,
    hiddenFeatures: page.hiddenFeatures,
    onToggleFeature,
    onShape: (shape) => applyState(page.state.with({ networkShape: shape })),
    onHover: (node) => {
      page.hovered = node;
      page.mapsDirty = true;
    },
    onEdit,
  });
  const control = (page.control = new RunControl(page.status, runHooks, { key: "Space" }));
  bindShortcuts({
    " ": unlessHidden("playButton", () => control.toggle()),
    ArrowRight: unlessHidden("stepButton", () => control.step()),
    r: unlessHidden("resetButton", () => control.start()),
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

  linkExperiments($("experiments-link"), () => page.state.spec());
  requestAnimationFrame(frame);
  const adopted = new URLSearchParams(location.search).get("run");
  if (adopted) {
    await control.adopt(adopted);
  } else if (!(await startFirstRun(control, page.state.get("forkedFrom")))) {
    page.status.set("message", "The run this link was forked from is gone: this is a new run");
  }
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  page.status.error("The playground could not start", error);
});
