/**
 * Regressions: money at and around 2^62 atoms (the largest amount the engine accepts; with
 * `quoteDecimals: 18` that is 4.6 units). Every amount is moved exactly or refused with a typed
 * error (Overflow naming the field) that changes nothing; never a wrap, never money created. Each
 * case runs on the debug core (assertions on) and the release core, which must agree.
 *
 * Books use D = 1 (baseDecimals 0) and a flat 10 % / 5 % curve. A settle row takes an account with no
 * positions and collateral -x to 0 and records a deficit of x (docs/FORMULAS.md, "Executing one
 * close"); `liquidate({ close: 'full' })` plans and executes it.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import type { WaterfallConfig } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const P62 = 1n << 62n;
const P63 = 1n << 63n;
const FLAT = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } as const;
const CORES = [false, true] as const;
const coreName = (release: boolean): string => (release ? 'release' : 'debug');

/** An engine with one flat market at mark 100 (D = 1) and these accounts (collateral only). */
async function withAccounts(release: boolean, collaterals: readonly bigint[]): Promise<RiskEngine> {
  const engine = await createEngine({ release });
  engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
  engine.addAccounts(collaterals.map((collateralQuote) => ({ collateralQuote })));
  return engine;
}

/** Sets the waterfall, settles every account with negative collateral, runs the waterfall; the ledger total must not move. */
function settleAndAllocate(engine: RiskEngine, config: WaterfallConfig): ReturnType<RiskEngine['allocateLosses']> {
  engine.setWaterfall(config);
  engine.liquidate({ close: 'full' });
  const before = engine.ledger().totalQuote;
  const report = engine.allocateLosses({ nowSec: 0 });
  expect(engine.ledger().totalQuote, 'ledger total unchanged by the run').toBe(before);
  return report;
}

/** The last event's records as [role, account, amount]. */
function records(engine: RiskEngine): [string, number | null, bigint][] {
  const all = engine.auditLog.records();
  const last = all.length === 0 ? 0 : all[all.length - 1]!.event;
  return all.filter((r) => r.event === last).map((r) => [r.role, r.accountId, r.amountQuote]);
}

/** `fn` throws Overflow naming `field` and the engine's state (and its ledger) is unchanged. */
function expectOverflowUnchanged(engine: RiskEngine, fn: () => unknown, field: string): void {
  const before = stateDigest(engine);
  const ledger = engine.ledger();
  const err = caught(fn);
  expect([err.codeName, err.field], err.message).toEqual(['Overflow', field]);
  expect(stateDigest(engine)).toBe(before);
  expect(engine.ledger()).toEqual(ledger);
}

