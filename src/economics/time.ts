/**
 * The caller's clock for the economics: whole seconds (a safe integer number, as `allocateLosses`
 * takes), 0 or later. The core never reads a clock of its own (determinism).
 */
import { describeValue, inputError, type StatusName } from '../errors.js';

/**
 * `value` as whole seconds, 0 or later: InvalidNumber naming `field` for anything but a safe integer
 * number, `negative` (InvalidNumber or OutOfRange, as the call documents it) for one below 0.
 */
export function secondsOf(value: unknown, field: string, negative: StatusName): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw inputError('InvalidNumber', field, -1, `${describeValue(value)} is not whole seconds`);
  }
  if (value < 0) throw inputError(negative, field, -1, `${value} is negative: seconds are 0 or later`);
  return BigInt(value);
}

/** `nowSec` checked (InvalidNumber naming it for anything but whole seconds, 0 or later); absent means 0. */
export function toSecond(value: unknown, field = 'nowSec'): bigint {
  return value === undefined ? 0n : secondsOf(value, field, 'InvalidNumber');
}
