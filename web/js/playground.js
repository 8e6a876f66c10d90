// The playground page: wires the catalogue, the URL state, the controls, the run
// on the server and the views, and draws the newest snapshot once per animation
// frame. The page never trains and never describes the network itself: the model
// comes from the run's model.json, the weights from its snapshots.

import { api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { PlaygroundControls } from "./playground-controls.js";
import { FEATURES, featureMatrix } from "./features.js";
import { gridPoints } from "./heatmap.js";
import { LineChart } from "./line-chart.js";
import { ModelView } from "./model-view.js";
import { NetworkView } from "./network-view.js";
import { OutputView } from "./output-view.js";
import { RunControl } from "./run-control.js";
import { linkExperiments } from "./experiment-link.js";
import { bindShortcuts } from "./shortcuts.js";
import { HashHistory } from "./state.js";
import { StatusLine } from "./status-line.js";

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
  catalog: null, // the catalogue's playground section
  state: null,
  hash: null,
  controls: null,
  network: null,
  output: null,
  chart: null,
  control: null, // the RunControl: the run's session and model
  shownEpoch: 0,
  hovered: null,
  featureGrid: null,
  mapsDirty: false,
  featuresDirty: false,
  status: new StatusLine(["message", "notice", "connection", "run"], { quiet: ["notice"] }),
};

// -- numbers ---------------------------------------------------------------------------------

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

// -- runs ----------------------------------------------------------------------------------

/** What the RunControl asks of the page: a fresh network for the current state (new weights;
 * the same data for the same seed), its model, and how to show it. */
const runHooks = {
  spec: () => page.state.spec(),
  load: (run) => ModelView.load(run.modelUrl, run.setup.features, DENSITY, page.catalog.inputRange),
  show(run, model) {
    probe.runId = run.id;
    if (page.state.get("seed") !== run.spec.seed) {
      page.state = page.state.with({ seed: run.spec.seed });
    }
    page.hash.write(page.state);

    page.network.build({ selected: run.setup.features, shape: run.spec.networkShape });
    page.network.updateWeights(model.weights());
    model.compute();
    page.output.setData(run.setup.train, run.setup.test);
    page.chart.reset();
    page.shownEpoch = 0;
    const { trainLoss, testLoss } = run.metrics;
    showProgress(run.epoch, trainLoss, testLoss);
    page.chart.add(run.epoch, trainLoss, testLoss);
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
    if (Object.keys(live).length > 0) await page.control.session.patch(live);
  },
  progress: showProgress,
  /** An existing run (`/?run=<id>`, a sweep's) becomes the page's: its settings are shown. */
  adopted(run) {
    page.state = page.state.with(run.spec);
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
  if (write) page.hash.write(next, { push: true });
  if (diff.newRun) {
    page.control.start();
    return;
  }
  if (Object.keys(diff.live).length > 0 && page.control.session.id) {
    page.control.session.patch(diff.live)
      .catch((error) => page.status.error("Could not change the rate", error));
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
  output.draw(shown.values, shown.offset, shown.stride, discretize);
  probe.frames += 1;
}

function frame() {
  requestAnimationFrame(frame);
  const { session, model } = page.control;
  const snapshot = session.take();
  const started = performance.now();
  if (snapshot && model?.fits(snapshot.weights)) {
    model.setWeights(snapshot.weights);
    model.compute();
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
  page.controls = new PlaygroundControls(catalog, onControl, previews);
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
  const control = (page.control = new RunControl(page.status, runHooks, { key: "Space" }));
  bindShortcuts({
    " ": () => control.toggle(),
    ArrowRight: () => control.step(),
    r: () => control.start(),
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
  if (adopted) await control.adopt(adopted);
  else await control.start();
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  page.status.error("The playground could not start", error);
});
