/**
 * Bulk append: columns written straight into the engine's memory (zero copy), or copied once from
 * typed arrays the caller owns. Nothing becomes part of the book until the batch is committed,
 * and a batch that fails validation leaves the book as it was.
 */
import { inputError } from './errors.js';
import { Column, type Raw } from './raw.js';

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

/** Caller-owned columns for a one-copy append (same meaning as BulkBatch; optional columns are 0). */
export interface BookColumns {
  accounts: {
    collateralQuote?: BigInt64Array;
    imfFloorPpm?: Uint32Array;
    positionCount: Uint32Array;
  };
  positions: {
    marketId: Uint16Array;
    sizeBase: BigInt64Array;
    quoteBalance?: BigInt64Array;
    fundingSnapshot?: BigInt64Array;
  };
  isolated?: {
    accountId: Uint32Array;
    marketId: Uint16Array;
    sizeBase: BigInt64Array;
    quoteBalance?: BigInt64Array;
    fundingSnapshot?: BigInt64Array;
    collateralQuote?: BigInt64Array;
  };
}

/** Copies caller columns into a staged batch (one copy per column; absent columns become 0). */
export function copyColumns(batch: BulkBatch, columns: BookColumns): void {
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

function fillFrom(target: BigInt64Array | Uint32Array, source: BigInt64Array | Uint32Array | undefined): void {
  if (target instanceof BigInt64Array) {
    if (source) target.set(source as BigInt64Array);
    else target.fill(0n);
  } else if (source) target.set(source as Uint32Array);
  else target.fill(0);
}

/** Writable views over the rows `bulkReserve(nA, nP, nI)` staged, as a batch. */
export function batchViews(raw: Raw, nA: number, nP: number, nI: number): BulkBatch {
  const a0 = raw.exports.accountCount(), p0 = raw.exports.positionTop(), i0 = raw.exports.isolatedTop();
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
  raw.check(raw.exports.bulkReserve(nA, nP, nI));
  const batch = batchViews(raw, nA, nP, nI);
  reservations.set(batch, {
    owner, counts: { accounts: nA, positions: nP, isolated: nI }, firstAccountId: batch.firstAccountId,
    positionTop: raw.exports.positionTop(), isolatedTop: raw.exports.isolatedTop(), bookVersion: raw.exports.bookVersion(), committed: false,
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
  const x = raw.exports;
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
