// A JavaScript reference copy of the classic playground's data generation:
// the generators of src/dataset.ts, its shuffle, and the seeding and split of
// generateData() in src/playground.ts, with npm seedrandom as Math.random
// (what Math.seedrandom(state.seed) installs in the page).
//
// d3.scale.linear is replaced by the exact formula d3 3.5.x evaluates
// (uninterpolate (x - a) / (b - a), then interpolate a * (1 - t) + b * t),
// since the rounding of those steps is part of the labels.
//
// Usage: node tests/node/playground_datasets.mjs '[{"dataset": "circle",
//          "noise": 0, "percTrainData": 50, "seed": "0.59"}, ...]'
//   "numSamples" may be given to override the playground's count; with
//   "raw": true the unshuffled generator output is returned instead.
// Output: JSON array of {train: [[x, y, label], ...], test: [...]} or
//   {points: [...]} for raw cases. Doubles print in round-trip form.
import seedrandom from "seedrandom";

const NUM_SAMPLES_CLASSIFY = 500;
const NUM_SAMPLES_REGRESS = 1200;

function d3Linear(domain, range, clamp = false) {
  const a = +domain[0];
  const b = domain[1] - a || 1 / (domain[1] - a);
  const r0 = +range[0];
  const r1 = +range[1];
  return (x) => {
    let t = (x - a) / b;
    if (clamp) t = Math.max(0, Math.min(1, t));
    return r0 * (1 - t) + r1 * t;
  };
}

function shuffle(array) {
  let counter = array.length;
  let temp = 0;
  let index = 0;
  while (counter > 0) {
    index = Math.floor(Math.random() * counter);
    counter--;
    temp = array[counter];
    array[counter] = array[index];
    array[index] = temp;
  }
}

function classifyTwoGaussData(numSamples, noise) {
  const points = [];
  const varianceScale = d3Linear([0, 0.5], [0.5, 4]);
  const variance = varianceScale(noise);
  function genGauss(cx, cy, label) {
    for (let i = 0; i < numSamples / 2; i++) {
      const x = normalRandom(cx, variance);
      const y = normalRandom(cy, variance);
      points.push({ x, y, label });
    }
  }
  genGauss(2, 2, 1);
  genGauss(-2, -2, -1);
  return points;
}

function regressPlane(numSamples, noise) {
  const radius = 6;
  const labelScale = d3Linear([-10, 10], [-1, 1]);
  const getLabel = (x, y) => labelScale(x + y);
  const points = [];
  for (let i = 0; i < numSamples; i++) {
    const x = randUniform(-radius, radius);
    const y = randUniform(-radius, radius);
    const noiseX = randUniform(-radius, radius) * noise;
    const noiseY = randUniform(-radius, radius) * noise;
    const label = getLabel(x + noiseX, y + noiseY);
    points.push({ x, y, label });
  }
  return points;
}

function regressGaussian(numSamples, noise) {
  const points = [];
  const labelScale = d3Linear([0, 2], [1, 0], true);
  const gaussians = [
    [-4, 2.5, 1],
    [0, 2.5, -1],
    [4, 2.5, 1],
    [-4, -2.5, -1],
    [0, -2.5, 1],
    [4, -2.5, -1],
  ];
  function getLabel(x, y) {
    let label = 0;
    gaussians.forEach(([cx, cy, sign]) => {
      const newLabel = sign * labelScale(dist({ x, y }, { x: cx, y: cy }));
      if (Math.abs(newLabel) > Math.abs(label)) {
        label = newLabel;
      }
    });
    return label;
  }
  const radius = 6;
  for (let i = 0; i < numSamples; i++) {
    const x = randUniform(-radius, radius);
    const y = randUniform(-radius, radius);
    const noiseX = randUniform(-radius, radius) * noise;
    const noiseY = randUniform(-radius, radius) * noise;
    const label = getLabel(x + noiseX, y + noiseY);
    points.push({ x, y, label });
  }
  return points;
}

