// The page's run as the top bar drives it (the playground and the fitting page):
// starting a new one with its model loaded in the page, play / pause, step and reset,
// what the play and step buttons show for the run's state, and the run's and the
// connection's notes on the status line. The page says what to run, how to load and
// show it, and how to show an epoch.

import { api } from "./api.js";
import { RunSession } from "./session.js";

const $ = (id) => document.getElementById(id);

const RUN_NOTES = {
  diverged: "training diverged (the loss is not a number): lower the learning rate and reset",
  stopped: "this run was stopped: press play or reset to start a new one",
};
const CONNECTION_NOTES = { reconnecting: "reconnecting…", closed: "connection lost: reload the page" };

export class RunControl {
  /**
   * @param {import("./status-line.js").StatusLine} status  with "message", "connection" and "run" parts
   * @param {{spec: () => object,
   *          load: (run: object) => Promise<{dispose: () => void}>,
   *          show: (run: object, model: object) => void,
   *          progress: (epoch: number, trainLoss?: number, testLoss?: number) => void,
   *          sync?: (run: object) => Promise<void>|void,
   *          failed?: (error: Error) => void}} page
   *   spec: the run to create; load: its model in the page; show: make the new run the
   *   page's; progress: show an epoch (and its losses); sync: catch up with changes made
   *   while the run was being created; failed: a run could not start (by default the
   *   status line says so)
   * @param {{key?: string}} options  key: the play / pause key, named in the button's title
   */
  constructor(status, page, { key = "" } = {}) {
    this.status = status;
    this.page = page;
    this.keyHint = key ? ` (${key})` : "";
    this.model = null;
    this.starts = 0;
    this.session = new RunSession({
      onStatus: (state, epoch) => {
        this.showState(state);
        page.progress(epoch);
      },
      onNotice: (message) => status.set("notice", message ?? ""),
      onConnection: (state) => status.set("connection", CONNECTION_NOTES[state] ?? ""),
    });
    $("play-pause").addEventListener("click", () => this.toggle());
    $("step").addEventListener("click", () => this.step());
    $("reset").addEventListener("click", () => this.start());
    window.addEventListener("pagehide", () => this.session.release({ keepalive: true }));
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.start();
    });
  }

  /**
   * Start a new run (paused, unless `play`) for the page's spec; a newer start wins.
   * `create(state)` makes it another way (a fork), `keepPrevious` keeps the old run.
   * Resolves true once the run is the page's.
   */
  async start({ play = false, create = null, keepPrevious = false } = {}) {
    const start = ++this.starts;
    document.body.classList.add("loading");
    this.status.set("message", "");
    try {
      const opened = await this.session.open(this.page.spec(), {
        prepare: (run) => this.page.load(run), create, keepPrevious,
      });
      if (!opened) return false;
      const { run, prepared: model } = opened;
      const previous = this.model;
      this.model = model;
      this.page.show(run, model);
      previous?.dispose();
      this.showState(run.state);
      $("download").href = api.exportUrl(run.id);
      $("download").classList.remove("disabled");
      await this.page.sync?.(run);
      if (play) await this.setPlaying(true);
      return true;
    } catch (error) {
      if (start !== this.starts) return false;
      if (create) throw error; // the caller says what went wrong
      if (this.page.failed) this.page.failed(error);
      else this.status.error("Could not start a run", error);
      return false;
    } finally {
      if (start === this.starts) document.body.classList.remove("loading");
    }
  }

  /** Show an existing run (`/?run=<id>`: one of a sweep's) instead of a new one; the page
   * does not own it, so moving on does not delete it. A run that cannot be had: a new one. */
  async adopt(runId) {
    const start = ++this.starts;
    try {
      const run = await api.getRun(runId);
      const model = await this.page.load(run);
      if (start !== this.starts) {
        model.dispose();
        return;
      }
      this.session.adopt(run);
      this.page.adopted?.(run);
      const previous = this.model;
      this.model = model;
      this.page.show(run, model);
      previous?.dispose();
      this.showState(run.state);
      $("download").href = api.exportUrl(run.id);
      $("download").classList.remove("disabled");
      document.body.classList.remove("loading");
    } catch (error) {
      await this.start();
      this.status.error("Could not open that run; here is a new one", error);
    }
  }

  /** The play / pause button, the step button and body[data-run-state] for `state`. */
  showState(state) {
    const playing = state === "running";
    const button = $("play-pause");
    button.classList.toggle("playing", playing);
    button.title = `${playing ? "Pause" : "Run"}${this.keyHint}`;
    button.setAttribute("aria-label", playing ? "Pause" : "Run");
    $("step").disabled = !(state === "paused" || state === "running");
    document.body.dataset.runState = state ?? "none";
    this.status.set("run", RUN_NOTES[state] ?? "");
    this.page.stateChanged?.(state);
  }

  toggle() {
    return this.setPlaying(this.session.state !== "running");
  }

  /** Play or pause; playing a stopped or diverged run starts a new one. */
  async setPlaying(playing) {
    const { session } = this;
    if (!session.id) return;
    if (playing && (session.state === "stopped" || session.state === "diverged")) {
      await this.start({ play: true });
      return;
    }
    this.showState(playing ? "running" : "paused"); // at once; the server's answer follows
    try {
      const summary = playing ? await session.play() : await session.pause();
      this.showState(summary.state);
      this.page.progress(summary.epoch, summary.metrics.trainLoss, summary.metrics.testLoss);
    } catch (error) {
      this.status.error(playing ? "Could not play" : "Could not pause", error);
      this.showState(session.state);
    }
  }

  /** One epoch (pausing first). */
  async step() {
    const { session } = this;
    if (!session.id) return;
    try {
      if (session.state === "running") await this.setPlaying(false);
      const summary = await session.step();
      if (summary) this.page.progress(summary.epoch, summary.metrics.trainLoss, summary.metrics.testLoss);
    } catch (error) {
      this.status.error("Could not step", error);
    }
  }
}
