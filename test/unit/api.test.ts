/**
 * The public API around the core: lifecycle, zero-copy views versus copies, decimal-string
 * conversion, the three ways to load a book, atomic bulk commits, capacity at creation, and the
 * position arena's compaction under fills.
 */
import { describe, expect, it } from 'vitest';
import { EngineError, formatAtoms, InputError, RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;
const FLAT = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

describe('api: lifecycle', () => {
  it('api: after dispose() every call throws telling to create a new engine; dispose twice is fine', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT });
    e.addAccounts([{ collateralQuote: 1n }]);
    e.check();
    e.dispose();
    const calls: [string, () => unknown][] = [
      ['accountCount', () => e.accountCount],
      ['marketCount', () => e.marketCount],
      ['capacity', () => e.capacity],
      ['addMarket', () => e.addMarket({ baseDecimals: 8, markPrice: 1n, curve: FLAT })],
      ['addAccounts', () => e.addAccounts([{}])],
      ['reserve', () => e.reserve({ accounts: 1, positions: 0 })],
      ['setMarks', () => e.setMarks([m], [1n])],
      ['applyFill', () => e.applyFill({ accountId: 0, marketId: m, sizeDeltaBase: 1n, priceQuote: 1n })],
      ['preTrade', () => e.preTrade({ accountId: 0, marketId: m, sizeDeltaBase: 1n, priceQuote: 1n })],
      ['deposit', () => e.deposit(0, 1n)],
      ['check', () => e.check()],
      ['checkMarkets', () => e.checkMarkets([m])],
      ['account', () => e.account(0)],
      ['market', () => e.market(m)],
      ['summary', () => e.summary()],
      ['resultsView', () => e.resultsView()],
      ['riskOrder', () => e.riskOrder()],
      ['compact', () => e.compact()],
    ];
    for (const [name, call] of calls) expect(call, name).toThrow(/disposed.*create a new one/);
    expect(() => e.dispose()).not.toThrow();
    expect(() => e[Symbol.dispose]()).not.toThrow();
  });

  it('api: [Symbol.dispose] disposes like dispose()', async () => {
    const e = await createEngine();
    e[Symbol.dispose]();
    expect(() => e.accountCount).toThrow(/create a new one/);
  });

  it('api: a capacity that does not fit a 4 GiB memory throws EngineError CapacityExceeded at creation', async () => {
    const err = await createEngine({ maxAccounts: 500_000_000, maxPositions: 1, maxIsolated: 1, maxMarkets: 1 }).then(() => null, (x: unknown) => x as RiskCoreError);
    expect(err).toBeInstanceOf(EngineError);
    expect([err!.codeName, err!.field]).toEqual(['CapacityExceeded', 'capacity']);
    // A capacity that is not a u32 count is bad input, found before the core is touched.
    const bad = await createEngine({ maxAccounts: 1.5 }).then(() => null, (x: unknown) => x as RiskCoreError);
    expect(bad).toBeInstanceOf(InputError);
    expect([bad!.codeName, bad!.field]).toEqual(['InvalidNumber', 'maxAccounts']);
    // The capacities asked for are the ones reported.
    const ok = await createEngine({ maxAccounts: 3, maxPositions: 5, maxIsolated: 2, maxMarkets: 7 });
    expect(ok.capacity).toEqual({ accounts: 3, positions: 5, isolated: 2, markets: 7 });
  });
});

