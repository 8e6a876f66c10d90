// Run README.txt's JavaScript snippet in Node as a page served from the export's folder
// would: `tf` is a global (the page's <script src="tf.es2017.min.js">), and relative URLs
// ("./model.json", "./predictions.json") resolve against the folder's URL. Nothing else is
// provided; the snippet's own console.log output goes to stdout.
//
// Usage: node run_snippet.mjs <snippet.mjs> <folder URL, ending in />

import { pathToFileURL } from 'node:url';

const [snippetPath, base] = process.argv.slice(2);
if (!snippetPath || !base) throw new Error('usage: run_snippet.mjs <snippet.mjs> <folder URL>');

// tfjs greets Node users on the console at load time: keep stdout for the snippet.
const log = console.log;
console.log = console.info = console.warn = (...args) => process.stderr.write(args.join(' ') + '\n');
globalThis.tf = await import('@tensorflow/tfjs');
console.log = log;

const fetchAbsolute = globalThis.fetch;
globalThis.fetch = (url, init) => fetchAbsolute(new URL(String(url), base), init);

await tf.setBackend('cpu');
await import(pathToFileURL(snippetPath).href);
