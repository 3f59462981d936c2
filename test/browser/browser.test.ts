/**
 * The built package in a real browser: Debian's Chromium (driven by playwright-core, never a
 * downloaded browser) loads test/browser/index.html from a local static server; the page imports
 * dist/src/browser.js, which fetches dist/riskcore.wasm next to itself. The page and Node run the
 * same seeded scenario (scenario.js) and must produce the same results digest and summary.
 *
 * Needs `npm run build` first (`npm test` does it) and Chromium at $CHROMIUM_PATH or
 * /usr/bin/chromium (`npm test` installs Debian's chromium when it is missing: scripts/chromium.mjs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium, TIMEOUT } from './chromium.js';
import { startStaticServer, type StaticServer } from './static-server.js';
import { digestEngine } from './digest.js';
import { runScenario, SCENARIO, type ScenarioResult } from './scenario.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** window.riskcore in index.html. */
interface PageState {
  state: 'loading' | 'idle' | 'pending' | 'done' | 'failed';
  error?: string;
  result?: ScenarioResult;
  digest?: string;
  summary?: ScenarioResult['summary'];
}

describe('browser build (Chromium) matches Node', () => {
  let server: StaticServer;
  let browser: Browser;
  let node: ScenarioResult;
  const pageLog: string[] = [];

  beforeAll(async () => {
    requireChromium(['dist/src/browser.js', 'dist/riskcore.wasm', 'dist/src/node.js']);
    server = await startStaticServer(ROOT);
    browser = await launchChromium();
    node = await runScenario(await import('../../dist/src/node.js'), digestEngine);
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A page in a fresh context (no shared HTTP or module cache), logging console output and errors. */
  async function openPage(query: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.stack ?? e.message}`));
    page.on('requestfailed', (r) => pageLog.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`${server.origin}/test/browser/index.html${query}`);
    return page;
  }

  /** Waits until the page leaves the given states; fails with the page's error and log. */
  async function settle(page: Page, busy: PageState['state'][]): Promise<PageState> {
    try {
      await page.waitForFunction((states) => {
        const s = (window as unknown as { riskcore?: PageState }).riskcore?.state;
        return s !== undefined && !states.includes(s);
      }, busy, { timeout: TIMEOUT, polling: 100 });
    } catch (e) {
      throw new Error(`page did not settle: ${String(e)}\n${pageLog.join('\n')}`);
    }
    const state = await page.evaluate(() => (window as unknown as { riskcore: PageState }).riskcore);
    if (state.state === 'failed') throw new Error(`page failed: ${state.error}\n${pageLog.join('\n')}`);
    return state;
  }

  it('Node baseline: the scenario flags a sizeable share of the book', () => {
    expect(node.book.accounts).toBe(SCENARIO.book.accounts);
    expect(node.accountCount).toBe(SCENARIO.book.accounts);
    expect(node.digest).toMatch(/^[0-9a-f]{16}$/);
    const s = node.summary;
    expect(s.book.accounts.liquidatable + s.book.accounts.bankrupt).toBeGreaterThan(0);
    // The cascade ran several rounds (the per-round notional cap binds), moved fees into the fund,
    // left deficits, and conserved the ledger; its digest differs from the check's.
    const l = node.liquidation;
    expect(l.rounds.length).toBeGreaterThan(1);
    expect(BigInt(l.insuranceFund)).toBeGreaterThan(0n);
    expect(l.deficits).toBeGreaterThan(0);
    expect(l.ledgerAfter).toBe(l.ledgerBefore);
    expect(l.digest).not.toBe(node.digest);
    // The waterfall moved money (fund, ADL, socialization or haircut) and conserved the ledger.
    const w = node.waterfall;
    expect(w.records).toBeGreaterThan(0);
    expect(BigInt(w.report.adlCoveredQuote as string)).toBeGreaterThan(0n);
    expect(BigInt(w.ledger)).toBe(BigInt(l.ledgerAfter) + BigInt(SCENARIO.fund) * 1_000_000n); // + the fund deposit, from outside
    expect(w.digest).not.toBe(l.digest);
  });

  it('default path: the page fetches /dist/riskcore.wasm and gets the same digest and summary', async () => {
    const first = server.requests.length;
    const page = await openPage('');
    try {
      const state = await settle(page, ['loading', 'pending']);
      expect(state.state).toBe('done');
      const result = state.result!;
      expect(state.digest).toBe(result.digest);
      expect(result.digest).toBe(node.digest);
      expect(state.summary).toEqual(node.summary);
      expect(result.liquidation).toEqual(node.liquidation);
      expect(result.waterfall).toEqual(node.waterfall);
      expect(result.book).toEqual(node.book);
      expect(result.accountCount).toBe(node.accountCount);

      const seen = server.requests.slice(first);
      const wasm = seen.filter((r) => r.path.endsWith('.wasm'));
      // Exactly the release core, once, with the type compileStreaming requires.
      expect(wasm).toEqual([{ method: 'GET', path: '/dist/riskcore.wasm', status: 200, contentType: 'application/wasm' }]);
      expect(seen).toContainEqual({ method: 'GET', path: '/dist/src/browser.js', status: 200, contentType: 'text/javascript' });
      expect(seen.filter((r) => r.status !== 200)).toEqual([]);
      // The browser entry is one self-contained module, loaded with no import map.
      expect(seen.filter((r) => r.path.startsWith('/dist/') && r.path.endsWith('.js')).map((r) => r.path)).toEqual(['/dist/src/browser.js']);
      expect(await page.locator('script[type=importmap]').count()).toBe(0);
      console.info(`[browser] default path, ms: ${JSON.stringify(result.ms)}; node ms: ${JSON.stringify(node.ms)}; digest ${result.digest}`);
    } finally {
      await page.context().close();
    }
  }, 2 * TIMEOUT);

  it('bundler path: `wasm: ArrayBuffer` works and fetches no wasm', async () => {
    const first = server.requests.length;
    const page = await openPage('?mode=manual');
    try {
      expect((await settle(page, ['loading'])).state).toBe('idle');
      const wasmBase64 = readFileSync(new URL('../../dist/riskcore.wasm', import.meta.url)).toString('base64');
      let result: ScenarioResult;
      try {
        result = await page.evaluate(
          (b64) => (window as unknown as { runRiskcore(o: { wasmBase64: string }): Promise<ScenarioResult> }).runRiskcore({ wasmBase64: b64 }),
          wasmBase64,
        );
      } catch (e) {
        throw new Error(`runRiskcore({ wasm: bytes }) failed in the page: ${String(e)}\n${pageLog.join('\n')}`);
      }
      expect(result.digest).toBe(node.digest);
      expect(result.summary).toEqual(node.summary);
      expect(result.liquidation).toEqual(node.liquidation);
      expect(result.waterfall).toEqual(node.waterfall);
      expect(result.book).toEqual(node.book);
      expect(server.requests.slice(first).filter((r) => r.path.endsWith('.wasm'))).toEqual([]);
    } finally {
      await page.context().close();
    }
  }, 2 * TIMEOUT);
});
