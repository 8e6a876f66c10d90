// The run's own model, loaded from its model.json, evaluated over the grid.
//
// The page never describes the network itself: it loads what the server exported,
// builds one "activation model" that outputs every Dense layer, and for each
// snapshot puts the snapshot's weights into it and computes every neuron's map of
// the 100x100 grid in one call and one read-back.

/* global tf */

import { featureMatrix } from "./features.js";
import { gridPoints } from "./heatmap.js";

export class ModelView {
  /**
   * @param {string} modelUrl  the run's model.json
   * @param {string[]} features  selected feature keys, in input order
   * @param {number} density  grid samples per side
   * @param {number[]} range  [low, high] of both inputs
   */
  static async load(modelUrl, features, density, range) {
    const model = await tf.loadLayersModel(modelUrl);
    return new ModelView(model, features, density, range);
  }

  constructor(model, features, density, range) {
    this.model = model;
    this.density = density;
    /** Dense layers in order: hidden_1 … hidden_n, output. */
    this.layers = model.layers.filter((layer) => layer.getClassName() !== "InputLayer");
    this.sizes = this.layers.map((layer) => layer.getConfig().units);
    this.inputs = model.inputs[0].shape[1];
    this.activations = tf.model({
      inputs: model.inputs,
      outputs: this.layers.map((layer) => layer.output),
    });
    const matrix = featureMatrix(gridPoints(density, range), features);
    this.grid = tf.tensor2d(matrix, [density * density, features.length]);
    this.values = null;
  }

  /** True when snapshot weights have this model's shapes (a stale snapshot does not). */
  fits(weights) {
    if (weights.length !== this.layers.length) return false;
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
      for (const [kernel, bias] of weights) {
        tensors.push(tf.tensor2d(kernel), tf.tensor1d(bias));
      }
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

  /** Every neuron's output over the grid: one Float32Array per Dense layer, samples × units. */
  compute() {
    const outputs = tf.tidy(() => {
      // One batch: predict() would cut the grid into batches of 32.
      const out = this.activations.predictOnBatch(this.grid);
      return Array.isArray(out) ? out : [out];
    });
    // Read back outside tidy (it walks whatever it returns, every element of a typed
    // array), layer by layer: no concatenated copy.
    this.values = outputs.map((tensor) => tensor.dataSync());
    tf.dispose(outputs);
    return this.values;
  }

  /** Neuron `unit` of Dense layer `layer`: its map is values[sample * stride + offset]. */
  map(layer, unit) {
    return { values: this.values[layer], offset: unit, stride: this.sizes[layer] };
  }

  /** The output neuron's map. */
  outputMap() {
    return this.map(this.layers.length - 1, 0);
  }

  dispose() {
    this.grid.dispose();
    // The activation model shares the model's layers (and so its weights): disposing one
    // disposes the layers; disposing both would dispose them twice.
    this.model.dispose();
    this.values = null;
  }
}
