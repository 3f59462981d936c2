/**
 * The liquidation policy (PolicyRecord, records.ts): JavaScript stages it in POLICY_RECORD, setPolicy
 * validates it into the active copy that planning and execution read (policyU32 / policyI64).
 */
import { AMOUNT_LIMIT } from '../../math/fixed';
import { col, Column, u32At } from '../../abi/layout';
import { Field, Status } from '../../abi/status';
import { PolicyRecord } from '../../abi/records';
import { accountCount, fail, NONE, setPlanReady } from '../state';
import { ACCOUNT_ACTIVE } from '../book/book';

/** Written by JavaScript, validated into the active policy by setPolicy. */
export const POLICY_RECORD: usize = memory.data(PolicyRecord.BYTES, 8);
const ACTIVE_POLICY: usize = memory.data(PolicyRecord.BYTES, 8);
export const PPM: i64 = 1_000_000;

// @ts-ignore: decorator
@inline export function policyU32(offset: usize): u32 { return load<u32>(ACTIVE_POLICY + offset); }
// @ts-ignore: decorator
@inline export function policyI64(offset: usize): i64 { return load<i64>(ACTIVE_POLICY + offset); }

/**
 * Validates POLICY_RECORD and makes it the active policy (planning and execution read it). Errors:
 * InvalidPolicy naming the knob (the active policy, and a waiting plan, stay as they were).
 */
export function setPolicy(): i32 {
  const status = checkPolicy();
  if (status != Status.Ok) return status;
  memory.copy(ACTIVE_POLICY, POLICY_RECORD, PolicyRecord.BYTES);
  setPlanReady(false); // a waiting plan was made, and rehearsed, under the policy it replaces
  return Status.Ok;
}

/**
 * Validates POLICY_RECORD by setPolicy's rules without activating it (a caller that must refuse a
 * bad policy before anything else moves asks first). Errors: as setPolicy.
 */
export function checkPolicy(): i32 {
  const p = POLICY_RECORD;
  if (load<u32>(p, PolicyRecord.close) > 1 || load<u32>(p, PolicyRecord.target) > 1 || load<u32>(p, PolicyRecord.order) > 2) return fail(Status.InvalidPolicy, Field.Policy, -1);
  if (load<u32>(p, PolicyRecord.bufferPpm) > <u32>PPM) return fail(Status.InvalidPolicy, Field.BufferPpm, -1);
  const fraction = load<u32>(p, PolicyRecord.maxFractionPpm);
  if (fraction == 0 || fraction > <u32>PPM) return fail(Status.InvalidPolicy, Field.MaxCloseFractionPpm, -1);
  if (load<u32>(p, PolicyRecord.feePpm) > <u32>PPM) return fail(Status.InvalidPolicy, Field.LiquidationFeePpm, -1);
  if (load<u32>(p, PolicyRecord.sharePpm) > <u32>PPM) return fail(Status.InvalidPolicy, Field.LiquidatorSharePpm, -1);
  const backstop = load<u32>(p, PolicyRecord.backstopPpm), vault = load<u32>(p, PolicyRecord.backstopAccount);
  if (backstop > <u32>PPM) return fail(Status.InvalidPolicy, Field.BackstopPpm, -1);
  if (backstop > 0 && (vault >= accountCount || load<u8>(col(Column.AccFlags) + <usize>vault) != ACCOUNT_ACTIVE)) return fail(Status.InvalidPolicy, Field.BackstopAccountId, -1);
  // Transfers merge into the backstop account's cross book: an isolated position of its own in a
  // market would make a transfer there impossible (one position per account and market), after a
  // cascade had already checked the book. So such an account is refused as the backstop up front.
  if (backstop > 0 && load<u32>(u32At(Column.AccIsoHead, vault)) != NONE) return fail(Status.InvalidPolicy, Field.BackstopAccountId, -1);
  if (!amountOk(load<i64>(p, PolicyRecord.minCloseNotional))) return fail(Status.InvalidPolicy, Field.MinCloseNotionalQuote, -1);
  if (!amountOk(load<i64>(p, PolicyRecord.fractionAbove))) return fail(Status.InvalidPolicy, Field.FractionAboveNotionalQuote, -1);
  if (!amountOk(load<i64>(p, PolicyRecord.maxNotional))) return fail(Status.InvalidPolicy, Field.MaxNotionalPerRoundQuote, -1);
  if (!amountOk(load<i64>(p, PolicyRecord.maxDeficit))) return fail(Status.InvalidPolicy, Field.MaxDeficitPerRoundQuote, -1);
  return Status.Ok;
}

// @ts-ignore: decorator
@inline function amountOk(x: i64): bool { return x >= 0 && x <= AMOUNT_LIMIT; }

/** The backstop account of the active policy (it takes transfers), or NONE when the backstop is off. */
export function policyBackstopAccount(): u32 { return policyU32(PolicyRecord.backstopPpm) > 0 ? policyU32(PolicyRecord.backstopAccount) : NONE; }
