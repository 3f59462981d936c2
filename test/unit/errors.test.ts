/**
 * Errors: the TypeScript tables mirror the AssemblyScript enums exactly, codes are pinned, and every
 * kind of bad input raises a typed error naming the code, field and row, and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineError, FieldId, Health, InputError, MarginRefusedError, RiskCoreError, StatusCode, type RiskEngine } from '../../dist/src/node.js';
import { Column } from '../../dist/src/abi/columns.js';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;

/** `export enum Name { A = 1, ... }` from an AssemblyScript file, as an object. */
function asEnum(file: string, name: string): Record<string, number> {
  const text = readFileSync(new URL(`../../assembly/${file}`, import.meta.url), 'utf8');
  const body = new RegExp(`export enum ${name} \\{([^}]*)\\}`).exec(text);
  if (!body) throw new Error(`enum ${name} not found in assembly/${file}`);
  const entries = [...body[1]!.replace(/\/\/[^\n]*/g, '').matchAll(/(\w+)\s*=\s*(\d+)/g)].map(([, k, v]) => [k!, Number(v)] as const);
  expect(entries.length).toBeGreaterThan(3);
  return Object.fromEntries(entries);
}

describe('errors: tables mirror assembly/', () => {
  it('errors: StatusCode matches assembly/abi/status.ts Status exactly', () => {
    expect({ ...StatusCode }).toEqual(asEnum('abi/status.ts', 'Status'));
  });
  it('errors: FieldId matches assembly/abi/status.ts Field exactly', () => {
    expect({ ...FieldId }).toEqual(asEnum('abi/status.ts', 'Field'));
  });
  it('errors: Health in src/types.ts matches assembly/abi/status.ts Health exactly', () => {
    expect({ ...Health }).toEqual(asEnum('abi/status.ts', 'Health'));
  });
  it('errors: Column in src/abi/columns.ts matches assembly/abi/layout.ts Column (Count is the sentinel)', () => {
    const { Count, ...columns } = asEnum('abi/layout.ts', 'Column');
    expect({ ...Column }).toEqual(columns);
    expect(Count).toBe(Object.keys(columns).length);
    expect(Object.values(columns).sort((a, b) => a - b)).toEqual(Array.from({ length: Count! }, (_, i) => i));
  });
});