describe('api: views and copies', () => {
  it('api: resultsView is zero-copy over the published results (a later check shows at the next resultsView); account() and riskOrder() copy', async () => {
    const e = await createEngine();
    // D = 100, mark 1,000 USDC, 10 % / 5 %: 1 unit bought at the mark: value 0, IM 100, MM 50.
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT });
    const [a, b] = e.addAccounts([
      { collateralQuote: 10n * USD, positions: [{ marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD }] },
      { collateralQuote: 20n * USD, positions: [{ marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD }], isolated: [] },
    ]);
    e.check();
    const view = e.resultsView();
    const snapshot = e.account(a!);
    const order = e.riskOrder();
    expect(order).toEqual([a, b]); // 10/50 < 20/50
    expect([view.equityQuote[a!], view.health[a!]]).toEqual([10n * USD, 2]);
    // a deposits 100: equity 110 >= IM 100: healthy. The view shows it once the results are published
    // again (the next resultsView(), into the same memory); the copies never do.
    e.deposit(a!, '100');
    e.check();
    expect([view.equityQuote[a!], view.health[a!]]).toEqual([10n * USD, 2]);
    expect(e.resultsView().equityQuote.byteOffset).toBe(view.equityQuote.byteOffset);
    expect([view.equityQuote[a!], view.freeQuote[a!], view.health[a!]]).toEqual([110n * USD, 10n * USD, 0]);
    expect(snapshot.figures.equityQuote).toBe(10n * USD);
    expect(snapshot.collateralQuote).toBe(10n * USD);
    expect(order).toEqual([a, b]);
    expect(e.riskOrder()).toEqual([b]);
  });

  it('api: isolatedResultsView is zero-copy over the published results too', async () => {
    const e = await createEngine();
    const m = e.addMarket({ baseDecimals: 2, markPrice: 1_000n * USD, curve: FLAT });
    e.addAccounts([{ collateralQuote: 0n, isolated: [{ marketId: m, sizeBase: 100n, quoteBalance: -1_000n * USD, collateralQuote: 100n * USD }] }]);
    e.check();
    const v = e.isolatedResultsView();
    expect(v.equityQuote[0]).toBe(100n * USD);
    // mark 1,000 -> 900: value = floor(100 * 900e6 / 100) - 1e9 = -100e6: equity 0.
    e.setMarks([m], [900n * USD]);
    e.checkMarkets([m]);
    e.isolatedResultsView();
    expect([v.equityQuote[0], v.imQuote[0], v.mmQuote[0], v.health[0]]).toEqual([0n, 90n * USD, 45n * USD, 2]);
  });
});

describe('api: decimal strings convert exactly', () => {
  it('api: prices, sizes, collateral and indices from decimal strings', async () => {
    const e = await createEngine();
    // '60000.5' with 6 quote decimals = 60,000,500,000 atoms.
    const m = e.addMarket({ baseDecimals: 8, markPrice: '60000.5', fundingIndexLong: '-0.5', fundingIndexShort: '+2', curve: FLAT });
    expect(e.market(m)).toMatchObject({ markPrice: 60_000_500_000n, fundingIndexLong: -500_000n, fundingIndexShort: 2_000_000n, baseDecimals: 8 });
    // '-0.00000001' BTC with 8 base decimals = -1 atom; '1_000.25' USDC = 1,000,250,000; ' 0.000001 ' = 1.
    const [a] = e.addAccounts([{ collateralQuote: '1_000.25', positions: [{ marketId: m, sizeBase: '-0.00000001', quoteBalance: ' 0.000001 ', fundingSnapshot: '3.' }] }]);
    const acc = e.account(a!);
    expect(acc.collateralQuote).toBe(1_000_250_000n);
    expect(acc.positions).toEqual([{ marketId: m, sizeBase: -1n, quoteBalance: 1n, fundingSnapshot: 3_000_000n }]);
    // A fill of '0.5' BTC (50,000,000 atoms) at '60000.000001' (60,000,000,001) flips the 1-atom short:
    //   funding: owed = ceil(-1 * (2,000,000 - 3,000,000) / 1e8) = ceil(0.01) = 1: collateral 1,000,249,999
    //   close: collateral += 1 + floor(-1 * 60,000,000,001 / 1e8) = 1 + floor(-600.00000001) = 1 - 601
    //          -> 1,000,249,399
    //   open 49,999,999 atoms: quote = floor(-49,999,999 * 60,000,000,001 / 1e8)
    //          = floor(-29,999,999,400.49999999) = -29,999,999,401; snapshot = long index -500,000
    e.applyFill({ accountId: a!, marketId: m, sizeDeltaBase: '0.5', priceQuote: '60000.000001' });
    const after = e.account(a!);
    expect(after.collateralQuote).toBe(1_000_249_399n);
    expect(after.positions).toEqual([{ marketId: m, sizeBase: 49_999_999n, quoteBalance: -29_999_999_401n, fundingSnapshot: -500_000n }]);
    expect(formatAtoms(-1n, 8)).toBe('-0.00000001');
    expect(formatAtoms(60_000_500_000n, 6)).toBe('60000.500000');
  });

  it('api: quoteDecimals sets the scale of quote strings', async () => {
    const e = await createEngine({ quoteDecimals: 2 });
    expect(e.quoteDecimals).toBe(2);
    const m = e.addMarket({ baseDecimals: 0, markPrice: '19.99', curve: FLAT });
    expect(e.market(m).markPrice).toBe(1_999n);
    const [a] = e.addAccounts([{ collateralQuote: '1.5' }]);
    expect(e.account(a!).collateralQuote).toBe(150n);
    expect(caught(() => e.deposit(a!, '1.555'))).toMatchObject({ codeName: 'InvalidNumber', field: 'amountQuote' });
  });
});

