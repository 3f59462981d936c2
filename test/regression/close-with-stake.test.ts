/**
 * Closing an account that holds insurance-fund stake or vault shares is refused (AccountHasStake):
 * the shares would stay in the fund or the vault, with their value, held by no open account. The
 * refusal changes nothing; once the shares are gone the account closes and is paid its collateral.
 */
import { describe, expect, it } from 'vitest';
import { caught, createEngine, stateDigest } from '../support/engine.js';

const USD = 1_000_000n;

describe('regression: closing an account with shares', () => {
  it('is refused while it stakes in a fund, and allowed after the unstake', async () => {
    const e = await createEngine();
    e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
    const [a] = e.addAccounts([{ collateralQuote: 1_000n * USD }]);
    e.setStaking({ cooldownSec: 10 });
    expect(e.stake(a!, 0, 400n * USD, 0)).toBe(400n * USD); // the first stake mints one share per atom
    const before = stateDigest(e);
    const x = caught(() => e.closeAccount(a!));
    expect([x.codeName, x.field, x.row]).toEqual(['AccountHasStake', 'shares', a]);
    expect(stateDigest(e)).toBe(before);
    e.requestUnstake(a!, 0, 400n * USD, 0);
    expect(caught(() => e.closeAccount(a!)).codeName).toBe('AccountHasStake'); // the request's shares are still held
    expect(e.unstake(a!, 0, 10)).toBe(400n * USD);
    expect(e.closeAccount(a!)).toBe(1_000n * USD);
  });

  it('is refused while it holds vault shares, and allowed after the withdrawal', async () => {
    const e = await createEngine();
    e.addMarket({ baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
    const [vault, p] = e.addAccounts([{}, { collateralQuote: 500n * USD }]);
    e.setVaultAccount(vault!);
    const shares = e.vaultDeposit(p!, 200n * USD);
    expect(caught(() => e.closeAccount(p!)).codeName).toBe('AccountHasStake');
    expect(e.vaultWithdraw(p!, shares)).toBe(200n * USD);
    expect(e.closeAccount(p!)).toBe(500n * USD);
  });
});
