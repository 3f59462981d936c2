/**
 * Every record the core shares with JavaScript, declared once: its fields' byte offsets and its size.
 *
 * A record is a fixed-size block of memory the core owns (a staging area JavaScript writes, an
 * answer it reads, or the core's own state that both sides read). Engine code reads and writes these
 * records only through the names below; JavaScript reads the same tables from the core at start-up
 * (`abiTable`, abi/table.ts), so no byte offset is written twice. Columns (one value per row) are
 * declared in layout.ts; this file is for everything else, including a few core-internal records
 * (marked so): they are in the ABI table too, so that every layout is in one table, but JavaScript
 * never reads them.
 *
 * Conventions:
 *   - all values little-endian; `i128` is a signed 128-bit sum stored as (lo u64, hi i64) at +0/+8
 *     unless the record says its high words are `HI` bytes further (Exec, Run);
 *   - `BYTES` is the record's size (the stride of an array of them);
 *   - a field's type is written in the drawing; offsets are append-only within an ABI version.
 */

/** The high word (i64) of an `i128` field is this many bytes after its low word (u64). */
export const I128_HI: u32 = 8;

/** Capacities of the record arrays below. */
export const MAX_STEPS: u32 = 64;
export const MAX_BACKSTOP: u32 = 64;
export const MAX_MEMBERS: u32 = 1024;
export const MAX_PROVIDERS: u32 = 1024;

// ---- Errors, tallies, pre-trade (engine/state.ts, engine/margin/fills.ts) ---------------------

/** A failed call's details: +0 code i32 (a Status), +4 field i32 (a Field), +8 row i32 (-1: none). */
export enum ErrorRecord { code = 0, field = 4, row = 8, BYTES = 16 }

/**
 * Health tallies, u32 counters by Health (5 each): +0 book-wide accounts, +20 book-wide isolated
 * rows, +40 this call's accounts, +60 this call's isolated rows.
 */
export enum TallyRecord { bookAccounts = 0, bookIsolated = 20, callAccounts = 40, callIsolated = 60, BYTES = 80 }

/** A pre-trade answer: +0 equity, +8 IM, +16 MM, +24 free (i64); +32 health i32, +36 reason i32. */
export enum PreTradeRecord { equityQuote = 0, imQuote = 8, mmQuote = 16, freeQuote = 24, health = 32, reason = 36, BYTES = 48 }

/**
 * The engine's counters as a simulation's snapshot keeps them (core-internal; state.ts saveCounters):
 * u32 +0 accounts, +4 position top, +8 live positions, +12 isolated top, +16 isolated free head,
 * +20 live isolated rows, +24 markets, +28 tier top, +32 pending index entries; u8 +36 index dirty,
 * +37 results current.
 */
export enum CountersRecord {
  accountCount = 0, positionTop = 4, positionLive = 8, isolatedTop = 12, isolatedFreeHead = 16, isolatedLive = 20,
  marketCount = 24, tierTop = 28, pendingCount = 32, indexDirty = 36, resultsCurrent = 37,
  BYTES = 64,
}

// ---- Markets (engine/book/markets.ts) -------------------------------------------------------

/**
 * One market (Column.Markets, 192 B each), packed so that the margin loop reads one record:
 *
 *   +0 mark i64          +8 fundingLong i64   +16 fundingShort i64  +24 D = 10^baseDecimals i64
 *   +32 D*10^6 i64       +40 mark/D f64       +48 mark/(D*10^6) f64 +56 1/D f64
 *   +64 imfPpm u32       +68 mmfPpm u32       +72 kind u8 (CurveKind) +73 baseDecimals u8 +74 active u8
 *   +75 own insurance fund u8 (1: fund 1 + id, 0: the global fund 0)
 *   +76 effective imf (open-interest curve) u32                     +80 premiumPpm u32
 *   +84 tierCount u32    +88 first tier index u32                  +96 lowerCap i64
 *   +104 upperCap i64    +112 open interest long i64               +120 open interest short i64
 *   +128 baseLimit: |size| from which the base fractions stop applying (i64; 0 = never apply)
 *   +136 base imf u32 +140 base mmf u32 (tier 0, flat, or the open-interest scaled imf)
 *   +144 mark*base imf i64 (wrapping) +152 mark*base mmf i64 +160 mark/(D*10^6)*base imf f64
 *   +168 mark/(D*10^6)*base mmf f64   +176 base deduction i64 (always 0 in a market record)
 *   (the per-position fast path reads only these)   +184 liquidation step (base atoms) i64
 */
