/**
 * Errors. Codes and field ids mirror `assembly/abi/status.ts` one for one (a test checks they match);
 * ranges are append-only: 1..99 engine, 100..199 input validation, 200..299 refusals (a margin,
 * staking, vault or withdrawal rule).
 */

export const StatusCode = {
  Ok: 0,
  CapacityExceeded: 1,
  Overflow: 2,
  NotInitialized: 3,
  ResultsStale: 4,
  Interrupted: 5,
  Reentrant: 6,
  Disposed: 7,
  CoreLoadFailed: 8,
  InvalidNumber: 100,
  OutOfRange: 101,
  InvalidPrice: 102,
  UnknownMarket: 103,
  UnknownAccount: 104,
  DuplicatePosition: 105,
  InvalidCurve: 106,
  AccountClosed: 107,
  TooManyMarkets: 108,
  CountMismatch: 109,
  NoPosition: 110,
  PlanOutOfOrder: 111,
  InvalidPolicy: 112,
  NoPlan: 113,
  InvalidWaterfall: 114,
  InvalidScenario: 115,
  InvalidShard: 116,
  PlanEdited: 117,
  NotLiquidatable: 118,
  InvalidEconomics: 119,
  BelowInitialMargin: 200,
  AccountHasPositions: 201,
  NegativeCollateral: 202,
  CooldownNotOver: 203,
  SharesNotHeld: 204,
  NoUnstakeRequest: 205,
  UnstakeRequestPending: 206,
  AboveWithdrawable: 207,
  FundDepleted: 208,
  VaultLocked: 209,
  AccountHasStake: 210,
  WithdrawThroughQueue: 211,
} as const;
export type StatusName = keyof typeof StatusCode;
export type StatusCode = (typeof StatusCode)[StatusName];

export const FieldId = {
  None: 0,
  AccountId: 1,
  MarketId: 2,
  SizeBase: 3,
  QuoteBalance: 4,
  FundingSnapshot: 5,
  CollateralQuote: 6,
  ImfFloorPpm: 7,
  MarkPrice: 8,
  FundingIndexLong: 9,
  FundingIndexShort: 10,
  BaseDecimals: 11,
  ImfPpm: 12,
  MmfPpm: 13,
  PremiumPpm: 14,
  NotionalFloorQuote: 15,
  LowerCapQuote: 16,
  UpperCapQuote: 17,
  CurveKind: 18,
  PositionCount: 19,
  PriceQuote: 20,
  AmountQuote: 21,
  Capacity: 22,
  TierCount: 23,
  Notional: 24,
  Policy: 25,
  BufferPpm: 26,
  MaxCloseFractionPpm: 27,
  LiquidationFeePpm: 28,
  LiquidatorSharePpm: 29,
  BackstopPpm: 30,
  BackstopAccountId: 31,
  MinCloseNotionalQuote: 32,
  FractionAboveNotionalQuote: 33,
  MaxNotionalPerRoundQuote: 34,
  MaxDeficitPerRoundQuote: 35,
  StepBase: 36,
  FundId: 37,
  Tranche: 38,
  NowSec: 39,
  Ranking: 40,
  WeightPpm: 41,
  CapacityQuote: 42,
  TopK: 43,
  Waterfall: 44,
  Ppm: 45,
  Correlation: 46,
  Steps: 47,
  MarginScalePpm: 48,
  FundingRatePpm: 49,
  IsolatedId: 50,
  Kind: 51,
  MakerFeePpm: 52,
  TakerFeePpm: 53,
  SplitPpm: 54,
  SettlePeriodSec: 55,
  MaxAprPpm: 56,
  StakerFactorPpm: 57,
  CooldownSec: 58,
  Shares: 59,
  RealizableRule: 60,
  TransferFloorPpm: 61,
  SettleFractionPpm: 62,
  RevenueSource: 63,
  LockupSec: 64,
  ProfitSharePpm: 65,
  SlippagePpm: 66,
  CapacityPeriodSec: 67,
  CapacityMinQuote: 68,
  CapacityPpm: 69,
  GateSec: 70,
  OperatorAccountId: 71,
  SkimPpm: 72,
} as const;
export type FieldName = keyof typeof FieldId;

