/**
 * Reference model of "What a winner may withdraw" (docs/ECONOMICS.md), in BigInt, written from the
 * spec: the realizable rules, the transfer floor, the withdrawable amount and what bound it, settling
 * PnL against the markets' pools, and the withdrawal rule. Book-wide terms are recomputed from the
 * whole book at every step (the slow, obvious way); the margin figures come from the margin model.
 */
import { accountFigures, ceilDiv, floorDiv, positionFigures, RefOverflow, type RefBook, type RefMarket, type RefPosition } from './model.js';

export type Rule = 'all' | 'none' | 'pnlPool' | 'residualRatio';
export type Limit = 'equity' | 'initialMargin' | 'transferFloor' | 'realizable';

/** The economics state the rules read: per market the PnL pool and the fee pool, the rules. */
export interface RefEcon { pnlPool: bigint[]; feePool: bigint[]; rule: Rule; floorPpm: number }

export interface RefWithdrawable {
  amountQuote: bigint; equityQuote: bigint; requirementQuote: bigint; realizableQuote: bigint; positivePnlQuote: bigint; limit: Limit;
}

/** The book's positive PnL passed 2^62 under the residual-ratio rule (the engine: Overflow naming realizableRule). */
export class RefRuleOverflow extends Error {}
/** A settle would take collateral or a pool out of range (the engine: Overflow). */
export class RefSettleOverflow extends Error {}

const PPM = 1_000_000n;
const P62 = 1n << 62n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const scale = (m: RefMarket): bigint => 10n ** BigInt(m.baseDecimals);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** pnl = floor(s m / D) + quote - ceil(s (I - snapshot) / D); RefOverflow naming the account when out of range. */
export function pnlOf(book: RefBook, p: RefPosition, accountId: number): bigint {
  const market = book.markets[p.marketId]!;
  const f = positionFigures(market, 0n, p.sizeBase, p.quoteBalance, p.fundingSnapshot, 0);
  const v = f.valueQuote - f.fundingOwedQuote;
  if (f.notionalFloorQuote >= P62 || f.fundingOwedQuote < I64_MIN || f.fundingOwedQuote > I64_MAX || v <= I64_MIN || v > I64_MAX) {
    throw new RefOverflow(accountId, 'pnl');
  }
  return v;
}

/** A pool as the rules read it: never below 0. */
const poolOf = (econ: RefEcon, m: number): bigint => max(econ.pnlPool[m]!, 0n);

/** excess_m = max(0, avail_m - max(net_m, 0)), avail_m = pool_m + floor(max(feePool_m, 0) / 5), net over every position in m. */
export function excessOf(book: RefBook, econ: RefEcon, m: number): bigint {
  let net = 0n;
  book.accounts.forEach((a, id) => {
    if (a.closed) return;
    for (const p of [...a.positions, ...a.isolated]) if (p.marketId === m) net += pnlOf(book, p, id);
  });
  const avail = poolOf(econ, m) + floorDiv(max(econ.feePool[m]!, 0n), 5n);
  return max(0n, avail - max(net, 0n));
}

/** Residual ratio: posTot and h = max(0, min(residual, posTot)). */
export function residualTerms(book: RefBook, econ: RefEcon): { posTot: bigint; h: bigint } {
  let posTot = 0n, residual = 0n;
  book.accounts.forEach((a, id) => {
    if (a.closed) return;
    let u = 0n;
    for (const p of a.positions) u += pnlOf(book, p, id);
    posTot += max(u, 0n);
    residual += min(max(-u, 0n), max(a.collateralQuote, 0n));
  });
  econ.pnlPool.forEach((_, m) => { residual += poolOf(econ, m); });
  if (posTot > P62) throw new RefRuleOverflow('positive PnL of the book passes 2^62');
  return { posTot, h: max(0n, min(residual, posTot)) };
}

const ratio = (x: bigint, t: { posTot: bigint; h: bigint }): bigint => (t.posTot === 0n ? x : floorDiv(x * t.h, t.posTot));

/** Account a's withdrawable amount (an open account). */
export function withdrawable(book: RefBook, econ: RefEcon, accountId: number): RefWithdrawable {
  // Book-wide terms first (the engine sums them before it evaluates the account).
  const residual = econ.rule === 'residualRatio' ? residualTerms(book, econ) : undefined;
  const excess = new Map<number, bigint>();
  if (econ.rule === 'pnlPool') book.markets.forEach((_, m) => excess.set(m, excessOf(book, econ, m)));
  const account = book.accounts[accountId]!;
  const fig = accountFigures(book, accountId);
  const E = fig.equityQuote, IM = fig.imQuote, C = account.collateralQuote;
  let pos = 0n, neg = 0n, pooled = 0n, N = 0n;
  for (const p of account.positions) {
    const pnl = pnlOf(book, p, accountId);
    if (pnl > 0n) {
      pos += pnl;
      if (econ.rule === 'pnlPool') pooled += min(pnl, min(excess.get(p.marketId)!, poolOf(econ, p.marketId)));
    } else neg += pnl;
    const m = book.markets[p.marketId]!;
    N += ceilDiv(abs(p.sizeBase) * m.markPrice, scale(m));
  }
  if (pos > I64_MAX || neg < I64_MIN || N > I64_MAX) throw new RefOverflow(accountId, 'U+, U- or N');
  const R = econ.rule === 'all' ? pos : econ.rule === 'none' ? 0n : econ.rule === 'pnlPool' ? pooled : ratio(pos, residual!);
  const floorTerm = econ.floorPpm === 0 ? 0n : ceilDiv(N * BigInt(econ.floorPpm), PPM);
  const Q = max(IM, floorTerm);
  const W = max(0n, C + neg + R - Q);
  let limit: Limit;
  if (R < pos && W < max(0n, E - Q)) limit = 'realizable';
  else if (floorTerm > IM) limit = 'transferFloor';
  else if (IM > 0n) limit = 'initialMargin';
  else limit = 'equity';
  return { amountQuote: W, equityQuote: E, requirementQuote: Q, realizableQuote: R, positivePnlQuote: pos, limit };
}