describe('errors: codes are pinned and in their documented ranges', () => {
  // Published codes: never renumbered (append-only). 1..99 engine, 100..199 input, 200..299 refusals.
  const PINNED_STATUS = {
    Ok: 0, CapacityExceeded: 1, Overflow: 2, NotInitialized: 3, ResultsStale: 4, Interrupted: 5, Reentrant: 6, Disposed: 7, CoreLoadFailed: 8,
    InvalidNumber: 100, OutOfRange: 101, InvalidPrice: 102, UnknownMarket: 103, UnknownAccount: 104,
    DuplicatePosition: 105, InvalidCurve: 106, AccountClosed: 107, TooManyMarkets: 108, CountMismatch: 109,
    NoPosition: 110, PlanOutOfOrder: 111, InvalidPolicy: 112, NoPlan: 113, InvalidWaterfall: 114, InvalidScenario: 115, InvalidShard: 116,
    PlanEdited: 117, NotLiquidatable: 118, InvalidEconomics: 119,
    BelowInitialMargin: 200, AccountHasPositions: 201, NegativeCollateral: 202,
    CooldownNotOver: 203, SharesNotHeld: 204, NoUnstakeRequest: 205, UnstakeRequestPending: 206, AboveWithdrawable: 207,
    FundDepleted: 208, VaultLocked: 209, AccountHasStake: 210, WithdrawThroughQueue: 211,
  };
  const PINNED_FIELD = {
    None: 0, AccountId: 1, MarketId: 2, SizeBase: 3, QuoteBalance: 4, FundingSnapshot: 5, CollateralQuote: 6,
    ImfFloorPpm: 7, MarkPrice: 8, FundingIndexLong: 9, FundingIndexShort: 10, BaseDecimals: 11, ImfPpm: 12,
    MmfPpm: 13, PremiumPpm: 14, NotionalFloorQuote: 15, LowerCapQuote: 16, UpperCapQuote: 17, CurveKind: 18,
    PositionCount: 19, PriceQuote: 20, AmountQuote: 21, Capacity: 22, TierCount: 23, Notional: 24,
    Policy: 25, BufferPpm: 26, MaxCloseFractionPpm: 27, LiquidationFeePpm: 28, LiquidatorSharePpm: 29,
    BackstopPpm: 30, BackstopAccountId: 31, MinCloseNotionalQuote: 32, FractionAboveNotionalQuote: 33,
    MaxNotionalPerRoundQuote: 34, MaxDeficitPerRoundQuote: 35, StepBase: 36, FundId: 37,
    Tranche: 38, NowSec: 39, Ranking: 40, WeightPpm: 41, CapacityQuote: 42, TopK: 43, Waterfall: 44, Ppm: 45,
    Correlation: 46, Steps: 47, MarginScalePpm: 48, FundingRatePpm: 49, IsolatedId: 50, Kind: 51,
    MakerFeePpm: 52, TakerFeePpm: 53, SplitPpm: 54, SettlePeriodSec: 55, MaxAprPpm: 56, StakerFactorPpm: 57, CooldownSec: 58,
    Shares: 59, RealizableRule: 60, TransferFloorPpm: 61, SettleFractionPpm: 62, RevenueSource: 63, LockupSec: 64,
    ProfitSharePpm: 65, SlippagePpm: 66, CapacityPeriodSec: 67, CapacityMinQuote: 68, CapacityPpm: 69, GateSec: 70,
    OperatorAccountId: 71, SkimPpm: 72,
  };
  const PINNED_HEALTH = { Healthy: 0, BelowInitial: 1, Liquidatable: 2, Bankrupt: 3, Inactive: 4 };

  it('errors: the status, field and health tables are exactly the pinned ones', () => {
    expect({ ...StatusCode }).toEqual(PINNED_STATUS);
    expect({ ...FieldId }).toEqual(PINNED_FIELD);
    expect({ ...Health }).toEqual(PINNED_HEALTH);
  });

  it('errors: each code lies in its range and maps to its class', () => {
    const engine = ['CapacityExceeded', 'Overflow', 'NotInitialized', 'ResultsStale', 'Interrupted', 'Reentrant', 'Disposed', 'CoreLoadFailed'];
    const input = ['InvalidNumber', 'OutOfRange', 'InvalidPrice', 'UnknownMarket', 'UnknownAccount', 'DuplicatePosition', 'InvalidCurve', 'AccountClosed', 'TooManyMarkets', 'CountMismatch', 'NoPosition', 'PlanOutOfOrder', 'InvalidPolicy', 'NoPlan', 'InvalidWaterfall', 'InvalidScenario', 'InvalidShard', 'PlanEdited', 'NotLiquidatable', 'InvalidEconomics'];
    const refusal = [
      'BelowInitialMargin', 'AccountHasPositions', 'NegativeCollateral', 'CooldownNotOver', 'SharesNotHeld', 'NoUnstakeRequest',
      'UnstakeRequestPending', 'AboveWithdrawable', 'FundDepleted', 'VaultLocked', 'AccountHasStake', 'WithdrawThroughQueue',
    ];
    const all = Object.entries(StatusCode).filter(([k]) => k !== 'Ok');
    expect(all.map(([k]) => k).sort()).toEqual([...engine, ...input, ...refusal].sort());
    for (const [name, code] of all) {
      const err = RiskCoreError.fromRecord(code, FieldId.SizeBase, 3);
      expect(err.codeName).toBe(name);
      expect([err.field, err.row]).toEqual(['sizeBase', 3]);
      if (engine.includes(name)) { expect(code >= 1 && code <= 99).toBe(true); expect(err).toBeInstanceOf(EngineError); }
      if (input.includes(name)) { expect(code >= 100 && code <= 199).toBe(true); expect(err).toBeInstanceOf(InputError); }
      if (refusal.includes(name)) { expect(code >= 200 && code <= 299).toBe(true); expect(err).toBeInstanceOf(MarginRefusedError); }
      expect(err).toBeInstanceOf(RiskCoreError);
      expect(err.message).toContain(`${name} (${code})`);
    }
    expect(new Set(Object.values(StatusCode)).size).toBe(Object.keys(StatusCode).length);
    expect(new Set(Object.values(FieldId)).size).toBe(Object.keys(FieldId).length);
  });
});

