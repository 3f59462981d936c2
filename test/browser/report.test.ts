/**
 * The HTML report in a real browser: a report built from hand-made path results is written to a
 * file, opened from disk in Debian's Chromium (playwright-core, never a downloaded browser), and the
 * numbers the charts and tables show are read back from the DOM and compared with the report.
 *
 * Needs Chromium at $CHROMIUM_PATH or /usr/bin/chromium (`npm test` installs Debian's chromium when
 * it is missing: scripts/chromium.mjs). No build: the report is rendered from the sources.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium, TIMEOUT } from './chromium.js';
import { niceScale } from '../../src/report/charts.js';
import { renderReportHtml } from '../../src/report/html.js';
import { CRASH_SCENARIO } from '../../src/simulation/config.js';
import { buildReport, configHash } from '../../src/simulation/stats.js';
import { STEP_METRICS, type PathResult, type SimulationReport, type StepMetric } from '../../src/simulation/types.js';

// 2 variants x 5 paths x 6 steps, quote decimals 6. Path p, step t of variant v (amounts in whole quote units):
//   insurance fund 1000 - 40 (p + 1) t (+ 500 in variant 1), liquidated notional 100 (p + 1) t with p + t closes,
//   a deficit of 10 p at step 5 covered by the fund, except path 4 whose 40 go 15 to ADL, 5 to socialized funding, 20 uncovered
//   (variant 1: all 40 from the fund). Fractions of atoms (x.25) keep the means' rounding visible.
//   Stakers hold 800 at the start and 800 + 10 t - 30 p t later; the vault 200 + t, less 30 on path 4 of
//   the base; fees 2 a step into a treasury that holds 2 (t + 1).
//   The withdrawal run: 10 winners wanting 100 on every path; in the base they receive 100 - 10 p and p of
//   them are short, the queue holds 10 p t and path p > 0 had one request leave the queue p steps after
//   it was made; with the bigger fund every winner receives the 100 and nothing queues.
//
// Per-path totals and the comparison (report.json's pathTotals; the summary and the "Who bore the loss" charts):
//   total loss of path p (every tranche's cover + uncovered) = 10 p in both variants: 0, 10, 20, 30, 40.
//     Exceedance: P(loss > 0) = 4/5, > 10: 3/5, > 20: 2/5, > 30: 1/5, > 40: 0 (both variants).
//     p95 = rank ceil(4.75) = 5 -> 40, p99 = rank 5 -> 40.
//   Loss past the prefunded resources (ADL + socialized + uncovered): base 0, 0, 0, 0, 40 -> P(> 0) = 1/5,
//     P(> 40) = 0; the bigger fund 0 on every path -> P(> 0) = 0.
//   Mean per path by tranche: base fund (0 + 10 + 20 + 30 + 0) / 5 = 12, ADL 15 / 5 = 3, socialized 5 / 5 = 1,
//     uncovered 20 / 5 = 4; the bigger fund: fund 100 / 5 = 20, uncovered 0.
//   The worst 5 %: max(1, ceil(5 x 5 / 100)) = 1 path, path 4 (total 40): base fund 0, ADL 15, socialized 5,
//     uncovered 20; the bigger fund: fund 40, uncovered 0.
//   Summary (bearers): base fund 12, winners (ADL) 3, socialized 1, uncovered 4; the bigger fund 20, 0, 0, 0; no vault.
//   The fund chart: start 1000 (the configuration's fund) and 1500 (the variant's); the exchange waterfall's
//     fund pays nothing below 70 % of its peak: floors 700 and 1050.
const STEPS = 6, PATHS = 5, UNIT = 1_000_000n;
const VARIANTS = [{ name: 'base <fund>', variant: {} }, { name: 'bigger fund & "ADL"', variant: { insuranceFundQuote: '1500' } }];
const CONFIG = {
  paths: PATHS, steps: STEPS, seed: 42, scenario: { kind: 'monteCarlo' as const, volatilityPpm: 30_000 }, insuranceFundQuote: '1000',
  economics: { withdrawals: { everySteps: 2 } },
};

function pathResult(path: number, variant: number): PathResult {
  const series = (f: (t: number) => bigint) => Array.from({ length: STEPS }, (_, t) => f(t));
  const atStep5 = (v: bigint) => series((t) => (t === 5 ? v : 0n));
  const deficit = 10n * BigInt(path) * UNIT;
  const split = path === 4 && variant === 0;
  const m: Partial<Record<StepMetric, bigint[]>> = {
    insuranceFundQuote: series((t) => (1000n - 40n * BigInt((path + 1) * t) + (variant === 1 ? 500n : 0n)) * UNIT + 250_000n),
    closedNotionalQuote: series((t) => 100n * BigInt((path + 1) * t) * UNIT + BigInt(path) * 250_000n),
    closes: series((t) => BigInt(path + t)),
    deficitQuote: atStep5(deficit),
    coveredInsuranceFund: atStep5(split ? 0n : deficit),
    coveredAdl: atStep5(split ? 15n * UNIT : 0n),
    adlNotionalQuote: atStep5(split ? 150n * UNIT : 0n),
    adlAccounts: atStep5(split ? 3n : 0n),
    coveredSocializeFunding: atStep5(split ? 5n * UNIT : 0n),
    socializedQuote: atStep5(split ? 5n * UNIT : 0n),
    uncoveredQuote: atStep5(split ? 20n * UNIT : 0n),
    stakerValueQuote: series((t) => (800n + 10n * BigInt(t + 1) - 30n * BigInt(path * (t + 1))) * UNIT),
    vaultNavQuote: series((t) => (200n + BigInt(t + 1) - (split ? 30n : 0n)) * UNIT),
    feeRevenueQuote: series(() => 2n * UNIT),
    treasuryQuote: series((t) => 2n * BigInt(t + 1) * UNIT),
    queuedQuote: series((t) => (variant === 0 ? 10n * BigInt(path * t) * UNIT : 0n)),
    queueWaits: series((w) => (variant === 0 && path > 0 && w === path ? 1n : 0n)),
  };
  return {
    path, variant,
    metrics: STEP_METRICS.map((k) => m[k] ?? series(() => 0n)),
    prefundedQuote: (1000n + (variant === 1 ? 500n : 0n)) * UNIT,
    cover1Quote: BigInt(path) * 300n * UNIT, cover2Quote: BigInt(path) * 500n * UNIT,
    fundExhausted: split, accountsChecked: 100, positionSteps: 600,
    start: { stakerValueQuote: 800n * UNIT, vaultNavQuote: 200n * UNIT, treasuryQuote: 0n },
    withdrawals: {
      winners: 10, wantedQuote: 100n * UNIT, receivedQuote: (variant === 0 ? 100n - 10n * BigInt(path) : 100n) * UNIT,
      shortWinners: variant === 0 ? path : 0, queuedRequests: variant === 0 ? path : 0, stillQueued: 0, chargedQuote: 0n,
    },
  };
}

function sampleReport(): SimulationReport {
  const results = VARIANTS.flatMap((_, v) => Array.from({ length: PATHS }, (_, p) => pathResult(p, v)));
  return buildReport({ config: CONFIG, configHash: configHash(CONFIG), variants: VARIANTS, results, quoteDecimals: 6, steps: STEPS, elapsedMs: 3 });
}

/**
 * A report made to be wide: six variants with long names and every amount a million times larger
 * (ten-digit sums with six decimals), for the layout checks at 1280 pixels.
 */