export enum MarketRecord {
  mark = 0, fundingLong = 8, fundingShort = 16, d = 24, d6 = 32,
  markOverD = 40, markOverD6 = 48, invD = 56,
  imf = 64, mmf = 68, kind = 72, decimals = 73, active = 74, ownFund = 75,
  imfEff = 76, premium = 80, tierCount = 84, tierFirst = 88,
  lower = 96, upper = 104, oiLong = 112, oiShort = 120,
  baseLimit = 128, baseImf = 136, baseMmf = 140, markImf = 144, markMmf = 152,
  estImf = 160, estMmf = 168, baseDeduction = 176, step = 184,
  BYTES = 192,
}

/** One margin tier (Column.Tiers): +0 notional floor i64, +8 size limit at the current mark i64,
 * +16 imfPpm u32, +20 mmfPpm u32, +24 maintenance deduction i64. */
export enum TierRecord { floor = 0, sizeLimit = 8, imf = 16, mmf = 20, deduction = 24, BYTES = 32 }

// ---- Liquidation (engine/liquidation/, engine/margin/prices.ts; the ledger: engine/funds.ts) -

/**
 * The liquidation policy (JavaScript stages it; setPolicy validates it into the active copy):
 *   +0 close u32 (0 full, 1 partial)  +4 target u32 (0 maintenance, 1 initial)  +8 bufferPpm u32
 *   +12 maxCloseFractionPpm u32  +16 order u32 (0 maintenance, 1 notional, 2 book)  +20 feePpm u32
 *   +24 liquidatorSharePpm u32  +28 backstopPpm u32  +32 backstop account u32
 *   +40 minCloseNotional i64  +48 fractionAboveNotional i64  +56 maxNotionalPerRound i64
 *   +64 maxDeficitPerRound i64
 */
export enum PolicyRecord {
  close = 0, target = 4, bufferPpm = 8, maxFractionPpm = 12, order = 16, feePpm = 20, sharePpm = 24,
  backstopPpm = 28, backstopAccount = 32, minCloseNotional = 40, fractionAbove = 48, maxNotional = 56, maxDeficit = 64,
  BYTES = 72,
}

/** The waiting plan: +0 rows u32, +4 groups u32, +8 complete u32 (1: every candidate fit). */
export enum PlanRecord { rows = 0, groups = 4, complete = 8, BYTES = 16 }

/** One chunk of position prices: +0 rows written u32, +4 the next account to price u32. */
export enum PricesRecord { rows = 0, nextAccount = 4, BYTES = 8 }

/**
 * Liquidation totals: +0 pending deficit records u32; all-time i128 sums: +8 liquidator fees,
 * +24 deficits recorded, +40 flow (funding - realized).
 */
export enum LiqRecord { deficits = 0, liquidatorFees = 8, deficitsRecorded = 24, flow = 40, BYTES = 64 }

/**
 * The last execution: counts (i64) +0 rows, +8 closes, +16 transfers, +24 settlements, +32 groups;
 * 128-bit totals, low words (u64) at +40 closed notional, +48 realized, +56 funding, +64 liquidator
 * fees, +72 fund fees, +80 surplus, +88 deficits, +96 transfers; each high word (i64) HI bytes further.
 */
export enum ExecRecord {
  rows = 0, closes = 8, transfers = 16, settlements = 24, groups = 32,
  closedNotionalQuote = 40, realizedPnlQuote = 48, fundingQuote = 56, liquidatorFeeQuote = 64,
  fundFeeQuote = 72, surplusQuote = 80, deficitQuote = 88, transferQuote = 96,
  HI = 104, BYTES = 208,
}

