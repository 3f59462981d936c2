/**
 * Trading fees and the revenue split (docs/ECONOMICS.md, "Trading fees and the revenue split"): the
 * fee schedule per market, the split of each revenue source between the insurance fund, the backstop
 * vault, the insurance-fund stakers, the treasury and the market's PnL pool, the funding skim
 * (a third source), and the distribution that empties the fee and skim pools through it.
 */
import { describeValue, inputError } from '../errors.js';
import { knownKeys, orDefault, toI64, toRecord } from '../atoms.js';
import type { AtomsInput } from '../types.js';
import type { EngineInternals } from '../abi/internals.js';
import { i64, u32 } from '../abi/records.js';
import type { Raw } from '../abi/raw.js';
import { DESTINATIONS, REVENUE_SOURCES, type DestinationName, type FlowLog, type RevenueSourceName } from './flows.js';
import { toSecond } from './time.js';

const PPM = 1_000_000;

/** A market's fees, ppm of notional: the taker's (0..10^6) and the maker's (-taker..10^6; negative: a rebate). */
export interface MarketFees { makerPpm: number; takerPpm: number }

/** One revenue source's split, ppm by destination; the shares given must sum to 10^6 (absent: 0). */
export type SplitRow = Partial<Record<DestinationName, number>>;

/** The revenue split: a row per source (absent rows stay as they are). */
export type RevenueSplit = Partial<Record<RevenueSourceName, SplitRow>>;

/** What one distribution moved, quote atoms. */
export interface DistributionReport {
  /** By source, then by destination (a vault share with no vault account went to the treasury). */
  bySource: Record<RevenueSourceName, Record<DestinationName, bigint>>;
  /** What the floors of the trading-fee shares left, to the residue balance. */
  roundingQuote: bigint;
  totalQuote: bigint;
}

/** The revenue side's state. */
export interface RevenueState {
  split: Record<RevenueSourceName, Record<DestinationName, number>>;
  treasuryQuote: bigint;
  markets: {
    marketId: number; makerFeePpm: number; takerFeePpm: number;
    /** Trading fees net of rebates not yet distributed (negative while rebates lead). */
    feePoolQuote: bigint;
    pnlPoolQuote: bigint;
    /** Fund fees of the market's liquidations not yet re-routed by the split (already in the fund). */
    liquidationRevenueQuote: bigint;
    /** Funding skims (accrueFunding) not yet distributed. */
    skimPoolQuote: bigint;
  }[];
}

/** One funding accrual: the rate, ppm of the mark per unit of size (signed; > 0: longs pay), and the skim, ppm of the receivers' move. */
export interface FundingAccrual { ratePpm: number; skimPpm?: number }

/** What one accrual moved: each index (quote atoms per unit of size) and the skim into the market's skim pool (quote atoms). */
export interface FundingAccrualReport { fundingLongDelta: bigint; fundingShortDelta: bigint; skimQuote: bigint }

/** A ppm share: an integer in `min`..10^6. */
function ppmOf(value: unknown, field: string, row: number, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > PPM) {
    throw inputError('InvalidEconomics', field, row, `${describeValue(value)} is not an integer in ${min}..${PPM}`);
  }
  return value;
}

/** Checks a market's fees (InvalidEconomics naming takerFeePpm or makerFeePpm) and returns [maker, taker]. */
export function feesOf(fees: MarketFees): [number, number] {
  toRecord(fees, 'fees', 'InvalidEconomics');
  knownKeys(fees, ['makerPpm', 'takerPpm'], 'fees', 'InvalidEconomics');
  const taker = ppmOf(fees.takerPpm, 'takerFeePpm', -1);
  const maker = ppmOf(fees.makerPpm, 'makerFeePpm', -1, -taker);
  return [maker, taker];
}

/** Sets market m's fees (RiskEngine.setMarketFees). */
export function setMarketFees(x: EngineInternals, marketId: number, fees: MarketFees): void {
  x.baseDecimals(marketId);
  const [maker, taker] = feesOf(fees);
  x.raw.setMarketFees(marketId, maker, taker);
}

/** Sets the split's rows (RiskEngine.setRevenueSplit): every row is checked before any is set. */
export function setRevenueSplit(x: EngineInternals, split: RevenueSplit): void {
  toRecord(split, 'split', 'InvalidEconomics');
  const rows: [number, number[]][] = [];
  for (const key of Object.keys(split)) {
    const source = REVENUE_SOURCES.indexOf(key as RevenueSourceName);
    if (source < 0) throw inputError('InvalidEconomics', 'revenueSource', -1, `${describeValue(key)} is not one of ${REVENUE_SOURCES.join(', ')}`);
    const row = toRecord(split[key as RevenueSourceName]!, 'splitPpm', 'InvalidEconomics');
    for (const d of Object.keys(row)) {
      if (!DESTINATIONS.includes(d as DestinationName)) throw inputError('InvalidEconomics', 'splitPpm', source, `${describeValue(d)} is not one of ${DESTINATIONS.join(', ')}`);
    }
    const shares = DESTINATIONS.map((d) => ppmOf(orDefault(row[d], 0), 'splitPpm', source));
    const sum = shares.reduce((a, b) => a + b, 0);
    if (sum !== PPM) throw inputError('InvalidEconomics', 'splitPpm', source, `the ${key} shares sum to ${sum}, not ${PPM}`);
    rows.push([source, shares]);
  }
  const raw = x.raw;
  for (const [source, s] of rows) raw.setRevenueSplit(source, s[0]!, s[1]!, s[2]!, s[3]!, s[4]!);
}

