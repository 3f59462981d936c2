// Browser entry: the wasm is fetched from next to this module and compiled while streaming.
// Bundlers that do not copy the asset can pass `wasm` (a URL, a Response, bytes or a Module).
import { setHost } from './engine.js';
import { setWorkerHost } from './simulation/run.js';
import type { WorkerReply } from './simulation/worker-core.js';

setHost({
  defaultWasm: (debug) => new URL(debug ? '../riskcore.debug.wasm' : '../riskcore.wasm', import.meta.url),
  fetchModule: async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetch ${url.href}: ${response.status}`);
    return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(response) : WebAssembly.compile(await response.arrayBuffer());
  },
});

setWorkerHost(() => {
  const worker = new Worker(new URL('./simulation/worker-browser.js', import.meta.url), { type: 'module' });
  return {
    post: (message) => worker.postMessage(message),
    listen: (onMessage, onError) => {
      worker.onmessage = (e: MessageEvent<WorkerReply>) => onMessage(e.data);
      worker.onerror = (e) => onError(new Error(`riskcore: simulation worker failed: ${e.message || 'its module did not load (is the package served over http(s), with every file of dist/src?)'}`));
    },
    stop: () => { worker.terminate(); return Promise.resolve(); },
  };
}, Math.max(1, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1), false);

export * from './index.js';
