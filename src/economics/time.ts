/**
 * The caller's clock for the economics: whole seconds (a safe integer number, as `allocateLosses`
 * takes), 0 or later; absent means 0. The core never reads a clock of its own (determinism).
 */
import { describeValue, inputError } from '../errors.js';

/** `nowSec` checked (InvalidNumber naming nowSec for anything but whole non-negative seconds). */
export function toSecond(value: unknown, field = 'nowSec'): bigint {
  if (value === undefined) return 0n;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw inputError('InvalidNumber', field, -1, `${describeValue(value)} is not whole seconds (0 or later)`);
  }
  return BigInt(value);
}
