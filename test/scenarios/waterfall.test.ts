/**
 * Loss allocation (docs/WATERFALL.md), scenario by scenario, every figure worked by hand:
 *   a run takes the pending deficit records in record order; steps in order, each serving every
 *   open record r_k > 0 of its waterfall; what is left after the last step is uncovered.
 *   split(X, w, c): t_i = floor(R w_i / W), the R - Σ t_i largest remainders (R w_i) mod W get +1
 *   (ties: earlier payer); payers whose t_i >= c_i are fixed at c_i and the round repeats.
 *   insuranceFund: x = min(r, B - floorEff, maxPerDeficit, marketCap - paid(m)),
 *     floorEff = max(floor, ceil(peak (10^6 - drawdownPpm) / 10^6)), windows of 16 buckets of ceil(len / 16) s.
 *   adl (bankruptcy price): Δp = ceil(r D / Qb), P = q + σ Δp (σ = +1 when a long was sold),
 *     a(c) = cash(σ c, q) - cash(σ c, P), cash(d, p) = floor(-d p / D); c = min(|s|, Qleft), lowered
 *     to the smallest c with a(c) >= r when a(c) > r; cover min(a, r), the rest is residue.
 * Closes and fills follow docs/FORMULAS.md. Unless a comment says otherwise, markets have D = 1
 * (baseDecimals 0), IM 10 % / MM 5 %, and amounts are plain quote atoms. Every bankrupt account is
 * made by `addBankrupt` (support.ts): a position entered at the mark with collateral -deficit,
 * closed whole at the mark, which leaves one record (account, market, deficit) with d = -size, q = mark.
 * The clearing-house cases (defaulter's fund, operator capital, members' fund, assessments) are in
 * waterfall-ccp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog, InputError, type AdlCandidate, type RiskEngine, type WaterfallConfig } from '../../dist/src/node.js';
import { addBankrupt, allocateConserving, auditRows, createEngine, digest, flatMarket } from './support.js';
import { caught } from '../support/engine.js';

/**
 * The spec's `bitmex` key with exactly its f64 operations (docs/WATERFALL.md, "adl"): one division,
 * v > 0 ? (v N) / (max(1, Q) max(1, E)) : (v max(1, E)) / (max(1, Q) max(1, N)).
 */
function bitmexKey(v: number, Q: number, N: number, E: number): number {
  return v > 0 ? (v * N) / (Math.max(1, Q) * Math.max(1, E)) : (v * Math.max(1, E)) / (Math.max(1, Q) * Math.max(1, N));
}

/** ADL records of an event with their price and size: [deficit, role, account, amount, price, size]. */
function adlRows(engine: RiskEngine, event: number): [number | null, string, number | null, bigint, bigint, bigint][] {
  return engine.auditLog.records().filter((r) => r.event === event && r.tranche === 'adl')
    .map((r) => [r.deficit, r.role, r.accountId, r.amountQuote, r.priceQuote, r.sizeBase]);
}

// ------------------------------------------------------------------------------------------------

