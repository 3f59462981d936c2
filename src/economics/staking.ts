/**
 * Insurance-fund staking (docs/ECONOMICS.md, "Insurance-fund staking"): the friendly inputs checked
 * and converted, the core's calls (assembly/engine/economics/staking.ts) made, and a fund's staking
 * state read back. Funds are named by id: 0 the global fund, 1 + market a market's own.
 */
import { describeValue, explained, inputError } from '../errors.js';
import { knownKeys, toI64, toRecord } from '../atoms.js';
import type { EngineInternals } from '../abi/internals.js';
import { secondsOf } from './time.js';
import { Column } from '../abi/columns.js';
import { i64, u32 } from '../abi/records.js';
import type { AtomsInput } from '../types.js';

/** The staking parameters (every key optional in `setStaking`: an absent one keeps its value). */
export interface StakingConfig {
  /** Seconds per settle period, 0 (never settles) ..= 366 days; settles align to its multiples. */
  settlePeriodSec: number;
  /** The APR that caps one settle while stakers hold shares, 0 ..= 10^9 ppm (default 10^7: 1000 %). */
  maxAprPpm: number;
  /** The stakers' part of a settled amount, 0 ..= 10^6 ppm; the rest is minted as treasury shares (default 500,000). */
  stakerFactorPpm: number;
  /** The fraction of the revenue pool one settle moves, 1 ..= 10^6 ppm (default 100,000). */
  settleFractionPpm: number;
  /** Seconds between an unstake request and the unstake, 0 ..= 366 days (default 13 days). */
  cooldownSec: number;
}

/** One staker of a fund, as `staking(fundId)` shows it. */
export interface StakerState {
  accountId: number;
  shares: bigint;
  /** floor(balance * shares / total) now, less what an open request may not gain: see the docs. */
  valueQuote: bigint;
  /** The open unstake request: its shares, their value at the request, and the request's second. */
  request: { shares: bigint; valueQuote: bigint; sinceSec: bigint } | null;
}

/** One insurance fund's staking state. @remarks copies */
export interface FundStaking {
  fundId: number;
  balanceQuote: bigint;
  /** Stakers' and the treasury's shares. */
  totalShares: bigint;
  stakerShares: bigint;
  treasuryShares: bigint;
  /** The stakers' revenue waiting for a settle. */
  revenuePoolQuote: bigint;
  lastSettleSec: bigint;
  stakers: StakerState[];
}

const MAX_PERIOD_SEC = 366 * 86_400;
const PPM = 1_000_000;

/** A configuration integer: a safe integer (else InvalidNumber) in min..max (else InvalidEconomics). */
function configInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw inputError('InvalidNumber', field, -1, `${describeValue(value)} is not an integer`);
  if (value < min || value > max) throw inputError('InvalidEconomics', field, -1, `${value} is not in ${min}..${max}`);
  return value;
}

/** The staking parameters in force. */
export function stakingConfig(x: EngineInternals): StakingConfig {
  const { view, at } = x.raw.record('Economics');
  return {
    settlePeriodSec: Number(i64(view, at.settlePeriodSec)), maxAprPpm: Number(i64(view, at.maxAprPpm)),
    stakerFactorPpm: u32(view, at.stakerFactorPpm), settleFractionPpm: u32(view, at.settleFractionPpm), cooldownSec: Number(i64(view, at.cooldownSec)),
  };
}

/** Sets the given parameters (the others keep their values). All or nothing. */
export function setStaking(x: EngineInternals, config: Partial<StakingConfig>): void {
  toRecord(config, 'config', 'InvalidEconomics');
  knownKeys(config, ['settlePeriodSec', 'maxAprPpm', 'stakerFactorPpm', 'settleFractionPpm', 'cooldownSec'], 'config', 'InvalidEconomics');
  const now = stakingConfig(x);
  const pick = (key: keyof StakingConfig, min: number, max: number): number => {
    const v: unknown = config[key];
    return v === undefined ? now[key] : configInt(v, key, min, max);
  };
  const period = pick('settlePeriodSec', 0, MAX_PERIOD_SEC), apr = pick('maxAprPpm', 0, 1_000 * PPM);
  const factor = pick('stakerFactorPpm', 0, PPM), fraction = pick('settleFractionPpm', 1, PPM), cooldown = pick('cooldownSec', 0, MAX_PERIOD_SEC);
  x.raw.setStaking(BigInt(period), BigInt(apr), factor, fraction, BigInt(cooldown));
}

/** Keeps the staking clock: the default second of a call is the latest one given. */
export class StakingClock {
  /**
   * The call's second: `nowSec` (a safe integer >= 0) or, when absent, the latest one a staking call
   * took (the core keeps it: it refuses an earlier one).
   */
  at(x: EngineInternals, nowSec: unknown): bigint {
    if (nowSec === undefined) {
      const { view, at } = x.raw.record('Economics');
      return i64(view, at.stakingSec);
    }
    return secondsOf(nowSec, 'nowSec', 'InvalidNumber');
  }
  /** Runs a call at `nowSec` (see `at`). */
  run<T>(x: EngineInternals, nowSec: unknown, call: (t: bigint) => T): T { return call(this.at(x, nowSec)); }
}

