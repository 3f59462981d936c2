/**
 * Reference model of trading fees and the revenue split, written from docs/ECONOMICS.md ("Trading
 * fees and the revenue split"), with plain bigints.
 */
import { ceilDiv, floorDiv } from './model.js';

export const PPM = 1_000_000n;
/** Destinations in the split's column order. */
export const DESTINATIONS = ['insuranceFund', 'backstopVault', 'stakers', 'treasury', 'pnlPool'] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** The fee of a fill (> 0 charged, < 0 a rebate paid), or null when the notional passes 2^62. */
export function fillFee(sizeAbs: bigint, price: bigint, d: bigint, ppm: bigint): bigint | null {
  if (ppm === 0n) return 0n;
  const notional = ppm > 0n ? ceilDiv(sizeAbs * price, d) : floorDiv(sizeAbs * price, d);
  if (notional > 1n << 62n) return null;
  return ppm > 0n ? ceilDiv(notional * ppm, PPM) : -floorDiv(notional * -ppm, PPM);
}

export interface RevenueMarket { fund: number; feePool: bigint; pnlPool: bigint; liquidationRevenue: bigint }

export interface RevenueState {
  markets: RevenueMarket[];
  /** Fund balances by fund id (0 global, 1 + market). */
  funds: bigint[];
  /** Stakers' revenue pools by fund id. */
  revenuePools: bigint[];
  treasury: bigint;
  residue: bigint;
  /** The vault account's collateral, or null when there is no vault account. */
  vault: bigint | null;
  /** split[source][destination], source 0 trading fees, 1 liquidation fees. */
  split: bigint[][];
}

/** Distributes every market in id order (mutates `s`). */
export function distribute(s: RevenueState): void {
  s.markets.forEach((m) => {
    const pool = m.feePool > 0n ? m.feePool : 0n;
    let base = m.liquidationRevenue < s.funds[m.fund]! ? m.liquidationRevenue : s.funds[m.fund]!;
    if (base < 0n) base = 0n;
    let moved = 0n;
    DESTINATIONS.forEach((d, j) => {
      const t = floorDiv(pool * s.split[0]![j]!, PPM);
      const l = d === 'insuranceFund' ? 0n : floorDiv(base * s.split[1]![j]!, PPM);
      moved += t;
      s.funds[m.fund]! -= l;
      const x = t + l;
      if (d === 'insuranceFund') s.funds[m.fund]! += x;
      else if (d === 'backstopVault' && s.vault !== null) s.vault += x;
      else if (d === 'stakers') s.revenuePools[m.fund]! += x;
      else if (d === 'pnlPool') m.pnlPool += x;
      else s.treasury += x; // the treasury, or the vault's share without a vault account
    });
    s.residue += pool - moved;
    m.feePool -= pool;
    m.liquidationRevenue = 0n;
  });
}
