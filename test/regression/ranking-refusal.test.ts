/**
 * Regression: a run refused by its ranking function changes nothing, the figures included. Before,
 * `allocateLosses` checked the book first whenever the figures were not current (a ranked ADL step
 * reads them) and only then called the ranking functions: a function that failed refused the run
 * (InvalidWaterfall, field `ranking`), but the check had already replaced the figures and the
 * summary's tallies. Now the keys are computed first, with E and M as a check of the book now gives
 * them (summed for each candidate without writing results), and the book is checked only then.
 */
import { describe, expect, it } from 'vitest';
import type { AdlCandidate, RiskEngine } from '../../dist/src/node.js';
import { expectRefusedUnchanged, fixture, observableState } from './support.js';

/** The fixture with the bankrupt account closed (its deficit pending) and a deposit since the last check. */
async function staleWithDeficit(): Promise<{ engine: RiskEngine; short: number }> {
  const f = await fixture();
  f.engine.liquidate({ close: 'full' }, { maxRounds: 1 });
  expect(f.engine.deficits().length).toBeGreaterThan(0);
  f.engine.deposit(f.short, 7n);
  return { engine: f.engine, short: f.short };
}

describe('regression: a ranking function that fails refuses the run with the figures as they were', () => {
  it('stale figures stay stale, and the summary keeps its tallies', async () => {
    const { engine: e } = await staleWithDeficit();
    for (const failing of [(): number => NaN, (): number => { throw new Error('no key'); }]) {
      e.setWaterfall({ steps: [{ kind: 'insuranceFund', maxPerDeficitQuote: 1n }, { kind: 'adl', ranking: failing }] });
      const before = observableState(e);
      const err = expectRefusedUnchanged(e, () => e.allocateLosses(), 'allocateLosses with a failing ranking function on stale figures', 'ranking');
      expect([err.codeName, err.row]).toEqual(['InvalidWaterfall', 1]);
      expect(observableState(e)).toBe(before);
    }
    e.dispose();
  });

  it('a function sees the equity a check of the book now gives, checked or not', async () => {
    const seen: bigint[][] = [[], []];
    const reports: unknown[] = [];
    for (const checkedFirst of [false, true]) {
      const { engine: e } = await staleWithDeficit();
      const record = (c: AdlCandidate): number => { seen[Number(checkedFirst)]!.push(c.equityQuote, c.mmQuote); return Number(c.equityQuote); };
      e.setWaterfall({ steps: [{ kind: 'adl', ranking: record }] });
      if (checkedFirst) e.check();
      reports.push(e.allocateLosses());
      e.dispose();
    }
    // The short (account 1) is the candidate: collateral 10,000 + 7 deposited, short 10 at 100 entered at
    // 100: equity 10,007 (a stale read would give the 10,000 of the fixture's check); MM 5 % of 1,000 = 50.
    expect(seen[0]).toEqual([10_007n, 50n]);
    expect(seen[1]).toEqual(seen[0]);
    expect(reports[0]).toEqual(reports[1]);
  });
});