describe('a pro-rata split of exactly 2^62 moves it exactly', () => {
  for (const release of CORES) {
    // Account 0 (collateral -2^62) settles: one deficit record of 2^62. The only depositor, account 1,
    // holds C = 2^62: capacity 2^62, X = min(2^62, 2^62) = 2^62, split(2^62, weight 2^62, cap 2^62):
    // W = 2^62, t = floor(2^62 * 2^62 / 2^62) = 2^62 (remainder 0). Account 1 pays 2^62 and ends at 0;
    // the deposit index falls by ceil(10^18 * 2^62 / 2^62) = 10^18 to 0.
    // The engine computed t with a quotient limit of "below 2^62", got its overflow sentinel, paid
    // nothing and still reported the deficit covered (the ledger grew by 2^62).
    it(`[${coreName(release)}] haircutDeposits: one depositor of 2^62 pays a deficit of 2^62`, async () => {
      const engine = await withAccounts(release, [-P62, P62]);
      const report = settleAndAllocate(engine, { steps: [{ kind: 'haircutDeposits' }] });
      expect(report).toMatchObject({ deficitQuote: P62, socializedQuote: P62, uncoveredQuote: 0n, residueQuote: 0n });
      expect(records(engine)).toEqual([['cover', null, P62], ['pay', 1, P62]]);
      expect(engine.account(1).collateralQuote).toBe(0n);
      expect(engine.waterfallBalances().depositIndexE18).toBe(0n);
    });

    // The same deficit; the surviving member, account 1, has a default-fund contribution F = 2^62:
    // split(2^62, weight 2^62, cap 2^62) = 2^62. Its fund ends at 0.
    it(`[${coreName(release)}] membersFund: one member's fund of 2^62 pays a deficit of 2^62`, async () => {
      const engine = await withAccounts(release, [-P62, 0n]);
      engine.addDefaultFundContribution(1, P62);
      const report = settleAndAllocate(engine, { steps: [{ kind: 'membersFund' }] });
      expect(report).toMatchObject({ deficitQuote: P62, clearingHouseQuote: P62, uncoveredQuote: 0n });
      expect(records(engine)).toEqual([['cover', null, P62], ['pay', 1, P62]]);
      expect(engine.clearingMembers()[0]!.fundQuote).toBe(0n);
    });

    // Depositors 2^62 - 1 and 1: capacity exactly 2^62 (allowed), X = 2^62, W = 2^62:
    //   t_1 = floor(2^62 (2^62 - 1) / 2^62) = 2^62 - 1,  t_2 = floor(2^62 * 1 / 2^62) = 1; no atom left.
    it(`[${coreName(release)}] haircutDeposits: depositors 2^62 - 1 and 1 pay a deficit of 2^62 in full`, async () => {
      const engine = await withAccounts(release, [-P62, P62 - 1n, 1n]);
      settleAndAllocate(engine, { steps: [{ kind: 'haircutDeposits' }] });
      expect(records(engine)).toEqual([['cover', null, P62], ['pay', 1, P62 - 1n], ['pay', 2, 1n]]);
      expect([engine.account(1).collateralQuote, engine.account(2).collateralQuote]).toEqual([0n, 0n]);
    });

    // Four depositors of 2^62 and one of 7: Σ C = 2^64 + 7 > 2^62, too heavy to split exactly: the
    // step pays nothing and the deficit of 2^62 is uncovered (docs/WATERFALL.md, "Limits"). The
    // engine's i64 sum wrapped to 7: it took a capacity of 7 and split it with weights of 2^62.
    it(`[${coreName(release)}] haircutDeposits: deposits summing past 2^62 (and past 2^64) pay nothing`, async () => {
      const engine = await withAccounts(release, [-P62, P62, P62, P62, P62, 7n]);
      const report = settleAndAllocate(engine, { steps: [{ kind: 'haircutDeposits' }] });
      expect(report).toMatchObject({ socializedQuote: 0n, uncoveredQuote: P62 });
      expect(records(engine)).toEqual([['uncovered', null, P62]]);
      expect([1, 2, 3, 4, 5].map((a) => engine.account(a).collateralQuote)).toEqual([P62, P62, P62, P62, 7n]);
    });

    // Backstop providers 1..4 hold 2^62 each and provider 5 holds 7, with fixed weights of 200,000 ppm
    // each (Σ weights 10^6). Σ c_j = 2^64 + 7 > 2^62: like a pooled step over caps past 2^62, the step
    // pays nothing. The engine's i64 sum wrapped to 7 and it covered 7.
    it(`[${coreName(release)}] backstopVault: providers' capacities summing past 2^62 pay nothing`, async () => {
      const engine = await withAccounts(release, [-P62, P62, P62, P62, P62, 7n]);
      const providers = [1, 2, 3, 4, 5].map((accountId) => ({ accountId, weightPpm: 200_000 }));
      const report = settleAndAllocate(engine, { steps: [{ kind: 'backstopVault', providers }] });
      expect(report).toMatchObject({ vaultQuote: 0n, uncoveredQuote: P62 });
      expect([1, 2, 3, 4, 5].map((a) => engine.account(a).collateralQuote)).toEqual([P62, P62, P62, P62, 7n]);
    });

    // A gain of exactly 2^62: account 1 holds a size-0 position in market 0 whose quote is 2^62
    // (v = its quote). Account 2 is long 1 at mark 100 with quote -100 and collateral -2^62: equity
    // -2^62, closed at the mark: deficit 2^62 in market 0. haircutGains (scope market, no cap):
    // h = floor(2^62 * 10^6 / 10^6) = 2^62; split(2^62, weight 2^62, cap 2^62) = 2^62: account 1's
    // collateral goes from 0 to -2^62. The engine's h hit its "below 2^62" limit: a negative cap.
    it(`[${coreName(release)}] haircutGains: a gain of exactly 2^62 pays a deficit of 2^62`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
      engine.addAccounts([
        { collateralQuote: 0n },
        { collateralQuote: 0n, positions: [{ marketId: 0, sizeBase: 0n, quoteBalance: P62 }] },
        { collateralQuote: -P62, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -100n }] },
      ]);
      engine.check();
      const report = settleAndAllocate(engine, { steps: [{ kind: 'haircutGains', scope: 'market' }] });
      expect(report).toMatchObject({ deficitQuote: P62, socializedQuote: P62, uncoveredQuote: 0n });
      expect(records(engine)).toEqual([['cover', null, P62], ['pay', 1, P62]]);
      // A gains haircut takes the gain itself: the quote balance 2^62 -> 0; collateral stays at 0.
      expect(engine.account(1).collateralQuote).toBe(0n);
      expect(engine.account(1).positions[0]!.quoteBalance).toBe(0n);
    });
  }
});

