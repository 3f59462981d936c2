/**
 * What a simulation worker does, whatever the host: build a Simulator from the configuration it is
 * sent, then run the paths it is asked for, one message per path.
 */
import { Simulator } from './simulator.js';
import { serializePathResult } from './stats.js';
import type { SerializedPathResult, SimulationConfig } from './types.js';

export type WorkerRequest =
  | { type: 'init'; config: SimulationConfig; wasm?: string }
  | { type: 'run'; path: number };

export type WorkerReply =
  | { type: 'book'; done: number; total: number }
  | { type: 'ready'; quoteDecimals: number; paths: number }
  | { type: 'result'; path: number; results: SerializedPathResult[] }
  | { type: 'error'; message: string; details: Record<string, unknown> };

/** Serves requests arriving through `listen`, replying through `reply`. */
export function serveSimulation(listen: (handler: (request: WorkerRequest) => void) => void, reply: (message: WorkerReply) => void): void {
  let sim: Promise<Simulator> | undefined;
  const fail = (e: unknown): void => {
    const error = e instanceof Error ? e : new Error(String(e));
    const { code, field, row, name } = error as Error & { code?: number; field?: string; row?: number };
    reply({ type: 'error', message: error.message, details: { name, ...(code !== undefined ? { code, field, row } : {}) } });
  };
  listen((request) => {
    if (request.type === 'init') {
      sim = Simulator.create(request.config, {
        ...(request.wasm !== undefined ? { wasm: request.wasm } : {}),
        onBookProgress: (done, total) => reply({ type: 'book', done, total }),
      });
      sim.then((s) => reply({ type: 'ready', quoteDecimals: s.engine.quoteDecimals, paths: s.pathCount }), fail);
      return;
    }
    if (!sim) { fail(new Error('riskcore worker: run before init')); return; }
    sim.then((s) => reply({ type: 'result', path: request.path, results: s.runPath(request.path).map(serializePathResult) })).catch(fail);
  });
}