describe('waterfall: insurance funds', () => {
  it('insuranceFund: each deficit in record order takes min(r, B - floor, maxPerDeficit); the rest is uncovered', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(1_000n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', maxPerDeficitQuote: 300n, floorQuote: 200n }] });
    addBankrupt(engine, m, 10n, 250n);
    addBankrupt(engine, m, 10n, 400n);
    addBankrupt(engine, m, 10n, 500n);
    // B = 1,000, floor 200, cap 300 per deficit:
    //   k0: x = min(250, 1,000 - 200, 300) = 250, B = 750
    //   k1: x = min(400, 750 - 200, 300) = 300, B = 450, r = 100
    //   k2: x = min(500, 450 - 200, 300) = 250, B = 200, r = 250
    // Uncovered 100 + 250 = 350; covered 800.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ event: 1, deficits: 3, deficitQuote: 1_150n, insuranceFundQuote: 800n, uncoveredQuote: 350n, residueQuote: 0n });
    expect(engine.insuranceFund()).toBe(200n);
    expect(auditRows(engine)).toEqual([
      [0, 'insuranceFund', 'cover', null, 250n], [1, 'insuranceFund', 'cover', null, 300n], [2, 'insuranceFund', 'cover', null, 250n],
      [1, null, 'uncovered', null, 100n], [2, null, 'uncovered', null, 250n],
    ]);
    expect(engine.waterfallBalances()).toMatchObject({ uncoveredQuote: 350n, coveredQuote: 800n, residueQuote: 0n });
    expect(engine.deficits()).toEqual([]);
  });

  it('insuranceFund: a lifetime market cap (Drift quote_max_insurance) limits what one market ever draws', async () => {
    const engine = await createEngine();
    const a = engine.addMarket(flatMarket(100n));
    const b = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(10_000n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', marketCapQuote: 500n }] });
    // Event 1: A's deficit 300 -> x = min(300, 500 - 0) = 300; paid(A) = 300.
    addBankrupt(engine, a, 10n, 300n);
    expect(allocateConserving(engine, 0)).toMatchObject({ insuranceFundQuote: 300n, uncoveredQuote: 0n });
    // Event 2: A 400 -> x = min(400, 500 - 300) = 200 (200 uncovered); B 400 -> min(400, 500 - 0) = 400.
    addBankrupt(engine, a, 10n, 400n);
    addBankrupt(engine, b, 10n, 400n);
    expect(allocateConserving(engine, 100)).toMatchObject({ insuranceFundQuote: 600n, uncoveredQuote: 200n });
    expect(auditRows(engine, 2)).toEqual([
      [0, 'insuranceFund', 'cover', null, 200n], [1, 'insuranceFund', 'cover', null, 400n], [0, null, 'uncovered', null, 200n],
    ]);
    // Event 3, months later: paid(A) = 500 for all time -> A's 100 gets nothing.
    addBankrupt(engine, a, 10n, 100n);
    expect(allocateConserving(engine, 10_000_000)).toMatchObject({ insuranceFundQuote: 0n, uncoveredQuote: 100n });
    // Fund: 10,000 - 300 - 200 - 400 = 9,100.
    expect(engine.insuranceFund()).toBe(9_100n);
  });

  it('insuranceFund: a windowed market cap counts what was paid over buckets b-16 ..= b of ceil(window / 16) s', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(10_000n);
    // Window 1,600 s: buckets of ceil(1,600 / 16) = 100 s; paid(m) = Σ over buckets b-16 ..= b.
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', marketCapQuote: 500n, marketCapWindowSec: 1_600 }] });
    // t = 0 (b = 0): 300 -> x = min(300, 500) = 300 in bucket 0.
    addBankrupt(engine, m, 10n, 300n);
    expect(allocateConserving(engine, 0)).toMatchObject({ insuranceFundQuote: 300n, uncoveredQuote: 0n });
    // t = 1,000 (b = 10): buckets -6..10 hold 300 -> x = min(400, 500 - 300) = 200 (bucket 10), 200 uncovered.
    addBankrupt(engine, m, 10n, 400n);
    expect(allocateConserving(engine, 1_000)).toMatchObject({ insuranceFundQuote: 200n, uncoveredQuote: 200n });
    // t = 1,700 (b = 17): buckets 1..17, bucket 0 has left the window, bucket 10 holds 200 -> x = min(400, 300) = 300.
    addBankrupt(engine, m, 10n, 400n);
    expect(allocateConserving(engine, 1_700)).toMatchObject({ insuranceFundQuote: 300n, uncoveredQuote: 100n });
    // t = 3,500 (b = 35): buckets 19..35 hold nothing -> x = min(450, 500) = 450.
    addBankrupt(engine, m, 10n, 450n);
    expect(allocateConserving(engine, 3_500)).toMatchObject({ insuranceFundQuote: 450n, uncoveredQuote: 0n });
    // Fund: 10,000 - 300 - 200 - 300 - 450 = 8,750.
    expect(engine.insuranceFund()).toBe(8_750n);
  });

  it('insuranceFund: the drawdown trigger pays only down to ceil((1 - X) peak) of the window; a later window pays again', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(999n);
    // OKX / Bybit: 30 % over 8 h. Buckets of ceil(28,800 / 16) = 1,800 s; peak over buckets b-16 ..= b.
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 28_800 }] });
    // t = 0 (b = 0): observed 999, peak 999: floorEff = ceil(999 * 700,000 / 10^6) = ceil(699.3) = 700.
    //   k0: x = min(200, 999 - 700) = 200, B = 799; k1: x = min(200, 799 - 700) = 99, B = 700, 101 uncovered.
    addBankrupt(engine, m, 10n, 200n);
    addBankrupt(engine, m, 10n, 200n);
    expect(allocateConserving(engine, 0)).toMatchObject({ insuranceFundQuote: 299n, uncoveredQuote: 101n });
    expect(auditRows(engine, 1)).toEqual([[0, 'insuranceFund', 'cover', null, 200n], [1, 'insuranceFund', 'cover', null, 99n], [1, null, 'uncovered', null, 101n]]);
    // t = 3,600 (b = 2): observes 700 in bucket 2; peak over buckets -14..2 = max(999, 700) = 999: floor 700, room 0.
    addBankrupt(engine, m, 10n, 150n);
    expect(allocateConserving(engine, 3_600)).toMatchObject({ insuranceFundQuote: 0n, uncoveredQuote: 150n });
    // t = 30,600 (b = 17): buckets 1..17 hold 700 (b 2) and 700 (b 17): peak 700, floorEff = ceil(700 * 0.7) = 490.
    //   x = min(300, 700 - 490) = 210, B = 490, 90 uncovered.
    addBankrupt(engine, m, 10n, 300n);
    expect(allocateConserving(engine, 30_600)).toMatchObject({ insuranceFundQuote: 210n, uncoveredQuote: 90n });
    expect(engine.insuranceFund()).toBe(490n);
  });

  it('insuranceFund: a drawdown rule observes only the funds its step draws from (each waterfall keeps its window)', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(flatMarket(100n, 0, { insuranceFund: 'own' }));
    const m1 = engine.addMarket(flatMarket(100n, 0, { insuranceFund: 'own' }));
    engine.depositInsuranceFund(1_000n, m0);
    engine.depositInsuranceFund(1_000n, m1);
    // Market 0's fund has the 16 h rule (buckets of 3,600 s), market 1's the group's 8 h rule.
    engine.setWaterfall({
      steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 57_600 }],
      groups: [{ markets: [m1], steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 28_800 }] }],
    });
    // t = 0: peak 1,000, floor ceil(1,000 * 0.7) = 700: pays 300 of 500.
    addBankrupt(engine, m0, 10n, 500n);
    expect(allocateConserving(engine, 0)).toMatchObject({ insuranceFundQuote: 300n, uncoveredQuote: 200n });
    // t = 3,600: market 0's fund still has its peak of 1,000 in its own window (bucket 0 of 3,600 s),
    // so the floor stays 700 and it pays nothing (the group's 8 h rule is not its rule).
    addBankrupt(engine, m0, 10n, 500n);
    expect(allocateConserving(engine, 3_600)).toMatchObject({ insuranceFundQuote: 0n, uncoveredQuote: 500n });
    expect(engine.insuranceFund(m0)).toBe(700n);
  });

  it('insuranceFund: pooled funds (a market sharing an earlier market\'s fund) pay for every market of the pool; fund "global" and fund ids', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(flatMarket(100n, 0, { insuranceFund: 'own' }));
    const m1 = engine.addMarket(flatMarket(100n, 0, { insuranceFund: { pool: m0 } }));
    const m2 = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(500n, m1);
    engine.depositInsuranceFund(1_000n);
    // m1 pays into m0's fund (fund 1 = 1 + m0): both markets see the same 500.
    expect([engine.insuranceFund(m0), engine.insuranceFund(m1), engine.insuranceFund(m2)]).toEqual([500n, 500n, 1_000n]);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    addBankrupt(engine, m1, 10n, 400n);
    addBankrupt(engine, m0, 10n, 300n);
    addBankrupt(engine, m2, 10n, 250n);
    // k0 (m1): pool 500 -> 400, pool 100. k1 (m0): pool 100 -> 100, 200 uncovered. k2 (m2): global 1,000 -> 250, 750.
    expect(allocateConserving(engine)).toMatchObject({ insuranceFundQuote: 750n, uncoveredQuote: 200n });
    expect([engine.insuranceFund(m0), engine.insuranceFund(m1), engine.insuranceFund()]).toEqual([0n, 0n, 750n]);
    // fund: 'global' pays m0's deficit from fund 0: 750 - 100 = 650.
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', fund: 'global' }] });
    addBankrupt(engine, m0, 10n, 100n);
    expect(allocateConserving(engine)).toMatchObject({ insuranceFundQuote: 100n, uncoveredQuote: 0n });
    expect(engine.insuranceFund()).toBe(650n);
    // fund: 1 (the pool's fund) pays m2's deficit of 80: min(80, 50) = 50, 30 uncovered.
    engine.depositInsuranceFund(50n, m0);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', fund: 1 }] });
    addBankrupt(engine, m2, 10n, 80n);
    expect(allocateConserving(engine)).toMatchObject({ insuranceFundQuote: 50n, uncoveredQuote: 30n });
    expect([engine.insuranceFund(m1), engine.insuranceFund()]).toEqual([0n, 650n]);
  });

  it('insuranceFund exhausted mid-cascade: the first deficit fully by the fund, the next partly, the rest by ADL in ranking order', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // S0: short 10 entered at 110, collateral 1,000: v = -1,000 + 1,100 = 100, E = 1,100.
    // S1: short 10 entered at 130, collateral 1,000: v = -1,000 + 1,300 = 300, E = 1,300.
    const [s0, s1] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_100n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_300n }] },
    ]);
    engine.depositInsuranceFund(500n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }] });
    const b0 = addBankrupt(engine, m, 10n, 300n);
    const b1 = addBankrupt(engine, m, 10n, 400n);
    const b2 = addBankrupt(engine, m, 10n, 250n);
    // Fund 500: k0 300 (B = 200); k1 min(400, 200) = 200, r = 200; k2 min(250, 0) = 0, r = 250.
    // ADL, longs sold (σ = +1), shorts ranked by bitmex (N = 1,000 each), (v N) / (Q E):
    //   S1: (300 * 1,000) / (1,300 * 1,300) = 300,000 / 1,690,000 = 0.1775; S0: (100 * 1,000) / (1,100 * 1,100) = 100,000 / 1,210,000 = 0.0826 -> S1, S0.
    //   k1: Δp = ceil(200 / 10) = 20, P = 120; S1: c = min(10, 10) = 10, a = cash(10, 100) - cash(10, 120) = -1,000 + 1,200 = 200 = r.
    //   k2: Δp = ceil(250 / 10) = 25, P = 125; S1 is closed (drops out); S0: c = 10, a = 1,250 - 1,000 = 250 = r.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({
      insuranceFundQuote: 500n, adlCoveredQuote: 450n, adlVolumeBase: 20n, adlNotionalQuote: 2_000n, adlAccounts: 2, uncoveredQuote: 0n, residueQuote: 0n,
    });
    expect(auditRows(engine)).toEqual([
      [0, 'insuranceFund', 'cover', null, 300n], [1, 'insuranceFund', 'cover', null, 200n],
      [1, 'adl', 'cover', s1, 200n], [2, 'adl', 'cover', s0, 250n],
    ]);
    expect(adlRows(engine, 1).map((r) => [r[4], r[5]])).toEqual([[120n, 10n], [125n, 10n]]);
    // S1 buys back 10 at 120: realized = 1,300 - 1,200 = 100 -> 1,100. S0 at 125: realized = 1,100 - 1,250 = -150 -> 850.
    expect([engine.account(s1!).collateralQuote, engine.account(s0!).collateralQuote]).toEqual([1_100n, 850n]);
    expect([engine.account(s1!).positions, engine.account(s0!).positions]).toEqual([[], []]);
    expect(engine.insuranceFund()).toBe(0n);
    expect([b0, b1, b2].map((a) => engine.auditLog.forAccount(a).receivedQuote)).toEqual([300n, 400n, 250n]);
  });

  it('a loss larger than everything: what no step can pay is uncovered, in the report and the balances, and the ledger is conserved', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // S0: short 2 entered at 600 (quote 1,200), collateral 50: v = -200 + 1,200 = 1,000. D1: a deposit of 300.
    const [s0, d1] = engine.addAccounts([
      { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: -2n, quoteBalance: 1_200n }] },
      { collateralQuote: 300n },
    ]);
    engine.depositInsuranceFund(100n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'pnl' }, { kind: 'haircutDeposits' }] });
    addBankrupt(engine, m, 10n, 5_000n);
    const covered = engine.ledger().coveredQuote;
    // Fund: 100, r = 4,900. ADL: Δp = ceil(4,900 / 10) = 490, P = 590; S0: c = min(2, 10) = 2,
    //   a = cash(2, 100) - cash(2, 590) = -200 + 1,180 = 980 <= r: cover 980, r = 3,920; no more shorts.
    //   S0 realized = 1,200 - 1,180 = 20: collateral 70.
    // Deposits: S0 70 and D1 300 (the bankrupt is at 0): capacity 370, x = 370, split = (70, 300), r = 3,550.
    //   Deposit index: 10^18 - ceil(10^18 * 370 / 370) = 0.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ insuranceFundQuote: 100n, adlCoveredQuote: 980n, socializedQuote: 370n, uncoveredQuote: 3_550n });
    expect(engine.waterfallBalances()).toMatchObject({ uncoveredQuote: 3_550n, depositIndexE18: 0n });
    expect(engine.ledger().coveredQuote - covered).toBe(100n + 980n + 370n);
    expect([engine.account(s0!).collateralQuote, engine.account(d1!).collateralQuote]).toEqual([0n, 0n]);
    expect(auditRows(engine).at(-1)).toEqual([0, null, 'uncovered', null, 3_550n]);
  });
});

// ------------------------------------------------------------------------------------------------

/**
 * BitMEX's published example (https://www.bitmex.com/app/autoDeleveragingExamples, also
 * testnet.bitmex.com/app/autoDeleveragingExamples): six longs, accounts 1..6, quantities
 * 10, 10, 20, 30, 20, 10 with PnL ranking scores 3, 6, 1, 4, 5, 2; a short of size 20 is liquidated
 * with bankruptcy price 650: account 2 is closed whole (10), account 5 takes the other 10 (20 -> 10).
 * BitMEX gives scores, not positions; the positions below are built so that
 * Ranking = PnL% x EffLev (PnL% > 0) or PnL% / EffLev reproduces that order.
 * Mark 700, D = 1; a long of s at entry e: quote = -s e, v = 700 s - s e, Q = s e, N = 700 s, E = C + v,
 * MM = 35 s (none liquidatable). Account 0 is the short: -20 at 700 (quote 14,000), collateral -1,000.
 */
