// A run's own model in the page: its model.json loaded with tf.loadLayersModel, a
// stack of Dense layers. The page never describes the network itself: each
// snapshot's weights ([[kernel, bias], …] per Dense layer) go into the loaded model.
// ModelView (the playground's grid maps) and FittingModel (the fitting page's
// curve) add what they compute with it.

/* global tf */

export class DenseModel {
  /** Load the run's model.json; the other arguments go to the constructor. */
  static async load(modelUrl, ...args) {
    const model = await tf.loadLayersModel(modelUrl);
    return new this(model, ...args);
  }

  constructor(model) {
    this.model = model;
    /** Dense layers in order: hidden_1 … hidden_n, output (LeakyReLU and Dropout layers
     * between them hold no weights). */
    this.layers = model.layers.filter((layer) => layer.getClassName() === "Dense");
    this.sizes = this.layers.map((layer) => layer.getConfig().units);
    /** Each Dense layer's neuron outputs: its own, or the LeakyReLU layer's after it. */
    this.neuronOutputs = this.layers.map((layer) => {
      const next = model.layers[model.layers.indexOf(layer) + 1];
      return next?.getClassName() === "LeakyReLU" ? next.output : layer.output;
    });
    this.inputs = model.inputs[0].shape[1];
  }

  /** True when snapshot weights have this model's shapes (a stale snapshot does not). */
  fits(weights) {
    if (!Array.isArray(weights) || weights.length !== this.layers.length) return false;
    let fanIn = this.inputs;
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

  /** The model's weights in the snapshot format, [[kernel, bias], …] per Dense layer. */
  weights() {
    const list = this.model.getWeights().map((w) => w.arraySync());
    const layers = [];
    for (let i = 0; i < list.length; i += 2) layers.push([list[i], list[i + 1]]);
    return layers;
  }

  dispose() {
    this.model.dispose();
  }
}
