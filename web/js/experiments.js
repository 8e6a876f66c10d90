// The experiments page: start a sweep (one or two settings varied over a base
// configuration) and compare its runs live — each run's output map, every loss curve
// on one chart, and a table to sort. `#sweep=<id>` shows a sweep; `#base=<spec JSON>`
// (what the playground's "Experiments" link sends) fills the form with that
// configuration. The page never trains: the runs are the server's, like any run.

import { ApiError, api } from "./api.js";
import { chooseBackend } from "./backend.js";
import { StatusLine } from "./status-line.js";
import { SweepChart } from "./sweep-chart.js";
import { SweepForm } from "./sweep-form.js";
import { SweepMaps, formatSetting } from "./sweep-maps.js";
import { SweepStream } from "./sweep-stream.js";
import { SweepTable } from "./sweep-table.js";

const $ = (id) => document.getElementById(id);
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
  "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd"];
const POLL_MS = 2000;
const TABLE_MS = 250;
const DEFAULT_TARGET = 0.05;

/** What tests and benchmarks read; nothing in the page depends on it. */
const probe = (window.__experiments = {
  ready: false,
  sweepId: null,
  draws: {},
  frames: 0,
  /** Each run's curve: [first epoch, last epoch, points]. */
  curves: () => Object.fromEntries([...(page.shown?.chart.curves ?? new Map())].map(([id, { points }]) =>
    [id, points.length ? [points[0][0], points[points.length - 1][0], points.length] : null])),
});

const page = {
  catalog: null,
  status: new StatusLine(["message", "connection"]),
  form: null,
  shown: null, // the sweep on screen: {sweep, maps, chart, table, stream, timers, target}
};

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

/** A run's label: what it varies ("learningRate = 0.3 · activation = relu"). */
function label(settings) {
  return Object.entries(settings).map(([k, v]) => `${k} = ${formatSetting(v)}`).join(" · ");
}

// -- the form --------------------------------------------------------------------------

async function listSweeps() {
  const { sweeps } = await api.listSweeps();
  const items = sweeps.slice(-12).reverse().map((sweep) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#sweep=${encodeURIComponent(sweep.id)}`;
    const when = new Date(sweep.createdAt * 1000).toLocaleTimeString();
    link.textContent = `${Object.keys(sweep.vary).join(" × ")} (${sweep.runs} runs, ${sweep.problem}, ${when})`;
    li.append(link);
    return li;
  });
  $("sweep-list").replaceChildren(...items);
  if (items.length === 0) $("sweep-list").textContent = "none yet";
}

function baseFromHash() {
  const text = hashParams().get("base");
  if (text) {
    try {
      const base = JSON.parse(text);
      if (base && typeof base === "object" && !Array.isArray(base)) return base;
    } catch {
      page.status.set("message", "The configuration in the address is not valid JSON");
    }
  }
  return { ...page.catalog.playground.defaults };
}

async function createSweep(body) {
  const sweep = await api.createSweep(body);
  location.hash = `sweep=${encodeURIComponent(sweep.id)}`; // → route()
}

// -- the comparison --------------------------------------------------------------------

function closeShown() {
  const shown = page.shown;
  if (!shown) return;
  shown.closed = true;
  shown.stream.close();
  for (const timer of shown.timers) clearInterval(timer);
  shown.maps.dispose();
  page.shown = null;
}

async function showSweep(id) {
  closeShown();
  const sweep = await api.getSweep(id, { history: true });
  $("setup").hidden = true;
  $("comparison").hidden = false;
  const live = sweep.runs.filter((run) => run.state !== "deleted");
  const colors = new Map(sweep.runs.map((run, i) => [run.id, COLORS[i % COLORS.length]]));
  const describe = (run) => ({
    color: colors.get(run.id),
    href: `${sweep.page ?? "/"}?run=${encodeURIComponent(run.id)}`,
    label: label(run.settings),
  });
  const shown = (page.shown = {
    sweep,
    closed: false,
    maps: new SweepMaps($("maps")),
    chart: new SweepChart($("loss-overlay")),
    target: DEFAULT_TARGET,
    timers: [],
    stream: null,
    table: null,
    loading: new Set(live.map((run) => run.id)), // their models: their data waits for them
  });
  shown.table = new SweepTable(freshTable(), {
    target: shown.target,
    onTarget: (target) => {
      shown.target = target;
      for (const run of live) shown.table.update(run.id, { reached: shown.chart.epochsTo(run.id, target) });
      shown.table.render();
    },
  });
  shown.maps.layout(sweep, describe);
  shown.table.setRuns(sweep.runs.map((run) => ({ ...describe(run), id: run.id })));
  for (const run of sweep.runs) {
    shown.chart.setRun(run.id, colors.get(run.id));
    for (const [step, train, test] of lossRows(run.history)) shown.chart.add(run.id, step, train, test);
    takeSummary(shown, run);
    shown.table.update(run.id, { reached: shown.chart.epochsTo(run.id, shown.target) });
  }
  probe.sweepId = id;
  shown.stream = new SweepStream(api.sweepEventsUrl(id, ["snapshot", "metrics"]), {
    onStatus: (runId, { state, epoch }) => {
      shown.table.update(runId, { state, epoch });
      shown.maps.caption(runId, { state, epoch });
    },
    onConnection: (state) => page.status.set("connection",
      state === "live" ? "" : state === "closed" ? "connection lost: reload the page" : "reconnecting…"),
  });
  await Promise.all(live.map(async (run) => {
    try {
      const details = await api.getRun(run.id);
      if (!shown.closed) await shown.maps.load(details, page.catalog.playground.inputRange);
    } catch (error) {
      page.status.error("Could not load a run's model", error);
    } finally {
      shown.loading.delete(run.id);
    }
  }));
  shown.timers.push(setInterval(() => poll(shown), POLL_MS));
  shown.timers.push(setInterval(() => shown.table.render(), TABLE_MS));
  shown.table.render();
}

