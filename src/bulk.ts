/**
 * Bulk append: columns written straight into the engine's memory (zero copy), or copied once from
 * typed arrays the caller owns. Nothing becomes part of the book until the batch is committed,
 * and a batch that fails validation leaves the book as it was.
 */
import { EngineError, inputError, StatusCode } from './errors.js';
import { Column } from './abi/columns.js';
import type { Raw } from './abi/raw.js';

/** Sizes of one bulk append. */
export interface BulkCounts {
  accounts: number;
  positions: number;
  isolated?: number;
}

/**
 * Writable views over the engine's memory for one staged append. Accounts get consecutive ids from
 * `firstAccountId`; positions are listed account by account (account k owns the next
 * `positionCount[k]` rows); isolated rows name an account of this batch by absolute id.
 *
 * @remarks zero-copy: valid until the batch is committed or another engine call is made.
 */
export interface BulkBatch {
  readonly firstAccountId: number;
  readonly counts: Required<BulkCounts>;
  readonly accounts: {
    collateralQuote: BigInt64Array;
    imfFloorPpm: Uint32Array;
    positionCount: Uint32Array;
  };
  readonly positions: {
    marketId: Uint16Array;
    sizeBase: BigInt64Array;
    quoteBalance: BigInt64Array;
    fundingSnapshot: BigInt64Array;
  };
  readonly isolated: {
    accountId: Uint32Array;
    marketId: Uint16Array;
    sizeBase: BigInt64Array;
    quoteBalance: BigInt64Array;
    fundingSnapshot: BigInt64Array;
    collateralQuote: BigInt64Array;
  };
}

/** A caller's column: the typed array of its kind, or a plain array of values that fit it. */
export type U16Column = Uint16Array | readonly number[];
export type U32Column = Uint32Array | readonly number[];
export type I64Column = BigInt64Array | readonly bigint[];

/**
 * Caller-owned columns for a one-copy append (same meaning as BulkBatch; optional columns are 0).
 * `appendColumns` takes each column as its typed array kind exactly, or as a plain array whose every
 * value fits that kind (integers in 0..65,535 for Uint16, 0..2^32-1 for Uint32, bigints in the int64
 * range for BigInt64): `BookColumns<U16Column, U32Column, I64Column>`. Plain `BookColumns` are typed arrays.
 */
export interface BookColumns<U16 = Uint16Array, U32 = Uint32Array, I64 = BigInt64Array> {
  accounts: {
    collateralQuote?: I64;
    imfFloorPpm?: U32;
    positionCount: U32;
  };
  positions: {
    marketId: U16;
    sizeBase: I64;
    quoteBalance?: I64;
    fundingSnapshot?: I64;
  };
  isolated?: {
    accountId: U32;
    marketId: U16;
    sizeBase: I64;
    quoteBalance?: I64;
    fundingSnapshot?: I64;
    collateralQuote?: I64;
  };
}

/** What `appendColumns` accepts: every column a typed array of its kind or a plain array of values that fit it. */
export type BookColumnsInput = BookColumns<U16Column, U32Column, I64Column>;

/** BookColumns after checkColumns: every column of its exact kind and its part's length, or null (zeros). */
export interface CheckedColumns {
  counts: Required<BulkCounts>;
  accounts: { collateralQuote: BigInt64Array | null; imfFloorPpm: Uint32Array | null; positionCount: Uint32Array };
  positions: { marketId: Uint16Array; sizeBase: BigInt64Array; quoteBalance: BigInt64Array | null; fundingSnapshot: BigInt64Array | null };
  isolated: {
    accountId: Uint32Array; marketId: Uint16Array; sizeBase: BigInt64Array;
    quoteBalance: BigInt64Array | null; fundingSnapshot: BigInt64Array | null; collateralQuote: BigInt64Array | null;
  } | null;
}

type Kind = 'Uint16Array' | 'Uint32Array' | 'BigInt64Array';
type Typed<K extends Kind> = K extends 'Uint16Array' ? Uint16Array : K extends 'Uint32Array' ? Uint32Array : BigInt64Array;

