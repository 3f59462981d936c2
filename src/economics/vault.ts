/**
 * The backstop vault's depositor terms (docs/ECONOMICS.md, "Vault depositors"): a lock-up from the
 * last deposit, a profit share to the operator above each provider's high-water mark, a withdrawal
 * slippage that stays in the vault. Deposits and withdrawals of vault shares at net asset value.
 */
import { describeValue, explained, inputError } from '../errors.js';
import { knownKeys, toCount, toI64, toRecord } from '../atoms.js';
import type { EngineInternals } from '../abi/internals.js';
import type { AtomsInput } from '../types.js';
import { readVaultTerms } from '../waterfall/parties.js';
import { toSecond } from './time.js';

/** Terms as `setVaultTerms` takes them: a field left out keeps its current value. */
export interface VaultTermsInput {
  /** Seconds after a provider's last deposit before it may withdraw (0..366 days; Hyperliquid's HLP: 4 days). */
  lockupSec?: number;
  /** The operator's share of a withdrawn gain above the high-water mark, ppm (0..10^6). */
  profitSharePpm?: number;
  /** The part of a withdrawal's value (after the profit share) that stays in the vault, ppm (0..500,000). */
  slippagePpm?: number;
  /** The account the profit share is paid to; null for none (then the profit share must be 0). */
  operatorAccountId?: number | null;
}

/** What a vault withdrawal moved (quote atoms). */
export interface VaultWithdrawal {
  /** Paid to the provider's collateral. */
  paidQuote: bigint;
  /** Paid to the operator's collateral. */
  profitShareQuote: bigint;
  /** Kept by the vault (its NAV: the remaining providers'). */
  slippageQuote: bigint;
}

export function setVaultTerms(x: EngineInternals, terms: VaultTermsInput): void {
  const t = toRecord(terms, 'terms', 'InvalidEconomics');
  knownKeys(t, ['lockupSec', 'profitSharePpm', 'slippagePpm', 'operatorAccountId'], 'terms', 'InvalidEconomics');
  const now = readVaultTerms(x.raw);
  const lockupSec = t.lockupSec === undefined ? BigInt(now.lockupSec) : toSecond(t.lockupSec, 'lockupSec');
  const profitSharePpm = t.profitSharePpm === undefined ? now.profitSharePpm : toCount(t.profitSharePpm, 'profitSharePpm');
  const slippagePpm = t.slippagePpm === undefined ? now.slippagePpm : toCount(t.slippagePpm, 'slippagePpm');
  let operator: number;
  const op: unknown = t.operatorAccountId;
  if (op === undefined) operator = now.operatorAccountId ?? x.raw.abi.limits.none;
  else if (op === null) operator = x.raw.abi.limits.none;
  else if (typeof op !== 'number' || !Number.isInteger(op) || op < 0 || op >= x.raw.accountCount()) {
    throw inputError('InvalidEconomics', 'operatorAccountId', -1, `${describeValue(op)} is no account id (null for none)`);
  } else operator = op;
  x.raw.setVaultTerms(lockupSec, profitSharePpm, slippagePpm, operator);
}

/** Returns the shares minted. */
export function vaultDeposit(x: EngineInternals, accountId: number, amount: AtomsInput, nowSec?: number): bigint {
  const raw = x.raw;
  return withVault(() => raw.vaultDeposit(x.knownAccount(accountId), toI64(amount, x.quoteDecimals, 'amountQuote'), toSecond(nowSec)));
}

/** A vault call, its refusal for want of a vault account (the core's) saying what to do. */
function withVault<T>(call: () => T): T {
  return explained(call, 'InvalidWaterfall', 'backstopAccountId', () => 'no vault account: name one with setVaultAccount(accountId) first');
}

export function vaultWithdraw(x: EngineInternals, accountId: number, shares: AtomsInput, nowSec?: number): VaultWithdrawal {
  const raw = x.raw;
  const r = withVault(() => raw.vaultWithdraw(x.knownAccount(accountId), toI64(shares, 0, 'amountQuote'), toSecond(nowSec)));
  return { paidQuote: r.paid, profitShareQuote: r.profitShare, slippageQuote: r.slippage };
}
