/**
 * Running a simulation: paths [pathFrom, pathTo) spread over worker threads (Node) or Web Workers
 * (browsers), each with its own engine instance and copy of the book, or run in this thread
 * (`workers: 0`). Workers take the next path as they finish one, so a slow path does not hold the
 * others up; results are ordered by path when the report is built, so the same seed gives the same
 * report whatever the number of workers or shards.
 */
import { describeValue, EngineError, InputError, inputError, MarginRefusedError, StatusCode } from '../errors.js';
import { createSimulator, type Simulator, type SimulatorOptions } from './simulator.js';
import { configHash, deserializePathResult, serializePathResult } from './stats.js';
import { checkMarketLists, expandSweep, resolveConfig, type ResolvedConfig } from './config.js';
import type { PathResult, ShardResult, SimulationConfig } from './types.js';
import type { WorkerReply, WorkerRequest } from './worker-core.js';

/** A worker as the pool sees it (node:worker_threads or a Web Worker). */
export interface WorkerPort {
  post(message: WorkerRequest): void;
  listen(onMessage: (message: WorkerReply) => void, onError: (error: Error) => void): void;
  /** Ends the worker, asking it to close where the host allows (resolves once it is gone). */
  stop(): Promise<void>;
}

/**
 * Where a simulation worker comes from: its script's URL (browsers: a module Web Worker; Node: a
 * `node:worker_threads` script), or a function returning a new Worker of that kind (browsers:
 * `() => new Worker(url, { type: 'module' })`). The script is riskcore's: `riskcore/worker` in
 * browsers (dist/src/simulation/worker-browser.js), dist/src/simulation/worker-node.js in Node.
 */
export type WorkerSource = string | URL | (() => object);

let spawnWorker: ((source: WorkerSource | undefined) => WorkerPort) | undefined;
let defaultWorkers = 1;
let shareMemory = false;
/**
 * Installed by the Node and browser entries. With `canShare` (Node) a cancelled run raises a flag
 * the workers read at every step and while building the book, and the workers are asked to close:
 * Node 20 can abort the whole process when a worker thread is terminated while V8 compiles in the
 * background. Browsers terminate their Web Workers.
 */
export function setWorkerHost(spawn: (source: WorkerSource | undefined) => WorkerPort, workers: number, canShare: boolean): void {
  spawnWorker = spawn;
  defaultWorkers = workers;
  shareMemory = canShare;
}

export interface SimulationProgress {
  /**
   * Building the book (per worker: the slowest one's accounts), then running paths: the paths phase
   * opens with done = 0 once every worker is ready, then reports each path as it completes.
   */
  phase: 'book' | 'paths';
  done: number;
  total: number;
}

export interface SimulateOptions {
  /** Worker threads; 0 runs in this thread. Default: the machine's cores (Node), navigator.hardwareConcurrency (browsers). */
  workers?: number;
  /** A shard: paths [pathFrom, pathTo) of the run (default all). */
  pathFrom?: number;
  pathTo?: number;
  onProgress?: (progress: SimulationProgress) => void;
  signal?: AbortSignal;
  /**
   * The core, as a URL (workers load it themselves; a relative one is taken relative to the page);
   * default the packaged one.
   */
  wasm?: string | URL;
  /**
   * The workers' script (a URL) or a function returning a new Worker; default the packaged one,
   * next to this module. Bundled apps whose bundler does not bundle the worker by itself (esbuild)
   * build `riskcore/worker` as an entry of its own and pass its URL (README, Bundlers).
   */
  worker?: WorkerSource;
}

/**
 * The options of `simulate`, checked before anything runs: InputError(InvalidScenario) naming the
 * option (`workers`, `pathFrom`, `pathTo`...). Paths [pathFrom, pathTo) must be a non-empty range of
 * the run's paths; workers a count (0: this thread).
 */
