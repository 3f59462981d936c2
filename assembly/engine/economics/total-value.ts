/**
 * The venue's total value for the withdrawal capacity (capacity.ts): the exact sum of every account's
 * collateral (cross, and live isolated rows), as a 128-bit pair.
 *
 * A call of the capacity sums it afresh. A batch of calls (the simulation's withdrawal run) may hold
 * it instead: summed once, then moved by exactly what its calls move (a payment out of collateral, a
 * settle of PnL into or out of it), so each call sees what a fresh sum would give.
 */
import { AMOUNT_LIMIT } from '../../math/fixed';
import { addWide } from '../../math/wide';
import { Column, i64At, u8At } from '../../abi/layout';
import { I128_HI } from '../../abi/records';
import { accountCount, isolatedTop, SCRATCH } from '../state';

let tvLo: u64 = 0, tvHi: i64 = 0;
let held = false;

/** Sums the collateral now, unless a batch holds the sum. */
export function refreshTotalValue(): void {
  if (held) return;
  const p = SCRATCH;
  store<u64>(p, 0); store<i64>(p, 0, I128_HI);
  for (let a: u32 = 0; a < accountCount; a++) addWide(p, load<i64>(i64At(Column.AccCollateral, a)));
  for (let r: u32 = 0; r < isolatedTop; r++) {
    if (load<u8>(u8At(Column.IsoFlags, r)) != 0) addWide(p, load<i64>(i64At(Column.IsoCollateral, r)));
  }
  tvLo = load<u64>(p); tvHi = load<i64>(p, I128_HI);
}

/**
 * Holds the sum until `releaseTotalValue`: summed once when `needed` (a capacity or a loss charge
 * reads it), else left as it is (no call of the batch reads it).
 */
export function holdTotalValue(needed: bool): void {
  held = false;
  if (needed) refreshTotalValue();
  held = true;
}

/** Later calls sum afresh. */
export function releaseTotalValue(): void { held = false; }

/** Moves the tracked sum by x (collateral that entered (+) or left (-) an account). */
export function moveTotalValue(x: i64): void {
  const lo = tvLo + <u64>x;
  tvHi += (x < 0 ? -1 : 0) + <i64>(lo < tvLo);
  tvLo = lo;
}

/** TV: the tracked sum clamped to 0..2^62. */
export function totalValue(): i64 {
  if (tvHi < 0) return 0;
  if (tvHi > 0 || tvLo >= <u64>AMOUNT_LIMIT) return AMOUNT_LIMIT;
  return <i64>tvLo;
}
