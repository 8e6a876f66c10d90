// The fitting page: wires the catalogue's fitting section, the controls, the run on
// the server and the views (the fit, the loss chart, the loss surface), and draws the
// newest snapshot once per animation frame. The page never trains and never describes
// the model itself: it loads the run's model.json and puts each snapshot's weights in.

import { chooseBackend } from "./backend.js";
import { api } from "./api.js";
import { FittingControls } from "./fitting-controls.js";
import { LogLossChart } from "./fitting-loss.js";
import { FittingModel } from "./fitting-model.js";
import { CurvePlot } from "./fitting-plot.js";
import { LossSurface } from "./fitting-surface.js";
import { linkExperiments } from "./experiment-link.js";
import { RunControl } from "./run-control.js";
import { StatusLine } from "./status-line.js";

const $ = (id) => document.getElementById(id);

/** What tests read; nothing in the page depends on it. */
const probe = (window.__fitting = {
  ready: false,
  runId: null,
  epoch: 0,
  frames: 0,
  curve: null,
  path: 0,
  backend: null,
  tensors: () => window.tf?.memory().numTensors ?? 0,
  /** The loss chart's points: [{epoch, train, test}, …]. */
  losses: () => page.chart?.points.map((p) => ({ ...p })) ?? [],
});

const page = {
  fitting: null, // the catalogue's fitting section
  settings: null,
  controls: null,
  control: null, // the RunControl: the run's session and model
  run: null,
  plot: null,
  surface: null,
  chart: null,
  shownEpoch: 0,
  ys: null,
  dirty: false,
  status: new StatusLine(["message", "note", "notice", "connection", "run"],
    { quiet: ["note", "notice"] }),
};

// -- numbers ----------------------------------------------------------------------------------

/** Four decimals, or scientific notation for very large or very small values. */
function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e4 || size < 1e-3)) return value.toExponential(3);
  return value.toFixed(4);
}

function showProgress(epoch, trainLoss, testLoss) {
  if (epoch >= page.shownEpoch) {
    page.shownEpoch = epoch;
    probe.epoch = epoch;
    $("epoch").textContent = epoch.toLocaleString("en");
  }
  if (trainLoss !== undefined) $("loss-train").textContent = formatNumber(trainLoss);
  if (testLoss !== undefined) $("loss-test").textContent = formatNumber(testLoss);
}

/** W and b (linear model), and the fitted line in the data's own units. */
function showWeights(weights) {
  const run = page.run;
  const setup = run?.setup;
  if (!run || setup.model !== "linear") {
    $("w").textContent = "–";
    $("b").textContent = "–";
    const hidden = run ? setup.layers.slice(1, -1).join(" → ") : "";
    $("equation").textContent = run
      ? `A network: x → ${hidden} ${run.spec.activation} nodes → y. ` +
        `${setup.train.length} training points, ${setup.test.length} test points.`
      : "";
    $("raw-line").textContent = "";
    return;
  }
  const [[[[w]], [b]]] = weights;
  $("w").textContent = formatNumber(w);
  $("b").textContent = formatNumber(b);
  const { enabled, mean, std } = setup.normalization;
  const slope = w / std;
  const intercept = b - (w * mean) / std;
  const line = `y = ${formatNumber(slope)}·x ${intercept < 0 ? "−" : "+"} ${formatNumber(Math.abs(intercept))}`;
  if (enabled) {
    $("raw-line").textContent =
      `On x′ = (x − ${mean.toFixed(2)}) / ${std.toFixed(2)}; in raw x: ${line}`;
    $("equation").textContent = `The line: ${line} (W and b act on the normalised x′).`;
  } else {
    $("raw-line").textContent = "";
    $("equation").textContent = `The line: ${line}`;
  }
}

// -- the spec and runs -------------------------------------------------------------------------

function suggestedRate(settings) {
  const { normalized, raw } = page.fitting.suggestedLearningRates;
  return settings.normalize ? normalized : raw[settings.dataset];
}

/** The request body for the current settings: only the fields that apply. */
function specOf(settings) {
  const spec = {
    problem: "fitting",
    dataset: settings.dataset,
    model: settings.model,
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    normalize: settings.normalize,
    percTrainData: settings.percTrainData,
  };
  if (settings.seed) spec.seed = settings.seed;
  if (settings.dataset === "mystery") Object.assign(spec, { numPoints: settings.numPoints, noise: settings.noise });
  if (settings.model === "network") {
    Object.assign(spec, { hiddenLayers: settings.hiddenLayers, activation: settings.activation });
  }
  if (settings.dataset === "custom") spec.csv = settings.csv ?? "";
  return spec;
}

