// The page's current run on the server, the same for every page: creating it in the
// state the page asks for, watching its event stream, pausing, resuming and stepping
// it, live changes, and deleting it when the page moves on to another run or goes
// away. What a page shows of a run, and which data events it draws, are its own.

import { api } from "./api.js";
import { RunStream } from "./run-stream.js";

export class RunSession {
  /**
   * @param {{kinds?: string[],
   *          onStatus?: (state: string, epoch: number, position?: number) => void,
   *          onNotice?: (message: string|null) => void,
   *          onConnection?: (state: string) => void}} options
   *   kinds: the data events the page draws (see RunStream); onStatus: the current run's
   *   status events (position: its place in the queue while "queued"); onNotice: why its
   *   next data is late, or null once they come; onConnection: its stream's connection state
   */
  constructor({ kinds = ["snapshot"], onStatus = () => {}, onNotice = () => {},
    onConnection = () => {} } = {}) {
    this.kinds = kinds;
    this.onStatus = onStatus;
    this.onNotice = onNotice;
    this.onConnection = onConnection;
    this.run = null; // the current run's details (the POST answer)
    this.state = null; // its state, as the server last said
    this.stream = null;
    this.opening = 0; // counts open() calls: a newer one wins
    this.changing = null; // a pause or resume under way
  }

  get id() {
    return this.run?.id ?? null;
  }

  /**
   * Create a run for `spec` in `state` ("paused": nothing trains until it is played, or
   * "running") and make it the current one once `prepare(run)` has readied what the page
   * shows it with (its model, say). The previous run is deleted. When open() is called
   * again before this one is done, the newer call wins: this run is deleted, what
   * `prepare` made is disposed, and the call resolves null (and never throws).
   * `create(state)` makes the run instead of a POST of `spec` (a fork).
   * @returns {Promise<{run: object, prepared: any} | null>}  run: its details
   */
  async open(spec, { state = "paused", prepare = async () => null, create = null,
    keepPrevious = false } = {}) {
    const ticket = ++this.opening;
    const superseded = () => ticket !== this.opening;
    let run = null;
    let prepared = null;
    const discard = () => {
      prepared?.dispose?.();
      if (run) api.deleteRun(run.id).catch(() => {});
    };
    try {
      run = await (create ? create(state) : api.createRun(spec, state));
      if (!superseded()) prepared = await prepare(run);
    } catch (error) {
      discard();
      if (superseded()) return null;
      throw error;
    }
    if (superseded()) {
      discard();
      return null;
    }
    this.attach(run, { keepPrevious });
    return { run, prepared };
  }

  /**
   * Make `run` the current one: its stream opens, the previous run is deleted (kept,
   * with `keepPrevious`: a fork's link names it, so it can be forked from again).
   */
  attach(run, { keepPrevious = false } = {}) {
    if (keepPrevious) this.run = null;
    this.release();
    this.owned = true;
    this.run = run;
    this.state = run.state;
    const id = run.id;
    this.stream = new RunStream(api.eventsUrl(id), {
      kinds: this.kinds,
      onStatus: ({ state: now, epoch, position }) => {
        if (this.id !== id) return;
        this.state = now;
        this.onStatus(now, epoch, position);
      },
      onNotice: (message) => {
        if (this.id === id) this.onNotice(message);
      },
      onConnection: (connection) => {
        if (this.id === id) this.onConnection(connection);
      },
    });
  }

  /**
   * Make an existing run (a sweep's) the current one without owning it: moving on to
   * another run, or leaving the page, does not delete it.
   */
  adopt(run) {
    this.opening += 1; // a start under way loses to it
    this.attach(run);
    this.owned = false;
  }

  /** Close the stream and delete the run, if the page made it (the server stops it). */
  release({ keepalive = false } = {}) {
    this.stream?.close();
    if (this.run && this.owned) api.deleteRun(this.run.id, { keepalive }).catch(() => {});
    this.stream = null;
    this.run = null;
    this.state = null;
    this.changing = null;
  }

  /** The newest `kind` event not drawn yet, or null. */
  take(kind = "snapshot") {
    return this.stream ? this.stream.take(kind) : null;
  }

  /**
   * Pause or resume ("paused" / "running"); resolves with the run's summary after the
   * change (a pause answers once training has stopped). A step waits for it.
   */
  setState(state) {
    const id = this.id;
    const change = api.patchRun(id, { state }).then((summary) => {
      if (this.id === id) this.state = summary.state;
      return summary;
    });
    const settled = change.then(() => {}, () => {}).then(() => {
      if (this.changing === settled) this.changing = null;
    });
    this.changing = settled;
    return change;
  }

  play() {
    return this.setState("running");
  }

  pause() {
    return this.setState("paused");
  }

  /**
   * One step of a paused run (an epoch; an MNIST batch), once a pause under way is done;
   * resolves with the summary after it, or null when the run changed meanwhile or is not
   * paused (the pause failed, or it ended).
   */
  async step() {
    const id = this.id;
    await this.changing;
    if (this.id !== id || this.state !== "paused") return null;
    return api.step(id);
  }

  /** Live changes the run keeps its weights through (rates, weight edits): a PATCH. */
  patch(changes) {
    return api.patchRun(this.id, changes);
  }
}