const statusNames = new Map<number, StatusName>(Object.entries(StatusCode).map(([k, v]) => [v, k as StatusName]));
const fieldNames = new Map<number, FieldName>(Object.entries(FieldId).map(([k, v]) => [v, k as FieldName]));

/** Lower-camel field name as it appears in the public API (`sizeBase`, `markPrice`, ...). */
function apiFieldName(id: number): string {
  const name = fieldNames.get(id) ?? 'None';
  return name === 'None' ? '' : name[0]!.toLowerCase() + name.slice(1);
}

const messages: Partial<Record<StatusName, string>> = {
  CapacityExceeded: 'capacity exceeded: more than the engine was created for (create it larger), or capacities that do not fit one 4 GiB instance (shard)',
  Overflow: 'amount outside the supported range (see docs/FORMULAS.md, "Supported range")',
  NotInitialized: 'engine already initialized or not initialized',
  ResultsStale: 'results are not valid: the last check failed; run check() again',
  Interrupted: 'a simulated path was interrupted (the run was cancelled)',
  Reentrant: 'refused: a call into the engine from code the engine is calling (a ranking function, onDeficits, an interrupt check); nothing changed',
  Disposed: 'engine disposed; create a new one with await RiskEngine.create()',
  CoreLoadFailed: 'the wasm core or the simulation worker could not be loaded (not found, not served, or not riskcore\'s); the field names the option to set: the `wasm` option of RiskEngine.create / simulate (riskcore.wasm: a URL, Response, bytes or Module) or the `worker` option of simulate (riskcore/worker\'s URL, or a function returning a Worker); README, Bundlers; you may retry',
  InvalidNumber: 'not an integer number of atoms',
  OutOfRange: 'value out of range',
  InvalidPrice: 'price must be an integer in 1..2^62',
  UnknownMarket: 'unknown market',
  UnknownAccount: 'unknown account',
  DuplicatePosition: 'account already holds a position in this market',
  InvalidCurve: 'invalid margin curve',
  AccountClosed: 'account is closed',
  TooManyMarkets: 'market table is full (65,535 at most)',
  CountMismatch: 'position counts do not add up to the positions supplied',
  NoPosition: 'the account holds no such position, or the close does not reduce it',
  PlanOutOfOrder: 'plan rows must name each position once, with a group\'s rows together',
  InvalidPolicy: 'invalid liquidation policy',
  NoPlan: 'no liquidation plan to execute (plan again: the book changed or the plan ran)',
  InvalidWaterfall: 'invalid loss waterfall configuration (row: the step index)',
  InvalidScenario: 'invalid simulation configuration or scenario (row: the list item, market, step or path)',
  InvalidShard: 'invalid simulation shard: malformed, or not the run its configuration describes (row: the result)',
  PlanEdited: 'a plan row names another account, market, isolated row or kind than was planned (only sizeBase and priceQuote may be edited)',
  NotLiquidatable: 'the row\'s group is not liquidatable at execution (equity >= MM; a transfer: equity >= the backstop fraction of MM)',
  BelowInitialMargin: 'refused: equity would fall below initial margin',
  AccountHasPositions: 'refused: account still holds positions',
  NegativeCollateral: 'refused: account collateral is negative',
  InvalidEconomics: 'invalid economics configuration (fees, revenue split, staking, vault terms, withdrawal rules or capacity)',
  CooldownNotOver: 'refused: the unstake request\'s cooldown is not over',
  SharesNotHeld: 'refused: more shares than the account holds',
  NoUnstakeRequest: 'refused: the account has no open unstake request for this fund',
  UnstakeRequestPending: 'refused: the account already has an open unstake request for this fund',
  AboveWithdrawable: 'refused: more than the account may withdraw (see withdrawable())',
  FundDepleted: 'refused: the insurance fund is empty while shares exist (its stakers lost everything); no new stake can be priced',
  VaultLocked: 'refused: the vault deposit is still in its lock-up',
  AccountHasStake: 'refused: the account still holds insurance-fund stake or vault shares (unstake or withdraw them first)',
  WithdrawThroughQueue: 'refused: a withdrawal capacity, gate or loss charge is set; withdraw with requestWithdrawal',
};

