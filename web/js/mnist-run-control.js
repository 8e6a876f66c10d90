// The lab's run as its top bar drives it: Start (Restart) trains a new run at once,
// Pause / Resume and Step (one batch, pausing first); the buttons, the run's state
// badge and its note on the status line follow the run's state. The run itself is a
// RunSession, as on every page; the lab says what to run and shows it.

import { api } from "./api.js";
import { RunSession } from "./session.js";

const $ = (id) => document.getElementById(id);

const STATE_LABELS = {
  running: "training", queued: "queued", paused: "paused", finished: "finished", stopped: "stopped",
  diverged: "diverged",
};
const ordinal = (n) => `${n}${["th", "st", "nd", "rd"][(n % 100 > 10 && n % 100 < 14) || n % 10 > 3 ? 0 : n % 10]}`;
const RUN_NOTES = {
  diverged: "Training diverged (the loss is not a number): lower the learning rate and start again.",
  stopped: "This run was stopped; press Start for a new one.",
  finished: "Finished: the epoch budget is spent. Draw a digit, or download the model.",
};
const CONNECTION_NOTES = { reconnecting: "connection lost, reconnecting…", closed: "disconnected from the server" };

export class LabRunControl {
  /**
   * @param {import("./status-line.js").StatusLine} status  with "message", "connection" and "run" parts
   * @param {{spec: () => object,
   *          show: (run: object) => void,
   *          status: (state: string) => void,
   *          stepped: () => void,
   *          error: (prefix: string, error: Error) => void,
   *          clearError: () => void,
   *          notes?: object, queueNote?: string}} lab
   *   spec: the run to create; show: make a new run the lab's; status: the server says the
   *   run's state changed; stepped: a step trained one batch; error / clearError: the
   *   lab's error box; notes: the status line's note per state, and queueNote: why a
   *   run waits (both MNIST's by default)
   */
  constructor(status, lab) {
    this.status = status;
    this.lab = lab;
    this.shown = null; // the state the bar shows: the server's, or the one just asked for
    this.session = new RunSession({
      kinds: ["metrics", "panels", "evaluation"],
      onStatus: (state, epoch, position) => {
        this.showState(state, position);
        lab.status(state);
      },
      onNotice: (message) => status.set("notice", message ?? ""),
      onConnection: (state) => status.set("connection", CONNECTION_NOTES[state] ?? ""),
    });
    $("start").addEventListener("click", () => this.start());
    $("pause").addEventListener("click", () => this.togglePause());
    $("step").addEventListener("click", () => this.step());
    window.addEventListener("pagehide", () => this.session.release({ keepalive: true }));
    this.showState(null);
  }

  get run() {
    return this.session.run;
  }

  /** Train a new run with the lab's settings; the previous one is deleted. */
  async start() {
    this.lab.clearError();
    $("start").disabled = true;
    this.status.set("message", "Starting a run…");
    try {
      const opened = await this.session.open(this.lab.spec(), { state: "running" });
      if (!opened) return;
      const { run } = opened;
      $("export").href = api.exportUrl(run.id);
      $("export").classList.remove("disabled");
      $("export").removeAttribute("aria-disabled");
      this.lab.show(run);
      this.showState(run.state);
    } catch (error) {
      this.lab.error("Could not start a run", error);
    } finally {
      this.status.set("message", "");
      $("start").disabled = false;
    }
  }

  /** The buttons, the badge, body[data-run-state] and the status note for `state`. */
  showState(state, position) {
    this.shown = state;
    document.body.dataset.runState = state ?? "none";
    const live = state === "running" || state === "paused" || state === "queued";
    const pause = $("pause");
    pause.disabled = !live;
    pause.textContent = state === "paused" ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(state === "paused"));
    $("step").disabled = !live;
    $("start").textContent = this.run ? "Restart" : "Start";
    $("run-state").textContent = state === "queued" && position
      ? `queued: ${ordinal(position)}` : STATE_LABELS[state] ?? "no run";
    $("run-state").dataset.state = state ?? "none";
    this.status.set("run", state === "queued"
      ? `Waiting for a core: ${ordinal(position ?? 1)} in the queue. The server trains as many `
        + "heavy runs (MNIST, orientation) at once as it has cores to spare; this one starts when one before it "
        + "pauses or finishes." : (this.lab.notes ?? RUN_NOTES)[state] ?? "");
  }

  /** Pause or resume a live run: the bar changes at once, the server's answer follows. */
  setPaused(paused) {
    const { session } = this;
    const id = session.id;
    if (!id || !["running", "paused", "queued"].includes(this.shown)) return;
    const target = paused ? "paused" : "running";
    if (this.shown === target) return;
    this.showState(target);
    session.setState(target).then((summary) => {
      if (session.id === id) this.showState(summary.state);
    }, (error) => {
      if (session.id !== id) return;
      this.lab.error(paused ? "Could not pause" : "Could not resume", error);
      this.showState(session.state);
    });
  }

  togglePause() {
    if (this.shown === "running" || this.shown === "queued") this.setPaused(true);
    else if (this.shown === "paused") this.setPaused(false);
  }

  /** One batch; a running run is paused first. */
  async step() {
    const { session } = this;
    if (!session.id) return;
    if (this.shown === "running") this.setPaused(true);
    try {
      if (await session.step()) this.lab.stepped();
    } catch (error) {
      this.lab.error("Could not step", error);
    }
  }
}
