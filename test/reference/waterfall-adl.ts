/**
 * Reference model of the loss waterfall, part 2: auto-deleveraging (docs/WATERFALL.md, "adl"):
 * splitmix64, ranking keys, candidate order, quantiles and the ADL step itself. Part 1,
 * test/reference/waterfall.ts, has the state, the other steps, `split` and `allocate`, and
 * re-exports everything here. The readings of the spec taken are listed at the top of part 1.
 */
import type { AdlCandidate, AdlRanking, AdlRankingFunction, AdlRankingName, Tranche } from '../../src/index.js';
import { applyFill, cashQuote, ceilDiv, floorDiv, RefOverflow, type RefAccount, type RefPosition } from './model.js';
import {
  abs, crossGroup, evaluate, fundingOwedQuote, isolatedGroups, marketOf, scaleOf, sign, TWO_POW_62, type Group, type LiqBook,
} from './liquidation.js';
import type { RefAuditRecord, RefDeficit } from './waterfall.js';

const U64 = (1n << 64n) - 1n;

/** splitmix64 on u64: x += 0x9E3779B97F4A7C15; z = x; z = (z ^ z>>30) * 0xBF58..; z = (z ^ z>>27) * 0x94D0..; z ^ z>>31. */
export function splitmix64(x: bigint): bigint {
  let z = (BigInt.asUintN(64, x) + 0x9E3779B97F4A7C15n) & U64;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & U64;
  return z ^ (z >> 31n);
}

// ---- Solvency ----------------------------------------------------------------------------------

/** A group's equity now, exactly as a check computes it; null when the check would overflow. */
export function equityNow(book: LiqBook, group: Group): bigint | null {
  try {
    return evaluate(book, group).equityQuote;
  } catch (e) {
    if (e instanceof RefOverflow) return null;
    throw e;
  }
}

/** What a group with this equity can pay without going below zero: max(0, E); 0 out of range. */
export const solventRoom = (equityQuote: bigint | null): bigint => (equityQuote === null || equityQuote < 0n ? 0n : equityQuote);

// ---- Candidates --------------------------------------------------------------------------------

/** A position that can be deleveraged: a cross position or an isolated one, held live (mutated by closes). */
export interface AdlSlot {
  accountId: number;
  marketId: number;
  isolated: boolean;
  account: RefAccount;
  position: RefPosition;
  /** Where the position's realized PnL goes: the account (cross) or the isolated entry. */
  wallet: { collateralQuote: bigint };
}

/** The group figures of the last check (run start), per position object. */
export type StartFigures = Map<RefPosition, { equityQuote: bigint; mmQuote: bigint }>;

/** E and M of every group of the book as it is now (the engine checks before a run). */
export function startFigures(book: LiqBook): StartFigures {
  const out: StartFigures = new Map();
  book.accounts.forEach((account, accountId) => {
    if (account.closed) return;
    const f = evaluate(book, crossGroup(book, accountId));
    for (const p of account.positions) out.set(p, { equityQuote: f.equityQuote, mmQuote: f.mmQuote });
  });
  for (const group of isolatedGroups(book)) {
    if (group.account.closed) continue;
    const f = evaluate(book, group);
    for (const p of group.positions()) out.set(p, { equityQuote: f.equityQuote, mmQuote: f.mmQuote });
  }
  return out;
}

/**
 * Every position of `marketId` whose size has sign `side` (+1 long, -1 short), of open accounts, in
 * payer (id) order: account id ascending, the cross position before the account's isolated ones.
 */
export function adlCandidates(book: LiqBook, marketId: number, side: bigint): AdlSlot[] {
  const out: AdlSlot[] = [];
  book.accounts.forEach((account, accountId) => {
    if (account.closed) return;
    for (const position of account.positions) {
      if (position.marketId === marketId && sign(position.sizeBase) === side) {
        out.push({ accountId, marketId, isolated: false, account, position, wallet: account });
      }
    }
    for (const entry of account.isolated) {
      if (entry.marketId === marketId && sign(entry.sizeBase) === side) {
        out.push({ accountId, marketId, isolated: true, account, position: entry, wallet: entry });
      }
    }
  });
  return out;
}

/** Still a candidate: not closed to 0 (a removed position object is no longer in its account's lists). */
export function slotOpen(slot: AdlSlot): boolean {
  const list: readonly RefPosition[] = slot.isolated ? slot.account.isolated : slot.account.positions;
  return list.includes(slot.position) && slot.position.sizeBase !== 0n;
}

/**
 * The ranking inputs of one candidate: v, N, Q now, E and M of the run start, C now. The named
 * rankings read them when the group starts; a ranking function reads them at the run start
 * (`functionKeysAtStart`).
 */