/**
 * [step, trainLoss, testLoss] rows from a run's history as its job keeps it: rows of
 * [epoch, train, test] under `losses` (the dense networks), or columns of losses by
 * iteration (MNIST: its step is a batch, as its summary's epoch is).
 */
function lossRows(history) {
  if (Array.isArray(history?.losses)) return history.losses;
  if (Array.isArray(history?.iteration) && Array.isArray(history?.trainLoss)) {
    const tests = new Map((history.testIteration ?? []).map((step, i) => [step, history.testLoss?.[i]]));
    return history.iteration.map((step, i) => [step, history.trainLoss[i], tests.get(step)]);
  }
  return [];
}

function freshTable() {
  const old = $("runs-table");
  const table = document.createElement("table");
  table.id = "runs-table";
  table.className = old.className;
  old.replaceWith(table);
  return table;
}

/** A run's summary (from GET /api/sweeps/<id>) into the table, chart and caption. */
function takeSummary(shown, run) {
  const metrics = run.metrics ?? {};
  const values = { state: run.state, epoch: run.epoch ?? null, trainLoss: metrics.trainLoss ?? null,
    testLoss: metrics.testLoss ?? null };
  if (Number.isFinite(metrics.testAccuracy)) values.accuracy = metrics.testAccuracy;
  shown.table.update(run.id, values);
  shown.maps.caption(run.id, { state: run.state, epoch: run.epoch, loss: metrics.testLoss ?? metrics.trainLoss });
  if (run.epoch !== undefined) shown.chart.add(run.id, run.epoch, metrics.trainLoss, metrics.testLoss);
}

async function poll(shown) {
  try {
    const sweep = await api.getSweep(shown.sweep.id);
    if (!shown.closed) for (const run of sweep.runs) takeSummary(shown, run);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      page.status.set("message", "This sweep has been deleted");
      closeShown();
    }
  }
}

/** Each frame: the newest data of every run into its map, the chart and the table. */
function frame() {
  requestAnimationFrame(frame);
  const shown = page.shown;
  if (!shown?.stream) return;
  for (const run of shown.sweep.runs) {
    if (shown.loading.has(run.id)) continue; // a paused run's one snapshot must not be lost
    const data = shown.stream.take(run.id);
    if (!data) continue;
    const epoch = data.batch ?? data.epoch; // the run's own step: an MNIST run counts batches
    shown.chart.add(run.id, epoch, data.trainLoss, data.testLoss);
    shown.maps.show(run.id, data);
    shown.maps.caption(run.id, { state: shown.table.rows.get(run.id)?.state ?? "running", epoch,
      loss: data.testLoss ?? data.trainLoss });
    const values = { epoch, trainLoss: data.trainLoss ?? null, testLoss: data.testLoss ?? null,
      reached: shown.chart.epochsTo(run.id, shown.target) };
    const accuracy = data.testAccuracy ?? shown.maps.accuracy(run.id);
    if (Number.isFinite(accuracy)) values.accuracy = accuracy;
    shown.table.update(run.id, values);
    probe.draws[run.id] = shown.maps.draws(run.id);
  }
  shown.chart.draw();
  probe.frames += 1;
}

async function changeAll(state) {
  if (!page.shown) return;
  try {
    const sweep = await api.patchSweep(page.shown.sweep.id, { state });
    for (const run of sweep.runs) takeSummary(page.shown, run);
  } catch (error) {
    page.status.error(`Could not ${state === "paused" ? "pause" : "resume"} the runs`, error);
  }
}

async function deleteShown() {
  if (!page.shown) return;
  const { id } = page.shown.sweep;
  closeShown();
  try {
    await api.deleteSweep(id);
  } catch (error) {
    page.status.error("Could not delete the sweep", error);
  }
  location.hash = "";
}

// -- start-up ------------------------------------------------------------------------

async function route() {
  const id = hashParams().get("sweep");
  page.status.set("message", "");
  if (id) {
    try {
      await showSweep(id);
    } catch (error) {
      page.status.error("Could not show the sweep", error);
    }
    return;
  }
  closeShown();
  $("comparison").hidden = true;
  $("setup").hidden = false;
  page.form.setBase(baseFromHash());
  listSweeps().catch((error) => page.status.error("Could not list the sweeps", error));
}

async function main() {
  const [catalog, backend] = await Promise.all([api.catalog(), chooseBackend()]);
  page.catalog = catalog;
  page.status.showBackend(backend);
  page.form = new SweepForm(catalog, createSweep);
  $("pause-all").addEventListener("click", () => changeAll("paused"));
  $("resume-all").addEventListener("click", () => changeAll("running"));
  $("delete-sweep").addEventListener("click", deleteShown);
  window.addEventListener("hashchange", route);
  requestAnimationFrame(frame);
  await route();
  probe.ready = true;
  document.body.classList.remove("loading");
  document.body.dataset.ready = "true";
}

main().catch((error) => page.status.error("The page could not start", error));