function classifySpiralData(numSamples, noise) {
  const points = [];
  const n = numSamples / 2;
  function genSpiral(deltaT, label) {
    for (let i = 0; i < n; i++) {
      const r = (i / n) * 5;
      const t = ((1.75 * i) / n) * 2 * Math.PI + deltaT;
      const x = r * Math.sin(t) + randUniform(-1, 1) * noise;
      const y = r * Math.cos(t) + randUniform(-1, 1) * noise;
      points.push({ x, y, label });
    }
  }
  genSpiral(0, 1);
  genSpiral(Math.PI, -1);
  return points;
}

function classifyCircleData(numSamples, noise) {
  const points = [];
  const radius = 5;
  function getCircleLabel(p, center) {
    return dist(p, center) < radius * 0.5 ? 1 : -1;
  }
  for (let i = 0; i < numSamples / 2; i++) {
    const r = randUniform(0, radius * 0.5);
    const angle = randUniform(0, 2 * Math.PI);
    const x = r * Math.sin(angle);
    const y = r * Math.cos(angle);
    const noiseX = randUniform(-radius, radius) * noise;
    const noiseY = randUniform(-radius, radius) * noise;
    const label = getCircleLabel({ x: x + noiseX, y: y + noiseY }, { x: 0, y: 0 });
    points.push({ x, y, label });
  }
  for (let i = 0; i < numSamples / 2; i++) {
    const r = randUniform(radius * 0.7, radius);
    const angle = randUniform(0, 2 * Math.PI);
    const x = r * Math.sin(angle);
    const y = r * Math.cos(angle);
    const noiseX = randUniform(-radius, radius) * noise;
    const noiseY = randUniform(-radius, radius) * noise;
    const label = getCircleLabel({ x: x + noiseX, y: y + noiseY }, { x: 0, y: 0 });
    points.push({ x, y, label });
  }
  return points;
}

function classifyXORData(numSamples, noise) {
  function getXORLabel(p) {
    return p.x * p.y >= 0 ? 1 : -1;
  }
  const points = [];
  for (let i = 0; i < numSamples; i++) {
    let x = randUniform(-5, 5);
    const padding = 0.3;
    x += x > 0 ? padding : -padding;
    let y = randUniform(-5, 5);
    y += y > 0 ? padding : -padding;
    const noiseX = randUniform(-5, 5) * noise;
    const noiseY = randUniform(-5, 5) * noise;
    const label = getXORLabel({ x: x + noiseX, y: y + noiseY });
    points.push({ x, y, label });
  }
  return points;
}

function randUniform(a, b) {
  return Math.random() * (b - a) + a;
}

function normalRandom(mean = 0, variance = 1) {
  let v1, v2, s;
  do {
    v1 = 2 * Math.random() - 1;
    v2 = 2 * Math.random() - 1;
    s = v1 * v1 + v2 * v2;
  } while (s > 1);
  const result = Math.sqrt((-2 * Math.log(s)) / s) * v1;
  return mean + Math.sqrt(variance) * result;
}

function dist(a, b) {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy);
}

const GENERATORS = {
  circle: [classifyCircleData, NUM_SAMPLES_CLASSIFY],
  xor: [classifyXORData, NUM_SAMPLES_CLASSIFY],
  gauss: [classifyTwoGaussData, NUM_SAMPLES_CLASSIFY],
  spiral: [classifySpiralData, NUM_SAMPLES_CLASSIFY],
  "reg-plane": [regressPlane, NUM_SAMPLES_REGRESS],
  "reg-gauss": [regressGaussian, NUM_SAMPLES_REGRESS],
};

const rows = (points) => points.map((p) => [p.x, p.y, p.label]);

function run(c) {
  if (!Object.hasOwn(GENERATORS, c.dataset)) throw new Error(`unknown data set ${c.dataset}`);
  const [generator, defaultCount] = GENERATORS[c.dataset];
  Math.random = seedrandom(c.seed); // what Math.seedrandom(state.seed) does
  const numSamples = c.numSamples ?? defaultCount;
  const data = generator(numSamples, c.noise / 100);
  if (c.raw) return { points: rows(data) };
  shuffle(data);
  const splitIndex = Math.floor((data.length * c.percTrainData) / 100);
  return { train: rows(data.slice(0, splitIndex)), test: rows(data.slice(splitIndex)) };
}

const cases = JSON.parse(process.argv[2] ?? "[]");
process.stdout.write(JSON.stringify(cases.map(run)));