export function candidateInputs(book: LiqBook, slot: AdlSlot, figures: StartFigures): AdlCandidate {
  const market = marketOf(book, slot.marketId);
  const D = scaleOf(market);
  const s = slot.position.sizeBase;
  const m = market.markPrice;
  const f = figures.get(slot.position);
  if (f === undefined) throw new Error('model: a candidate position without run-start figures');
  return {
    accountId: slot.accountId, marketId: slot.marketId, isolated: slot.isolated, sizeBase: s,
    // v = floor(s m / D) + quote - fundingOwed
    unrealizedPnlQuote: floorDiv(s * m, D) + slot.position.quoteBalance - fundingOwedQuote(market, slot.position),
    // N = floor(|s| m / D); Q = |quote|
    notionalQuote: floorDiv(abs(s) * m, D),
    entryValueQuote: abs(slot.position.quoteBalance),
    equityQuote: f.equityQuote, mmQuote: f.mmQuote, collateralQuote: slot.wallet.collateralQuote,
  };
}

/**
 * The f64 key of a ranking, computed with exactly the spec's operations on Number(integer) values, left
 * to right, one division per key. -0 and +0 are one key: a zero key is returned as +0.
 */
export function rankKey(ranking: AdlRankingName | AdlRankingFunction, c: AdlCandidate): number {
  const v = Number(c.unrealizedPnlQuote);
  const N = Number(c.notionalQuote);
  const Q = Number(c.entryValueQuote);
  const E = Number(c.equityQuote);
  const M = Number(c.mmQuote);
  const C = Number(c.collateralQuote);
  let key: number;
  switch (ranking) {
    case 'pnl':
      key = v;
      break;
    case 'bitmex':
      // v > 0 ? (v N) / (max(1, Q) max(1, E)) : (v max(1, E)) / (max(1, Q) max(1, N))
      key = v > 0 ? (v * N) / (Math.max(1, Q) * Math.max(1, E)) : (v * Math.max(1, E)) / (Math.max(1, Q) * Math.max(1, N));
      break;
    case 'binance':
      // E > 0 ? (max(0, v) M) / (max(1, C) E) : 0
      key = E > 0 ? (Math.max(0, v) * M) / (Math.max(1, C) * E) : 0;
      break;
    case 'hyperliquid':
      // long (N N) / (max(1, Q) max(1, E)), short (Q N) / (max(1, N) max(1, E))
      key = c.sizeBase > 0n ? (N * N) / (Math.max(1, Q) * Math.max(1, E)) : (Q * N) / (Math.max(1, N) * Math.max(1, E));
      break;
    default:
      key = ranking(c);
      if (typeof key !== 'number' || !Number.isFinite(key)) throw new RangeError(`ADL ranking function returned ${String(key)}`);
  }
  return key === 0 ? 0 : key;
}

export interface RankedSlot { slot: AdlSlot; key: number }

/** Payer order: account id ascending, cross before isolated (one market: isolated entries in list order). */
const payerCompare = (a: AdlSlot, b: AdlSlot): number => a.accountId - b.accountId || Number(a.isolated) - Number(b.isolated);

/**
 * The order of a group's candidates of (market, side) for a ranking, computed when the group starts:
 * ranked keys descending, ties by account id (then cross first); `randomWalk` and `largest` in account
 * id order (largest picks its topK per record, `largestTopK`). Keys are returned for ranked orders
 * (NaN otherwise). `exclude`: an account left out (the quantile indicator leaves none out). `preset`:
 * a ranking function's keys from the run start (a candidate without one would rank last; none is
 * left without: positions only shrink during a run).
 */
export function adlOrder(book: LiqBook, marketId: number, side: bigint, ranking: AdlRanking | 'randomWalk' | 'largest',
  figures: StartFigures, exclude?: number, preset?: ReadonlyMap<RefPosition, number>): RankedSlot[] {
  const slots = adlCandidates(book, marketId, side).filter((s) => s.accountId !== exclude);
  if (ranking === 'randomWalk' || ranking === 'largest') return slots.map((slot) => ({ slot, key: NaN }));
  // Called once per candidate, in payer order (a function's keys: taken from the run start).
  const ranked = slots.map((slot) => ({
    slot, key: preset ? preset.get(slot.position) ?? -Infinity : rankKey(ranking, candidateInputs(book, slot, figures)),
  }));
  return ranked.sort((a, b) => (a.key !== b.key ? (a.key > b.key ? -1 : 1) : payerCompare(a.slot, b.slot)));
}

