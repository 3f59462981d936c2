/**
 * Fill helpers for the parity tests: random fills both sides define, the model's outcome of a fill
 * (with the engine's isolated margin transfer emulated), and one step of a fill sequence applied to
 * the engine and the model side by side.
 */
import { expect } from 'vitest';
import { RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { accountFigures, applyFill, cashQuote, ceilDiv, cloneBook, floorDiv, type RefBook, type RefPosition } from '../reference/model.js';
import { expectNoDiffs, maxSize, P62, scaleOf, sideIndex, type Rng } from '../support/book.js';

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);

export interface FillSpec { accountId: number; marketId: number; sizeDeltaBase: bigint; priceQuote: bigint; isolated: boolean; isolatedMarginQuote?: bigint }

/**
 * A random fill the engine and the model both define: never size 0, never an isolated fill in a
 * market held cross (or the reverse); increases, partial reduces, closes and flips, at prices within
 * 10 % of the mark; the resulting notional stays below 2^62. With `margin`, some isolated fills move
 * collateral from the cross book.
 */
export function randomFill(rng: Rng, book: RefBook, options: { isolated?: number; margin?: boolean } = {}): FillSpec {
  const accountId = rng.int(0, book.accounts.length - 1);
  const a = book.accounts[accountId]!;
  const held = [...a.positions.map((p) => ({ p, iso: false })), ...a.isolated.map((p) => ({ p, iso: true }))];
  const pickHeld = held.length > 0 && rng.chance(0.6) ? rng.pick(held) : undefined;
  const marketId = pickHeld?.p.marketId ?? rng.int(0, book.markets.length - 1);
  const existing = held.find((h) => h.p.marketId === marketId);
  const isolated = existing ? existing.iso : rng.chance(options.isolated ?? 0.3);
  const m = book.markets[marketId]!;
  const s = existing?.p.sizeBase ?? 0n;
  const limit = maxSize(m);
  const unit = s > 0n ? 1n : -1n;
  const fresh = (): bigint => rng.sign() * clamp(rng.logBig(1n, 10n ** 12n) * scaleOf(m) / m.markPrice, 1n, limit / 4n > 1n << 55n ? 1n << 55n : limit / 4n > 1n ? limit / 4n : 1n);
  let d: bigint;
  const kind = s === 0n ? 'open' : rng.pick(['increase', 'reduce', 'close', 'flip'] as const);
  if (kind === 'close') d = -s;
  else if (kind === 'reduce') d = abs(s) > 1n ? -unit * (1n + rng.bigTo(abs(s) - 2n)) : -s;
  else if (kind === 'flip') d = -s - unit * abs(fresh());
  else d = kind === 'increase' ? unit * abs(fresh()) : fresh();
  // Keep the resulting notional (and the size) inside the supported range.
  const after = clamp(s + d, -limit, limit);
  d = after - s === 0n ? -s || 1n : after - s;
  const priceQuote = clamp(m.markPrice * BigInt(1_000_000 + rng.int(-100_000, 100_000)) / 1_000_000n, 1n, P62);
  const fill: FillSpec = { accountId, marketId, sizeDeltaBase: d, priceQuote, isolated };
  if (isolated && options.margin && rng.chance(0.5)) fill.isolatedMarginQuote = rng.logBig(1n, a.collateralQuote > 1n ? a.collateralQuote : -a.collateralQuote > 1n ? -a.collateralQuote : 1n);
  return fill;
}

/**
 * The model's outcome of a fill, on a copy: the new book, or 'refused' when an isolated margin
 * transfer would leave the cross book below initial margin (engine: BelowInitialMargin). Throws
 * what the model throws (RangeError for input outside the supported range).
 */
export function modelFill(book: RefBook, fill: FillSpec, checkMargin = true): RefBook | 'refused' {
  const next = cloneBook(book);
  const margin = fill.isolatedMarginQuote ?? 0n;
  if (margin !== 0n && checkMargin) {
    next.accounts[fill.accountId]!.collateralQuote -= margin;
    const cross = accountFigures(next, fill.accountId);
    if (cross.equityQuote < cross.imQuote) return 'refused';
    next.accounts[fill.accountId]!.collateralQuote += margin;
  }
  applyFill(next, fill.accountId, fill.marketId, fill.sizeDeltaBase, fill.priceQuote, fill.isolated);
  const iso = next.accounts[fill.accountId]!.isolated.find((p) => p.marketId === fill.marketId);
  if (margin !== 0n && iso) { iso.collateralQuote += margin; next.accounts[fill.accountId]!.collateralQuote -= margin; }
  return next;
}

/**
 * Why the engine may refuse a fill the model applies: an amount of the fill or its result outside
 * the supported range. The spec bounds sizes and amounts by 2^62; the engine also refuses a size
 * delta beyond 2^62, funding owed or a cash flow of 2^62 or more, a margin transfer leaving either
 * collateral beyond 2^62, and a market side whose open interest passes 2^62. Undefined if none.
 */
