/**
 * Liquidation errors: bad input gets a typed error naming its code, field and row, and changes
 * nothing (accounts, markets, insurance funds, deficit records, the ledger).
 */
import { describe, expect, it } from 'vitest';
import { EngineError, InputError, StatusCode, type LiquidationPolicy, RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;
const FLAT = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

/** Everything a liquidation call could touch, as text. */
function digest(engine: RiskEngine): string {
  const funds = [engine.insuranceFund(), ...Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m))];
  return stateDigest(engine) + JSON.stringify([funds, engine.deficits(), engine.ledger()], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * m0: BTC-like (D = 1e8, mark 50,000, IM 10 % / MM 5 %), m1: ETH-like (mark 2,000), own fund.
 * a0: long 1 BTC at the mark, collateral 2,000 (E 2,000 < MM 2,500); a1: long 10 ETH at the mark,
 * collateral 700 (E 700 < MM 1,000); a2: healthy, 10,000 USD, no position. Checked.
 */
async function fixture(): Promise<RiskEngine> {
  const e = await createEngine();
  e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT });
  e.addMarket({ baseDecimals: 8, markPrice: 2_000n * USD, curve: FLAT, insuranceFund: 'own' });
  e.addAccounts([
    { collateralQuote: 2_000n * USD, positions: [{ marketId: 0, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD }] },
    { collateralQuote: 700n * USD, positions: [{ marketId: 1, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD }] },
    { collateralQuote: 10_000n * USD },
  ]);
  e.check();
  return e;
}

/** Runs `fn`, which must throw `cls` with this code, field and row, and must change nothing. */
function expectRefused(e: RiskEngine, fn: () => unknown, cls: typeof InputError | typeof EngineError, code: string, field: string, row: number): RiskCoreError {
  const before = digest(e);
  const err = caught(fn);
  expect(err, String(err)).toBeInstanceOf(cls);
  expect({ codeName: err.codeName, code: err.code, field: err.field, row: err.row }, String(err)).toEqual({ codeName: code, code: StatusCode[code as keyof typeof StatusCode], field, row });
  expect(digest(e)).toBe(before);
  return err;
}

describe('liquidation errors: plans edited into something invalid', () => {
  it('liquidation errors: a plan row edited to price 0 is refused naming priceQuote and that row', async () => {
    const e = await fixture();
    const plan = e.planLiquidations({ close: 'full' });
    expect(plan.rows).toBe(2);
    plan.view.priceQuote[1] = 0n;
    expectRefused(e, () => e.executeLiquidations(), InputError, 'InvalidPrice', 'priceQuote', 1);
    plan.view.priceQuote[1] = 2_000n * USD;
    plan.view.priceQuote[0] = (1n << 62n) + 1n;
    expectRefused(e, () => e.executeLiquidations(), InputError, 'InvalidPrice', 'priceQuote', 0);
    plan.view.priceQuote[0] = -5n;
    expectRefused(e, () => e.executeLiquidations(), InputError, 'InvalidPrice', 'priceQuote', 0);
    // The repaired plan still executes.
    plan.view.priceQuote[0] = 50_000n * USD;
    expect(e.executeLiquidations().closes).toBe(2);
  });

  it('liquidation errors: a close larger than the position, in the wrong direction, or of size 0', async () => {
    const e = await fixture();
    const plan = e.planLiquidations({ close: 'full' });
    // Rows in risk order: a1 (E/MM = 700/1,000) before a0 (2,000/2,500).
    expect(Array.from(plan.view.accountId)).toEqual([1, 0]);
    const rowOfA0 = Array.from(plan.view.accountId).indexOf(0);
    expect(rowOfA0).toBeGreaterThanOrEqual(0);
    for (const bad of [-100_000_001n, 1n, 100_000_000n, 0n]) {
      plan.view.sizeBase[rowOfA0] = bad;
      expectRefused(e, () => e.executeLiquidations(), InputError, 'NoPosition', 'sizeBase', rowOfA0);
    }
    plan.view.sizeBase[rowOfA0] = -100_000_000n;
    expect(e.executeLiquidations().rows).toBe(2);
  });
});