describe('api: loading a book', () => {
  // m0: BTC D = 1e8, mark 50,000, flat 10 % / 5 %; m1: ETH D = 1e8, mark 3,000, tiers (2 %/1 % then 5 %/2.5 % from 100,000).
  async function engineWithMarkets(): Promise<RiskEngine> {
    const e = await createEngine();
    e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT });
    e.addMarket({ baseDecimals: 8, markPrice: 3_000n * USD, curve: { kind: 'tiers', tiers: [{ notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 }, { notionalFloorQuote: 100_000n * USD, imfPpm: 50_000, mmfPpm: 25_000 }] } });
    return e;
  }
  // The book: three accounts, three cross positions, one isolated.
  const A = { collateral: [1_000n * USD, -5n * USD, 50n * USD], floor: [0, 200_000, 0], count: [2, 1, 0] };
  const P = { market: [0, 1, 1], size: [10_000_000n, -200_000_000n, 100_000_000n], quote: [-5_000n * USD, 6_000n * USD, -2_900n * USD], snap: [0n, 1_000n, 0n] };
  const I = { account: [2], market: [0], size: [-1_000_000n], quote: [510n * USD], snap: [0n], collateral: [20n * USD] };

  it('api: appendColumns (one copy), reserve/commit (zero copy) and addAccounts load the same book', async () => {
    const viaObjects = await engineWithMarkets();
    viaObjects.addAccounts([
      { collateralQuote: A.collateral[0], imfFloorPpm: A.floor[0], positions: [0, 1].map((k) => ({ marketId: P.market[k]!, sizeBase: P.size[k]!, quoteBalance: P.quote[k], fundingSnapshot: P.snap[k] })) },
      { collateralQuote: A.collateral[1], imfFloorPpm: A.floor[1], positions: [{ marketId: P.market[2]!, sizeBase: P.size[2]!, quoteBalance: P.quote[2], fundingSnapshot: P.snap[2] }] },
      { collateralQuote: A.collateral[2], imfFloorPpm: A.floor[2], isolated: [{ marketId: I.market[0]!, sizeBase: I.size[0]!, quoteBalance: I.quote[0], fundingSnapshot: I.snap[0], collateralQuote: I.collateral[0] }] },
    ]);

    const viaColumns = await engineWithMarkets();
    expect(viaColumns.appendColumns({
      accounts: { collateralQuote: BigInt64Array.from(A.collateral), imfFloorPpm: Uint32Array.from(A.floor), positionCount: Uint32Array.from(A.count) },
      positions: { marketId: Uint16Array.from(P.market), sizeBase: BigInt64Array.from(P.size), quoteBalance: BigInt64Array.from(P.quote), fundingSnapshot: BigInt64Array.from(P.snap) },
      isolated: { accountId: Uint32Array.from(I.account), marketId: Uint16Array.from(I.market), sizeBase: BigInt64Array.from(I.size), quoteBalance: BigInt64Array.from(I.quote), fundingSnapshot: BigInt64Array.from(I.snap), collateralQuote: BigInt64Array.from(I.collateral) },
    })).toBe(0);

    const viaReserve = await engineWithMarkets();
    const batch = viaReserve.reserve({ accounts: 3, positions: 3, isolated: 1 });
    expect(batch.firstAccountId).toBe(0);
    batch.accounts.collateralQuote.set(A.collateral); batch.accounts.imfFloorPpm.set(A.floor); batch.accounts.positionCount.set(A.count);
    batch.positions.marketId.set(P.market); batch.positions.sizeBase.set(P.size); batch.positions.quoteBalance.set(P.quote); batch.positions.fundingSnapshot.set(P.snap);
    batch.isolated.accountId.set(I.account); batch.isolated.marketId.set(I.market); batch.isolated.sizeBase.set(I.size);
    batch.isolated.quoteBalance.set(I.quote); batch.isolated.fundingSnapshot.set(I.snap); batch.isolated.collateralQuote.set(I.collateral);
    expect(viaReserve.commit(batch)).toBe(0);

    for (const e of [viaObjects, viaColumns, viaReserve]) e.check();
    const reference = stateDigest(viaObjects);
    expect(stateDigest(viaColumns)).toBe(reference);
    expect(stateDigest(viaReserve)).toBe(reference);
    expect(viaReserve.summary()).toEqual(viaObjects.summary());
    // And the book is the intended one. Account 1: floor 20 %, long 1 ETH with quote -2,900, collateral -5:
    // value = 3,000 - 2,900 = 100; equity = 95; N = 3,000 (tier 0): IM = 3,000 * max(2 %, 20 %) = 600; MM = 1 % = 30.
    expect(viaReserve.account(1).figures).toEqual({ equityQuote: 95n * USD, imQuote: 600n * USD, mmQuote: 30n * USD, freeQuote: -505n * USD, health: 1 });
    // Isolated (account 2): short 0.01 BTC sold at 51,000 (quote 510), own collateral 20: value = -500 + 510 = 10;
    // equity 30; N = 500: IM 50, MM 25: belowInitial.
    expect(viaReserve.account(2).isolated[0]!.figures).toEqual({ equityQuote: 30n * USD, imQuote: 50n * USD, mmQuote: 25n * USD, freeQuote: -20n * USD, health: 1 });
    expect(viaReserve.market(1).openInterestLongBase).toBe(100_000_000n);
    expect(viaReserve.market(1).openInterestShortBase).toBe(200_000_000n);
  });

  it('api: a reserve batch that fails commit leaves the engine unchanged; the next valid batch works', async () => {
    const e = await engineWithMarkets();
    e.addAccounts([{ collateralQuote: 7n * USD, positions: [{ marketId: 0, sizeBase: 1n }] }]);
    e.check();
    const before = stateDigest(e);
    const tally = e.summary();
    const bad = e.reserve({ accounts: 2, positions: 2, isolated: 1 });
    expect(bad.firstAccountId).toBe(1);
    bad.accounts.collateralQuote.set([1n, 2n]); bad.accounts.positionCount.set([1, 1]);
    bad.positions.marketId.set([0, 9]); bad.positions.sizeBase.set([5n, 6n]); // market 9 does not exist
    bad.isolated.accountId.set([2]); bad.isolated.marketId.set([1]); bad.isolated.sizeBase.set([1n]);
    const err = caught(() => e.commit(bad));
    expect(err).toBeInstanceOf(InputError);
    expect([err.codeName, err.field, err.row]).toEqual(['UnknownMarket', 'marketId', 1]);
    expect(stateDigest(e)).toBe(before);
    expect(e.summary()).toEqual(tally);

    // Same shape, but the isolated row names account 0, which is not in the batch.
    const bad2 = e.reserve({ accounts: 2, positions: 2, isolated: 1 });
    bad2.positions.marketId.set([0, 1]);
    bad2.isolated.accountId.set([0]);
    expect(caught(() => e.commit(bad2))).toMatchObject({ codeName: 'UnknownAccount', field: 'accountId', row: 0 });
    expect(stateDigest(e)).toBe(before);

    const good = e.reserve({ accounts: 2, positions: 2, isolated: 1 });
    expect(good.firstAccountId).toBe(1);
    good.accounts.collateralQuote.set([1n, 2n]); good.accounts.imfFloorPpm.set([0, 0]); good.accounts.positionCount.set([1, 1]);
    good.positions.marketId.set([0, 1]); good.positions.sizeBase.set([5n, 6n]); good.positions.quoteBalance.set([0n, 0n]); good.positions.fundingSnapshot.set([0n, 0n]);
    good.isolated.accountId.set([2]); good.isolated.marketId.set([0]); good.isolated.sizeBase.set([-3n]);
    good.isolated.quoteBalance.set([0n]); good.isolated.fundingSnapshot.set([0n]); good.isolated.collateralQuote.set([4n]);
    expect(e.commit(good)).toBe(1);
    expect(e.accountCount).toBe(3);
    expect(e.account(1).positions).toEqual([{ marketId: 0, sizeBase: 5n, quoteBalance: 0n, fundingSnapshot: 0n }]);
    expect(e.account(2).positions).toEqual([{ marketId: 1, sizeBase: 6n, quoteBalance: 0n, fundingSnapshot: 0n }]);
    expect(e.account(2).isolated.map((r) => [r.marketId, r.sizeBase, r.collateralQuote])).toEqual([[0, -3n, 4n]]);
    // Open interest: 1 (account 0) + 5 longs; 3 isolated short in market 0.
    expect([e.market(0).openInterestLongBase, e.market(0).openInterestShortBase]).toEqual([6n, 3n]);
  });

  it('api: a batch staged before another call is refused at commit (the book moved)', async () => {
    const e = await engineWithMarkets();
    const batch = e.reserve({ accounts: 1, positions: 0 });
    e.addAccounts([{}]);
    expect(caught(() => e.commit(batch))).toMatchObject({ codeName: 'CountMismatch', field: 'batch' });
    expect(e.accountCount).toBe(1);
  });
});

