/**
 * Margin checks and their results: checking all accounts, a range, a list or the holders of some
 * markets; the health tallies; the result columns (the core's own, read and copied, or their
 * published copy, handed out as views); the risk queue.
 */
import { inputError } from '../errors.js';
import { listLength, toCount, toFlag, toRecord } from '../atoms.js';
import { Column } from '../abi/columns.js';
import type { EngineInternals } from '../abi/internals.js';
import { u32 } from '../abi/records.js';
import { Health, type MarginFigures } from '../types.js';

/** Counts per health code. */
export interface HealthCounts { healthy: number; belowInitial: number; liquidatable: number; bankrupt: number; inactive: number }

export interface CheckSummary {
  /** Rows this call checked, by health. */
  checked: { accounts: HealthCounts; isolated: HealthCounts };
  /** The whole book after this call, by health (unchecked and closed rows are `inactive`). */
  book: { accounts: HealthCounts; isolated: HealthCounts };
}

export interface AccountResultsView {
  equityQuote: BigInt64Array;
  imQuote: BigInt64Array;
  mmQuote: BigInt64Array;
  freeQuote: BigInt64Array;
  health: Uint8Array;
}

export interface IsolatedResultsView extends AccountResultsView {
  accountId: Uint32Array;
  marketId: Uint16Array;
}

/** A check's scope: all accounts (undefined), a range, or a list. */
export type CheckScope = { from: number; count: number } | { accounts: ArrayLike<number> };

/** Checks margin over `scope` (RiskEngine.check) and returns the tallies. */
export function check(x: EngineInternals, scope?: CheckScope): CheckSummary {
  const raw = x.raw;
  const list: unknown = scope === undefined ? undefined : (toRecord(scope, 'scope') as { accounts?: unknown }).accounts;
  if (list !== undefined && ((scope as { from?: unknown }).from !== undefined || (scope as { count?: unknown }).count !== undefined)) {
    throw inputError('OutOfRange', 'scope', -1, 'a scope is a range { from, count } or a list { accounts }, not both');
  }
  if (!scope) {
    raw.checkRange(0, raw.accountCount());
  } else if (list !== undefined) {
    const accounts = list as ArrayLike<number>;
    const n = listLength(accounts, 'accounts');
    if (n > raw.ioCapacity()) throw inputError('OutOfRange', 'accounts', -1, 'list longer than the account capacity');
    const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
    for (let i = 0; i < n; i++) ids[i] = toCount(accounts[i], 'accountId', i);
    raw.checkList(n);
  } else {
    const range = scope as { from: number; count: number };
    raw.checkRange(toCount(range.from, 'from'), toCount(range.count, 'count'));
  }
  return summary(x);
}

/** Re-checks the accounts and isolated positions that hold these markets (RiskEngine.checkMarkets). */
export function checkMarkets(x: EngineInternals, marketIds: ArrayLike<number>): CheckSummary {
  const raw = x.raw;
  const n = listLength(marketIds, 'marketId');
  if (n > raw.abi.limits.ioSmall) throw inputError('OutOfRange', 'marketId', -1, `at most ${raw.abi.limits.ioSmall.toLocaleString('en-US')} markets per call`);
  const ids = raw.view(Uint32Array, Column.IoU32, 0, n);
  for (let i = 0; i < n; i++) ids[i] = toCount(marketIds[i], 'marketId', i);
  raw.checkMarkets(n);
  return summary(x);
}

/** Book-wide counts per health code as of the latest checks, and this call's (copies). */
export function summary(x: EngineInternals): CheckSummary {
  const { view: t, at } = x.raw.record('Tally');
  // Each tally is a u32 per Health code, in code order, from its offset.
  const U32 = Uint32Array.BYTES_PER_ELEMENT;
  const counts = (o: number): HealthCounts => ({
    healthy: u32(t, o + Health.Healthy * U32), belowInitial: u32(t, o + Health.BelowInitial * U32),
    liquidatable: u32(t, o + Health.Liquidatable * U32), bankrupt: u32(t, o + Health.Bankrupt * U32), inactive: u32(t, o + Health.Inactive * U32),
  });
  return { book: { accounts: counts(at.bookAccounts), isolated: counts(at.bookIsolated) }, checked: { accounts: counts(at.callAccounts), isolated: counts(at.callIsolated) } };
}

/**
 * Views of rows [first, first + n) of the account (or isolated) result columns: the core's own
 * (read here and copied, never handed out) or their published copy (`published`).
 */
function resultColumns(x: EngineInternals, isolated: boolean, published: boolean, first: number, n: number): AccountResultsView {
  const raw = x.raw;
  const c = published
    ? (isolated
      ? { eq: Column.PubIsoEquity, im: Column.PubIsoIm, mm: Column.PubIsoMm, free: Column.PubIsoFree, health: Column.PubIsoHealth }
      : { eq: Column.PubAccEquity, im: Column.PubAccIm, mm: Column.PubAccMm, free: Column.PubAccFree, health: Column.PubAccHealth })
    : (isolated
      ? { eq: Column.IsoEquity, im: Column.IsoIm, mm: Column.IsoMm, free: Column.IsoFree, health: Column.IsoHealth }
      : { eq: Column.AccEquity, im: Column.AccIm, mm: Column.AccMm, free: Column.AccFree, health: Column.AccHealth });
  return {
    equityQuote: raw.view(BigInt64Array, c.eq, first, n),
    imQuote: raw.view(BigInt64Array, c.im, first, n),
    mmQuote: raw.view(BigInt64Array, c.mm, first, n),
    freeQuote: raw.view(BigInt64Array, c.free, first, n),
    health: raw.view(Uint8Array, c.health, first, n),
  };
}

/** One account's (or isolated row's) figures of the latest checks. */
export function figuresAt(x: EngineInternals, isolated: boolean, i: number): MarginFigures {
  const v = resultColumns(x, isolated, false, i, 1);
  return { equityQuote: v.equityQuote[0]!, imQuote: v.imQuote[0]!, mmQuote: v.mmQuote[0]!, freeQuote: v.freeQuote[0]!, health: v.health[0]! as Health };
}

export function resultsView(x: EngineInternals): AccountResultsView {
  x.requireValid();
  const raw = x.raw;
  raw.publishResults(false);
  return resultColumns(x, false, true, 0, raw.accountCount());
}

export function isolatedResultsView(x: EngineInternals): IsolatedResultsView {
  x.requireValid();
  const raw = x.raw, n = raw.isolatedTop();
  raw.publishResults(true);
  return {
    accountId: raw.view(Uint32Array, Column.PubIsoAccount, 0, n),
    marketId: raw.view(Uint16Array, Column.PubIsoMarket, 0, n),
    ...resultColumns(x, true, true, 0, n),
  };
}

export function riskOrderView(x: EngineInternals, options: { isolated?: boolean }): Uint32Array {
  x.requireValid();
  const raw = x.raw;
  const iso = toFlag(toRecord(options, 'options').isolated, 'isolated');
  const n = raw.buildQueue(iso);
  return raw.view(Uint32Array, iso ? Column.IsoQueue : Column.Queue, 0, n);
}
