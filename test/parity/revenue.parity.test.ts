/**
 * Parity of trading fees and the revenue split: random fills with random fee schedules and sides
 * (taker or maker, rebates included) charge what the model's `fillFee` says, out of the right
 * collateral, into the right fee pool; then random splits distribute the pools exactly as the
 * model's `distribute` does (funds, vault, stakers' pools, treasury, PnL pools, residue), and the
 * ledger's total never moves across a distribution. Random funding accruals with random skims move
 * the indices and the skim pools as the model's `accrueFunding` does (every account's figures follow
 * the moved indices), and the split's third row distributes the skim pools.
 */
import { describe, expect, it } from 'vitest';
import { type RiskEngine } from '../../dist/src/node.js';
import { checkBook, cloneBook, type RefBook } from '../reference/model.js';
import { accrueFunding, distribute, DESTINATIONS, fillFee, type FundingMarket, type RevenueState } from '../reference/economics-revenue.js';
import { appendAccounts, expectResultsMatch, generateBook, Rng, scaleOf } from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { expectStateParity, randomFill, stepFill } from './fill-model.js';

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** A random split row: five shares summing to 10^6. */
function randomRow(rng: Rng): number[] {
  const cuts = [0, ...Array.from({ length: 4 }, () => rng.int(0, 1_000_000)).sort((a, b) => a - b), 1_000_000];
  return cuts.slice(1).map((c, i) => c - cuts[i]!);
}

/**
 * The model's state before a distribution: each market's pools (skim pools 0 unless given), the
 * balances of the funds the markets pay into (the global fund, and a market's own when it pays into
 * it), the vault account's collateral and the split, all read from the engine as it is.
 */
function modelState(engine: RiskEngine, funds: readonly number[], pools: readonly bigint[], vault: number | null, split: readonly number[][], skims?: readonly bigint[]): RevenueState {
  const fundIds = [0, ...funds.map((_, i) => i + 1)];
  const fundBalance = (f: number): bigint => (f === 0 ? engine.insuranceFund() : engine.insuranceFund(f - 1));
  return {
    markets: pools.map((p, i) => ({ fund: funds[i]!, feePool: p, pnlPool: 0n, liquidationRevenue: 0n, ...(skims ? { skimPool: skims[i]! } : {}) })),
    funds: fundIds.map((f) => (f === 0 || funds[f - 1] === f ? fundBalance(f) : 0n)),
    revenuePools: fundIds.map(() => 0n),
    treasury: 0n, residue: 0n,
    vault: vault === null ? null : engine.account(vault).collateralQuote,
    split: split.map((r) => r.map(BigInt)),
  };
}

async function venue(seed: number, release: boolean): Promise<{ engine: RiskEngine; book: RefBook; fees: [number, number][]; funds: number[] }> {
  const rng = new Rng(seed);
  const book = generateBook({ seed: 9100 + seed, accounts: 24, markets: 4, isolated: 0.3, extreme: 0 });
  const engine = await createEngine({ release, maxPositions: 24 * 8 + 64 });
  const fees: [number, number][] = [], funds: number[] = [];
  book.markets.forEach((m, i) => {
    const own = rng.chance(0.5);
    engine.addMarket({ ...m, insuranceFund: own ? 'own' : 'global' });
    funds.push(own ? i + 1 : 0);
    const taker = rng.pick([0, 1, 250, 500, 999_999]);
    const maker = rng.pick([0, -taker, Math.trunc(-taker / 3), 17]);
    engine.setMarketFees(i, { makerPpm: maker, takerPpm: taker });
    fees.push([maker, taker]);
  });
  // The book's accounts, with plenty of collateral so that fees never pass the supported range.
  const rich = { ...book, markets: [], accounts: book.accounts.map((a) => ({ ...a, collateralQuote: a.collateralQuote + (1n << 50n) })) };
  appendAccounts(engine, rich.accounts, 'objects');
  return { engine, book: { markets: book.markets, accounts: rich.accounts }, fees, funds };
}

