/**
 * Loading the core and the simulation workers from wherever an application puts them: a core that
 * cannot be loaded is EngineError(CoreLoadFailed) naming the `wasm` option; a Response that is not
 * typed application/wasm still compiles; `simulate`'s `worker` option (a URL or a factory) is checked
 * and used. The entries keep the URLs bundlers rewrite literal (test/browser/bundlers.test.ts builds
 * real bundles). The core is instantiated by @assemblyscript/loader (its `abort` and strings read by
 * the loader's `__getString`), and the browser entry and worker are built as self-contained modules
 * that import nothing (test/browser/ loads them in Chromium with no import map).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import asc from 'assemblyscript/asc';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { instantiateCore, readString } from '../../dist/src/abi/loader.js';
import * as nodeEntry from '../../dist/src/node.js';
import { CRASH_SCENARIO, EngineError, InputError, RiskCoreInvariantError, RiskEngine, simulate, StatusCode } from '../../dist/src/node.js';

const RELEASE = new URL('../../dist/riskcore.wasm', import.meta.url);
const NODE_WORKER = new URL('../../dist/src/simulation/worker-node.js', import.meta.url);
const CONFIG = { book: { accounts: 50, markets: 2, seed: 3 }, scenario: CRASH_SCENARIO, paths: 2, steps: 3, seed: 3 };
/** The built browser entry and browser worker (scripts/bundle-browser.mjs). */
const BUNDLES = ['dist/src/browser.js', 'dist/src/simulation/worker-browser.js'].map((f) => new URL(`../../${f}`, import.meta.url));

/** The module specifiers a script names in its imports and re-exports (static, and dynamic with a literal). */
function specifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((i) => i.fileName);
}

/** Those that a browser resolves only through an import map: neither relative nor absolute. */
const bare = (source: string): string[] => specifiers(source).filter((s) => !/^(\.{1,2}\/|\/)/.test(s));

async function loadError(wasm: NonNullable<Parameters<typeof RiskEngine.create>[0]>['wasm']): Promise<EngineError> {
  const error = await RiskEngine.create({ maxAccounts: 4, wasm }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EngineError);
  const e = error as EngineError;
  expect([e.code, e.codeName, e.field, e.row]).toEqual([StatusCode.CoreLoadFailed, 'CoreLoadFailed', 'wasm', -1]);
  expect(e.message).toContain('`wasm` option');
  expect(e.cause).toBeDefined();
  return e;
}

