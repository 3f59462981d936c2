// Node entry: the wasm is read from the file shipped next to the package's dist/src.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setHost } from './engine.js';
import { compileResponse } from './abi/loader.js';
import { inputError } from './errors.js';
import { setWorkerHost, type WorkerSource } from './simulation/run.js';
import type { WorkerReply } from './simulation/worker-core.js';

/** The debug core, next to the release one; a variable (and webpackIgnore), so that bundlers leave it out and do not warn (see browser.ts). */
const DEBUG_CORE = '../riskcore.debug.wasm';

setHost({
  defaultWasm: (debug) => (debug ? new URL(/* webpackIgnore: true */ DEBUG_CORE, import.meta.url) : new URL('../riskcore.wasm', import.meta.url)),
  fetchModule: async (url) => (url.protocol === 'file:' ? WebAssembly.compile(await readFile(url)) : compileResponse(await fetch(url))),
});

/** How long a simulation worker asked to close may take before it is terminated after all. */
const CLOSE_TIMEOUT_MS = 60_000;

/** A worker thread: the packaged one, one running the caller's script, or the caller's factory's. */
function startWorker(source: WorkerSource | undefined): Worker {
  if (source === undefined) return new Worker(new URL('./simulation/worker-node.js', import.meta.url));
  if (typeof source !== 'function') return new Worker(source);
  const worker = source();
  if (!(worker instanceof Worker)) throw inputError('InvalidScenario', 'worker', -1, 'the worker factory must return a new node:worker_threads Worker (running riskcore\'s dist/src/simulation/worker-node.js)');
  return worker;
}

setWorkerHost((source) => {
  const worker = startWorker(source);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    post: (message) => worker.postMessage(message),
    listen: (onMessage, onError) => {
      worker.on('message', (m: WorkerReply) => onMessage(m));
      worker.on('error', onError);
      worker.on('exit', (code) => { if (code !== 0) onError(new Error(`riskcore: simulation worker exited with code ${code}`)); });
    },
    // Asked to close, the worker stops within a step (the shared flag) and lets its event loop empty.
    stop: () => {
      worker.postMessage({ type: 'close' });
      const late = setTimeout(() => { void worker.terminate(); }, CLOSE_TIMEOUT_MS);
      late.unref();
      return exited.then(() => clearTimeout(late));
    },
  };
}, availableParallelism(), true);

export * from './index.js';
