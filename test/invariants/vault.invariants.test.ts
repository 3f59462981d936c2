/**
 * Invariants of vault withdrawals under the depositor terms (docs/ECONOMICS.md, "Vault depositors"),
 * over random deposits, NAV moves and partial withdrawals: what a withdrawal is worth is split
 * exactly into paid + profit share + slippage, none negative; the profit share is at most the gain
 * above the withdrawn shares' mark; the bases taken out of the high-water mark and what is left of
 * it sum to exactly what was paid in; the ledger's total never moves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../support/engine.js';

describe('vault depositors: invariants (fast-check)', () => {
  it('value = paid + profit share + slippage, 0 <= paid, profit share <= gain, bases sum to the marks paid in', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.bigInt({ min: 1n, max: 1n << 50n }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.bigInt({ min: -(1n << 48n), max: 1n << 49n }), fc.nat({ max: 1_000_000 })), { minLength: 1, maxLength: 6 }),
      fc.nat({ max: 1_000_000 }), fc.nat({ max: 500_000 }),
      async (deposits, moves, ps, sl) => {
        const e = await createEngine({ maxAccounts: 8, maxPositions: 8, maxIsolated: 2, maxMarkets: 1 });
        const [v, p, op] = e.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 1n << 55n }, { collateralQuote: 0n }]);
        e.setVaultAccount(v!);
        e.setVaultTerms({ profitSharePpm: ps, slippagePpm: sl, operatorAccountId: op! });
        let paidIn = 0n, bases = 0n;
        for (const d of deposits) { e.vaultDeposit(p!, d); paidIn += d; }
        for (const [move, part] of moves) {
          const nav = e.vault().navQuote;
          if (move > 0n) e.deposit(v!, move); else if (-move < nav) e.withdraw(v!, -move);
          const prov = e.vault().providers[0]!;
          if (prov.shares === 0n) break;
          const shares = prov.shares * BigInt(part) / 1_000_000n || 1n;
          const navNow = e.vault().navQuote, total = e.vault().totalShares, ledger = e.ledger().totalQuote;
          const value = navNow <= 0n ? 0n : shares * navNow / total;
          const r = e.vaultWithdrawDetailed(p!, shares);
          const basis = prov.highWaterMarkQuote - e.vault().providers[0]!.highWaterMarkQuote;
          bases += basis;
          expect(r.paidQuote + r.profitShareQuote + r.slippageQuote).toBe(value);
          expect(r.paidQuote >= 0n && r.slippageQuote >= 0n && r.profitShareQuote >= 0n).toBe(true);
          // The slippage is at most its fraction of what is left after the profit share, rounded up by less than one atom.
          expect(r.slippageQuote * 1_000_000n < (value - r.profitShareQuote) * BigInt(sl) + 1_000_000n).toBe(true);
          expect(r.profitShareQuote <= (value > basis ? value - basis : 0n)).toBe(true);
          expect(e.ledger().totalQuote).toBe(ledger);
        }
        const left = e.vault().providers[0]!;
        expect(bases + left.highWaterMarkQuote).toBe(paidIn);
        e.dispose();
      }), { numRuns: 60, seed: 4242 });
  }, 120_000);
});