function wideReport(): SimulationReport {
  const million = (r: PathResult): PathResult => ({
    ...r, metrics: r.metrics.map((row) => row.map((v) => v * 1_000_000n)),
    prefundedQuote: r.prefundedQuote * 1_000_000n, cover1Quote: r.cover1Quote * 1_000_000n, cover2Quote: r.cover2Quote * 1_000_000n,
  });
  const variants = Array.from({ length: 6 }, (_, i) => ({ name: `waterfall exchange, fund ${i + 1}000000000, margin x1.${i}, ADL hyperliquid`, variant: {} }));
  const results = variants.flatMap((_, v) => Array.from({ length: PATHS }, (_, p) => million(pathResult(p, v))));
  const config = { ...CONFIG, scenario: CRASH_SCENARIO, insuranceFundQuote: '1000000000' };
  return buildReport({ config, configHash: configHash(config), variants, results, quoteDecimals: 6, steps: STEPS, elapsedMs: 3 });
}

/**
 * Every box of the page inside the body at the page's width: no table or container scrolls
 * sideways (scrollWidth <= clientWidth), and every SVG's and table's bounding box lies within the
 * body's. Returns what does not, as text.
 */
async function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const body = document.body.getBoundingClientRect();
    const out: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`;
    if (document.documentElement.scrollWidth > document.documentElement.clientWidth) out.push(`page ${document.documentElement.scrollWidth} > ${document.documentElement.clientWidth}`);
    for (const el of Array.from(document.querySelectorAll('body, header, section, div, table, dl, ul, p'))) {
      if (el.scrollWidth > el.clientWidth) out.push(`${name(el)} scrolls: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    for (const el of Array.from(document.querySelectorAll('svg, table'))) {
      const r = el.getBoundingClientRect();
      if (r.left < body.left - 0.5 || r.right > body.right + 0.5) out.push(`${name(el)} [${r.left}, ${r.right}] outside the body [${body.left}, ${body.right}]`);
    }
    return out;
  });
}

