/**
 * Parity of liquidation and bankruptcy prices (docs/FORMULAS.md, "Prices, per position") with the
 * reference model (test/reference/liquidation.ts) on extreme-value books, on the debug and the
 * release core: marks of 1, 2^31, 10^12 and near 2^62; sizes up to the notional limit (near 2^62 at
 * a mark of 1 with D = 1); baseDecimals 0, 12 and between; collateral and quote balances at +-2^62
 * and +-(2^62 - k); funding snapshots up to 2^61 away from the index; flat curves from 1 ppm to
 * 100 %, tiers with floors near 2^62, size premium and open interest. So A0 and T often leave i64
 * (computed in 128 bits) and some groups' figures leave i64 themselves (PRICE_UNDEFINED in every row
 * of the group, on both sides). Prices are compared per account (positionPrices) and over the
 * book-wide scan (positionPricesView, chunk by chunk), with groups summed afresh and, when the whole
 * book checks, from the check's results.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { checkBook, groupOverflows, type RefAccount, type RefBook, type RefCurve, type RefMarket, type RefTier } from '../reference/model.js';
import { crossGroup, equityShareQuote, evaluate, isolatedGroups, positionPrices, PRICE_UNDEFINED, type Group, type LiqBook } from '../reference/liquidation.js';
import { expectNoDiffs, loadIntoEngine, maxSize, P61, P62, Rng, scaleOf } from '../support/book.js';
import { createEngine } from '../support/engine.js';

const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;
const inI64 = (x: bigint): boolean => x >= I64_MIN && x <= I64_MAX;
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);
const PPM = 1_000_000;

/** An amount at the edge, with a random sign: 2^62, 2^62 - k, a large random one, or a small k. */
function edge(rng: Rng, limit = P62): bigint {
  const sign = rng.sign();
  switch (rng.int(0, 4)) {
    case 0: return sign * limit;
    case 1: return sign * (limit - BigInt(rng.int(1, 1_000)));
    case 2: return sign * rng.logBig(1n, limit);
    case 3: return sign * (limit - rng.bigTo(limit / 4n));
    default: return sign * BigInt(rng.int(0, 1_000));
  }
}

/** Tiers from 0 with floors (multiples of 10^6: integral deductions) spread up to 2^62. */
function edgeTiers(rng: Rng): RefTier[] {
  let mmf = rng.pick([1, rng.int(1, 50_000)]);
  const out: RefTier[] = [{ notionalFloorQuote: 0n, imfPpm: Math.min(PPM, mmf + rng.int(0, 50_000)), mmfPpm: mmf }];
  let floor = 0n;
  for (let j = 1, n = rng.int(1, 5); j < n; j++) {
    floor += (rng.logBig(1n, P62 / 4n) / 1_000_000n + 1n) * 1_000_000n;
    if (floor >= P62) break;
    mmf = Math.min(PPM, mmf + rng.int(0, 300_000));
    out.push({ notionalFloorQuote: floor, imfPpm: Math.min(PPM, mmf + rng.int(0, 100_000)), mmfPpm: mmf });
  }
  return out;
}

function edgeCurve(rng: Rng): RefCurve {
  const mmfPpm = rng.pick([1, PPM, rng.int(1, PPM)]);
  const imfPpm = rng.chance(0.5) ? mmfPpm : rng.int(mmfPpm, PPM);
  switch (rng.int(0, 4)) {
    case 0: case 1: return { kind: 'flat', imfPpm, mmfPpm };
    case 2: return { kind: 'tiers', tiers: edgeTiers(rng) };
    case 3: return { kind: 'sizePremium', imfPpm, mmfPpm, premiumPpm: rng.pick([0, 1, rng.int(1, PPM)]) };
    default: return { kind: 'openInterest', imfPpm, mmfPpm, lowerCapQuote: 0n, upperCapQuote: 0n };
  }
}

function edgeMarket(rng: Rng): RefMarket {
  const markPrice = rng.pick([1n, 1n << 31n, 10n ** 12n, P62, P62 - BigInt(rng.int(1, 1_000)), rng.logBig(P62 >> 20n, P62)]);
  const index = (): bigint => (rng.chance(0.3) ? rng.pick([P61, -P61, rng.signed(P61)]) : 0n);
  return { baseDecimals: rng.pick([0, 0, 12, rng.int(1, 11)]), markPrice, fundingIndexLong: index(), fundingIndexShort: index(), curve: edgeCurve(rng) };
}

/**
 * A book of 2 to 3 markets and 6 to 12 accounts, each with 1 to 3 cross positions (size 0, one
 * atom, or up to the notional limit, taking from the side's open interest left) and sometimes an
 * isolated one; quotes, collateral and funding snapshots at the edges.
 */
