/**
 * The memory map of one engine instance.
 *
 * Memory is laid out once, by `init`, for the capacities the caller asks for; after that only the
 * simulation area (engine/simulation/area.ts, placed past everything here and laid out once per engine)
 * can grow it, so typed-array views that JavaScript makes over these columns stay valid on an engine
 * that does not simulate or reserved its simulation area at creation (the grow-once rule). Every
 * table is a structure of arrays:
 *
 *   [static data | 1 MiB reserve | markets | tiers | accounts | positions | isolated | index | scratch | io]
 *
 *   markets   MarketRecord.BYTES (192 B) per market, packed so the margin loop reads one record
 *             (drawn in records.ts)
 *   tiers     TierRecord.BYTES (32 B) per tier (records.ts)
 *   accounts  one column per field (see Column), indexed by account id
 *   positions cross positions, grouped by account: account a owns slots [start, start + len) of a
 *             block of `cap` slots; a block that fills up moves to the end of the arena
 *   isolated  one row per isolated position, linked per account through `isoNext`
 *   index     market -> holders (account ids; isolated rows with the top bit set), CSR
 *   funds     insurance fund balances: 0 global, 1 + market id for a market's own
 *   log       the liquidation plan and log, logCapacity rows (plan columns first, then amounts);
 *             the pending deficit records, as many rows
 *   prices    one chunk of position prices, PRICE_ROWS rows
 *   waterfall deficits' sizes, prices and open amounts; payers of a pro-rata split (accounts +
 *             isolated rows); the audit buffer (AUDIT_ROWS); per market its fund and waterfall,
 *             per fund and market a time window; ADL candidates of one market side (<= accounts)
 *   published what the caller's views show: a copy of the account and isolated results (with
 *             dirty marks per row), the plan's editable copy; ADL candidates' ranking inputs
 *
 * Trust: columns the caller can reach through a view are either the published copies (the core
 * never reads them: results), copies handed out in JavaScript (log, deficits), inputs validated
 * where they are consumed (staged batches at commit, plan sizes and prices at execution), or
 * scratch the core writes before it reads (the risk order, position prices).
 *
 * Column pointers are exported through `columnPtr(Column.X)`; JavaScript never hard-codes offsets.
 */
import { AdlGroupRecord, AdlInputRecord, FundStakeRecord, MarketEconRecord, MarketRecord, QueuedRecord, TierRecord, WindowRecord } from './records';

export const MAX_TIERS: u32 = 16;
export const MAX_MARKETS: u32 = 65535;
/** Pending (market, holder) pairs added since the index was last built. */
export const PENDING_CAP: u32 = 4096;
/** Entries of the io area used for batch inputs that are not per-account (marks, funding). */
export const IO_SMALL: u32 = 65536;
export const ISOLATED_TAG: u32 = 0x80000000;
/** The market id of a record without a market (a settlement, an account-wide deficit) in u16 market columns. */
export const NO_MARKET: u16 = 0xFFFF;
/** The step of an audit record no step wrote (what stayed uncovered) in the u16 step column. */
export const NO_STEP: u16 = 0xFFFF;
/** Scratch position slots past the arena's end (one account's book, plus one), for evaluating a
 * hypothetical book (pre-trade) or an isolated position with the same code as the batch loop. */
export const SCRATCH_SLOTS: u32 = 65537;