describe('HTML report (Chromium)', () => {
  const report = sampleReport();
  const html = renderReportHtml(report);
  let dir: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const pageLog: string[] = [];

  beforeAll(async () => {
    requireChromium();
    dir = await mkdtemp(join(tmpdir(), 'riskcore-report-'));
    const file = join(dir, 'report.html');
    await writeFile(file, html);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(TIMEOUT);
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    await page.goto(pathToFileURL(file).href);
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    // RISKCORE_KEEP_SCREENSHOTS=1 keeps the full-page screenshots (evidence, not compared by pixels).
    if (dir && !process.env.RISKCORE_KEEP_SCREENSHOTS) await rm(dir, { recursive: true, force: true });
  });

  const attr = (selector: string, name: string) => page.locator(selector).evaluateAll(
    (els, n) => els.map((el) => el.getAttribute(n)), name);

  it('the sample has what the charts need: both variants, tranches beyond the fund, nonzero liquidations', () => {
    expect(report.variants.map((v) => v.paths)).toEqual([PATHS, PATHS]);
    // The exchange waterfall's steps in its order (the vault paid nothing, and is listed), uncovered last.
    expect(report.variants[0]!.tranches.map((t) => t.tranche)).toEqual(['insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'uncovered']);
    // Path 4 of the base variant: 20 uncovered over 5 paths = 4 per path; ADL 15 / 5 = 3.
    expect(report.variants[0]!.tranches.at(-1)).toEqual({ tranche: 'uncovered', meanQuote: '4.000000', totalQuote: '20.000000' });
    expect(report.variants[0]!.fundExhaustedProbability).toBe(0.2);
    // Step 1: 100 (1 + 2 + 3 + 4 + 5) = 1500, plus 0.25 (0 + 1 + 2 + 3 + 4) = 2.5, over 5 paths = 300.5.
    expect(report.variants[0]!.byStep.liquidatedNotionalMean[1]).toBe('300.500000');
  });

  it('interpolated text is escaped, in the page and in the embedded JSON', () => {
    expect(html).not.toContain('<fund>');
    expect(html).toContain('base &#60;fund&#62;');
    expect(html).toContain('"name":"base \\u003cfund>"');
  });

  it('opens from disk with no other request and no page error', () => {
    expect(requests).toEqual([page.url()]);
    expect(pageLog).toEqual([]);
  });

  it('every chart is rendered with a nonzero size and a title', async () => {
    for (let i = 0; i < report.variants.length; i++) {
      for (const chart of ['fund', 'tranches', 'liquidations', 'stakers', 'vault', 'queue']) {
        const box = await page.locator(`svg#v${i}-${chart}`).evaluate((el) => {
          const r = el.getBoundingClientRect();
          return { width: r.width, height: r.height, title: el.querySelector('title')?.textContent ?? '' };
        });
        expect(box.width, `v${i}-${chart}`).toBeGreaterThan(0);
        expect(box.height, `v${i}-${chart}`).toBeGreaterThan(0);
        expect(box.title).toContain(report.variants[i]!.name);
      }
    }
  });

  it('the charts plot the report\'s numbers', async () => {
    for (const [i, v] of report.variants.entries()) {
      const fund = v.byStep.insuranceFund;
      expect(JSON.parse((await attr(`#v${i}-fund path[data-series="p50"]`, 'data-values'))[0]!)).toEqual(fund.p50);
      expect(JSON.parse((await attr(`#v${i}-fund path[data-band="p5-p95"]`, 'data-lower'))[0]!)).toEqual(fund.p5);
      expect(JSON.parse((await attr(`#v${i}-fund path[data-band="p25-p75"]`, 'data-upper'))[0]!)).toEqual(fund.p75);

      expect(await attr(`#v${i}-tranches rect[data-tranche]`, 'data-tranche')).toEqual(v.tranches.map((t) => t.tranche));
      expect(await attr(`#v${i}-tranches rect[data-tranche]`, 'data-value')).toEqual(v.tranches.map((t) => t.meanQuote));

      expect(await attr(`#v${i}-liquidations rect[data-step]`, 'data-step')).toEqual(v.byStep.liquidatedNotionalMean.map((_, t) => String(t)));
      expect(await attr(`#v${i}-liquidations rect[data-step]`, 'data-value')).toEqual(v.byStep.liquidatedNotionalMean);
      expect(JSON.parse((await attr(`#v${i}-liquidations path[data-series="p95"]`, 'data-values'))[0]!)).toEqual(v.byStep.liquidatedNotional.p95);
      expect(JSON.parse((await attr(`#v${i}-queue path[data-series="p50"]`, 'data-values'))[0]!)).toEqual(v.byStep.queuedQuote.p50);
    }
    // The base's queue at step 5: 50 p for p = 0..4 -> the median (rank 3) 100.
    expect(report.variants[0]!.byStep.queuedQuote.p50[5]).toBe('100.000000');
  });

  it('the frontier places every variant at its risk-takers\' return and tail loss, marked by the winners\' short probability', async () => {
    const circles = await page.locator('#frontier circle').evaluateAll((cs) => cs.map((c) => ({
      variant: c.getAttribute('data-variant'), ret: c.getAttribute('data-return-ppm'), tail: c.getAttribute('data-tail-loss-ppm'), hit: c.getAttribute('data-hit-probability'),
      mark: c.getAttribute('data-mark'), short: c.getAttribute('data-short-probability'),
    })));
    expect(circles).toEqual(report.variants.map((v, i) => ({
      // 6 steps of 60 s: shorter than a day, so the frontier's return is over the run, not a year.
      variant: String(i), ret: String(v.riskTakers.combined.meanReturnPpm), tail: String(v.riskTakers.combined.maxDrawdown.p95Ppm),
      hit: String(v.riskTakers.winnersHitProbability), mark: 'short', short: String(v.winners.shortProbabilityPpm / 1e6),
    })));
    expect(await page.locator('#frontier text.legend').textContent()).toContain('could not withdraw in full');
    // The base: 0 + 1 + 2 + 3 + 4 = 10 of 50 winners short: 200,000 ppm; the bigger fund: none.
    expect(report.variants.map((v) => v.winners.shortProbabilityPpm)).toEqual([200_000, 0]);
    // Base: winners hit on path 4 only (ADL and socialized funding): 1 of 5; the bigger fund: none.
    expect(report.variants.map((v) => v.riskTakers.winnersHitProbability)).toEqual([0.2, 0]);
    const rows = await page.locator('#risk-takers-table tbody tr td[data-col="stakers-return"]').allTextContents();
    // Over the run (6 min, not annualized): the stakers end at 800 + 10 x 6 - 30 x 6 p = 860, 680, 500,
    // 320, 140 of 800: returns 7.5, -15, -37.5, -60, -82.5 %, mean -37.5 % = -375,000 ppm (a year it
    // would be x 87,600 = -3,285,000 %, which the table no longer prints).
    expect(report.variants.map((v) => v.riskTakers.stakers.meanReturnPpm)).toEqual([-375_000, -375_000]);
    expect(report.variants.map((v) => v.riskTakers.stakers.annualizedReturnPpm)).toEqual([-32_850_000_000, -32_850_000_000]);
    expect(rows).toEqual(['-37.50 %', '-37.50 %']);
    expect(await page.locator('#risk-takers-table thead').textContent()).toContain('Return /run');
    expect(await page.locator('#frontier').textContent()).toContain('return, %, over the run (6 min)');
    expect(JSON.parse((await attr('#v0-stakers path[data-series="p50"]', 'data-values'))[0]!)).toEqual(report.variants[0]!.byStep.stakerValue.p50);
  });

  it('the frontier table has the winners\' columns: taken out, lost, P(short), the queue\'s waits', async () => {
    const cols = ['winners-taken-out', 'winners-lost', 'winners-short', 'wait-mean', 'wait-p95', 'wait-max'];
    const rows = await page.locator('#winners-table tbody tr').evaluateAll((trs, cs) => trs.map((tr) => cs.map((c) => tr.querySelector(`td[data-col="${c}"]`)?.textContent)), cols);
    // The base: received 100 + 90 + 80 + 70 + 60 = 400 of 500 wanted: 80 %; ADL 15 + socialized 5 = 20 taken:
    //   floor(20 * 10^6 / 520) = 38,461 ppm = 3.85 %; waits 1, 2, 3, 4 steps: mean floor(10 / 4) = 2, p95 (rank 4) 4, max 4.
    // The bigger fund: everything taken out, nothing lost, nothing waited.
    expect(rows).toEqual([
      ['80.00 %', '3.85 %', '20.00 %', '2', '4', '4'],
      ['100.00 %', '0.00 %', '0.00 %', '0', '0', '0'],
    ]);
    expect(report.variants[0]!.winners).toMatchObject({ enabled: true, takenOutPpm: 800_000, lostPpm: 38_461, left: 4, winners: 10, wantedQuote: '100.000000', receivedQuote: '80.000000' });
  });

  it('the sweep table has one row per variant with its losses, grouped and rounded, exact in data-value; the least of each column marked', async () => {
    const rows = await page.locator('#sweep-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      name: tr.querySelector('th')?.textContent,
      mean: tr.querySelector('td[data-col="socialized-mean"]')?.textContent,
      exact: tr.querySelector('td[data-col="socialized-mean"]')?.getAttribute('data-value'),
      least: Array.from(tr.querySelectorAll('td.least')).map((td) => td.getAttribute('data-col')),
    })));
    // Base: 5 socialized on path 4 over 5 paths = 1; the bigger fund socializes nothing, leaves nothing
    // uncovered (base: p99 20) and never runs out (base: 1 of 5). Cover-2 p99 is 2000 in both: not marked.
    expect(rows).toEqual([
      { name: 'base <fund>', mean: '1.00', exact: '1.000000', least: [] },
      { name: 'bigger fund & "ADL"', mean: '0', exact: '0.000000',
        least: ['fund-exhausted', 'socialized-mean', 'socialized-p99', 'uncovered-mean', 'uncovered-p99'] },
    ]);
    expect(rows.map((r) => r.exact)).toEqual(report.variants.map((v) => v.socialized.mean));
    // Thousands separators: liquidated notional, per path sum over t of 100 (p + 1) t + 0.25 p = 1500 (p + 1) + 1.5 p,
    // over the paths 1500 x 15 + 1.5 x 10 = 22,515 (both variants).
    expect(await attr('#sweep-table td[data-col="liquidated"]', 'data-value')).toEqual(['22515.000000', '22515.000000']);
    expect(await page.locator('#sweep-table td[data-col="liquidated"]').allTextContents()).toEqual(['22,515', '22,515']);
    expect(report.variants.map((v) => v.liquidations.notionalQuote)).toEqual(['22515.000000', '22515.000000']);
    expect(await page.locator('section.variant h2').allTextContents()).toEqual(VARIANTS.map((v) => v.name));
  });

  it('the header states the assumptions, and warns that with fewer than 100 paths p99 is the maximum', async () => {
    const dd = await page.locator('dl.run dd').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.getAttribute('data-key'), el.textContent])));
    expect(dd['scenario']).toBe('Monte Carlo (volatility 3 % a step; drift 0 % a step; correlation 0 %)');
    expect(dd['book']).toContain('synthetic: 1,000,000 accounts over 100 markets, 10 positions per account');
    expect(dd['insurance fund']).toBe('1,000 quote units at the start');
    expect(dd['liquidation policy']).toBe('buffered (default): partial close restoring maintenance margin + 10 %, fee 1 % of notional, 50 % of it to the liquidator');
    expect(dd['waterfall']).toBe('exchange (default): Insurance fund (pays nothing below 70 % of its peak over 8 h) → Backstop vault → ADL by the bitmex ranking → Socialized through funding');
    expect(dd['steps']).toBe('6 steps of 1 min (6 min in all)');
    expect(dd['paths']).toBe('5, seed 42');
    expect(dd['funding rate']).toContain('0.0001 % of the mark a step');
    expect(dd['configuration hash']).toBe(report.configHash);
    expect(await page.locator('#paths-warning').textContent()).toContain('5 paths: with fewer than 100, the 99th percentile and ES99 are the worst path');
  });

  it('the summary: mean loss per path by who bore it, the total\'s p99, P(fund exhausted), P(winners hit); the least of each marked', async () => {
    const head = await page.locator('#summary-table thead th').allTextContents();
    expect(head).toEqual(['Variant', 'Insurance fund (stakers, treasury)', 'Winners (ADL, haircuts of gains)', 'Socialized over all traders', 'Uncovered (left unpaid)',
      'Total loss p99', 'P(fund exhausted)', 'P(winners hit)']);
    const rows = await page.locator('#summary-table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => ({
      col: td.getAttribute('data-col'), value: td.getAttribute('data-value') ?? td.textContent, least: td.classList.contains('least'),
    }))));
    const cell = (col: string, value: string, least: boolean) => ({ col, value, least });
    expect(rows).toEqual([
      [cell('bearer-fund', '12.000000', true), cell('bearer-winners', '3.000000', false), cell('bearer-socialized', '1.000000', false), cell('bearer-uncovered', '4.000000', false),
        cell('total-p99', '40.000000', false), cell('fund-exhausted', '20.00 %', false), cell('winners-hit', '20.00 %', false)],
      [cell('bearer-fund', '20.000000', false), cell('bearer-winners', '0.000000', true), cell('bearer-socialized', '0.000000', true), cell('bearer-uncovered', '0.000000', true),
        cell('total-p99', '40.000000', false), cell('fund-exhausted', '0.00 %', true), cell('winners-hit', '0.00 %', true)],
    ]);
    expect(await page.locator('#summary ul.least li[data-col="bearer-uncovered"]').textContent()).toBe('Uncovered (left unpaid): least: bigger fund & "ADL"; most: base <fund>');
    expect(await page.locator('#summary ul.least li[data-col="total-p99"]').textContent()).toContain('the same for every variant');
  });

  it('who bore the loss: stacked bars of the tranches\' means and of the worst 5 % of paths, p95 and p99 of the total marked, on one scale', async () => {
    const bars = await page.locator('#compare-tranches rect[data-bar]').evaluateAll((rs) => rs.map((r) => [
      r.getAttribute('data-variant'), r.getAttribute('data-bar'), r.getAttribute('data-tranche'), r.getAttribute('data-value')]));
    expect(bars).toEqual([
      ['0', 'mean', 'insuranceFund', '12.000000'], ['0', 'mean', 'backstopVault', '0.000000'], ['0', 'mean', 'adl', '3.000000'], ['0', 'mean', 'socializeFunding', '1.000000'],
      ['0', 'mean', 'uncovered', '4.000000'],
      ['0', 'tail', 'insuranceFund', '0.000000'], ['0', 'tail', 'backstopVault', '0.000000'], ['0', 'tail', 'adl', '15.000000'], ['0', 'tail', 'socializeFunding', '5.000000'],
      ['0', 'tail', 'uncovered', '20.000000'],
      ['1', 'mean', 'insuranceFund', '20.000000'], ['1', 'mean', 'backstopVault', '0.000000'], ['1', 'mean', 'adl', '0.000000'], ['1', 'mean', 'socializeFunding', '0.000000'],
      ['1', 'mean', 'uncovered', '0.000000'],
      ['1', 'tail', 'insuranceFund', '40.000000'], ['1', 'tail', 'backstopVault', '0.000000'], ['1', 'tail', 'adl', '0.000000'], ['1', 'tail', 'socializeFunding', '0.000000'],
      ['1', 'tail', 'uncovered', '0.000000'],
    ]);
    // The mean bars are the report's tranche means.
    for (const [i, v] of report.variants.entries()) {
      expect(await attr(`#compare-tranches rect[data-variant="${i}"][data-bar="mean"]`, 'data-value')).toEqual(v.tranches.map((t) => t.meanQuote));
    }
    const marks = await page.locator('#compare-tranches line[data-mark]').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-variant'), l.getAttribute('data-mark'), l.getAttribute('data-value')]));
    expect(marks).toEqual([['0', 'p95', '40.000000'], ['0', 'p99', '40.000000'], ['1', 'p95', '40.000000'], ['1', 'p99', '40.000000']]);
    // One y-scale: the stacks' heights in pixels are proportional to their sums (base tail 40 and the bigger fund's tail 40 alike).
    const height = (sel: string) => page.locator(sel).evaluateAll((rs) => rs.reduce((a, r) => a + Number(r.getAttribute('height')), 0));
    expect(await height('#compare-tranches rect[data-variant="0"][data-bar="tail"]')).toBeCloseTo(await height('#compare-tranches rect[data-variant="1"][data-bar="tail"]'), 1);
    expect(await height('#compare-tranches rect[data-variant="0"][data-bar="mean"]') * 2).toBeCloseTo(await height('#compare-tranches rect[data-variant="1"][data-bar="tail"]'), 1);
    // Human labels, not identifiers.
    expect(await page.locator('#compare-tranches').textContent()).toContain('Socialized through funding');
    expect(await page.locator('#v0-tranches').textContent()).toContain('Auto-deleveraging (ADL)');
    expect(await page.locator('#v0-tranches').textContent()).not.toContain('socializeFunding');
  });

  it('exceedance curves of the per-path losses, every variant on one chart, from report.json\'s per-path totals', async () => {
    const curves = (id: string) => page.locator(`#${id} path[data-variant]`).evaluateAll((ps) => ps.map((p) => ({
      values: JSON.parse(p.getAttribute('data-values')!), exceeding: JSON.parse(p.getAttribute('data-exceeding')!), paths: p.getAttribute('data-paths'),
    })));
    const totals = { values: ['0.000000', '10.000000', '20.000000', '30.000000', '40.000000'], exceeding: [4, 3, 2, 1, 0], paths: '5' };
    expect(await curves('compare-total')).toEqual([totals, totals]);
    expect(await curves('compare-beyond')).toEqual([
      { values: ['0.000000', '40.000000'], exceeding: [1, 0], paths: '5' },
      { values: ['0.000000'], exceeding: [0], paths: '5' },
    ]);
    // The totals the curves are drawn from are report.json's columns.
    expect(report.variants[0]!.pathTotals).toMatchObject({
      path: [0, 1, 2, 3, 4], uncoveredQuote: ['0.000000', '0.000000', '0.000000', '0.000000', '20.000000'],
      tranches: [{ tranche: 'insuranceFund', coveredQuote: ['0.000000', '10.000000', '20.000000', '30.000000', '0.000000'] },
        { tranche: 'backstopVault', coveredQuote: ['0.000000', '0.000000', '0.000000', '0.000000', '0.000000'] },
        { tranche: 'adl', coveredQuote: ['0.000000', '0.000000', '0.000000', '0.000000', '15.000000'] },
        { tranche: 'socializeFunding', coveredQuote: ['0.000000', '0.000000', '0.000000', '0.000000', '5.000000'] }],
    });
  });

  it('the fund chart draws the starting level and the drawdown floor, and defines "exhausted"', async () => {
    const levels = (i: number) => page.locator(`#v${i}-fund line[data-level]`).evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-level'), l.getAttribute('data-value')]));
    expect(await levels(0)).toEqual([['start', '1000.000000'], ['floor', '700.000000']]);
    expect(await levels(1)).toEqual([['start', '1500.000000'], ['floor', '1050.000000']]);
    const text = await page.locator('#v0-fund').textContent();
    expect(text).toContain('Exhausted: a deficit went past the fund');
    expect(text).toContain('70 % of the fund\'s 8 h peak');
    expect(text).toContain('step (1 min each)');
    // The floor line lies inside the plot, below the start line.
    const y = (level: string) => page.locator(`#v0-fund line[data-level="${level}"]`).evaluate((l) => Number(l.getAttribute('y1')));
    expect(await y('floor')).toBeGreaterThan(await y('start'));
  });

  it('the first screen (1280 x 800): the title, the run in one line and the summary table, then the assumptions', async () => {
    expect(await page.locator('#run-line').textContent()).toBe('Monte Carlo; 5 paths x 6 steps of 1 min (6 min); 2 variants: base <fund>, bigger fund & "ADL".');
    const top = (sel: string) => page.locator(sel).evaluate((el) => el.getBoundingClientRect().top);
    expect(await top('#summary-table')).toBeLessThan(800);
    expect(await top('#summary-table')).toBeLessThan(await top('#assumptions'));
    // Every assumption is still there, in its own section.
    expect(await page.locator('#assumptions dd').count()).toBeGreaterThanOrEqual(14);
  });

  it('the stacked bars are labelled with the variants\' names, wrapped to their slots, the full name in a title', async () => {
    const labels = await page.locator('#compare-tranches text[data-variant-label]').evaluateAll((ts) => ts.map((t) => ({
      lines: Array.from(t.querySelectorAll('tspan')).map((s) => s.textContent), title: t.querySelector('title')?.textContent,
    })));
    // Half the plot (270 px) holds 38 bold characters: both names on one line (the wide report below wraps).
    expect(labels).toEqual([{ lines: ['base <fund>'], title: 'base <fund>' }, { lines: ['bigger fund & "ADL"'], title: 'bigger fund & "ADL"' }]);
  });

  it('at 1280 x 800 nothing overflows its box; a full-page screenshot is saved', async () => {
    expect(await overflows(page)).toEqual([]);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
  });

  it('a wide report (six long-named variants, ten-digit sums) fits 1280 pixels too', async () => {
    const wide = renderReportHtml(wideReport());
    const file = join(dir, 'wide.html');
    await writeFile(file, wide);
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await other.goto(pathToFileURL(file).href);
      expect(await other.locator('#sweep-table tbody tr').count()).toBe(6);
      expect(await other.locator('#sweep-table td[data-col="liquidated"]').first().textContent()).toBe('22,515,000,000');
      expect(await other.locator('dd[data-key="scenario"]').textContent()).toMatch(/^Monte Carlo with jumps \(crash preset: volatility 0\.3 % a step/);
      expect(await overflows(other)).toEqual([]);
      // The bars' labels: names (not numbers), at most three lines, each inside its variant's slot of the plot.
      const labels = await other.locator('#compare-tranches text[data-variant-label]').evaluateAll((ts) => ts.map((t) => ({
        lines: Array.from(t.querySelectorAll('tspan')).map((s) => s.textContent ?? ''), width: (t as SVGTextElement).getBBox().width,
        title: t.querySelector('title')?.textContent,
      })));
      expect(labels).toHaveLength(6);
      for (const [i, l] of labels.entries()) {
        expect(l.lines[0]).toBe('waterfall');
        expect(l.lines.length).toBeLessThanOrEqual(3);
        expect(l.width).toBeLessThanOrEqual((640 - 100) / 6);
        expect(l.title).toBe(`waterfall exchange, fund ${i + 1}000000000, margin x1.${i}, ADL hyperliquid`);
      }
      await other.screenshot({ path: join(dir, 'wide.png'), fullPage: true });
    } finally {
      await other.close();
    }
  });

  it('the embedded JSON is the report', async () => {
    const text = await page.locator('#report-data').textContent();
    expect(JSON.parse(text!)).toEqual(report);
  });
});

