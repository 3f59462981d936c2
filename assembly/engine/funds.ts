/**
 * The money outside accounts, shared by liquidation, the waterfall and the economics (all import this
 * file; it imports no stage): the insurance funds, the pending deficit records' count, the waterfall's
 * balances record with the clearing members' and the vault providers' records (stored here, moved by
 * waterfall/parties.ts and, deposits and withdrawals of vault shares, economics/vault.ts), the economics' record with the stakers and the flow rows (stored here, moved
 * by economics/), and the conservation ledger over all of it (docs/FORMULAS.md, "Execution and
 * conservation"; LedgerRecord, records.ts).
 *
 * Conservation: L = collateral (cross and isolated) + funds + liquidator fees + (funding - realized
 * over executed rows) - deficits recorded + operator capital and default fund + residue + covered
 * + fee pools + PnL pools + stakers' revenue pools + treasury is unchanged by every execution, every
 * waterfall run and every call of the economics that moves money; the debug build recomputes L
 * around them and aborts if it moved.
 */
import { addAmount, AMOUNT_LIMIT, OVERFLOWED } from '../math/fixed';
import { addWide } from '../math/wide';
import { Column, i64At, u8At, u16At } from '../abi/layout';
import { col } from '../abi/layout';
import { Destination, DESTINATIONS, Field, SOURCES, Status } from '../abi/status';
import { BalancesRecord, EconomicsRecord, FLOW_ROWS, FlowRecord, FundStakeRecord, I128_HI, LedgerRecord, LiqRecord, MarketEconRecord, MAX_MEMBERS, MAX_PROVIDERS, MAX_STAKERS, MemberRecord, ProviderRecord, StakerRecord, WithdrawableRecord } from '../abi/records';
import { accountCount, fail, isolatedTop, LIQ_RECORD, marketCount, NONE, setPlanRehearsed } from './state';

/** What the waterfall keeps besides accounts and funds (BalancesRecord). */
export const BALANCES: usize = memory.data(BalancesRecord.BYTES, 8);
export const MEMBERS: usize = memory.data(<i32>(MAX_MEMBERS * MemberRecord.BYTES), 8);
export const PROVIDERS: usize = memory.data(<i32>(MAX_PROVIDERS * ProviderRecord.BYTES), 8);

/** The economics' configuration and venue-level state (EconomicsRecord), its stakers and flow rows. */
export const ECONOMICS: usize = memory.data(EconomicsRecord.BYTES, 8);
export const STAKERS: usize = memory.data(<i32>(MAX_STAKERS * StakerRecord.BYTES), 8);
export const FLOWS: usize = memory.data(<i32>(FLOW_ROWS * FlowRecord.BYTES), 8);

/** The answer of `withdrawableOf` (WithdrawableRecord). */
export const WITHDRAWABLE: usize = memory.data(WithdrawableRecord.BYTES, 8);

/** Thirteen days, the default unstaking cooldown (Drift's `unstaking_period`). */
export const DEFAULT_COOLDOWN_SEC: i64 = 13 * 86_400;

/**
 * Empties the balances at creation: no vault, no members, the deposit index at 10^18 (1); the
 * economics at their defaults: every revenue source to the insurance fund (what liquidation fees did
 * before there was a split), staking that never settles until a period is set (Drift's caps: max APR
 * 1000 %, a tenth of the pool per settle, half to stakers, 13 days' cooldown), every unrealized
 * gain withdrawable above initial margin, no vault terms, unlimited withdrawal capacity.
 */
export function initFunds(): void {
  memory.fill(BALANCES, 0, BalancesRecord.BYTES);
  store<i64>(BALANCES, 1_000_000_000_000_000_000, BalancesRecord.depositIndexE18);
  store<u32>(BALANCES, NONE, BalancesRecord.vaultAccount);
  memory.fill(ECONOMICS, 0, EconomicsRecord.BYTES);
  for (let s: u32 = 0; s < SOURCES; s++) store<u32>(splitPtr(s, Destination.InsuranceFund), 1_000_000);
  store<i64>(ECONOMICS, 10_000_000, EconomicsRecord.maxAprPpm);
  store<u32>(ECONOMICS, 500_000, EconomicsRecord.stakerFactorPpm);
  store<u32>(ECONOMICS, 100_000, EconomicsRecord.settleFractionPpm);
  store<i64>(ECONOMICS, DEFAULT_COOLDOWN_SEC, EconomicsRecord.cooldownSec);
  store<u32>(ECONOMICS, NONE, EconomicsRecord.operatorAccount);
}

