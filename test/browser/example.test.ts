/**
 * The browser example (examples/browser/) in a real browser: Debian's Chromium (playwright-core,
 * never a downloaded browser) opens the page from a local static server with a small seeded crash
 * configuration in `?config=`. The page runs the simulation with `simulate(config, { workers: 1 })`,
 * i.e. in a module Web Worker (dist/src/simulation/worker-browser.js), then builds the report and
 * draws the charts. The test checks that a worker really ran it, that the charts are drawn, and that
 * the page's report is exactly the one Node computes in this thread for the same configuration (a
 * seed gives the same paths and numbers in Node and in Chromium), down to the values on the marks.
 *
 * Needs `npm run build` first (`npm test` does it) and Chromium at $CHROMIUM_PATH or
 * /usr/bin/chromium (`npm test` installs Debian's chromium when it is missing: scripts/chromium.mjs).
 */
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium, TIMEOUT } from './chromium.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import type { SimulationConfig, SimulationReport } from '../../src/simulation/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** How long the page may take to run the simulation. */
const RUN_TIMEOUT = 120_000;
const EXAMPLE = '/examples/browser/';
const WORKER_SCRIPT = '/simulation/worker-browser.js';

/** window.riskcoreExample in examples/browser/main.js. */
interface ExampleState {
  state: 'running' | 'done' | 'failed' | 'cancelled';
  config?: SimulationConfig;
  report?: SimulationReport;
  error?: string;
}

/** The report without its wall-clock time, the only field that differs between two runs. */
function withoutTime(report: SimulationReport): SimulationReport {
  return { ...report, work: { ...report.work, elapsedMs: 0 } };
}

