/**
 * Regression: a backstop account holding an isolated position is refused as the backstop before
 * anything moves. Transfers merge a group's positions into the backstop account's cross book, and an
 * account holds one position per market; so when the backstop held an isolated position in the
 * market of a group to transfer, the cascade checked the book (new figures and tallies), planned the
 * transfer, and only its execution was refused (DuplicatePosition): a refused call that had changed
 * the figures, and a book no cascade could liquidate. The policy's check (setPolicy, and the
 * cascade's validation before its first check) now refuses such an account: InvalidPolicy, field
 * `backstopAccountId`.
 */
import { describe, expect, it } from 'vitest';
import type { LiquidationPolicy } from '../../dist/src/node.js';
import { expectRefusedUnchanged, fixture } from './support.js';

describe('regression: a backstop account holding an isolated position', () => {
  it('is refused before the cascade checks the book, and by planning', async () => {
    const f = await fixture();
    const e = f.engine;
    // The vault (the backstop) opens an isolated short in m0, where the bankrupt account 6 is long:
    // 1 at 100 with 50 moved in (IM 10 % of 100 = 10). The fill leaves the figures stale.
    e.applyFill({ accountId: f.vault, marketId: f.m0, sizeDeltaBase: -1n, priceQuote: 100n, isolated: true, isolatedMarginQuote: 50n });
    const policy: LiquidationPolicy = { close: 'full', backstopPpm: 1_000_000, backstopAccountId: f.vault };
    for (const options of [{}, { allocate: true }]) {
      const err = expectRefusedUnchanged(e, () => e.liquidate(policy, options), `liquidate ${JSON.stringify(options)}`, 'backstopAccountId');
      expect([err.name, err.codeName]).toEqual(['InputError', 'InvalidPolicy']);
    }
    e.check();
    expect(expectRefusedUnchanged(e, () => e.planLiquidations(policy), 'planLiquidations', 'backstopAccountId').codeName).toBe('InvalidPolicy');
    // Another account as the backstop (no isolated position) takes the bankrupt account's book.
    const report = e.liquidate({ ...policy, backstopAccountId: f.short });
    expect(report.totals.transfers).toBeGreaterThan(0);
    e.dispose();
  });
});