/**
 * The conservation ledger, i128 each: +0 collateral, +16 funds, +32 liquidator fees, +48 flow,
 * +64 deficits recorded, +80 total; +96 operator capital + default fund, +112 residue, +128 covered;
 * the economics' balances: +144 fee pools (trading fees and funding skims), +160 PnL pools, +176 stakers' revenue pools, +192 treasury.
 * total = collateral + funds + fees + flow - deficits + operator/default fund + residue + covered
 *         + fee pools + PnL pools + revenue pools + treasury.
 */
export enum LedgerRecord {
  collateral = 0, funds = 16, liquidatorFees = 32, flow = 48, deficits = 64, total = 80,
  operatorAndDefaultFund = 96, residue = 112, covered = 128,
  feePools = 144, pnlPools = 160, revenuePools = 176, treasury = 192,
  BYTES = 208,
}

// ---- Waterfall (engine/waterfall/; balances, members, providers stored in engine/funds.ts) ---

/**
 * One step of a waterfall configuration (MAX_STEPS of them, staged by JavaScript):
 *   +0 kind u8 (Tranche)  +1 waterfall u8  +2 mode u8 (ADL: 1 mark price; gains: 1 scope all;
 *   members' fund: 1 with layer 2)  +3 ranking u8 (Ranking)  +4 u32 fund | layer | topK
 *   +8 i64 a (maxPerDeficit | minGain | seed u64)  +16 i64 floor  +24 i64 marketCap
 *   +32 i64 marketCapWindowSec  +40 u32 ppm (drawdown | maxHaircut | multiple)
 *   +44 u16 first provider  +46 u16 providers  +48 i64 drawdownWindowSec
 */
export enum StepRecord {
  kind = 0, waterfall = 1, mode = 2, ranking = 3, param = 4, amount = 8, floor = 16, marketCap = 24,
  marketCapWindowSec = 32, ppm = 40, firstProvider = 44, providers = 46, drawdownWindowSec = 48,
  BYTES = 64,
}

/** One backstop provider: +0 account u32, +4 weightPpm u32, +8 capacity i64, +16 capacity left i64. */
export enum BackstopRecord { account = 0, weightPpm = 4, capacity = 8, left = 16, BYTES = 32 }

/** The active configuration: +0 steps u32, +4 waterfalls u32, +8 configured u32; +16 event u32;
 * +24 the last run's nowSec i64. */
export enum WaterfallStateRecord { steps = 0, waterfalls = 4, configured = 8, event = 16, lastNowSec = 24, BYTES = 32 }

/**
 * The last run: +0 deficits u32, +4 audit rows left in the buffer u32; 128-bit totals, low words
 * (u64) at +8 deficit total, +16 residue, +24 uncovered, +32 ADL volume (base atoms), +40 ADL
 * notional, +48 ADL accounts, +56 paid beyond equity (all steps); then per step j (MAX_STEPS each,
 * 8 B apart): covered at stepCovered + 8j, residue at stepResidue + 8j, paid beyond equity at
 * stepBeyond + 8j, accounts that paid beyond their equity at stepBeyondAccounts + 8j. Every high
 * word (i64) is HI bytes after its low word.
 */
export enum RunRecord {
  deficits = 0, auditLeft = 4, deficitQuote = 8, residueQuote = 16, uncoveredQuote = 24,
  adlVolumeBase = 32, adlNotionalQuote = 40, adlAccounts = 48, paidBeyondEquityQuote = 56,
  stepCovered = 64, stepResidue = 64 + MAX_STEPS * 8, stepBeyond = 64 + 2 * MAX_STEPS * 8,
  stepBeyondAccounts = 64 + 3 * MAX_STEPS * 8, HI = 64 + 4 * MAX_STEPS * 8, BYTES = 2 * (64 + 4 * MAX_STEPS * 8),
}

/**
 * What the waterfall keeps besides accounts and funds: i128 +0 residue, +16 uncovered, +32 unused,
 * +48 covered (all-time); i64 +64 operator capital layer 1, +72 layer 2, +80 deposit index (10^18 at
 * start), +88 total vault shares; u32 +96 vault account (NONE: no vault), +100 members, +104 providers.
 */