describe('revenue parity', () => {
  it.each([false, true])('fills charge the model fee into the pool; distribution matches the model (release core: %s)', async (release) => {
    for (let seed = 1; seed <= 6; seed++) {
      const rng = new Rng(500 + seed);
      const v = await venue(seed, release);
      const { engine, fees, funds } = v;
      let book = v.book;
      const pools = fees.map(() => 0n);
      for (let i = 0; i < 60; i++) {
        const fill = randomFill(rng, book);
        const maker = rng.chance(0.5);
        const [makerPpm, takerPpm] = fees[fill.marketId]!;
        const m = book.markets[fill.marketId]!;
        const fee = fillFee(abs(fill.sizeDeltaBase), fill.priceQuote, scaleOf(m), BigInt(maker ? makerPpm : takerPpm))!;
        const before = engine.revenue().markets[fill.marketId]!.feePoolQuote;
        const next = stepFill(engine, book, { ...fill, liquidity: maker ? 'maker' : 'taker' } as typeof fill);
        if (next === book) { expect(engine.revenue().markets[fill.marketId]!.feePoolQuote).toBe(before); continue; }
        // The fee leaves the group the fill traded: an isolated position still open, else the cross account.
        const after = cloneBook(next);
        const acc = after.accounts[fill.accountId]!;
        const iso = fill.isolated ? acc.isolated.find((p) => p.marketId === fill.marketId) : undefined;
        if (iso) iso.collateralQuote -= fee; else acc.collateralQuote -= fee;
        book = after;
        pools[fill.marketId]! += fee;
        expectStateParity(engine, book);
        expect(engine.revenue().markets[fill.marketId]!.feePoolQuote - before, `fill ${i}`).toBe(fee);
      }
      expect(engine.revenue().markets.map((r) => r.feePoolQuote)).toEqual(pools);

      // Distribute with a random split, with or without a vault account.
      const vault = rng.chance(0.5) ? rng.int(0, book.accounts.length - 1) : null;
      if (vault !== null) engine.setVaultAccount(vault);
      const split = [randomRow(rng), randomRow(rng), randomRow(rng)];
      engine.setRevenueSplit({
        tradingFees: Object.fromEntries(DESTINATIONS.map((d, j) => [d, split[0]![j]!])),
        liquidationFees: Object.fromEntries(DESTINATIONS.map((d, j) => [d, split[1]![j]!])),
        fundingSkim: Object.fromEntries(DESTINATIONS.map((d, j) => [d, split[2]![j]!])),
      });
      const state = modelState(engine, funds, pools, vault, split);
      const total = engine.ledger().totalQuote, residue = engine.waterfallBalances().residueQuote;
      distribute(state);
      engine.distributeRevenue(seed);
      const r = engine.revenue();
      expect(r.treasuryQuote).toBe(state.treasury);
      expect(r.markets.map((x) => [x.feePoolQuote, x.pnlPoolQuote])).toEqual(state.markets.map((x) => [x.feePool, x.pnlPool]));
      expect(engine.insuranceFund()).toBe(state.funds[0]);
      funds.forEach((f, i) => { if (f !== 0) expect(engine.insuranceFund(i)).toBe(state.funds[f]); });
      expect(engine.ledger().revenuePoolsQuote).toBe(state.revenuePools.reduce((a, b) => a + b, 0n));
      if (vault !== null) expect(engine.account(vault).collateralQuote).toBe(state.vault);
      expect(engine.waterfallBalances().residueQuote - residue).toBe(state.residue);
      expect(engine.ledger().totalQuote).toBe(total);
    }
  });

  it.each([false, true])('funding accruals with skims move indices and skim pools as the model; the third row distributes them (release core: %s)', async (release) => {
    for (let seed = 1; seed <= 4; seed++) {
      const rng = new Rng(700 + seed);
      const v = await venue(seed, release);
      const { engine, funds } = v;
      const book = cloneBook(v.book);
      const skims = book.markets.map(() => 0n), pools = book.markets.map(() => 0n);
      for (let i = 0; i < 80; i++) {
        const id = rng.int(0, book.markets.length - 1);
        if (rng.chance(0.2)) {
          const amount = BigInt(rng.int(1, 1_000_000_000));
          engine.collectFees(id, amount, i);
          pools[id]! += amount;
          continue;
        }
        const st = engine.market(id);
        const m: FundingMarket = {
          mark: st.markPrice, d: scaleOf(book.markets[id]!), oiLong: st.openInterestLongBase, oiShort: st.openInterestShortBase,
          fundingLong: st.fundingIndexLong, fundingShort: st.fundingIndexShort, skimPool: skims[id]!,
        };
        const r = rng.pick([0, 1, -1, 37, -37, 100, -100, rng.int(-5_000, 5_000)]);
        const k = rng.pick([0, 1, 200_000, 999_999, 1_000_000, rng.int(0, 1_000_000)]);
        const total = engine.ledger().totalQuote;
        const want = accrueFunding(m, BigInt(r), BigInt(k))!;
        const got = engine.accrueFunding(id, k === 0 && rng.chance(0.5) ? { ratePpm: r } : { ratePpm: r, skimPpm: k }, i);
        expect([got.fundingLongDelta, got.fundingShortDelta, got.skimQuote], `accrual ${i}`).toEqual([want.long, want.short, want.skim]);
        const after = engine.market(id);
        expect([after.fundingIndexLong, after.fundingIndexShort]).toEqual([m.fundingLong, m.fundingShort]);
        expect(engine.ledger().totalQuote - total).toBe(want.skim);
        skims[id] = m.skimPool;
        book.markets[id] = { ...book.markets[id]!, fundingIndexLong: m.fundingLong, fundingIndexShort: m.fundingShort };
      }
      expect(engine.revenue().markets.map((x) => x.skimPoolQuote)).toEqual(skims);
      expect(engine.flowLog.records().filter((f) => f.kind === 'fundingSkim').reduce((a, f) => a + f.amountQuote, 0n)).toBe(skims.reduce((a, b) => a + b, 0n));
      // Every account's figures follow the moved indices.
      engine.check();
      expectResultsMatch(engine, book, checkBook(book), { isolated: 'key' });

      const vault = rng.chance(0.5) ? rng.int(0, book.accounts.length - 1) : null;
      if (vault !== null) engine.setVaultAccount(vault);
      const split = [randomRow(rng), randomRow(rng), randomRow(rng)];
      engine.setRevenueSplit({
        tradingFees: Object.fromEntries(DESTINATIONS.map((d, j) => [d, split[0]![j]!])),
        fundingSkim: Object.fromEntries(DESTINATIONS.map((d, j) => [d, split[2]![j]!])),
      });
      split[1] = [1_000_000, 0, 0, 0, 0]; // the liquidation row stays the default (nothing to re-route here)
      const state = modelState(engine, funds, pools, vault, split, skims);
      const total = engine.ledger().totalQuote, residue = engine.waterfallBalances().residueQuote;
      distribute(state);
      const report = engine.distributeRevenue(seed);
      const r = engine.revenue();
      expect(r.treasuryQuote).toBe(state.treasury);
      expect(r.markets.map((x) => [x.feePoolQuote, x.skimPoolQuote, x.pnlPoolQuote])).toEqual(state.markets.map((x) => [x.feePool, 0n, x.pnlPool]));
      expect(engine.insuranceFund()).toBe(state.funds[0]);
      funds.forEach((f, i) => { if (f !== 0) expect(engine.insuranceFund(i)).toBe(state.funds[f]); });
      expect(engine.ledger().revenuePoolsQuote).toBe(state.revenuePools.reduce((a, b) => a + b, 0n));
      if (vault !== null) expect(engine.account(vault).collateralQuote).toBe(state.vault);
      expect(engine.waterfallBalances().residueQuote - residue).toBe(state.residue);
      expect(engine.ledger().totalQuote).toBe(total);
      // The skim row's shares: floors of each market's skim pool (columns in DESTINATIONS order).
      const skimShares = DESTINATIONS.map((_, j) => skims.reduce((a, p) => a + (p * BigInt(split[2]![j]!)) / 1_000_000n, 0n));
      if (vault === null) { skimShares[3]! += skimShares[1]!; skimShares[1] = 0n; } // no vault account: its share to the treasury
      expect(DESTINATIONS.map((d) => report.bySource.fundingSkim[d])).toEqual(skimShares);
    }
  });
});
