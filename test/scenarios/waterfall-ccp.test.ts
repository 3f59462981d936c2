/**
 * Clearing-house steps of the loss waterfall (docs/WATERFALL.md, "Clearing-house steps"), every
 * figure worked by hand:
 *   defaulterFund: x = min(r, F_defaulter); operatorCapital: x = min(r, S_layer);
 *   membersFund: split(X, weight and cap F_i) over the members not among the run's defaulters, plus
 *     layer 2 as the last payer (weight and cap S_2) with withLayer2;
 *   assessments: split(X, weight K_i, cap floor(K_i multiplePpm / 10^6) - assessed_i), from the
 *     members' cross collateral; assessed_i counts from the last resetAssessments.
 *   split: t_i = floor(X w_i / W), the leftover atoms to the largest remainders (X w_i) mod W (ties:
 *     the earlier payer). Members are taken in the order they were registered.
 * Markets have D = 1, IM 10 % / MM 5 %; defaulters come from `addBankrupt` (support.ts), which leaves
 * one deficit record of the given amount per call.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { addBankrupt, allocateConserving, auditRows, createEngine, flatMarket, USD } from './support.js';

/** Clearing members: accounts with these collaterals, each with its default-fund contribution. */
function addMembers(engine: RiskEngine, collateralQuote: bigint[], contributionQuote: bigint[]): number[] {
  const ids = engine.addAccounts(collateralQuote.map((c) => ({ collateralQuote: c })));
  ids.forEach((a, i) => engine.addDefaultFundContribution(a, contributionQuote[i]!));
  return ids;
}

