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
const STEPS = 6, PATHS = 5, UNIT = 1_000_000n;
const VARIANTS = [{ name: 'base <fund>', variant: {} }, { name: 'bigger fund & "ADL"', variant: { insuranceFundQuote: '1500' } }];
const CONFIG = {
  paths: PATHS, steps: STEPS, seed: 42, scenario: { kind: 'monteCarlo' as const, volatilityPpm: 30_000 },
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
    page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    await page.goto(pathToFileURL(file).href);
  }, 2 * TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const attr = (selector: string, name: string) => page.locator(selector).evaluateAll(
    (els, n) => els.map((el) => el.getAttribute(n)), name);

  it('the sample has what the charts need: both variants, tranches beyond the fund, nonzero liquidations', () => {
    expect(report.variants.map((v) => v.paths)).toEqual([PATHS, PATHS]);
    expect(report.variants[0]!.tranches.map((t) => t.tranche)).toEqual(['insuranceFund', 'adl', 'socializeFunding', 'uncovered']);
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
      variant: String(i), ret: String(v.riskTakers.combined.annualizedReturnPpm), tail: String(v.riskTakers.combined.maxDrawdown.p95Ppm),
      hit: String(v.riskTakers.winnersHitProbability), mark: 'short', short: String(v.winners.shortProbabilityPpm / 1e6),
    })));
    expect(await page.locator('#frontier text.legend').textContent()).toContain('could not withdraw in full');
    // The base: 0 + 1 + 2 + 3 + 4 = 10 of 50 winners short: 200,000 ppm; the bigger fund: none.
    expect(report.variants.map((v) => v.winners.shortProbabilityPpm)).toEqual([200_000, 0]);
    // Base: winners hit on path 4 only (ADL and socialized funding): 1 of 5; the bigger fund: none.
    expect(report.variants.map((v) => v.riskTakers.winnersHitProbability)).toEqual([0.2, 0]);
    const rows = await page.locator('#risk-takers-table tbody tr td[data-col="stakers-return"]').allTextContents();
    expect(rows).toEqual(report.variants.map((v) => `${(v.riskTakers.stakers.annualizedReturnPpm / 1e4).toFixed(2)} %`));
    expect(JSON.parse((await attr('#v0-stakers path[data-series="p50"]', 'data-values'))[0]!)).toEqual(report.variants[0]!.byStep.stakerValue.p50);
  });

  it('the frontier table has the winners\' columns: taken out, lost, P(short), the queue\'s waits', async () => {
    const cols = ['winners-taken-out', 'winners-lost', 'winners-short', 'wait-mean', 'wait-p95', 'wait-max'];
    const rows = await page.locator('#risk-takers-table tbody tr').evaluateAll((trs, cs) => trs.map((tr) => cs.map((c) => tr.querySelector(`td[data-col="${c}"]`)?.textContent)), cols);
    // The base: received 100 + 90 + 80 + 70 + 60 = 400 of 500 wanted: 80 %; ADL 15 + socialized 5 = 20 taken:
    //   floor(20 * 10^6 / 520) = 38,461 ppm = 3.85 %; waits 1, 2, 3, 4 steps: mean floor(10 / 4) = 2, p95 (rank 4) 4, max 4.
    // The bigger fund: everything taken out, nothing lost, nothing waited.
    expect(rows).toEqual([
      ['80.00 %', '3.85 %', '20.00 %', '2', '4', '4'],
      ['100.00 %', '0.00 %', '0.00 %', '0', '0', '0'],
    ]);
    expect(report.variants[0]!.winners).toMatchObject({ enabled: true, takenOutPpm: 800_000, lostPpm: 38_461, left: 4, winners: 10, wantedQuote: '100.000000', receivedQuote: '80.000000' });
  });

  it('the sweep table has one row per variant with its mean socialized loss, best and worst marked', async () => {
    const rows = await page.locator('#sweep-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      name: tr.querySelector('th')?.textContent,
      mean: tr.querySelector('td[data-col="socialized-mean"]')?.textContent,
      className: tr.className,
    })));
    // Base: 5 socialized on path 4 over 5 paths = 1; the bigger fund socializes nothing.
    expect(rows).toEqual([
      { name: 'base <fund>', mean: '1.000000', className: 'worst' },
      { name: 'bigger fund & "ADL"', mean: '0.000000', className: 'best' },
    ]);
    expect(rows.map((r) => r.mean)).toEqual(report.variants.map((v) => v.socialized.mean));
    expect(await page.locator('section.variant h2').allTextContents()).toEqual(VARIANTS.map((v) => v.name));
  });

  it('the embedded JSON is the report', async () => {
    const text = await page.locator('#report-data').textContent();
    expect(JSON.parse(text!)).toEqual(report);
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