/**
 * `largest` for one record: among the group's candidates still live, the bankrupt account left out,
 * the topK by |s| descending (ties: account ascending).
 */
export function largestTopK(candidates: readonly AdlSlot[], topK: number, bankrupt: number): AdlSlot[] {
  const live = candidates.filter((s) => slotOpen(s) && s.accountId !== bankrupt);
  const bySize = [...live].sort((a, b) => {
    const sa = abs(a.position.sizeBase), sb = abs(b.position.sizeBase);
    return sa !== sb ? (sa > sb ? -1 : 1) : payerCompare(a, b);
  });
  return bySize.slice(0, topK);
}

/** Quantile of rank i (0 first) of n: 5 - floor(5 i / n) (5: first in line). */
export function adlQuantile(rank: number, n: number): number {
  if (!Number.isInteger(rank) || !Number.isInteger(n) || rank < 0 || rank >= n) throw new RangeError('adlQuantile: need 0 <= rank < n');
  return 5 - Math.floor((5 * rank) / n);
}

/** The indicator: each candidate of (market, side) in ranked order with its quantile. */
export function adlQuantiles(book: LiqBook, marketId: number, side: bigint, ranking: AdlRanking, figures: StartFigures): { accountId: number; isolated: boolean; quantile: number }[] {
  const order = adlOrder(book, marketId, side, ranking, figures);
  return order.map((r, i) => ({ accountId: r.slot.accountId, isolated: r.slot.isolated, quantile: adlQuantile(i, order.length) }));
}

// ---- The step ----------------------------------------------------------------------------------

export interface AdlStep { ranking: AdlRanking | 'randomWalk' | 'largest'; price: 'bankruptcy' | 'mark'; seed: bigint; topK: number }

/** A ranking function's keys, per step and group (`functionKeyOf`), per candidate position. */
export type FunctionKeys = Map<string, Map<RefPosition, number>>;
export const functionKeyOf = (waterfall: number, step: number, marketId: number, side: bigint): string => `${waterfall}/${step}/${marketId}/${side}`;

/**
 * SPEC (R5): the keys of every ranking function, computed at the run start, before anything moves:
 * for each function-ranked ADL step (waterfalls in order, steps in order) and each (market, side)
 * of its waterfall's records (`route[k]`; records with a market and d_k != 0, in the order of their
 * first record), the function is called once per candidate (payer order) with the inputs as they
 * are then. A throw or a non-finite key refuses the run before anything moved (rankKey throws).
 */
export function functionKeysAtStart(book: LiqBook, figures: StartFigures, waterfalls: readonly (readonly Tranche[])[],
  deficits: readonly RefDeficit[], route: readonly number[]): FunctionKeys {
  const out: FunctionKeys = new Map();
  waterfalls.forEach((steps, w) => steps.forEach((t, j) => {
    if (t.kind !== 'adl' || typeof t.ranking !== 'function') return;
    const fn = t.ranking;
    deficits.forEach((rec, k) => {
      if (route[k] !== w || rec.marketId === null || rec.sizeBase === 0n) return;
      const side = sign(rec.sizeBase);
      const key = functionKeyOf(w, j, rec.marketId, side);
      if (out.has(key)) return;
      const keys = new Map<RefPosition, number>();
      for (const slot of adlCandidates(book, rec.marketId, side)) keys.set(slot.position, rankKey(fn, candidateInputs(book, slot, figures)));
      out.set(key, keys);
    });
  }));
  return out;
}

/** What the ADL step needs from the run. */
export interface AdlRun {
  book: LiqBook;
  figures: StartFigures;
  /** Ranking functions' keys from the run start. */
  functionKeys: FunctionKeys;
  event: number;
  records: RefAuditRecord[];
  /** Balances the closes move (the waterfall state). */
  ledger: { flowQuote: bigint; residueQuote: bigint };
  /** Report totals of the run; accounts: the distinct accounts each ADL step closed, summed over steps. */
  totals: { coveredQuote: bigint; volumeBase: bigint; notionalQuote: bigint; accounts: number; solvencyBound: number };
  /** split() of part 1 (passed in to keep the module graph acyclic at run time). */
  split: (x: bigint, payers: readonly { weight: bigint; cap: bigint }[]) => bigint[];
}

