/**
 * Regression: `toAtoms` checks its decimals. Before, `toAtoms('1.5', 'constructor')` or
 * `toAtoms(1n, Float64Array.of(NaN))` returned an amount (the decimals were never read for a bigint
 * or a number, and compared as they came for a string), and `toAtoms('1', 6n)` threw a TypeError
 * (a bigint in `padEnd`). The decimals are an integer in 0..18 (the most a quote unit has; base
 * units have at most 12), else InputError naming the field `decimals`.
 */
import { describe, expect, it } from 'vitest';
import { InputError, toAtoms } from '../../dist/src/node.js';
import { caught } from '../support/engine.js';

describe('regression: toAtoms decimals', () => {
  it('refuses decimals that are not an integer in 0..18, whatever the amount', () => {
    const bad: readonly unknown[] = ['constructor', '6', 6n, 1.5, -1, 19, NaN, Infinity, null, Object.create(null), Symbol('d'), [6], Float64Array.of(NaN)];
    for (const [i, decimals] of bad.entries()) {
      for (const value of ['1.5', '1', 1n, 1]) {
        const e = caught(() => toAtoms(value, decimals as number, 'amountQuote'));
        expect(e, `toAtoms(${String(value)}, decimals #${i})`).toBeInstanceOf(InputError);
        expect(e.field).toBe('decimals');
      }
    }
  });

  it('converts as before with valid decimals', () => {
    // "1.5" in a unit of 6 decimals is 1 500 000 atoms; of 0 decimals it has too many places.
    expect(toAtoms('1.5', 6, 'amountQuote')).toBe(1_500_000n);
    expect(toAtoms('-0.000001', 6, 'amountQuote')).toBe(-1n);
    expect(toAtoms(7n, 0, 'amountQuote')).toBe(7n);
    expect(toAtoms('12', 18, 'amountQuote')).toBe(12n * 10n ** 18n);
    expect(caught(() => toAtoms('1.5', 0, 'amountQuote'))).toMatchObject({ codeName: 'InvalidNumber', field: 'amountQuote' });
  });
});