// @ts-ignore: a compile-time check (every source's row of the split fits the record)
assert(<u32>EconomicsRecord.split + SOURCES * DESTINATIONS * 4 <= <u32>EconomicsRecord.BYTES);

/** The split's entry for (source, destination): u32 ppm (EconomicsRecord.split). */
// @ts-ignore: decorator
@inline export function splitPtr(source: u32, destination: u32): usize {
  return ECONOMICS + EconomicsRecord.split + ((<usize>source * DESTINATIONS + destination) << 2);
}

/** Market m's economics (MarketEconRecord) and fund f's staking state (FundStakeRecord). */
// @ts-ignore: decorator
@inline export function marketEconPtr(m: u32): usize { return col(Column.MarketEcon) + <usize>m * MarketEconRecord.BYTES; }
// @ts-ignore: decorator
@inline export function fundStakePtr(f: u32): usize { return col(Column.FundStake) + <usize>f * FundStakeRecord.BYTES; }
/** Staker record i (StakerRecord). */
// @ts-ignore: decorator
@inline export function stakerPtr(i: u32): usize { return STAKERS + <usize>i * StakerRecord.BYTES; }

/**
 * Appends a flow row (FlowRecord) for JavaScript's journal. The callers size their work so the rows
 * fit (a call that may write more works in chunks); a full buffer is a bug, not an input.
 */
export function addFlow(kind: u32, source: u32, destination: u32, account: u32, id: u32, amount: i64, sec: i64): void {
  if (!flowsOn) return;
  const n = load<u32>(ECONOMICS, EconomicsRecord.flows);
  assert(n < FLOW_ROWS);
  const p = FLOWS + <usize>n * FlowRecord.BYTES;
  store<u8>(p, <u8>kind, FlowRecord.kind);
  store<u8>(p, <u8>source, FlowRecord.source);
  store<u8>(p, <u8>destination, FlowRecord.destination);
  store<u32>(p, account, FlowRecord.account);
  store<u32>(p, id, FlowRecord.id);
  store<i64>(p, amount, FlowRecord.amountQuote);
  store<i64>(p, sec, FlowRecord.sec);
  store<u32>(ECONOMICS, n + 1, EconomicsRecord.flows);
}

/** Whether flows are written: a simulated path (which reports metrics instead) turns them off. */
let flowsOn = true;
export function setFlows(on: bool): void { flowsOn = on; clearFlows(); }

/** Empties the flow rows (JavaScript has read them; every call of the economics starts with this). */
export function clearFlows(): void { store<u32>(ECONOMICS, 0, EconomicsRecord.flows); }

/** The operator's capital layer 1 or 2 (BalancesRecord operatorLayer1 / operatorLayer2, 8 bytes apart). */
// @ts-ignore: decorator
@inline export function operatorLayerPtr(layer: u32): usize {
  return BALANCES + BalancesRecord.operatorLayer1 + (<usize>(layer - 1) << 3);
}

export function memberCount(): u32 { return load<u32>(BALANCES, BalancesRecord.members); }
// @ts-ignore: decorator
@inline export function memberPtr(i: u32): usize { return MEMBERS + <usize>i * MemberRecord.BYTES; }

/** Adds every default-fund contribution to the 128-bit sum at p (the ledger: exact at any total). */
function addDefaultFund(p: usize): void {
  const n = memberCount();
  for (let i: u32 = 0; i < n; i++) addWide(p, load<i64>(memberPtr(i), MemberRecord.fund));
}

/** The ledger's components (LedgerRecord), each a 128-bit pair. */
export const LEDGER_RECORD: usize = memory.data(LedgerRecord.BYTES, 8);

/** The fund a market pays into: 0 (global), 1 + market (its own) or 1 + its pool's first market. */
// @ts-ignore: decorator
@inline export function fundOf(market: u32): u32 { return load<u16>(u16At(Column.MarketFund, market)); }

/** Adds to a fund: fund 0 (global) or 1 + market. Errors: unknown fund, amount not in 1..2^62, balance past 2^62. */
export function depositFund(fund: u32, amount: i64): i32 {
  if (fund > marketCount) return fail(Status.UnknownMarket, Field.FundId, -1);
  if (amount <= 0 || amount > AMOUNT_LIMIT) return fail(Status.OutOfRange, Field.AmountQuote, -1);
  const after = addAmount(load<i64>(i64At(Column.FundBalance, fund)), amount);
  if (after == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, -1);
  store<i64>(i64At(Column.FundBalance, fund), after);
  setPlanRehearsed(false); // a waiting plan's fund fees were checked against the old balance
  return Status.Ok;
}

/** Drops the pending deficit records (the caller has taken them). */
export function clearDeficits(): void { store<u32>(LIQ_RECORD, 0, LiqRecord.deficits); }

