/**
 * Compiles and instantiates the core. With raw.ts, the only module that touches the wasm instance
 * (src/abi/ is the one room of the package that does). It has no imports by package name, so the
 * browser entry loads as plain ES modules, in pages and in module Web Workers alike (import maps do
 * not reach workers).
 *
 * Compilation happens once per source and process (a module cache); every engine gets its own
 * instance, hence its own memory.
 */
import { RiskCoreInvariantError } from '../errors.js';

/*
 * The types below are what the package's declarations say of WebAssembly: declared here, in the
 * terms every TypeScript lib has, so that a user's project type-checks riskcore's .d.ts files
 * without the DOM lib or WebAssembly types (a Node-only tsconfig has neither). The code of this
 * folder uses the real WebAssembly types and meets these at its signatures.
 */

/**
 * A compiled core: a `WebAssembly.Module`. TypeScript's own `WebAssembly.Module` is an empty
 * interface, so any object stands for it here as well; a value that is not one fails to instantiate
 * (EngineError CoreLoadFailed).
 */
export type WasmModule = object;

/** An instance's memory, as far as the package reads it (a `WebAssembly.Memory`). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** An instance's exports (`WebAssembly.Exports`): functions and the memory, by name. */
export type WasmExports = Record<string, unknown>;

/**
 * Where the wasm comes from: a URL (fetched or read), a `Response` (fetch's), its bytes (an
 * ArrayBuffer, a typed array, a Node Buffer), or a compiled `WebAssembly.Module`.
 */
export type WasmSource = URL | string | Response | ArrayBuffer | ArrayBufferView | WasmModule;

/** How a host turns a URL into a compiled module (fs in Node, fetch in browsers). */
export type ModuleFetcher = (url: URL) => Promise<WasmModule>;

/** Calls the core makes into JavaScript during a waterfall run (set per engine). */
export interface CoreHooks {
  /** The audit buffer holds `rows` records: copy them out (the core reuses the buffer). */
  auditDrain(rows: number): void;
  /**
   * Fill AdlKey[0..count) for the candidates (AdlId) of market / side with step's ranking (0xFFFFFFFF:
   * the indicator's), from keys computed before the call that runs it: no caller code runs here.
   */
  adlKeys(step: number, market: number, side: number, count: number): void;
  /** Asked at every simulated step: non-zero stops the path (status Interrupted). */
  simInterrupted(): number;
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

export async function compileSource(source: WasmSource, fetcher: ModuleFetcher): Promise<WasmModule> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) {
    const url = typeof source === 'string' ? new URL(source, globalThis.location?.href ?? 'file:///') : source;
    const key = url.href;
    let cached = moduleCache.get(key);
    if (!cached) {
      cached = fetcher(url);
      moduleCache.set(key, cached);
      cached.catch(() => moduleCache.delete(key));
    }
    return cached;
  }
  if (typeof Response !== 'undefined' && source instanceof Response) return compileResponse(source);
  return WebAssembly.compile(source as BufferSource);
}

/**
 * Compiles a fetched core: while streaming when the response is served as `application/wasm` (what
 * `WebAssembly.compileStreaming` requires: it throws a TypeError for any other type), else from its
 * bytes, so a server that sends `.wasm` as application/octet-stream still works. A response that is
 * not ok (404...) is refused before its body is read.
 */
export async function compileResponse(response: Response): Promise<WasmModule> {
  if (!response.ok) throw new Error(`${response.url || 'the response'}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  // Streamed only for exactly application/wasm: engines differ on case (Node refuses 'Application/WASM').
  const type = response.headers.get('content-type')?.trim();
  if (type === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * An AssemblyScript string in the core's memory: UTF-16 code units, preceded by the object header
 * whose last field (at ptr - 4) is the byte length.
 */
export function readString(memory: WasmMemory, ptr: number): string {
  if (!ptr) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
  const units = new Uint16Array(memory.buffer, ptr, bytes >>> 1);
  let out = '';
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.subarray(i, i + 4096));
  return out;
}

/** Instantiates a compiled core; `abort` (debug builds) raises RiskCoreInvariantError. */
export async function instantiateCore(module: WasmModule, hooks?: CoreHooks): Promise<WasmExports> {
  let memory: WebAssembly.Memory | undefined;
  const decode = (ptr: number): string => (memory ? readString(memory, ptr) : '');
  const imports = {
    env: {
      abort(messagePtr: number, filePtr: number, line: number, column: number): never {
        throw new RiskCoreInvariantError(decode(messagePtr), decode(filePtr), line, column);
      },
      // Looked up at call time: the engine installs its hooks after instantiation.
      auditDrain(rows: number): void { hooks?.auditDrain(rows); },
      adlKeys(step: number, market: number, side: number, count: number): void { hooks?.adlKeys(step >>> 0, market, side, count); },
      simInterrupted(): number { return hooks ? hooks.simInterrupted() : 0; },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory as WebAssembly.Memory;
  return instance.exports;
}