/** Element ranges of the column kinds, for the values of plain arrays. */
const MAX_U16 = 0xffff, MAX_U32 = 0xffffffff, MIN_I64 = -(2n ** 63n), MAX_I64 = 2n ** 63n - 1n;

// The %TypedArray% accessors read a typed array's internal slots: a plain object cannot pose as a
// typed array (Symbol.toStringTag), nor a subclass report another length than the one `set` copies.
const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayName = Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, Symbol.toStringTag)!.get!;
const typedArrayLength = Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, 'length')!.get!;

/**
 * One column checked: the caller's typed array if it is of `kind` exactly, else a copy of a plain
 * array whose every value fits `kind` (each value read once). `rows` is the part's row count, or
 * undefined for the column that defines it. Absent optional columns are null.
 */
function column<K extends Kind>(value: unknown, kind: K, field: string, rows: number | undefined, limit: number, optional: boolean): Typed<K> | null {
  if (value === undefined && optional) return null;
  const expected = kind === 'BigInt64Array' ? 'bigints in the int64 range' : `integers in 0..${kind === 'Uint16Array' ? MAX_U16 : MAX_U32}`;
  let out: Typed<K>;
  if (typedArrayName.call(value) === kind) {
    out = value as Typed<K>;
    check(typedArrayLength.call(out) as number);
  } else if (Array.isArray(value)) {
    const n = value.length;
    check(n);
    out = (kind === 'Uint16Array' ? new Uint16Array(n) : kind === 'Uint32Array' ? new Uint32Array(n) : new BigInt64Array(n)) as Typed<K>;
    for (let i = 0; i < n; i++) {
      const v: unknown = value[i];
      if (kind === 'BigInt64Array') {
        if (typeof v !== 'bigint') throw inputError('InvalidNumber', field, i, `${describe(v)} is not a bigint`);
        if (v < MIN_I64 || v > MAX_I64) throw inputError('OutOfRange', field, i, `${v} does not fit 64 bits`);
      } else {
        if (typeof v !== 'number' || !Number.isInteger(v)) throw inputError('InvalidNumber', field, i, `${describe(v)} is not an integer`);
        const max = kind === 'Uint16Array' ? MAX_U16 : MAX_U32;
        if (v < 0 || v > max) throw inputError('OutOfRange', field, i, `${v} is not in 0..${max}`);
      }
      (out as { [i: number]: unknown })[i] = v;
    }
  } else {
    throw inputError('InvalidNumber', field, -1, `expected a ${kind} or an array of ${expected}, got ${describe(value)}`);
  }
  return out;

  function check(n: number): void {
    // Rows beyond the engine's capacity are refused before a plain array is copied (the core
    // checks the room actually left when the rows are reserved).
    if (rows === undefined && n > limit) throw new EngineError(StatusCode.CapacityExceeded, field, -1, `${n} rows, capacity ${limit}`);
    if (rows !== undefined && n !== rows) throw inputError('CountMismatch', field, -1, `column has ${n} rows, expected ${rows}`);
  }
}

/** A checked column's row count, from its internal slot. */
function rowsOf(x: Uint16Array | Uint32Array | BigInt64Array): number { return typedArrayLength.call(x) as number; }

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? `the string "${v}"` : String(v);
}