/** Every error riskcore throws for a refused call. `code` is stable; branch on it. */
export class RiskCoreError extends Error {
  override name = 'RiskCoreError';
  /** Numeric code from the shared table. */
  readonly code: number;
  /** Symbolic code, e.g. 'UnknownMarket'. */
  readonly codeName: StatusName;
  /** The input field at fault, in API spelling ('' when none). */
  readonly field: string;
  /** The row of the input at fault (batch-relative), or -1. */
  readonly row: number;
  constructor(code: number, field: string, row: number, detail?: string) {
    const codeName = statusNames.get(code) ?? 'Overflow';
    const where = [field && `field ${field}`, row >= 0 && `row ${row}`].filter(Boolean).join(', ');
    super(`${codeName} (${code}): ${messages[codeName] ?? 'error'}${where ? ` [${where}]` : ''}${detail ? `: ${detail}` : ''}`);
    this.code = code;
    this.codeName = codeName;
    this.field = field;
    this.row = row;
  }
  /** The same refusal (code, field, row, class) with a detail: what a caller's layer knows about it. */
  withDetail(detail: string): RiskCoreError {
    const Same = this.constructor as new (code: number, field: string, row: number, detail?: string) => RiskCoreError;
    return new Same(this.code, this.field, this.row, detail);
  }

  /** An error from the core's error record. */
  static fromRecord(code: number, fieldId: number, row: number): RiskCoreError {
    const field = apiFieldName(fieldId);
    if (code >= 200) return new MarginRefusedError(code, field, row);
    if (code >= 100) return new InputError(code, field, row);
    return new EngineError(code, field, row);
  }
}

/** Codes 100..199: the input was invalid; nothing changed. */
export class InputError extends RiskCoreError { override name = 'InputError'; }
/** Codes 200..299: a rule refused the operation (margin, staking cooldown, vault lock-up, withdrawable); nothing changed. */
export class MarginRefusedError extends RiskCoreError { override name = 'MarginRefusedError'; }
/** Codes 1..99: capacity, overflow and lifecycle. */
export class EngineError extends RiskCoreError { override name = 'EngineError'; }

/** A broken internal invariant reported by the core's debug build (`abort`): a bug, not bad input. */
export class RiskCoreInvariantError extends Error {
  override name = 'RiskCoreInvariantError';
  constructor(message: string, readonly file: string, readonly line: number, readonly column: number) {
    super(`invariant violated: ${message} at ${file}:${line}:${column}`);
  }
}

/**
 * A caller's value as text for an error's detail. Never throws: `String(value)` does for an object
 * without a prototype (`Object.create(null)`) or one whose `toString` throws, and a template string
 * does for a symbol; so objects are described by their kind, never converted.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'symbol': return `a symbol (${JSON.stringify(value.description ?? '')})`;
    case 'function': return 'a function';
    case 'undefined': case 'boolean': return String(value);
    default: {
      if (value === null) return 'null';
      try {
        return Array.isArray(value) ? 'an array' : `an object (${Object.prototype.toString.call(value)})`;
      } catch {
        return 'an object'; // a revoked proxy, a throwing Symbol.toStringTag
      }
    }
  }
}

/** Input error raised in TypeScript before the core is called (same codes). */
export function inputError(code: StatusName, field: string, row: number, detail?: string): InputError {
  return new InputError(StatusCode[code], field, row, detail);
}

/**
 * Runs `call`; a refusal with `codeName` naming `field` is thrown again with `detail()` added (the
 * core decides, the API explains what to do). Anything else passes through unchanged.
 */
export function explained<T>(call: () => T, codeName: StatusName, field: string, detail: () => string): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof RiskCoreError && e.codeName === codeName && e.field === field) throw e.withDetail(detail());
    throw e;
  }
}
