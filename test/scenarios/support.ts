/**
 * Shared helpers for the scenario tests. Nothing here computes an expected number: every expected
 * figure in test/scenarios is worked out by hand in a comment next to it (docs/FORMULAS.md).
 */
import { expect } from 'vitest';
import { Health, type MarketSpec, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';

export { createEngine };
export { Health };

/** Quote atoms per whole quote unit (6 decimals, the engine default). */
export const USD = 1_000_000n;

/** The 5-tuple an account's (or isolated position's) figures are compared on. */
export interface Figures { equity: bigint; im: bigint; mm: bigint; free: bigint; health: number }

/** An account's latest cross-book figures as a compact tuple. */
export function figuresOf(engine: RiskEngine, accountId: number): Figures {
  const f = engine.account(accountId).figures;
  return { equity: f.equityQuote, im: f.imQuote, mm: f.mmQuote, free: f.freeQuote, health: f.health };
}

/** Expected figures, with free = equity - IM spelled out by the caller's numbers. */
export function fig(equity: bigint, im: bigint, mm: bigint, health: number): Figures {
  return { equity, im, mm, free: equity - im, health };
}

/** A stable text digest of the whole engine state, for "nothing changed" checks. */
export { stateDigest as digest } from '../support/engine.js';

/**
 * A fresh engine with one market and one account holding one position bought at the mark
 * (quote = -size * mark / D, which these tables keep exact: value 0, equity = collateral), checked.
 */
export async function oneAccountAtMark(market: MarketSpec & { markPrice: bigint }, sizeBase: bigint, collateralQuote: bigint): Promise<{ engine: RiskEngine; marketId: number; accountId: number }> {
  const engine = await createEngine();
  const marketId = engine.addMarket(market);
  const d = 10n ** BigInt(market.baseDecimals);
  if ((sizeBase * market.markPrice) % d !== 0n) throw new Error('oneAccountAtMark: size * mark / D must be whole atoms');
  const [accountId] = engine.addAccounts([{ collateralQuote, positions: [{ marketId, sizeBase, quoteBalance: -(sizeBase * market.markPrice) / d }] }]);
  engine.check();
  return { engine, marketId, accountId: accountId! };
}

// ---- Loss waterfall scenarios (docs/WATERFALL.md) ----------------------------------------------

/** A flat-curve market (IM 10 %, MM 5 %) at `markPrice`, D = 10^baseDecimals. */
export function flatMarket(markPrice: bigint, baseDecimals = 0, extra: Omit<Partial<MarketSpec>, 'markPrice' | 'baseDecimals'> = {}): MarketSpec & { markPrice: bigint } {
  return { curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 }, ...extra, baseDecimals, markPrice };
}

/**
 * Adds an account holding `sizeBase` entered at the mark (value 0) with collateral -deficit, so its
 * equity is -deficit, and liquidates it whole at the mark with no fee (docs/FORMULAS.md: S = E' = E,
 * deficit = -E, collateral back to 0). Leaves exactly one new pending deficit record
 * (account, market, deficit) with d = -sizeBase and q = the mark; returns the account id.
 */
export function addBankrupt(engine: RiskEngine, marketId: number, sizeBase: bigint, deficitQuote: bigint): number {
  const { markPrice, baseDecimals } = engine.market(marketId);
  const d = 10n ** BigInt(baseDecimals);
  if ((sizeBase * markPrice) % d !== 0n) throw new Error('addBankrupt: size * mark / D must be whole atoms');
  const before = engine.deficits().length;
  const [id] = engine.addAccounts([{ collateralQuote: -deficitQuote, positions: [{ marketId, sizeBase, quoteBalance: -(sizeBase * markPrice) / d }] }]);
  engine.liquidate({ close: 'full' });
  const after = engine.deficits();
  const last = after[after.length - 1];
  if (after.length !== before + 1 || !last || last.accountId !== id || last.marketId !== marketId || last.amountQuote !== deficitQuote) {
    throw new Error(`addBankrupt: expected one new deficit record (${id}, ${marketId}, ${deficitQuote}), got ${JSON.stringify(after, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
  }
  return id!;
}

/** Runs the waterfall at `nowSec` and checks the conservation ledger total did not move. */
export function allocateConserving(engine: RiskEngine, nowSec = 0): ReturnType<RiskEngine['allocateLosses']> {
  const before = engine.ledger().totalQuote;
  const report = engine.allocateLosses({ nowSec });
  expect(engine.ledger().totalQuote, 'ledger total unchanged by the waterfall run').toBe(before);
  return report;
}

/** The records of one event (or all) as compact tuples: [deficit, tranche, role, account, amount]. */
export function auditRows(engine: RiskEngine, event?: number): [number | null, string | null, string, number | null, bigint][] {
  return engine.auditLog.records().filter((r) => event === undefined || r.event === event)
    .map((r) => [r.deficit, r.tranche, r.role, r.accountId, r.amountQuote]);
}