async function bitmexBook(): Promise<{ engine: RiskEngine; m: number }> {
  const engine = await createEngine();
  const m = engine.addMarket(flatMarket(700n));
  engine.addAccounts([
    { collateralQuote: -1_000n, positions: [{ marketId: m, sizeBase: -20n, quoteBalance: 14_000n }] },
    { collateralQuote: 800n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -6_800n }] }, //   1: e 680, v 200, E 1,000
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -5_000n }] }, // 2: e 500, v 2,000, E 3,000
    { collateralQuote: 3_000n, positions: [{ marketId: m, sizeBase: 20n, quoteBalance: -15_000n }] }, // 3: e 750, v -1,000, E 2,000
    { collateralQuote: 3_000n, positions: [{ marketId: m, sizeBase: 30n, quoteBalance: -19_500n }] }, // 4: e 650, v 1,500, E 4,500
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 20n, quoteBalance: -12_000n }] }, // 5: e 600, v 2,000, E 3,000
    { collateralQuote: 1_200n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -7_200n }] }, //  6: e 720, v -200, E 1,000
  ]);
  engine.check();
  return { engine, m };
}

describe('waterfall: ADL', () => {
  it('ADL bitmex: BitMEX\'s example ranking (PnL% x or / effective leverage), its keys, quantiles in 5 steps, and the closes at 650', async () => {
    const { engine, m } = await bitmexBook();
    // Keys, one division: PnL% (v / Q) times effective leverage (N / E) for a winner, (v N) / (Q E);
    // divided by it for a loser, (v E) / (Q N). Every product is an integer below 2^53, exact in f64,
    // so each key is the correctly rounded quotient:
    //   1: (200 * 7,000) / (6,800 * 1,000) = 1,400,000 / 6,800,000 = 0.20588 (BitMEX score 3)
    //   2: (2,000 * 7,000) / (5,000 * 3,000) = 14,000,000 / 15,000,000 = 0.93333 (score 6)
    //   3: (-1,000 * 2,000) / (15,000 * 14,000) = -2,000,000 / 210,000,000 = -0.0095238 (score 1)
    //   4: (1,500 * 21,000) / (19,500 * 4,500) = 31,500,000 / 87,750,000 = 0.35897 (score 4)
    //   5: (2,000 * 14,000) / (12,000 * 3,000) = 28,000,000 / 36,000,000 = 0.77778 (score 5)
    //   6: (-200 * 1,000) / (7,200 * 7,000) = -200,000 / 50,400,000 = -0.0039683 (score 2)
    // The same order as the two-ratio products: 2, 5, 4, 1, 6, 3; quantile 5 - floor(5 i / 6) for i = 0..5: 5, 5, 4, 3, 2, 1.
    // (BitMEX's own table shows 20/40/60/80/80/100 %; the spec's rule puts the second in the top fifth.)
    const ranks = engine.adlRanking(m, 'long', 'bitmex');
    expect(ranks.map((r) => [r.accountId, r.quantile])).toEqual([[2, 5], [5, 5], [4, 4], [1, 3], [6, 2], [3, 1]]);
    const expected: Record<number, [number, number]> = {
      1: [bitmexKey(200, 6_800, 7_000, 1_000), 1_400_000 / 6_800_000], 2: [bitmexKey(2_000, 5_000, 7_000, 3_000), 14_000_000 / 15_000_000],
      3: [bitmexKey(-1_000, 15_000, 14_000, 2_000), -2_000_000 / 210_000_000], 4: [bitmexKey(1_500, 19_500, 21_000, 4_500), 31_500_000 / 87_750_000],
      5: [bitmexKey(2_000, 12_000, 14_000, 3_000), 28_000_000 / 36_000_000], 6: [bitmexKey(-200, 7_200, 7_000, 1_000), -200_000 / 50_400_000],
    };
    for (const r of ranks) {
      expect(r.isolated).toBe(false);
      expect(r.key, `key of account ${r.accountId}`).toBe(expected[r.accountId]![0]);
      expect(r.key, `key of account ${r.accountId}, worked`).toBe(expected[r.accountId]![1]);
    }
    // The short's deficit: E = -1,000; closed whole at 700 -> record (0, m, 1,000), d = +20, q = 700.
    engine.liquidate({ close: 'full' });
    expect(engine.deficits()).toEqual([{ accountId: 0, marketId: m, amountQuote: 1_000n }]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'bitmex' }] });
    // σ = -1 (a short was bought back): Δp = ceil(1,000 / 20) = 50, P = 700 - 50 = 650 (BitMEX's bankruptcy price).
    //   Account 2: c = min(10, 20) = 10, trade -10: a = cash(-10, 700) - cash(-10, 650) = 7,000 - 6,500 = 500 -> cover 500, Qleft 10.
    //   Account 5: c = min(20, 10) = 10: a = 500 = r -> cover 500. Done.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ adlCoveredQuote: 1_000n, adlVolumeBase: 20n, adlNotionalQuote: 14_000n, adlAccounts: 2, uncoveredQuote: 0n, residueQuote: 0n });
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', 2, 500n, 650n, -10n], [0, 'cover', 5, 500n, 650n, -10n]]);
    // 2 sells 10 at 650: realized = -5,000 + 6,500 = 1,500 -> 2,500, closed. 5 sells 10 of 20:
    //   quoteClosed = floor(-12,000 * 10 / 20) = -6,000, realized = -6,000 + 6,500 = 500 -> 1,500; left 10, quote -6,000.
    expect(engine.account(2).collateralQuote).toBe(2_500n);
    expect(engine.account(2).positions).toEqual([]);
    expect(engine.account(5).collateralQuote).toBe(1_500n);
    expect(engine.account(5).positions).toEqual([{ marketId: m, sizeBase: 10n, quoteBalance: -6_000n, fundingSnapshot: 0n }]);
    // Re-ranked: 5 now v = 7,000 - 6,000 = 1,000, Q = 6,000, E = 1,500 + 1,000 = 2,500:
    // (1,000 * 7,000) / (6,000 * 2,500) = 7,000,000 / 15,000,000 = 0.46667 > 4's 0.35897,
    // so account 5 stays first; five positions give quantiles 5, 4, 3, 2, 1.
    engine.check();
    const after = engine.adlRanking(m, 'long', 'bitmex');
    expect(after.map((r) => [r.accountId, r.quantile])).toEqual([[5, 5], [4, 4], [1, 3], [6, 2], [3, 1]]);
    expect(after[0]!.key).toBe(bitmexKey(1_000, 6_000, 7_000, 2_500));
    expect(after[0]!.key).toBe(7_000_000 / 15_000_000);
  });

  it('ADL rankings pnl, binance, hyperliquid and a function order the same book differently; a function ranking drives the step', async () => {
    const { engine, m } = await bitmexBook();
    // pnl = v: 2 (2,000), 5 (2,000, tie -> id), 4 (1,500), 1 (200), 6 (-200), 3 (-1,000).
    expect(engine.adlRanking(m, 'long', 'pnl').map((r) => [r.accountId, r.key])).toEqual([[2, 2_000], [5, 2_000], [4, 1_500], [1, 200], [6, -200], [3, -1_000]]);
    // binance = E > 0 ? (max(0, v) M) / (max(1, C) E) : 0 (every E > 0 here):
    //   1: (200 * 350) / (800 * 1,000) = 70,000 / 800,000 = 0.0875; 2: (2,000 * 350) / (1,000 * 3,000) = 700,000 / 3,000,000 = 0.2333;
    //   3: (0 * 700) / (3,000 * 2,000) = 0; 4: (1,500 * 1,050) / (3,000 * 4,500) = 1,575,000 / 13,500,000 = 0.1167;
    //   5: (2,000 * 700) / (1,000 * 3,000) = 1,400,000 / 3,000,000 = 0.4667; 6: 0 -> 5, 2, 4, 1, 3, 6 (3 and 6 tie at 0: id order).
    const binance = engine.adlRanking(m, 'long', 'binance');
    expect(binance.map((r) => r.accountId)).toEqual([5, 2, 4, 1, 3, 6]);
    expect(binance.map((r) => r.key)).toEqual([1_400_000 / 3_000_000, 700_000 / 3_000_000, 1_575_000 / 13_500_000, 70_000 / 800_000, 0, 0]);
    // hyperliquid (long) = (N N) / (max(1, Q) max(1, E)):
    //   1: 49,000,000 / (6,800 * 1,000) = 7.2059; 2: 49,000,000 / (5,000 * 3,000) = 3.2667; 3: 196,000,000 / (15,000 * 2,000) = 6.5333;
    //   4: 441,000,000 / (19,500 * 4,500) = 5.0256; 5: 196,000,000 / (12,000 * 3,000) = 5.4444; 6: 49,000,000 / (7,200 * 1,000) = 6.8056
    //   -> 1, 6, 3, 5, 4, 2.
    const hl = engine.adlRanking(m, 'long', 'hyperliquid');
    expect(hl.map((r) => r.accountId)).toEqual([1, 6, 3, 5, 4, 2]);
    expect(hl.map((r) => r.key)).toEqual([49_000_000 / 6_800_000, 49_000_000 / 7_200_000, 196_000_000 / 30_000_000, 196_000_000 / 36_000_000, 441_000_000 / 87_750_000, 49_000_000 / 15_000_000]);
    // One division, not the product of two rounded ratios: 7,000 / 6,800 * (7,000 / 1,000) is one unit in the last place below.
    expect(hl[0]!.key).toBe(7.205882352941177);
    expect(hl[0]!.key).not.toBe(7_000 / 6_800 * (7_000 / 1_000));
    // A function: larger size first: 4 (30), 3 and 5 (20), 1, 2, 6 (10).
    const seen: AdlCandidate[] = [];
    const bySize = (c: AdlCandidate): number => { seen.push(c); return Number(c.sizeBase); };
    expect(engine.adlRanking(m, 'long', bySize).map((r) => [r.accountId, r.key, r.quantile])).toEqual([[4, 30, 5], [3, 20, 5], [5, 20, 4], [1, 10, 3], [2, 10, 2], [6, 10, 1]]);
    expect(seen.find((c) => c.accountId === 4)).toEqual({
      accountId: 4, marketId: m, isolated: false, sizeBase: 30n, unrealizedPnlQuote: 1_500n, notionalQuote: 21_000n,
      entryValueQuote: 19_500n, equityQuote: 4_500n, mmQuote: 1_050n, collateralQuote: 3_000n,
    });
    // The same function in the waterfall: the short's deficit 1,000, P = 650; account 4 first:
    //   c = min(30, 20) = 20, a = 20 * 50 = 1,000 = r. quoteClosed = floor(-19,500 * 20 / 30) = -13,000, realized = -13,000 + 13,000 = 0.
    engine.liquidate({ close: 'full' });
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: bySize }] });
    allocateConserving(engine);
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', 4, 1_000n, 650n, -20n]]);
    expect(engine.account(4).positions).toEqual([{ marketId: m, sizeBase: 10n, quoteBalance: -6_500n, fundingSnapshot: 0n }]);
    expect(engine.account(4).collateralQuote).toBe(3_000n);
  });

  it('ADL at the bankruptcy price closes the smallest size that covers (binary search) and sends overshoot to residue', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // Sa: short 1 entered at 200, collateral 100 (v = 100). Sb: short 20 at 100, collateral 1,000 (v = 0). pnl: Sa, Sb.
    const [sa, sb] = engine.addAccounts([
      { collateralQuote: 100n, positions: [{ marketId: m, sizeBase: -1n, quoteBalance: 200n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -20n, quoteBalance: 2_000n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    addBankrupt(engine, m, 3n, 7n);
    addBankrupt(engine, m, 6n, 10n);
    // k0: Δp = ceil(7 / 3) = 3, P = 103; a(c) = 3c.
    //   Sa: c = min(1, 3) = 1, a = 3 <= 7: cover 3, r = 4, Qleft = 2 (Sa closed).
    //   Sb: c = min(20, 2) = 2, a = 6 > 4: search lo 1, hi 2: a(1) = 3 < 4 -> c = 2; cover 4, residue 2.
    // k1: Δp = ceil(10 / 6) = 2, P = 102; a(c) = 2c. Sb: c = min(18, 6) = 6, a = 12 > 10: search lo 1, hi 6:
    //   mid 3: 6 < 10 -> lo 4; mid 5: 10 >= 10 -> hi 5; mid 4: 8 < 10 -> lo 5: c = 5, cover 10 (Qleft 1 never closes).
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ adlCoveredQuote: 17n, residueQuote: 2n, adlVolumeBase: 8n, adlNotionalQuote: 800n, adlAccounts: 2, uncoveredQuote: 0n });
    expect(adlRows(engine, 1)).toEqual([
      [0, 'cover', sa, 3n, 103n, 1n], [0, 'cover', sb, 4n, 103n, 2n], [0, 'residue', sb, 2n, 0n, 0n], [1, 'cover', sb, 10n, 102n, 5n],
    ]);
    // Sa: realized = 200 - 103 = 97 -> 197. Sb: 2 at 103: floor(2,000 * 2 / 20) - 206 = -6; 5 of 18 at 102:
    //   floor(1,800 * 5 / 18) - 510 = -10: collateral 984, size -13, quote 2,000 - 200 - 500 = 1,300.
    expect(engine.account(sa!).collateralQuote).toBe(197n);
    expect(engine.account(sb!).collateralQuote).toBe(984n);
    expect(engine.account(sb!).positions).toEqual([{ marketId: m, sizeBase: -13n, quoteBalance: 1_300n, fundingSnapshot: 0n }]);
    expect(engine.waterfallBalances().residueQuote).toBe(2n);
  });

  it('ADL at the mark covers nothing: it closes Qb at the mark (volume, no audit records) and the deficit passes on', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // S0: short 10 at 100 (v = 0); S1: short 5 at 120 (v = 100). pnl: S1, S0.
    const [s0, s1] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -5n, quoteBalance: 600n }] },
    ]);
    engine.depositInsuranceFund(1_000n);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl', price: 'mark' }, { kind: 'insuranceFund' }] });
    addBankrupt(engine, m, 8n, 300n);
    // ADL at P = 100, Qb = 8: S1 closes 5 (realized 600 - 500 = 100 -> 1,100), S0 closes 3 (realized 300 - 300 = 0).
    // Nothing covered: the fund pays 300.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ adlCoveredQuote: 0n, adlVolumeBase: 8n, adlNotionalQuote: 800n, adlAccounts: 2, insuranceFundQuote: 300n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([[0, 'insuranceFund', 'cover', null, 300n]]);
    expect(engine.account(s1!).positions).toEqual([]);
    expect(engine.account(s1!).collateralQuote).toBe(1_100n);
    expect(engine.account(s0!).positions).toEqual([{ marketId: m, sizeBase: -7n, quoteBalance: 700n, fundingSnapshot: 0n }]);
    expect(engine.insuranceFund()).toBe(700n);
  });

  it('ADL randomWalk (dYdX): start splitmix64(seed + event 2^32 + k) mod n in account order, cyclic; same seed, same result', async () => {
    // Four shorts of 5 at 100 (ids 0..3), a long of 10 with deficit 100: Δp = 10, P = 110, a(5) = 50 each: two closes.
    const run = async (seed: bigint) => {
      const engine = await createEngine();
      const m = engine.addMarket(flatMarket(100n));
      engine.addAccounts([0, 1, 2, 3].map(() => ({ collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -5n, quoteBalance: 500n }] })));
      engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'randomWalk', seed }] });
      addBankrupt(engine, m, 10n, 100n);
      allocateConserving(engine);
      return adlRows(engine, 1);
    };
    // seed 2: splitmix64(2 + 2^32) = 0xb3703ad894507022, mod 4 = 2: accounts 2, 3.
    const two = await run(2n);
    expect(two).toEqual([[0, 'cover', 2, 50n, 110n, 5n], [0, 'cover', 3, 50n, 110n, 5n]]);
    expect(await run(2n)).toEqual(two);
    // seed 1: splitmix64(1 + 2^32) = 0x204391a6fd59956f, mod 4 = 3: accounts 3, then 0 (wraps).
    expect(await run(1n)).toEqual([[0, 'cover', 3, 50n, 110n, 5n], [0, 'cover', 0, 50n, 110n, 5n]]);
  });

  it('ADL largest (FTX): the topK largest opposite positions share the size pro rata; overshoot goes to residue', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // Shorts at 100: id 0: 30, id 1: 10, id 2: 20, id 3: 20 (collateral 5,000 each).
    engine.addAccounts([30n, 10n, 20n, 20n].map((s) => ({ collateralQuote: 5_000n, positions: [{ marketId: m, sizeBase: -s, quoteBalance: s * 100n }] })));
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'largest', topK: 2 }] });
    addBankrupt(engine, m, 7n, 95n);
    // Top 2 by |s|: id 0 (30), then 20s tie -> id 2. split(min(7, 50) = 7, w 30/20): t = floor(210/50) = 4 (rem 10),
    //   floor(140/50) = 2 (rem 40); the extra atom to id 2: shares 4, 3.
    // Δp = ceil(95 / 7) = 14, P = 114: id 0 closes 4: a = 56, cover 56, r = 39; id 2 closes 3: a = 42, cover 39, residue 3.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ adlCoveredQuote: 95n, residueQuote: 3n, adlVolumeBase: 7n, adlAccounts: 2 });
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', 0, 56n, 114n, 4n], [0, 'cover', 2, 39n, 114n, 3n], [0, 'residue', 2, 3n, 0n, 0n]]);
    expect([0, 1, 2, 3].map((a) => engine.account(a).positions[0]!.sizeBase)).toEqual([-26n, -10n, -17n, -20n]);
    // id 0: floor(3,000 * 4 / 30) - 456 = -56 -> 4,944; id 2: floor(2,000 * 3 / 20) - 342 = -42 -> 4,958.
    expect([engine.account(0).collateralQuote, engine.account(2).collateralQuote]).toEqual([4_944n, 4_958n]);
  });

  it('ADL groups records by (market, side) in the order of each group\'s first record; an isolated candidate realizes into its own collateral', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // S: short 20 at 100 (cross, collateral 1,000). L: isolated long 20 at 100 with isolated collateral 300.
    const [s, l] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -20n, quoteBalance: 2_000n }] },
      { collateralQuote: 0n, isolated: [{ marketId: m, sizeBase: 20n, quoteBalance: -2_000n, collateralQuote: 300n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    addBankrupt(engine, m, 5n, 50n); //  k0: a long sold -> group (m, long), against shorts
    addBankrupt(engine, m, -5n, 30n); // k1: a short bought back -> group (m, short), against longs
    addBankrupt(engine, m, 5n, 20n); //  k2: group (m, long) again
    // Group (m, long) first (its first record is k0): k0: Δp = 10, P = 110, S buys 5: a = 50. k2: Δp = 4, P = 104: a = 20.
    // Then group (m, short): k1: σ = -1, Δp = ceil(30 / 5) = 6, P = 94, L sells 5: a = cash(-5, 100) - cash(-5, 94) = 500 - 470 = 30.
    allocateConserving(engine);
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', s, 50n, 110n, 5n], [2, 'cover', s, 20n, 104n, 5n], [1, 'cover', l, 30n, 94n, -5n]]);
    // L: quoteClosed = floor(-2,000 * 5 / 20) = -500, realized = -500 + 470 = -30: isolated collateral 270.
    const iso = engine.account(l!).isolated[0]!;
    expect([iso.sizeBase, iso.quoteBalance, iso.collateralQuote]).toEqual([15n, -1_500n, 270n]);
    expect(engine.account(l!).collateralQuote).toBe(0n);
    // S: 5 at 110 (500 - 550 = -50), then 5 of 15 at 104 (floor(1,500 * 5 / 15) - 520 = -20): 930.
    expect(engine.account(s!).collateralQuote).toBe(930n);
  });

  it('ADL leaves out the bankrupt account\'s own opposite position even when it ranks first', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // Y: short 20 entered at 90: v = -2,000 + 1,800 = -200.
    const [y] = engine.addAccounts([{ collateralQuote: 5_000n, positions: [{ marketId: m, sizeBase: -20n, quoteBalance: 1_800n }] }]);
    const x = addBankrupt(engine, m, 10n, 100n);
    // Before the waterfall runs, X comes back and sells 100 at the mark (v = 0, first by pnl).
    engine.deposit(x, 5_000n);
    engine.applyFill({ accountId: x, marketId: m, sizeDeltaBase: -100n, priceQuote: 100n });
    engine.check();
    expect(engine.adlRanking(m, 'short', 'pnl').map((r) => [r.accountId, r.key, r.quantile])).toEqual([[x, 0, 5], [y, -200, 3]]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    // X's record skips X: Y closes, Δp = ceil(100 / 10) = 10, P = 110, c = 10, a = 100.
    expect(allocateConserving(engine)).toMatchObject({ adlCoveredQuote: 100n, uncoveredQuote: 0n });
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', y, 100n, 110n, 10n]]);
    expect(engine.account(x).positions).toEqual([{ marketId: m, sizeBase: -100n, quoteBalance: 10_000n, fundingSnapshot: 0n }]);
  });

  it('ADL ranks by PnL net of funding owed, and each close settles the candidate\'s funding first', async () => {
    const engine = await createEngine();
    // fundingIndexShort = -15: a short with snapshot 0 owes ceil(-10 * (-15 - 0)) = 150.
    const m = engine.addMarket(flatMarket(100n, 0, { fundingIndexShort: -15n }));
    // A: short 10 at 110, snapshot 0: v = -1,000 + 1,100 - 150 = -50. B: short 10 at 100, snapshot -15: v = 0. pnl: B, A.
    const [a, b] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_100n, fundingSnapshot: 0n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n, fundingSnapshot: -15n }] },
    ]);
    addBankrupt(engine, m, 10n, 50n);
    addBankrupt(engine, m, 10n, 30n);
    engine.check();
    expect(engine.adlRanking(m, 'short', 'pnl').map((r) => [r.accountId, r.key])).toEqual([[b, 0], [a, -50]]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    // k0: Δp = 5, P = 105: B buys 10, a = 50; B closed. k1: Δp = 3, P = 103: A buys 10, a = 30.
    // A: funding 150 settles, realized = 1,100 - 1,030 = 70: 1,000 - 150 + 70 = 920. B: 1,000 + 1,000 - 1,050 = 950.
    expect(allocateConserving(engine)).toMatchObject({ adlCoveredQuote: 80n, uncoveredQuote: 0n });
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', b, 50n, 105n, 10n], [1, 'cover', a, 30n, 103n, 10n]]);
    expect([engine.account(a!).collateralQuote, engine.account(b!).collateralQuote]).toEqual([920n, 950n]);
  });

  it('ADL: the bankruptcy close price is clamped to 1, so a deficit beyond what P = 1 pays passes on', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [l] = engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] }]);
    engine.setWaterfall({ steps: [{ kind: 'adl', ranking: 'pnl' }] });
    addBankrupt(engine, m, -10n, 5_000n);
    // σ = -1: Δp = ceil(5,000 / 10) = 500, P = max(1, 100 - 500) = 1. L sells 10: a = cash(-10, 100) - cash(-10, 1) = 1,000 - 10 = 990.
    // L: realized = -1,000 + 10 = -990 -> 10. 4,010 uncovered.
    expect(allocateConserving(engine)).toMatchObject({ adlCoveredQuote: 990n, uncoveredQuote: 4_010n, residueQuote: 0n });
    expect(adlRows(engine, 1)).toEqual([[0, 'cover', l, 990n, 1n, -10n]]);
    expect(engine.account(l!).collateralQuote).toBe(10n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('waterfall: socialization', () => {
  it('socializeFunding (Drift, Mango): every position pays the same per unit of size, split(X, |s|) exactly, out of its group\'s collateral', async () => {
    const engine = await createEngine();
    // D = 10 (baseDecimals 1), mark 100 per whole unit: a position of s atoms at the mark has quote -10 s
    // (value 0), so each group's equity is its collateral, 1,000: no cap binds.
    const m = engine.addMarket(flatMarket(100n, 1));
    const [l1, l2, s1, s2] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 23n, quoteBalance: -230n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 31n, quoteBalance: -310n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -40n, quoteBalance: 400n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -17n, quoteBalance: 170n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'socializeFunding' }] });
    addBankrupt(engine, m, 50n, 77n);
    // After the close: weights |s| = 23, 31, 40, 17 (W = 111, both sides), X = 77.
    //   77 * 23 = 1,771: floor / 111 = 15 rem 106;  77 * 31 = 2,387: 21 rem 56;
    //   77 * 40 = 3,080: 27 rem 83;                 77 * 17 = 1,309: 11 rem 88.
    //   74 placed, 3 atoms to the largest remainders 106 (l1), 88 (s2), 83 (s1): shares 16, 21, 28, 12.
    // Exactly X is charged: no residue, and the funding indices do not move.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ socializedQuote: 77n, residueQuote: 0n, uncoveredQuote: 0n });
    expect(report.steps).toEqual([{ waterfall: 0, step: 0, kind: 'socializeFunding', coveredQuote: 77n, residueQuote: 0n, paidBeyondEquityQuote: 0n, paidBeyondEquityAccounts: 0 }]);
    expect(engine.market(m)).toMatchObject({ fundingIndexLong: 0n, fundingIndexShort: 0n });
    expect(engine.auditLog.records().map((r) => [r.deficit, r.role, r.accountId, r.marketId, r.amountQuote, r.priceQuote, r.sizeBase])).toEqual([
      [0, 'cover', null, m, 77n, 0n, 0n], [null, 'pay', l1, m, 16n, 0n, 0n], [null, 'pay', l2, m, 21n, 0n, 0n],
      [null, 'pay', s1, m, 28n, 0n, 0n], [null, 'pay', s2, m, 12n, 0n, 0n],
    ]);
    expect([l1, l2, s1, s2].map((a) => engine.account(a!).collateralQuote)).toEqual([984n, 979n, 972n, 988n]);
    expect(engine.account(l1!).positions).toEqual([{ marketId: m, sizeBase: 23n, quoteBalance: -230n, fundingSnapshot: 0n }]);
  });

  it('socializeFunding with no open interest covers nothing: the deficit is uncovered', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.setWaterfall({ steps: [{ kind: 'socializeFunding' }] });
    addBankrupt(engine, m, 10n, 40n);
    // OI = 0 after the bankrupt's close: no position to pay.
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 0n, uncoveredQuote: 40n });
    expect(engine.market(m)).toMatchObject({ fundingIndexLong: 0n, fundingIndexShort: 0n });
  });

  it('socializeFunding leaves the funding indices alone: a market at the index limit socializes like any other', async () => {
    const engine = await createEngine();
    const limit = 1n << 61n;
    const m = engine.addMarket(flatMarket(100n, 0, { fundingIndexLong: limit - 2n }));
    const [a, b] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n, fundingSnapshot: limit - 2n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n }] },
    ]);
    engine.setWaterfall({ steps: [{ kind: 'socializeFunding' }] });
    const [bankrupt] = engine.addAccounts([{ collateralQuote: -50n, positions: [{ marketId: m, sizeBase: 5n, quoteBalance: -500n, fundingSnapshot: limit - 2n }] }]);
    engine.liquidate({ close: 'full' });
    expect(engine.deficits()).toEqual([{ accountId: bankrupt, marketId: m, amountQuote: 50n }]);
    // Weights 10, 10 (snapshots current: equity 1,000 each): split(50) = 25, 25 out of collateral.
    expect(allocateConserving(engine)).toMatchObject({ socializedQuote: 50n, uncoveredQuote: 0n, residueQuote: 0n });
    expect(engine.market(m)).toMatchObject({ fundingIndexLong: limit - 2n, fundingIndexShort: 0n });
    expect([engine.account(a!).collateralQuote, engine.account(b!).collateralQuote]).toEqual([975n, 975n]);
  });

  it('haircutDeposits (Mango): depositors lose pro rata to collateral; the deposit index becomes idx - ceil(idx X / ΣC)', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [d0, d1, d2] = engine.addAccounts([{ collateralQuote: 1_000n }, { collateralQuote: 2_000n }, { collateralQuote: 6_000n }]);
    engine.setWaterfall({ steps: [{ kind: 'haircutDeposits' }] });
    addBankrupt(engine, m, 10n, 1_001n);
    // Payers C > 0: 1,000, 2,000, 6,000 (the bankrupt is at 0): ΣC = 9,000, X = 1,001.
    //   floor(1,001 * 1,000 / 9,000) = 111 (rem 2,000); floor(2,002,000 / 9,000) = 222 (rem 4,000);
    //   floor(6,006,000 / 9,000) = 667 (rem 3,000); 1 atom left -> rem 4,000: 223. Shares 111, 223, 667.
    // Index: 10^18 - ceil(10^18 * 1,001 / 9,000) = 10^18 - ceil(111,222,222,222,222,222.2) = 888,777,777,777,777,777.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ socializedQuote: 1_001n, uncoveredQuote: 0n });
    expect([d0, d1, d2].map((a) => engine.account(a!).collateralQuote)).toEqual([889n, 1_777n, 5_333n]);
    expect(engine.waterfallBalances().depositIndexE18).toBe(888_777_777_777_777_777n);
    expect(auditRows(engine)).toEqual([
      [0, 'haircutDeposits', 'cover', null, 1_001n], [null, 'haircutDeposits', 'pay', d0, 111n], [null, 'haircutDeposits', 'pay', d1, 223n],
      [null, 'haircutDeposits', 'pay', d2, 667n],
    ]);
  });
});

