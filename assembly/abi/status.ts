/**
 * Status codes returned by every core call, and the field ids that error details name.
 *
 * This file is the single source of both tables; `src/errors.ts` mirrors them and a test checks
 * that the two agree. Ranges are append-only: a code, once published, is never renumbered.
 *
 *   0        ok
 *   1..99    engine and lifecycle
 *   100..199 input validation (the field and row are in the error record, ErrorRecord in records.ts)
 *   200..299 rules that refuse an operation (margin, staking, vault terms, withdrawals)
 */
export enum Status {
  Ok = 0,
  // 1..99: engine
  CapacityExceeded = 1,
  Overflow = 2,
  NotInitialized = 3,
  ResultsStale = 4,
  Interrupted = 5,
  Reentrant = 6,
  Disposed = 7,
  // Raised in JavaScript only: RiskEngine.create (or a simulation worker) could not load the wasm core.
  CoreLoadFailed = 8,
  // 100..199: input validation
  InvalidNumber = 100,
  OutOfRange = 101,
  InvalidPrice = 102,
  UnknownMarket = 103,
  UnknownAccount = 104,
  DuplicatePosition = 105,
  InvalidCurve = 106,
  AccountClosed = 107,
  TooManyMarkets = 108,
  CountMismatch = 109,
  NoPosition = 110,
  PlanOutOfOrder = 111,
  InvalidPolicy = 112,
  NoPlan = 113,
  InvalidWaterfall = 114,
  InvalidScenario = 115,
  // Raised in JavaScript only: a simulation shard's JSON is malformed or not the run its configuration describes.
  InvalidShard = 116,
  PlanEdited = 117,
  NotLiquidatable = 118,
  InvalidEconomics = 119,
  // 200..299: refusals
  BelowInitialMargin = 200,
  AccountHasPositions = 201,
  NegativeCollateral = 202,
  // 203..: refusals of the economics (staking, vault terms, withdrawals)
  CooldownNotOver = 203,
  SharesNotHeld = 204,
  NoUnstakeRequest = 205,
  UnstakeRequestPending = 206,
  AboveWithdrawable = 207,
  FundDepleted = 208,
  VaultLocked = 209,
  AccountHasStake = 210,
  WithdrawThroughQueue = 211,
}

/** Which input an error names. */
export enum Field {
  None = 0,
  AccountId = 1,
  MarketId = 2,
  SizeBase = 3,
  QuoteBalance = 4,
  FundingSnapshot = 5,
  CollateralQuote = 6,
  ImfFloorPpm = 7,
  MarkPrice = 8,
  FundingIndexLong = 9,
  FundingIndexShort = 10,
  BaseDecimals = 11,
  ImfPpm = 12,
  MmfPpm = 13,
  PremiumPpm = 14,
  NotionalFloorQuote = 15,
  LowerCapQuote = 16,
  UpperCapQuote = 17,
  CurveKind = 18,
  PositionCount = 19,
  PriceQuote = 20,
  AmountQuote = 21,
  Capacity = 22,
  TierCount = 23,
  Notional = 24,
  Policy = 25,
  BufferPpm = 26,
  MaxCloseFractionPpm = 27,
  LiquidationFeePpm = 28,
  LiquidatorSharePpm = 29,
  BackstopPpm = 30,
  BackstopAccountId = 31,
  MinCloseNotionalQuote = 32,
  FractionAboveNotionalQuote = 33,
  MaxNotionalPerRoundQuote = 34,
  MaxDeficitPerRoundQuote = 35,
  StepBase = 36,
  FundId = 37,
  Tranche = 38,
  NowSec = 39,
  Ranking = 40,
  WeightPpm = 41,
  CapacityQuote = 42,
  TopK = 43,
  Waterfall = 44,
  Ppm = 45,
  Correlation = 46,
  Steps = 47,
  MarginScalePpm = 48,
  FundingRatePpm = 49,
  IsolatedId = 50,
  Kind = 51,
  MakerFeePpm = 52,
  TakerFeePpm = 53,
  SplitPpm = 54,
  SettlePeriodSec = 55,
  MaxAprPpm = 56,
  StakerFactorPpm = 57,
  CooldownSec = 58,
  Shares = 59,
  RealizableRule = 60,
  TransferFloorPpm = 61,
  SettleFractionPpm = 62,
  RevenueSource = 63,
  LockupSec = 64,
  ProfitSharePpm = 65,
  SlippagePpm = 66,
  CapacityPeriodSec = 67,
  CapacityMinQuote = 68,
  CapacityPpm = 69,
  GateSec = 70,
  OperatorAccountId = 71,
  SkimPpm = 72,
}

