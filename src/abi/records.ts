/**
 * The core's ABI table (assembly/abi/table.ts `abiTable()`), read once per instance into typed
 * tables: every record's field offsets and size, the core's enums, and its limits. The names this
 * side reads are declared below (names only: every number comes from the core); a name the core's
 * table lacks fails the engine's creation. No byte offset of a core record is written anywhere else
 * in src/.
 *
 * The table is text, one line per table:
 *   record Market mark:0 fundingLong:8 ... BYTES:192
 *   enum Status Ok:0 CapacityExceeded:1 ...
 *   const Limits maxSteps:64 ...
 */

/** Fields read of each record (BYTES, its size, always). */
export const RECORD_FIELDS = {
  Error: ['code', 'field', 'row'],
  Tally: ['bookAccounts', 'bookIsolated', 'callAccounts', 'callIsolated'],
  PreTrade: ['equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health', 'reason'],
  Market: ['mark', 'fundingLong', 'fundingShort', 'decimals', 'imfEff', 'oiLong', 'oiShort'],
  Policy: [
    'close', 'target', 'bufferPpm', 'maxFractionPpm', 'order', 'feePpm', 'sharePpm', 'backstopPpm', 'backstopAccount',
    'minCloseNotional', 'fractionAbove', 'maxNotional', 'maxDeficit',
  ],
  Plan: ['rows', 'groups', 'complete'],
  Prices: ['rows', 'nextAccount'],
  Liq: ['deficits'],
  Exec: [
    'rows', 'closes', 'transfers', 'settlements', 'groups', 'closedNotionalQuote', 'realizedPnlQuote', 'fundingQuote',
    'liquidatorFeeQuote', 'fundFeeQuote', 'surplusQuote', 'deficitQuote', 'transferQuote', 'HI',
  ],
  Ledger: [
    'collateral', 'funds', 'liquidatorFees', 'flow', 'deficits', 'total', 'operatorAndDefaultFund', 'residue', 'covered',
    'feePools', 'pnlPools', 'revenuePools', 'treasury',
  ],
  Step: [
    'kind', 'waterfall', 'mode', 'ranking', 'param', 'amount', 'floor', 'marketCap', 'marketCapWindowSec', 'ppm',
    'firstProvider', 'providers', 'drawdownWindowSec',
  ],
  Backstop: ['account', 'weightPpm', 'capacity'],
  Run: [
    'deficits', 'deficitQuote', 'residueQuote', 'uncoveredQuote', 'adlVolumeBase', 'adlNotionalQuote', 'adlAccounts',
    'paidBeyondEquityQuote', 'stepCovered', 'stepResidue', 'stepBeyond', 'stepBeyondAccounts', 'HI',
  ],
  Balances: ['residue', 'uncovered', 'covered', 'operatorLayer1', 'operatorLayer2', 'depositIndexE18', 'totalShares', 'vaultAccount', 'members', 'providers'],
  Member: ['account', 'fund', 'committed', 'assessed'],
  Provider: ['account', 'shares', 'lastDepositSec', 'highWaterMark'],
  SimHeader: [
    'flags', 'seed', 'stepSeconds', 'startSecond', 'impactSlopePpm', 'impactPermanentPpm', 'impactMaxPpm', 'depthPpmOfOpenInterest',
    'jumpProbability', 'jumpMean', 'jumpStd', 'prefundedQuote', 'cover1Quote', 'cover2Quote', 'fundExhausted', 'accountsChecked',
    'turnoverPpm', 'crashMultiplierPpm', 'revenueEverySteps', 'stakedPpm', 'startStakerValue', 'startVaultNav', 'startTreasury',
    'withdrawEverySteps', 'withdrawPpm', 'bankRunPpm', 'path', 'winners', 'wantedQuote', 'receivedQuote', 'shortWinners',
    'queuedRequests', 'stillQueued', 'chargedQuote', 'fundingSkimPpm',
  ],
  AdlInput: ['tag', 'account', 'size', 'pnl', 'notional', 'entry', 'equity', 'mm', 'collateral'],
  MarketEcon: ['makerFeePpm', 'takerFeePpm', 'feePool', 'pnlPool', 'liquidationRevenue', 'skimPool'],
  FundStake: ['totalShares', 'stakerShares', 'revenuePool', 'lastSettleSec'],
  Staker: ['account', 'fund', 'shares', 'requestShares', 'requestValue', 'requestSec'],
  Economics: [
    'split', 'stakers', 'flows', 'settlePeriodSec', 'maxAprPpm', 'stakerFactorPpm', 'settleFractionPpm', 'cooldownSec', 'treasury',
    'realizable', 'transferFloorPpm', 'lockupSec', 'profitSharePpm', 'slippagePpm', 'operatorAccount',
    'capacityPeriodSec', 'capacityMinQuote', 'capacityPpm', 'lossCharge', 'gateSec', 'capacityQuote', 'capacitySec', 'gatedUntilSec',
    'queueHead', 'queued', 'queuedQuote', 'nextRequestId', 'answer0', 'answer1', 'answer2', 'stakingSec',
  ],
  Withdrawable: ['amountQuote', 'equityQuote', 'requirementQuote', 'realizableQuote', 'positivePnlQuote', 'limit'],
  Queued: ['account', 'amountQuote', 'sinceSec', 'id', 'paidQuote'],
  Flow: ['kind', 'source', 'destination', 'account', 'id', 'amountQuote', 'sec'],
} as const;

