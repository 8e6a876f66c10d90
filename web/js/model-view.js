// The run's own model (a DenseModel), evaluated over the grid: one "activation
// model" outputs every Dense layer, so after each snapshot's weights go in, every
// neuron's map of the 100x100 grid comes from one call and one read-back.

/* global tf */

import { DenseModel } from "./dense-model.js";
import { featureMatrix } from "./features.js";
import { gridPoints } from "./heatmap.js";

export class ModelView extends DenseModel {
  /**
   * ModelView.load(modelUrl, features, density, range)
   * @param {object} model  the loaded tf.LayersModel
   * @param {string[]} features  selected feature keys, in input order
   * @param {number} density  grid samples per side
   * @param {number[]} range  [low, high] of both inputs
   */
  constructor(model, features, density, range) {
    super(model);
    this.density = density;
    this.activations = tf.model({
      inputs: model.inputs,
      outputs: this.neuronOutputs,
    });
    const matrix = featureMatrix(gridPoints(density, range), features);
    this.grid = tf.tensor2d(matrix, [density * density, features.length]);
    this.values = null;
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

  /** The output neuron's map (the first of several softmax outputs). */
  outputMap() {
    return this.map(this.layers.length - 1, 0);
  }

  /** Output neurons: 1, or one per class. */
  get outputs() {
    return this.sizes[this.sizes.length - 1];
  }

  /** The softmax outputs over the grid: samples × classes. */
  classValues() {
    return this.values[this.layers.length - 1];
  }

  dispose() {
    this.grid.dispose();
    // The activation model shares the model's layers (and so its weights): disposing one
    // disposes the layers; disposing both would dispose them twice.
    super.dispose();
    this.values = null;
  }
}