export enum BalancesRecord {
  residue = 0, uncovered = 16, covered = 48, operatorLayer1 = 64, operatorLayer2 = 72, depositIndexE18 = 80,
  totalShares = 88, vaultAccount = 96, members = 100, providers = 104,
  BYTES = 112,
}

/**
 * A time-bucketed window (core-internal; Column.FundWindow per fund, Column.MarketPaid per market):
 *   +0 bucket length in seconds i64 (0: no window)  +8 all-time total i64
 *   +16 WINDOW_BUCKETS buckets of WindowBucketRecord (bucket number i64, value i64), bucket b in slot b % 17
 */
export const WINDOW_BUCKETS: u32 = 17;
export enum WindowRecord { bucketSec = 0, total = 8, buckets = 16, BYTES = 16 + WINDOW_BUCKETS * 16 }
/** One bucket of a window: +0 bucket number i64 (-1: empty), +8 value i64. */
export enum WindowBucketRecord { bucket = 0, value = 8, BYTES = 16 }

/** One clearing member: +0 account u32, +8 contribution F i64, +16 committed K i64, +24 assessed i64. */
export enum MemberRecord { account = 0, fund = 8, committed = 16, assessed = 24, BYTES = 32 }

/** One vault share holder: +0 account u32, +8 shares i64, +16 last deposit second i64, +24 high-water
 * mark i64 (the value of the holder's shares on which the operator's profit share was last settled). */
export enum ProviderRecord { account = 0, shares = 8, lastDepositSec = 16, highWaterMark = 24, BYTES = 32 }

// ---- Stress simulation (engine/simulation/) --------------------------------------------------

/**
 * The simulation header. JavaScript writes the inputs; the core writes the path record.
 *   inputs: +0 steps u32, +4 max rounds per step u32, +8 markets u32, +12 flags u32 (1: jumps
 *   together), +16 seed u64, +24 step seconds i64, +32 start second i64, +40 impact slope ppm i64,
 *   +48 permanent ppm i64, +56 max impact ppm i64, +64 depth ppm of open interest i64,
 *   +72 jump probability f64, +80 jump mean f64, +88 jump std f64 (log-return units);
 *   the economics (docs/SIMULATION.md, "Revenue and risk-takers"): +96 turnover ppm of open interest
 *   per step u32, +100 crash multiplier ppm u32 (a step with liquidations), +104 revenue every k steps
 *   u32 (0: never), +108 stakers' share ppm of each fund at the start u32 (0: the engine's own stakes);
 *   the withdrawal run ("Winners' withdrawals"): +112 every k steps u32 (0: none), +116 the base
 *   probability ppm per run step u32, +120 the bank-run ppm u32 (added at a fund fully drawn), +124
 *   the path's index u32 (who acts first);
 *   the path record: +128 prefunded i64, +136 cover-1 i64, +144 cover-2 i64, +152 fund exhausted
 *   u32, +160 accounts checked u64, +168 epochs u32; at the path's start: +176 the stakers'
 *   holdings i64, +184 the vault's NAV i64, +192 the treasury i64; the withdrawal run's: +200
 *   winners u64, +208 what they wanted i64, +216 what they received i64, +224 winners short at the
 *   end u64, +232 requests that queued u64, +240 requests still queued at the end u64, +248 loss
 *   charges withheld i64; input again: +256 the funding skim ppm u32 (0: funding moves both indices
 *   alike; docs/SIMULATION.md, "Revenue and risk-takers"), +260..271 unused.
 */
export enum SimHeaderRecord {
  steps = 0, maxRounds = 4, markets = 8, flags = 12, seed = 16, stepSeconds = 24, startSecond = 32,
  impactSlopePpm = 40, impactPermanentPpm = 48, impactMaxPpm = 56, depthPpmOfOpenInterest = 64,
  jumpProbability = 72, jumpMean = 80, jumpStd = 88,
  turnoverPpm = 96, crashMultiplierPpm = 100, revenueEverySteps = 104, stakedPpm = 108,
  withdrawEverySteps = 112, withdrawPpm = 116, bankRunPpm = 120, path = 124,
  prefundedQuote = 128, cover1Quote = 136, cover2Quote = 144, fundExhausted = 152, accountsChecked = 160, epochs = 168,
  startStakerValue = 176, startVaultNav = 184, startTreasury = 192,
  winners = 200, wantedQuote = 208, receivedQuote = 216, shortWinners = 224, queuedRequests = 232, stillQueued = 240,
  chargedQuote = 248, fundingSkimPpm = 256,
  BYTES = 272,
}

