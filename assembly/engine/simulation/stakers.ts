/**
 * The stakers' side of the withdrawal run (docs/SIMULATION.md, "Winners' withdrawals"): on a run
 * step the engine's own stakers (STAKERS; not the stakers a scenario's `stakedPpm` sets, who hold
 * no records) leave with the run step's chance, through the engine's own calls
 * (economics/staking.ts): a request whose cooldown is over is completed (`unstake`: min(value at the
 * request, value now) from the fund into the account's collateral), then each staker without an
 * open request asks to unstake all its shares when its draw falls under the chance. Funds are taken
 * in id order, a fund's stakers in the order of their records.
 *
 * A staker's draw on step t: splitmix64(splitmix64(h + t) + fund * 2^32 + account) mod 10^6, with
 * h the path's hash (withdrawals.ts).
 */
import { addAmount, OVERFLOWED } from '../../math/fixed';
import { EconomicsRecord, SimHeaderRecord, StakerRecord } from '../../abi/records';
import { Field, Status } from '../../abi/status';
import { fail, marketCount } from '../state';
import { ECONOMICS, stakerPtr } from '../funds';
import { splitmix64 } from '../waterfall/adl';
import { requestUnstake, unstake } from '../economics/staking';
import { recheck } from './bounds';

const PPM: u64 = 1_000_000;

/** What the path's stakers were paid by their unstakes (the stakers' holdings count it). */
let unstaked: i64 = 0;

export function beginPathStakers(): void { unstaked = 0; }

/** The stakers' payouts in this path so far. */
export function unstakedQuote(): i64 { return unstaked; }

/**
 * Step t's stakers at `nowSec` with the run step's chance `p` (ppm) and the path's hash `h`.
 * Returns a Status (Overflow naming an account whose collateral would pass 2^62).
 */
export function stakersStep(header: usize, t: u32, nowSec: i64, p: i64, h: u64): i32 {
  const n = load<u32>(ECONOMICS, EconomicsRecord.stakers);
  if (n == 0 || load<u32>(header, SimHeaderRecord.stakedPpm) != 0) return Status.Ok;
  const cooldown = load<i64>(ECONOMICS, EconomicsRecord.cooldownSec);
  const ht = splitmix64(h + <u64>t);
  for (let f: u32 = 0; f <= marketCount; f++) {
    for (let i: u32 = 0; i < n; i++) {
      const r = stakerPtr(i);
      if (load<u32>(r, StakerRecord.fund) != f) continue;
      const a = load<u32>(r, StakerRecord.account);
      if (load<i64>(r, StakerRecord.requestShares) > 0) {
        if (nowSec - load<i64>(r, StakerRecord.requestSec) < cooldown) continue;
        const st = unstake(a, f, nowSec);
        if (st != Status.Ok) return st;
        unstaked = addAmount(unstaked, load<i64>(ECONOMICS, EconomicsRecord.answer0));
        if (unstaked == OVERFLOWED) return fail(Status.Overflow, Field.AmountQuote, <i32>a);
        if (!recheck(a)) return fail(Status.Overflow, Field.AccountId, <i32>a);
        continue;
      }
      const shares = load<i64>(r, StakerRecord.shares);
      if (shares <= 0 || <i64>(splitmix64(ht + (<u64>f << 32) + <u64>a) % PPM) >= p) continue;
      const st = requestUnstake(a, f, shares, nowSec);
      if (st != Status.Ok) return st;
    }
  }
  return Status.Ok;
}