// ------------------------------------------------------------------------------------------------

/**
 * Gains book: m0 mark 100, m1 mark 50. v = floor(s m) + quote.
 *   A (0): m0 long 10 at 40 (v = 1,000 - 400 = 600), m1 short 10 at 30 (v = -500 + 300 = -200); collateral 1,000.
 *   B (1): m0 short 5 at 160 (v = -500 + 800 = 300); 1,000.
 *   C (2): m1 long 40 at 25 (v = 2,000 - 1,000 = 1,000); 1,000.
 *   D (3): m0 short 2 at 50 (v = -200 + 100 = -100); 1,000.
 *   E (4): no cross position; isolated m1 long 20 at 25 (v = 1,000 - 500 = 500), isolated collateral 200.
 * Then F (5) goes bankrupt in m0 with deficit 500.
 */
async function gainsBook(): Promise<{ engine: RiskEngine; m0: number; m1: number }> {
  const engine = await createEngine();
  const m0 = engine.addMarket(flatMarket(100n));
  const m1 = engine.addMarket(flatMarket(50n));
  engine.addAccounts([
    { collateralQuote: 1_000n, positions: [{ marketId: m0, sizeBase: 10n, quoteBalance: -400n }, { marketId: m1, sizeBase: -10n, quoteBalance: 300n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m0, sizeBase: -5n, quoteBalance: 800n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m1, sizeBase: 40n, quoteBalance: -1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m0, sizeBase: -2n, quoteBalance: 100n }] },
    { collateralQuote: 0n, isolated: [{ marketId: m1, sizeBase: 20n, quoteBalance: -500n, collateralQuote: 200n }] },
  ]);
  return { engine, m0, m1 };
}