/** Closes c of a candidate at P (a fill, "Fills"); returns the funding settled and the realized PnL. */
function closeCandidate(book: LiqBook, slot: AdlSlot, dj: bigint, P: bigint): { owed: bigint; realized: bigint } {
  const market = marketOf(book, slot.marketId);
  const position = slot.position;
  const list: readonly RefPosition[] = slot.isolated ? slot.account.isolated : slot.account.positions;
  if (list.filter((p) => p.marketId === slot.marketId)[0] !== position) throw new Error('model: fills reach the first position of a market only');
  const s = position.sizeBase;
  if (dj === 0n || sign(dj) === sign(s) || abs(dj) > abs(s)) throw new Error('model: an ADL close must reduce the position');
  const owed = fundingOwedQuote(market, position);
  const quoteClosed = abs(dj) === abs(s) ? position.quoteBalance : floorDiv(position.quoteBalance * abs(dj), abs(s));
  const realized = quoteClosed + cashQuote(market, dj, P);
  applyFill(book, slot.accountId, slot.marketId, dj, P, slot.isolated);
  return { owed, realized };
}

/**
 * The ADL step over the open records `ks` of its waterfall (in record order), `open` their open
 * amounts (lowered here). Records with a market and d_k != 0 are grouped by (market, side), groups
 * in the order of their first record; a group's candidate order is computed when it starts (every
 * live opposite position, the bankrupt's own included); its records are served in record order.
 * Appends cover (and residue) records; moves the book, flows and residue.
 */
