/**
 * Regression: a member whose account is closed still paid into the members' fund and assessments;
 * the spec (docs/WATERFALL.md, "Clearing-house steps") counts only surviving members, and a closed
 * account does not survive. (Found when the reference model and the engine were compared at the edges.)
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { addBankrupt, allocateConserving, auditRows, createEngine, flatMarket } from '../scenarios/support.js';

/** Members M1 (collateral 1,000) and M2 (collateral 0), each with 100 in the members' fund; M2's account is closed. */
async function membersBook(): Promise<{ engine: RiskEngine; m: number; m1: number; m2: number }> {
  const engine = await createEngine();
  const m = engine.addMarket(flatMarket(100n));
  const [m1, m2] = engine.addAccounts([{ collateralQuote: 1_000n }, { collateralQuote: 0n }]) as [number, number];
  engine.addDefaultFundContribution(m1, 100n);
  engine.addDefaultFundContribution(m2, 100n);
  engine.closeAccount(m2);
  return { engine, m, m1, m2 };
}

describe('regression: a closed member does not pay', () => {
  it('membersFund: the closed member\'s contribution stays; the surviving member pays the deficit', async () => {
    const { engine, m, m1, m2 } = await membersBook();
    engine.setWaterfall({ steps: [{ kind: 'membersFund' }] });
    addBankrupt(engine, m, 5n, 100n);
    // Surviving members: M1 only (M2's account is closed): split(100, weight and cap 100) = 100.
    // (Before: M1 and M2 split it 50 / 50.)
    expect(allocateConserving(engine)).toMatchObject({ clearingHouseQuote: 100n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([[0, 'membersFund', 'cover', null, 100n], [null, 'membersFund', 'pay', m1, 100n]]);
    expect(engine.clearingMembers().map((x) => [x.accountId, x.fundQuote])).toEqual([[m1, 0n], [m2, 100n]]);
  });

  it('assessments: only surviving members are assessed', async () => {
    const { engine, m, m1, m2 } = await membersBook();
    engine.setWaterfall({ steps: [{ kind: 'assessments', multiplePpm: 1_000_000 }] });
    addBankrupt(engine, m, 5n, 60n);
    // M1 alone (cap floor(100 * 1) - 0 = 100): pays 60. (Before: 30 each, M2's closed account charged.)
    expect(allocateConserving(engine)).toMatchObject({ clearingHouseQuote: 60n, uncoveredQuote: 0n });
    expect(engine.clearingMembers().map((x) => [x.accountId, x.assessedQuote])).toEqual([[m1, 60n], [m2, 0n]]);
  });
});
