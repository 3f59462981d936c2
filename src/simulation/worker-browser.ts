// Simulation worker for browsers (a module Web Worker). Shipped as one self-contained module
// (scripts/bundle-browser.mjs), so it sets its own host rather than importing the browser entry: its
// URLs are written from this file's place (dist/src/simulation/), which is where import.meta.url
// points once bundled, and it starts no worker itself. As in browser.ts, the release core's URL is a
// literal bundlers rewrite, the debug core's a variable they leave alone.
import { compileResponse } from '../abi/loader.js';
import { setHost } from '../engine.js';
import { serveSimulation, type WorkerReply, type WorkerRequest } from './worker-core.js';

/** The debug core, next to the release one; a variable (and webpackIgnore), so that bundlers leave it out and do not warn. */
const DEBUG_CORE = '../../riskcore.debug.wasm';

setHost({
  defaultWasm: (debug) => (debug ? new URL(/* webpackIgnore: true */ DEBUG_CORE, import.meta.url) : new URL('../../riskcore.wasm', import.meta.url)),
  fetchModule: async (url) => compileResponse(await fetch(url)),
});

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null; postMessage(m: WorkerReply): void; close(): void };
serveSimulation((handler) => { scope.onmessage = (e) => handler(e.data); }, (m) => scope.postMessage(m), () => scope.close());
