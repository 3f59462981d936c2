/**
 * The report's words and numbers: amounts grouped from their exact decimal strings (not through a
 * float), scenarios named by their kind, preset and parameters, waterfalls and policies in words.
 */
import { describe, expect, it } from 'vitest';
import { describePolicy, describeScenario, describeWaterfall } from '../../src/report/assumptions.js';
import { groupedAmount, ppmPercent, trancheLabel } from '../../src/report/format.js';
import { chartContext } from '../../src/report/html.js';
import { frontierChart } from '../../src/report/charts.js';
import { wrap } from '../../src/report/compare.js';
import { InputError } from '../../src/errors.js';
import { summaryReport } from '../support/summary-report.js';
import { CRASH_SCENARIO, DEFAULT_SCENARIO } from '../../src/simulation/config.js';
import type { MonteCarloScenario } from '../../src/simulation/types.js';
import { DEMO_POLICIES } from '../../src/simulation/venue.js';
import { WATERFALL_PRESETS } from '../../src/waterfall/config.js';

describe('report numbers', () => {
  it('amounts: thousands separators, cents below 1,000, whole units from 1,000, rounded from the exact decimal string', () => {
    expect(groupedAmount('401506819.157927')).toBe('401,506,819');
    expect(groupedAmount('999.994999')).toBe('999.99');
    expect(groupedAmount('279.335000')).toBe('279.34');
    // Beyond a float's 16 digits every digit is kept (through a float: 12,345,678,901,234,567,000).
    expect(groupedAmount('12345678901234567890.125', 2)).toBe('12,345,678,901,234,567,890.13');
    expect(new Intl.NumberFormat('en-US').format(Number('12345678901234567890.125'))).toBe('12,345,678,901,234,567,000');
    expect(groupedAmount('-1234.5')).toBe('-1,235');
  });

  it('a nonzero amount never reads as zero: <0.01 (-<0.01 below zero), as the CLI writes it', () => {
    expect(groupedAmount('0.000125')).toBe('<0.01');
    expect(groupedAmount('-0.004999')).toBe('-<0.01');
    expect(groupedAmount('0.000000')).toBe('0');
    expect(groupedAmount('0.005000')).toBe('0.01');
  });

  it('percentages of ppm: grouped, four decimals when small, none from 1,000 %', () => {
    expect(ppmPercent(80)).toBe('0.0080 %');
    expect(ppmPercent(123_456)).toBe('12.35 %');
    expect(ppmPercent(-32_850_000_000)).toBe('-3,285,000 %');
  });
});

