/**
 * The parties that absorb losses besides the insurance funds: the backstop vault and its providers,
 * clearing members' default-fund contributions, and the operator's capital.
 */
import { describeValue, inputError } from '../errors.js';
import { toI64 } from '../atoms.js';
import type { EngineInternals } from '../abi/internals.js';
import type { Raw } from '../abi/raw.js';
import { i64, u32 } from '../abi/records.js';
import type { AtomsInput } from '../types.js';
import { readBalances } from './report.js';

export interface ClearingMember { accountId: number; fundQuote: bigint; committedQuote: bigint; assessedQuote: bigint }

/** The vault as RiskEngine.vault shows it. */
export interface VaultState { accountId: number | null; navQuote: bigint; totalShares: bigint; providers: { accountId: number; shares: bigint }[] }

/** The vault: its account, net asset value (its equity at the marks), shares, providers. */
export function readVault(raw: Raw): VaultState {
  const b = readBalances(raw);
  return { accountId: b.vaultAccountId, navQuote: b.vaultAccountId === null ? 0n : raw.vaultNav(), totalShares: b.totalShares, providers: readProviders(raw) };
}

export function readMembers(raw: Raw): ClearingMember[] {
  const { view: b, at: B } = raw.record('Balances');
  const n = u32(b, B.members);
  const { view: m, at } = raw.record('Member', Math.max(1, n));
  return Array.from({ length: n }, (_, i) => {
    const o = i * at.BYTES;
    return { accountId: u32(m, o + at.account), fundQuote: i64(m, o + at.fund), committedQuote: i64(m, o + at.committed), assessedQuote: i64(m, o + at.assessed) };
  });
}

function readProviders(raw: Raw): { accountId: number; shares: bigint }[] {
  const { view: b, at: B } = raw.record('Balances');
  const n = u32(b, B.providers);
  const { view: p, at } = raw.record('Provider', Math.max(1, n));
  return Array.from({ length: n }, (_, i) => ({ accountId: u32(p, i * at.BYTES + at.account), shares: i64(p, i * at.BYTES + at.shares) }));
}

export function setVaultAccount(x: EngineInternals, accountId: number): void {
  x.raw.setVaultAccount(x.knownAccount(accountId));
}

/** Returns the shares minted. */
export function vaultDeposit(x: EngineInternals, accountId: number, amount: AtomsInput): bigint {
  const raw = x.raw;
  return raw.vaultDeposit(x.knownAccount(accountId), toI64(amount, x.quoteDecimals, 'amountQuote'));
}

/** Returns the amount paid. */
export function vaultWithdraw(x: EngineInternals, accountId: number, shares: AtomsInput): bigint {
  const raw = x.raw;
  return raw.vaultWithdraw(x.knownAccount(accountId), toI64(shares, 0, 'amountQuote'));
}

export function addDefaultFundContribution(x: EngineInternals, accountId: number, amount: AtomsInput): void {
  x.raw.addContribution(x.knownAccount(accountId), toI64(amount, x.quoteDecimals, 'amountQuote'));
}

export function depositOperatorCapital(x: EngineInternals, layer: 1 | 2, amount: AtomsInput): void {
  if (layer !== 1 && layer !== 2) throw inputError('OutOfRange', 'layer', -1, `layer is 1 or 2, got ${describeValue(layer)}`);
  x.raw.addOperatorCapital(layer, toI64(amount, x.quoteDecimals, 'amountQuote'));
}
