// The layer editor's arithmetic: a model's shapes and parameter count before it trains
// (the browser tests check it against Keras for every preset), for square inputs of
// any size and channels and a softmax of any size (MNIST: 28×28×1 → 10).

/**
 * Each layer's output shape and trainable parameters, as Keras builds the model (dense
 * and conv layers followed by batch normalisation have no bias, and after a ReLU or
 * linear layer batch normalisation keeps only its offset; convolutions use "same"
 * padding). Errors name what the server would reject.
 */
export function describeLayers(layers, activation = "relu", { side: inputSide = 28, channels: inputChannels = 1, classes = 10 } = {}) {
  let side = inputSide;
  let channels = inputChannels;
  let flat = null; // units once flattened
  let total = 0;
  const rows = layers.map((layer, i) => {
    const next = layers[i + 1];
    const bias = next?.type === "batchnorm" ? 0 : 1;
    let params = 0;
    let error = null;
    switch (layer.type) {
      case "dense": {
        const inputs = flat ?? side * side * channels;
        params = inputs * layer.units + bias * layer.units;
        flat = layer.units;
        break;
      }
      case "conv":
        if (flat !== null) {
          error = "a convolution cannot follow a dense layer";
          break;
        }
        params = layer.kernel * layer.kernel * channels * layer.filters + bias * layer.filters;
        side = Math.ceil(side / layer.stride);
        channels = layer.filters;
        break;
      case "maxpool":
        if (flat !== null) {
          error = "max-pooling cannot follow a dense layer";
          break;
        }
        side = Math.floor(side / layer.size);
        if (side < 1) error = "the image has shrunk below 1×1 pixel";
        break;
      case "batchnorm": {
        const previous = layers[i - 1];
        if (previous?.type !== "dense" && previous?.type !== "conv") {
          error = "batch normalisation follows a dense or conv layer";
        }
        const offsetOnly = ["relu", "linear"].includes(previous?.activation ?? activation);
        params = (offsetOnly ? 1 : 2) * (flat ?? channels);
        break;
      }
      default:
        break;
    }
    total += params;
    const shape = flat !== null ? `${flat}` : `${side}×${side}×${channels}`;
    return { shape, params, error };
  });
  total += (flat ?? side * side * channels) * classes + classes;
  return { rows, total };
}
