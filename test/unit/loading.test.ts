/**
 * Loading the core and the simulation workers from wherever an application puts them: a core that
 * cannot be loaded is EngineError(CoreLoadFailed) naming the `wasm` option; a Response that is not
 * typed application/wasm still compiles; `simulate`'s `worker` option (a URL or a factory) is checked
 * and used. The entries keep the URLs bundlers rewrite literal (test/browser/bundlers.test.ts builds
 * real bundles).
 */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CRASH_SCENARIO, EngineError, InputError, RiskEngine, simulate, StatusCode } from '../../dist/src/node.js';

const RELEASE = new URL('../../dist/riskcore.wasm', import.meta.url);
const NODE_WORKER = new URL('../../dist/src/simulation/worker-node.js', import.meta.url);
const CONFIG = { book: { accounts: 50, markets: 2, seed: 3 }, scenario: CRASH_SCENARIO, paths: 2, steps: 3, seed: 3 };

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
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./riskcore.wasm']).toBe('./dist/riskcore.wasm');
    expect(pkg.exports['./worker']).toBe('./dist/src/simulation/worker-browser.js');
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

  it('a worker whose core cannot be loaded reports EngineError(CoreLoadFailed) naming wasm', async () => {
    const error = await simulate(CONFIG, { workers: 1, wasm: new URL('./no-such-core.wasm', RELEASE) }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect([(error as EngineError).codeName, (error as EngineError).field]).toEqual(['CoreLoadFailed', 'wasm']);
  });
});
