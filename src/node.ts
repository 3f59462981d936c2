// Node entry: the wasm is read from the file shipped next to the package's dist/src.
import { readFile } from 'node:fs/promises';
import { setHost } from './engine.js';

setHost({
  defaultWasm: (debug) => new URL(debug ? '../riskcore.debug.wasm' : '../riskcore.wasm', import.meta.url),
  fetchModule: async (url) => {
    if (url.protocol === 'file:') return WebAssembly.compile(await readFile(url));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetch ${url.href}: ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  },
});

export * from './index.js';