describe('a haircut or assessment keeps the payer\'s balances in the supported range', () => {
  for (const release of CORES) {
    // Account 1 has collateral -2^62 + 5, a size-0 position in market 0 with quote 10^13 (its gain in
    // market 0) and a long of 2^31 - 1 at mark 2^31 in market 1 (flat 1 ppm / 1 ppm, quote 0): value
    // 2^62 - 2^31, so equity 10^13 - 2^31 + 5 is far above its MM (ceil((2^62 - 2^31) / 10^6)): it is
    // healthy. Account 2's close leaves a deficit of 100 in market 0 (collateral -100, long 1 entered
    // at the mark 100). A gains haircut takes the gain itself, out of the quote balance: cap
    // h = min(10^13, equity, room min(10^13, 10^13 + 2^62)) = 10^13: account 1 pays all 100 from its
    // quote (10^13 -> 10^13 - 100) and its collateral, at the edge of the range, does not move. (Taking
    // the haircut from collateral, as before, went to -2^62 - 95, outside the supported range.)
    it(`[${coreName(release)}] haircutGains takes the gain out of the quote balance: collateral near -2^62 does not move`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
      engine.addMarket({ baseDecimals: 0, markPrice: 1n << 31n, curve: { kind: 'flat', imfPpm: 1, mmfPpm: 1 } });
      engine.addAccounts([
        { collateralQuote: 0n },
        { collateralQuote: -P62 + 5n, positions: [{ marketId: 0, sizeBase: 0n, quoteBalance: 10n ** 13n }, { marketId: 1, sizeBase: (1n << 31n) - 1n, quoteBalance: 0n }] },
        { collateralQuote: -100n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -100n }] },
      ]);
      engine.check();
      const report = settleAndAllocate(engine, { steps: [{ kind: 'haircutGains', scope: 'market' }] });
      expect(report).toMatchObject({ deficitQuote: 100n, socializedQuote: 100n, uncoveredQuote: 0n });
      expect(engine.account(1).collateralQuote).toBe(-P62 + 5n);
      expect(engine.account(1).positions[0]!.quoteBalance).toBe(10n ** 13n - 100n);
    });

    // Member 1 committed K = 2^62; assessments at 2x: floor(2^62 * 2,000,000 / 10^6) = 2^63 saturates
    // at 2^62, cap min(2^62 - 0, C + 2^62) = min(2^62, 0 + 2^62) = 2^62: it pays the deficit of 2^62
    // (collateral 0 -> -2^62, assessed 2^62). The engine's limit overflowed its "below 2^62" quotient
    // and the member was left out (cap 0).
    it(`[${coreName(release)}] assessments: a limit past 2^62 saturates there`, async () => {
      const engine = await withAccounts(release, [-P62, 0n]);
      engine.addDefaultFundContribution(1, P62);
      const report = settleAndAllocate(engine, { steps: [{ kind: 'assessments', multiplePpm: 2_000_000 }] });
      expect(report).toMatchObject({ clearingHouseQuote: P62, uncoveredQuote: 0n });
      expect(engine.account(1).collateralQuote).toBe(-P62);
      expect(engine.clearingMembers()[0]!.assessedQuote).toBe(P62);
    });

    // The global fund (refilled to 2^62 each time) pays four deficits of 2^62 for market 0 with no
    // cap: paid(0) = 4 * 2^62 = 2^64 over all time. A fifth deficit under a lifetime market cap of
    // 2^62: room 2^62 - paid < 0, so the fund pays nothing. The engine's all-time total wrapped to 0
    // and the fund paid 2^62 past the cap.
    it(`[${coreName(release)}] insuranceFund: a lifetime market cap after 2^64 paid for the market`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
      const bankrupt = (): void => {
        // Long 1 entered at the mark, collateral -2^62: equity -2^62, closed at the mark: deficit 2^62.
        engine.addAccounts([{ collateralQuote: -P62, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -100n }] }]);
        engine.check();
        engine.depositInsuranceFund(P62);
      };
      for (let event = 1; event <= 4; event++) {
        bankrupt();
        expect(settleAndAllocate(engine, { steps: [{ kind: 'insuranceFund' }] }).insuranceFundQuote).toBe(P62);
      }
      bankrupt();
      const report = settleAndAllocate(engine, { steps: [{ kind: 'insuranceFund', marketCapQuote: P62 }] });
      expect(report).toMatchObject({ insuranceFundQuote: 0n, uncoveredQuote: P62 });
      expect(engine.insuranceFund()).toBe(P62);
    });
  }
});

