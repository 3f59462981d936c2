/**
 * Bulk append: columns written straight into the engine's memory (zero copy), or copied once from
 * typed arrays the caller owns. Nothing becomes part of the book until the batch is committed,
 * and a batch that fails validation leaves the book as it was.
 */
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