// ------------------------------------------------------------------------------------------------
// Bad input

const FLAT = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };

/**
 * m0: BTC-like D = 1e8, mark 50,000 USDT, flat; m1: ETH-like D = 1e8, mark 3,000, tiers.
 * a0: 1,000 USDT, 0.01 BTC long at the mark (IM 50, MM 25); a1: 100 USDT + isolated 0.1 ETH in m1; a2: empty.
 */
async function fixture(): Promise<RiskEngine> {
  const e = await createEngine();
  e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: FLAT });
  e.addMarket({ baseDecimals: 8, markPrice: 3_000n * USD, curve: { kind: 'tiers', tiers: [{ notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 10_000 }, { notionalFloorQuote: '100000', imfPpm: 50_000, mmfPpm: 25_000 }] } });
  e.addAccounts([
    { collateralQuote: 1_000n * USD, positions: [{ marketId: 0, sizeBase: 1_000_000n, quoteBalance: -500n * USD }] },
    { collateralQuote: 100n * USD, isolated: [{ marketId: 1, sizeBase: 10_000_000n, quoteBalance: -300n * USD, collateralQuote: 50n * USD }] },
    { collateralQuote: 0n },
  ]);
  e.check();
  return e;
}

type Case = { name: string; run: (e: RiskEngine) => unknown; cls: typeof RiskCoreError; code: string; field: string; row: number };
const tiers = (...t: [bigint, number, number][]) => ({ kind: 'tiers' as const, tiers: t.map(([notionalFloorQuote, imfPpm, mmfPpm]) => ({ notionalFloorQuote, imfPpm, mmfPpm })) });
const market = (curve: unknown, extra: object = {}) => ({ baseDecimals: 8, markPrice: 100n * USD, curve: curve as typeof FLAT, ...extra });
const fill = (extra: object) => ({ accountId: 2, marketId: 0, sizeDeltaBase: 1_000n, priceQuote: 50_000n * USD, ...extra });