/** Every column JavaScript may view. Append-only numbering (mirrored in src/abi/columns.ts). */
export enum Column {
  Markets = 0,
  Tiers = 1,
  AccCollateral = 2,
  AccPosStart = 3,
  AccPosLen = 4,
  AccPosCap = 5,
  AccFloorPpm = 6,
  AccFlags = 7,
  AccIsoHead = 8,
  AccStamp = 9,
  AccEquity = 10,
  AccIm = 11,
  AccMm = 12,
  AccFree = 13,
  AccHealth = 14,
  PosSize = 15,
  PosQuote = 16,
  PosSnap = 17,
  PosMarket = 18,
  PosAccount = 19,
  IsoAccount = 20,
  IsoMarket = 21,
  IsoNext = 22,
  IsoFlags = 23,
  IsoSize = 24,
  IsoQuote = 25,
  IsoSnap = 26,
  IsoCollateral = 27,
  IsoEquity = 28,
  IsoIm = 29,
  IsoMm = 30,
  IsoFree = 31,
  IsoHealth = 32,
  IndexStart = 33,
  IndexEntries = 34,
  PendingMarket = 35,
  PendingHolder = 36,
  Queue = 37,
  IsoQueue = 38,
  SortIdsA = 39,
  SortIdsB = 40,
  SortKeysA = 41,
  SortKeysB = 42,
  SortCounts = 43,
  IoU32 = 44,
  IoI64A = 45,
  IoI64B = 46,
  MarketStamp = 47,
  IndexFill = 48,
  // Liquidation (engine/margin/prices.ts, engine/liquidation/).
  AccScratch = 49,
  FundBalance = 50,
  LogAccount = 51,
  LogMarket = 52,
  LogIso = 53,
  LogKind = 54,
  LogSize = 55,
  LogPrice = 56,
  LogRealized = 57,
  LogFunding = 58,
  LogLiqFee = 59,
  LogFundFee = 60,
  LogSurplus = 61,
  LogDeficit = 62,
  LogTransfer = 63,
  DefAccount = 64,
  DefMarket = 65,
  DefAmount = 66,
  PriceAccount = 67,
  PriceMarket = 68,
  PriceIso = 69,
  PriceSize = 70,
  PriceLiq = 71,
  PriceBank = 72,
  GroupKey = 73,
  GroupSlot = 74,
  FundScratch = 75,
  IsoStamp = 76,
  // Loss allocation (engine/waterfall/).
  DefSize = 77,
  DefPrice = 78,
  DefOpen = 79, // reserved (no memory): during a run a record's open amount is its DefAmount
  PayId = 80,
  PayWeight = 81,
  PayCap = 82,
  PayWork = 83,
  AuditDeficit = 84,
  AuditStep = 85,
  AuditRole = 86,
  AuditAccount = 87,
  AuditMarket = 88,
  AuditAmount = 89,
  AuditPrice = 90,
  AuditSize = 91,
  MarketFund = 92,
  MarketWaterfall = 93,
  FundWindow = 94,
  MarketPaid = 95,
  AdlKey = 96,
  AdlId = 97,
  AdlSize = 98,
  AdlSums = 99,
  AdlPos = 100,
  AdlGroups = 101,
  AdlGroupOf = 102,
  // What the caller's views show (engine/book/publish.ts): copies of the result columns, published when
  // a view is asked for; the core never reads them. Rows written since the last publish are marked
  // in AccDirty / IsoDirty (one byte per row).
  PubAccEquity = 103,
  PubAccIm = 104,
  PubAccMm = 105,
  PubAccFree = 106,
  PubAccHealth = 107,
  PubIsoAccount = 108,
  PubIsoMarket = 109,
  PubIsoEquity = 110,
  PubIsoIm = 111,
  PubIsoMm = 112,
  PubIsoFree = 113,
  PubIsoHealth = 114,
  AccDirty = 115,
  IsoDirty = 116,
  // The plan as the caller sees and may edit it (sizes and prices): execution checks its rows
  // against the plan in the log columns and takes the sizes and prices in (engine/liquidation/execute.ts).
  PlanAccount = 117,
  PlanMarket = 118,
  PlanIso = 119,
  PlanKind = 120,
  PlanSize = 121,
  PlanPrice = 122,
  // ADL candidates with the inputs of a ranking, ADL_INPUT_ROWS at a time (engine/waterfall/candidates.ts).
  AdlInputs = 123,
  // The economics (engine/economics/): per market its fees and pools, per fund its staking state; the
  // batch of withdrawable amounts and what bound each (scratch, aliased: JavaScript copies them out at
  // once); the queue of withdrawals waiting for capacity, and each account's total in it (i64).
  MarketEcon = 124,
  FundStake = 125,
  AccWithdrawable = 126,
  AccWithdrawLimit = 127,
  WithdrawQueue = 128,
  AccQueued = 129,
  Count = 130,
}

/** Column base pointers, set by `layOut`. */
const columns = new StaticArray<usize>(Column.Count);