function part(value: unknown, field: string, optional: boolean): Record<string, unknown> | null {
  if (value === undefined && optional) return null;
  if (typeof value !== 'object' || value === null) throw inputError('InvalidNumber', field, -1, `expected an object of columns, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/**
 * Checks a caller's columns before anything is staged: the parts are objects, every column is its
 * kind (or a plain array of values that fit it) with its part's row count (accounts: positionCount's;
 * positions: marketId's; isolated: accountId's). Refusals are InputErrors naming the column (and the
 * row of a value); rows beyond `limits` (the engine's capacity) are CapacityExceeded. What the core
 * checks at commit (markets, counts adding up, ranges of amounts, duplicates) is left to it.
 */
export function checkColumns(columns: unknown, limits: Required<BulkCounts>): CheckedColumns {
  const all = part(columns, 'columns', false)!;
  const a = part(all.accounts, 'accounts', false)!, p = part(all.positions, 'positions', false)!, i = part(all.isolated, 'isolated', true);
  const positionCount = column(a.positionCount, 'Uint32Array', 'positionCount', undefined, limits.accounts, false)!;
  const nA = rowsOf(positionCount);
  const marketId = column(p.marketId, 'Uint16Array', 'marketId', undefined, limits.positions, false)!;
  const nP = rowsOf(marketId);
  const accounts = {
    collateralQuote: column(a.collateralQuote, 'BigInt64Array', 'collateralQuote', nA, 0, true),
    imfFloorPpm: column(a.imfFloorPpm, 'Uint32Array', 'imfFloorPpm', nA, 0, true),
    positionCount,
  };
  const positions = {
    marketId,
    sizeBase: column(p.sizeBase, 'BigInt64Array', 'sizeBase', nP, 0, false)!,
    quoteBalance: column(p.quoteBalance, 'BigInt64Array', 'quoteBalance', nP, 0, true),
    fundingSnapshot: column(p.fundingSnapshot, 'BigInt64Array', 'fundingSnapshot', nP, 0, true),
  };
  let isolated: CheckedColumns['isolated'] = null;
  if (i) {
    const accountId = column(i.accountId, 'Uint32Array', 'accountId', undefined, limits.isolated, false)!;
    const nI = rowsOf(accountId);
    isolated = {
      accountId,
      marketId: column(i.marketId, 'Uint16Array', 'marketId', nI, 0, false)!,
      sizeBase: column(i.sizeBase, 'BigInt64Array', 'sizeBase', nI, 0, false)!,
      quoteBalance: column(i.quoteBalance, 'BigInt64Array', 'quoteBalance', nI, 0, true),
      fundingSnapshot: column(i.fundingSnapshot, 'BigInt64Array', 'fundingSnapshot', nI, 0, true),
      collateralQuote: column(i.collateralQuote, 'BigInt64Array', 'collateralQuote', nI, 0, true),
    };
  }
  return { counts: { accounts: nA, positions: nP, isolated: isolated ? rowsOf(isolated.accountId) : 0 }, accounts, positions, isolated };
}

/** Copies checked columns into a staged batch of their counts (one copy per column; absent columns become 0). */
export function copyColumns(batch: BulkBatch, columns: CheckedColumns): void {
  const { accounts, positions, isolated } = batch;
  accounts.positionCount.set(columns.accounts.positionCount);
  fillFrom(accounts.collateralQuote, columns.accounts.collateralQuote);
  fillFrom(accounts.imfFloorPpm, columns.accounts.imfFloorPpm);
  positions.marketId.set(columns.positions.marketId);
  positions.sizeBase.set(columns.positions.sizeBase);
  fillFrom(positions.quoteBalance, columns.positions.quoteBalance);
  fillFrom(positions.fundingSnapshot, columns.positions.fundingSnapshot);
  const iso = columns.isolated;
  if (iso) {
    isolated.accountId.set(iso.accountId);
    isolated.marketId.set(iso.marketId);
    isolated.sizeBase.set(iso.sizeBase);
    fillFrom(isolated.quoteBalance, iso.quoteBalance);
    fillFrom(isolated.fundingSnapshot, iso.fundingSnapshot);
    fillFrom(isolated.collateralQuote, iso.collateralQuote);
  }
}

function fillFrom(target: BigInt64Array | Uint32Array, source: BigInt64Array | Uint32Array | null): void {
  if (target instanceof BigInt64Array) {
    if (source) target.set(source as BigInt64Array);
    else target.fill(0n);
  } else if (source) target.set(source as Uint32Array);
  else target.fill(0);
}

/** Writable views over the rows `bulkReserve(nA, nP, nI)` staged, as a batch. */
export function batchViews(raw: Raw, nA: number, nP: number, nI: number): BulkBatch {
  const a0 = raw.accountCount(), p0 = raw.positionTop(), i0 = raw.isolatedTop();
  return {
    firstAccountId: a0,
    counts: { accounts: nA, positions: nP, isolated: nI },
    accounts: {
      collateralQuote: raw.view(BigInt64Array, Column.AccCollateral, a0, nA),
      imfFloorPpm: raw.view(Uint32Array, Column.AccFloorPpm, a0, nA),
      positionCount: raw.view(Uint32Array, Column.AccPosLen, a0, nA),
    },
    positions: {
      marketId: raw.view(Uint16Array, Column.PosMarket, p0, nP),
      sizeBase: raw.view(BigInt64Array, Column.PosSize, p0, nP),
      quoteBalance: raw.view(BigInt64Array, Column.PosQuote, p0, nP),
      fundingSnapshot: raw.view(BigInt64Array, Column.PosSnap, p0, nP),
    },
    isolated: {
      accountId: raw.view(Uint32Array, Column.IsoAccount, i0, nI),
      marketId: raw.view(Uint16Array, Column.IsoMarket, i0, nI),
      sizeBase: raw.view(BigInt64Array, Column.IsoSize, i0, nI),
      quoteBalance: raw.view(BigInt64Array, Column.IsoQuote, i0, nI),
      fundingSnapshot: raw.view(BigInt64Array, Column.IsoSnap, i0, nI),
      collateralQuote: raw.view(BigInt64Array, Column.IsoCollateral, i0, nI),
    },
  };
}

// ---- Reservations ---------------------------------------------------------------------------------

/**
 * The reservation a batch from `reserve()` belongs to: its engine, its counts, where its rows start
 * and the book's change counter (bookVersion counts every call that changed the book) then.
 */
export interface Reservation {
  owner: object;
  counts: Required<BulkCounts>;
  firstAccountId: number;
  positionTop: number;
  isolatedTop: number;
  bookVersion: number;
  committed: boolean;
}
const reservations = new WeakMap<object, Reservation>();

/** Reserves rows in the core for `owner` (the engine) and returns the batch over them, recorded as its reservation. */
export function reserveBatch(raw: Raw, owner: object, nA: number, nP: number, nI: number): BulkBatch {
  raw.bulkReserve(nA, nP, nI);
  const batch = batchViews(raw, nA, nP, nI);
  reservations.set(batch, {
    owner, counts: { accounts: nA, positions: nP, isolated: nI }, firstAccountId: batch.firstAccountId,
    positionTop: raw.positionTop(), isolatedTop: raw.isolatedTop(), bookVersion: raw.bookVersion(), committed: false,
  });
  return batch;
}

/**
 * The reservation `batch` may be committed under, or an InputError (CountMismatch, field `batch`):
 * the batch must come from `owner`'s reserve(), be `owner`'s latest one (`latest`), not be committed
 * yet, carry the counts reserved, and the book must not have changed since (so the staged rows are
 * the ones the caller wrote through this batch, not another batch's or call's).
 */
export function claimBatch(raw: Raw, owner: object, batch: BulkBatch, latest: BulkBatch | null): Reservation {
  const r = typeof batch === 'object' && batch !== null ? reservations.get(batch) : undefined;
  const refuse = (why: string) => inputError('CountMismatch', 'batch', -1, `${why}; reserve again`);
  if (!r) throw refuse('not a batch from reserve()');
  if (r.owner !== owner) throw refuse('the batch was reserved on another engine');
  if (r.committed) throw refuse('the batch was committed already');
  if (latest !== batch) throw refuse('a newer reserve() (or appendColumns, addAccounts) took its staging rows over');
  const x = raw;
  if (x.bookVersion() !== r.bookVersion || x.accountCount() !== r.firstAccountId || x.positionTop() !== r.positionTop || x.isolatedTop() !== r.isolatedTop) {
    throw refuse('the book changed since reserve()');
  }
  const c = batch.counts as Partial<BulkCounts> | undefined;
  if (c?.accounts !== r.counts.accounts || c.positions !== r.counts.positions || c.isolated !== r.counts.isolated) {
    throw refuse('the batch\'s counts are not the ones reserved');
  }
  return r;
}

/** Marks a batch committed: it is never committed again. */
export function spendBatch(batch: BulkBatch): void {
  reservations.get(batch)!.committed = true;
}
