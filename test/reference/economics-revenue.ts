/**
 * Reference model of trading fees, the funding skim and the revenue split, written from
 * docs/ECONOMICS.md ("Trading fees and the revenue split", "Funding skim"), with plain bigints.
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

export interface RevenueMarket { fund: number; feePool: bigint; pnlPool: bigint; liquidationRevenue: bigint; skimPool?: bigint }

/** What the funding accrual reads of a market (indices and open interest as MarketRecord holds them). */
export interface FundingMarket { mark: bigint; d: bigint; oiLong: bigint; oiShort: bigint; fundingLong: bigint; fundingShort: bigint; skimPool: bigint }

const INDEX_LIMIT = 1n << 61n;
const AMOUNT_LIMIT = 1n << 62n;

/**
 * One accrual at rate r ppm (r > 0: longs pay) with a skim of k ppm: the payers' index moves by
 * delta = floor(mark * r / 10^6) (signed, toward minus infinity), the receivers' by
 * floor(|delta| * (10^6 - k) / 10^6) in the receivers' direction, and the skim is
 * floor(min(oiLong, oiShort) * (|delta| - |receivers' move|) / D). Mutates `m`; returns the moves,
 * or null (nothing changed) when an index would pass 2^61 or the skim pool 2^62.
 */
export function accrueFunding(m: FundingMarket, r: bigint, k: bigint): { long: bigint; short: bigint; skim: bigint } | null {
  if (r === 0n) return { long: 0n, short: 0n, skim: 0n };
  const delta = floorDiv(m.mark * r, PPM);
  const mag = delta < 0n ? -delta : delta;
  const recv = floorDiv(mag * (PPM - k), PPM);
  const long = r > 0n ? delta : -recv, short = r > 0n ? recv : delta;
  const oi = m.oiLong < m.oiShort ? m.oiLong : m.oiShort;
  const skim = floorDiv(oi * (mag - recv), m.d);
  const nl = m.fundingLong + long, ns = m.fundingShort + short;
  if (nl > INDEX_LIMIT || nl < -INDEX_LIMIT || ns > INDEX_LIMIT || ns < -INDEX_LIMIT) return null;
  if (m.skimPool + skim > AMOUNT_LIMIT) return null;
  m.fundingLong = nl; m.fundingShort = ns; m.skimPool += skim;
  return { long, short, skim };
}

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
  /** split[source][destination], source 0 trading fees, 1 liquidation fees, 2 the funding skim (absent: all to the fund). */
  split: bigint[][];
}

/** Distributes every market in id order (mutates `s`). */
export function distribute(s: RevenueState): void {
  s.markets.forEach((m) => {
    const pool = m.feePool > 0n ? m.feePool : 0n;
    const skimPool = m.skimPool ?? 0n;
    const skimRow = s.split[2] ?? [PPM, 0n, 0n, 0n, 0n];
    let skimmed = 0n;
    let base = m.liquidationRevenue < s.funds[m.fund]! ? m.liquidationRevenue : s.funds[m.fund]!;
    if (base < 0n) base = 0n;
    let moved = 0n;
    DESTINATIONS.forEach((d, j) => {
      const t = floorDiv(pool * s.split[0]![j]!, PPM);
      const l = d === 'insuranceFund' ? 0n : floorDiv(base * s.split[1]![j]!, PPM);
      const k = floorDiv(skimPool * skimRow[j]!, PPM);
      moved += t; skimmed += k;
      s.funds[m.fund]! -= l;
      const x = t + l + k;
      if (d === 'insuranceFund') s.funds[m.fund]! += x;
      else if (d === 'backstopVault' && s.vault !== null) s.vault += x;
      else if (d === 'stakers') s.revenuePools[m.fund]! += x;
      else if (d === 'pnlPool') m.pnlPool += x;
      else s.treasury += x; // the treasury, or the vault's share without a vault account
    });
    s.residue += pool - moved + skimPool - skimmed;
    m.feePool -= pool;
    m.skimPool = 0n;
    m.liquidationRevenue = 0n;
  });
}