/** A fund id: an integer 0 ..= marketCount (UnknownMarket, field fundId, otherwise). */
export function fundId(x: EngineInternals, id: unknown): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > x.raw.marketCount()) throw inputError('UnknownMarket', 'fundId', -1, `${describeValue(id)} is no insurance fund (0, or 1 + a market)`);
  return id;
}

export function stake(x: EngineInternals, clock: StakingClock, accountId: number, fund: number, amount: AtomsInput, nowSec?: number): bigint {
  const a = x.knownAccount(accountId), f = fundId(x, fund), q = toI64(amount, x.quoteDecimals, 'amountQuote');
  // The core refuses a fund no market pays into; the refusal says which funds the markets use.
  return explained(() => clock.run(x, nowSec, (t) => x.raw.stake(a, f, q, t)), 'UnknownMarket', 'fundId', () => {
    const used = new Set([0, ...x.raw.view(Uint16Array, Column.MarketFund, 0, x.raw.marketCount())]);
    return `fund ${f} backs no market (the markets pay into ${[...used].sort((p, r) => p - r).join(', ')}; a market gets its own fund 1 + id with insuranceFund: 'own')`;
  });
}

/** Opens an unstake request; returns the requested shares' value now, which caps the payout. */
export function requestUnstake(x: EngineInternals, clock: StakingClock, accountId: number, fund: number, shares: AtomsInput, nowSec?: number): bigint {
  const a = x.knownAccount(accountId), f = fundId(x, fund), n = toI64(shares, 0, 'shares');
  return clock.run(x, nowSec, (t) => x.raw.requestUnstake(a, f, n, t));
}

export function cancelUnstake(x: EngineInternals, clock: StakingClock, accountId: number, fund: number, nowSec?: number): bigint {
  const a = x.knownAccount(accountId), f = fundId(x, fund);
  return clock.run(x, nowSec, (t) => x.raw.cancelUnstake(a, f, t));
}

export function unstake(x: EngineInternals, clock: StakingClock, accountId: number, fund: number, nowSec?: number): bigint {
  const a = x.knownAccount(accountId), f = fundId(x, fund);
  // The core refuses an unstake before the cooldown's end; the refusal says when it ends.
  return explained(() => clock.run(x, nowSec, (t) => x.raw.unstake(a, f, t)), 'CooldownNotOver', 'nowSec', () => {
    const request = staking(x, f).stakers.find((s) => s.accountId === a)?.request;
    return request ? `the cooldown ends at second ${request.sinceSec + BigInt(stakingConfig(x).cooldownSec)}` : '';
  });
}

/** Settles every due fund, chunk by chunk (`drain` after each: the flow rows of a chunk). */
export function settleStakingRevenue(x: EngineInternals, clock: StakingClock, drain: () => void, nowSec?: number): bigint {
  const funds = x.raw.marketCount() + 1;
  return clock.run(x, nowSec, (t) => {
    // The first chunk checks every fund before anything moves; the later ones cannot be refused.
    let total = 0n, next = 0;
    do {
      const r = x.raw.settleStakingRevenue(next, t);
      drain();
      total += r.settled;
      next = r.next;
    } while (next < funds);
    return total;
  });
}

/** One fund's staking state. @remarks copies */
export function staking(x: EngineInternals, fund: number): FundStaking {
  const raw = x.raw, f = fundId(x, fund);
  const { view: s, at: S } = raw.fundStake(f);
  const balanceQuote = raw.view(BigInt64Array, Column.FundBalance, f, 1)[0]!;
  const totalShares = i64(s, S.totalShares), stakerShares = i64(s, S.stakerShares);
  const { view: e, at: E } = raw.record('Economics');
  const n = u32(e, E.stakers);
  const { view: r, at } = raw.record('Staker', Math.max(1, n));
  const stakers: StakerState[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * at.BYTES;
    if (u32(r, o + at.fund) !== f) continue;
    const shares = i64(r, o + at.shares), req = i64(r, o + at.requestShares), reqValue = i64(r, o + at.requestValue);
    const worth = (k: bigint): bigint => (totalShares === 0n ? 0n : balanceQuote * k / totalShares);
    // An open request's shares are worth at most their value at the request (the unstake pays no more).
    const valueQuote = req === 0n ? worth(shares) : worth(shares - req) + (worth(req) < reqValue ? worth(req) : reqValue);
    stakers.push({
      accountId: u32(r, o + at.account), shares, valueQuote,
      request: req === 0n ? null : { shares: req, valueQuote: reqValue, sinceSec: i64(r, o + at.requestSec) },
    });
  }
  return {
    fundId: f, balanceQuote, totalShares, stakerShares, treasuryShares: totalShares - stakerShares,
    revenuePoolQuote: i64(s, S.revenuePool), lastSettleSec: i64(s, S.lastSettleSec), stakers,
  };
}
