/**
 * What a winner may withdraw (docs/ECONOMICS.md, "What a winner may withdraw"): the withdrawal rules,
 * one account's withdrawable amount or every account's, settling PnL against the markets' PnL pools,
 * and reading the pools. The core computes every number; this module converts and validates the
 * friendly inputs first and reads the answers through the ABI table's layouts.
 */
import { describeValue, inputError } from '../errors.js';
import { knownKeys, toCount, toRecord } from '../atoms.js';
import { Column } from '../abi/columns.js';
import type { EngineInternals } from '../abi/internals.js';
import { secondsOf } from './time.js';
import { i64, u32 } from '../abi/records.js';

/** Which part of positive unrealized PnL counts toward what an account may withdraw. */
export type RealizableRule = 'all' | 'none' | 'pnlPool' | 'residualRatio';
/** Rules by their code (Realizable in assembly/abi/status.ts, in this order). */
export const REALIZABLE_RULES: readonly RealizableRule[] = ['all', 'none', 'pnlPool', 'residualRatio'];

/** What bound an account's withdrawable amount. */
export type WithdrawLimit = 'equity' | 'initialMargin' | 'transferFloor' | 'realizable';
/**
 * Limits by their code, as `withdrawableAll().limit` holds them: 0 equity, 1 initialMargin,
 * 2 transferFloor, 3 realizable (WithdrawLimit in assembly/abi/status.ts).
 */
export const WITHDRAW_LIMITS: readonly WithdrawLimit[] = ['equity', 'initialMargin', 'transferFloor', 'realizable'];

export interface WithdrawalRules {
  /** Default 'all' (every unrealized gain counts, the rule before withdrawal rules existed). */
  realizable: RealizableRule;
  /** Parts per million of the cross book's notional that must stay behind (Hyperliquid: 100_000). Default 0. */
  transferFloorPpm: number;
}

export interface Withdrawable {
  /** What the account may withdraw now: max(0, C + U- + R - Q). */
  amountQuote: bigint;
  /** The cross book's equity, as the margin check computes it. */
  equityQuote: bigint;
  /** Q = max(initial margin, transfer floor). */
  requirementQuote: bigint;
  /** R: the part of the positive unrealized PnL that counts. */
  realizableQuote: bigint;
  /** U+: the positive unrealized PnL of the cross positions. */
  positivePnlQuote: bigint;
  limit: WithdrawLimit;
}

/** Every account's withdrawable amount, indexed by account id. */
export interface WithdrawableColumns {
  /** @remarks copies */
  amountQuote: BigInt64Array;
  /** Codes of WITHDRAW_LIMITS (0 equity, 1 initialMargin, 2 transferFloor, 3 realizable). @remarks copies */
  limit: Uint8Array;
}

export function withdrawalRules(x: EngineInternals): WithdrawalRules {
  const { view, at } = x.raw.record('Economics');
  return { realizable: REALIZABLE_RULES[u32(view, at.realizable)]!, transferFloorPpm: u32(view, at.transferFloorPpm) };
}

/** Sets the rules; a field left out keeps its current value. All or nothing. */
export function setWithdrawalRules(x: EngineInternals, rules: Partial<WithdrawalRules>): void {
  const raw = x.raw;
  toRecord(rules, 'rules', 'InvalidEconomics');
  knownKeys(rules, ['realizable', 'transferFloorPpm'], 'rules', 'InvalidEconomics');
  const current = withdrawalRules(x);
  const rule: unknown = rules.realizable === undefined ? current.realizable : rules.realizable;
  if (typeof rule !== 'string' || !Object.hasOwn(RULE_MEMBERS, rule)) throw inputError('InvalidEconomics', 'realizableRule', -1, describeValue(rule));
  const ppm: unknown = rules.transferFloorPpm === undefined ? current.transferFloorPpm : rules.transferFloorPpm;
  if (typeof ppm !== 'number' || !Number.isInteger(ppm) || ppm < 0 || ppm > 1_000_000) {
    throw inputError('InvalidEconomics', 'transferFloorPpm', -1, `${describeValue(ppm)} is not an integer in 0..1000000`);
  }
  raw.setWithdrawalRules(raw.abi.enums.Realizable[RULE_MEMBERS[rule as RealizableRule]], ppm);
}

/** The core's Realizable member of each rule (its code comes from the ABI table). */
const RULE_MEMBERS: Readonly<Record<RealizableRule, 'All' | 'None' | 'PnlPool' | 'ResidualRatio'>> = Object.freeze(
  Object.assign(Object.create(null) as Record<RealizableRule, 'All'>, { all: 'All', none: 'None', pnlPool: 'PnlPool', residualRatio: 'ResidualRatio' }),
);

export function withdrawable(x: EngineInternals, accountId: number): Withdrawable {
  const raw = x.raw;
  raw.withdrawableOf(toCount(accountId, 'accountId'));
  const { view, at } = raw.record('Withdrawable');
  return {
    amountQuote: i64(view, at.amountQuote),
    equityQuote: i64(view, at.equityQuote),
    requirementQuote: i64(view, at.requirementQuote),
    realizableQuote: i64(view, at.realizableQuote),
    positivePnlQuote: i64(view, at.positivePnlQuote),
    limit: WITHDRAW_LIMITS[u32(view, at.limit)]!,
  };
}

export function withdrawableAll(x: EngineInternals): WithdrawableColumns {
  const raw = x.raw;
  raw.withdrawableAll();
  const n = raw.accountCount();
  // The columns alias the sort scratch: copied out before anything else runs.
  const amountQuote = raw.view(BigInt64Array, Column.AccWithdrawable, 0, n).slice();
  const codes = raw.view(Uint32Array, Column.AccWithdrawLimit, 0, n);
  const limit = new Uint8Array(n);
  for (let i = 0; i < n; i++) limit[i] = codes[i]!;
  return { amountQuote, limit };
}

/** Settles one cross position (marketId given) or every cross position of the account; returns the amount settled. */
export function settlePnl(x: EngineInternals, accountId: number, marketId?: number, nowSec: number = 0): bigint {
  const raw = x.raw;
  const a = toCount(accountId, 'accountId');
  const sec = secondsOf(nowSec, 'nowSec', 'OutOfRange');
  if (marketId === undefined) return raw.settleAccountPnl(a, sec);
  x.baseDecimals(marketId);
  return raw.settlePnl(a, marketId, sec);
}

/** Market m's PnL pool. */
export function pnlPool(x: EngineInternals, marketId: number): bigint {
  const raw = x.raw;
  x.baseDecimals(marketId);
  return raw.pnlPool(marketId);
}
