// The page's current run on the server: creating it (paused), its event stream,
// play / pause / step, live changes and weight edits, and deleting it when the
// page moves on to another run or goes away.

import { api } from "./api.js";
import { RunStream } from "./run-stream.js";

export class RunSession {
  /**
   * @param {{onStatus: (state: string, epoch: number) => void,
   *          onConnection: (state: string) => void}} handlers
   */
  constructor({ onStatus, onConnection }) {
    this.onStatus = onStatus;
    this.onConnection = onConnection;
    this.run = null;
    this.state = null;
    this.stream = null;
  }

  get id() {
    return this.run?.id ?? null;
  }

  /**
   * Create a run for `spec`, paused before it trains (the page never starts training
   * by itself). Returns the run (POST response) and its summary after pausing.
   */
  static async create(spec) {
    const run = await api.createRun(spec);
    let summary = run;
    if (run.state === "running") {
      try {
        summary = await api.patchRun(run.id, { state: "paused" });
      } catch (error) {
        api.deleteRun(run.id).catch(() => {});
        throw error;
      }
    }
    return { run, summary };
  }

  /** Make `run` the current one: its stream opens, the previous run is deleted. */
  attach(run, summary) {
    this.release();
    this.run = run;
    this.state = summary.state;
    const id = run.id;
    this.stream = new RunStream(api.eventsUrl(id), {
      onStatus: ({ state, epoch }) => {
        if (this.id !== id) return;
        this.state = state;
        this.onStatus(state, epoch);
      },
      onConnection: (state) => {
        if (this.id === id) this.onConnection(state);
      },
    });
  }

  /** Close the stream and delete the run (the server stops training it). */
  release({ keepalive = false } = {}) {
    if (this.stream) this.stream.close();
    if (this.run) api.deleteRun(this.run.id, { keepalive }).catch(() => {});
    this.stream = null;
    this.run = null;
    this.state = null;
  }

  /** The newest snapshot not drawn yet, or null. */
  take() {
    return this.stream ? this.stream.take() : null;
  }

  async setState(state) {
    const id = this.id;
    const summary = await api.patchRun(id, { state });
    if (this.id === id) this.state = summary.state;
    return summary;
  }

  play() {
    return this.setState("running");
  }

  pause() {
    return this.setState("paused");
  }

  /** One epoch (paused runs only); resolves with the summary after it. */
  step() {
    return api.step(this.id);
  }

  /** Learning rate / regularization rate: the run keeps its weights. */
  patch(changes) {
    return api.patchRun(this.id, changes);
  }

  /** Set one weight ({kind: "weight", layer, input, unit}) or bias ({kind: "bias", layer, unit}). */
  edit(target, value) {
    const change =
      target.kind === "weight"
        ? { weights: [{ layer: target.layer, input: target.input, unit: target.unit, value }] }
        : { biases: [{ layer: target.layer, unit: target.unit, value }] };
    return api.patchRun(this.id, change);
  }
}
