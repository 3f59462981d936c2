/**
 * Reference model of the vault's depositor terms, written from docs/ECONOMICS.md ("Vault
 * depositors") in plain BigInt arithmetic. The vault account holds collateral only (no positions),
 * so its net asset value is its collateral and its initial margin is 0; providers and the operator
 * hold collateral only too.
 *
 * Each call returns what it moved and the flows it writes, or the refusal (status name and field)
 * it must meet; a refused call changes nothing.
 */

export const DAY = 86_400n;
export const MAX_LOCKUP_SEC = 366n * DAY;
export const MAX_SLIPPAGE_PPM = 500_000n;
const PPM = 1_000_000n;
const LIMIT = 1n << 62n;

export interface RefProvider { shares: bigint; hwm: bigint; lastDepositSec: bigint }
export interface RefTerms { lockupSec: bigint; profitSharePpm: bigint; slippagePpm: bigint; operator: number | null }
export interface RefFlow { kind: 'vaultDeposit' | 'vaultWithdrawal' | 'profitShare' | 'slippage'; accountId: number; amountQuote: bigint; sec: bigint }
export interface Refusal { refused: string; field: string }
export interface DepositOutcome { minted: bigint; flows: RefFlow[] }
export interface WithdrawOutcome { paid: bigint; profitShare: bigint; slippage: bigint; flows: RefFlow[] }

const floorDiv = (a: bigint, b: bigint): bigint => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);

export class VaultModel {
  /** Collateral of every account by id (the vault's included). */
  readonly collateral: bigint[];
  readonly providers = new Map<number, RefProvider>();
  /** Providers in the order of their first deposit (the engine's record order). */
  readonly order: number[] = [];
  totalShares = 0n;
  terms: RefTerms = { lockupSec: 0n, profitSharePpm: 0n, slippagePpm: 0n, operator: null };

  constructor(readonly vault: number, collateral: readonly bigint[]) { this.collateral = [...collateral]; }

  get nav(): bigint { return this.collateral[this.vault]!; }

  setTerms(t: RefTerms): Refusal | null {
    if (t.lockupSec < 0n || t.lockupSec > MAX_LOCKUP_SEC) return { refused: 'InvalidEconomics', field: 'lockupSec' };
    if (t.profitSharePpm < 0n || t.profitSharePpm > PPM) return { refused: 'InvalidEconomics', field: 'profitSharePpm' };
    if (t.slippagePpm < 0n || t.slippagePpm > MAX_SLIPPAGE_PPM) return { refused: 'InvalidEconomics', field: 'slippagePpm' };
    if (t.operator !== null && (t.operator < 0 || t.operator >= this.collateral.length || t.operator === this.vault)) return { refused: 'InvalidEconomics', field: 'operatorAccountId' };
    if (t.profitSharePpm > 0n && t.operator === null) return { refused: 'InvalidEconomics', field: 'operatorAccountId' };
    this.terms = { ...t };
    return null;
  }

  deposit(a: number, amount: bigint, nowSec: bigint): DepositOutcome | Refusal {
    if (a === this.vault) return { refused: 'InvalidWaterfall', field: 'accountId' };
    if (amount <= 0n || amount > LIMIT) return { refused: 'OutOfRange', field: 'amountQuote' };
    if (nowSec < 0n || nowSec > LIMIT) return { refused: 'OutOfRange', field: 'nowSec' };
    const after = this.collateral[a]! - amount;
    if (this.nav + amount > LIMIT) return { refused: 'Overflow', field: 'collateralQuote' };
    if (after < 0n) return { refused: 'BelowInitialMargin', field: 'amountQuote' }; // no positions: IM 0
    let minted: bigint;
    if (this.totalShares === 0n) minted = amount;
    else {
      if (this.nav <= 0n) return { refused: 'InvalidWaterfall', field: 'amountQuote' };
      minted = floorDiv(amount * this.totalShares, this.nav);
      if (this.totalShares + minted > LIMIT) return { refused: 'Overflow', field: 'amountQuote' };
    }
    if (minted <= 0n) return { refused: 'OutOfRange', field: 'amountQuote' };
    const p = this.providers.get(a) ?? { shares: 0n, hwm: 0n, lastDepositSec: 0n };
    if (p.hwm + amount > LIMIT) return { refused: 'Overflow', field: 'amountQuote' };
    if (!this.providers.has(a)) { this.providers.set(a, p); this.order.push(a); }
    this.collateral[a] = after;
    this.collateral[this.vault] = this.nav + amount;
    p.shares += minted;
    p.hwm += amount;
    if (nowSec > p.lastDepositSec) p.lastDepositSec = nowSec;
    this.totalShares += minted;
    return { minted, flows: [{ kind: 'vaultDeposit', accountId: a, amountQuote: amount, sec: nowSec }] };
  }

  withdraw(a: number, shares: bigint, nowSec: bigint): WithdrawOutcome | Refusal {
    const p = this.providers.get(a);
    if (p === undefined || shares <= 0n || shares > p.shares) return { refused: 'OutOfRange', field: 'amountQuote' };
    if (nowSec < 0n || nowSec > LIMIT) return { refused: 'OutOfRange', field: 'nowSec' };
    if (nowSec < p.lastDepositSec + this.terms.lockupSec) return { refused: 'VaultLocked', field: 'nowSec' };
    const value = this.nav <= 0n ? 0n : floorDiv(shares * this.nav, this.totalShares);
    const basis = floorDiv(p.hwm * shares, p.shares);
    const gain = value > basis ? value - basis : 0n;
    const profitShare = ceilDiv(gain * this.terms.profitSharePpm, PPM);
    const slippage = ceilDiv((value - profitShare) * this.terms.slippagePpm, PPM);
    const paid = value - profitShare - slippage;
    const op = this.terms.operator;
    // Collateral only: the vault's IM is 0 and paid + profitShare <= value <= NAV, so it stays >= 0.
    if (this.collateral[a]! + paid + (op === a ? profitShare : 0n) > LIMIT) return { refused: 'Overflow', field: 'collateralQuote' };
    if (profitShare > 0n && op !== a && this.collateral[op!]! + profitShare > LIMIT) return { refused: 'Overflow', field: 'operatorAccountId' };
    this.collateral[this.vault] = this.nav - paid - profitShare;
    this.collateral[a] = this.collateral[a]! + paid;
    if (profitShare > 0n) this.collateral[op!] = this.collateral[op!]! + profitShare;
    p.shares -= shares;
    p.hwm -= basis;
    this.totalShares -= shares;
    const flows: RefFlow[] = [];
    if (paid > 0n) flows.push({ kind: 'vaultWithdrawal', accountId: a, amountQuote: paid, sec: nowSec });
    if (profitShare > 0n) flows.push({ kind: 'profitShare', accountId: op!, amountQuote: profitShare, sec: nowSec });
    if (slippage > 0n) flows.push({ kind: 'slippage', accountId: a, amountQuote: slippage, sec: nowSec });
    return { paid, profitShare, slippage, flows };
  }

  /** Money into (+) or out of (-) the vault account from outside the shares (a NAV move). */
  moveNav(delta: bigint): Refusal | null {
    const after = this.nav + delta;
    if (after < 0n) return { refused: 'BelowInitialMargin', field: 'amountQuote' };
    this.collateral[this.vault] = after;
    return null;
  }

  /** The sum of every collateral (conserved by deposits and withdrawals of shares). */
  total(): bigint { return this.collateral.reduce((s, c) => s + c, 0n); }
}

export const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && 'refused' in x;