export function adlStep(run: AdlRun, step: AdlStep, waterfall: number, stepIndex: number, ks: readonly number[],
  deficits: readonly RefDeficit[], open: bigint[]): void {
  const groups = new Map<string, number[]>();
  for (const k of ks) {
    const rec = deficits[k]!;
    if (rec.marketId === null || rec.sizeBase === 0n) continue;
    const key = `${rec.marketId}/${-sign(rec.sizeBase)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [k]);
    else group.push(k);
  }
  // Accounts this step closed (the report sums the distinct accounts of each ADL step).
  const hit = new Set<number>();
  for (const members of groups.values()) {
    const first = deficits[members[0]!]!;
    // Candidates: sign -sigma, the order fixed when the group starts (a function's keys: the run start's).
    const preset = typeof step.ranking === 'function' ? run.functionKeys.get(functionKeyOf(waterfall, stepIndex, first.marketId!, sign(first.sizeBase))) : undefined;
    const order = adlOrder(run.book, first.marketId!, sign(first.sizeBase), step.ranking, run.figures, undefined, preset).map((x) => x.slot);
    // Candidates whose close a solvency limit lowered leave the group's walk.
    const stopped = new Set<AdlSlot>();
    for (const k of members) open[k]! -= adlRecord(run, step, waterfall, stepIndex, k, deficits[k]!, open[k]!, order, hit, stopped);
  }
  run.totals.accounts += hit.size;
}

/**
 * Serves record k (r = its open amount at the step's start) against its group's candidates `order`;
 * returns what it covered. `hit` collects the accounts the step closed.
 */
function adlRecord(run: AdlRun, step: AdlStep, waterfall: number, stepIndex: number, k: number, rec: RefDeficit, r: bigint,
  order: readonly AdlSlot[], hit: Set<number>, stopped: Set<AdlSlot>): bigint {
  const book = run.book;
  const market = marketOf(book, rec.marketId!);
  const D = scaleOf(market);
  const sigma = -sign(rec.sizeBase); // +1: a long was sold
  const Qb = abs(rec.sizeBase);
  const q = rec.priceQuote;
  const markMode = step.price === 'mark';
  // bankruptcy: dp = ceil(r D / Qb), P = q + sigma dp clamped to 1..2^62; mark: P = m.
  let P: bigint;
  if (markMode) P = market.markPrice;
  else {
    P = q + sigma * ceilDiv(r * D, Qb);
    if (P < 1n) P = 1n;
    if (P > TWO_POW_62) P = TWO_POW_62;
  }
  // a(c) = cash(dj, q) - cash(dj, P), dj = sigma c; 0 in mark mode.
  const a = (c: bigint): bigint => (markMode ? 0n : cashQuote(market, sigma * c, q) - cashQuote(market, sigma * c, P));

  let left = r;
  let covered = 0n;
  /**
   * A close lowered to what keeps the counterparty's group solvent: the largest c' <= c (binary
   * search lo = 0, hi = c; mid = lo + ceil((hi - lo) / 2)) with E + dE(c') >= 0, where
   * dE(c) = cash(dj, P) + floor((s + dj) m / D) - floor(s m / D); a term reaching 2^62 (truncated)
   * fails the test, and a group out of range closes nothing.
   */
  const solvent = (slot: AdlSlot, c: bigint): bigint => {
    const group: Group = slot.isolated
      ? { accountId: slot.accountId, account: slot.account, isolatedId: null, wallet: slot.wallet, positions: () => [slot.position] }
      : crossGroup(book, slot.accountId);
    // A group already below zero (or out of range) is passed over.
    const E = equityNow(book, group);
    if (E === null || E < 0n) return 0n;
    const need = -E;
    const s = slot.position.sizeBase;
    const m = market.markPrice;
    const inRange = (num: bigint, den: bigint): boolean => abs(num / den) < TWO_POW_62;
    if (!inRange(s * m, D)) return 0n;
    const before = floorDiv(s * m, D);
    const ok = (x: bigint): boolean => {
      const dj = sigma * x;
      if (!inRange(-dj * P, D) || !inRange((s + dj) * m, D)) return false;
      return cashQuote(market, dj, P) + floorDiv((s + dj) * m, D) - before >= need;
    };
    if (ok(c)) return c;
    run.totals.solvencyBound += 1;
    let lo = 0n;
    let hi = c;
    while (lo < hi) {
      const mid = lo + (hi - lo + 1n) / 2n;
      if (ok(mid)) lo = mid;
      else hi = mid - 1n;
    }
    return lo;
  };
  const close = (slot: AdlSlot, c: bigint): void => {
    const dj = sigma * c;
    const ac = a(c);
    const cover = ac < left ? ac : left;
    const { owed, realized } = closeCandidate(book, slot, dj, P);
    // The close adds funding - realized at the bankrupt price: owed - (realized + a(c)).
    run.ledger.flowQuote += owed - (realized + ac);
    // Records only for amounts > 0 (a close at the mark moves no money); residue carries no trade.
    if (cover > 0n) run.records.push({ deficit: k, waterfall, step: stepIndex, role: 'cover', accountId: slot.accountId, marketId: rec.marketId, amountQuote: cover, priceQuote: P, sizeBase: dj });
    if (ac > cover) {
      run.ledger.residueQuote += ac - cover;
      run.records.push({ deficit: k, waterfall, step: stepIndex, role: 'residue', accountId: slot.accountId, marketId: rec.marketId, amountQuote: ac - cover, priceQuote: 0n, sizeBase: 0n });
    }
    left -= cover;
    covered += cover;
    run.totals.volumeBase += c;
    // ADL notional at the mark: floor(c m / D).
    run.totals.notionalQuote += floorDiv(c * market.markPrice, D);
    hit.add(slot.accountId);
  };

  if (step.ranking === 'largest') {
    // The topK (live, not the bankrupt's) share min(Qb, sum |s|) by split(weights |s|, caps |s|);
    // split and closes in the topK order; closing stops once r = 0.
    const top = largestTopK(order.filter((x) => !stopped.has(x)), step.topK, rec.accountId);
    const total = top.reduce((acc, s) => acc + abs(s.position.sizeBase), 0n);
    const size = Qb < total ? Qb : total;
    const shares = run.split(size, top.map((s) => ({ weight: abs(s.position.sizeBase), cap: abs(s.position.sizeBase) })));
    top.forEach((slot, i) => {
      if (!markMode && left === 0n) return;
      if (shares[i]! <= 0n) return;
      const c = solvent(slot, shares[i]!);
      if (c < shares[i]!) stopped.add(slot);
      if (c > 0n) close(slot, c);
    });
  } else {
    // randomWalk: start = splitmix64(seed + event * 2^32 + k) mod n, n the group's list length; cyclic.
    const n = order.length;
    const start = step.ranking === 'randomWalk' && n > 0
      ? Number(splitmix64(step.seed + BigInt(run.event) * (1n << 32n) + BigInt(k)) % BigInt(n)) : 0;
    let Qleft = Qb;
    for (let t = 0; t < n; t++) {
      if (Qleft === 0n || (!markMode && left === 0n)) break;
      const slot = order[(start + t) % n]!;
      // Skipped: the bankrupt's own position, positions closed since the group started, and
      // counterparties a solvency limit stopped earlier in the group.
      if (slot.accountId === rec.accountId || !slotOpen(slot) || stopped.has(slot)) continue;
      let c = abs(slot.position.sizeBase) < Qleft ? abs(slot.position.sizeBase) : Qleft;
      if (a(c) > left) {
        // Lowered to the smallest c with a(c) >= r: binary search lo = 1, hi = c (a(hi) >= r holds throughout).
        let lo = 1n;
        let hi = c;
        while (lo < hi) {
          const mid = (lo + hi) / 2n;
          if (a(mid) >= left) hi = mid;
          else lo = mid + 1n;
        }
        c = lo;
      }
      const cs = solvent(slot, c);
      if (cs < c) stopped.add(slot);
      if (cs === 0n) continue;
      close(slot, cs);
      Qleft -= cs;
    }
  }
  run.totals.coveredQuote += covered;
  return covered;
}
