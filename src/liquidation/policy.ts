/**
 * The liquidation policy: its options, the venues' presets, and its encoding into the core's policy
 * record (laid out by the core's ABI table). The formulas are normative in docs/FORMULAS.md
 * ("Liquidation").
 */
import { describeValue, inputError } from '../errors.js';
import { ownCode, ownKeysOnly, toCount, toI64, toRecord } from '../atoms.js';
import { NO_ISOLATED } from '../abi/codes.js';
import type { Raw } from '../abi/raw.js';
import type { RecordLayout } from '../abi/records.js';
import type { AtomsInput } from '../types.js';

/**
 * How a round of liquidations is planned. Every knob has a default; amounts are quote atoms (or
 * decimal strings in quote units), fractions parts per million.
 */
export interface LiquidationPolicy {
  /** `full`: close each planned position up to its per-round cap. `partial` (default): the smallest close that restores the target. */
  close?: 'full' | 'partial';
  /** What a partial close restores: maintenance margin (default) or initial margin, times 1 + bufferPpm. */
  target?: 'maintenance' | 'initial';
  bufferPpm?: number;
  /** A close below this notional closes the whole position; so does a remainder below it. Default 0. */
  minCloseNotionalQuote?: AtomsInput;
  /** Largest fraction of a position closed per round (dYdX 100,000, Hyperliquid 200,000). Default 10^6. */
  maxCloseFractionPpm?: number;
  /** The fraction cap applies to positions whose notional is above this (Hyperliquid: 100,000 USD). Default 0. */
  fractionAboveNotionalQuote?: AtomsInput;
  /** Per group and round: notional closed (dYdX 100,000 USD) and deficit created (1,000,000 USD); 0 = no cap. */
  maxNotionalPerRoundQuote?: AtomsInput;
  maxDeficitPerRoundQuote?: AtomsInput;
  /** Order of positions within an account: largest maintenance margin first (default), largest notional, or book order. */
  order?: 'maintenance' | 'notional' | 'book';
  /** Liquidation fee, ppm of closed notional at the execution price, and the liquidator's share of it. */
  liquidationFeePpm?: number;
  liquidatorSharePpm?: number;
  /** Groups with equity below backstopPpm/10^6 of MM go whole to the backstop account (Hyperliquid: 666,667). 0 = off. */
  backstopPpm?: number;
  backstopAccountId?: number;
}

/** Policies modelled on real venues (mechanisms in the README). Amounts in quote units. A name finds own entries only. */
export const LIQUIDATION_PRESETS = ownKeysOnly({
  /** dYdX v4: 10 % of a position per round (at least 50 USD), 100k USD notional and 1M USD deficit per account and round, 1.5 % fee to the fund. */
  dydx: {
    close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '50', maxNotionalPerRoundQuote: '100000',
    maxDeficitPerRoundQuote: '1000000', liquidationFeePpm: 15_000, liquidatorSharePpm: 0,
  },
  /** Hyperliquid: market close of whole positions, 20 % at a time above 100k USD notional; pass a backstop account to enable the 2/3 MM backstop. */
  hyperliquid: {
    close: 'full', maxCloseFractionPpm: 200_000, fractionAboveNotionalQuote: '100000', liquidationFeePpm: 0,
  },
} as const satisfies Record<string, LiquidationPolicy>);

const CLOSE = { full: 0, partial: 1 } as const;
const TARGET = { maintenance: 0, initial: 1 } as const;
const ORDER = { maintenance: 0, notional: 1, book: 2 } as const;

/** A policy name's code: absent (undefined) is the default; anything but one of the table's own keys is refused. */
function choice<T extends Record<string, number>>(table: T, value: unknown, fallback: keyof T & string, field: string): number {
  const code = ownCode(table, value === undefined ? fallback : value);
  if (code === undefined) throw inputError('InvalidPolicy', field, -1, `unknown ${field} ${describeValue(value)}; one of ${Object.keys(table).join(', ')}`);
  return code;
}

/**
 * A policy (defaults filled in) as the bytes of the core's policy record; every knob is read once.
 * Refused here: a policy that is not an object, unknown names, counts and amounts that are not
 * integers of their field's size. The core checks the ranges when the record is set or checked.
 */
export function policyBytes(at: RecordLayout<'Policy'>, policy: LiquidationPolicy, quoteDecimals: number): Uint8Array {
  const bytes = new Uint8Array(at.BYTES);
  encodePolicy(at, policy, new DataView(bytes.buffer), quoteDecimals);
  return bytes;
}

/** Writes a policy (defaults filled in) into a policy record; the core validates ranges. */
function encodePolicy(at: RecordLayout<'Policy'>, policy: LiquidationPolicy, record: DataView, quoteDecimals: number): void {
  const p = toRecord(policy, 'policy', 'InvalidPolicy');
  record.setUint32(at.close, choice(CLOSE, p.close, 'partial', 'close'), true);
  record.setUint32(at.target, choice(TARGET, p.target, 'maintenance', 'target'), true);
  record.setUint32(at.order, choice(ORDER, p.order, 'maintenance', 'order'), true);
  // Absent (undefined) knobs take their defaults; null or any other non-number is refused.
  const count = (v: unknown, fallback: number, field: string) => (v === undefined ? fallback : toCount(v, field));
  const amount = (v: AtomsInput | undefined, field: string) => (v === undefined ? 0n : toI64(v, quoteDecimals, field));
  record.setUint32(at.bufferPpm, count(p.bufferPpm, 0, 'bufferPpm'), true);
  record.setUint32(at.maxFractionPpm, count(p.maxCloseFractionPpm, 1_000_000, 'maxCloseFractionPpm'), true);
  record.setUint32(at.feePpm, count(p.liquidationFeePpm, 0, 'liquidationFeePpm'), true);
  record.setUint32(at.sharePpm, count(p.liquidatorSharePpm, 0, 'liquidatorSharePpm'), true);
  record.setUint32(at.backstopPpm, count(p.backstopPpm, 0, 'backstopPpm'), true);
  record.setUint32(at.backstopAccount, count(p.backstopAccountId, NO_ISOLATED, 'backstopAccountId'), true);
  record.setBigInt64(at.minCloseNotional, amount(p.minCloseNotionalQuote, 'minCloseNotionalQuote'), true);
  record.setBigInt64(at.fractionAbove, amount(p.fractionAboveNotionalQuote, 'fractionAboveNotionalQuote'), true);
  record.setBigInt64(at.maxNotional, amount(p.maxNotionalPerRoundQuote, 'maxNotionalPerRoundQuote'), true);
  record.setBigInt64(at.maxDeficit, amount(p.maxDeficitPerRoundQuote, 'maxDeficitPerRoundQuote'), true);
}

/** The backstop account an encoded policy names, or null when its backstop is off. */
export function backstopAccountOf(at: RecordLayout<'Policy'>, bytes: Uint8Array): number | null {
  const record = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return record.getUint32(at.backstopPpm, true) > 0 ? record.getUint32(at.backstopAccount, true) : null;
}

/** Writes an encoded policy (policyBytes) into the core's policy record, then makes it active or only checks it. */
export function stagePolicy(raw: Raw, bytes: Uint8Array, activate: boolean): void {
  raw.writeRecord('Policy', bytes);
  if (activate) raw.setPolicy();
  else raw.checkPolicy();
}