const cases: Case[] = [
  // Numbers where atoms are expected.
  { name: 'NaN collateral', run: (e) => e.addAccounts([{ collateralQuote: NaN }]), cls: InputError, code: 'InvalidNumber', field: 'collateralQuote', row: 0 },
  { name: 'Infinity size (second position of the batch)', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 1n }] }, { positions: [{ marketId: 1, sizeBase: Infinity }] }]), cls: InputError, code: 'InvalidNumber', field: 'sizeBase', row: 1 },
  { name: '1.5 as a fill price', run: (e) => e.applyFill(fill({ priceQuote: 1.5 })), cls: InputError, code: 'InvalidNumber', field: 'priceQuote', row: -1 },
  { name: '2**60 as a number (not a safe integer)', run: (e) => e.deposit(0, 2 ** 60), cls: InputError, code: 'InvalidNumber', field: 'amountQuote', row: -1 },
  { name: '-Infinity mark in setMarks row 1', run: (e) => e.setMarks([0, 1], [1n, -Infinity]), cls: InputError, code: 'InvalidNumber', field: 'markPrice', row: 1 },
  { name: '1.5 as an account id', run: (e) => e.applyFill(fill({ accountId: 1.5 })), cls: InputError, code: 'InvalidNumber', field: 'accountId', row: -1 },
  { name: 'NaN as a market id', run: (e) => e.checkMarkets([0, NaN]), cls: InputError, code: 'InvalidNumber', field: 'marketId', row: 1 },
  { name: 'a non-numeric string', run: (e) => e.deposit(0, '12abc'), cls: InputError, code: 'InvalidNumber', field: 'amountQuote', row: -1 },
  // Decimal strings with too many decimals.
  { name: '7 decimals of a 6-decimal quote', run: (e) => e.deposit(0, '1.0000001'), cls: InputError, code: 'InvalidNumber', field: 'amountQuote', row: -1 },
  { name: '9 decimals of an 8-decimal base', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: '0.000000001' }] }]), cls: InputError, code: 'InvalidNumber', field: 'sizeBase', row: 0 },
  { name: 'too many decimals in a mark', run: (e) => e.setMarks([0], ['50000.0000001']), cls: InputError, code: 'InvalidNumber', field: 'markPrice', row: 0 },
  // Prices.
  { name: 'addMarket with mark 0', run: (e) => e.addMarket(market(FLAT, { markPrice: 0n })), cls: InputError, code: 'InvalidPrice', field: 'markPrice', row: -1 },
  { name: 'addMarket with a negative mark', run: (e) => e.addMarket(market(FLAT, { markPrice: '-5' })), cls: InputError, code: 'InvalidPrice', field: 'markPrice', row: -1 },
  { name: 'addMarket with mark 2^62 + 1', run: (e) => e.addMarket(market(FLAT, { markPrice: 2n ** 62n + 1n })), cls: InputError, code: 'InvalidPrice', field: 'markPrice', row: -1 },
  { name: 'setMarks with one zero price among good ones', run: (e) => e.setMarks([0, 1, 0], [49_000n * USD, 0n, 48_000n * USD]), cls: InputError, code: 'InvalidPrice', field: 'markPrice', row: 1 },
  { name: 'setMarks with one negative price', run: (e) => e.setMarks([1, 0], [3_100n * USD, -1n]), cls: InputError, code: 'InvalidPrice', field: 'markPrice', row: 1 },
  { name: 'a fill at price 0', run: (e) => e.applyFill(fill({ priceQuote: 0n })), cls: InputError, code: 'InvalidPrice', field: 'priceQuote', row: -1 },
  { name: 'a pre-trade at price 0', run: (e) => e.preTrade(fill({ priceQuote: 0n })), cls: InputError, code: 'InvalidPrice', field: 'priceQuote', row: -1 },
  { name: 'setMarks count mismatch', run: (e) => e.setMarks([0, 1], [1n]), cls: InputError, code: 'CountMismatch', field: 'markPrice', row: -1 },
  // Unknown market / account.
  { name: 'fill in an unknown market', run: (e) => e.applyFill(fill({ marketId: 99 })), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: -1 },
  { name: 'position in an unknown market', run: (e) => e.addAccounts([{ positions: [{ marketId: 99, sizeBase: 1n }] }]), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: 0 },
  { name: 'setMarks with an unknown market in row 1', run: (e) => e.setMarks([0, 7], [1n, 1n]), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: 1 },
  { name: 'setFundingIndices with an unknown market', run: (e) => e.setFundingIndices([5], [0n], [0n]), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: 0 },
  { name: 'checkMarkets with an unknown market', run: (e) => e.checkMarkets([1, 2]), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: 1 },
  { name: 'market(99)', run: (e) => e.market(99), cls: InputError, code: 'UnknownMarket', field: 'marketId', row: -1 },
  { name: 'fill on an unknown account', run: (e) => e.applyFill(fill({ accountId: 99 })), cls: InputError, code: 'UnknownAccount', field: 'accountId', row: -1 },
  { name: 'deposit to an unknown account', run: (e) => e.deposit(3, 1n), cls: InputError, code: 'UnknownAccount', field: 'accountId', row: -1 },
  { name: 'account(99)', run: (e) => e.account(99), cls: InputError, code: 'UnknownAccount', field: 'accountId', row: -1 },
  { name: 'check of a list naming an unknown account', run: (e) => e.check({ accounts: [0, 99] }), cls: InputError, code: 'UnknownAccount', field: 'accountId', row: 1 },
  // Duplicates.
  { name: 'two positions in one market in one account', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 1n }, { marketId: 1, sizeBase: 1n }] }, { positions: [{ marketId: 1, sizeBase: 1n }, { marketId: 1, sizeBase: 2n }] }]), cls: InputError, code: 'DuplicatePosition', field: 'marketId', row: 3 },
  { name: 'isolated and cross in the same market (load)', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 1n }], isolated: [{ marketId: 0, sizeBase: 1n }] }]), cls: InputError, code: 'DuplicatePosition', field: 'marketId', row: 0 },
  { name: 'two isolated positions in one market', run: (e) => e.addAccounts([{ isolated: [{ marketId: 1, sizeBase: 1n }, { marketId: 1, sizeBase: -1n }] }]), cls: InputError, code: 'DuplicatePosition', field: 'marketId', row: 1 },
  { name: 'isolated fill where the account holds the market cross', run: (e) => e.applyFill(fill({ accountId: 0, isolated: true })), cls: InputError, code: 'DuplicatePosition', field: 'marketId', row: -1 },
  { name: 'cross fill where the account holds the market isolated', run: (e) => e.applyFill(fill({ accountId: 1, marketId: 1, priceQuote: 3_000n * USD })), cls: InputError, code: 'DuplicatePosition', field: 'marketId', row: -1 },
  // Ranges and overflow.
  { name: 'a size beyond 2^62', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 2n ** 62n + 1n }] }]), cls: InputError, code: 'OutOfRange', field: 'sizeBase', row: 0 },
  { name: 'a size whose notional overflows 2^62 (2^62 atoms at 500 per atom)', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 2n ** 62n }] }]), cls: EngineError, code: 'Overflow', field: 'notional', row: 0 },
  { name: 'a fill whose notional overflows 2^62', run: (e) => e.applyFill(fill({ sizeDeltaBase: 2n ** 55n })), cls: EngineError, code: 'Overflow', field: 'notional', row: -1 },
  { name: 'collateral of 2^63 (does not fit 64 bits)', run: (e) => e.addAccounts([{ collateralQuote: 2n ** 63n }]), cls: InputError, code: 'OutOfRange', field: 'collateralQuote', row: 0 },
  { name: 'collateral beyond 2^62', run: (e) => e.addAccounts([{}, { collateralQuote: -(2n ** 62n) - 1n }]), cls: InputError, code: 'OutOfRange', field: 'collateralQuote', row: 1 },
  { name: 'a funding snapshot beyond 2^61', run: (e) => e.addAccounts([{ positions: [{ marketId: 0, sizeBase: 1n, fundingSnapshot: 2n ** 61n + 1n }] }]), cls: InputError, code: 'OutOfRange', field: 'fundingSnapshot', row: 0 },
  { name: 'a funding index beyond 2^61', run: (e) => e.setFundingIndices([0, 1], [0n, 0n], [0n, -(2n ** 61n) - 1n]), cls: InputError, code: 'OutOfRange', field: 'fundingIndexShort', row: 1 },
  { name: 'an IMF floor above 100 %', run: (e) => e.addAccounts([{ imfFloorPpm: 1_000_001 }]), cls: InputError, code: 'OutOfRange', field: 'imfFloorPpm', row: 0 },
  { name: 'a market id above 65,535', run: (e) => e.addAccounts([{ positions: [{ marketId: 70_000, sizeBase: 1n }] }]), cls: InputError, code: 'OutOfRange', field: 'marketId', row: 0 },
  { name: 'a fill of 0', run: (e) => e.applyFill(fill({ sizeDeltaBase: 0n })), cls: InputError, code: 'OutOfRange', field: 'sizeBase', row: -1 },
  { name: 'isolatedMarginQuote on a cross fill', run: (e) => e.applyFill(fill({ isolatedMarginQuote: 1n })), cls: InputError, code: 'OutOfRange', field: 'amountQuote', row: -1 },
  { name: 'a negative isolatedMarginQuote', run: (e) => e.applyFill(fill({ isolated: true, isolatedMarginQuote: -1n })), cls: InputError, code: 'OutOfRange', field: 'amountQuote', row: -1 },
  { name: 'a deposit of 0', run: (e) => e.deposit(0, 0n), cls: InputError, code: 'OutOfRange', field: 'amountQuote', row: -1 },
  { name: 'a negative withdrawal', run: (e) => e.withdraw(0, -1n), cls: InputError, code: 'OutOfRange', field: 'amountQuote', row: -1 },
  { name: 'baseDecimals 13', run: (e) => e.addMarket(market(FLAT, { baseDecimals: 13 })), cls: InputError, code: 'OutOfRange', field: 'baseDecimals', row: -1 },
  // Curves.
  { name: 'flat with mmf > imf', run: (e) => e.addMarket(market({ kind: 'flat', imfPpm: 50_000, mmfPpm: 60_000 })), cls: InputError, code: 'InvalidCurve', field: 'mmfPpm', row: -1 },
  { name: 'flat with imf 0', run: (e) => e.addMarket(market({ kind: 'flat', imfPpm: 0, mmfPpm: 0 })), cls: InputError, code: 'InvalidCurve', field: 'imfPpm', row: -1 },
  { name: 'flat with imf above 100 %', run: (e) => e.addMarket(market({ kind: 'flat', imfPpm: 1_000_001, mmfPpm: 1 })), cls: InputError, code: 'InvalidCurve', field: 'imfPpm', row: -1 },
  { name: 'an unknown curve kind', run: (e) => e.addMarket(market({ kind: 'cubic', imfPpm: 1, mmfPpm: 1 })), cls: InputError, code: 'InvalidCurve', field: 'curve', row: -1 },
  { name: 'tiers whose floors do not increase', run: (e) => e.addMarket(market(tiers([0n, 10_000, 5_000], [100n * USD, 20_000, 10_000], [100n * USD, 50_000, 25_000]))), cls: InputError, code: 'InvalidCurve', field: 'notionalFloorQuote', row: 2 },
  { name: 'tiers not starting at 0', run: (e) => e.addMarket(market(tiers([1n, 10_000, 5_000]))), cls: InputError, code: 'InvalidCurve', field: 'notionalFloorQuote', row: 0 },
  { name: 'tiers with a decreasing mmf', run: (e) => e.addMarket(market(tiers([0n, 20_000, 10_000], [100n * USD, 20_000, 5_000]))), cls: InputError, code: 'InvalidCurve', field: 'mmfPpm', row: 1 },
  // ded_1 = 999 * (5,000 - 4,000) / 1e6 = 0.999 atoms: not integral.
  { name: 'tiers with a non-integral deduction', run: (e) => e.addMarket(market(tiers([0n, 8_000, 4_000], [999n, 10_000, 5_000]))), cls: InputError, code: 'InvalidCurve', field: 'notionalFloorQuote', row: 1 },
  { name: '17 tiers', run: (e) => e.addMarket(market(tiers(...Array.from({ length: 17 }, (_, j) => [BigInt(j) * USD, 10_000, 5_000] as [bigint, number, number])))), cls: InputError, code: 'InvalidCurve', field: 'tierCount', row: -1 },
  { name: 'open-interest caps with upper <= lower', run: (e) => e.addMarket(market({ kind: 'openInterest', imfPpm: 50_000, mmfPpm: 30_000, lowerCapQuote: 10n, upperCapQuote: 10n })), cls: InputError, code: 'InvalidCurve', field: 'upperCapQuote', row: -1 },
  { name: 'a size premium above 100 %', run: (e) => e.addMarket(market({ kind: 'sizePremium', imfPpm: 50_000, mmfPpm: 30_000, premiumPpm: 1_000_001 })), cls: InputError, code: 'InvalidCurve', field: 'premiumPpm', row: -1 },
  // Bulk columns.
  {
    name: 'appendColumns: position counts exceed the positions supplied (account 1)',
    run: (e) => e.appendColumns({ accounts: { positionCount: new Uint32Array([2, 2]) }, positions: { marketId: new Uint16Array([0, 1, 0]), sizeBase: new BigInt64Array([1n, 1n, 1n]) } }),
    cls: InputError, code: 'CountMismatch', field: 'positionCount', row: 1,
  },
  {
    name: 'appendColumns: position counts fall short of the positions supplied',
    run: (e) => e.appendColumns({ accounts: { positionCount: new Uint32Array([1, 1]) }, positions: { marketId: new Uint16Array([0, 0, 1]), sizeBase: new BigInt64Array([1n, 1n, 1n]) } }),
    cls: InputError, code: 'CountMismatch', field: 'positionCount', row: -1,
  },
  {
    name: 'appendColumns: a column of the wrong length',
    run: (e) => e.appendColumns({ accounts: { positionCount: new Uint32Array([1]) }, positions: { marketId: new Uint16Array([0]), sizeBase: new BigInt64Array([1n, 2n]) } }),
    cls: InputError, code: 'CountMismatch', field: 'sizeBase', row: -1,
  },
  // Margin refusals. a0: equity 1,000 USDT, IM 50: 950 can leave, not 950.000001.
  { name: 'withdraw below IM', run: (e) => e.withdraw(0, 950n * USD + 1n), cls: MarginRefusedError, code: 'BelowInitialMargin', field: 'amountQuote', row: -1 },
  { name: 'close an account with a cross position', run: (e) => e.closeAccount(0), cls: MarginRefusedError, code: 'AccountHasPositions', field: 'accountId', row: 0 },
  { name: 'close an account with an isolated position', run: (e) => e.closeAccount(1), cls: MarginRefusedError, code: 'AccountHasPositions', field: 'accountId', row: 1 },
];