function checkOptions(options: unknown, paths: number): { from: number; to: number; workers: number | undefined } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw inputError('InvalidScenario', 'options', -1, `expected an object, not ${describeValue(options)}`);
  const o = options as Record<string, unknown>;
  const int = (key: string, fallback: number | undefined, max: number): number | undefined => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw inputError('InvalidScenario', key, -1, `${describeValue(v)} is not an integer in 0..${max}`);
    return v;
  };
  const from = int('pathFrom', 0, paths - 1)!, to = int('pathTo', paths, paths)!;
  if (from >= to) throw inputError('InvalidScenario', 'pathTo', -1, `paths [${from}, ${to}) are not a range of 0..${paths}`);
  const workers = int('workers', undefined, 1024);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw inputError('InvalidScenario', 'onProgress', -1, `${describeValue(o.onProgress)} is not a function`);
  if (o.signal !== undefined && !(typeof AbortSignal !== 'undefined' && o.signal instanceof AbortSignal)) throw inputError('InvalidScenario', 'signal', -1, `${describeValue(o.signal)} is not an AbortSignal`);
  if (o.wasm !== undefined && typeof o.wasm !== 'string' && !(o.wasm instanceof URL)) throw inputError('InvalidScenario', 'wasm', -1, `${describeValue(o.wasm)} is not a URL`);
  if (o.worker !== undefined && typeof o.worker !== 'string' && typeof o.worker !== 'function' && !(o.worker instanceof URL)) throw inputError('InvalidScenario', 'worker', -1, `${describeValue(o.worker)} is not a URL or a function returning a Worker`);
  return { from, to, workers };
}

/** The core's URL as the workers receive it: absolute, a relative one resolved against the page. */
function wasmForWorkers(wasm: string | URL): string {
  const base = globalThis.location?.href;
  if (typeof wasm === 'string' && base !== undefined) {
    try {
      return new URL(wasm, base).href;
    } catch {
      return wasm; // left to the worker, whose loader reports it
    }
  }
  return String(wasm);
}

/** Runs the paths of a configuration (or a shard of them) and returns the shard's result. */
export async function simulate(config: SimulationConfig, options: SimulateOptions = {}): Promise<ShardResult> {
  const resolved = resolveConfig(config);
  checkMarketLists(resolved);
  const variants = expandSweep(config);
  const hash = hashOf(config);
  const { from, to, workers: given } = checkOptions(options, resolved.paths);
  options.signal?.throwIfAborted();
  const started = Date.now();
  const workers = Math.min(given ?? defaultWorkers, to - from);
  // The configuration is resolved once, here: this thread's Simulator and every worker receive it resolved.
  const results = workers <= 0 ? await runHere(resolved, variants, from, to, options) : await runOnWorkers(resolved, variants, from, to, workers, options);
  return {
    format: 'riskcore-simulation-shard', version: 1, configHash: hash, config, variants,
    pathFrom: from, pathTo: to, quoteDecimals: results.quoteDecimals,
    results: results.paths.sort((a, b) => a.variant - b.variant || a.path - b.path).map(serializePathResult),
    elapsedMs: Date.now() - started,
  };
}