/** Health codes written per account and per isolated position. */
export enum Health {
  Healthy = 0,
  BelowInitial = 1,
  Liquidatable = 2,
  Bankrupt = 3,
  Inactive = 4,
}

/** Curve kinds stored in the market record. */
export enum CurveKind {
  Flat = 0,
  Tiers = 1,
  SizePremium = 2,
  OpenInterest = 3,
}

/** Kinds of liquidation plan and log rows. */
export enum RowKind {
  Close = 0,
  Transfer = 1,
  Settle = 2,
}

/** Why a pre-trade check refused. */
export enum PreTradeReason {
  Ok = 0,
  BelowInitialMargin = 1,
}

/** Steps of a loss waterfall (the step record's kind; src TRANCHE_KINDS in this order). */
export enum Tranche {
  InsuranceFund = 0, BackstopVault = 1, Adl = 2, SocializeFunding = 3, HaircutGains = 4,
  HaircutDeposits = 5, HaircutVaultShares = 6, DefaulterFund = 7, OperatorCapital = 8,
  MembersFund = 9, Assessments = 10,
}
export const TRANCHE_KINDS: u32 = 11;

/** ADL rankings (the step record's ranking). Custom: keys computed by a caller's function. */
export enum Ranking { Pnl = 0, Bitmex = 1, Binance = 2, Hyperliquid = 3, Custom = 4, RandomWalk = 5, Largest = 6 }

/** Roles of audit records: a deficit covered, a payer's payment, residue, what stayed uncovered. */
export enum Role { Cover = 0, Pay = 1, Residue = 2, Uncovered = 3 }

/** Arrays of the simulation area (simPtr). */
export enum SimArray { Header = 0, Path = 1, Vol = 2, Drift = 3, Funding = 4, Factor = 5, Metrics = 6, Depth = 7 }

/**
 * Per-step metrics of a simulated path (i64 each, in this order; Covered + t: covered by tranche kind
 * t; then the economics: fees charged on the step's volume, the treasury's and the stakers' holdings
 * at the step's end).
 */
export enum Metric {
  Closes = 0, ClosedNotional = 1, Groups = 2, Deficit = 3, InsuranceFund = 4, VaultNav = 5,
  AdlNotional = 6, AdlAccounts = 7, Socialized = 8, Uncovered = 9, Residue = 10, Rounds = 11, Covered = 12,
  // After the covered amounts (Covered + TRANCHE_KINDS = 23; a static assertion below keeps it so).
  FeeRevenue = 23, Treasury = 24, StakerValue = 25,
  // The withdrawal run: received by winners on the step, the queue at the step's end, and (by row)
  // the requests that left the queue: row w + 1 counts those that waited w steps.
  Withdrawn = 26, Queued = 27, QueueWaits = 28,
}
// @ts-ignore: a compile-time check
assert(<u32>Metric.FeeRevenue == <u32>Metric.Covered + TRANCHE_KINDS);
export const METRICS: u32 = Metric.QueueWaits + 1;

/** Which side of a trade a fill was (its fee): the taker's, the maker's, or none (an ADL close). */
export enum Liquidity { Taker = 0, Maker = 1, NoFee = 2 }

/** Where revenue comes from (the revenue split's rows). */
export enum RevenueSource { TradingFees = 0, LiquidationFees = 1, FundingSkim = 2 }
export const SOURCES: u32 = 3;

/** Where revenue goes (the revenue split's columns). */
export enum Destination { InsuranceFund = 0, BackstopVault = 1, Stakers = 2, Treasury = 3, PnlPool = 4 }
export const DESTINATIONS: u32 = 5;

/** Which part of positive unrealized PnL counts toward what an account may withdraw. */
export enum Realizable { All = 0, None = 1, PnlPool = 2, ResidualRatio = 3 }

/** What bound an account's withdrawable amount. */
export enum WithdrawLimit { Equity = 0, InitialMargin = 1, TransferFloor = 2, Realizable = 3 }

/** Kinds of the economics' money movements (FlowRecord). */
export enum FlowKind {
  Distribution = 0, StakingSettle = 1, Stake = 2, Unstake = 3, UnstakeForfeit = 4, SettlePnl = 5,
  Withdrawal = 6, LossCharge = 7, ProfitShare = 8, Slippage = 9, Rounding = 10, VaultDeposit = 11, VaultWithdrawal = 12,
  TradingFee = 13, Rebate = 14, PnlPaid = 15, FundingSkim = 16,
}
