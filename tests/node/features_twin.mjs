// Runs web/js/features.js on points given on standard input, for the Python tests.
//
// Input (stdin, JSON): {"points": [[x1, x2], ...], "keys": ["x", ...], "flat": false}
//   With "flat": true the points are passed as one interleaved Float64Array,
//   the other form featureMatrix accepts.
// Output (stdout, JSON): {"features": [{key, label, expression}, ...],
//   "matrix": [...row-major float32 values...], "rows": n, "cols": k,
//   "values": {key: [featureValue(key, x1, x2) for each point]}}
import { readFileSync } from "node:fs";
import { FEATURES, featureMatrix, featureValue } from "../../web/js/features.js";

const request = JSON.parse(readFileSync(0, "utf8"));
const points = request.flat ? Float64Array.from(request.points.flat()) : request.points;
const matrix = featureMatrix(points, request.keys);
const values = {};
for (const { key } of FEATURES) {
  values[key] = request.points.map(([x1, x2]) => featureValue(key, x1, x2));
}
process.stdout.write(
  JSON.stringify({
    features: FEATURES.map(({ key, label, expression }) => ({ key, label, expression })),
    matrix: Array.from(matrix),
    rows: request.points.length,
    cols: matrix.length / Math.max(request.points.length, 1),
    values,
  }),
);