// A sweep of waterfalls on the sample's paths (5 paths, 6 steps, fund 1000): a deficit of 10 p at step 5 of path p.
//   exchange: as the sample's base (the fund covers paths 0-3; path 4: ADL 15, socialized funding 5, 20 uncovered;
//     the fund exhausted on 1 of 5 paths).
//   hyperliquid (vault, ADL; no insurance-fund step): the vault covers paths 0-3; path 4: vault 20, ADL 20. Never "exhausted".
//   eurex (defaulter, operator, members, assessments, haircut of gains; no insurance-fund step): the members' fund covers
//     paths 0-3; path 4: defaulter 5, operator 5, members 10, assessments 10, haircut of gains 10, which the engine's
//     socialized metric counts (socializedQuote 10): the summary puts the 10 / 5 = 2 a path under winners, the sweep
//     table under "Socialized and haircuts" (2 a path).
const SWEEP = [{ name: 'exchange', variant: { waterfall: 'exchange' } }, { name: 'hyperliquid', variant: { waterfall: 'hyperliquid' } }, { name: 'eurex', variant: { waterfall: 'eurex' } }];

function sweepResult(path: number, variant: number): PathResult {
  const base = pathResult(path, 0);
  if (variant === 0) return { ...base, variant };
  const at5 = (whole: number) => Array.from({ length: STEPS }, (_, t) => (t === 5 ? BigInt(whole) * UNIT : 0n));
  const last = path === 4;
  const m: Partial<Record<StepMetric, bigint[]>> = variant === 1
    ? { coveredBackstopVault: at5(last ? 20 : 10 * path), coveredAdl: at5(last ? 20 : 0), adlNotionalQuote: at5(last ? 200 : 0) }
    : {
      coveredDefaulterFund: at5(last ? 5 : 0), coveredOperatorCapital: at5(last ? 5 : 0), coveredMembersFund: at5(last ? 10 : 10 * path),
      coveredAssessments: at5(last ? 10 : 0), coveredHaircutGains: at5(last ? 10 : 0), socializedQuote: at5(last ? 10 : 0),
    };
  // Every loss-sharing metric of the base cleared, then this waterfall's set.
  const cleared: StepMetric[] = ['coveredInsuranceFund', 'coveredAdl', 'coveredSocializeFunding', 'socializedQuote', 'uncoveredQuote', 'adlNotionalQuote', 'adlAccounts'];
  const metrics = STEP_METRICS.map((k, j) => m[k] ?? (cleared.includes(k) ? base.metrics[j]!.map(() => 0n) : base.metrics[j]!));
  return { ...base, variant, metrics, fundExhausted: false, prefundedQuote: (variant === 1 ? 200n : 1150n) * UNIT };
}