describe('liquidation errors: plans that name a position twice', () => {
  // A plan's rows name what was planned: a row moved to another position is refused before the core
  // looks at its shape (PlanOutOfOrder stays the core's check of a plan's rows, behind this one).
  it('liquidation errors: a row edited to name another row\'s position is PlanEdited naming the row and the column', async () => {
    const e = await createEngine();
    e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT });
    e.addMarket({ baseDecimals: 8, markPrice: 2_000n * USD, curve: FLAT });
    // Long 1 BTC and 10 ETH at the marks, collateral 3,000 < MM 3,500: two rows for one group.
    e.addAccounts([{ collateralQuote: 3_000n * USD, positions: [
      { marketId: 0, sizeBase: 100_000_000n, quoteBalance: -50_000n * USD },
      { marketId: 1, sizeBase: 1_000_000_000n, quoteBalance: -20_000n * USD },
    ] }]);
    e.check();
    const plan = e.planLiquidations({ close: 'full' });
    expect(Array.from(plan.view.marketId)).toEqual([0, 1]);
    plan.view.marketId[1] = 0;
    plan.view.sizeBase[1] = -1n;
    plan.view.priceQuote[1] = 50_000n * USD;
    expectRefused(e, () => e.executeLiquidations(), InputError, 'PlanEdited', 'marketId', 1);
  });
});

describe('liquidation errors: no plan to execute', () => {
  it('liquidation errors: executing before any plan, twice, or after the book changed is NoPlan', async () => {
    const e = await fixture();
    expectRefused(e, () => e.executeLiquidations(), InputError, 'NoPlan', '', -1);
    e.planLiquidations({ close: 'full' });
    e.executeLiquidations();
    expectRefused(e, () => e.executeLiquidations(), InputError, 'NoPlan', '', -1);

    const f = await fixture();
    f.planLiquidations({ close: 'full' });
    f.deposit(0, 1_000n * USD);
    expectRefused(f, () => f.executeLiquidations(), InputError, 'NoPlan', '', -1);

    const g = await fixture();
    g.planLiquidations({ close: 'full' });
    g.setMarks([0], [49_000n * USD]);
    expectRefused(g, () => g.executeLiquidations(), InputError, 'NoPlan', '', -1);

    const h = await fixture();
    h.planLiquidations({ close: 'full' });
    h.applyFill({ accountId: 2, marketId: 0, sizeDeltaBase: 1_000_000n, priceQuote: 50_000n * USD });
    expectRefused(h, () => h.executeLiquidations(), InputError, 'NoPlan', '', -1);
  });

  it('liquidation errors: a refused call changes nothing, so the waiting plan still executes', async () => {
    const e = await fixture();
    const plan = e.planLiquidations({ close: 'full' });
    expect(plan.rows).toBeGreaterThan(0);
    // Each refused: an unknown account, a zero deposit, a mark of 0, a withdrawal beyond the collateral.
    expect(() => e.deposit(99, 1n)).toThrow(RiskCoreError);
    expect(() => e.deposit(0, 0n)).toThrow(RiskCoreError);
    expect(() => e.setMarks([0], [0n])).toThrow(RiskCoreError);
    expect(() => e.withdraw(2, 1n << 61n)).toThrow(RiskCoreError);
    expect(e.executeLiquidations().rows).toBe(plan.rows);
  });

  it('liquidation errors: planning after a failed check is refused (results stale)', async () => {
    const e = await fixture();
    // An account whose equity sums to 2^63: collateral 2^62 plus a size-0 position holding a quote of 2^62.
    e.addAccounts([{ collateralQuote: 1n << 62n, positions: [{ marketId: 0, sizeBase: 0n, quoteBalance: 1n << 62n }] }]);
    expect(() => e.check()).toThrow();
    expectRefused(e, () => e.planLiquidations({ close: 'full' }), EngineError, 'ResultsStale', '', -1);
  });
});

