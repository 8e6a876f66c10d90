// The run's own model (its model.json, loaded with tf.loadLayersModel), evaluated over
// a row of x values. The page never describes the network: each snapshot's weights
// go into the loaded model, and x is normalised exactly as the server trains on it.

/* global tf */

export class CurveModel {
  /**
   * @param {string} modelUrl  the run's model.json
   * @param {{mean: number, std: number}} normalization  x' = (x - mean) / std
   */
  static async load(modelUrl, normalization) {
    const model = await tf.loadLayersModel(modelUrl);
    return new CurveModel(model, normalization);
  }

  constructor(model, { mean, std }) {
    this.model = model;
    this.mean = mean;
    this.std = std;
    /** Dense layers in order: hidden_1 … hidden_n, output. */
    this.layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");
    this.sizes = this.layers.map((layer) => layer.getConfig().units);
  }

  /** True when snapshot weights have this model's shapes (a stale snapshot does not). */
  fits(weights) {
    if (!Array.isArray(weights) || weights.length !== this.layers.length) return false;
    let fanIn = 1;
    for (let i = 0; i < weights.length; i++) {
      const [kernel, bias] = weights[i];
      if (kernel.length !== fanIn || bias.length !== this.sizes[i]) return false;
      if (kernel[0]?.length !== this.sizes[i]) return false;
      fanIn = this.sizes[i];
    }
    return true;
  }

  /** Put a snapshot's weights ([[kernel, bias], …] per Dense layer) into the model. */
  setWeights(weights) {
    tf.tidy(() => {
      const tensors = [];
      for (const [kernel, bias] of weights) tensors.push(tf.tensor2d(kernel), tf.tensor1d(bias));
      this.model.setWeights(tensors);
    });
  }

  /** The model's weights in the snapshot format. */
  weights() {
    const list = this.model.getWeights().map((w) => w.arraySync());
    const layers = [];
    for (let i = 0; i < list.length; i += 2) layers.push([list[i], list[i + 1]]);
    return layers;
  }

  /**
   * Predictions for raw x values (normalised here, as the server does).
   * @param {Float32Array} xs
   * @returns {Float32Array}
   */
  predict(xs) {
    const inputs = xs.map((x) => (x - this.mean) / this.std);
    const out = tf.tidy(() => this.model.predictOnBatch(tf.tensor2d(inputs, [inputs.length, 1])));
    const values = Float32Array.from(out.dataSync());
    out.dispose();
    return values;
  }

  dispose() {
    this.model.dispose();
  }
}