describe('waterfall: deposit haircut and defaulters', () => {
  it('haircutDeposits does not leave out the run\'s defaulters: an account whose isolated position went bankrupt pays from its cross deposit', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // A: cross collateral 300; isolated long 10 at the mark with isolated collateral -60 (equity -60). B: 900.
    const [a, b] = engine.addAccounts([
      { collateralQuote: 300n, isolated: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n, collateralQuote: -60n }] },
      { collateralQuote: 900n },
    ]);
    engine.liquidate({ close: 'full' });
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: m, amountQuote: 60n }]);
    engine.setWaterfall({ steps: [{ kind: 'haircutDeposits' }] });
    // Payers A 300 (the defaulter) and B 900: split(60, 300/900) = 15, 45 (exact). Index 10^18 - ceil(10^18 * 60 / 1,200) = 0.95e18.
    allocateConserving(engine);
    expect(auditRows(engine)).toEqual([[0, 'haircutDeposits', 'cover', null, 60n], [null, 'haircutDeposits', 'pay', a, 15n], [null, 'haircutDeposits', 'pay', b, 45n]]);
    expect([engine.account(a!).collateralQuote, engine.account(b!).collateralQuote]).toEqual([285n, 855n]);
    expect(engine.waterfallBalances().depositIndexE18).toBe(950_000_000_000_000_000n);
  });
});

