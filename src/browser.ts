// Browser entry: the wasm is fetched from next to this module and compiled while streaming.
// Bundlers that do not copy the asset can pass `wasm` (a URL, a Response, bytes or a Module).
import { setHost } from './engine.js';

setHost({
  defaultWasm: (debug) => new URL(debug ? '../riskcore.debug.wasm' : '../riskcore.wasm', import.meta.url),
  fetchModule: async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetch ${url.href}: ${response.status}`);
    return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
  },
});

export * from './index.js';