describe('api: a staged batch and the book moving under it', () => {
  it('api: a commit after a fill moved the arena end is refused and changes nothing', async () => {
    const e = await createEngine({ maxAccounts: 8, maxPositions: 64, maxIsolated: 4, maxMarkets: 2 });
    const [m0, m1] = [0, 1].map(() => e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT }));
    e.addAccounts([{ collateralQuote: 10_000n, positions: [{ marketId: m0!, sizeBase: 1n, quoteBalance: -100n }] }]);
    const batch = e.reserve({ accounts: 1, positions: 1 });
    batch.accounts.positionCount[0] = 1;
    batch.positions.marketId[0] = m0!;
    batch.positions.sizeBase[0] = 2n;
    // Account 0's block is full (1 of 1): opening m1 moves it to the arena's end, over the staged rows.
    e.applyFill({ accountId: 0, marketId: m1!, sizeDeltaBase: 1n, priceQuote: 100n });
    const before = JSON.stringify(e.account(0), (_, v) => (typeof v === 'bigint' ? `${v}` : v));
    expect(() => e.commit(batch)).toThrow(/CountMismatch.*reserve again/);
    expect(e.accountCount).toBe(1);
    expect(JSON.stringify(e.account(0), (_, v) => (typeof v === 'bigint' ? `${v}` : v))).toBe(before);
    expect(e.account(0).positions.map((p) => p.marketId).sort()).toEqual([m0, m1]);
  });
});