describe('waterfall: gains haircut', () => {
  it('haircutGains scope market: only the record market\'s gains pay, each capped at floor(g maxHaircutPpm / 10^6), out of the gain itself', async () => {
    const { engine, m0, m1 } = await gainsBook();
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'market', maxHaircutPpm: 500_000 }] });
    addBankrupt(engine, m0, 5n, 500n);
    // m0 gains: A 600, B 300 (D -100 is no gain; C and E hold no m0). Caps floor(600 / 2) = 300, floor(300 / 2) = 150
    // (their equities, A 1,000 + 600 - 200 = 1,400 and B 1,300, do not bind).
    // Capacity 450: x = min(500, 450) = 450; split(450, w 600/300, caps 300/150) = 300, 150. 50 uncovered.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ socializedQuote: 450n, uncoveredQuote: 50n });
    expect(auditRows(engine)).toEqual([
      [0, 'haircutGains', 'cover', null, 450n], [null, 'haircutGains', 'pay', 0, 300n], [null, 'haircutGains', 'pay', 1, 150n], [0, null, 'uncovered', null, 50n],
    ]);
    // Taken from the gain: the m0 quote balances fall (A -400 - 300 = -700, B 800 - 150 = 650); collateral stays.
    expect([0, 1, 2, 3].map((a) => engine.account(a).collateralQuote)).toEqual([1_000n, 1_000n, 1_000n, 1_000n]);
    expect(engine.account(0).positions.map((p) => [p.marketId, p.quoteBalance])).toEqual([[m0, -700n], [m1, 300n]]);
    expect(engine.account(1).positions.map((p) => [p.marketId, p.quoteBalance])).toEqual([[m0, 650n]]);
    expect(engine.account(4).isolated[0]!.collateralQuote).toBe(200n);
  });

  it('haircutGains scope all: every group\'s gain over all markets above minGainQuote, cross before isolated, pro rata, out of its gaining positions', async () => {
    const { engine, m0, m1 } = await gainsBook();
    engine.setWaterfall({ steps: [{ kind: 'haircutGains', scope: 'all', minGainQuote: 350n }] });
    addBankrupt(engine, m0, 5n, 500n);
    // g over all markets: A 600 - 200 = 400, B 300 (not > 350), C 1,000, D -100, E's isolated 500. No cap (10^6);
    // equities A 1,400, C 2,000, E-isolated 200 + 500 = 700 do not bind.
    // Payers A 400, C 1,000, E-isolated 500: W = 1,900; split(500):
    //   floor(200,000 / 1,900) = 105 (rem 500), floor(500,000 / 1,900) = 263 (rem 300), floor(250,000 / 1,900) = 131 (rem 1,100);
    //   1 atom left -> rem 1,100: E 132. Shares 105, 263, 132.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ socializedQuote: 500n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([
      [0, 'haircutGains', 'cover', null, 500n], [null, 'haircutGains', 'pay', 0, 105n], [null, 'haircutGains', 'pay', 2, 263n], [null, 'haircutGains', 'pay', 4, 132n],
    ]);
    // Out of the gaining positions' quote balances: A's m0 (its only gain) -400 - 105 = -505, its m1 loser
    // untouched; C's m1 -1,000 - 263 = -1,263; E's isolated m1 -500 - 132 = -632. Collateral stays.
    expect([0, 1, 2].map((a) => engine.account(a).collateralQuote)).toEqual([1_000n, 1_000n, 1_000n]);
    expect(engine.account(0).positions.map((p) => [p.marketId, p.quoteBalance])).toEqual([[m0, -505n], [m1, 300n]]);
    expect(engine.account(2).positions.map((p) => [p.marketId, p.quoteBalance])).toEqual([[m1, -1_263n]]);
    expect(engine.account(4).isolated[0]).toMatchObject({ quoteBalance: -632n, collateralQuote: 200n });
    expect(engine.account(4).collateralQuote).toBe(0n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('waterfall: vaults and backstop providers', () => {
  it('vault: deposits and withdrawals at NAV; a vault share haircut lowers the value of every share', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [v, p1, p2, p3] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 5_000n }, { collateralQuote: 5_000n }, { collateralQuote: 5_000n }]);
    engine.setVaultAccount(v!);
    // First deposit: one share per atom -> 1,000. Second: floor(500 * 1,000 / NAV 1,000) = 500.
    expect(engine.vaultDeposit(p1!, 1_000n)).toBe(1_000n);
    expect(engine.vaultDeposit(p2!, 500n)).toBe(500n);
    expect(engine.vault()).toMatchObject({ accountId: v, navQuote: 1_500n, totalShares: 1_500n });
    engine.setWaterfall({ steps: [{ kind: 'haircutVaultShares' }] });
    addBankrupt(engine, m, 10n, 300n);
    // Capacity max(0, 1,500) -> X = 300 from the vault's collateral (1,200). Who bore it:
    //   split(300, shares 1,000 / 500) = 200, 100.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ vaultQuote: 300n, uncoveredQuote: 0n });
    expect(auditRows(engine)).toEqual([[0, 'haircutVaultShares', 'cover', null, 300n], [null, 'haircutVaultShares', 'pay', p1, 200n], [null, 'haircutVaultShares', 'pay', p2, 100n]]);
    expect(engine.vault()).toMatchObject({ navQuote: 1_200n, totalShares: 1_500n });
    // A share is now worth 1,200 / 1,500 = 0.8: P3 deposits 250 -> floor(250 * 1,500 / 1,200) = floor(312.5) = 312 shares.
    expect(engine.vaultDeposit(p3!, 250n)).toBe(312n);
    expect(engine.vault()).toMatchObject({ navQuote: 1_450n, totalShares: 1_812n });
    // P1 redeems 100 shares (1,000 paid in for 1,000): floor(100 * 1,450 / 1,812) = floor(80.02) = 80.
    expect(engine.vaultWithdraw(p1!, 100n)).toBe(80n);
    expect(engine.account(p1!).collateralQuote).toBe(4_080n);
    // High-water marks: what each paid in, less the basis of shares withdrawn (P1: 1,000 - floor(1,000 * 100 / 1,000) = 900).
    expect(engine.vault().providers).toEqual([
      { accountId: p1, shares: 900n, lastDepositSec: 0n, highWaterMarkQuote: 900n }, { accountId: p2, shares: 500n, lastDepositSec: 0n, highWaterMarkQuote: 500n },
      { accountId: p3, shares: 312n, lastDepositSec: 0n, highWaterMarkQuote: 250n },
    ]);
    // backstopVault without providers pays from the vault account, no cap: NAV 1,370, deficit 2,000 -> 1,370, 630 uncovered.
    engine.setWaterfall({ steps: [{ kind: 'backstopVault' }] });
    addBankrupt(engine, m, 10n, 2_000n);
    expect(allocateConserving(engine)).toMatchObject({ vaultQuote: 1_370n, uncoveredQuote: 630n });
    expect(auditRows(engine, 2)).toEqual([[0, 'backstopVault', 'cover', v, 1_370n], [0, null, 'uncovered', null, 630n]]);
    expect(engine.vault().navQuote).toBe(0n);
  });

  it('haircutVaultShares with no shares outstanding is one pay record for the vault account', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [v] = engine.addAccounts([{ collateralQuote: 400n }]);
    engine.setVaultAccount(v!);
    engine.setWaterfall({ steps: [{ kind: 'haircutVaultShares' }] });
    addBankrupt(engine, m, 10n, 150n);
    // X = min(150, 400) = 150 from the vault account's collateral: 250.
    allocateConserving(engine);
    expect(auditRows(engine)).toEqual([[0, 'haircutVaultShares', 'cover', null, 150n], [null, 'haircutVaultShares', 'pay', v, 150n]]);
    expect(engine.account(v!).collateralQuote).toBe(250n);
  });

  it('backstopVault providers pay pro rata to min(capacity left, collateral); capacities start afresh when a waterfall is set', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [p1, p2, p3] = engine.addAccounts([{ collateralQuote: 5_000n }, { collateralQuote: 300n }, { collateralQuote: 2_000n }]);
    const config: WaterfallConfig = { steps: [{ kind: 'backstopVault', providers: [
      { accountId: p1!, capacityQuote: 1_000n }, { accountId: p2! }, { accountId: p3!, capacityQuote: 600n },
    ] }] };
    engine.setWaterfall(config);
    addBankrupt(engine, m, 10n, 1_000n);
    addBankrupt(engine, m, 10n, 1_000n);
    // k0: c = min(1,000, 5,000) = 1,000, 300 (no cap), min(600, 2,000) = 600: Σ 1,900, x = 1,000.
    //   split: floor(1,000,000 / 1,900) = 526 (rem 600), floor(300,000 / 1,900) = 157 (rem 1,700),
    //   floor(600,000 / 1,900) = 315 (rem 1,500); 2 atoms left -> P2, P3: 526, 158, 316.
    // k1: c = min(474, 4,474) = 474, 142, min(284, 1,684) = 284: Σ 900 = x, each pays its c; 100 uncovered.
    const report = allocateConserving(engine);
    expect(report).toMatchObject({ vaultQuote: 1_900n, uncoveredQuote: 100n });
    expect(auditRows(engine, 1)).toEqual([
      [0, 'backstopVault', 'cover', p1, 526n], [0, 'backstopVault', 'cover', p2, 158n], [0, 'backstopVault', 'cover', p3, 316n],
      [1, 'backstopVault', 'cover', p1, 474n], [1, 'backstopVault', 'cover', p2, 142n], [1, 'backstopVault', 'cover', p3, 284n],
      [1, null, 'uncovered', null, 100n],
    ]);
    expect([p1, p2, p3].map((a) => engine.account(a!).collateralQuote)).toEqual([4_000n, 0n, 1_400n]);
    // Set again: capacities 1,000 and 600 again. c = 1,000, 0 (no collateral: weight 0), 600; split(500, w 1,000/600):
    //   floor(500,000 / 1,600) = 312 (rem 800), floor(300,000 / 1,600) = 187 (rem 800); the tie goes to P1: 313, 187.
    engine.setWaterfall(config);
    addBankrupt(engine, m, 10n, 500n);
    expect(allocateConserving(engine)).toMatchObject({ vaultQuote: 500n, uncoveredQuote: 0n });
    expect(auditRows(engine, 2)).toEqual([[0, 'backstopVault', 'cover', p1, 313n], [0, 'backstopVault', 'cover', p3, 187n]]);
  });

  it('backstopVault with weightPpm: fixed shares, capped by each provider\'s capacity, the rest water-filled', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    const [p1, p2] = engine.addAccounts([{ collateralQuote: 10_000n }, { collateralQuote: 100n }]);
    engine.setWaterfall({ steps: [{ kind: 'backstopVault', providers: [{ accountId: p1!, weightPpm: 700_000 }, { accountId: p2!, weightPpm: 300_000 }] }] });
    addBankrupt(engine, m, 10n, 1_000n);
    // c = 10,000, 100; x = 1,000. split(1,000, w 700,000/300,000, caps 10,000/100): 700, 300 > 100 -> P2 fixed at 100;
    // again R = 900 over P1 alone: 900.
    allocateConserving(engine);
    expect(auditRows(engine)).toEqual([[0, 'backstopVault', 'cover', p1, 900n], [0, 'backstopVault', 'cover', p2, 100n]]);
    expect([engine.account(p1!).collateralQuote, engine.account(p2!).collateralQuote]).toEqual([9_100n, 0n]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('waterfall: groups', () => {
  it('a group of markets runs its own waterfall, after the default one', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(flatMarket(100n));
    const m1 = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(1_000n);
    engine.depositOperatorCapital(1, 200n);
    engine.setWaterfall({
      steps: [{ kind: 'insuranceFund' }],
      groups: [{ markets: [m1], steps: [{ kind: 'operatorCapital', layer: 1 }, { kind: 'insuranceFund' }] }],
    });
    addBankrupt(engine, m1, 10n, 500n);
    addBankrupt(engine, m0, 10n, 800n);
    // Default waterfall first: k1 (m0) from the fund: 800, B = 200.
    // Then the group: k0 (m1): operator capital 200 (r = 300), then the fund: min(300, 200) = 200; 100 uncovered.
    const report = allocateConserving(engine);
    const none = { residueQuote: 0n, paidBeyondEquityQuote: 0n, paidBeyondEquityAccounts: 0 };
    expect(report.steps).toEqual([
      { waterfall: 0, step: 0, kind: 'insuranceFund', coveredQuote: 800n, ...none },
      { waterfall: 1, step: 0, kind: 'operatorCapital', coveredQuote: 200n, ...none },
      { waterfall: 1, step: 1, kind: 'insuranceFund', coveredQuote: 200n, ...none },
    ]);
    expect(report).toMatchObject({ insuranceFundQuote: 1_000n, clearingHouseQuote: 200n, uncoveredQuote: 100n });
    expect(engine.auditLog.records().map((r) => [r.deficit, r.waterfall, r.step, r.role, r.amountQuote])).toEqual([
      [1, 0, 0, 'cover', 800n], [0, 1, 0, 'cover', 200n], [0, 1, 1, 'cover', 200n], [0, null, null, 'uncovered', 100n],
    ]);
    expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([0n, 0n]);
  });
});

describe('waterfall: settle records and time', () => {
  it('a settle record (no market) takes the default waterfall: the fund it draws on is the global one; ADL and market-scoped steps pass it by', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(flatMarket(100n, 0, { insuranceFund: 'own' }));
    engine.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: m0, sizeBase: -10n, quoteBalance: 1_500n }] }]); // a gain of 500 in m0
    engine.depositInsuranceFund(1_000n);
    engine.depositInsuranceFund(1_000n, m0);
    engine.setWaterfall({
      steps: [{ kind: 'adl', ranking: 'pnl' }, { kind: 'haircutGains', scope: 'market' }, { kind: 'insuranceFund' }],
      groups: [{ markets: [m0], steps: [{ kind: 'haircutDeposits' }] }],
    });
    // An account with no position and collateral -70 is settled: a record (account, no market, 70).
    const [a] = engine.addAccounts([{ collateralQuote: -70n }]);
    engine.liquidate({ close: 'full' });
    expect(engine.deficits()).toEqual([{ accountId: a, marketId: null, amountQuote: 70n }]);
    // ADL: no market, no size -> nothing; haircutGains (market): skipped; insuranceFund 'market' -> global: 70.
    const report = allocateConserving(engine);
    expect(report.steps.map((x) => x.coveredQuote)).toEqual([0n, 0n, 70n, 0n]);
    expect(auditRows(engine)).toEqual([[0, 'insuranceFund', 'cover', null, 70n]]);
    expect([engine.insuranceFund(), engine.insuranceFund(m0)]).toEqual([930n, 1_000n]);
  });

  it('allocateLosses refuses a nowSec earlier than the last run\'s, and nothing moves', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.depositInsuranceFund(1_000n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    addBankrupt(engine, m, 10n, 100n);
    allocateConserving(engine, 500);
    addBankrupt(engine, m, 10n, 100n);
    const before = [digest(engine), engine.deficits(), engine.insuranceFund(), engine.auditLog.length];
    const e = caught(() => engine.allocateLosses({ nowSec: 499 }));
    expect([e.codeName, e.field]).toEqual(['OutOfRange', 'nowSec']);
    expect([digest(engine), engine.deficits(), engine.insuranceFund(), engine.auditLog.length]).toEqual(before);
    // At 500 again it runs: event 2, the fund pays 100 -> 800.
    expect(allocateConserving(engine, 500)).toMatchObject({ event: 2, insuranceFundQuote: 100n });
    expect(engine.insuranceFund()).toBe(800n);
  });
});

