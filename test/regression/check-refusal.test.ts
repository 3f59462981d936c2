/**
 * Regression: a refused check changes nothing, the summary's `checked` tallies included. Before,
 * the core cleared the tallies of "rows this call checked" before it validated the scope, so
 * `check({ from: accountCount, count: 1 })`, `check({ accounts: [0, 99] })` and
 * `checkMarkets([0, 99])` were refused (UnknownAccount, UnknownMarket) but left `summary().checked`
 * all zero. And a scope naming both a range and a list (`{ accounts: [...], from: 'x' }`) checked the
 * list and ignored the rest, whatever it was: it is refused now (OutOfRange, field `scope`).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../dist/src/node.js';
import { expectRefusedUnchanged, fixture } from './support.js';

describe('regression: refused checks keep the summary', () => {
  it('an unknown account or market in the scope refuses the check and keeps the tallies of the last one', async () => {
    const { engine: e, m0 } = await fixture();
    // The fixture's full check counted its 7 accounts: 2 liquidatable or bankrupt among them.
    const full = e.check();
    expect(full.checked.accounts.healthy + full.checked.accounts.belowInitial + full.checked.accounts.liquidatable + full.checked.accounts.bankrupt + full.checked.accounts.inactive).toBe(7);
    const n = e.accountCount;
    const refusals: [string, () => unknown, string][] = [
      ['check({ from: accountCount, count: 1 })', () => e.check({ from: n, count: 1 }), 'accountId'],
      ['check({ from: 0, count: accountCount + 1 })', () => e.check({ from: 0, count: n + 1 }), 'accountId'],
      ['check({ accounts: [0, 99] })', () => e.check({ accounts: [0, 99] }), 'accountId'],
      ['checkMarkets([0, 99])', () => e.checkMarkets([m0, 99]), 'marketId'],
    ];
    for (const [what, call, field] of refusals) {
      expectRefusedUnchanged(e, call, what, field);
      expect(e.summary(), what).toEqual(full);
    }
    e.dispose();
  });

  it('a scope naming both a range and a list is refused', async () => {
    const { engine: e } = await fixture();
    for (const scope of [{ accounts: [0], from: 0 }, { accounts: [0], count: 1 }, { accounts: [0], from: 'x' }, { accounts: [0], from: 0, count: 1 }]) {
      const err = expectRefusedUnchanged(e, () => e.check(scope as never), JSON.stringify(scope), 'scope');
      expect(err).toBeInstanceOf(InputError);
      expect(err.codeName).toBe('OutOfRange');
    }
    // Either one alone is a scope.
    expect(e.check({ accounts: [0] }).checked.accounts.healthy).toBe(1);
    expect(e.check({ from: 0, count: 1 }).checked.accounts.healthy).toBe(1);
    e.dispose();
  });
});