export let maxAccounts: u32 = 0;
export let maxPositions: u32 = 0;
export let maxIsolated: u32 = 0;
export let maxMarkets: u32 = 0;
export let maxTiers: u32 = 0;
/** Capacity of the io u32 column (list inputs): max(accounts, isolated, IO_SMALL). */
export let ioCapacity: u32 = 0;
/** Rows of the liquidation plan/log and of the pending deficit records. */
export let logCapacity: u32 = 0;
/** Rows of one chunk of position prices: every position of any one account fits. */
export const PRICE_ROWS: u32 = 131072;
/** Rows of the audit buffer; a full buffer is handed to JavaScript (the `auditDrain` import) and reused. */
export const AUDIT_ROWS: u32 = 16384;
/** Rows of the withdrawal queue (Column.WithdrawQueue, a ring; QueuedRecord each). */
export const QUEUE_ROWS: u32 = 65536;
/** Rows of the ADL candidate inputs chunk (Column.AdlInputs), AdlInputRecord.BYTES each (records.ts). */
export const ADL_INPUT_ROWS: u32 = 4096;
/** First scratch slot: maxPositions. */
export let SCRATCH_SLOT: u32 = 0;

// @ts-ignore: decorator
@inline export function col(c: Column): usize {
  return unchecked(columns[c]);
}

// Element i of a column, by the element's width (the one set of column accessors).
// @ts-ignore: decorator
@inline export function i64At(c: Column, i: u32): usize { return col(c) + (<usize>i << 3); }
// @ts-ignore: decorator
@inline export function u32At(c: Column, i: u32): usize { return col(c) + (<usize>i << 2); }
// @ts-ignore: decorator
@inline export function u16At(c: Column, i: u32): usize { return col(c) + (<usize>i << 1); }
// @ts-ignore: decorator
@inline export function u8At(c: Column, i: u32): usize { return col(c) + <usize>i; }

/** The record of market `market` (MarketRecord, records.ts) in Column.Markets. */
// @ts-ignore: decorator
@inline export function marketPtr(market: u32): usize {
  return col(Column.Markets) + <usize>market * MarketRecord.BYTES;
}

/** Tier record `tier` (TierRecord, records.ts) in Column.Tiers. */
// @ts-ignore: decorator
@inline export function tierPtr(tier: u32): usize {
  return col(Column.Tiers) + <usize>tier * TierRecord.BYTES;
}

/** Bytes per element of each column. */
function widthOf(c: Column): u32 {
  switch (c) {
    case Column.Markets: return MarketRecord.BYTES;
    case Column.Tiers: return TierRecord.BYTES;
    case Column.AccCollateral: case Column.AccEquity: case Column.AccIm: case Column.AccMm:
    case Column.AccFree: case Column.PosSize: case Column.PosQuote: case Column.PosSnap:
    case Column.IsoSize: case Column.IsoQuote: case Column.IsoSnap: case Column.IsoCollateral:
    case Column.IsoEquity: case Column.IsoIm: case Column.IsoMm: case Column.IsoFree:
    case Column.SortKeysA: case Column.SortKeysB: case Column.IoI64A: case Column.IoI64B:
      return 8;
    case Column.AccScratch: case Column.FundBalance: case Column.LogSize: case Column.LogPrice:
    case Column.LogRealized: case Column.LogFunding: case Column.LogLiqFee: case Column.LogFundFee:
    case Column.LogSurplus: case Column.LogDeficit: case Column.LogTransfer: case Column.DefAmount:
    case Column.PriceSize: case Column.PriceLiq: case Column.PriceBank: case Column.GroupKey:
    case Column.FundScratch: case Column.DefSize: case Column.DefPrice:
    case Column.PayWeight: case Column.PayCap: case Column.PayWork: case Column.AuditAmount:
    case Column.AuditPrice: case Column.AuditSize: case Column.AdlKey: case Column.AdlSize: case Column.AdlSums:
      return 8;
    case Column.FundWindow: case Column.MarketPaid: return WindowRecord.BYTES;
    case Column.PubAccEquity: case Column.PubAccIm: case Column.PubAccMm: case Column.PubAccFree:
    case Column.PubIsoEquity: case Column.PubIsoIm: case Column.PubIsoMm: case Column.PubIsoFree:
    case Column.PlanSize: case Column.PlanPrice:
      return 8;
    case Column.PubAccHealth: case Column.PubIsoHealth: case Column.AccDirty: case Column.IsoDirty: case Column.PlanKind: return 1;
    case Column.PubIsoMarket: case Column.PlanMarket: return 2;
    case Column.AdlInputs: return AdlInputRecord.BYTES;
    case Column.AuditStep: case Column.AuditMarket: case Column.MarketFund: return 2;
    case Column.AdlGroups: return AdlGroupRecord.BYTES;
    case Column.MarketEcon: return MarketEconRecord.BYTES;
    case Column.FundStake: return FundStakeRecord.BYTES;
    case Column.WithdrawQueue: return QueuedRecord.BYTES;
    case Column.AccWithdrawable: case Column.AccQueued: return 8;
    case Column.AuditRole: case Column.MarketWaterfall: return 1;
    case Column.PosMarket: case Column.IsoMarket: case Column.LogMarket: case Column.DefMarket: case Column.PriceMarket: return 2;
    case Column.AccFlags: case Column.AccHealth: case Column.IsoFlags: case Column.IsoHealth: case Column.LogKind: return 1;
    default: return 4;
  }
}

