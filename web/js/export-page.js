// The exported model's page (index.html in a run's export zip). It loads the zip's
// model.json with TensorFlow.js, checks it against Keras (predictions.json: Keras'
// outputs for a few dozen raw inputs, prepared here by the problem's view exactly as
// the product prepares them) and hands the model to that view: the playground's map,
// the fitting lessons' curve, MNIST's draw pad. Any static server will do; nothing
// here talks to tf-playground.
//
// ?backend=cpu (webgl, wasm) forces a backend; otherwise the product's choice is made.

/* global tf */

import { chooseBackend } from "./backend.js";

/** Largest |TF.js − Keras| the self-check accepts (float32 on GPU drifts by ~1e-7). */
export const TOLERANCE = 1e-5;

const $ = (id) => document.getElementById(id);

/** What tests read; nothing in the page depends on it. */
const probe = (window.__export = { ready: false, backend: null, maxDiff: null, error: null });

async function pickBackend() {
  const wanted = new URLSearchParams(location.search).get("backend");
  if (wanted) {
    if (!(await tf.setBackend(wanted))) throw new Error(`the ${wanted} backend is not available`);
    await tf.ready();
    return tf.getBackend();
  }
  return (await chooseBackend()).name;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The largest |a − b| over two equally long lists of numbers (Infinity if lengths differ). */
function maxDifference(got, expected) {
  if (got.length !== expected.length) return Infinity;
  let most = 0;
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs(got[i] - expected[i]);
    if (!(diff <= most)) most = diff; // NaN counts as a difference
  }
  return most;
}

function showCheck(text, status) {
  const line = $("self-check");
  line.textContent = text;
  line.dataset.status = status;
}

async function selfCheck(model, view, predictions, page, backend) {
  const outputs = tf.tidy(() => model.predict(view.prepare(predictions.inputs, page)));
  const got = await outputs.data();
  outputs.dispose();
  const diff = maxDifference(got, predictions.outputs.flat(Infinity));
  probe.maxDiff = diff;
  const shown = diff === 0 ? "0" : diff.toExponential(1);
  const count = predictions.inputs.length;
  if (diff <= TOLERANCE) {
    showCheck(`matches Keras: max |diff| ${shown} on ${backend} (${count} inputs)`, "match");
  } else {
    showCheck(`differs from Keras: max |diff| ${shown} on ${backend} (${count} inputs)`,
      "differs");
  }
}

async function main() {
  if (location.protocol === "file:") return; // index.html says how to serve the folder
  const [metadata, predictions] = await Promise.all([
    fetchJson("./metadata.json"),
    fetchJson("./predictions.json"),
  ]);
  const batches = metadata.batches === undefined ? "" : ` (${metadata.batches} batches)`;
  const epochs = `${metadata.epoch} epoch${metadata.epoch === 1 ? "" : "s"}`;
  $("trained").textContent = `Trained for ${epochs}${batches}; ` +
    `exported ${metadata.exportedAt ?? ""}.`;
  const backend = (probe.backend = await pickBackend());
  const view = await import(`./${metadata.page.view}`);
  const model = await tf.loadLayersModel("./model.json");
  await selfCheck(model, view, predictions, metadata.page, backend);
  await view.show($("view"), model, metadata);
  probe.ready = true;
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  probe.error = String(error);
  showCheck(`Could not run the model: ${error.message || error}`, "failed");
  console.error(error);
});