/**
 * One ADL group (core-internal; Column.AdlGroups, one per (market, bankrupt side) of a run's step):
 *   +0 market u32   +4 bankrupt side i32 (+1 long, -1 short)   +8 total size to close (base atoms,
 *   saturating) u64   +16 first record u32, then (swept) its candidates' first row   +20 records u32,
 *   then (swept) its candidates' count   +24 first list entry (or first record)   +28 list fill, then
 *   end (or last record) u32   +32 candidates counted by a sweep u32
 */
export enum AdlGroupRecord { market = 0, side = 4, sizeBase = 8, first = 16, count = 20, from = 24, to = 28, candidates = 32, BYTES = 64 }

/** One epoch's prices of one market in the simulation area (Region.EpochPrices): mark, fundingLong,
 * fundingShort (i64). */
export enum EpochPriceRecord { mark = 0, fundingLong = 8, fundingShort = 16, BYTES = 24 }

/**
 * One row of the ADL candidates' ranking inputs (Column.AdlInputs, ADL_INPUT_ROWS at a time):
 * +0 holder tag u32 (an isolated row's has the top bit set), +4 account u32, +8 signed size i64,
 * +16 v (unrealized PnL), +24 N (notional), +32 Q (entry notional), +40 E (equity), +48 M (the
 * check's maintenance margin), +56 C (collateral), i64 each.
 */
export enum AdlInputRecord { tag = 0, account = 4, size = 8, pnl = 16, notional = 24, entry = 32, equity = 40, mm = 48, collateral = 56, BYTES = 64 }

// ---- Economics (engine/economics/; stored in engine/funds.ts): revenue, staking, withdrawals ---

/** Capacities of the economics' record arrays. */
export const MAX_STAKERS: u32 = 4096;
export const FLOW_ROWS: u32 = 1024;

/**
 * One market's economics (Column.MarketEcon):
 *   +0 maker fee ppm i32 (negative: a rebate)   +4 taker fee ppm i32
 *   +8 fee pool i64: trading fees net of rebates not yet distributed (negative while rebates lead)
 *   +16 PnL pool i64: losers' settled payments and fees routed to it, what settled winners are paid from
 *   +24 liquidation revenue i64: fund fees of this market's liquidations not yet split (a marker on
 *       money already in the fund, not money of its own)
 *   +32 skim pool i64: the funding skim (accrueFunding) not yet distributed
 */
export enum MarketEconRecord { makerFeePpm = 0, takerFeePpm = 4, feePool = 8, pnlPool = 16, liquidationRevenue = 24, skimPool = 32, BYTES = 40 }

/**
 * One insurance fund's staking state (Column.FundStake, fund 0 global, 1 + market):
 *   +0 total shares i64 (stakers' and the treasury's)   +8 stakers' shares i64
 *   +16 revenue pool i64: the stakers' revenue waiting for a settle   +24 last settle second i64
 */
export enum FundStakeRecord { totalShares = 0, stakerShares = 8, revenuePool = 16, lastSettleSec = 24, BYTES = 32 }

/**
 * One staker's stake in one fund (STAKERS, MAX_STAKERS of them): +0 account u32, +4 fund u32,
 * +8 shares i64, +16 shares of the open unstake request i64 (0: none), +24 their value at the
 * request i64, +32 the request's second i64.
 */
export enum StakerRecord { account = 0, fund = 4, shares = 8, requestShares = 16, requestValue = 24, requestSec = 32, BYTES = 40 }