describe('liquidation errors: policies', () => {
  const cases: [string, LiquidationPolicy, string][] = [
    ['a close fraction above 100 %', { maxCloseFractionPpm: 1_000_001 }, 'maxCloseFractionPpm'],
    ['a fee above 100 %', { liquidationFeePpm: 1_000_001 }, 'liquidationFeePpm'],
    ['a liquidator share above 100 %', { liquidatorSharePpm: 2_000_000 }, 'liquidatorSharePpm'],
    ['a buffer above 100 %', { bufferPpm: 1_000_001 }, 'bufferPpm'],
    ['a backstop above 100 %', { backstopPpm: 1_000_001, backstopAccountId: 2 }, 'backstopPpm'],
    ['a backstop without a backstop account', { backstopPpm: 666_667 }, 'backstopAccountId'],
    ['a backstop account that does not exist', { backstopPpm: 666_667, backstopAccountId: 99 }, 'backstopAccountId'],
    ['a negative minimum close notional', { minCloseNotionalQuote: -1n }, 'minCloseNotionalQuote'],
    ['a negative per-round deficit cap', { maxDeficitPerRoundQuote: '-0.000001' }, 'maxDeficitPerRoundQuote'],
    ['a per-round notional cap above 2^62', { maxNotionalPerRoundQuote: (1n << 62n) + 1n }, 'maxNotionalPerRoundQuote'],
    ['an unknown close mode', { close: 'most' as 'full' }, 'close'],
    ['an unknown target', { target: 'equity' as 'initial' }, 'target'],
    ['an unknown order', { order: 'random' as 'book' }, 'order'],
  ];
  for (const [name, policy, field] of cases) {
    it(`liquidation errors: ${name} is InvalidPolicy naming ${field}`, async () => {
      const e = await fixture();
      expectRefused(e, () => e.planLiquidations(policy), InputError, 'InvalidPolicy', field, -1);
      expectRefused(e, () => e.liquidate(policy), InputError, 'InvalidPolicy', field, -1);
    });
  }

  it('liquidation errors: a rejected policy never becomes the policy of a plan', async () => {
    const e = await fixture();
    e.planLiquidations({ close: 'full' });
    expectRefused(e, () => e.planLiquidations({ liquidationFeePpm: 1_000_001 }), InputError, 'InvalidPolicy', 'liquidationFeePpm', -1);
    // Either the earlier plan still executes as it was, or there is none; never a plan under the bad policy.
    const before = e.insuranceFund();
    try { e.executeLiquidations(); } catch (x) { expect((x as RiskCoreError).codeName).toBe('NoPlan'); }
    expect(e.insuranceFund()).toBe(before);
  });
});

describe('liquidation errors: funds and markets', () => {
  it('liquidation errors: a negative or zero deposit to a fund is refused', async () => {
    const e = await fixture();
    expectRefused(e, () => e.depositInsuranceFund(-1n), InputError, 'OutOfRange', 'amountQuote', -1);
    expectRefused(e, () => e.depositInsuranceFund('-5', 1), InputError, 'OutOfRange', 'amountQuote', -1);
    expectRefused(e, () => e.depositInsuranceFund(0n), InputError, 'OutOfRange', 'amountQuote', -1);
    expectRefused(e, () => e.depositInsuranceFund(1n, 7), InputError, 'UnknownMarket', 'marketId', -1);
  });

  it('liquidation errors: stepBase 0 (or negative) and an unknown insurance fund kind are refused by addMarket', async () => {
    const e = await fixture();
    expectRefused(e, () => e.addMarket({ baseDecimals: 8, markPrice: USD, curve: FLAT, stepBase: 0n }), InputError, 'OutOfRange', 'stepBase', -1);
    expectRefused(e, () => e.addMarket({ baseDecimals: 8, markPrice: USD, curve: FLAT, stepBase: '-0.00000001' }), InputError, 'OutOfRange', 'stepBase', -1);
    expectRefused(e, () => e.addMarket({ baseDecimals: 8, markPrice: USD, curve: FLAT, stepBase: '0.000000001' }), InputError, 'InvalidNumber', 'stepBase', -1);
    expectRefused(e, () => e.addMarket({ baseDecimals: 8, markPrice: USD, curve: FLAT, insuranceFund: 'shared' as 'own' }), InputError, 'OutOfRange', 'fundId', -1);
    expect(e.marketCount).toBe(2);
  });
});
