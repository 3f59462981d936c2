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

/** One holder of vault shares. */
export interface VaultProvider {
  accountId: number;
  shares: bigint;
  /** The second of the provider's last deposit (the lock-up counts from it). */
  lastDepositSec: bigint;
  /** The value on which the operator's profit share was last settled: deposits less the basis of shares withdrawn. */
  highWaterMarkQuote: bigint;
}

/** The vault's depositor terms (docs/ECONOMICS.md, "Vault depositors"). */
export interface VaultTerms { lockupSec: number; profitSharePpm: number; slippagePpm: number; operatorAccountId: number | null }

/** The vault as RiskEngine.vault shows it. */
export interface VaultState { accountId: number | null; navQuote: bigint; totalShares: bigint; providers: VaultProvider[]; terms: VaultTerms }

/** The vault: its account, net asset value (its equity at the marks), shares, providers, terms. */
export function readVault(raw: Raw): VaultState {
  const b = readBalances(raw);
  return { accountId: b.vaultAccountId, navQuote: b.vaultAccountId === null ? 0n : raw.vaultNav(), totalShares: b.totalShares, providers: readProviders(raw), terms: readVaultTerms(raw) };
}

export function readVaultTerms(raw: Raw): VaultTerms {
  const { view: e, at } = raw.record('Economics');
  const op = u32(e, at.operatorAccount);
  return {
    lockupSec: Number(i64(e, at.lockupSec)), profitSharePpm: u32(e, at.profitSharePpm), slippagePpm: u32(e, at.slippagePpm),
    operatorAccountId: op === raw.abi.limits.none ? null : op,
  };
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

function readProviders(raw: Raw): VaultProvider[] {
  const { view: b, at: B } = raw.record('Balances');
  const n = u32(b, B.providers);
  const { view: p, at } = raw.record('Provider', Math.max(1, n));
  return Array.from({ length: n }, (_, i) => {
    const o = i * at.BYTES;
    return { accountId: u32(p, o + at.account), shares: i64(p, o + at.shares), lastDepositSec: i64(p, o + at.lastDepositSec), highWaterMarkQuote: i64(p, o + at.highWaterMark) };
  });
}

export function setVaultAccount(x: EngineInternals, accountId: number): void {
  x.raw.setVaultAccount(x.knownAccount(accountId));
}

export function addDefaultFundContribution(x: EngineInternals, accountId: number, amount: AtomsInput): void {
  x.raw.addContribution(x.knownAccount(accountId), toI64(amount, x.quoteDecimals, 'amountQuote'));
}

export function depositOperatorCapital(x: EngineInternals, layer: 1 | 2, amount: AtomsInput): void {
  if (layer !== 1 && layer !== 2) throw inputError('OutOfRange', 'layer', -1, `layer is 1 or 2, got ${describeValue(layer)}`);
  x.raw.addOperatorCapital(layer, toI64(amount, x.quoteDecimals, 'amountQuote'));
}
