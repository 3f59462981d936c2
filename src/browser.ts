// Browser entry: the wasm is fetched from next to this module and compiled while streaming. Shipped
// as one self-contained ES module (scripts/bundle-browser.mjs: this file and everything it imports,
// @assemblyscript/loader included), so a page loads it with no import map; the URLs below are
// relative to dist/src/, where it stays. The simulation worker is bundled on its own the same way.
//
// Bundlers (Vite, webpack, Parcel, Rollup's plugins) copy an asset only for a *literal*
// `new URL('<file>', import.meta.url)`, and a Web Worker's script only for a literal inside
// `new Worker(...)`: the release core and the simulation worker are written so. The debug core is
// not: its URL is built from a variable, so no bundle ships it; bundled apps that want it pass
// `wasm` (README, Bundlers). Bundlers that copy nothing (esbuild) pass `wasm` and `worker`.
import { setHost } from './engine.js';
import { compileResponse } from './abi/loader.js';
import { inputError } from './errors.js';
import { setWorkerHost, type WorkerSource } from './simulation/run.js';
import type { WorkerReply } from './simulation/worker-core.js';

/** The debug core, next to the release one; a variable (and webpackIgnore), so that bundlers leave it out and do not warn. */
const DEBUG_CORE = '../riskcore.debug.wasm';

setHost({
  defaultWasm: (debug) => (debug ? new URL(/* webpackIgnore: true */ DEBUG_CORE, import.meta.url) : new URL('../riskcore.wasm', import.meta.url)),
  fetchModule: async (url) => compileResponse(await fetch(url)),
});

/** A module Web Worker: the packaged one, one at the caller's URL, or the caller's factory's. */
function startWorker(source: WorkerSource | undefined): Worker {
  if (source === undefined) return new Worker(new URL('./simulation/worker-browser.js', import.meta.url), { type: 'module' });
  if (typeof source !== 'function') return new Worker(source, { type: 'module' });
  const worker = source();
  if (!(worker instanceof Worker)) throw inputError('InvalidScenario', 'worker', -1, 'the worker factory must return a new Worker (a module Web Worker running riskcore/worker)');
  return worker;
}

setWorkerHost((source) => {
  const worker = startWorker(source);
  return {
    post: (message) => worker.postMessage(message),
    listen: (onMessage, onError) => {
      worker.onmessage = (e: MessageEvent<WorkerReply>) => onMessage(e.data);
      worker.onerror = (e) => onError(new Error(`riskcore: simulation worker failed: ${e.message || 'its module did not load (is the package served over http(s), with every file of dist/src? a bundled app passes `worker`: README, Bundlers)'}`));
    },
    stop: () => { worker.terminate(); return Promise.resolve(); },
  };
}, Math.max(1, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1), false);

export * from './index.js';
