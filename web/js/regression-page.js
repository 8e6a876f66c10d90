// The regression page: wires the catalogue's curve section, the controls, the run on
// the server and the views (the fit, the loss chart, the loss surface), and draws the
// newest snapshot once per animation frame. The page never trains and never describes
// the model itself: it loads the run's model.json and puts each snapshot's weights in.

import { chooseBackend } from "./backend.js";
import { api } from "./api.js";
import { Controls } from "./regression-controls.js";
import { LogLossChart } from "./regression-loss.js";
import { CurveModel } from "./regression-model.js";
import { CurvePlot } from "./regression-plot.js";
import { LossSurface } from "./regression-surface.js";
import { RunSession } from "./session.js";

const $ = (id) => document.getElementById(id);

/** What tests read; nothing in the page depends on it. */
const probe = (window.__regression = {
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
  curve: null,
  settings: null,
  controls: null,
  session: null,
  model: null,
  run: null,
  plot: null,
  surface: null,
  chart: null,
  runToken: 0,
  shownEpoch: 0,
  ys: null,
  dirty: false,
  status: { message: "", note: "", connection: "", run: "" },
};

// -- status and numbers ----------------------------------------------------------------------

function renderStatus() {
  const { message, note, connection, run } = page.status;
  $("status").textContent = [message, note, connection, run].filter(Boolean).join(" · ");
  $("status").classList.toggle("warning", Boolean(message || connection || run));
}

function setStatus(part, text) {
  page.status[part] = text;
  renderStatus();
}

function showError(prefix, error) {
  console.warn(prefix, error);
  setStatus("message", `${prefix}: ${error.message}`);
}

/** Four decimals, or scientific notation for very large or very small values. */
export function formatNumber(value) {
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

function showRunState(state) {
  const playing = state === "running";
  const button = $("play-pause");
  button.classList.toggle("playing", playing);
  button.title = playing ? "Pause" : "Run";
  button.setAttribute("aria-label", playing ? "Pause" : "Run");
  $("step").disabled = !(state === "paused" || state === "running");
  document.body.dataset.runState = state ?? "none";
  const notes = {
    diverged: "training diverged (the loss is not a number): lower the learning rate and reset",
    stopped: "this run was stopped: press play or reset to start a new one",
  };
  setStatus("run", notes[state] ?? "");
}

/** W and b (linear model), and the fitted line in the data's own units. */
function showWeights(weights) {
  const run = page.run;
  if (!run || run.model !== "linear") {
    $("w").textContent = "–";
    $("b").textContent = "–";
    const hidden = run ? run.layers.slice(1, -1).join(" → ") : "";
    $("equation").textContent = run
      ? `A network: x → ${hidden} ${run.spec.activation} nodes → y. ` +
        `${run.train.length} training points, ${run.test.length} test points.`
      : "";
    $("raw-line").textContent = "";
    return;
  }
  const [[[[w]], [b]]] = weights;
  $("w").textContent = formatNumber(w);
  $("b").textContent = formatNumber(b);
  const { enabled, mean, std } = run.normalization;
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
  const { normalized, raw } = page.curve.suggestedLearningRates;
  return settings.normalize ? normalized : raw[settings.dataset];
}

/** The request body for the current settings: only the fields that apply. */
export function specOf(settings) {
  const spec = {
    problem: "curve",
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

async function startRun({ play = false } = {}) {
  const token = ++page.runToken;
  document.body.classList.add("loading");
  setStatus("message", "");
  try {
    const { run, summary } = await RunSession.create(specOf(page.settings));
    if (token !== page.runToken) {
      api.deleteRun(run.id).catch(() => {});
      return;
    }
    const model = await CurveModel.load(run.modelUrl, run.normalization);
    if (token !== page.runToken) {
      model.dispose();
      api.deleteRun(run.id).catch(() => {});
      return;
    }
    page.model?.dispose();
    page.model = model;
    page.session.attach(run, summary);
    page.run = run;
    probe.runId = run.id;
    page.settings.seed = run.spec.seed;
    $("csv-error").textContent = "";
    document.body.classList.toggle("run-linear", run.model === "linear");
    document.body.classList.toggle("run-network", run.model !== "linear");

    page.plot.setData({ train: run.train, test: run.test, xLabel: run.xLabel, yLabel: run.yLabel });
    const weights = model.weights();
    if (run.model === "linear") {
      page.surface.setData(run.train, run.normalization);
      page.surface.setPath([[0, weights[0][0][0][0], weights[0][1][0]]]);
    }
    page.ys = model.predict(page.plot.sampleXs());
    probe.curve = Array.from(page.ys);
    page.dirty = true;
    showWeights(weights);
    page.chart.reset();
    page.shownEpoch = 0;
    showProgress(summary.epoch, summary.trainLoss, summary.testLoss);
    page.chart.add(summary.epoch, summary.trainLoss, summary.testLoss);
    showRunState(summary.state);
    $("download").href = api.exportUrl(run.id);
    $("download").classList.remove("disabled");
    if (summary.learningRate !== page.settings.learningRate) {
      await page.session.patch({ learningRate: page.settings.learningRate });
    }
    if (play) await setPlaying(true);
  } catch (error) {
    if (token !== page.runToken) return;
    if (error.field === "csv") {
      const reason = error.message.replace(/^csv: /, "");
      page.controls.showCsvError(reason);
      setStatus("message", `Your data was not used (${reason}); the previous run goes on`);
    } else {
      showError("Could not start a run", error);
    }
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
  showRunState(playing ? "running" : "paused");
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

// -- what the learner changes -----------------------------------------------------------------

const NEW_RUN = new Set([
  "dataset", "numPoints", "noise", "percTrainData", "model", "hiddenLayers", "activation",
  "optimizer", "normalize", "csv", "seed",
]);

function onChange(key, value) {
  const settings = page.settings;
  setStatus("note", "");
  if (key === "learningRate") {
    settings.learningRate = value;
    page.controls.show(settings);
    if (page.session.id) {
      page.session.patch({ learningRate: value })
        .catch((error) => showError("Could not change the learning rate", error));
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
    setStatus("note", `learning rate set to ${after}, which suits ${suits}`);
  }
  page.controls.showLesson(null);
  page.controls.show(settings);
  startRun();
}

/** Load a lesson's settings (its seed too, so it plays out as described) in a new run. */
function onLesson(key) {
  const lesson = page.curve.lessons.find((l) => l.key === key);
  page.settings = { ...page.curve.defaults, csv: page.settings?.csv ?? null, ...lesson.spec };
  page.controls.show(page.settings);
  page.controls.showLesson(key);
  setStatus("note", "");
  return startRun();
}

// -- drawing -------------------------------------------------------------------------------------

function frame() {
  requestAnimationFrame(frame);
  const snapshot = page.session.take();
  if (snapshot && page.model?.fits(snapshot.weights)) {
    page.model.setWeights(snapshot.weights);
    page.ys = page.model.predict(page.plot.sampleXs());
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
  $("backend").textContent = `TensorFlow.js backend: ${backend.name}${backend.reason ? ` (${backend.reason})` : ""}`;
  page.curve = catalog.curve;
  page.controls = new Controls(page.curve, {
    onChange,
    onLesson,
    onInvalid: (message) => setStatus("message", message),
  });
  page.plot = new CurvePlot($("curve"));
  page.surface = new LossSurface($("surface"));
  page.chart = new LogLossChart($("loss-chart"));
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
  window.addEventListener("resize", () => {
    page.dirty = true;
    page.chart.dirty = true;
    page.surface.drawOverlay();
  });
  window.addEventListener("pagehide", () => page.session.release({ keepalive: true }));
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) startRun();
  });

  requestAnimationFrame(frame);
  await onLesson(page.curve.lessons[0].key);
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => showError("The page could not start", error));