/** The configuration's hash, before any path runs: a configuration with no JSON form (a bigint amount) is refused. */
function hashOf(config: SimulationConfig): string {
  try {
    return configHash(config);
  } catch (e) {
    throw inputError('InvalidScenario', '', -1, `a simulation's configuration is written to its shards as JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A worker's error as the class it was thrown as: a RiskCoreError keeps its class, code, field and
 * row (a configuration error found in a worker is an InputError, as in this thread); anything else
 * is an Error with the worker's message and name.
 */
function workerError(message: string, details: Record<string, unknown>): Error {
  const { code, field, row, name } = details;
  if (typeof code === 'number') {
    const e = code >= 200 ? new MarginRefusedError(code, String(field ?? ''), Number(row ?? -1))
      : code >= 100 ? new InputError(code, String(field ?? ''), Number(row ?? -1)) : new EngineError(code, String(field ?? ''), Number(row ?? -1));
    e.message = message;
    return e;
  }
  const e = new Error(message);
  if (typeof name === 'string') e.name = name;
  return e;
}

/**
 * A worker that failed before it said anything (its script not found, not served as a module, or
 * one that does not run riskcore's worker): EngineError(CoreLoadFailed) naming the `worker` option,
 * with the host's error as `cause`.
 */
function workerLoadError(cause: unknown): EngineError {
  const why = cause instanceof Error ? cause.message : describeValue(cause);
  const error = new EngineError(StatusCode.CoreLoadFailed, 'worker', -1, `the simulation worker did not start: ${why}; a bundled app passes \`worker\` (README, Bundlers)`);
  Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function runHere(config: ResolvedConfig, variants: Simulator['variants'], from: number, to: number, options: SimulateOptions): Promise<{ paths: PathResult[]; quoteDecimals: number }> {
  const report = options.onProgress;
  const simOptions: SimulatorOptions = {
    ...(options.wasm !== undefined ? { wasm: options.wasm } : {}),
    ...(report ? { onBookProgress: (done: number, total: number) => report({ phase: 'book', done, total }) } : {}),
  };
  const sim = await createSimulator(config, variants, simOptions);
  try {
    const paths: PathResult[] = [];
    report?.({ phase: 'paths', done: 0, total: to - from });
    for (let p = from; p < to; p++) {
      await yieldToEvents();
      options.signal?.throwIfAborted();
      paths.push(...sim.runPath(p));
      report?.({ phase: 'paths', done: p - from + 1, total: to - from });
    }
    return { paths, quoteDecimals: sim.engine.quoteDecimals };
  } finally {
    sim.dispose();
  }
}

function runOnWorkers(config: ResolvedConfig, variants: Simulator['variants'], from: number, to: number, n: number, options: SimulateOptions): Promise<{ paths: PathResult[]; quoteDecimals: number }> {
  if (!spawnWorker) throw new Error('riskcore: no worker host; import from "riskcore" (Node or browser entry)');
  const spawn = spawnWorker;
  return new Promise((resolve, reject) => {
    const ports: WorkerPort[] = [];
    const paths: PathResult[] = [];
    const bookDone = new Array<number>(n).fill(0);
    let next = from, finished = 0, ready = 0, quoteDecimals = 6, settled = false;
    const flag = shareMemory ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    // The run settles once every worker is gone, so that a caller may exit right after.
    const stop = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (flag && error !== undefined) Atomics.store(flag, 0, 1);
      options.signal?.removeEventListener('abort', onAbort);
      void Promise.all(ports.map((p) => p.stop())).then(() => (error !== undefined ? reject(error) : resolve({ paths, quoteDecimals })));
    };
    const onAbort = (): void => stop(options.signal!.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const feed = (port: WorkerPort): void => {
      if (next < to) port.post({ type: 'run', path: next++ });
    };
    for (let w = 0; w < n; w++) {
      let port: WorkerPort;
      try {
        port = spawn(options.worker);
      } catch (e) {
        stop(e);
        return;
      }
      ports.push(port);
      let heard = false;
      port.listen((message) => {
        heard = true;
        if (settled) return;
        switch (message.type) {
          case 'book':
            bookDone[w] = message.done;
            options.onProgress?.({ phase: 'book', done: Math.min(...bookDone), total: message.total });
            return;
          case 'ready':
            // Paths start when every worker holds its book, so the paths phase is timed cleanly.
            quoteDecimals = message.quoteDecimals;
            if (++ready < n) return;
            options.onProgress?.({ phase: 'paths', done: 0, total: to - from });
            for (const p of ports) feed(p);
            return;
          case 'result':
            paths.push(...message.results.map(deserializePathResult));
            finished++;
            options.onProgress?.({ phase: 'paths', done: finished, total: to - from });
            if (finished === to - from) stop();
            else feed(port);
            return;
          case 'error':
            stop(workerError(message.message, message.details));
            return;
        }
      }, (error) => stop(heard ? error : workerLoadError(error)));
      port.post({ type: 'init', config, variants, ...(options.wasm !== undefined ? { wasm: wasmForWorkers(options.wasm) } : {}), ...(flag ? { interrupt: flag.buffer as SharedArrayBuffer } : {}) });
    }
  });
}
