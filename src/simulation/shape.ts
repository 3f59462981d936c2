/**
 * The shape checks a simulation's configuration is made of (validate.ts), and the one that
 * `RiskEngine.create` needs (its `reserveSimulation` option): plain objects with known keys,
 * integers, booleans, names and lists. Errors are InputError(InvalidScenario) naming the field.
 */
import { describeValue, inputError } from '../errors.js';

export type Fields = Record<string, unknown>;

export function bad(field: string, detail: string, row = -1): never {
  throw inputError('InvalidScenario', field, row, detail);
}

export const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** The table's entry named `name`, an own key only (never one of Object.prototype's). */
export function ownEntry<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * A plain object (of Object.prototype or none: what JSON and object literals make; not an array, a
 * Date, a Map or another class's instance) whose keys are all in `keys` (an unknown key is named by
 * its path).
 */
export function object(value: unknown, field: string, keys: readonly string[], row = -1, what = 'an object'): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(field, `${what}, not ${describe(value)}`, row);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) bad(field, `${what}, not ${describeValue(value)}`, row);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) bad(at(field, key), `unknown key (known here: ${keys.join(', ') || 'none'})`, row);
  }
  return value as Fields;
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** An integer (a number without fraction, not a string) in min..max. */
export function int(value: unknown, field: string, min: number, max: number, row = -1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(field, `${describe(value)} is not an integer in ${min}..${max}`, row);
  }
  return value;
}

export function bool(value: unknown, field: string, row = -1): boolean {
  if (typeof value !== 'boolean') bad(field, `${describe(value)} is not true or false`, row);
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, names: readonly T[], row = -1): T {
  if (typeof value !== 'string' || !(names as readonly string[]).includes(value)) bad(field, `${describe(value)} is not one of ${names.join(', ')}`, row);
  return value as T;
}

export function list(value: unknown, field: string, row = -1): readonly unknown[] {
  if (!Array.isArray(value)) bad(field, `a list, not ${describe(value)}`, row);
  return value;
}

/**
 * `RiskEngine.create`'s `reserveSimulation` (the area for simulations of up to `steps` steps,
 * correlated or not), with the default filled in.
 */
export function checkSimulationReserve(value: unknown): { steps: number; correlated: boolean } {
  const r = object(value, 'reserveSimulation', ['steps', 'correlated'], -1, 'an object { steps, correlated? }');
  return {
    steps: int(r.steps, 'reserveSimulation.steps', 1, 100_000),
    correlated: r.correlated === undefined ? false : bool(r.correlated, 'reserveSimulation.correlated'),
  };
}
