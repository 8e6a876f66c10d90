// The run's model in the page, loaded from its model.json with tf.loadLayersModel, and
// when to load it again: once its first weights exist, every few seconds while it
// trains, and once more after it pauses, steps or ends. The MNIST lab's drawing pad
// and the orientation page's photo reader both read with it.

/* global tf */

const MODEL_REFRESH_MS = 3000; // reload the run's model this often while it trains

/**
 * A run's Keras model in TensorFlow.js. `load` replaces it (the old one is disposed once
 * the new one is ready); loads never overlap, and a load for an older run is dropped.
 */
export class RunModel {
  constructor() {
    this.model = null;
    this.url = null;
    this.loading = null;
    this.token = 0;
    this.attemptedAt = -Infinity;
  }

  /** Load `url` (the run's model.json). Resolves true when the model changed. */
  async load(url) {
    if (this.loading && this.url === url) {
      // A load of the same run is under way: wait for it, then fetch the newer weights.
      await this.loading.catch(() => {});
    }
    const token = ++this.token;
    this.url = url;
    this.attemptedAt = performance.now();
    const attempt = tf.loadLayersModel(url, { requestInit: { cache: "no-store" } });
    this.loading = attempt;
    let model;
    try {
      model = await attempt;
    } finally {
      if (this.loading === attempt) this.loading = null;
    }
    if (token !== this.token) {
      model.dispose();
      return false;
    }
    this.model?.dispose();
    this.model = model;
    return true;
  }

  get busy() {
    return this.loading !== null;
  }

  /** Forget the model (a new run is starting). */
  reset() {
    this.token += 1;
    this.model?.dispose();
    this.model = null;
    this.url = null;
  }

  /** The softmax of one input (a flat array) of `shape` ([1, h, w, c]); null without a model. */
  probabilities(input, shape) {
    if (!this.model || !input) return null;
    const out = tf.tidy(() => this.model.predict(tf.tensor4d(input, shape)));
    const values = out.dataSync();
    out.dispose();
    return Array.from(values);
  }
}

/** When a run's model is due to be loaded into the page, and loading it. */
export class ModelRefresh {
  /**
   * @param {RunModel} model
   * @param {{loaded: () => void, failed: (error: Error|null) => void}} handlers
   *   loaded: a newer model is in; failed: a load failed (null: the failure is over)
   */
  constructor(model, { loaded, failed }) {
    this.model = model;
    this.loaded = loaded;
    this.failed = failed;
    this.run = null;
    this.state = null;
    this.weightsExist = false; // the run has published its first weights
    this.wanted = false; // load at the next frame
    this.loads = 0;
  }

  /** A new run (or none): its model replaces the previous run's once its weights exist. */
  setRun(run) {
    this.run = run;
    this.model.reset();
    this.weightsExist = false;
    this.wanted = false;
    this.failed(null);
  }

  /** The run's state: a run that stops training gets its newest weights loaded, once. */
  setState(state) {
    this.state = state;
    if (state !== "running") this.wanted = true;
  }

  /** The run published its weights (a panels event): the first time, load them. */
  weightsPublished() {
    if (this.weightsExist) return;
    this.weightsExist = true;
    this.wanted = true;
  }

  /** A step changed the weights: load them. */
  weightsChanged() {
    this.weightsExist = true;
    this.wanted = true;
  }

  /** Once per animation frame: load the model when it is due. */
  frame(now) {
    const { model } = this;
    if (!this.run || !this.weightsExist || model.busy) return;
    const due = now - model.attemptedAt >= MODEL_REFRESH_MS;
    if (this.wanted || (due && (this.state === "running" || !model.model))) {
      this.wanted = false;
      this.load();
    }
  }

  load() {
    const run = this.run;
    this.model.load(run.modelUrl).then((changed) => {
      if (!changed || this.run !== run) return;
      this.loads += 1;
      this.failed(null);
      this.loaded();
    }).catch((error) => {
      if (this.run !== run) return;
      console.warn("Could not load the run's model", error);
      this.failed(error);
    });
  }

  /** How the page describes the model it reads with, by the run's state. */
  describe() {
    return this.state === "running" ? "the model as of a few seconds ago (it is still training)"
      : this.state === "finished" ? "the trained model" : "the model as it is now";
  }
}