describe('HTML report of a waterfall sweep (Chromium)', () => {
  const report = buildReport({
    config: CONFIG, configHash: configHash(CONFIG), variants: SWEEP, quoteDecimals: 6, steps: STEPS, elapsedMs: 3,
    results: SWEEP.flatMap((_, v) => Array.from({ length: PATHS }, (_, p) => sweepResult(p, v))),
  });
  let dir: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    requireChromium();
    dir = await mkdtemp(join(tmpdir(), 'riskcore-report-sweep-'));
    const file = join(dir, 'report.html');
    await writeFile(file, renderReportHtml(report));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(pathToFileURL(file).href);
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (dir && !process.env.RISKCORE_KEEP_SCREENSHOTS) await rm(dir, { recursive: true, force: true });
  });

  const cells = (sel: string) => page.locator(sel).evaluateAll((tds) => tds.map((td) => ({
    text: td.textContent, least: td.classList.contains('least'), title: td.getAttribute('title'),
  })));
  const NA = { text: 'n/a', least: false, title: 'n/a: this waterfall has no insurance-fund step, so the fund cannot be exhausted' };

  it('P(fund exhausted) is n/a where the waterfall has no insurance-fund step, and ranked with no one', async () => {
    expect(report.variants.map((v) => v.fundExhaustedProbability)).toEqual([0.2, 0, 0]);
    expect(await cells('#summary-table td[data-col="fund-exhausted"]')).toEqual([{ text: '20.00 %', least: false, title: null }, NA, NA]);
    expect(await page.locator('#summary li[data-col="fund-exhausted"]').textContent()).toBe('P(fund exhausted): n/a for 2 variants (no insurance-fund step)');
    expect(await cells('#sweep-table td[data-col="fund-exhausted"]')).toEqual([{ text: '20.00 %', least: false, title: null }, NA, NA]);
    // The variants' key figures.
    expect(await cells('section.variant td[data-col="fund-exhausted"]')).toEqual([{ text: '20.00 % (1 of 5 paths)', least: false, title: null }, NA, NA]);
  });

  it('a bearer the waterfall has no step for is "-" in the summary (as in the CLI), ranked with no one', async () => {
    // exchange: fund, vault, ADL, socialized funding; hyperliquid: vault, ADL; eurex: members' layers, haircut of gains.
    const DASH = { text: '-', least: false, title: '-: this waterfall has no step this bearer pays from' };
    const fund = await cells('#summary-table td[data-col="bearer-fund"]');
    expect([fund[1], fund[2]]).toEqual([DASH, DASH]);
    expect(fund[0]!.text).not.toBe('-');
    expect((await cells('#summary-table td[data-col="bearer-vault"]'))[2]).toEqual(DASH);
    expect(await page.locator('#summary li[data-col="bearer-fund"]').textContent()).toContain('no such step for 2 variants');
  });

  it('the fund chart of a variant without a fund step draws neither the start nor the floor, and says why', async () => {
    const levels = (i: number) => page.locator(`#v${i}-fund line[data-level]`).evaluateAll((ls) => ls.map((l) => l.getAttribute('data-level')));
    expect(await levels(0)).toEqual(['start', 'floor']);
    expect(await levels(1)).toEqual([]);
    expect(await levels(2)).toEqual([]);
    expect(await page.locator('#v2-fund').textContent()).toContain('This waterfall has no insurance-fund step');
  });

  it('one loss, one name: the sweep table\'s "Socialized and haircuts" counts the haircut of gains the summary puts under winners, and says so', async () => {
    const head = await page.locator('#sweep-table thead th').allTextContents();
    expect(head).toContain('Socialized and haircuts, mean');
    expect(head).toContain('Socialized and haircuts, p99');
    expect(head.some((h) => /^Socialized (mean|p99)$/.test(h))).toBe(false);
    // eurex: 10 of haircut of gains on path 4 over 5 paths = 2, in the summary's winners' column and the sweep's socialized one.
    expect(await page.locator('#summary-table tr[data-variant="2"] td[data-col="bearer-winners"]').getAttribute('data-value')).toBe('2.000000');
    // eurex has no step that spreads a loss over all traders: "-", not 0.
    expect(await page.locator('#summary-table tr[data-variant="2"] td[data-col="bearer-socialized"]').textContent()).toBe('-');
    expect(await page.locator('#sweep-table tr[data-variant="2"] td[data-col="socialized-mean"]').getAttribute('data-value')).toBe('2.000000');
    expect(await page.locator('#sweep p.note').textContent())
      .toContain('the summary counts the haircuts of gains under "Winners (ADL, haircuts of gains)", the rest under "Socialized over all traders"');
  });

  it('each variant\'s tranches, table and chart, in its own waterfall\'s order, only the kinds it has', async () => {
    const order = [
      ['insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'uncovered'],
      ['backstopVault', 'adl', 'uncovered'],
      ['defaulterFund', 'operatorCapital', 'membersFund', 'assessments', 'haircutGains', 'uncovered'],
    ];
    expect(report.variants.map((v) => v.tranches.map((t) => t.tranche))).toEqual(order);
    for (const [i, kinds] of order.entries()) {
      expect(await page.locator(`#variant-${i} table.tranches th[data-tranche]`).evaluateAll((ths) => ths.map((th) => th.getAttribute('data-tranche')))).toEqual(kinds);
      expect(await page.locator(`#v${i}-tranches rect[data-tranche]`).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-tranche')))).toEqual(kinds);
    }
    // eurex, mean per path: members 10 (0 + 10 + 20 + 30 + 10 = 70 / 5 = 14), the haircut of gains 10 / 5 = 2.
    expect(report.variants[2]!.tranches.find((t) => t.tranche === 'membersFund')!.meanQuote).toBe('14.000000');
  });

  it('the assumptions describe every variant\'s waterfall, the clearing house\'s layers and what "prefunded" counts', async () => {
    const dd = await page.locator('dl.run dd').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.getAttribute('data-key'), el.textContent])));
    expect(dd['variant: exchange']).toBe('Insurance fund (pays nothing below 70 % of its peak over 8 h) → Backstop vault → ADL by the bitmex ranking → Socialized through funding');
    expect(dd['variant: hyperliquid']).toBe('Backstop vault → ADL by the hyperliquid ranking');
    expect(dd['variant: eurex']).toBe('Defaulter\'s contribution → Operator capital (layer 1) → Members\' default fund → Assessments on members (up to 2x) → Haircut of winners\' gains (all markets)');
    // The run's fund of 1000: 20 members x 50, operator layers 1000 / 10 and 1000 / 20.
    expect(dd['clearing house']).toContain('20 clearing members contribute 50.00 each to the default fund (1,000 in all;');
    expect(dd['clearing house']).toContain('operator capital layer 1 100.00 (a tenth of the fund) and layer 2 50.00 (a twentieth)');
    expect(dd['prefunded resources']).toContain('accounts that start below maintenance are liquidated first, their fees paid into the fund and their deficits covered by the waterfall');
    expect(dd['prefunded resources']).toContain('only the resources the variant\'s waterfall has a step for count');
  });

  it('a run without a sweep of waterfalls lists no variant waterfalls and no clearing house', () => {
    const html = renderReportHtml(sampleReport());
    expect(html).not.toContain('data-key="variant: ');
    expect(html).not.toContain('data-key="clearing house"');
    expect(html).toContain('data-key="prefunded resources"');
  });
});

describe('chart scale', () => {
  it('niceScale: 1, 2 or 5 x 10^k steps, ends rounded out, 0 kept', () => {
    // (0..870) / 5 = 174 -> step 200; ends 0 and 1000.
    expect(niceScale(0, 870)).toEqual({ min: 0, max: 1000, step: 200, ticks: [0, 200, 400, 600, 800, 1000] });
    // (-0.03..0.12) / 5 = 0.03 -> step 0.05; ends -0.05 and 0.15 (ticks without float noise).
    expect(niceScale(-0.03, 0.12)).toEqual({ min: -0.05, max: 0.15, step: 0.05, ticks: [-0.05, 0, 0.05, 0.1, 0.15] });
    // An empty range widens by one unit: (5..6) / 5 = 0.2.
    expect(niceScale(5, 5).ticks).toEqual([5, 5.2, 5.4, 5.6, 5.8, 6]);
  });
});
