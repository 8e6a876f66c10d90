// The run's own model (a DenseModel), evaluated over a row of x values, with x
// normalised exactly as the server trains on it.

/* global tf */

import { DenseModel } from "./dense-model.js";

export class FittingModel extends DenseModel {
  /**
   * FittingModel.load(modelUrl, normalization)
   * @param {object} model  the loaded tf.LayersModel
   * @param {{mean: number, std: number}} normalization  x' = (x - mean) / std
   */
  constructor(model, { mean, std }) {
    super(model);
    this.mean = mean;
    this.std = std;
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
}
