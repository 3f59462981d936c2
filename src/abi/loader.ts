/**
 * Compiles and instantiates the core. With raw.ts, the only module that touches the wasm instance
 * (src/abi/ is the one room of the package that does), and the only one that uses
 * `@assemblyscript/loader`: every engine, in Node, in a page, in a Web Worker or a worker thread, is
 * instantiated by the loader's `instantiate`, and the core's strings are read by its `__getString`.
 * The browser entry and the browser worker are shipped as self-contained ES modules with the loader
 * inlined (scripts/bundle-browser.mjs), so no import map is needed to resolve its bare name, in pages
 * and in module Web Workers alike (import maps do not reach workers); the Node entry imports it.
 *
 * Compilation happens here, once per source and process (a module cache), not in the loader: every
 * engine gets its own instance, hence its own memory, from one compiled module.
 */
import { instantiate } from '@assemblyscript/loader';
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

/** Each live instance's string reader (the loader's `__getString`), by the memory it reads. */
const stringReaders = new WeakMap<WasmMemory, (ptr: number) => string | null>();

/**
 * The AssemblyScript string at `ptr` in the memory of an instance made by instantiateCore (read by
 * the loader's `__getString`, which also checks that the object there is a string); '' for null.
 */
export function readString(memory: WasmMemory, ptr: number): string {
  if (!ptr) return '';
  const read = stringReaders.get(memory);
  if (!read) throw new Error('riskcore: this memory is not a core instance\'s (instantiateCore made none with it)');
  return read(ptr) ?? '';
}

/**
 * Instantiates a compiled core through the loader; `abort` (debug builds) raises
 * RiskCoreInvariantError. The instance's own exports are returned, not the loader's demangled copy:
 * the core exports flat functions only (no classes, no optional arguments), and the copy would wrap
 * every call in a function that counts its arguments.
 */
export async function instantiateCore(module: WasmModule, hooks?: CoreHooks): Promise<WasmExports> {
  let getString: ((ptr: number) => string | null) | undefined;
  // Before instantiation ends (a start function) there is no reader yet: the message is left empty.
  const decode = (ptr: number): string => (getString && ptr ? getString(ptr) ?? '' : '');
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
  const { instance, exports } = await instantiate(module as WebAssembly.Module, imports);
  getString = exports.__getString;
  // A module that is not the core may have no memory: Raw then refuses it (no abiVersion export).
  const memory = instance.exports.memory;
  if (memory instanceof WebAssembly.Memory) stringReaders.set(memory, getString);
  return instance.exports;
}
