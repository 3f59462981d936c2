/**
 * Vault depositors (docs/ECONOMICS.md, "Vault depositors"): a lock-up from the last deposit
 * (Hyperliquid's HLP: 4 days), a profit share to the operator above each provider's high-water mark
 * (Drift vaults), a withdrawal slippage kept by the vault (dYdX MegaVault). Every expected number is
 * worked out by hand in the comments from the formulas:
 *   value = floor(shares * NAV / total)   basis = floor(hwm * shares / held)   gain = max(0, value - basis)
 *   profitShare = ceil(gain * ps / 10^6)  slippage = ceil((value - profitShare) * sl / 10^6)
 *   paid = value - profitShare - slippage hwm -= basis
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { caught } from '../support/engine.js';
import { createEngine, digest, flatMarket, USD } from './support.js';

const DAY = 86_400;
/** HLP's lock-up, a 10 % profit share, 0.5 % slippage. */
const TERMS = { lockupSec: 4 * DAY, profitSharePpm: 100_000, slippagePpm: 5_000 };

/** Conservation: the ledger's total does not move across `fn`. */
function conserving<T>(engine: RiskEngine, fn: () => T): T {
  const before = engine.ledger().totalQuote;
  const r = fn();
  expect(engine.ledger().totalQuote, 'ledger total unchanged by a vault call').toBe(before);
  return r;
}

const flows = (engine: RiskEngine, from: number): [string, number | null, bigint, bigint][] =>
  engine.flowLog.records(from).map((f) => [f.kind, f.accountId, f.amountQuote, f.sec]);