/** Members read of each enum. */
export const ENUM_MEMBERS = {
  Status: [],
  Field: [],
  Health: ['Healthy', 'BelowInitial', 'Liquidatable', 'Bankrupt', 'Inactive'],
  CurveKind: ['Flat', 'Tiers', 'SizePremium', 'OpenInterest'],
  RowKind: ['Close', 'Transfer', 'Settle'],
  Tranche: [],
  Ranking: ['Custom'],
  SimArray: ['Header', 'Path', 'Vol', 'Drift', 'Funding', 'Factor', 'Metrics'],
  Metric: [],
  Column: [],
  Liquidity: ['Taker', 'Maker', 'NoFee'],
  RevenueSource: ['TradingFees', 'LiquidationFees', 'FundingSkim'],
  Destination: ['InsuranceFund', 'BackstopVault', 'Stakers', 'Treasury', 'PnlPool'],
  Realizable: ['All', 'None', 'PnlPool', 'ResidualRatio'],
  WithdrawLimit: ['Equity', 'InitialMargin', 'TransferFloor', 'Realizable'],
  FlowKind: [
    'Distribution', 'StakingSettle', 'Stake', 'Unstake', 'UnstakeForfeit', 'SettlePnl', 'Withdrawal', 'LossCharge', 'ProfitShare',
    'Slippage', 'Rounding', 'VaultDeposit', 'VaultWithdrawal', 'TradingFee', 'Rebate', 'PnlPaid', 'FundingSkim',
  ],
} as const;

/** Limits read. */
export const LIMITS = [
  'maxSteps', 'maxBackstop', 'maxTiers', 'ioSmall', 'isolatedTag', 'none', 'noMarket', 'fundMarket', 'metrics', 'trancheKinds',
  'maxStakers', 'flowRows', 'queueRows', 'sources', 'destinations',
] as const;

export type RecordName = keyof typeof RECORD_FIELDS;
/** One record's layout: byte offset of each field, and BYTES, its size. */
export type RecordLayout<R extends RecordName> = { readonly [F in (typeof RECORD_FIELDS)[R][number] | 'BYTES']: number };
export type Records = { readonly [R in RecordName]: RecordLayout<R> };
export type EnumName = keyof typeof ENUM_MEMBERS;
export type Enums = { readonly [E in EnumName]: { readonly [M in (typeof ENUM_MEMBERS)[E][number]]: number } };
export type Limits = { readonly [L in (typeof LIMITS)[number]]: number };

/** The core's ABI table, parsed. */
export interface Abi {
  records: Records;
  enums: Enums;
  limits: Limits;
  /** Every table of the text, all its entries: `record Market`, `enum Status`, `const Limits`. */
  tables: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Each line's entries, by `kind name`. */
function tablesOf(text: string): Map<string, Map<string, number>> {
  const tables = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    const [kind, name, ...entries] = line.trim().split(/\s+/);
    if (!kind || !name) continue;
    const values = new Map<string, number>();
    for (const entry of entries) {
      const colon = entry.lastIndexOf(':');
      const value = Number(entry.slice(colon + 1));
      if (colon < 1 || !Number.isSafeInteger(value)) throw new Error(`riskcore: the wasm core's ABI table is malformed (${kind} ${name}: ${entry})`);
      values.set(entry.slice(0, colon), value);
    }
    tables.set(`${kind} ${name}`, values);
  }
  return tables;
}

/** The named entries of one table; a missing table or name is an error naming it. */
function pick(tables: Map<string, Map<string, number>>, table: string, names: readonly string[]): Record<string, number> {
  const values = tables.get(table);
  if (!values) throw new Error(`riskcore: the wasm core's ABI table has no ${table} (a core from another build?)`);
  const out: Record<string, number> = {};
  for (const name of names) {
    const v = values.get(name);
    if (v === undefined) throw new Error(`riskcore: the wasm core's ABI table has no ${name} in ${table} (a core from another build?)`);
    out[name] = v;
  }
  return Object.freeze(out);
}

let last: { text: string; abi: Abi } | undefined;

/** Parses the core's ABI table; throws an Error naming the first table or name it lacks. */
export function parseAbi(text: string): Abi {
  if (last?.text === text) return last.abi;
  const tables = tablesOf(text);
  const map = <K extends string>(keys: readonly K[], f: (k: K) => Record<string, number>) => Object.freeze(Object.fromEntries(keys.map((k) => [k, f(k)])));
  const abi: Abi = {
    records: map(Object.keys(RECORD_FIELDS) as RecordName[], (r) => pick(tables, `record ${r}`, [...RECORD_FIELDS[r], 'BYTES'])) as unknown as Records,
    enums: map(Object.keys(ENUM_MEMBERS) as EnumName[], (e) => pick(tables, `enum ${e}`, ENUM_MEMBERS[e])) as unknown as Enums,
    limits: pick(tables, 'const Limits', LIMITS) as Limits,
    tables,
  };
  last = { text, abi };
  return abi;
}

/** A signed 128-bit value stored as (lo u64, hi i64) at `offset`: the core's i128, its high word I128_HI (8) bytes on (a test checks). */
export function i128(view: DataView, offset: number): bigint {
  return split128(view, offset, BigInt64Array.BYTES_PER_ELEMENT);
}

/** A 128-bit total whose low word (u64) is at `offset` and high word (i64) `hi` bytes further (Exec, Run). */
export function split128(view: DataView, offset: number, hi: number): bigint {
  return (view.getBigInt64(offset + hi, true) << 64n) + view.getBigUint64(offset, true);
}

/** Field readers (little-endian, as every record). */
export const u32 = (view: DataView, offset: number): number => view.getUint32(offset, true);
export const i64 = (view: DataView, offset: number): bigint => view.getBigInt64(offset, true);
export const u64 = (view: DataView, offset: number): bigint => view.getBigUint64(offset, true);
