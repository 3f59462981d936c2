/**
 * Where an engine's core comes from: the host (Node or browser entry) that supplies the wasm, and
 * the creation options checked, the core compiled (once per process and source), instantiated and
 * laid out.
 */
import { MAX_DECIMALS, orDefault, toCount, toFlag, toRecord } from './atoms.js';
import { compileSource, instantiateCore, type CoreHooks, type ModuleFetcher, type WasmSource } from './abi/loader.js';
import { Raw } from './abi/raw.js';
import { describeValue, EngineError, StatusCode } from './errors.js';
import { unboundHooks } from './hooks.js';
import { checkSimulationReserve } from './simulation/shape.js';

export interface EngineOptions {
  /** Capacity of the instance; memory for all of it is laid out once, at creation. */
  maxAccounts?: number;
  maxPositions?: number;
  maxIsolated?: number;
  maxMarkets?: number;
  /** Decimals of the quote unit, for decimal-string inputs (default 6). */
  quoteDecimals?: number;
  /** The wasm: a URL, a Response, bytes or a compiled module. Defaults to the file next to the package. */
  wasm?: WasmSource;
  /** Use the debug build (assertions on; slower). Ignored when `wasm` is given. */
  debug?: boolean;
  /**
   * Lays out the simulation area at creation, for simulations of up to `steps` steps and
   * `maxRoundsPerStep` rounds per step (default 4) over up to `maxMarkets` markets, correlated or
   * not: preparing such a simulation (`Simulator.fromEngine`) then never grows memory, so views taken
   * before it stay valid. Without it the first simulation prepared on the engine grows memory once
   * (README, Limits). InputError(InvalidScenario) naming the key if malformed.
   */
  reserveSimulation?: { steps: number; correlated?: boolean };
}

/** Host hooks supplied by the Node and browser entry points. */
export interface Host {
  defaultWasm(debug: boolean): URL;
  fetchModule: ModuleFetcher;
}

let host: Host | undefined;
/** Installed by `node.ts` / `browser.ts`. */
export function setHost(h: Host): void { host = h; }

/**
 * EngineError(CoreLoadFailed) naming the `wasm` option: the core could not be fetched or read (404,
 * network), compiled (not a wasm), instantiated or recognised (another module, another build's core).
 * The cause is kept as `cause`.
 */
function coreLoadError(source: WasmSource, cause: unknown): EngineError {
  const from = typeof source === 'string' ? JSON.stringify(source) : source instanceof URL ? source.href
    : typeof Response !== 'undefined' && source instanceof Response ? `a Response${source.url ? ` of ${source.url}` : ''}`
      : source instanceof WebAssembly.Module ? 'a WebAssembly.Module' : 'bytes';
  const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : describeValue(cause);
  const error = new EngineError(StatusCode.CoreLoadFailed, 'wasm', -1, `loading ${from}: ${why}`);
  Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}

/** A core laid out for `options`, with the hooks its instance calls (bound once the engine exists). */
export async function openCore(options: EngineOptions): Promise<{ raw: Raw; hooks: CoreHooks; quoteDecimals: number }> {
  toRecord(options, 'options');
  const maxAccounts = toCount(orDefault(options.maxAccounts, 100_000), 'maxAccounts');
  const maxPositions = toCount(orDefault(options.maxPositions, maxAccounts * 10), 'maxPositions');
  const maxIsolated = toCount(orDefault(options.maxIsolated, Math.max(1024, Math.ceil(maxAccounts / 10))), 'maxIsolated');
  const maxMarkets = toCount(orDefault(options.maxMarkets, 1024), 'maxMarkets', -1, 65535);
  const quoteDecimals = toCount(orDefault(options.quoteDecimals, 6), 'quoteDecimals', -1, MAX_DECIMALS);
  const reserve = options.reserveSimulation === undefined ? undefined : checkSimulationReserve(options.reserveSimulation);
  if (!host) throw new Error('riskcore: no host; import from "riskcore" (Node or browser entry), not from src/engine');
  const source = options.wasm ?? host.defaultWasm(toFlag(options.debug, 'debug'));
  const hooks = unboundHooks();
  let raw: Raw;
  try {
    raw = new Raw(await instantiateCore(await compileSource(source, host.fetchModule), hooks));
  } catch (e) {
    throw coreLoadError(source, e);
  }
  raw.init(maxAccounts, maxPositions, maxIsolated, maxMarkets);
  if (reserve) raw.simReserve(reserve.steps, reserve.correlated);
  raw.loadLayout();
  return { raw, hooks, quoteDecimals };
}
