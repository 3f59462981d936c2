/**
 * Reference model of insurance-fund staking, written from docs/ECONOMICS.md ("Insurance-fund
 * staking") in BigInt: obviously correct, slow. Accounts are the stakers' collateral only (the
 * parity tests' stakers hold no positions, so their initial margin is 0 and equity is collateral).
 * Each call returns its answer or the name of the refusal; a refused call changes nothing.
 */

export const LIMIT = 1n << 62n;
const PPM = 1_000_000n;
const YEAR_SEC = 31_536_000n;
const MAX_PERIOD_SEC = 366n * 86_400n;

export interface ModelFund { balance: bigint; total: bigint; stakerShares: bigint; pool: bigint; lastSettle: bigint }
export interface ModelStaker { account: number; fund: number; shares: bigint; req: bigint; reqValue: bigint; reqSec: bigint }
export interface ModelConfig { periodSec: bigint; maxAprPpm: bigint; stakerFactorPpm: bigint; settleFractionPpm: bigint; cooldownSec: bigint }

export type Answer = { ok: bigint } | { error: string };

const floorDiv = (a: bigint, b: bigint): bigint => a / b; // operands are never negative here
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export class StakingModel {
  funds: ModelFund[];
  /** Stakers in the order their records were made. */
  stakers: ModelStaker[] = [];
  collateral: bigint[];
  /** Accounts that are not active (closed). */
  closed = new Set<number>();
  config: ModelConfig = { periodSec: 0n, maxAprPpm: 10_000_000n, stakerFactorPpm: 500_000n, settleFractionPpm: 100_000n, cooldownSec: 13n * 86_400n };
  /** The flows written by the last call: [kind, account | null, fund, amount]. */
  flows: [string, number | null, number, bigint][] = [];

  constructor(funds: number, collateral: bigint[], readonly maxStakers = 4096) {
    this.funds = Array.from({ length: funds }, () => ({ balance: 0n, total: 0n, stakerShares: 0n, pool: 0n, lastSettle: 0n }));
    this.collateral = [...collateral];
  }

  setStaking(c: ModelConfig): Answer {
    if (c.periodSec < 0n || c.periodSec > MAX_PERIOD_SEC) return { error: 'InvalidEconomics:settlePeriodSec' };
    if (c.maxAprPpm < 0n || c.maxAprPpm > 1000n * PPM) return { error: 'InvalidEconomics:maxAprPpm' };
    if (c.stakerFactorPpm < 0n || c.stakerFactorPpm > PPM) return { error: 'InvalidEconomics:stakerFactorPpm' };
    if (c.settleFractionPpm < 1n || c.settleFractionPpm > PPM) return { error: 'InvalidEconomics:settleFractionPpm' };
    if (c.cooldownSec < 0n || c.cooldownSec > MAX_PERIOD_SEC) return { error: 'InvalidEconomics:cooldownSec' };
    this.config = { ...c };
    return { ok: 0n };
  }

  private find(a: number, f: number): ModelStaker | undefined { return this.stakers.find((s) => s.account === a && s.fund === f); }

  private common(a: number, f: number, now: bigint): string | null {
    if (a < 0 || a >= this.collateral.length) return 'UnknownAccount';
    if (this.closed.has(a)) return 'AccountClosed';
    if (f < 0 || f >= this.funds.length) return 'UnknownMarket';
    if (now < 0n || now > LIMIT || now < this.lastSec) return 'OutOfRange';
    return null;
  }

  /** The latest second a staking call took: an earlier one is refused (OutOfRange). */
  lastSec = 0n;
  private took(now: bigint, answer: Answer): Answer { if (!('error' in answer)) this.lastSec = now; return answer; }

  /** The value of n shares of fund f now: floor(B n / T), 0 when T = 0. */
  worth(f: number, n: bigint): bigint {
    const F = this.funds[f]!;
    return F.total === 0n ? 0n : floorDiv(F.balance * n, F.total);
  }

  /** A staker's value: worth(shares - req) + min(worth(req), value at request). */
  value(s: ModelStaker): bigint {
    return s.req === 0n ? this.worth(s.fund, s.shares) : this.worth(s.fund, s.shares - s.req) + min(this.worth(s.fund, s.req), s.reqValue);
  }

  /** The funds some market pays into (undefined: every fund). */
  usedFunds: Set<number> | undefined;

  stake(a: number, f: number, amount: bigint, now: bigint): Answer {
    this.flows = [];
    const e = this.common(a, f, now);
    if (e) return { error: e };
    // A stake only in a fund some market pays into (the global one always).
    if (f !== 0 && this.usedFunds !== undefined && !this.usedFunds.has(f)) return { error: 'UnknownMarket' };
    if (amount <= 0n || amount > LIMIT) return { error: 'OutOfRange' };
    const s = this.find(a, f);
    if (s && s.req > 0n) return { error: 'UnstakeRequestPending' };
    const F = this.funds[f]!;
    if (F.balance === 0n && F.total > 0n) return { error: 'FundDepleted' };
    const total = F.balance > 0n && F.total === 0n ? F.balance : F.total;
    const n = F.balance === 0n ? amount : floorDiv(amount * total, F.balance);
    if (total + n > LIMIT) return { error: 'Overflow' };
    if (n === 0n) return { error: 'OutOfRange' };
    if (F.balance + amount > LIMIT) return { error: 'Overflow' };
    const after = this.collateral[a]! - amount;
    if (after < -LIMIT) return { error: 'Overflow' };
    if (after < 0n) return { error: 'BelowInitialMargin' };
    if (!s && this.stakers.length >= this.maxStakers) return { error: 'CapacityExceeded' };
    const staker = s ?? { account: a, fund: f, shares: 0n, req: 0n, reqValue: 0n, reqSec: 0n };
    if (!s) this.stakers.push(staker);
    this.collateral[a] = after;
    F.balance += amount;
    F.total = total + n;
    F.stakerShares += n;
    staker.shares += n;
    this.flows.push(['stake', a, f, amount]);
    return this.took(now, { ok: n });
  }

  requestUnstake(a: number, f: number, shares: bigint, now: bigint): Answer {
    this.flows = [];
    const e = this.common(a, f, now);
    if (e) return { error: e };
    if (shares <= 0n) return { error: 'OutOfRange' };
    const s = this.find(a, f);
    if (!s || shares > s.shares) return { error: 'SharesNotHeld' };
    if (s.req > 0n) return { error: 'UnstakeRequestPending' };
    s.req = shares;
    s.reqValue = this.worth(f, shares);
    s.reqSec = now;
    return this.took(now, { ok: s.reqValue });
  }

  cancelUnstake(a: number, f: number, now: bigint): Answer {
    this.flows = [];
    const e = this.common(a, f, now);
    if (e) return { error: e };
    const s = this.find(a, f);
    if (!s || s.req === 0n) return { error: 'NoUnstakeRequest' };
    const F = this.funds[f]!;
    let lost = 0n;
    if (this.worth(f, s.req) > s.reqValue) lost = s.req - floorDiv(s.reqValue * (F.total - s.req), F.balance - s.reqValue);
    const before = this.worth(f, s.shares);
    const after = F.total === lost ? 0n : floorDiv(F.balance * (s.shares - lost), F.total - lost);
    s.req = 0n; s.reqValue = 0n; s.reqSec = 0n;
    if (lost > 0n) {
      s.shares -= lost; F.stakerShares -= lost; F.total -= lost;
      if (before - after > 0n) this.flows.push(['unstakeForfeit', a, f, before - after]);
    }
    return this.took(now, { ok: lost });
  }

  unstake(a: number, f: number, now: bigint): Answer {
    this.flows = [];
    const e = this.common(a, f, now);
    if (e) return { error: e };
    const s = this.find(a, f);
    if (!s || s.req === 0n) return { error: 'NoUnstakeRequest' };
    if (now - s.reqSec < this.config.cooldownSec) return { error: 'CooldownNotOver' };
    const F = this.funds[f]!;
    const paid = min(this.worth(f, s.req), s.reqValue);
    if (this.collateral[a]! + paid > LIMIT) return { error: 'Overflow' };
    F.balance -= paid;
    this.collateral[a] = this.collateral[a]! + paid;
    s.shares -= s.req; F.stakerShares -= s.req; F.total -= s.req;
    s.req = 0n; s.reqValue = 0n; s.reqSec = 0n;
    if (paid > 0n) this.flows.push(['unstake', a, f, paid]);
    return this.took(now, { ok: paid });
  }

  /** One settle over every fund (the API's call: all chunks). */
  settle(now: bigint): Answer {
    this.flows = [];
    if (now < 0n || now > LIMIT || now < this.lastSec) return { error: 'OutOfRange' };
    const P = this.config.periodSec;
    if (P === 0n) return this.took(now, { ok: 0n });
    const due = (F: ModelFund): boolean => floorDiv(now, P) > floorDiv(F.lastSettle, P);
    const plan = (F: ModelFund): { t: bigint; minted: bigint } => {
      let t = floorDiv(F.pool * this.config.settleFractionPpm, PPM);
      if (F.stakerShares > 0n) t = min(t, floorDiv(floorDiv(F.balance * this.config.maxAprPpm, PPM), max(floorDiv(YEAR_SEC, P), 1n)));
      const q = floorDiv(t * (PPM - this.config.stakerFactorPpm), PPM);
      const minted = t > 0n && F.total > 0n && F.balance > 0n ? floorDiv(q * F.total, F.balance) : 0n;
      return { t, minted };
    };
    for (const F of this.funds) {
      if (!due(F)) continue;
      const { t, minted } = plan(F);
      if (F.balance + t > LIMIT || F.total + minted > LIMIT) return { error: 'Overflow' };
    }
    let settled = 0n;
    this.funds.forEach((F, f) => {
      if (!due(F)) return;
      const { t, minted } = plan(F);
      F.balance += t; F.pool -= t; F.total += minted; F.lastSettle = now;
      if (t > 0n) this.flows.push(['stakingSettle', null, f, t]);
      settled += t;
    });
    return this.took(now, { ok: settled });
  }

  /** The waterfall's insurance-fund step drawing `deficit` from fund f: min(deficit, B). */
  draw(f: number, deficit: bigint): bigint {
    const F = this.funds[f]!;
    const x = min(deficit, F.balance);
    F.balance -= x;
    return x;
  }

  /** Money outside the model's accounts: collateral + balances + pools (conserved by every call). */
  total(): bigint {
    return this.collateral.reduce((s, c) => s + c, 0n) + this.funds.reduce((s, F) => s + F.balance + F.pool, 0n);
  }
}