/** Number of elements of each column for the current capacities. */
function lengthOf(c: Column): u32 {
  const sortLen = max(maxAccounts, maxIsolated);
  switch (c) {
    case Column.Markets: case Column.MarketStamp: case Column.IndexFill: return maxMarkets;
    case Column.IndexStart: return maxMarkets + 1;
    case Column.Tiers: return maxTiers;
    case Column.PosSize: case Column.PosQuote: case Column.PosSnap: case Column.PosMarket:
    case Column.PosAccount: return maxPositions + SCRATCH_SLOTS;
    case Column.IsoAccount: case Column.IsoMarket: case Column.IsoNext: case Column.IsoFlags:
    case Column.IsoSize: case Column.IsoQuote: case Column.IsoSnap: case Column.IsoCollateral:
    case Column.IsoEquity: case Column.IsoIm: case Column.IsoMm: case Column.IsoFree:
    case Column.IsoHealth: case Column.IsoQueue: return maxIsolated;
    case Column.IndexEntries: return maxPositions + maxIsolated;
    case Column.PendingMarket: case Column.PendingHolder: return PENDING_CAP;
    case Column.SortIdsA: case Column.SortIdsB: case Column.SortKeysA: case Column.SortKeysB: return sortLen;
    case Column.SortCounts: return 65536;
    case Column.IoU32: return ioCapacity;
    case Column.IoI64A: case Column.IoI64B: return IO_SMALL;
    case Column.FundBalance: case Column.FundScratch: return maxMarkets + 1;
    case Column.IsoStamp: return maxIsolated;
    case Column.LogAccount: case Column.LogMarket: case Column.LogIso: case Column.LogKind: case Column.LogSize:
    case Column.LogPrice: case Column.LogRealized: case Column.LogFunding: case Column.LogLiqFee: case Column.LogFundFee:
    case Column.LogSurplus: case Column.LogDeficit: case Column.LogTransfer:
    case Column.DefAccount: case Column.DefMarket: case Column.DefAmount:
    case Column.DefSize: case Column.DefPrice: return logCapacity;
    case Column.DefOpen: return 0; // reserved
    case Column.AdlKey: case Column.AdlSize: case Column.AdlPos: return 0; // aliases (aliasOf)
    case Column.PayId: case Column.PayWeight: case Column.PayCap: case Column.PayWork: return maxAccounts + maxIsolated;
    case Column.AuditDeficit: case Column.AuditStep: case Column.AuditRole: case Column.AuditAccount:
    case Column.AuditMarket: case Column.AuditAmount: case Column.AuditPrice: case Column.AuditSize: return AUDIT_ROWS;
    case Column.MarketFund: case Column.MarketWaterfall: case Column.MarketPaid: return maxMarkets;
    case Column.FundWindow: return maxMarkets + 1;
    case Column.AdlId: return maxAccounts + maxIsolated;
    case Column.AdlSums: return 65536;
    case Column.AdlGroups: case Column.AdlGroupOf: return maxMarkets * 2;
    case Column.PriceAccount: case Column.PriceMarket: case Column.PriceIso: case Column.PriceSize:
    case Column.PriceLiq: case Column.PriceBank: return PRICE_ROWS;
    case Column.GroupKey: case Column.GroupSlot: return SCRATCH_SLOTS;
    case Column.PubIsoAccount: case Column.PubIsoMarket: case Column.PubIsoEquity: case Column.PubIsoIm:
    case Column.PubIsoMm: case Column.PubIsoFree: case Column.PubIsoHealth: case Column.IsoDirty: return maxIsolated;
    case Column.PlanAccount: case Column.PlanMarket: case Column.PlanIso: case Column.PlanKind:
    case Column.PlanSize: case Column.PlanPrice: return logCapacity;
    case Column.AdlInputs: return ADL_INPUT_ROWS;
    case Column.MarketEcon: return maxMarkets;
    case Column.FundStake: return maxMarkets + 1;
    case Column.AccWithdrawable: case Column.AccWithdrawLimit: return 0; // aliases (aliasOf)
    case Column.WithdrawQueue: return QUEUE_ROWS;
    default: return maxAccounts; // account columns and Queue
  }
}

