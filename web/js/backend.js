// Picks the fastest TensorFlow.js backend for the page's work (one forward pass of
// a small network over a 100x100 grid, read back every frame).
//
// WebGL wins on a real GPU for big models, but here the model is tiny and every
// frame reads the result back; on a software renderer (SwiftShader, llvmpipe) it
// is far slower than WebAssembly. So: a software renderer never gets WebGL, and
// otherwise a short probe of the real kind of work decides between the candidates.

/* global tf */

const WASM_PATH = "/vendor/@tensorflow/tfjs-backend-wasm/dist/";
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

/** The WebGL renderer's name (unmasked where the browser allows), or null without WebGL. */
function webglRenderer() {
  try {
    const canvas = document.createElement("canvas");
    const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
    if (!gl) return null;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return String(name);
  } catch {
    return null;
  }
}

/**
 * Milliseconds per forward pass of a playground-sized network over a grid's worth of inputs
 * (median of 3). The inputs are standard-normal: their values do not change how long a pass
 * takes, so the probe needs no input range of any page.
 */
function probe() {
  const times = [];
  const x = tf.randomNormal([10000, 7]);
  const layers = [7, 8, 8, 8, 8, 1].map((n, i, all) =>
    i === 0 ? null : [tf.randomUniform([all[i - 1], n], -1, 1), tf.randomUniform([n], -1, 1)],
  ).slice(1);
  const pass = () => {
    const all = tf.tidy(() => {
      let h = x;
      const outs = [];
      for (const [w, b] of layers) {
        h = tf.tanh(tf.add(tf.matMul(h, w), b));
        outs.push(h);
      }
      return tf.concat(outs, 1);
    });
    all.dataSync();
    all.dispose();
  };
  pass(); // warm-up: shader compilation, kernel set-up
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    pass();
    times.push(performance.now() - start);
  }
  tf.dispose([x, ...layers.flat()]);
  return times.sort((a, b) => a - b)[1];
}

async function trySetBackend(name) {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Choose and set the backend.
 * @returns {Promise<{name: string, reason: string, renderer: string|null, timings: object}>}
 */
export async function chooseBackend() {
  tf.enableProdMode();
  if (tf.wasm?.setWasmPaths) tf.wasm.setWasmPaths(WASM_PATH);
  const renderer = webglRenderer();
  const software = renderer !== null && SOFTWARE_RENDERER.test(renderer);
  const candidates = [];
  if (renderer !== null && !software) candidates.push("webgl");
  if (tf.findBackendFactory("wasm")) candidates.push("wasm");
  candidates.push("cpu");

  const timings = {};
  if (candidates[0] === "webgl") {
    for (const name of candidates.filter((n) => n !== "cpu")) {
      if (await trySetBackend(name)) timings[name] = probe();
    }
  }
  const measured = Object.keys(timings);
  let chosen = null;
  if (measured.length > 0) {
    chosen = measured.reduce((a, b) => (timings[a] <= timings[b] ? a : b));
  }
  for (const name of chosen ? [chosen, ...candidates] : candidates) {
    if (await trySetBackend(name)) {
      chosen = name;
      break;
    }
  }
  await tf.ready();
  let reason;
  if (software) reason = `WebGL is software-rendered (${shortRenderer(renderer)})`;
  else if (renderer === null) reason = "no WebGL";
  else if (measured.length > 1) {
    reason = measured.map((n) => `${n} ${timings[n].toFixed(1)} ms`).join(", ");
  } else reason = "";
  return { name: chosen, reason, renderer, timings };
}

function shortRenderer(renderer) {
  const match = renderer.match(SOFTWARE_RENDERER);
  if (!match) return renderer;
  return match[0].toLowerCase() === "swiftshader" ? "SwiftShader" : match[0];
}
