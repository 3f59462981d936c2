/**
 * What a simulation worker does, whatever the host: build a Simulator from the configuration it is
 * sent (resolved once, by `simulate`), then run the paths it is asked for, one message per path. A
 * cancelled run raises a shared flag (when the host can share memory) that stops the book being
 * built or the path being run within a step; `close` then ends the worker by letting its event loop
 * empty.
 */
import { createSimulator, type Simulator } from './simulator.js';
import { serializePathResult } from './stats.js';
import type { ResolvedConfig } from './config.js';
import type { SerializedPathResult } from './types.js';

export type WorkerRequest =
  | { type: 'init'; config: ResolvedConfig; variants: Simulator['variants']; wasm?: string; interrupt?: SharedArrayBuffer }
  | { type: 'run'; path: number }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'book'; done: number; total: number }
  | { type: 'ready'; quoteDecimals: number; paths: number }
  | { type: 'result'; path: number; results: SerializedPathResult[] }
  | { type: 'error'; message: string; details: Record<string, unknown> };

/** Serves requests arriving through `listen`, replying through `reply`; `close` ends the worker. */
export function serveSimulation(listen: (handler: (request: WorkerRequest) => void) => void, reply: (message: WorkerReply) => void, close: () => void): void {
  let sim: Promise<Simulator> | undefined;
  let interrupted = (): number => 0;
  const fail = (e: unknown): void => {
    const error = e instanceof Error ? e : new Error(String(e));
    const { code, field, row, name } = error as Error & { code?: number; field?: string; row?: number };
    reply({ type: 'error', message: error.message, details: { name, ...(code !== undefined ? { code, field, row } : {}) } });
  };
  listen((request) => {
    switch (request.type) {
      case 'init': {
        if (request.interrupt) {
          const flag = new Int32Array(request.interrupt);
          interrupted = () => Atomics.load(flag, 0);
        }
        sim = createSimulator(request.config, request.variants, {
          ...(request.wasm !== undefined ? { wasm: request.wasm } : {}),
          onBookProgress: (done, total) => {
            if (interrupted() !== 0) throw new Error('riskcore: simulation cancelled while building the book');
            reply({ type: 'book', done, total });
          },
        });
        sim.then((s) => { s.setInterrupt(interrupted); reply({ type: 'ready', quoteDecimals: s.engine.quoteDecimals, paths: s.pathCount }); }, fail);
        return;
      }
      case 'run':
        if (!sim) { fail(new Error('riskcore worker: run before init')); return; }
        sim.then((s) => reply({ type: 'result', path: request.path, results: s.runPath(request.path).map(serializePathResult) })).catch(fail);
        return;
      case 'close':
        // After whatever is under way: the engine is let go and the event loop left to empty.
        void (sim ?? Promise.resolve(undefined)).then((s) => s?.dispose(), () => undefined).finally(close);
        return;
    }
  });
}