describe('browser example (Chromium): a simulation in a Web Worker matches Node', () => {
  let server: StaticServer;
  let browser: Browser;
  let config: SimulationConfig;
  let node: SimulationReport;
  const pageLog: string[] = [];

  beforeAll(async () => {
    requireChromium(['dist/src/browser.js', 'dist/src/simulation/worker-browser.js', 'dist/riskcore.wasm', 'dist/src/node.js']);
    server = await startStaticServer(ROOT);
    browser = await launchChromium();
    const riskcore = await import('../../dist/src/node.js');
    // Small, seeded, and a crash with a thin fund and vault: every chart and tranche has data.
    config = {
      book: { accounts: 2000, markets: 8, seed: 5 }, scenario: riskcore.CRASH_SCENARIO,
      paths: 6, steps: 12, seed: 5, insuranceFundQuote: '100000', vaultQuote: '100000',
    };
    node = riskcore.buildReport(riskcore.mergeShards([await riskcore.simulate(config, { workers: 0 })]));
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The example in a fresh context, logging console output, errors and workers (page and workers). */
  async function openExample(pageConfig: SimulationConfig): Promise<{ page: Page; workers: string[]; closedWorkers: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const workers: string[] = [], closedWorkers: string[] = [];
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.stack ?? e.message}`));
    page.on('requestfailed', (r) => pageLog.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('worker', (w) => {
      workers.push(w.url());
      pageLog.push(`[worker] ${w.url()}`);
      w.on('console', (m) => pageLog.push(`[worker console.${m.type()}] ${m.text()}`));
      w.on('close', () => closedWorkers.push(w.url()));
    });
    await page.goto(`${server.origin}${EXAMPLE}?config=${encodeURIComponent(JSON.stringify(pageConfig))}`);
    return { page, workers, closedWorkers };
  }

  /** Waits until the page leaves 'running'; fails with the page's log on a timeout. */
  async function settle(page: Page): Promise<ExampleState> {
    try {
      await page.waitForFunction(() => {
        const s = (window as unknown as { riskcoreExample?: ExampleState }).riskcoreExample?.state;
        return s !== undefined && s !== 'running';
      }, undefined, { timeout: RUN_TIMEOUT, polling: 100 });
    } catch (e) {
      throw new Error(`the example did not finish: ${String(e)}\n${pageLog.join('\n')}`);
    }
    return page.evaluate(() => (window as unknown as { riskcoreExample: ExampleState }).riskcoreExample);
  }

  it('Node baseline: the configuration gives visible data in every chart', () => {
    expect(node.paths).toBe(6);
    expect(node.steps).toBe(12);
    expect(node.variants).toHaveLength(1);
    const v = node.variants[0]!;
    expect(v.byStep.insuranceFund.p50).toHaveLength(12);
    expect(v.byStep.insuranceFund.p50.some((x) => Number(x) > 0)).toBe(true);
    expect(v.byStep.liquidatedNotionalMean.some((x) => Number(x) > 0)).toBe(true);
    expect(v.tranches.some((t) => Number(t.meanQuote) > 0)).toBe(true);
  });

  it('runs in a module Web Worker, draws the charts, and reports exactly what Node computes', async () => {
    const first = server.requests.length;
    const { page, workers } = await openExample(config);
    try {
      const state = await settle(page);
      if (state.state !== 'done') throw new Error(`the example ended in state ${state.state}: ${state.error ?? ''}\n${pageLog.join('\n')}`);

      // (a) The paths ran in a Web Worker: the package's browser worker script, served from dist/.
      expect(workers.some((url) => url.endsWith(WORKER_SCRIPT)), `workers seen: ${JSON.stringify(workers)}`).toBe(true);
      const seen = server.requests.slice(first);
      expect(seen).toContainEqual({ method: 'GET', path: '/dist/src/simulation/worker-browser.js', status: 200, contentType: 'text/javascript' });
      expect(seen.filter((r) => r.path === '/dist/riskcore.wasm' && r.status === 200).length).toBeGreaterThan(0);
      expect(seen.filter((r) => r.status !== 200)).toEqual([]);
      // The entry and the worker are one self-contained module each, loaded with no import map.
      expect(new Set(seen.filter((r) => r.path.startsWith('/dist/') && r.path.endsWith('.js')).map((r) => r.path)))
        .toEqual(new Set(['/dist/src/browser.js', '/dist/src/simulation/worker-browser.js']));
      expect(await page.locator('script[type=importmap]').count()).toBe(0);

      // (c) The same report as Node's, to the last atom (only the wall-clock time differs).
      const report = state.report!;
      expect(state.config).toEqual(config);
      expect(withoutTime(report)).toEqual(withoutTime(node));
      expect(JSON.stringify(withoutTime(report))).toBe(JSON.stringify(withoutTime(node)));

      // (b) The three charts are drawn, with a nonzero size.
      for (const id of ['v0-fund', 'v0-tranches', 'v0-liquidations']) {
        const svg = page.locator(`svg#${id}`);
        await expect.poll(() => svg.count()).toBe(1);
        const box = await svg.boundingBox();
        expect(box, `bounding box of #${id}`).not.toBeNull();
        expect(box!.width).toBeGreaterThan(0);
        expect(box!.height).toBeGreaterThan(0);
        expect(await svg.getAttribute('role')).toBe('img');
      }

      // (d) The numbers on the marks are Node's.
      const v = node.variants[0]!;
      const json = async (selector: string, attribute: string): Promise<unknown> => JSON.parse((await page.locator(selector).getAttribute(attribute)) ?? 'null');
      const fan = v.byStep.insuranceFund;
      expect(await json('#v0-fund path[data-series="p50"]', 'data-values')).toEqual(fan.p50);
      expect(await json('#v0-fund path[data-band="p5-p95"]', 'data-lower')).toEqual(fan.p5);
      expect(await json('#v0-fund path[data-band="p5-p95"]', 'data-upper')).toEqual(fan.p95);
      expect(await json('#v0-fund path[data-band="p25-p75"]', 'data-lower')).toEqual(fan.p25);
      expect(await json('#v0-fund path[data-band="p25-p75"]', 'data-upper')).toEqual(fan.p75);
      // The page passes chartContext(report, 0): the fund's start (100,000) and the default
      // waterfall's floor, 70 % of it (ceil(100,000 x 700,000 / 10^6) = 70,000), as the HTML report draws them.
      expect(await page.locator('#v0-fund line[data-level]').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-level'), l.getAttribute('data-value')])))
        .toEqual([['start', '100000.000000'], ['floor', '70000.000000']]);
      const tranches = await page.locator('#v0-tranches rect[data-tranche]').evaluateAll(
        (rects) => rects.map((r) => ({ tranche: r.getAttribute('data-tranche'), value: r.getAttribute('data-value') })));
      expect(tranches).toEqual(v.tranches.map((t) => ({ tranche: t.tranche, value: t.meanQuote })));
      const bars = await page.locator('#v0-liquidations rect[data-step]').evaluateAll(
        (rects) => rects.map((r) => ({ step: Number(r.getAttribute('data-step')), value: r.getAttribute('data-value') })));
      expect(bars).toEqual(v.byStep.liquidatedNotionalMean.map((value, step) => ({ step, value })));
      expect(await json('#v0-liquidations path[data-series="p95"]', 'data-values')).toEqual(v.byStep.liquidatedNotional.p95);

      // The summary table shows Node's figures too.
      const cell = (key: string) => page.locator(`#summary td[data-key="${key}"][data-variant="0"]`).getAttribute('data-value');
      expect(Number(await cell('fund-exhausted'))).toBe(v.fundExhaustedProbability);
      expect(await cell('socialized-mean')).toBe(v.socialized.mean);
      expect(await cell('socialized-p95')).toBe(v.socialized.p95);
      expect(await cell('socialized-p99')).toBe(v.socialized.p99);
      expect(await cell('socialized-es99')).toBe(v.socialized.expectedShortfall99);
      expect(await cell('cover1-max')).toBe(v.cover1.max);
      expect(await cell('cover2-max')).toBe(v.cover2.max);
      expect(await cell('prefunded')).toBe(v.prefundedQuote);
      expect(Number(await cell('cover2-breach'))).toBe(v.cover2BreachPaths);
    } finally {
      await page.context().close();
    }
  }, RUN_TIMEOUT + 2 * TIMEOUT);

  it('Cancel stops the run and its worker', async () => {
    // Big enough that it cannot finish before the click.
    const slow: SimulationConfig = { ...config, book: { accounts: 50_000, markets: 20, seed: 5 }, paths: 500, steps: 200 };
    const { page, workers, closedWorkers } = await openExample(slow);
    try {
      await expect.poll(() => workers.filter((url) => url.endsWith(WORKER_SCRIPT)).length, { timeout: TIMEOUT }).toBeGreaterThan(0);
      const cancel = page.getByRole('button', { name: 'Cancel' });
      await expect.poll(() => cancel.isEnabled(), { timeout: TIMEOUT }).toBe(true);
      // A plain DOM click: if the run already ended (say, the worker failed), the state says why.
      await cancel.evaluate((button: HTMLButtonElement) => button.click());
      const state = await settle(page);
      expect(state.state, `${state.error ?? ''}\n${pageLog.join('\n')}`).toBe('cancelled');
      expect(state.report).toBeUndefined();
      await expect.poll(() => closedWorkers.filter((url) => url.endsWith(WORKER_SCRIPT)).length, { timeout: TIMEOUT }).toBeGreaterThan(0);
      expect(await page.getByRole('button', { name: 'Run simulation' }).isEnabled()).toBe(true);
    } finally {
      await page.context().close();
    }
  }, RUN_TIMEOUT + 2 * TIMEOUT);
});