/** What the RunControl asks of the page: the run for the settings, its model, how to show it. */
const runHooks = {
  spec: () => specOf(page.settings),
  load: (run) => FittingModel.load(run.modelUrl, run.setup.normalization),
  show(run, model) {
    page.run = run;
    probe.runId = run.id;
    page.settings.seed = run.spec.seed;
    $("csv-error").textContent = "";
    const { setup } = run;
    document.body.classList.toggle("run-linear", setup.model === "linear");
    document.body.classList.toggle("run-network", setup.model !== "linear");

    page.plot.setData(setup);
    const weights = model.weights();
    if (setup.model === "linear") {
      page.surface.setData(setup.train, setup.normalization);
      page.surface.setPath([[0, weights[0][0][0][0], weights[0][1][0]]]);
    }
    page.ys = model.predict(page.plot.sampleXs());
    probe.curve = Array.from(page.ys);
    page.dirty = true;
    showWeights(weights);
    page.chart.reset();
    page.shownEpoch = 0;
    const { trainLoss, testLoss } = run.metrics;
    showProgress(run.epoch, trainLoss, testLoss);
    page.chart.add(run.epoch, trainLoss, testLoss);
  },
  /** The learning rate changed while the run was being created: the run has the old one. */
  async sync(run) {
    if (run.metrics.learningRate !== page.settings.learningRate) {
      await page.control.session.patch({ learningRate: page.settings.learningRate });
    }
  },
  progress: showProgress,
  /** An existing run (`?run=<id>`, a sweep's) becomes the page's: its settings are shown. */
  adopted(run) {
    page.settings = { ...page.fitting.defaults, csv: null, ...run.spec };
    page.controls.show(page.settings);
    page.controls.showLesson(null);
    history.replaceState(null, "", location.pathname); // a reload makes a run of its own
  },
  failed(error) {
    if (error.field === "csv") {
      const reason = error.message.replace(/^csv: /, "");
      page.controls.showCsvError(reason);
      page.status.set("message", `Your data was not used (${reason}); the previous run goes on`);
    } else {
      page.status.error("Could not start a run", error);
    }
  },
};

// -- what the learner changes -----------------------------------------------------------------

const NEW_RUN = new Set([
  "dataset", "numPoints", "noise", "percTrainData", "model", "hiddenLayers", "activation",
  "optimizer", "normalize", "csv", "seed",
]);

function onChange(key, value) {
  const settings = page.settings;
  page.status.set("note", "");
  if (key === "learningRate") {
    settings.learningRate = value;
    page.controls.show(settings);
    if (page.control.session.id) {
      page.control.session.patch({ learningRate: value })
        .catch((error) => page.status.error("Could not change the learning rate", error));
    }
    return;
  }
  if (!NEW_RUN.has(key)) return;
  const before = suggestedRate(settings);
  if (key === "csv") {
    settings.csv = value;
    settings.dataset = "custom";
  } else {
    settings[key] = value;
  }
  if (key === "dataset" && value === "custom" && settings.csv === null) settings.csv = $("csv").value;
  const after = suggestedRate(settings);
  if (after !== before) {
    settings.learningRate = after;
    const suits = settings.normalize ? "normalised input" : "this data set's raw input";
    page.status.set("note", `learning rate set to ${after}, which suits ${suits}`);
  }
  page.controls.showLesson(null);
  page.controls.show(settings);
  page.control.start();
}

/** Load a lesson's settings (its seed too, so it plays out as described) in a new run. */
function onLesson(key) {
  const lesson = page.fitting.lessons.find((l) => l.key === key);
  page.settings = { ...page.fitting.defaults, csv: page.settings?.csv ?? null, ...lesson.spec };
  page.controls.show(page.settings);
  page.controls.showLesson(key);
  page.status.set("note", "");
  return page.control.start();
}

// -- drawing -------------------------------------------------------------------------------------

function frame() {
  requestAnimationFrame(frame);
  const { session, model } = page.control;
  const snapshot = session.take();
  if (snapshot && model?.fits(snapshot.weights)) {
    model.setWeights(snapshot.weights);
    page.ys = model.predict(page.plot.sampleXs());
    probe.curve = Array.from(page.ys);
    page.dirty = true;
    showWeights(snapshot.weights);
    if (snapshot.path) {
      page.surface.setPath(snapshot.path);
      probe.path = snapshot.path.length;
    }
    showProgress(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss);
    page.chart.add(snapshot.epoch, snapshot.trainLoss, snapshot.testLoss);
  }
  if (page.dirty) {
    page.dirty = false;
    page.plot.draw(page.ys);
    probe.frames += 1;
  }
  page.chart.draw();
}

async function main() {
  const [catalog, backend] = await Promise.all([api.catalog(), chooseBackend()]);
  probe.backend = backend.name;
  page.status.showBackend(backend);
  page.fitting = catalog.fitting;
  page.controls = new FittingControls(page.fitting, {
    onChange,
    onLesson,
    onInvalid: (message) => page.status.set("message", message),
  });
  page.plot = new CurvePlot($("curve"));
  page.surface = new LossSurface($("surface"));
  page.chart = new LogLossChart($("loss-chart"));
  page.control = new RunControl(page.status, runHooks);
  linkExperiments($("experiments-link"), () => specOf(page.settings));
  window.addEventListener("resize", () => {
    page.dirty = true;
    page.chart.dirty = true;
    page.surface.drawOverlay();
  });

  requestAnimationFrame(frame);
  const adopted = new URLSearchParams(location.search).get("run");
  if (adopted) {
    page.settings = { ...page.fitting.defaults, csv: null }; // if the run cannot be had
    await page.control.adopt(adopted);
  } else {
    await onLesson(page.fitting.lessons[0].key);
  }
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => page.status.error("The page could not start", error));
