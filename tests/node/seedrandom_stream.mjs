// Prints the first N numbers of npm seedrandom's ARC4 generator for each seed.
//
// Usage: node tests/node/seedrandom_stream.mjs COUNT SEED [SEED ...]
// Output: JSON object {seed: [numbers...]}. JSON.stringify writes the shortest
// text that round-trips, so Python's json reads back the very same doubles.
import seedrandom from "seedrandom";

const [countText, ...seeds] = process.argv.slice(2);
const count = Number.parseInt(countText, 10);
if (!Number.isInteger(count) || count < 0 || seeds.length === 0) {
  console.error("usage: seedrandom_stream.mjs COUNT SEED [SEED ...]");
  process.exit(2);
}
const out = {};
for (const seed of seeds) {
  const rng = seedrandom(seed);
  const values = new Array(count);
  for (let i = 0; i < count; i++) values[i] = rng();
  out[seed] = values;
}
process.stdout.write(JSON.stringify(out));