describe('waterfall: clearing house', () => {
  it('Eurex order: the defaulter\'s own contribution, operator capital (SITG) before the members\' fund, the fund pro rata with the second SITG, then assessments capped at 2x', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // Members M1, M2, M3 (no positions, collateral 10,000) with contributions 200, 300, 500; operator
    // capital (Eurex's 143 / 57 split of its dedicated amounts, in units here): layer 1 = 143, layer 2 = 57.
    const [m1, m2, m3] = addMembers(engine, [10_000n, 10_000n, 10_000n], [200n, 300n, 500n]);
    engine.depositOperatorCapital(1, 143n);
    engine.depositOperatorCapital(2, 57n);
    engine.setWaterfall({ steps: [
      { kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'membersFund', withLayer2: true }, { kind: 'assessments', multiplePpm: 2_000_000 },
    ] });
    // Member D defaults with a loss of 1,000 beyond its margin; its own contribution is 100.
    const d = addBankrupt(engine, m, 10n, 1_000n);
    engine.addDefaultFundContribution(d, 100n);
    // defaulterFund: min(1,000, 100) = 100, r = 900. operatorCapital 1: min(900, 143) = 143, r = 757.
    // membersFund: M1 200, M2 300, M3 500 (D is this run's defaulter), layer 2 57: W = 1,057, split(757):
    //   floor(151,400 / 1,057) = 143 (rem 249), floor(227,100 / 1,057) = 214 (rem 902),
    //   floor(378,500 / 1,057) = 358 (rem 94), floor(43,149 / 1,057) = 40 (rem 869);
    //   2 atoms left -> M2 (902), layer 2 (869): 143, 215, 358, 41. r = 0: no assessment.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ clearingHouseQuote: 1_000n, uncoveredQuote: 0n, residueQuote: 0n });
    expect(report.steps.map((s) => [s.kind, s.coveredQuote])).toEqual([['defaulterFund', 100n], ['operatorCapital', 143n], ['membersFund', 757n], ['assessments', 0n]]);
    expect(auditRows(engine, 1)).toEqual([
      [0, 'defaulterFund', 'cover', d, 100n], [0, 'operatorCapital', 'cover', null, 143n], [0, 'membersFund', 'cover', null, 757n],
      [null, 'membersFund', 'pay', m1, 143n], [null, 'membersFund', 'pay', m2, 215n], [null, 'membersFund', 'pay', m3, 358n], [null, 'membersFund', 'pay', null, 41n],
    ]);
    expect(engine.clearingMembers()).toEqual([
      { accountId: m1, fundQuote: 57n, committedQuote: 200n, assessedQuote: 0n }, { accountId: m2, fundQuote: 85n, committedQuote: 300n, assessedQuote: 0n },
      { accountId: m3, fundQuote: 142n, committedQuote: 500n, assessedQuote: 0n }, { accountId: d, fundQuote: 0n, committedQuote: 100n, assessedQuote: 0n },
    ]);
    expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([0n, 16n]);

    // Event 2: a non-member trader T loses 3,000. defaulterFund: T has no contribution -> 0; layer 1 is empty.
    // membersFund: what is left, 57 + 85 + 142 + layer 2 16 = 300, all of it; r = 2,700.
    // assessments: the members not among this run's defaulters (D defaulted in event 1, not now, so it is
    //   assessed too): caps floor(K * 2) = 400, 600, 1,000, 200 -> 2,200 < r: each pays its cap; 500 uncovered.
    addBankrupt(engine, m, 10n, 3_000n);
    const second = allocateConserving(engine, 10);
    expect(second.steps.map((s) => s.coveredQuote)).toEqual([0n, 0n, 300n, 2_200n]);
    expect(second).toMatchObject({ clearingHouseQuote: 2_500n, uncoveredQuote: 500n });
    expect(engine.clearingMembers().map((x) => [x.fundQuote, x.assessedQuote])).toEqual([[0n, 400n], [0n, 600n], [0n, 1_000n], [0n, 200n]]);
    // Assessments come out of cross collateral; D's goes negative (it owes the assessment).
    expect([m1, m2, m3, d].map((a) => engine.account(a!).collateralQuote)).toEqual([9_600n, 9_400n, 9_000n, -200n]);
    expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([0n, 0n]);
  });

  it('assessments: capped at floor(K multiple) per period, counted since the last resetAssessments, pro rata to K', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [m1, m2, m3] = addMembers(engine, [10_000n, 10_000n, 10_000n], [200n, 300n, 500n]);
    engine.setWaterfall({ steps: [{ kind: 'membersFund' }, { kind: 'assessments', multiplePpm: 2_000_000 }] });
    // Event 1: T1 loses 2,000. Fund: 200 + 300 + 500 = 1,000, all; r = 1,000.
    //   Assessments: split(1,000, K 200/300/500, caps 400/600/1,000) = 200, 300, 500.
    addBankrupt(engine, m, 10n, 2_000n);
    expect(allocateConserving(engine, 0).steps.map((s) => s.coveredQuote)).toEqual([1_000n, 1_000n]);
    // Event 2: T2 loses 1,500. Fund empty; assessment room 400 - 200, 600 - 300, 1,000 - 500 = 1,000: all of it, 500 uncovered.
    addBankrupt(engine, m, 10n, 1_500n);
    expect(allocateConserving(engine, 10)).toMatchObject({ clearingHouseQuote: 1_000n, uncoveredQuote: 500n });
    expect(engine.clearingMembers().map((x) => x.assessedQuote)).toEqual([400n, 600n, 1_000n]);
    // A new period: room back to 400, 600, 1,000. T3 loses 700: split(700, K 200/300/500) = 140, 210, 350.
    engine.resetAssessments();
    expect(engine.clearingMembers().map((x) => x.assessedQuote)).toEqual([0n, 0n, 0n]);
    addBankrupt(engine, m, 10n, 700n);
    expect(allocateConserving(engine, 20)).toMatchObject({ clearingHouseQuote: 700n, uncoveredQuote: 0n });
    expect(auditRows(engine, 3)).toEqual([
      [0, 'assessments', 'cover', null, 700n], [null, 'assessments', 'pay', m1, 140n], [null, 'assessments', 'pay', m2, 210n], [null, 'assessments', 'pay', m3, 350n],
    ]);
    expect(engine.clearingMembers().map((x) => [x.fundQuote, x.committedQuote, x.assessedQuote])).toEqual([[0n, 200n, 140n], [0n, 300n, 210n], [0n, 500n, 350n]]);
    // Collateral: 10,000 - 200 - 200 - 140 = 9,460; - 300 - 300 - 210 = 9,190; - 500 - 500 - 350 = 8,650.
    expect([m1, m2, m3].map((a) => engine.account(a!).collateralQuote)).toEqual([9_460n, 9_190n, 8_650n]);
  });

  it('Nasdaq Clearing 2018: a 114M loss takes 7M of the operator\'s capital and 107M of the 166M members\' fund pro rata', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(USD));
    // Three members with contributions 16M, 50M, 100M (166M in all); the operator's capital 7M.
    const M = 1_000_000n * USD;
    const [m1, m2, m3] = addMembers(engine, [0n, 0n, 0n], [16n * M, 50n * M, 100n * M]);
    engine.depositOperatorCapital(1, 7n * M);
    engine.setWaterfall({ steps: [{ kind: 'defaulterFund' }, { kind: 'operatorCapital', layer: 1 }, { kind: 'membersFund' }] });
    // The defaulter (not a member here) leaves 114M beyond its margin.
    addBankrupt(engine, m, 1n, 114n * M);
    expect(engine.ledger().operatorAndDefaultFundQuote).toBe(173n * M);
    // defaulterFund 0; operator capital 7M, r = 107M = 107e12 atoms.
    // membersFund: split(107e12, w 16e12/50e12/100e12), W = 166e12, t_i = floor(107 w_i / 166):
    //   16e12:  1,712e12 / 166 = 10,313,253,012,048.19 -> 10,313,253,012,048 (remainder 32 x 10^12)
    //   50e12:  5,350e12 / 166 = 32,228,915,662,650.60 -> 32,228,915,662,650 (remainder 100 x 10^12)
    //   100e12: 10,700e12 / 166 = 64,457,831,325,301.20 -> 64,457,831,325,301 (remainder 34 x 10^12)
    //   Σ = 106,999,999,999,999: one atom left -> the largest remainder (M2): 32,228,915,662,651.
    const report = allocateConserving(engine);
    expect(report.steps.map((s) => [s.kind, s.coveredQuote])).toEqual([['defaulterFund', 0n], ['operatorCapital', 7n * M], ['membersFund', 107n * M]]);
    expect(report).toMatchObject({ clearingHouseQuote: 114n * M, uncoveredQuote: 0n });
    expect(auditRows(engine).filter((r) => r[2] === 'pay')).toEqual([
      [null, 'membersFund', 'pay', m1, 10_313_253_012_048n], [null, 'membersFund', 'pay', m2, 32_228_915_662_651n], [null, 'membersFund', 'pay', m3, 64_457_831_325_301n],
    ]);
    // Left: 16e12 - 10,313,253,012,048 = 5,686,746,987,952; 50e12 - ... = 17,771,084,337,349; 100e12 - ... = 35,542,168,674,699 (59M).
    expect(engine.clearingMembers().map((x) => x.fundQuote)).toEqual([5_686_746_987_952n, 17_771_084_337_349n, 35_542_168_674_699n]);
    expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([0n, 0n]);
    expect(engine.ledger().operatorAndDefaultFundQuote).toBe(59n * M);
  });
});