// ------------------------------------------------------------------------------------------------

describe('waterfall: audit log', () => {
  it('audit: per account paid and received, per deficit, per tranche totals, and a JSON round trip', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    // The cascade book: S0 short 10 at 110, S1 short 10 at 130; fund 500; deficits 300, 400, 250 (worked above:
    // fund 300 and 200, ADL S1 200 at 120 and S0 250 at 125).
    const [s0, s1] = engine.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_100n }] },
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_300n }] },
    ]);
    engine.depositInsuranceFund(500n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }] });
    addBankrupt(engine, m, 10n, 300n);
    const b1 = addBankrupt(engine, m, 10n, 400n);
    addBankrupt(engine, m, 10n, 250n);
    allocateConserving(engine);
    // Event 2: a deficit of 50 with the fund empty and no shorts left: uncovered.
    const b3 = addBankrupt(engine, m, 10n, 50n);
    allocateConserving(engine, 60);
    const log = engine.auditLog;

    const paid = log.forAccount(s1!);
    expect([paid.paidQuote, paid.receivedQuote, paid.paid.map((r) => [r.event, r.deficit, r.tranche, r.amountQuote, r.priceQuote])]).toEqual([200n, 0n, [[1, 1, 'adl', 200n, 120n]]]);
    const received = log.forAccount(b1);
    expect([received.paidQuote, received.receivedQuote, received.received.map((r) => [r.tranche, r.accountId, r.amountQuote])]).toEqual([
      0n, 400n, [['insuranceFund', null, 200n], ['adl', s1, 200n]],
    ]);
    expect(log.forAccount(s0!).paidQuote).toBe(250n);

    const d = log.forDeficit(1, 1);
    expect(d.deficit).toEqual({ accountId: b1, marketId: m, amountQuote: 400n, sizeBase: -10n, priceQuote: 100n, event: 1, index: 1 });
    expect([d.coveredQuote, d.uncoveredQuote, d.covers.map((r) => r.tranche)]).toEqual([400n, 0n, ['insuranceFund', 'adl']]);
    const u = log.forDeficit(2, 0);
    expect([u.deficit.accountId, u.coveredQuote, u.uncoveredQuote, u.covers.map((r) => r.role)]).toEqual([b3, 0n, 50n, ['uncovered']]);

    // Totals: fund 300 + 200 = 500, ADL 200 + 250 = 450 (event 2 adds nothing).
    expect(log.totalsByTranche()).toEqual([
      { waterfall: 0, step: 0, tranche: 'insuranceFund', coveredQuote: 500n, paidQuote: 0n, residueQuote: 0n },
      { waterfall: 0, step: 1, tranche: 'adl', coveredQuote: 450n, paidQuote: 0n, residueQuote: 0n },
    ]);
    expect(log.totalsByTranche(2).map((t) => t.coveredQuote)).toEqual([0n, 0n]);

    const json = log.toJSON();
    expect(json.records[0]).toEqual({ event: 1, deficit: 0, stepId: 0, role: 'cover', accountId: null, marketId: m, amountQuote: '300', priceQuote: '0', sizeBase: '0' });
    const back = AuditLog.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.records()).toEqual(log.records());
    expect(back.forAccount(s1!).paidQuote).toBe(200n);
    expect(back.records()).toHaveLength(5);
  });
});