/** Adds fees charged outside the engine to a market's fee pool (RiskEngine.collectFees). */
export function collectFees(x: EngineInternals, flows: FlowLog, marketId: number, amount: AtomsInput, nowSec?: number): void {
  x.baseDecimals(marketId);
  const atoms = toI64(amount, x.quoteDecimals, 'amountQuote');
  const sec = toSecond(nowSec);
  x.raw.collectFees(marketId, atoms, sec);
  flows.drain(x.raw);
}

/**
 * Accrues one period of funding in a market with a skim (RiskEngine.accrueFunding): the payers' index
 * moves by floor(mark * rate / 10^6), the receivers' by that less the skim, and the venue keeps the gap
 * times the smaller side's open interest (docs/ECONOMICS.md, "Funding skim").
 */
export function accrueFunding(x: EngineInternals, flows: FlowLog, marketId: number, accrual: FundingAccrual, nowSec?: number): FundingAccrualReport {
  x.baseDecimals(marketId);
  toRecord(accrual, 'accrual', 'InvalidEconomics');
  knownKeys(accrual, ['ratePpm', 'skimPpm'], 'accrual', 'InvalidEconomics');
  const rate = ppmOf(accrual.ratePpm, 'fundingRatePpm', -1, -PPM);
  const skim = ppmOf(orDefault(accrual.skimPpm, 0), 'skimPpm', -1);
  const sec = toSecond(nowSec);
  const [fundingLongDelta, fundingShortDelta, skimQuote] = x.raw.accrueFunding(marketId, rate, skim, sec);
  flows.drain(x.raw);
  return { fundingLongDelta, fundingShortDelta, skimQuote };
}

/** Distributes every market's revenue through the split (RiskEngine.distributeRevenue), in chunks. */
export function distributeRevenue(x: EngineInternals, flows: FlowLog, nowSec?: number): DistributionReport {
  const sec = toSecond(nowSec);
  const raw = x.raw;
  const from = flows.length;
  for (let m = 0; m < raw.marketCount();) {
    // A market refused mid-chunk (Overflow) leaves the markets before it distributed: their flow rows
    // are journaled before the error is thrown.
    try { m = raw.distributeRevenue(m, sec); } finally { flows.drain(raw); }
  }
  const bySource = Object.fromEntries(REVENUE_SOURCES.map((s) => [s, Object.fromEntries(DESTINATIONS.map((d) => [d, 0n]))])) as DistributionReport['bySource'];
  let roundingQuote = 0n, totalQuote = 0n;
  for (const f of flows.records(from)) {
    if (f.kind === 'rounding') roundingQuote += f.amountQuote;
    else if (f.source && f.destination) bySource[f.source][f.destination] += f.amountQuote;
    totalQuote += f.amountQuote;
  }
  return { bySource, roundingQuote, totalQuote };
}

/** The split as the core holds it. */
function readSplit(raw: Raw): RevenueState['split'] {
  const { view, at } = raw.record('Economics');
  const n = DESTINATIONS.length;
  return Object.fromEntries(REVENUE_SOURCES.map((s, i) => [s, Object.fromEntries(DESTINATIONS.map((d, j) => [d, u32(view, at.split + (i * n + j) * 4)]))])) as RevenueState['split'];
}

/** The revenue side's state (RiskEngine.revenue). */
export function readRevenue(x: EngineInternals): RevenueState {
  const raw = x.raw;
  const { view, at } = raw.record('Economics');
  const markets: RevenueState['markets'] = [];
  for (let m = 0; m < raw.marketCount(); m++) {
    const e = raw.marketEcon(m);
    markets.push({
      marketId: m, makerFeePpm: e.view.getInt32(e.at.makerFeePpm, true), takerFeePpm: e.view.getInt32(e.at.takerFeePpm, true),
      feePoolQuote: i64(e.view, e.at.feePool), pnlPoolQuote: i64(e.view, e.at.pnlPool), liquidationRevenueQuote: i64(e.view, e.at.liquidationRevenue),
      skimPoolQuote: i64(e.view, e.at.skimPool),
    });
  }
  return { split: readSplit(raw), treasuryQuote: i64(view, at.treasury), markets };
}
