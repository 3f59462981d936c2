/**
 * Conversions at the edge: what a caller writes (bigint, safe-integer number, decimal string) to
 * integer atoms. The core only ever sees integers.
 *
 * - `bigint` and `number` are atoms already; a number must be a safe integer (no NaN, Infinity,
 *   fractions, or values beyond 2^53 that would have lost precision).
 * - a `string` is a decimal amount in whole units ("1.5" with 6 decimals is 1_500_000 atoms);
 *   more fractional digits than the unit has is an error, never a silent rounding.
 *
 * Names (enumeration values) are looked up among a table's own keys only: a property every object
 * inherits ('constructor', 'toString', '__proto__') is no curve kind, policy or side. Ids are
 * integers in range, never strings or arrays that would convert to one.
 */
import { describeValue, inputError, type StatusName } from './errors.js';
import type { AtomsInput } from './types.js';

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/** The most decimals a unit has (quote units; base units have at most 12). */
export const MAX_DECIMALS = 18;

/**
 * Converts one input to atoms; `decimals` (an integer in 0..18) scales decimal strings. Throws
 * InputError naming field and row (or the field `decimals` for decimals that are not such an integer).
 * The package's export: the caller's decimals are checked here; inside, `atomsOf` takes decimals
 * that were checked once (the engine's quote decimals, a market's base decimals).
 */
export function toAtoms(value: AtomsInput, decimals: number, field: string, row = -1): bigint {
  toCount(decimals, 'decimals', row, MAX_DECIMALS);
  return atomsOf(value, decimals, field, row);
}

/** toAtoms with `decimals` already known to be an integer in 0..18. */
export function atomsOf(value: AtomsInput, decimals: number, field: string, row = -1): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw inputError('InvalidNumber', field, row, `${value} is not a safe integer number of atoms (use a bigint or a decimal string)`);
    }
    return BigInt(value);
  }
  if (typeof value === 'string') {
    const m = DECIMAL.exec(value.trim().replaceAll('_', ''));
    if (!m) throw inputError('InvalidNumber', field, row, `"${value}" is not a decimal number`);
    const [, sign, whole, frac = ''] = m;
    if (frac.length > decimals) {
      throw inputError('InvalidNumber', field, row, `"${value}" has more than ${decimals} decimal places`);
    }
    const atoms = BigInt(whole! + frac.padEnd(decimals, '0'));
    return sign === '-' ? -atoms : atoms;
  }
  throw inputError('InvalidNumber', field, row, `expected bigint, number or decimal string, got ${describeValue(value)}`);
}

/**
 * An optional field's value, or `fallback` when it is absent (undefined). Only undefined is absent:
 * null is a value like any other, which the field's conversion refuses (it is no amount and no count).
 */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** A ppm fraction or small count: a safe non-negative integer. */
export function toCount(value: unknown, field: string, row = -1, max = 0xFFFFFFFF): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw inputError(typeof value === 'number' && Number.isInteger(value) ? 'OutOfRange' : 'InvalidNumber', field, row, `${describeValue(value)} is not an integer in 0..${max}`);
  }
  return value;
}

/** Formats atoms as a decimal string in whole units. */
export function formatAtoms(atoms: bigint, decimals: number): string {
  const negative = atoms < 0n;
  const digits = (negative ? -atoms : atoms).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? '.' + digits.slice(digits.length - decimals) : '';
  return (negative ? '-' : '') + whole + frac;
}

/** Int64 range guard for values bound for BigInt64Array columns (the core checks the tighter 2^62). */
export function toI64(value: AtomsInput, decimals: number, field: string, row = -1): bigint {
  const v = atomsOf(value, decimals, field, row);
  if (v < -(2n ** 63n) || v >= 2n ** 63n) throw inputError('OutOfRange', field, row, `${v} does not fit 64 bits`);
  return v;
}

/**
 * The code of `value` in `table` (a caller-given name), matched against the table's own keys only;
 * undefined for anything else (a property name every object inherits, a non-string, a wrapped value).
 */
export function ownCode<T extends Readonly<Record<string, number>>>(table: T, value: unknown): number | undefined {
  return typeof value === 'string' && Object.hasOwn(table, value) ? table[value] : undefined;
}

/**
 * A name -> value table (presets) whose lookups find its own entries only: without a prototype,
 * `table[name]` of a property name every object has ('constructor', '__proto__') is undefined.
 */
export function ownKeysOnly<T extends object>(table: T): T {
  return Object.setPrototypeOf(table, null) as T;
}

/** An optional boolean flag: absent (undefined) is false; anything but true or false is refused. */
export function toFlag(value: unknown, field: string, code: StatusName = 'OutOfRange', row = -1): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw inputError(code, field, row, `${describeValue(value)} is not true or false`);
  return value;
}

/** An options or specification argument: a plain object (not null, not an array, not a primitive). */
export function toRecord<T>(value: T, field: string, code: StatusName = 'OutOfRange'): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw inputError(code, field, -1, `expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  return value;
}

/**
 * Refuses a key of an options object the call does not know: a misspelt key (`coolDownSec`) would
 * otherwise be ignored and the value it meant to set kept.
 */
export function knownKeys(value: object, keys: readonly string[], field: string, code: StatusName = 'OutOfRange'): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw inputError(code, field, -1, `unknown key ${JSON.stringify(key)} (one of ${keys.join(', ')})`);
  }
}

/** The length of a caller's list of ids or values (an array or a typed array; not a string or a number). */
export function listLength(value: unknown, field: string): number {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw inputError('InvalidNumber', field, -1, 'expected an array');
  const n = (value as ArrayLike<unknown>).length;
  if (!Number.isSafeInteger(n) || n < 0) throw inputError('InvalidNumber', field, -1, 'expected an array');
  return n;
}