function edgeBook(seed: number): RefBook {
  const rng = new Rng(seed * 92_821 + 7);
  const book: RefBook = { markets: Array.from({ length: rng.int(2, 3) }, () => edgeMarket(rng)), accounts: [] };
  const left = book.markets.map(() => ({ long: P62, short: P62 }));
  const position = (marketId: number): { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint } => {
    const m = book.markets[marketId]!;
    const limit = maxSize(m);
    let s = rng.sign() * clamp(rng.pick([0n, 1n, limit, limit - rng.bigTo(limit / 8n), rng.logBig(1n, limit > 0n ? limit : 1n)]), 0n, limit);
    const side = left[marketId]!;
    if (s > 0n) { s = s > side.long ? side.long : s; side.long -= s; } else { s = -s > side.short ? -side.short : s; side.short += s; }
    const quoteBalance = rng.chance(0.5) ? edge(rng) : clamp(-s * m.markPrice / scaleOf(m) + edge(rng, 1_000_000n), -P62, P62);
    const index = s > 0n ? m.fundingIndexLong : m.fundingIndexShort;
    const fundingSnapshot = rng.chance(0.6) ? index : clamp(index + edge(rng, P61), -P61, P61);
    return { marketId, sizeBase: s, quoteBalance, fundingSnapshot };
  };
  for (let a = rng.int(6, 12); a > 0; a--) {
    const ids = book.markets.map((_, i) => i).sort(() => rng.float() - 0.5);
    const cross = rng.int(1, Math.min(3, ids.length));
    const account: RefAccount = { collateralQuote: edge(rng), imfFloorPpm: rng.chance(0.1) ? rng.int(1, PPM) : 0, positions: ids.slice(0, cross).map(position), isolated: [] };
    if (cross < ids.length && rng.chance(0.3)) account.isolated.push({ ...position(ids[cross]!), collateralQuote: edge(rng) });
    book.accounts.push(account);
  }
  return book;
}

type Row = string;
const rowOf = (accountId: number, r: { marketId: number; isolatedId: unknown; sizeBase: bigint; liquidationPriceQuote: bigint; bankruptcyPriceQuote: bigint }): Row =>
  `a${accountId} m${r.marketId}${r.isolatedId === null ? '' : ' iso'} s=${r.sizeBase} LP=${r.liquidationPriceQuote} BP=${r.bankruptcyPriceQuote}`;

/** Engine prices (per account and the chunked scan) against the model's; returns the model's rows. */
function expectPrices(engine: RiskEngine, book: RefBook, label: string): Row[] {
  const diffs: string[] = [];
  const model: Row[] = [];
  book.accounts.forEach((_, a) => {
    const want = positionPrices(book as LiqBook, a).map((r) => rowOf(a, r)).sort();
    const got = engine.positionPrices(a).map((r) => rowOf(a, r)).sort();
    if (want.join(' | ') !== got.join(' | ')) diffs.push(`account ${a}: engine ${got.join(' | ')}\n    model  ${want.join(' | ')}`);
    model.push(...want);
  });
  expectNoDiffs(diffs, `${label}: positionPrices`);
  const scan: Row[] = [];
  for (let from = 0; from < engine.accountCount;) {
    const v = engine.positionPricesView(from);
    for (let i = 0; i < v.accountId.length; i++) {
      scan.push(rowOf(v.accountId[i]!, { marketId: v.marketId[i]!, isolatedId: v.isolatedId[i] === 0xffffffff ? null : 0, sizeBase: v.sizeBase[i]!, liquidationPriceQuote: v.liquidationPriceQuote[i]!, bankruptcyPriceQuote: v.bankruptcyPriceQuote[i]! }));
    }
    from = v.nextAccountId;
  }
  expect(scan.sort(), `${label}: positionPricesView`).toEqual([...model].sort());
  return model;
}

/** What the book reaches: groups the check refuses, A0 and T outside i64 (from the model's figures). */
function reach(book: RefBook, tally: Record<string, number>): void {
  const add = (k: string): void => { tally[k] = (tally[k] ?? 0) + 1; };
  const groups: Group[] = [...book.accounts.map((_, a) => crossGroup(book as LiqBook, a)), ...isolatedGroups(book as LiqBook)];
  for (const g of groups) {
    if (g.positions().length === 0) continue;
    if (groupOverflows(book, g.wallet.collateralQuote, g.positions(), g.account.imfFloorPpm)) { add('a group the check refuses'); continue; }
    const f = evaluate(book as LiqBook, g);
    add('a group the check accepts');
    for (const h of f.held) {
      if (h.position.sizeBase === 0n) continue;
      if (!inI64((f.equityQuote - h.valueTermQuote) - (f.mmQuote - h.mmQuote))) add('A0 outside i64');
      if (!inI64(h.valueTermQuote - equityShareQuote(g, f.equityQuote, f.mmQuote, h.mmQuote))) add('T outside i64');
    }
  }
}

describe('prices parity on extreme-value books', () => {
  for (const release of [false, true]) {
    it(`[${release ? 'release' : 'debug'}] marks and sizes near 2^62, collateral and quotes at +-2^62, baseDecimals 0 and 12`, async () => {
      const tally: Record<string, number> = {};
      const failures: string[] = [];
      for (let seed = 1; seed <= 150; seed++) {
        const book = edgeBook(seed);
        try {
          const engine = await createEngine({ release });
          loadIntoEngine(engine, book);
          reach(book, tally);
          const rows = expectPrices(engine, book, `seed ${seed} (summed afresh)`);
          if (rows.some((r) => r.includes(`LP=${PRICE_UNDEFINED} `))) tally['a PRICE_UNDEFINED row'] = (tally['a PRICE_UNDEFINED row'] ?? 0) + 1;
          let checks = true;
          try { checkBook(book); } catch { checks = false; }
          if (checks) {
            engine.check();
            expectPrices(engine, book, `seed ${seed} (after check)`);
            tally['a book that checks'] = (tally['a book that checks'] ?? 0) + 1;
          }
        } catch (e) {
          failures.push(`seed ${seed}: ${String(e instanceof Error ? e.message : e).split('\n').slice(0, 8).join('\n    ')}`);
        }
      }
      expect(failures, `${failures.length} seeds failed:\n${failures.join('\n')}\n`).toEqual([]);
      for (const key of ['a group the check refuses', 'a group the check accepts', 'A0 outside i64', 'T outside i64', 'a PRICE_UNDEFINED row', 'a book that checks']) {
        expect(tally[key] ?? 0, `${key}: ${JSON.stringify(tally)}`).toBeGreaterThan(5);
      }
    });
  }
});