// ------------------------------------------------------------------------------------------------

describe('waterfall: configuration errors', () => {
  it('InvalidWaterfall names the field and the step row, and a refused configuration changes nothing', async () => {
    const engine = await createEngine();
    const m0 = engine.addMarket(flatMarket(100n));
    const m1 = engine.addMarket(flatMarket(100n));
    const [p0, p1] = engine.addAccounts([{ collateralQuote: 1_000n }, { collateralQuote: 1_000n }]);
    engine.depositInsuranceFund(1_000n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    addBankrupt(engine, m0, 10n, 100n);
    const before = [digest(engine), engine.waterfallBalances(), engine.deficits(), engine.insuranceFund()];
    const refused = (config: WaterfallConfig, field: string, row: number): void => {
      const e = caught(() => engine.setWaterfall(config));
      expect(e).toBeInstanceOf(InputError);
      expect([e.code, e.codeName, e.field, e.row]).toEqual([114, 'InvalidWaterfall', field, row]);
      expect([digest(engine), engine.waterfallBalances(), engine.deficits(), engine.insuranceFund()]).toEqual(before);
    };
    // A repeated tranche (the third step repeats the first).
    refused({ steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'pnl' }, { kind: 'insuranceFund' }] }, 'tranche', 2);
    refused({ steps: [{ kind: 'haircutDeposits' }, { kind: 'haircutDeposits' }] }, 'tranche', 1);
    // A negative cap or capacity.
    refused({ steps: [{ kind: 'insuranceFund', maxPerDeficitQuote: -1n }] }, 'amountQuote', 0);
    refused({ steps: [{ kind: 'insuranceFund' }, { kind: 'backstopVault', providers: [{ accountId: p0!, capacityQuote: -1n }] }] }, 'capacityQuote', 1);
    // ppm above 10^6.
    refused({ steps: [{ kind: 'insuranceFund', drawdownPpm: 1_000_001, drawdownWindowSec: 60 }] }, 'ppm', 0);
    refused({ steps: [{ kind: 'insuranceFund' }, { kind: 'haircutGains', maxHaircutPpm: 1_000_001 }] }, 'ppm', 1);
    // A ranking that is neither one of the names nor a function.
    refused({ steps: [{ kind: 'adl', ranking: 'largestPnl' as 'pnl' }] }, 'ranking', 0);
    refused({ steps: [{ kind: 'adl', ranking: 7 as unknown as 'pnl' }] }, 'ranking', 0);
    // Provider weights that do not sum to 10^6 (or are given for some providers only).
    refused({ steps: [{ kind: 'backstopVault', providers: [{ accountId: p0!, weightPpm: 600_000 }, { accountId: p1!, weightPpm: 300_000 }] }] }, 'weightPpm', 0);
    refused({ steps: [{ kind: 'backstopVault', providers: [{ accountId: p0!, weightPpm: 1_000_000 }, { accountId: p1! }] }] }, 'weightPpm', 0);
    // A market in two groups (the row names the group that repeats it).
    refused({ steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [m0], steps: [{ kind: 'haircutDeposits' }] }, { markets: [m1, m0], steps: [{ kind: 'haircutDeposits' }] }] }, 'marketId', 1);
    // An empty waterfall.
    refused({ steps: [] }, 'waterfall', 0);
    // The first configuration is still the one in force: the fund covers the pending 100.
    expect(allocateConserving(engine)).toMatchObject({ insuranceFundQuote: 100n, uncoveredQuote: 0n, steps: [{ waterfall: 0, step: 0, kind: 'insuranceFund', coveredQuote: 100n }] });
    expect(engine.insuranceFund()).toBe(900n);
  });

  // docs/WATERFALL.md, "Configuration errors": a step repeated in one waterfall is refused (`Tranche`),
  // "except insurance funds naming different funds and the two operator capital layers".
  it('two insuranceFund steps naming different funds are accepted and run in order; the same fund twice is refused', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n, 0, { insuranceFund: 'own' }));
    engine.depositInsuranceFund(300n, m);
    engine.depositInsuranceFund(1_000n);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund', fund: 'market' }, { kind: 'insuranceFund', fund: 'global' }] });
    // A deficit of 500: the market's own fund pays its 300, then the global fund the other 200.
    addBankrupt(engine, m, 10n, 500n);
    expect(allocateConserving(engine)).toMatchObject({ insuranceFundQuote: 500n, uncoveredQuote: 0n, steps: [{ coveredQuote: 300n }, { coveredQuote: 200n }] });
    expect([engine.insuranceFund(m), engine.insuranceFund()]).toEqual([0n, 800n]);
    // The same fund named twice ('global' is fund 0) is a repeat.
    const e = caught(() => engine.setWaterfall({ steps: [{ kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund', fund: 'market' }, { kind: 'insuranceFund', fund: 0 }] }));
    expect([e.codeName, e.field, e.row]).toEqual(['InvalidWaterfall', 'tranche', 2]);
    const e2 = caught(() => engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }, { kind: 'insuranceFund', fund: 'market' }] }));
    expect([e2.codeName, e2.field, e2.row]).toEqual(['InvalidWaterfall', 'tranche', 1]);
  });

  it('operatorCapital steps of layers 1 and 2 are accepted and run in order; the same layer twice is refused', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n));
    engine.depositOperatorCapital(1, 100n);
    engine.depositOperatorCapital(2, 1_000n);
    engine.setWaterfall({ steps: [{ kind: 'operatorCapital', layer: 2 }, { kind: 'operatorCapital', layer: 1 }] });
    // A deficit of 1,050: layer 2 first (1,000), then layer 1 the other 50.
    addBankrupt(engine, m, 10n, 1_050n);
    expect(allocateConserving(engine)).toMatchObject({ clearingHouseQuote: 1_050n, uncoveredQuote: 0n, steps: [{ coveredQuote: 1_000n }, { coveredQuote: 50n }] });
    expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([50n, 0n]);
    const e = caught(() => engine.setWaterfall({ steps: [{ kind: 'operatorCapital', layer: 1 }, { kind: 'operatorCapital', layer: 2 }, { kind: 'operatorCapital', layer: 1 }] }));
    expect([e.codeName, e.field, e.row]).toEqual(['InvalidWaterfall', 'tranche', 2]);
  });
});