describe('sums of amounts near 2^62 in reports and ledgers are exact', () => {
  for (const release of CORES) {
    // Accounts 0 and 1 (collateral -2^62 each) settle: two records of 2^62, deficit total 2^63. Nothing
    // covers them (operator capital layer 1 holds 0): uncovered 2^63. Both sums leave i64; the report
    // wrapped them to -2^63.
    it(`[${coreName(release)}] a run's deficit total and uncovered total of 2^63`, async () => {
      const engine = await withAccounts(release, [-P62, -P62]);
      const executed = (() => { engine.setWaterfall({ steps: [{ kind: 'operatorCapital', layer: 1 }] }); return engine.liquidate({ close: 'full' }); })();
      // The execution's summary: two settle rows, deficits 2^62 + 2^62.
      expect(executed.totals).toMatchObject({ settlements: 2, deficitQuote: P63 });
      const report = engine.allocateLosses({ nowSec: 0 });
      expect(report).toMatchObject({ deficits: 2, deficitQuote: P63, uncoveredQuote: P63, clearingHouseQuote: 0n });
      expect(engine.waterfallBalances().uncoveredQuote).toBe(P63);
    });

    // Accounts 0 and 1 are members with F = 2^62 each and settle (collateral -2^62): defaulterFund
    // covers each record from its own account's fund, 2^62 + 2^62 = 2^63 in one step.
    it(`[${coreName(release)}] one step covering 2^63`, async () => {
      const engine = await withAccounts(release, [-P62, -P62]);
      engine.addDefaultFundContribution(0, P62);
      engine.addDefaultFundContribution(1, P62);
      const report = settleAndAllocate(engine, { steps: [{ kind: 'defaulterFund' }] });
      expect(report.steps[0]!.coveredQuote).toBe(P63);
      expect(report).toMatchObject({ deficitQuote: P63, clearingHouseQuote: P63, uncoveredQuote: 0n });
    });

    // Members' default fund 2^62 + 2^62 = 2^63 in the ledger (operator capital and default fund).
    it(`[${coreName(release)}] the ledger's default fund of 2^63`, async () => {
      const engine = await withAccounts(release, [0n, 0n]);
      engine.addDefaultFundContribution(0, P62);
      engine.addDefaultFundContribution(1, P62);
      expect(engine.ledger().operatorAndDefaultFundQuote).toBe(P63);
    });
  }
});

