/**
 * Shared helpers for the scenario tests. Nothing here computes an expected number: every expected
 * figure in test/scenarios is worked out by hand in a comment next to it (docs/FORMULAS.md).
 */
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