describe('loading the core', () => {
  it('a missing file, a 404, bytes that are not wasm, a module that is not the core: EngineError(CoreLoadFailed) naming wasm', async () => {
    expect((await loadError(new URL('./no-such-core.wasm', RELEASE))).message).toContain('no-such-core.wasm');
    expect((await loadError(new Response('not found', { status: 404 }))).message).toContain('HTTP 404');
    expect((await loadError(new Uint8Array([1, 2, 3, 4]))).message).toContain('CompileError');
    // A valid module that is not the core (no exports at all): it compiles and instantiates, and is not recognised.
    expect((await loadError(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).message).toContain('bytes');
  });

  it('a Response served as application/octet-stream compiles from its bytes (compileStreaming would refuse it)', async () => {
    const bytes = await readFile(RELEASE);
    const response = new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } });
    await expect(WebAssembly.compileStreaming(new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }))).rejects.toThrow(TypeError);
    const engine = await RiskEngine.create({ maxAccounts: 4, wasm: response });
    try {
      expect(engine.check().book.accounts.healthy).toBe(0);
    } finally {
      engine.dispose();
    }
    const typed = await RiskEngine.create({ maxAccounts: 4, wasm: new Response(bytes, { headers: { 'content-type': 'Application/WASM ' } }) });
    typed.dispose();
  });

  it('the entries write the release core\'s and the worker\'s URLs as literals bundlers rewrite, the debug core\'s as none', async () => {
    for (const entry of ['browser', 'node']) {
      const source = await readFile(new URL(`../../src/${entry}.ts`, import.meta.url), 'utf8');
      expect(source).toContain("new URL('../riskcore.wasm', import.meta.url)");
      expect(source).not.toMatch(/new URL\(\s*['"`][^'"`]*riskcore\.debug\.wasm/);
      expect(source).not.toMatch(/new URL\(\s*[^'"`\s]+\s*\?/); // no ternary as the URL
    }
    const browser = await readFile(new URL('../../src/browser.ts', import.meta.url), 'utf8');
    expect(browser).toContain("new Worker(new URL('./simulation/worker-browser.js', import.meta.url), { type: 'module' })");
    // The browser worker sets its own host, with URLs written from its own folder.
    const worker = await readFile(new URL('../../src/simulation/worker-browser.ts', import.meta.url), 'utf8');
    expect(worker).toContain("new URL('../../riskcore.wasm', import.meta.url)");
    expect(worker).not.toMatch(/new URL\(\s*['"`][^'"`]*riskcore\.debug\.wasm/);
    expect(worker).not.toContain("from '../browser.js'");
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./riskcore.wasm']).toBe('./dist/riskcore.wasm');
    expect(pkg.exports['./worker']).toBe('./dist/src/simulation/worker-browser.js');
  });
});

describe('the browser entry and worker as built: self-contained modules', () => {
  it('the specifier finder reports bare names (static, re-exported, dynamic) and passes relative ones', () => {
    const found = bare("import { a } from '@assemblyscript/loader'; export * from 'riskcore'; import './x.js'; import '../y.js'; await import('z'); await import(name);");
    expect(found).toEqual(['@assemblyscript/loader', 'riskcore', 'z']);
  });

  it('tsc\'s output imports the loader by its bare name; the bundles import nothing by name', async () => {
    // The Node side: Node resolves the name, and this is what a page could not resolve without an import map.
    expect(bare(await readFile(new URL('../../dist/src/abi/loader.js', import.meta.url), 'utf8'))).toEqual(['@assemblyscript/loader']);
    for (const bundle of BUNDLES) {
      const source = await readFile(bundle, 'utf8');
      expect(bare(source), bundle.pathname).toEqual([]);
      expect(specifiers(source), bundle.pathname).toEqual([]); // one module: not even a relative import
      expect(source).toContain('function __getString('); // the loader, inlined
      expect(existsSync(new URL(`${bundle.href}.map`)), `${bundle.pathname}.map`).toBe(true);
    }
  });

  it('the bundles keep the release core\'s and the worker\'s URLs literal, each pointing at a shipped file; the debug core\'s is no literal', async () => {
    const literals = new Map<string, string[]>();
    for (const bundle of BUNDLES) {
      const source = await readFile(bundle, 'utf8');
      const urls = [...source.matchAll(/new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[2]!);
      literals.set(bundle.pathname.split('/dist/')[1]!, urls);
      for (const url of urls) expect(existsSync(new URL(url, bundle)), `${url} from ${bundle.pathname}`).toBe(true);
      expect(source).not.toMatch(/new URL\(\s*['"`][^'"`]*riskcore\.debug\.wasm/);
    }
    expect(literals.get('src/browser.js')).toEqual(['../riskcore.wasm', './simulation/worker-browser.js']);
    expect(literals.get('src/simulation/worker-browser.js')).toEqual(['../../riskcore.wasm']);
    const browser = await readFile(BUNDLES[0]!, 'utf8');
    expect(browser).toMatch(/new Worker\(new URL\("\.\/simulation\/worker-browser\.js", import\.meta\.url\), \{ type: "module" \}\)/);
  });

  it('the browser bundle exports what the Node entry exports', async () => {
    const browser = (await import(BUNDLES[0]!.href)) as Record<string, unknown>;
    expect(Object.keys(browser).sort()).toEqual(Object.keys(nodeEntry).sort());
  });
});

describe('instantiation through @assemblyscript/loader', () => {
  /** A small AssemblyScript module, compiled as the core is (stub runtime), with the core's imports. */
  async function compileAs(source: string): Promise<WebAssembly.Module> {
    const { binary, error, stderr } = await asc.compileString(source, { runtime: 'stub' });
    if (!binary || error) throw new Error(`asc: ${String(error)}\n${stderr.toString()}`);
    return WebAssembly.compile(new Uint8Array(binary)); // asc types it over an ArrayBufferLike
  }

  it('abort raises RiskCoreInvariantError with its message and file, read by the loader; strings read back exactly', async () => {
    const module = await compileAs([
      "export function broken(): void { assert(false, 'collateral sum \\u00e9 ≠ ledger'); }",
      "export function greeting(): string { return 'h\\u00e9llo ' + 'w\\u00f6rld \\u{1F600}'; }",
      'export function bytes(): usize { return changetype<usize>(new ArrayBuffer(8)); }',
    ].join('\n'));
    const x = await instantiateCore(module) as { memory: WebAssembly.Memory; broken(): void; greeting(): number; bytes(): number };
    let thrown: unknown;
    try { x.broken(); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(RiskCoreInvariantError);
    const e = thrown as RiskCoreInvariantError;
    expect(e.message).toMatch(/^invariant violated: collateral sum é ≠ ledger at input\.ts:1:\d+$/);
    expect([e.file, e.line]).toEqual(['input.ts', 1]);
    expect(readString(x.memory, x.greeting())).toBe('héllo wörld \u{1F600}');
    expect(readString(x.memory, 0)).toBe('');
    // The loader checks the object's type: an ArrayBuffer is not read as a string.
    expect(() => readString(x.memory, x.bytes())).toThrow(/not a string/);
    // Each instance has its own memory: a second one reads its own.
    const y = await instantiateCore(module) as typeof x;
    expect(y.memory).not.toBe(x.memory);
    expect(readString(y.memory, y.greeting())).toBe('héllo wörld \u{1F600}');
    // A memory no instance was made with has no reader.
    expect(() => readString(new WebAssembly.Memory({ initial: 1 }), 8)).toThrow(/not a core instance/);
  });
});

describe('simulate: the `worker` option', () => {
  it('refuses anything but a URL or a function, and a factory that returns no Worker (InputError naming worker)', async () => {
    for (const worker of [5, {}, null, true]) {
      const error = await simulate(CONFIG, { workers: 1, worker: worker as never }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect([(error as InputError).codeName, (error as InputError).field]).toEqual(['InvalidScenario', 'worker']);
    }
    const error = await simulate(CONFIG, { workers: 2, worker: () => ({}) }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect([(error as InputError).codeName, (error as InputError).field]).toEqual(['InvalidScenario', 'worker']);
  });

  it('runs on workers from a URL or a factory, with the same results as the default workers', async () => {
    const base = await simulate(CONFIG, { workers: 1 });
    let made = 0;
    const fromUrl = await simulate(CONFIG, { workers: 2, worker: NODE_WORKER });
    const fromFactory = await simulate(CONFIG, { workers: 2, worker: () => { made++; return new Worker(NODE_WORKER); } });
    expect(made).toBe(2);
    for (const shard of [fromUrl, fromFactory]) expect(shard.results).toEqual(base.results);
  });

  it('a worker script that is missing or is not riskcore\'s worker: EngineError(CoreLoadFailed) naming worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'riskcore-worker-'));
    try {
      const broken = join(dir, 'broken.mjs');
      await writeFile(broken, "throw new Error('not a riskcore worker');\n");
      for (const worker of [pathToFileURL(join(dir, 'no-such-worker.mjs')), pathToFileURL(broken)]) {
        const error = await simulate(CONFIG, { workers: 1, worker }).then(() => undefined, (e: unknown) => e);
        expect(error, worker.href).toBeInstanceOf(EngineError);
        expect([(error as EngineError).codeName, (error as EngineError).field]).toEqual(['CoreLoadFailed', 'worker']);
        expect((error as EngineError).message).toContain('the simulation worker did not start');
        expect((error as EngineError & { cause?: unknown }).cause).toBeInstanceOf(Error);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a worker whose core cannot be loaded reports EngineError(CoreLoadFailed) naming wasm', async () => {
    const error = await simulate(CONFIG, { workers: 1, wasm: new URL('./no-such-core.wasm', RELEASE) }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect([(error as EngineError).codeName, (error as EngineError).field]).toEqual(['CoreLoadFailed', 'wasm']);
  });
});