describe('errors: bad input gets a typed error and changes nothing', () => {
  it.each(cases)('errors: $name -> $code', async ({ run, cls, code, field, row }) => {
    const e = await fixture();
    const before = stateDigest(e);
    const err = caught(() => run(e));
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(RiskCoreError);
    expect({ codeName: err.codeName, code: err.code, field: err.field, row: err.row }).toEqual({ codeName: code, code: StatusCode[code as keyof typeof StatusCode], field, row });
    expect(stateDigest(e)).toBe(before);
    // The engine still works: 950 USDT (exactly equity - IM) can be withdrawn from a0.
    e.withdraw(0, 950n * USD);
    expect(e.account(0).collateralQuote).toBe(50n * USD);
  });

  it('errors: capacity exceeded in a tiny engine (accounts, positions, isolated rows, markets)', async () => {
    const e = await createEngine({ maxAccounts: 2, maxPositions: 4, maxIsolated: 1, maxMarkets: 2 });
    const m = e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    const n = e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: FLAT });
    // Account 0: two cross positions (2 of 4 slots); account 1: one isolated row (1 of 1).
    e.addAccounts([
      { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: 1n }, { marketId: n, sizeBase: 1n }] },
      { collateralQuote: 1_000n, isolated: [{ marketId: m, sizeBase: 1n, collateralQuote: 10n }] },
    ]);
    const before = stateDigest(e);
    const expectations: [string, () => unknown, string, string, number, typeof RiskCoreError][] = [
      ['a third account', () => e.addAccounts([{}]), 'CapacityExceeded', 'accountId', -1, EngineError],
      ['a third market', () => e.addMarket({ baseDecimals: 0, markPrice: 1n, curve: FLAT }), 'TooManyMarkets', 'marketId', 2, InputError],
      ['a second isolated row', () => e.applyFill({ accountId: 0, marketId: m, sizeDeltaBase: 1n, priceQuote: 100n, isolated: true }), 'DuplicatePosition', 'marketId', -1, InputError],
      ['a second isolated row (free market)', () => e.applyFill({ accountId: 1, marketId: n, sizeDeltaBase: 1n, priceQuote: 100n, isolated: true }), 'CapacityExceeded', 'capacity', -1, EngineError],
      ['three more positions (bulk)', () => e.appendColumns({ accounts: { positionCount: new Uint32Array(0) }, positions: { marketId: new Uint16Array([0, 1, 0]), sizeBase: new BigInt64Array(3) } }), 'CapacityExceeded', 'sizeBase', -1, EngineError],
    ];
    for (const [name, run, code, field, row, cls] of expectations) {
      const err = caught(run);
      expect(err, name).toBeInstanceOf(cls);
      expect([err.codeName, err.field, err.row], name).toEqual([code, field, row]);
      expect(stateDigest(e), name).toBe(before);
    }
  });

  it('errors: a check whose sums leave i64 is Overflow naming the account; results are stale until a good check', async () => {
    const e = await createEngine();
    // Three markets, D = 1, mark 2^62 - 1: one unit has value 2^62 - 1 (in range); three of them sum to ~3 * 2^62 > 2^63.
    const big = 2n ** 62n - 1n;
    const ms = [0, 1, 2].map(() => e.addMarket({ baseDecimals: 0, markPrice: big, curve: FLAT }));
    e.addAccounts([
      { collateralQuote: 1n },
      { collateralQuote: 0n, positions: ms.map((m) => ({ marketId: m, sizeBase: 1n })) },
    ]);
    const err = caught(() => e.check());
    expect(err).toBeInstanceOf(EngineError);
    expect([err.codeName, err.field, err.row]).toEqual(['Overflow', 'accountId', 1]);
    for (const read of [() => e.resultsView(), () => e.isolatedResultsView(), () => e.riskOrder()]) {
      const stale = caught(read);
      expect(stale).toBeInstanceOf(RiskCoreError);
      expect([stale.codeName, stale.code]).toEqual(['ResultsStale', 4]);
    }
    // A later failure of another kind does not make the stale results readable.
    caught(() => e.deposit(99, 1n));
    expect(caught(() => e.resultsView()).codeName).toBe('ResultsStale');
    // Bringing the book back in range (one position closed at the mark) makes a full check succeed again.
    e.applyFill({ accountId: 1, marketId: ms[2]!, sizeDeltaBase: -1n, priceQuote: 1n });
    e.check();
    // value = 2 * (2^62 - 1) + 0 (the closed one moved floor(-(-1) * 1 / 1) = 1 atom to collateral).
    expect(e.resultsView().equityQuote[1]).toBe(2n * big + 1n);
  });

  it('errors: ResultsStale (code 4, engine range) is an EngineError like every code in 1..99', async () => {
    const e = await createEngine();
    const big = 2n ** 62n - 1n;
    const ms = [0, 1, 2].map(() => e.addMarket({ baseDecimals: 0, markPrice: big, curve: FLAT }));
    e.addAccounts([{ positions: ms.map((m) => ({ marketId: m, sizeBase: 1n })) }]);
    caught(() => e.check());
    // RiskCoreError.fromRecord(4, ...) gives an EngineError; requireValid() in src/engine.ts builds a plain RiskCoreError.
    expect(RiskCoreError.fromRecord(StatusCode.ResultsStale, 0, -1)).toBeInstanceOf(EngineError);
    expect(caught(() => e.resultsView())).toBeInstanceOf(EngineError);
  });
});