/**
 * Columns that share another's memory because they are never live at the same time: ADL candidates'
 * keys, sizes and position addresses (one market side at a time, before any close) live in the
 * pro-rata payer columns (used by pooled steps and, after the ranking, by ADL's top-K split); a
 * batch of withdrawable amounts (i64) and their limits (u32 codes) in the sort scratch, which
 * JavaScript copies out before any other call.
 */
function aliasOf(c: Column): i32 {
  switch (c) {
    case Column.AdlKey: return Column.PayWeight;
    case Column.AdlSize: return Column.PayCap;
    case Column.AdlPos: return Column.PayId;
    case Column.AccWithdrawable: return Column.SortKeysA;
    case Column.AccWithdrawLimit: return Column.SortIdsA;
    default: return -1;
  }
}

/** Total bytes the layout needs for the current capacities (f64, so huge requests do not wrap). */
function layoutBytes(): f64 {
  let total: f64 = 0;
  for (let c = 0; c < Column.Count; c++) total += <f64>((<u64>lengthOf(c) * widthOf(c) + 15) & ~15);
  return total;
}

function setCapacities(accounts: u32, positions: u32, isolated: u32, markets: u32): void {
  maxAccounts = accounts;
  maxPositions = positions;
  SCRATCH_SLOT = positions;
  maxIsolated = isolated;
  maxMarkets = markets;
  maxTiers = markets * MAX_TIERS;
  ioCapacity = max(max(accounts, isolated), IO_SMALL);
  // A round's plan: a sixteenth of the book's positions, between 2^17 and 2^19 rows (83 B each, and
  // 14 B per pending deficit record): at most about 6 B per position of capacity.
  const rows = (<u64>positions + isolated) >> 4;
  logCapacity = markets == 0 ? 0 : <u32>min<u64>(max<u64>(rows, 131072), 1 << 19);
}

/**
 * Lays the columns out after the static data and grows memory once to hold them.
 * Returns false if the total does not fit a 4 GiB wasm32 memory.
 */
export function layOut(accounts: u32, positions: u32, isolated: u32, markets: u32): bool {
  const base: u64 = ((<u64>__heap_base + (1 << 20)) + 0xFFFF) & ~<u64>0xFFFF;
  setCapacities(accounts, positions, isolated, markets);
  const total = layoutBytes();
  if (<f64>base + total > 4294901760.0) {
    setCapacities(0, 0, 0, 0);
    return false;
  }
  const endBytes = base + <u64>total;
  const pagesNeeded = <i32>((endBytes + 0xFFFF) >> 16);
  const have = memory.size();
  if (pagesNeeded > have && memory.grow(pagesNeeded - have) < 0) {
    setCapacities(0, 0, 0, 0);
    return false;
  }
  let p = base;
  for (let c = 0; c < Column.Count; c++) {
    unchecked(columns[c] = <usize>p);
    p += (<u64>lengthOf(c) * widthOf(c) + 15) & ~15;
  }
  for (let c = 0; c < Column.Count; c++) {
    const a = aliasOf(c);
    if (a >= 0) unchecked(columns[c] = columns[a]);
  }
  // Fresh memory is zero; nothing else to clear.
  return true;
}

/** Bytes a column occupies (its padded length). */
export function columnBytes(c: Column): usize {
  return <usize>((<u64>lengthOf(c) * widthOf(c) + 15) & ~15);
}

export function columnPtr(c: i32): usize {
  return c >= 0 && c < Column.Count ? unchecked(columns[c]) : 0;
}