describe('api: position arena compaction under fills', () => {
  // D = 1, mark 100 USDC, flat 10 % / 5 %, every fill at the mark: k units have quote -100k USDC, value 0,
  // IM 10k USDC and MM 5k USDC. Accounts start with 1,000 USDC and (i + 1) units of m0.
  it('api: fills that open new positions move blocks and compact a small arena; every position survives', async () => {
    const e = await createEngine({ maxAccounts: 4, maxPositions: 17, maxIsolated: 1, maxMarkets: 3 });
    const ms = [0, 1, 2].map(() => e.addMarket({ baseDecimals: 0, markPrice: 100n * USD, curve: FLAT }));
    e.addAccounts([0, 1, 2, 3].map((i) => ({ collateralQuote: 1_000n * USD, positions: [{ marketId: ms[0]!, sizeBase: BigInt(i + 1), quoteBalance: -BigInt(i + 1) * 100n * USD }] })));
    const buy = (a: number, m: number, units: bigint) => e.applyFill({ accountId: a, marketId: ms[m]!, sizeDeltaBase: units, priceQuote: 100n * USD });
    e.check();
    e.checkMarkets([ms[2]!]); // builds the market index before the moves
    // Each account opens m1 (its block of 1 moves to the arena's end with room for 4; the fourth move compacts),
    // then m2; account 2 closes its m0 (quote -300 + cash 300: collateral stays 1,000) and opens m2.
    for (const a of [0, 1, 2, 3]) buy(a, 1, BigInt(a + 1));
    for (const a of [0, 1]) buy(a, 2, BigInt(a + 1));
    buy(2, 0, -3n);
    buy(2, 2, 3n);
    buy(3, 2, 4n);
    e.compact();
    const expected = [
      [[0, 1n], [1, 1n], [2, 1n]],
      [[0, 2n], [1, 2n], [2, 2n]],
      [[1, 3n], [2, 3n]],
      [[0, 4n], [1, 4n], [2, 4n]],
    ];
    for (const a of [0, 1, 2, 3]) {
      const acc = e.account(a);
      expect(acc.collateralQuote, `account ${a}`).toBe(1_000n * USD);
      const got = acc.positions.map((p) => [p.marketId, p.sizeBase, p.quoteBalance] as const).sort((x, y) => x[0] - y[0]);
      expect(got, `account ${a}`).toEqual(expected[a]!.map(([m, k]) => [m, k, -(k as bigint) * 100n * USD]));
    }
    expect(ms.map((m) => e.market(m).openInterestLongBase)).toEqual([7n, 10n, 10n]);
    e.check();
    // IM = 10 % of the summed notional: account 0: 300 -> 30 / 15; 1: 600 -> 60 / 30; 2: 600 -> 60 / 30; 3: 1,200 -> 120 / 60.
    const v = e.resultsView();
    expect(Array.from(v.equityQuote)).toEqual([1_000n * USD, 1_000n * USD, 1_000n * USD, 1_000n * USD]);
    expect(Array.from(v.imQuote)).toEqual([30n * USD, 60n * USD, 60n * USD, 120n * USD]);
    expect(Array.from(v.mmQuote)).toEqual([15n * USD, 30n * USD, 30n * USD, 60n * USD]);
    // Incremental check after the moves: m2 to 90. Account 0: m2 value 90 - 100 = -10: equity 990;
    // N = 100 + 100 + 90 = 290: IM 29, MM 14.5. Account 3: 4 * 90 - 400 = -40: equity 960; N = 1,160: IM 116, MM 58.
    e.setMarks([ms[2]!], [90n * USD]);
    expect(e.checkMarkets([ms[2]!]).checked.accounts.healthy).toBe(4);
    e.resultsView(); // publishes the rows the incremental check wrote, into the same view
    expect([v.equityQuote[0], v.imQuote[0], v.mmQuote[0]]).toEqual([990n * USD, 29n * USD, 14_500_000n]);
    expect([v.equityQuote[3], v.imQuote[3], v.mmQuote[3]]).toEqual([960n * USD, 116n * USD, 58n * USD]);
  });

  it('api: an arena with free slots takes new positions from fills up to maxPositions', async () => {
    // maxPositions 4: account 0 holds 2 positions, account 1 none. Opening 2 positions for account 1 makes
    // 4 live positions = capacity, so both fills must succeed: a block that cannot double takes what is free
    // (after compaction, with the growing block placed last). A fifth position is refused.
    const e = await createEngine({ maxAccounts: 2, maxPositions: 4, maxIsolated: 1, maxMarkets: 3 });
    const ms = [0, 1, 2].map(() => e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT }));
    e.addAccounts([{ collateralQuote: 1_000n, positions: [{ marketId: ms[0]!, sizeBase: 1n }, { marketId: ms[1]!, sizeBase: 1n }] }, { collateralQuote: 1_000n }]);
    e.applyFill({ accountId: 1, marketId: ms[0]!, sizeDeltaBase: 1n, priceQuote: 100n });
    e.applyFill({ accountId: 1, marketId: ms[2]!, sizeDeltaBase: 1n, priceQuote: 100n });
    expect(e.account(1).positions.length).toBe(2);
    expect(e.account(0).positions.length).toBe(2);
    expect(() => e.applyFill({ accountId: 0, marketId: ms[2]!, sizeDeltaBase: 1n, priceQuote: 100n })).toThrow(/CapacityExceeded/);
    expect(e.account(0).positions.length).toBe(2);
  });
});