describe('report words', () => {
  it('a crash says it is a crash: Monte Carlo with jumps, the preset named, its parameters', () => {
    expect(describeScenario(CRASH_SCENARIO)).toBe('Monte Carlo with jumps (crash preset: volatility 0.3 % a step; drift -0.05 % a step; correlation 80 %;'
      + ' jumps with probability 5 % a step, mean -3 %, deviation 1.5 %, market-wide)');
    expect(describeScenario(DEFAULT_SCENARIO)).toMatch(/^Monte Carlo with jumps \(calm preset: volatility 0\.08 % a step;/);
    // The crash's parameters changed by one: no longer the preset.
    expect(describeScenario({ ...(CRASH_SCENARIO as MonteCarloScenario), volatilityPpm: 3_001 })).toMatch(/^Monte Carlo with jumps \(volatility 0\.3001 % a step;/);
    expect(describeScenario({ kind: 'monteCarlo', volatilityPpm: [1_000, 2_000] })).toBe('Monte Carlo (volatility per market 0.1 %, 0.2 % a step; drift 0 % a step; correlation 0 %)');
    expect(describeScenario({ kind: 'shockGrid', scanRangePpm: 150_000 })).toMatch(/^SPAN-style shock grid \(9 paths\).*scan range of 15 %, and by ±2x it/);
    expect(describeScenario({ kind: 'replay', csv: 'step,0\n0,100\n1,90\n' })).toBe('Replay of historical prices (2 steps, one path)');
  });

  it('waterfalls in words, in order, with human tranche names', () => {
    expect(describeWaterfall(WATERFALL_PRESETS.exchange, 'exchange')).toBe('exchange: Insurance fund (pays nothing below 70 % of its peak over 8 h)'
      + ' → Backstop vault → ADL by the bitmex ranking → Socialized through funding');
    expect(describeWaterfall(WATERFALL_PRESETS.eurex)).toBe("Defaulter's contribution → Operator capital (layer 1) → Members' default fund"
      + " → Assessments on members (up to 2x) → Haircut of winners' gains (all markets)");
    expect(describeWaterfall(WATERFALL_PRESETS.ftx)).toContain('ADL by the largest ranking (top 10)');
    expect(trancheLabel('socializeFunding')).toBe('Socialized through funding');
    expect(trancheLabel('somethingNew')).toBe('somethingNew');
  });

  it('liquidation policies in words', () => {
    expect(describePolicy(DEMO_POLICIES.dydx!)).toBe('full close, at most 10 % of a position a round, at most 100,000 notional per account and round, fee 1.5 % of notional, 0 % of it to the liquidator');
  });
});

describe('chartContext: what renderCharts draws beyond a variant, from its report', () => {
  it('the fund starts at the configured 20,000,000; the default waterfall keeps 70 % of it: floor 14,000,000; steps of 60 s', () => {
    const report = summaryReport(['a', 'b']);
    expect(chartContext(report, 1)).toMatchObject({ stepSeconds: 60, fundStartQuote: '20000000.000000', fundFloorQuote: '14000000.000000' });
  });

  it('a variant whose waterfall has no insurance-fund step: no start and no floor (the waterfall never draws on the fund)', () => {
    const report = summaryReport(['a', 'b']);
    report.variants[1] = { ...report.variants[1]!, variant: { waterfall: 'hyperliquid' } };
    expect(chartContext(report, 1)).toEqual({ stepSeconds: 60, fundStep: false });
    // A fund step inside a market group counts: its floor is drawn.
    report.variants[1] = { ...report.variants[1]!, variant: { waterfall: { steps: [{ kind: 'adl', ranking: 'bitmex' }], groups: [{ markets: [0], steps: [{ kind: 'insuranceFund', drawdownPpm: 500_000 }] }] } } };
    expect(chartContext(report, 1)).toMatchObject({ fundStartQuote: '20000000.000000', fundFloorQuote: '10000000.000000' });
  });

  it('a variant the report does not have is InputError(InvalidScenario) naming `variant` and the index', () => {
    const report = summaryReport(['a', 'b']);
    for (const index of [2, -1, 0.5, Number.NaN]) {
      const error = (() => { try { chartContext(report, index); } catch (e) { return e; } return undefined; })();
      expect(error, String(index)).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ codeName: 'InvalidScenario', field: 'variant' });
    }
  });
});

describe('chart labels', () => {
  it('wrap: at spaces, a word longer than a line cut, at most n lines with an ellipsis on the last', () => {
    expect(wrap('waterfall hyperliquid', 12, 3)).toEqual(['waterfall', 'hyperliquid']);
    expect(wrap('waterfall eurex', 20, 3)).toEqual(['waterfall eurex']);
    expect(wrap('abcdefghij', 4, 3)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrap('one two three four five', 5, 2)).toEqual(['one', 'two…']);
  });

  it('frontier: marks that fall together share one label ("1, 2"), and the tooltip states the return\'s basis', () => {
    const point = (name: string, returnPpm: number, tailLossPpm: number) => ({ name, returnPpm, tailLossPpm, hitProbability: 0.5 });
    const svg = frontierChart([point('a', -290_000, 760_000), point('b', -148_500, 335_900), point('c', -148_510, 335_900)],
      { id: 'f', title: 'frontier', decimals: 6 }, 'over the run (30 min)');
    expect([...svg.matchAll(/<text data-label-of="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map((m) => [m[1], m[2]])).toEqual([['0', '0'], ['1, 2', '1, 2']]);
    expect(svg).toContain('b: return -14.85 % over the run (30 min), tail loss');
    expect(svg).not.toContain('a year');
  });
});
