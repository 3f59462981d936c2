// Node entry: the wasm is read from the file shipped next to the package's dist/src.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setHost } from './engine.js';
import { setWorkerHost } from './simulation/run.js';
import type { WorkerReply } from './simulation/worker-core.js';

setHost({
  defaultWasm: (debug) => new URL(debug ? '../riskcore.debug.wasm' : '../riskcore.wasm', import.meta.url),
  fetchModule: async (url) => {
    if (url.protocol === 'file:') return WebAssembly.compile(await readFile(url));
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetch ${url.href}: ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  },
});

/** How long a simulation worker asked to close may take before it is terminated after all. */
const CLOSE_TIMEOUT_MS = 60_000;

setWorkerHost(() => {
  const worker = new Worker(new URL('./simulation/worker-node.js', import.meta.url));
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