/** Computes the ledger into LEDGER_RECORD. */
export function ledgerSum(): void {
  memory.fill(LEDGER_RECORD, 0, LedgerRecord.BYTES);
  for (let a: u32 = 0; a < accountCount; a++) addWide(LEDGER_RECORD + LedgerRecord.collateral, load<i64>(i64At(Column.AccCollateral, a)));
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(u8At(Column.IsoFlags, r)) != 0) addWide(LEDGER_RECORD + LedgerRecord.collateral, load<i64>(i64At(Column.IsoCollateral, r)));
  }
  for (let f: u32 = 0; f <= marketCount; f++) addWide(LEDGER_RECORD + LedgerRecord.funds, load<i64>(i64At(Column.FundBalance, f)));
  memory.copy(LEDGER_RECORD + LedgerRecord.liquidatorFees, LIQ_RECORD + LiqRecord.liquidatorFees, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.flow, LIQ_RECORD + LiqRecord.flow, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.deficits, LIQ_RECORD + LiqRecord.deficitsRecorded, 16);
  addWide(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund, load<i64>(BALANCES, BalancesRecord.operatorLayer1));
  addWide(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund, load<i64>(BALANCES, BalancesRecord.operatorLayer2));
  addDefaultFund(LEDGER_RECORD + LedgerRecord.operatorAndDefaultFund);
  memory.copy(LEDGER_RECORD + LedgerRecord.residue, BALANCES + BalancesRecord.residue, 16);
  memory.copy(LEDGER_RECORD + LedgerRecord.covered, BALANCES + BalancesRecord.covered, 16);
  for (let m: u32 = 0; m < marketCount; m++) {
    addWide(LEDGER_RECORD + LedgerRecord.feePools, load<i64>(marketEconPtr(m), MarketEconRecord.feePool));
    addWide(LEDGER_RECORD + LedgerRecord.feePools, load<i64>(marketEconPtr(m), MarketEconRecord.skimPool));
    addWide(LEDGER_RECORD + LedgerRecord.pnlPools, load<i64>(marketEconPtr(m), MarketEconRecord.pnlPool));
  }
  for (let f: u32 = 0; f <= marketCount; f++) addWide(LEDGER_RECORD + LedgerRecord.revenuePools, load<i64>(fundStakePtr(f), FundStakeRecord.revenuePool));
  addWide(LEDGER_RECORD + LedgerRecord.treasury, load<i64>(ECONOMICS, EconomicsRecord.treasury));
  // total = collateral + funds + fees + flow - deficits + operator/default fund + residue + covered
  //         + fee pools + PnL pools + revenue pools + treasury
  let lo: u64 = 0, hi: i64 = 0;
  // The components are 16 bytes apart (LedgerRecord): every one but deficits (4) and total (5).
  for (let k = 0; k < 13; k++) {
    if (k == 4 || k == 5) continue;
    const l = load<u64>(LEDGER_RECORD + k * 16), s = lo + l;
    hi += load<i64>(LEDGER_RECORD + k * 16, I128_HI) + <i64>(s < lo);
    lo = s;
  }
  {
    const dl = load<u64>(LEDGER_RECORD + LedgerRecord.deficits), dh = load<i64>(LEDGER_RECORD + LedgerRecord.deficits + I128_HI);
    hi = hi - dh - <i64>(lo < dl);
    lo = lo - dl;
  }
  store<u64>(LEDGER_RECORD + LedgerRecord.total, lo);
  store<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI, hi);
}


/** The ledger's total as ledgerSum leaves it: low word (the high word is ledgerTotalHi). */
let markLo: u64 = 0, markHi: i64 = 0;

/** Debug builds: remembers the ledger's total before a call of the economics moves money. */
export function ledgerMark(): void {
  if (ASC_NO_ASSERT) return;
  ledgerSum();
  markLo = load<u64>(LEDGER_RECORD + LedgerRecord.total); markHi = load<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI);
}

/** Debug builds: aborts unless the ledger's total is what ledgerMark saw, plus `delta` (money that
 * entered (+) or left (-) the venue: a deposit, a withdrawal, funding settled from outside). */
export function ledgerCheck(delta: i64, what: string): void {
  if (ASC_NO_ASSERT) return;
  ledgerSum();
  let lo = markLo + <u64>delta, hi = markHi + (delta < 0 ? -1 : 0) + <i64>(lo < markLo);
  assert(load<u64>(LEDGER_RECORD + LedgerRecord.total) == lo && load<i64>(LEDGER_RECORD + LedgerRecord.total + I128_HI) == hi, what);
}