describe('vault depositors: lock-up, profit share above the high-water mark, slippage', () => {
  it('a deposit is locked for 4 days, then withdrawn at a gain: 10 % of the gain to the operator, 0.5 % slippage to the vault', async () => {
    const engine = await createEngine();
    const [v, p, q, op] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 2_000n * USD }, { collateralQuote: 1_000n * USD }, { collateralQuote: 0n }]);
    engine.setVaultAccount(v!);
    engine.setVaultTerms({ ...TERMS, operatorAccountId: op! });
    expect(engine.vault().terms).toEqual({ lockupSec: 345_600, profitSharePpm: 100_000, slippagePpm: 5_000, operatorAccountId: op });
    // P deposits 1,000 USD at t = 1,000: the first deposit, one share per atom -> 1,000,000,000 shares, hwm 1,000 USD.
    expect(conserving(engine, () => engine.vaultDeposit(p!, 1_000n * USD, 1_000))).toBe(1_000_000_000n);
    // Q deposits 500 USD at t = 2,000: floor(500e6 * 1e9 / NAV 1,000e6) = 500,000,000 shares.
    expect(conserving(engine, () => engine.vaultDeposit(q!, 500n * USD, 2_000))).toBe(500_000_000n);
    // The vault earns 300 USD (NAV 1,500 -> 1,800 USD).
    engine.deposit(v!, 300n * USD);
    expect(engine.vault()).toMatchObject({ navQuote: 1_800n * USD, totalShares: 1_500_000_000n });
    // Locked until 1,000 + 345,600 = 346,600: a second earlier is refused, nothing changes.
    const before = digest(engine);
    const locked = caught(() => engine.vaultWithdraw(p!, 400_000_000n, 346_599));
    expect(locked).toMatchObject({ code: 209, field: 'nowSec' });
    expect(digest(engine)).toBe(before);
    // At 346,600 P withdraws 400,000,000 of its 1,000,000,000 shares:
    //   value = floor(400e6 * 1,800e6 / 1,500e6) = 480,000,000; basis = floor(1,000e6 * 400e6 / 1,000e6) = 400,000,000
    //   gain = 80,000,000; profit share = ceil(80e6 * 0.1) = 8,000,000
    //   slippage = ceil(472,000,000 * 0.005) = 2,360,000; paid = 480e6 - 8e6 - 2.36e6 = 469,640,000; hwm 600,000,000
    const n = engine.flowLog.length;
    const r = conserving(engine, () => engine.vaultWithdrawDetailed(p!, 400_000_000n, 346_600));
    expect(r).toEqual({ paidQuote: 469_640_000n, profitShareQuote: 8_000_000n, slippageQuote: 2_360_000n });
    expect(flows(engine, n)).toEqual([['vaultWithdrawal', p, 469_640_000n, 346_600n], ['profitShare', op, 8_000_000n, 346_600n], ['slippage', p, 2_360_000n, 346_600n]]);
    expect(engine.account(p!).collateralQuote).toBe(1_469_640_000n);
    expect(engine.account(op!).collateralQuote).toBe(8_000_000n);
    // The vault paid 477,640,000 of 1,800,000,000: NAV 1,322,360,000 over 1,100,000,000 shares.
    expect(engine.vault()).toMatchObject({ navQuote: 1_322_360_000n, totalShares: 1_100_000_000n });
    expect(engine.vault().providers).toEqual([
      { accountId: p, shares: 600_000_000n, lastDepositSec: 1_000n, highWaterMarkQuote: 600_000_000n },
      { accountId: q, shares: 500_000_000n, lastDepositSec: 2_000n, highWaterMarkQuote: 500_000_000n },
    ]);
    // Q is still locked (2,000 + 345,600 = 347,600).
    expect(caught(() => engine.vaultWithdraw(q!, 1n, 347_599))).toMatchObject({ code: 209 });
    // P withdraws its other 600,000,000 shares at t = 400,000 (all it holds: basis = hwm = 600,000,000):
    //   value = floor(600e6 * 1,322,360,000 / 1,100e6) = floor(721,287,272.7) = 721,287,272; gain 121,287,272
    //   profit share = ceil(12,128,727.2) = 12,128,728; slippage = ceil(709,158,544 * 0.005) = ceil(3,545,792.72) = 3,545,793
    //   paid = 721,287,272 - 12,128,728 - 3,545,793 = 705,612,751
    expect(conserving(engine, () => engine.vaultWithdraw(p!, 600_000_000n, 400_000))).toBe(705_612_751n);
    expect(engine.account(op!).collateralQuote).toBe(8_000_000n + 12_128_728n);
    // The vault keeps 1,322,360,000 - 705,612,751 - 12,128,728 = 604,618,521, all Q's (500,000,000 shares of 500,000,000):
    // the slippage of both withdrawals stayed with the provider who stayed.
    expect(engine.vault()).toMatchObject({ navQuote: 604_618_521n, totalShares: 500_000_000n });
    expect(engine.vault().providers[0]).toEqual({ accountId: p, shares: 0n, lastDepositSec: 1_000n, highWaterMarkQuote: 0n });
  });

  it('a withdrawal at a loss pays no profit share and keeps the rest of the mark; the recovery above it pays', async () => {
    const engine = await createEngine();
    const [v, p, op] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 1_000n * USD }, { collateralQuote: 0n }]);
    engine.setVaultAccount(v!);
    engine.setVaultTerms({ ...TERMS, operatorAccountId: op! });
    expect(engine.vaultDeposit(p!, 1_000n * USD, 0)).toBe(1_000_000_000n);
    // The vault loses 100 USD: NAV 900 USD.
    engine.withdraw(v!, 100n * USD);
    // P withdraws half (500,000,000 shares) after the lock-up:
    //   value = floor(500e6 * 900e6 / 1,000e6) = 450,000,000 < basis floor(1,000e6 * 500e6 / 1,000e6) = 500,000,000: no gain
    //   profit share 0; slippage = ceil(450,000,000 * 0.005) = 2,250,000; paid = 447,750,000; hwm 500,000,000
    const n = engine.flowLog.length;
    expect(conserving(engine, () => engine.vaultWithdrawDetailed(p!, 500_000_000n, 4 * DAY))).toEqual({ paidQuote: 447_750_000n, profitShareQuote: 0n, slippageQuote: 2_250_000n });
    expect(flows(engine, n)).toEqual([['vaultWithdrawal', p, 447_750_000n, 345_600n], ['slippage', p, 2_250_000n, 345_600n]]);
    expect(engine.account(op!).collateralQuote).toBe(0n);
    expect(engine.vault().providers[0]).toMatchObject({ shares: 500_000_000n, highWaterMarkQuote: 500_000_000n });
    // NAV 900e6 - 447.75e6 = 452,250,000; the vault earns 200 USD: 652,250,000, all P's 500,000,000 shares.
    engine.deposit(v!, 200n * USD);
    // value 652,250,000; basis = hwm 500,000,000; gain 152,250,000; profit share = 15,225,000
    // slippage = ceil(637,025,000 * 0.005) = ceil(3,185,125) = 3,185,125; paid = 652,250,000 - 15,225,000 - 3,185,125 = 633,839,875
    expect(conserving(engine, () => engine.vaultWithdrawDetailed(p!, 500_000_000n, 5 * DAY))).toEqual({ paidQuote: 633_839_875n, profitShareQuote: 15_225_000n, slippageQuote: 3_185_125n });
    expect(engine.account(op!).collateralQuote).toBe(15_225_000n);
    expect(engine.vault()).toMatchObject({ navQuote: 3_185_125n, totalShares: 0n });
  });

  it('a mark move on the vault position is a gain; the vault must stay above initial margin after paying out', async () => {
    const engine = await createEngine();
    const m = engine.addMarket(flatMarket(100n * USD));
    // The vault account holds 5 long bought at the mark 100 USD (value 0); IM 10 % of 500 USD = 50 USD.
    const [v, p, op] = engine.addAccounts([
      { collateralQuote: 0n, positions: [{ marketId: m, sizeBase: 5n, quoteBalance: -500n * USD }] }, { collateralQuote: 1_000n * USD }, { collateralQuote: 0n },
    ]);
    engine.setVaultAccount(v!);
    engine.setVaultTerms({ ...TERMS, lockupSec: 0, operatorAccountId: op! });
    expect(engine.vaultDeposit(p!, 1_000n * USD)).toBe(1_000_000_000n);
    // Mark 120 USD: uPnL 5 * 20 = 100 USD, NAV 1,100 USD; IM = 10 % of 600 = 60 USD.
    engine.setMarks([m], [120n * USD]);
    expect(engine.vault().navQuote).toBe(1_100n * USD);
    // Half: value = floor(500e6 * 1,100e6 / 1,000e6) = 550,000,000; basis 500,000,000; gain 50,000,000
    //   profit share 5,000,000; slippage = ceil(545,000,000 * 0.005) = 2,725,000; paid 542,275,000
    expect(conserving(engine, () => engine.vaultWithdrawDetailed(p!, 500_000_000n))).toEqual({ paidQuote: 542_275_000n, profitShareQuote: 5_000_000n, slippageQuote: 2_725_000n });
    // Collateral 1,000e6 - 547,275,000 = 452,725,000; NAV 552,725,000. The rest: value 552,725,000, gain 52,725,000,
    //   profit share 5,272,500, slippage ceil(547,452,500 * 0.005) = ceil(2,737,262.5) = 2,737,263, paid 544,715,237:
    //   the vault would pay out 549,987,737, leaving collateral -97,262,737 and equity 2,737,263 < IM 60,000,000.
    const before = digest(engine);
    expect(caught(() => engine.vaultWithdraw(p!, 500_000_000n))).toMatchObject({ code: 200, field: 'amountQuote' });
    expect(digest(engine)).toBe(before);
    expect(engine.vault().providers[0]).toMatchObject({ shares: 500_000_000n, highWaterMarkQuote: 500_000_000n });
  });

  it('terms: ranges, the operator, and a field left out keeps its value; all zero keeps the plain share arithmetic', async () => {
    const engine = await createEngine();
    const [v, p, op] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 1_000n }, { collateralQuote: 0n }]);
    engine.setVaultAccount(v!);
    expect(engine.vault().terms).toEqual({ lockupSec: 0, profitSharePpm: 0, slippagePpm: 0, operatorAccountId: null });
    const refusals: [Parameters<RiskEngine['setVaultTerms']>[0], string][] = [
      [{ lockupSec: 366 * DAY + 1 }, 'lockupSec'],
      [{ profitSharePpm: 1_000_001, operatorAccountId: op! }, 'profitSharePpm'],
      [{ slippagePpm: 500_001 }, 'slippagePpm'],
      [{ profitSharePpm: 1 }, 'operatorAccountId'],
      [{ profitSharePpm: 1, operatorAccountId: v! }, 'operatorAccountId'],
      [{ operatorAccountId: 99 }, 'operatorAccountId'],
    ];
    for (const [terms, field] of refusals) expect(caught(() => engine.setVaultTerms(terms)), field).toMatchObject({ code: 119, field });
    expect(engine.vault().terms).toEqual({ lockupSec: 0, profitSharePpm: 0, slippagePpm: 0, operatorAccountId: null });
    engine.setVaultTerms({ lockupSec: 366 * DAY, profitSharePpm: 1_000_000, slippagePpm: 500_000, operatorAccountId: op! });
    engine.setVaultTerms({ lockupSec: 10 });
    expect(engine.vault().terms).toEqual({ lockupSec: 10, profitSharePpm: 1_000_000, slippagePpm: 500_000, operatorAccountId: op });
    // Without an operator the profit share must be 0.
    expect(caught(() => engine.setVaultTerms({ operatorAccountId: null }))).toMatchObject({ code: 119, field: 'operatorAccountId' });
    engine.setVaultTerms({ lockupSec: 0, profitSharePpm: 0, slippagePpm: 0, operatorAccountId: null });
    // All terms 0: 1,000 in, the vault gains 1, 500 shares out = floor(500 * 1,001 / 1,000) = 500 paid, nothing else.
    engine.vaultDeposit(p!, 1_000n);
    engine.deposit(v!, 1n);
    expect(engine.vaultWithdrawDetailed(p!, 500n)).toEqual({ paidQuote: 500n, profitShareQuote: 0n, slippageQuote: 0n });
    // nowSec: a safe non-negative integer (lastDepositSec is the largest deposit second, a later deposit extends the lock).
    expect(caught(() => engine.vaultDeposit(p!, 1n, -1))).toMatchObject({ field: 'nowSec' });
    engine.setVaultTerms({ lockupSec: 100 });
    engine.vaultDeposit(p!, 10n, 500);
    engine.vaultDeposit(p!, 10n, 200);
    expect(engine.vault().providers[0]!.lastDepositSec).toBe(500n);
    expect(caught(() => engine.vaultWithdraw(p!, 1n, 599))).toMatchObject({ code: 209 });
    expect(engine.vaultWithdraw(p!, 1n, 600)).toBe(1n);
  });

  it('a profit share due to a closed operator account is refused; a withdrawal at a loss still goes', async () => {
    const engine = await createEngine();
    const [v, p, op] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: 1_000n }, { collateralQuote: 0n }]);
    engine.setVaultAccount(v!);
    engine.setVaultTerms({ profitSharePpm: 200_000, operatorAccountId: op! });
    engine.vaultDeposit(p!, 1_000n);
    engine.withdraw(v!, 100n);
    engine.closeAccount(op!);
    // Loss: value floor(100 * 900 / 1,000) = 90 < basis 100, no profit share due.
    expect(engine.vaultWithdraw(p!, 100n)).toBe(90n);
    engine.deposit(v!, 500n);
    // NAV 810 + 500 = 1,310 over 900 shares: 100 shares = floor(145.5) = 145 > basis 100: gain 45, a profit share of ceil(45 * 0.2) = 9 is due.
    const before = digest(engine);
    expect(caught(() => engine.vaultWithdraw(p!, 100n))).toMatchObject({ code: 107, field: 'operatorAccountId' });
    expect(digest(engine)).toBe(before);
  });

  it('at 2^62: the whole gain to the operator, half of the rest kept as slippage, exact to the atom', async () => {
    const P62 = 1n << 62n, x = 1_000_001n;
    const engine = await createEngine();
    const [v, p, op] = engine.addAccounts([{ collateralQuote: 0n }, { collateralQuote: P62 - x }, { collateralQuote: 0n }]);
    engine.setVaultAccount(v!);
    engine.setVaultTerms({ profitSharePpm: 1_000_000, slippagePpm: 500_000, operatorAccountId: op! });
    expect(engine.vaultDeposit(p!, P62 - x)).toBe(P62 - x);
    engine.deposit(v!, x);
    // value = floor((2^62 - x) * 2^62 / (2^62 - x)) = 2^62; basis = hwm = 2^62 - x; gain x, all of it the operator's;
    // slippage = ceil((2^62 - x) / 2) = 2^61 - 500,000 (2^62 - x is odd); paid = 2^62 - x - that = 2^61 - 500,001.
    expect(conserving(engine, () => engine.vaultWithdrawDetailed(p!, P62 - x))).toEqual({ paidQuote: (1n << 61n) - 500_001n, profitShareQuote: x, slippageQuote: (1n << 61n) - 500_000n });
    expect(engine.account(op!).collateralQuote).toBe(x);
    expect(engine.vault()).toMatchObject({ navQuote: (1n << 61n) - 500_000n, totalShares: 0n });
  });
});
