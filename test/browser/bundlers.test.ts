/**
 * The package as a JavaScript developer bundles it: `npm pack` of this repository is unpacked as
 * node_modules/riskcore of a tiny app (test/browser/bundlers/: an engine check and a one-path
 * simulation in a Web Worker, written into the page), which Vite, webpack and esbuild build. Each build is
 * served on 127.0.0.1 and opened in Debian's Chromium (playwright-core, never a downloaded browser).
 *
 * - Vite (a production build, and its dev server) and webpack, with no option at all: they copy riskcore.wasm (a literal `new URL(...,
 *   import.meta.url)`) and bundle the worker (a literal `new Worker(new URL(...))`); the debug core
 *   is left out, and webpack has nothing to warn about (no expression it would have to resolve).
 * - esbuild, which copies nothing by itself: the app imports `riskcore/riskcore.wasm` through the
 *   `file` loader and builds `riskcore/worker` as a second entry, and passes both (`wasm`, `worker`).
 * - Unbundled, with no import map (the browser entry and worker are self-contained modules): a .wasm
 *   served as application/octet-stream still loads (no streaming compile), and a missing one is
 *   EngineError(CoreLoadFailed) naming the `wasm` option; a missing worker script, the same naming `worker`.
 *
 * Needs `npm run build` first (`npm test` does it) and Chromium at $CHROMIUM_PATH or /usr/bin/chromium.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { build as viteBuild, createServer as createViteServer } from 'vite';
import webpack from 'webpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium, TIMEOUT } from './chromium.js';
import { startStaticServer, type RequestRecord, type StaticServerOptions } from './static-server.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./bundlers/', import.meta.url));

/** What app.js writes into #out's data-result. */
type AppState =
  | { state: 'done'; result: { check: Record<string, number>; paths: number; pathFrom: number; pathTo: number } }
  | { state: 'failed'; name?: string; code?: number; codeName?: string; field?: string; message: string };

/** The engine check of app.js: one healthy account, one below maintenance (worked out in app.js's numbers). */
const EXPECTED = { check: { healthy: 1, belowInitial: 0, liquidatable: 1, bankrupt: 0, inactive: 0 }, paths: 1, pathFrom: 0, pathTo: 1 };

