/**
 * Public value types. Money, sizes and prices are integers in atoms (see docs/FORMULAS.md):
 * `bigint` on the way out; on the way in `bigint`, a safe-integer `number`, or a decimal string
 * where a method says so.
 */

/** A value that converts to an integer number of atoms. */
export type AtomsInput = bigint | number | string;

/** Health of an account's cross book or of an isolated position. Numeric values are the wasm codes. */
export const Health = {
  Healthy: 0,
  BelowInitial: 1,
  Liquidatable: 2,
  Bankrupt: 3,
  /** A closed account, or a row that has not been checked yet. */
  Inactive: 4,
} as const;
export type Health = (typeof Health)[keyof typeof Health];

export type MarginCurve =
  | { kind: 'flat'; imfPpm: number; mmfPpm: number }
  | { kind: 'tiers'; tiers: readonly MarginTier[] }
  | { kind: 'sizePremium'; imfPpm: number; mmfPpm: number; premiumPpm: number }
  | { kind: 'openInterest'; imfPpm: number; mmfPpm: number; lowerCapQuote: AtomsInput; upperCapQuote: AtomsInput };

export interface MarginTier {
  /** Lower bound of the tier, notional in quote atoms; the first tier's is 0. */
  notionalFloorQuote: AtomsInput;
  imfPpm: number;
  mmfPpm: number;
}

export interface MarketSpec {
  baseDecimals: number;
  markPrice: AtomsInput;
  fundingIndexLong?: AtomsInput;
  fundingIndexShort?: AtomsInput;
  curve: MarginCurve;
  /** Liquidation closes are multiples of this many base atoms (or a decimal string in base units); default 1. */
  stepBase?: AtomsInput;
  /**
   * Which insurance fund the market's liquidation fees go to and its losses draw on: the global one
   * (default), its own, or the one it shares with an earlier market (a pool, as Bybit's portfolio funds).
   */
  insuranceFund?: 'global' | 'own' | { pool: number };
  /** Trading fees, ppm of notional (docs/ECONOMICS.md); default none. */
  fees?: { makerPpm: number; takerPpm: number };
}

export interface AccountSpec {
  collateralQuote?: AtomsInput;
  /** Chosen lower leverage: a floor on every position's initial fraction, ppm; 0 = none. */
  imfFloorPpm?: number;
}

export interface PositionSpec {
  accountId: number;
  marketId: number;
  sizeBase: AtomsInput;
  quoteBalance?: AtomsInput;
  fundingSnapshot?: AtomsInput;
  /** Present for an isolated position: the collateral it carries. */
  isolatedCollateralQuote?: AtomsInput;
}

export interface MarginFigures {
  equityQuote: bigint;
  imQuote: bigint;
  mmQuote: bigint;
  freeQuote: bigint;
  health: Health;
}