describe('balances that would pass 2^62 are refused with Overflow and nothing changes', () => {
  for (const release of CORES) {
    // The vault account already holds 2^62 (no shares yet): the first deposit mints one share per
    // atom, and the vault's collateral would be 2^62 + 2^62 = 2^63. It wrapped to -2^63.
    it(`[${coreName(release)}] vaultDeposit into a vault holding 2^62`, async () => {
      const engine = await withAccounts(release, [P62, P62]);
      engine.setVaultAccount(0);
      expectOverflowUnchanged(engine, () => engine.vaultDeposit(1, P62), 'collateralQuote');
    });

    // Provider 1 deposits 2^62 into the empty vault (2^62 shares), then gets 2^62 of collateral again:
    // withdrawing every share pays floor(2^62 * 2^62 / 2^62) = 2^62, and 2^62 + 2^62 would pass 2^62.
    it(`[${coreName(release)}] vaultWithdraw to a provider holding 2^62`, async () => {
      const engine = await withAccounts(release, [0n, P62]);
      engine.setVaultAccount(0);
      expect(engine.vaultDeposit(1, P62)).toBe(P62);
      engine.deposit(1, P62);
      expectOverflowUnchanged(engine, () => engine.vaultWithdraw(1, P62), 'collateralQuote');
    });

    // The same withdrawal to a provider holding 0 is an ordinary 2^62 (the engine refused it: the
    // amount hit its "below 2^62" quotient limit).
    it(`[${coreName(release)}] vaultWithdraw of exactly 2^62 pays it`, async () => {
      const engine = await withAccounts(release, [0n, P62]);
      engine.setVaultAccount(0);
      engine.vaultDeposit(1, P62);
      expect(engine.vaultWithdraw(1, P62)).toBe(P62);
      expect([engine.account(0).collateralQuote, engine.account(1).collateralQuote]).toEqual([0n, P62]);
      expect(engine.vault().totalShares).toBe(0n);
    });

    it(`[${coreName(release)}] a default-fund contribution past 2^62; 2^62 - 1 + 1 is fine`, async () => {
      const engine = await withAccounts(release, [0n, 0n]);
      engine.addDefaultFundContribution(0, P62);
      expectOverflowUnchanged(engine, () => engine.addDefaultFundContribution(0, P62), 'amountQuote');
      expect(engine.clearingMembers()).toEqual([{ accountId: 0, fundQuote: P62, committedQuote: P62, assessedQuote: 0n }]);
      engine.addDefaultFundContribution(1, P62 - 1n);
      engine.addDefaultFundContribution(1, 1n);
      expect(engine.clearingMembers()[1]!.fundQuote).toBe(P62);
    });

    it(`[${coreName(release)}] operator capital past 2^62`, async () => {
      const engine = await withAccounts(release, [0n]);
      engine.depositOperatorCapital(1, P62);
      expectOverflowUnchanged(engine, () => engine.depositOperatorCapital(1, P62), 'amountQuote');
      expect(engine.waterfallBalances().operatorCapitalQuote).toEqual([P62, 0n]);
    });

    it(`[${coreName(release)}] an insurance fund past 2^62`, async () => {
      const engine = await withAccounts(release, [0n]);
      engine.depositInsuranceFund(P62);
      expectOverflowUnchanged(engine, () => engine.depositInsuranceFund(P62), 'amountQuote');
      expect(engine.insuranceFund()).toBe(P62);
    });

    // Two longs of 2^62 base atoms in one market loaded together (mark 1, D = 10: each notional
    // floor(2^62 / 10) < 2^62): open interest long would be 2^63. The staged sum wrapped and the load
    // went through.
    it(`[${coreName(release)}] open interest past 2^62 from one load`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 1, markPrice: 1n, curve: FLAT });
      const before = stateDigest(engine);
      const err = caught(() => engine.addAccounts([
        { collateralQuote: P62, positions: [{ marketId: 0, sizeBase: P62, quoteBalance: 0n }] },
        { collateralQuote: P62, positions: [{ marketId: 0, sizeBase: P62, quoteBalance: 0n }] },
      ]));
      expect([err.codeName, err.field], err.message).toEqual(['Overflow', 'sizeBase']);
      expect(stateDigest(engine)).toBe(before);
    });

    // Open interest long is 2^62 (account 0); account 1 buys 2^62 more: 2^63 would pass 2^62.
    it(`[${coreName(release)}] open interest past 2^62 from a fill`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 1, markPrice: 1n, curve: FLAT });
      engine.addAccounts([
        { collateralQuote: P62, positions: [{ marketId: 0, sizeBase: P62, quoteBalance: 0n }] },
        { collateralQuote: P62 },
      ]);
      expectOverflowUnchanged(engine, () => engine.applyFill({ accountId: 1, marketId: 0, sizeDeltaBase: P62, priceQuote: 1n }), 'sizeBase');
    });

    // A fill whose collateral would leave i64 on the way: collateral 2^62, a long of 1 with quote
    // 2^62 - 1 and a funding credit of 2^62 - 1 (long index -2^61, snapshot 2^61 - 1: owed =
    // ceil(1 * (-2^61 - 2^61 + 1) / 1) = -(2^62 - 1)). Selling the 1 at 2: quoteClosed = 2^62 - 1,
    // cash = floor(1 * 2 / 1) = 2, collateral 2^62 + (2^62 - 1) + (2^62 - 1) + 2 = 3 * 2^62, outside
    // the supported range: Overflow on the collateral. The engine's running sum passed 2^63 - 1,
    // wrapped to -2^62, and the fill went through.
    it(`[${coreName(release)}] a fill whose collateral passes 2^63`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 1n, fundingIndexLong: -(1n << 61n), curve: FLAT });
      engine.addAccounts([{ collateralQuote: P62, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: P62 - 1n, fundingSnapshot: (1n << 61n) - 1n }] }]);
      expectOverflowUnchanged(engine, () => engine.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: -1n, priceQuote: 2n }), 'collateralQuote');
    });

    // Buying 1 (D = 1, mark 1) at a price of 2^62: cash = floor(-1 * 2^62 / 1) = -2^62, the quote
    // balance -2^62 (inside the range); the notional at the mark is 1. The engine refused the trade's
    // cash with its "below 2^62" quotient limit (Overflow, notional).
    it(`[${coreName(release)}] a fill whose cash is exactly -2^62`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: FLAT });
      engine.addAccounts([{ collateralQuote: P62 }]);
      engine.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: 1n, priceQuote: P62 });
      expect(engine.account(0).positions).toMatchObject([{ marketId: 0, sizeBase: 1n, quoteBalance: -P62 }]);
    });

    // Closing a long of 1 whose quote is exactly 2^62 (mark 1, collateral -2): quoteClosed = 2^62,
    // cash = floor(1 * 1 / 1) = 1, collateral -2 + 2^62 + 1 = 2^62 - 1. The engine computed
    // quoteClosed with its "below 2^62" quotient limit and refused the fill (Overflow, notional).
    it(`[${coreName(release)}] a fill closing a quote of exactly 2^62`, async () => {
      const engine = await createEngine({ release });
      engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: FLAT });
      engine.addAccounts([{ collateralQuote: -2n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: P62 }] }]);
      engine.applyFill({ accountId: 0, marketId: 0, sizeDeltaBase: -1n, priceQuote: 1n });
      expect(engine.account(0).collateralQuote).toBe(P62 - 1n);
      expect(engine.account(0).positions).toEqual([]);
    });
  }
});