/**
 * The economics' configuration and venue-level state (ECONOMICS):
 *   +0..39 unused (the revenue split's place while it had two sources)
 *   +40 stakers u32 (records in STAKERS)   +44 flows u32 (rows in FLOWS)
 *   staking:     +48 settle period seconds i64 (0: never settles)  +56 max APR ppm i64
 *                +64 stakers' factor ppm u32 (the rest is the treasury's)  +68 settle fraction ppm u32
 *                +72 cooldown seconds i64
 *   +80 treasury i64
 *   withdrawals: +88 realizable rule u32 (Realizable)  +92 transfer floor ppm of notional u32
 *   vault terms: +96 lock-up seconds i64  +104 profit share ppm u32  +108 withdrawal slippage ppm u32
 *                +112 operator account u32 (NONE: none)
 *   capacity:    +120 period seconds i64 (0: unlimited)  +128 minimum baseline i64
 *                +136 baseline ppm of total value u32  +140 loss charge u32 (1: on)  +144 gate seconds i64
 *                +152 capacity i64  +160 capacity's second i64  +168 gated until second i64
 *                +176 queue head u32  +180 queued requests u32  +184 queued total i64  +192 next request id i64
 *   answers:     +200 answer0 i64  +208 answer1 i64  +216 answer2 i64 (what the last call of the economics
 *                returns: shares minted, an amount paid, an amount queued; each call says which)
 *   +224 the latest second a staking call took i64 (staking refuses an earlier one)
 *   +232 revenue split, u32 ppm at (source * DESTINATIONS + destination) * 4 (RevenueSource x
 *        Destination, SOURCES * DESTINATIONS of them: 60 bytes)
 */
export enum EconomicsRecord {
  stakers = 40, flows = 44,
  settlePeriodSec = 48, maxAprPpm = 56, stakerFactorPpm = 64, settleFractionPpm = 68, cooldownSec = 72,
  treasury = 80,
  realizable = 88, transferFloorPpm = 92,
  lockupSec = 96, profitSharePpm = 104, slippagePpm = 108, operatorAccount = 112,
  capacityPeriodSec = 120, capacityMinQuote = 128, capacityPpm = 136, lossCharge = 140, gateSec = 144,
  capacityQuote = 152, capacitySec = 160, gatedUntilSec = 168, queueHead = 176, queued = 180, queuedQuote = 184, nextRequestId = 192,
  answer0 = 200, answer1 = 208, answer2 = 216, stakingSec = 224,
  split = 232,
  BYTES = 296,
}

/**
 * One account's withdrawable amount, as `withdrawableOf` answers it (WITHDRAWABLE):
 *   +0 withdrawable i64  +8 equity i64 (the check's)  +16 requirement i64 (max(IM, transfer floor))
 *   +24 realizable uPnL i64 (the positive uPnL that counts)  +32 positive uPnL i64
 *   +40 limit u32 (WithdrawLimit: what bound it)
 */
export enum WithdrawableRecord { amountQuote = 0, equityQuote = 8, requirementQuote = 16, realizableQuote = 24, positivePnlQuote = 32, limit = 40, BYTES = 48 }

/**
 * One queued withdrawal (Column.WithdrawQueue, a ring of QUEUE_ROWS rows): +0 account u32,
 * +8 amount still owed i64, +16 the second it was queued i64, +24 request id i64, +32 what the
 * account has received from it while queued i64 (payments net of loss charges).
 */
export enum QueuedRecord { account = 0, amountQuote = 8, sinceSec = 16, id = 24, paidQuote = 32, BYTES = 40 }

/**
 * One money movement of the economics (FLOWS, FLOW_ROWS of them; JavaScript drains them after each
 * call): +0 kind u8 (FlowKind), +1 source u8 (RevenueSource; 255: none), +2 destination u8
 * (Destination; 255: none), +4 account u32 (NONE: none), +8 id u32 (the market or fund the flow
 * names; for a withdrawal or a loss charge, the request's id, its low 32 bits; NONE: none),
 * +16 amount i64 (> 0), +24 second i64.
 */
export enum FlowRecord { kind = 0, source = 1, destination = 2, account = 4, id = 8, amountQuote = 16, sec = 24, BYTES = 32 }