describe('bundled apps (Vite, webpack, esbuild) and loading failures, in Chromium', () => {
  let browser: Browser;
  let app: string;

  beforeAll(async () => {
    requireChromium(['dist/src/browser.js', 'dist/src/simulation/worker-browser.js', 'dist/riskcore.wasm']);
    // The app's directory: the fixture, and the package as npm would install it (its "files" only).
    app = await mkdtemp(join(tmpdir(), 'riskcore-bundlers-'));
    const pkg = join(app, 'node_modules', 'riskcore');
    await mkdir(pkg, { recursive: true });
    const packed = await run('npm', ['pack', '--pack-destination', app, '--ignore-scripts', '--silent'], { cwd: ROOT });
    await run('tar', ['-xzf', join(app, packed.stdout.trim().split('\n').pop()!), '-C', pkg, '--strip-components=1']);
    for (const file of await readdir(FIXTURE)) await copyFile(join(FIXTURE, file), join(app, file));
    browser = await launchChromium();
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (app) await rm(app, { recursive: true, force: true });
  });

  /** Opens `url` and returns what the app wrote, with the workers started and the .wasm responses the page and its workers saw. */
  async function openPage(url: string): Promise<{ state: AppState; workers: string[]; wasm: [string, number][] }> {
    const context = await browser.newContext();
    const log: string[] = [], workers: string[] = [], wasm: [string, number][] = [];
    try {
      const page = await context.newPage();
      page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => log.push(`[pageerror] ${e.stack ?? e.message}`));
      page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
      context.on('response', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push([new URL(r.url()).pathname, r.status()]); });
      await page.goto(url);
      const out = page.locator('#out[data-result]');
      try {
        await out.waitFor({ state: 'attached', timeout: TIMEOUT });
      } catch (e) {
        throw new Error(`the app wrote no result: ${String(e)}\n${log.join('\n')}`);
      }
      return { state: JSON.parse((await out.getAttribute('data-result'))!) as AppState, workers, wasm };
    } finally {
      await context.close();
    }
  }

  /** Serves `root`, opens `path` and returns what the app wrote, with the requests served and the workers started. */
  async function open(root: string, path: string, options: StaticServerOptions = {}): Promise<{ state: AppState; requests: RequestRecord[]; workers: string[] }> {
    const server = await startStaticServer(root, options);
    try {
      const { state, workers } = await openPage(`${server.origin}${path}`);
      return { state, requests: server.requests, workers };
    } finally {
      await server.close();
    }
  }

  const wasmRequests = (requests: RequestRecord[]): RequestRecord[] => requests.filter((r) => r.path.endsWith('.wasm'));

  it('Vite, no options: the release core and the worker are bundled, the debug core is not; check and simulation run', async () => {
    const outDir = join(app, 'out-vite');
    await viteBuild({ root: app, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    const assets = await readdir(join(outDir, 'assets'));
    const wasm = assets.filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    // Byte for byte the release core: the debug one is in no bundle.
    expect((await readFile(join(outDir, 'assets', wasm[0]!))).equals(await readFile(join(ROOT, 'dist/riskcore.wasm')))).toBe(true);
    expect(assets.some((f) => /^worker-browser-.*\.js$/.test(f))).toBe(true);

    const { state, requests, workers } = await open(outDir, '/index.html');
    expect(state).toEqual({ state: 'done', result: EXPECTED });
    expect(wasmRequests(requests).map((r) => [r.path, r.status])).toEqual([[`/assets/${wasm[0]}`, 200], [`/assets/${wasm[0]}`, 200]]); // page, worker
    expect(workers.some((p) => /^\/assets\/worker-browser-.*\.js$/.test(p)), JSON.stringify(workers)).toBe(true);
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  }, 2 * TIMEOUT);

  it('Vite dev server, no options: the pre-bundled package still finds the core (page and worker)', async () => {
    const server = await createViteServer({ root: app, configFile: false, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false } });
    try {
      await server.listen();
      const origin = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
      const { state, wasm, workers } = await openPage(`${origin}/index.html`);
      expect(state).toEqual({ state: 'done', result: EXPECTED });
      expect(wasm).toEqual([['/node_modules/riskcore/dist/riskcore.wasm', 200], ['/node_modules/riskcore/dist/riskcore.wasm', 200]]); // page, worker
      expect(workers).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 2 * TIMEOUT);

  it('webpack (production), no options: the release core and the worker are emitted, the debug core is not; no warning; check and simulation run', async () => {
    const outDir = join(app, 'out-webpack');
    const stats = await new Promise<webpack.Stats>((done, fail) => {
      const compiler = webpack({ mode: 'production', context: app, entry: './main.js', output: { path: outDir, clean: true } });
      compiler.run((error, result) => compiler.close(() => (error || !result ? fail(error ?? new Error('webpack: no result')) : done(result))));
    });
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    expect(info.errors ?? []).toEqual([]);
    expect((info.warnings ?? []).map((w) => w.message)).toEqual([]);
    await writeFile(join(outDir, 'index.html'), await readFile(join(app, 'index.html'), 'utf8'));
    const files = await readdir(outDir);
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    expect((await readFile(join(outDir, wasm[0]!))).equals(await readFile(join(ROOT, 'dist/riskcore.wasm')))).toBe(true);

    const { state, requests, workers } = await open(outDir, '/index.html');
    expect(state).toEqual({ state: 'done', result: EXPECTED });
    expect(wasmRequests(requests).map((r) => [r.path, r.status])).toEqual([[`/${wasm[0]}`, 200], [`/${wasm[0]}`, 200]]); // page, worker
    expect(workers).toHaveLength(1);
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  }, 2 * TIMEOUT);

  it('esbuild: `riskcore/riskcore.wasm` through the file loader and `riskcore/worker` as an entry, passed as `wasm` and `worker`', async () => {
    const outdir = join(app, 'out-esbuild');
    await esbuild.build({
      absWorkingDir: app,
      entryPoints: { main: './main-esbuild.js', 'riskcore-worker': 'riskcore/worker' },
      bundle: true, format: 'esm', outdir, loader: { '.wasm': 'file' }, logLevel: 'warning',
    });
    await writeFile(join(outdir, 'index.html'), (await readFile(join(app, 'index.html'), 'utf8')));
    const files = await readdir(outdir);
    const wasm = files.filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    expect((await readFile(join(outdir, wasm[0]!))).equals(await readFile(join(ROOT, 'dist/riskcore.wasm')))).toBe(true);

    const { state, requests, workers } = await open(outdir, '/index.html');
    expect(state).toEqual({ state: 'done', result: EXPECTED });
    expect(workers).toEqual(['/riskcore-worker.js']);
    expect(wasmRequests(requests).map((r) => [r.path, r.status])).toEqual([[`/${wasm[0]}`, 200], [`/${wasm[0]}`, 200]]); // page, worker
    expect(requests.filter((r) => r.status !== 200)).toEqual([]);
  }, 2 * TIMEOUT);

  it('unbundled, with no import map: a .wasm served as application/octet-stream still loads (page and worker)', async () => {
    expect(await readFile(join(FIXTURE, 'plain.html'), 'utf8')).not.toContain('importmap');
    const { state, requests, workers } = await open(ROOT, '/test/browser/bundlers/plain.html', { contentTypes: { '.wasm': 'application/octet-stream' } });
    expect(state).toEqual({ state: 'done', result: EXPECTED });
    expect(wasmRequests(requests)).toEqual([
      { method: 'GET', path: '/dist/riskcore.wasm', status: 200, contentType: 'application/octet-stream' },
      { method: 'GET', path: '/dist/riskcore.wasm', status: 200, contentType: 'application/octet-stream' },
    ]);
    // The entry and the worker are one module each: no other file of the package is fetched.
    expect(requests.filter((r) => r.path.startsWith('/dist/') && r.path.endsWith('.js')).map((r) => r.path))
      .toEqual(['/dist/src/browser.js', '/dist/src/simulation/worker-browser.js']);
    expect(workers).toEqual(['/dist/src/simulation/worker-browser.js']);
  }, 2 * TIMEOUT);

  it('a missing worker script is EngineError(CoreLoadFailed) naming the `worker` option', async () => {
    const { state } = await open(ROOT, '/test/browser/bundlers/plain.html?worker=/dist/missing-worker.js');
    expect(state).toMatchObject({ state: 'failed', name: 'EngineError', code: 8, codeName: 'CoreLoadFailed', field: 'worker' });
    expect((state as { message: string }).message).toContain('the simulation worker did not start');
  }, 2 * TIMEOUT);

  it('a missing .wasm is EngineError(CoreLoadFailed) naming the `wasm` option', async () => {
    const { state, requests } = await open(ROOT, '/test/browser/bundlers/plain.html?wasm=/dist/missing.wasm');
    expect(state).toMatchObject({ state: 'failed', name: 'EngineError', code: 8, codeName: 'CoreLoadFailed', field: 'wasm' });
    const message = (state as { message: string }).message;
    expect(message).toContain('`wasm` option');
    expect(message).toContain('/dist/missing.wasm');
    expect(message).toContain('404');
    expect(wasmRequests(requests).map((r) => [r.path, r.status])).toEqual([['/dist/missing.wasm', 404]]);
  }, 2 * TIMEOUT);
});
