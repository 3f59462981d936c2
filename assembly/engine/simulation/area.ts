/**
 * The memory of the simulation area (engine/simulate.ts lays its arrays out in it).
 *
 * The area is one region per engine, past everything `init` laid out, and the last thing in memory:
 * nothing else grows memory after `init`. It is laid out once, at the first `simReserve` or
 * `simPrepare`, and reused: a later preparation that fits lays its arrays out again in place, one
 * that does not grows the area by the pages missing. So preparing again never leaves an old area
 * behind, and memory grows at most once for simulations of one size or smaller.
 *
 *   [ ... init's layout | area: [0, used) an earlier layout's bytes | [used, bytes) as fresh (zero) ]
 */

let areaStart: usize = 0, areaBytes: u64 = 0, areaUsed: u64 = 0;

/**
 * Makes the area at least `total` bytes, growing memory only by the pages missing. Returns false,
 * changing nothing, when the area would not fit 4 GiB or memory cannot grow.
 */
export function reserveArea(total: u64): bool {
  if (total <= areaBytes) return true;
  const end = <u64>memory.size() << 16;
  const start: u64 = areaBytes == 0 ? end : <u64>areaStart;
  assert(start + areaBytes == end, 'the simulation area ends memory');
  if (<f64>start + <f64>total > 4294901760.0) return false;
  const pages = <i32>((start + total - end + 0xFFFF) >> 16);
  if (memory.grow(pages) < 0) return false;
  areaStart = <usize>start;
  areaBytes = (<u64>memory.size() << 16) - start;
  return true;
}

/**
 * The start of an area of `total` bytes whose bytes are all zero, as fresh memory is (what an
 * earlier layout left is cleared), or 0 when it cannot be had (see reserveArea).
 */
export function freshArea(total: u64): usize {
  if (!reserveArea(total)) return 0;
  const stale = areaUsed < total ? areaUsed : total;
  if (stale > 0) memory.fill(areaStart, 0, <usize>stale);
  if (total > areaUsed) areaUsed = total;
  return areaStart;
}