/** p = floor(s m / D) + quote. */
const valueOf = (book: RefBook, p: RefPosition): bigint => {
  const m = book.markets[p.marketId]!;
  return floorDiv(p.sizeBase * m.markPrice, scale(m)) + p.quoteBalance;
};

/**
 * Settles account a's cross position in `marketId`, or every cross position (p <= 0 first, then
 * p > 0, each in market-id order). Mutates book and econ; returns the amount settled (+ paid to the
 * account) and the funding settled. Check-time overflow of any book term throws first; a settle that
 * would leave range throws RefSettleOverflow (the caller works on a copy).
 */
export function settle(book: RefBook, econ: RefEcon, accountId: number, marketId?: number): { settled: bigint; funding: bigint } {
  const account = book.accounts[accountId]!;
  // The engine computes every book term before it moves anything: overflow there comes first.
  if (econ.rule === 'pnlPool') book.markets.forEach((_, m) => excessOf(book, econ, m));
  if (econ.rule === 'residualRatio') {
    book.accounts.forEach((a, id) => { if (!a.closed) for (const p of a.positions) pnlOf(book, p, id); });
  }
  let order: RefPosition[];
  if (marketId !== undefined) order = [account.positions.find((p) => p.marketId === marketId)!];
  else {
    const sorted = [...account.positions].sort((x, y) => x.marketId - y.marketId);
    const p0 = new Map(sorted.map((p) => [p, valueOf(book, p)]));
    order = [...sorted.filter((p) => p0.get(p)! <= 0n), ...sorted.filter((p) => p0.get(p)! > 0n)];
  }
  let settled = 0n, funding = 0n;
  for (const p of order) {
    const market = book.markets[p.marketId]!;
    // Funding into collateral, as a fill settles it.
    if (p.sizeBase !== 0n) {
      const index = p.sizeBase >= 0n ? market.fundingIndexLong : market.fundingIndexShort;
      const owed = ceilDiv(p.sizeBase * (index - p.fundingSnapshot), scale(market));
      if (abs(owed) >= P62) throw new RefSettleOverflow('funding');
      const c = account.collateralQuote - owed;
      if (abs(c) > P62) throw new RefSettleOverflow('collateral');
      account.collateralQuote = c;
      p.fundingSnapshot = index;
      funding += owed;
    }
    const v = valueOf(book, p);
    const m = p.marketId;
    if (v > 0n) {
      let part = v;
      if (econ.rule === 'none') part = 0n;
      else if (econ.rule === 'pnlPool') part = min(v, excessOf(book, econ, m));
      else if (econ.rule === 'residualRatio') part = ratio(v, residualTerms(book, econ));
      const pay = min(part, poolOf(econ, m));
      if (pay > 0n) {
        if (account.collateralQuote + pay > P62) throw new RefSettleOverflow('collateral');
        account.collateralQuote += pay; p.quoteBalance -= pay; econ.pnlPool[m] = econ.pnlPool[m]! - pay; settled += pay;
      }
    } else if (v < 0n) {
      const pay = min(-v, max(account.collateralQuote, 0n));
      if (pay > 0n) {
        if (econ.pnlPool[m]! + pay > P62) throw new RefSettleOverflow('pool');
        account.collateralQuote -= pay; p.quoteBalance += pay; econ.pnlPool[m] = econ.pnlPool[m]! + pay; settled -= pay;
      }
    }
  }
  return { settled, funding };
}

/** The refusal a withdrawal of `amount` meets, or null (then `withdraw` applies it). */
export function withdrawRefusal(book: RefBook, econ: RefEcon, accountId: number, amount: bigint): 'BelowInitialMargin' | 'AboveWithdrawable' | null {
  const w = withdrawable(book, econ, accountId);
  if (amount > w.amountQuote) return w.limit === 'initialMargin' || w.limit === 'equity' ? 'BelowInitialMargin' : 'AboveWithdrawable';
  if (amount > book.accounts[accountId]!.collateralQuote) {
    const copy = structuredClone({ book, econ });
    settle(copy.book, copy.econ, accountId);
    if (copy.book.accounts[accountId]!.collateralQuote < amount) return 'AboveWithdrawable';
  }
  return null;
}

/** Applies an allowed withdrawal: settles first when the amount passes the collateral. */
export function withdraw(book: RefBook, econ: RefEcon, accountId: number, amount: bigint): void {
  if (amount > book.accounts[accountId]!.collateralQuote) settle(book, econ, accountId);
  book.accounts[accountId]!.collateralQuote -= amount;
}
