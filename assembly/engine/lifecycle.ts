/** Instance set-up: capacities, layout, and the ABI version JavaScript checks. */
import { layOut, MAX_MARKETS } from '../abi/layout';
import { Field, Status } from '../abi/status';
import { clearError, fail, initialized, setInitialized } from './state';
import { initFunds } from './funds';

/** Bumped whenever an export, a column or a record layout changes meaning. */
export const ABI_VERSION: u32 = 8;

/**
 * Lays out memory for the given capacities (once per instance).
 * Returns an error if already initialized, markets exceed 65,535, or the layout does not fit
 * 4 GiB (CapacityExceeded).
 */
export function init(accounts: u32, positions: u32, isolated: u32, markets: u32): i32 {
  clearError();
  if (initialized) return fail(Status.NotInitialized, Field.Capacity, -1);
  if (markets > MAX_MARKETS || markets == 0) return fail(Status.TooManyMarkets, Field.MarketId, -1);
  // Far beyond what 4 GiB holds, and keeps every column length (capacity + scratch) inside u32.
  if (accounts > 1 << 30 || positions > 1 << 30 || isolated > 1 << 30) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  if (!layOut(accounts, positions, isolated, markets)) return fail(Status.CapacityExceeded, Field.Capacity, -1);
  initFunds();
  setInitialized();
  return Status.Ok;
}
