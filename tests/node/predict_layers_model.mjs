// Load an exported TensorFlow.js layers model with tfjs's own reader and run predict().
//
// This is the oracle for tests/test_exporter.py: if tfjs-layers 4.22 deserialises our
// model.json, matches every weight by name (strict mode), and computes the same numbers as
// Keras, the exporter is right. Reading the files ourselves and handing tfjs
// {modelTopology, weightSpecs, weightData} is exactly what its HTTP loader does after fetching.
//
// Usage: node predict_layers_model.mjs <model_dir> <inputs.json> [<outputs.json>]
//   inputs.json: a nested array (single-input model) or {"inputs": [array, ...]}.
//   Result: {"outputs": [nested array, ...], "shapes": [[...], ...]} written to <outputs.json>,
//   or, without it, printed on stdout after a line reading PREDICTIONS_JSON.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MARKER = 'PREDICTIONS_JSON';

// tfjs prints a "install tfjs-node" hint through console; keep stdout for our result only.
const toStderr = (...args) => process.stderr.write(args.join(' ') + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;

// Imported after the console is redirected so nothing tfjs logs at load time reaches stdout.
const tf = await import('@tensorflow/tfjs');

async function loadArtifacts(modelDir) {
  const modelJson = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of modelJson.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const shardPath of group.paths) {
      buffers.push(await readFile(path.join(modelDir, shardPath)));
    }
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.length);
  return { modelTopology: modelJson.modelTopology, weightSpecs, weightData, format: modelJson.format };
}

async function main() {
  const [modelDir, inputsPath, outputsPath] = process.argv.slice(2);
  if (!modelDir || !inputsPath) {
    throw new Error('usage: predict_layers_model.mjs <model_dir> <inputs.json> [<outputs.json>]');
  }
  tf.enableProdMode();
  await tf.setBackend('cpu');
  await tf.ready();

  const artifacts = await loadArtifacts(modelDir);
  const model = await tf.loadLayersModel({ load: async () => artifacts }, { strict: true });

  const parsed = JSON.parse(await readFile(inputsPath, 'utf8'));
  const inputArrays = Array.isArray(parsed) ? [parsed] : parsed.inputs;
  const inputs = inputArrays.map((values) => tf.tensor(values, undefined, 'float32'));
  const predicted = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  const outputs = Array.isArray(predicted) ? predicted : [predicted];

  const result = {
    outputs: await Promise.all(outputs.map((t) => t.array())),
    shapes: outputs.map((t) => t.shape),
  };
  const text = JSON.stringify(result);
  if (outputsPath) {
    await writeFile(outputsPath, text);
  } else {
    process.stdout.write(`${MARKER}\n${text}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
