/**
 * Shared helpers for the scenario tests. Nothing here computes an expected number: every expected
 * figure in test/scenarios is worked out by hand in a comment next to it (docs/FORMULAS.md).
 */
import { Health, type RiskEngine } from '../../dist/src/node.js';

export { createEngine } from '../support/engine.js';
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