export function engineMayRefuse(before: RefBook, fill: FillSpec): string | undefined {
  const d = fill.sizeDeltaBase;
  if (abs(d) > P62) return 'size delta beyond 2^62';
  const m = before.markets[fill.marketId]!;
  const a = before.accounts[fill.accountId]!;
  const pos = (fill.isolated ? a.isolated : a.positions).find((p) => p.marketId === fill.marketId);
  const s = pos?.sizeBase ?? 0n;
  const owed = s === 0n ? 0n : ceilDiv(s * (sideIndex(m, s) - pos!.fundingSnapshot), scaleOf(m));
  const cash = (x: bigint): bigint => cashQuote(m, x, fill.priceQuote);
  const flows = s === 0n || (s > 0n) === (d > 0n) ? [cash(d)] : abs(d) <= abs(s) ? [cash(d), floorDiv(pos!.quoteBalance * abs(d), abs(s))] : [cash(-s), cash(d + s)];
  if ([owed, ...flows].some((x) => abs(x) >= P62)) return 'funding owed or a cash flow reaches 2^62';
  if (a.collateralQuote - (fill.isolatedMarginQuote ?? 0n) < -P62) return 'the cross collateral passes -2^62';
  let after: RefBook;
  try { after = modelFill(before, fill, false) as RefBook; } catch { return 'the model refuses it'; }
  const acc = after.accounts[fill.accountId]!;
  const amounts = [acc.collateralQuote, ...acc.positions.map((p) => p.quoteBalance), ...acc.isolated.flatMap((p) => [p.quoteBalance, p.collateralQuote])];
  if (amounts.some((x) => abs(x) > P62)) return 'an amount (quote, collateral) passes 2^62';
  let long = 0n, short = 0n;
  for (const b of after.accounts) for (const p of [...b.positions, ...b.isolated]) if (p.marketId === fill.marketId) { if (p.sizeBase > 0n) long += p.sizeBase; else short -= p.sizeBase; }
  return long > P62 || short > P62 ? 'open interest passes 2^62' : undefined;
}

/**
 * Applies one fill to the engine and to a copy of the model book; both must agree on whether it is
 * accepted. Returns the model book after the fill (the same book if refused).
 */
export function stepFill(engine: RiskEngine, book: RefBook, fill: FillSpec): RefBook {
  const what = JSON.stringify(fill, (_, v) => (typeof v === 'bigint' ? String(v) : v));
  let next: RefBook | 'refused' | undefined;
  let modelError: unknown;
  try { next = modelFill(book, fill); } catch (e) { modelError = e; }
  let engineError: unknown;
  try { engine.applyFill(fill); } catch (e) { engineError = e; }
  const code = (engineError as RiskCoreError | undefined)?.codeName;
  if (modelError !== undefined) {
    // Outside the supported range for the model: the engine must refuse too.
    expect(engineError, `${what}: model threw ${String(modelError)}`).toBeInstanceOf(RiskCoreError);
    return book;
  }
  if (engineError !== undefined && code !== 'BelowInitialMargin') {
    // The engine may refuse a fill with an amount beyond its range (the spec does not cover it).
    expect(engineError, what).toBeInstanceOf(RiskCoreError);
    expect(engineMayRefuse(book, fill), `${what}: engine refused with ${String(engineError)}`).toBeDefined();
    return book;
  }
  if (next === 'refused') {
    expect(code, `${what}: margin transfer below IM`).toBe('BelowInitialMargin');
    return book;
  }
  expect(engineError, what).toBeUndefined();
  return next!;
}

/** The engine's stored book (collateral, positions by market, open interest) equals the model's. */
export function expectStateParity(engine: RiskEngine, book: RefBook): void {
  const diffs: string[] = [];
  const pos = (p: RefPosition & { collateralQuote?: bigint }): string => `${p.sizeBase}/${p.quoteBalance}/${p.fundingSnapshot}/${p.collateralQuote ?? '-'}`;
  const byMarket = (ps: readonly (RefPosition & { collateralQuote?: bigint })[]): string[] => ps.map((p) => `m${p.marketId}:${pos(p)}`).sort();
  book.accounts.forEach((a, id) => {
    const s = engine.account(id);
    if (s.collateralQuote !== a.collateralQuote) diffs.push(`account ${id} collateral: engine ${s.collateralQuote}, model ${a.collateralQuote}`);
    const [ec, mc] = [byMarket(s.positions).join(' '), byMarket(a.positions).join(' ')];
    if (ec !== mc) diffs.push(`account ${id} cross: engine ${ec} | model ${mc}`);
    const [ei, mi] = [byMarket(s.isolated).join(' '), byMarket(a.isolated).join(' ')];
    if (ei !== mi) diffs.push(`account ${id} isolated: engine ${ei} | model ${mi}`);
  });
  book.markets.forEach((_, m) => {
    let long = 0n, short = 0n;
    for (const a of book.accounts) for (const p of [...a.positions, ...a.isolated]) if (p.marketId === m) { if (p.sizeBase > 0n) long += p.sizeBase; else short -= p.sizeBase; }
    const s = engine.market(m);
    if (s.openInterestLongBase !== long || s.openInterestShortBase !== short) diffs.push(`market ${m} OI: engine ${s.openInterestLongBase}/${s.openInterestShortBase}, model ${long}/${short}`);
  });
  expectNoDiffs(diffs, 'state');
}
