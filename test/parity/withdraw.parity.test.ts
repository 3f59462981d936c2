/**
 * Parity of "What a winner may withdraw": on seeded random books, under each realizable rule with
 * and without a transfer floor, random sequences of settles (one position, whole accounts),
 * withdrawals, mark and funding moves keep the engine's book, pools and every answer equal to the
 * BigInt model (test/reference/economics-withdraw.ts): `withdrawable(id)` for every account, and
 * `withdrawableAll()` equal to both; and a serve of queued requests (which holds the rule's book-wide
 * terms through its payments) pays each request what the model allows after the payments before it.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { internalsOf } from '../../dist/src/abi/internals.js';
import type { RefBook } from '../reference/model.js';
import { RefOverflow } from '../reference/model.js';
import * as ref from '../reference/economics-withdraw.js';
import { expectNoDiffs, generateBook, loadIntoEngine, P61, Rng } from '../support/book.js';
import { createEngine } from '../support/engine.js';

const RULES: readonly ref.Rule[] = ['all', 'none', 'pnlPool', 'residualRatio'];
const LIMITS: readonly ref.Limit[] = ['equity', 'initialMargin', 'transferFloor', 'realizable'];

/** The model's answer or the code the engine should refuse with. */
function modelOr<T>(fn: () => T): T | { error: string } {
  try { return fn(); } catch (e) {
    if (e instanceof RefOverflow || e instanceof ref.RefRuleOverflow || e instanceof ref.RefSettleOverflow) return { error: 'Overflow' };
    throw e;
  }
}
function engineOr<T>(fn: () => T): T | { error: string } {
  try { return fn(); } catch (e) { return { error: (e as { codeName: string }).codeName }; }
}

function expectBookParity(engine: RiskEngine, book: RefBook, econ: ref.RefEcon): void {
  const diffs: string[] = [];
  book.accounts.forEach((a, id) => {
    const s = engine.account(id);
    if (s.collateralQuote !== a.collateralQuote) diffs.push(`account ${id} collateral: engine ${s.collateralQuote}, model ${a.collateralQuote}`);
    const key = (ps: readonly { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }[]): string =>
      ps.map((p) => `m${p.marketId}:${p.sizeBase}/${p.quoteBalance}/${p.fundingSnapshot}`).sort().join(' ');
    if (key(s.positions) !== key(a.positions)) diffs.push(`account ${id} cross: engine ${key(s.positions)} | model ${key(a.positions)}`);
  });
  econ.pnlPool.forEach((p, m) => { if (engine.pnlPool(m) !== p) diffs.push(`market ${m} pool: engine ${engine.pnlPool(m)}, model ${p}`); });
  expectNoDiffs(diffs, 'state');
}

function expectWithdrawableParity(engine: RiskEngine, book: RefBook, econ: ref.RefEcon): void {
  const diffs: string[] = [];
  const all = engineOr(() => engine.withdrawableAll());
  // The batch refuses (Overflow) exactly when some account's answer is a refusal.
  let anyRefused = false;
  book.accounts.forEach((_, id) => {
    const e = engineOr(() => engine.withdrawable(id));
    const m = modelOr(() => ref.withdrawable(book, econ, id));
    if (JSON.stringify(e, big) !== JSON.stringify(m, big)) diffs.push(`account ${id}: engine ${JSON.stringify(e, big)} | model ${JSON.stringify(m, big)}`);
    if ('error' in m) anyRefused = true;
    if (!('error' in all) && !('error' in m)) {
      if (all.amountQuote[id] !== m.amountQuote || LIMITS[all.limit[id]!] !== m.limit) {
        diffs.push(`withdrawableAll account ${id}: ${all.amountQuote[id]}/${LIMITS[all.limit[id]!]} | model ${m.amountQuote}/${m.limit}`);
      }
    }
  });
  if (('error' in all) !== anyRefused) diffs.push(`withdrawableAll ${'error' in all ? `refused (${all.error})` : 'answered'}, the model ${anyRefused ? 'refuses an account' : 'answers every account'}`);
  expectNoDiffs(diffs, 'withdrawable');
}

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

async function setUp(seed: number, rule: ref.Rule, floorPpm: number): Promise<{ engine: RiskEngine; book: RefBook; econ: ref.RefEcon; rng: Rng }> {
  const rng = new Rng(seed);
  const book = generateBook({ seed: 7000 + seed, accounts: 24, markets: 3, isolated: 0.3, extreme: 0, distress: rng.chance(0.5) ? 0.2 : 0 });
  const engine = await createEngine();
  loadIntoEngine(engine, book);
  const econ: ref.RefEcon = { pnlPool: book.markets.map(() => 0n), feePool: book.markets.map(() => 0n), rule, floorPpm };
  // The fee pools are an input of the PnL-pool rule (fees are charged on fills; here they are set directly).
  const raw = internalsOf(engine).raw;
  book.markets.forEach((_, m) => {
    const fee = rng.chance(0.3) ? 0n : rng.signed(10n ** 12n);
    const { view, at } = raw.marketEcon(m);
    view.setBigInt64(at.feePool, fee, true);
    econ.feePool[m] = fee;
  });
  engine.setWithdrawalRules({ realizable: rule, transferFloorPpm: floorPpm });
  return { engine, book, econ, rng };
}

function step(engine: RiskEngine, book: RefBook, econ: ref.RefEcon, rng: Rng): void {
  const a = rng.int(0, book.accounts.length - 1), account = book.accounts[a]!;
  const op = rng.int(0, 9);
  if (op <= 2 && account.positions.length > 0) {
    const m = rng.pick(account.positions).marketId;
    const copy = structuredClone({ book, econ });
    const expected = modelOr(() => ref.settle(copy.book, copy.econ, a, m).settled);
    const got = engineOr(() => engine.settlePnl(a, m));
    expect(got).toEqual(expected);
    if (!(typeof expected === 'object')) { Object.assign(book, copy.book); Object.assign(econ, copy.econ); }
  } else if (op <= 4) {
    const copy = structuredClone({ book, econ });
    const expected = modelOr(() => ref.settle(copy.book, copy.econ, a).settled);
    const got = engineOr(() => engine.settlePnl(a));
    expect(got).toEqual(expected);
    if (!(typeof expected === 'object')) { Object.assign(book, copy.book); Object.assign(econ, copy.econ); }
  } else if (op <= 7) {
    const w = modelOr(() => ref.withdrawable(book, econ, a));
    if ('error' in w) return;
    const c = account.collateralQuote;
    const amount = rng.pick([w.amountQuote, w.amountQuote, w.amountQuote + 1n, c > 0n ? rng.bigTo(c) : 1n, c + 1n, rng.bigTo(w.amountQuote + 1n)]);
    if (amount <= 0n || amount > 1n << 62n) return;
    const refusal = modelOr(() => ref.withdrawRefusal(book, econ, a, amount));
    const got = engineOr(() => { engine.withdraw(a, amount); return null; });
    expect(got).toEqual(refusal === null ? null : typeof refusal === 'object' ? refusal : { error: refusal });
    if (refusal === null) ref.withdraw(book, econ, a, amount);
  } else if (op === 8) {
    const m = rng.int(0, book.markets.length - 1), market = book.markets[m]!;
    const mark = market.markPrice + (market.markPrice * BigInt(rng.int(-100, 100))) / 1000n;
    if (mark < 1n) return;
    market.markPrice = mark;
    engine.setMarks([m], [mark]);
  } else {
    const m = rng.int(0, book.markets.length - 1), market = book.markets[m]!;
    const clamp = (x: bigint): bigint => (x > P61 ? P61 : x < -P61 ? -P61 : x);
    market.fundingIndexLong = clamp(market.fundingIndexLong + rng.signed(market.markPrice / 50n + 1n));
    market.fundingIndexShort = clamp(market.fundingIndexShort + rng.signed(market.markPrice / 50n + 1n));
    engine.setFundingIndices([m], [market.fundingIndexLong], [market.fundingIndexShort]);
  }
}

describe('withdrawable and settles match the model', () => {
  const cases: [ref.Rule, number][] = RULES.flatMap((r) => [[r, 0], [r, 100_000]] as [ref.Rule, number][]);
  it.each(cases)('rule %s, transfer floor %i ppm: random settles, withdrawals, marks and funding', async (rule, floorPpm) => {
    for (let seed = 1; seed <= 3; seed++) {
      const { engine, book, econ, rng } = await setUp(seed * 10 + RULES.indexOf(rule), rule, floorPpm);
      expectWithdrawableParity(engine, book, econ);
      for (let i = 1; i <= 40; i++) {
        step(engine, book, econ, rng);
        expectBookParity(engine, book, econ);
        if (i % 5 === 0) expectWithdrawableParity(engine, book, econ);
      }
      expectWithdrawableParity(engine, book, econ);
    }
  });

  it('the release core answers as the debug core', async () => {
    const { engine, book, econ } = await setUp(99, 'residualRatio', 50_000);
    const release = await createEngine({ release: true });
    loadIntoEngine(release, book);
    const raw = internalsOf(release).raw;
    econ.feePool.forEach((fee, m) => { const { view, at } = raw.marketEcon(m); view.setBigInt64(at.feePool, fee, true); });
    for (const rule of RULES) {
      engine.setWithdrawalRules({ realizable: rule });
      release.setWithdrawalRules({ realizable: rule, transferFloorPpm: 50_000 });
      const [a, b] = [engine.withdrawableAll(), release.withdrawableAll()];
      expect(Array.from(b.amountQuote)).toEqual(Array.from(a.amountQuote));
      expect(Array.from(b.limit)).toEqual(Array.from(a.limit));
    }
  });
});

describe('extreme books', () => {
  it('withdrawable answers or refuses (Overflow) as the model does, on books with amounts near 2^62', async () => {
    let refusals = 0, answers = 0, settled = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rng = new Rng(500 + seed);
      const book = generateBook({ seed: 7500 + seed, accounts: 16, markets: 3, isolated: 0.3, extreme: 0.3, overflow: 0.1 });
      const engine = await createEngine();
      loadIntoEngine(engine, book);
      const econ: ref.RefEcon = { pnlPool: book.markets.map(() => 0n), feePool: book.markets.map(() => 0n), rule: 'all', floorPpm: 0 };
      for (const rule of RULES) {
        econ.rule = rule;
        econ.floorPpm = rng.pick([0, 100_000, 1_000_000]);
        engine.setWithdrawalRules({ realizable: rule, transferFloorPpm: econ.floorPpm });
        expectWithdrawableParity(engine, book, econ);
        book.accounts.forEach((_, id) => { if ('error' in engineOr(() => engine.withdrawable(id))) refusals++; else answers++; });
      }
      // Whole-account settles under the last rule, one account after another, as the model settles them.
      for (let id = 0; id < book.accounts.length; id++) {
        const copy = structuredClone({ book, econ });
        const expected = modelOr(() => ref.settle(copy.book, copy.econ, id).settled);
        expect(engineOr(() => engine.settlePnl(id))).toEqual(expected);
        if (typeof expected !== 'object') { Object.assign(book, copy.book); Object.assign(econ, copy.econ); settled++; }
        expectBookParity(engine, book, econ);
      }
    }
    // Both sides are exercised: some answers are refusals (Overflow), most are not.
    expect(refusals).toBeGreaterThan(0);
    expect(answers).toBeGreaterThan(refusals);
    expect(settled).toBeGreaterThan(0);
  });
});

describe('a serve holds the rule\'s terms through its payments', () => {
  it.each(RULES)('rule %s: each queued request is cut to what the model allows after the payments before it, then paid', async (rule) => {
    let paid = 0, cut = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const { engine, book, econ, rng } = await setUp(300 + seed * 10 + RULES.indexOf(rule), rule, rng0(seed));
      // A capacity of 1 atom an hour: every request but the first atom queues.
      engine.setWithdrawalCapacity({ periodSec: 3600, minQuote: 1n });
      const queued: { account: number; amount: bigint }[] = [];
      for (let i = 0; i < 12; i++) {
        const a = rng.int(0, book.accounts.length - 1);
        const w = modelOr(() => ref.withdrawable(book, econ, a));
        if ('error' in w) continue;
        const mine = queued.filter((q) => q.account === a).reduce((s, q) => s + q.amount, 0n);
        const free = minB(w.amountQuote, book.accounts[a]!.collateralQuote) - mine;
        if (free <= 1n) continue;
        const amount = rng.chance(0.5) ? free : rng.bigTo(free - 1n) + 1n;
        const r = engine.requestWithdrawal(a, amount, 0);
        book.accounts[a]!.collateralQuote -= r.paidQuote;
        if (r.queuedQuote > 0n) queued.push({ account: a, amount: r.queuedQuote });
        // Settles and a mark move between requests change what the queued accounts may take.
        if (rng.chance(0.5)) {
          const s = rng.int(0, book.accounts.length - 1);
          const copy = structuredClone({ book, econ });
          const expected = modelOr(() => ref.settle(copy.book, copy.econ, s).settled);
          expect(engineOr(() => engine.settlePnl(s))).toEqual(expected);
          if (typeof expected !== 'object') { Object.assign(book, copy.book); Object.assign(econ, copy.econ); }
        }
        if (rng.chance(0.3)) {
          const m = rng.int(0, book.markets.length - 1), market = book.markets[m]!;
          market.markPrice = market.markPrice + (market.markPrice * BigInt(rng.int(-150, 150))) / 1000n || 1n;
          engine.setMarks([m], [market.markPrice]);
        }
      }
      // Prices move hard: some queued accounts may now withdraw less than they asked.
      for (let m = 0; m < book.markets.length; m++) {
        const market = book.markets[m]!;
        market.markPrice = market.markPrice + (market.markPrice * BigInt(rng.int(-300, 300))) / 1000n || 1n;
        engine.setMarks([m], [market.markPrice]);
      }
      // Unlimited capacity now: the serve pays every head what its account may withdraw, in order.
      engine.setWithdrawalCapacity(null);
      const expected: { accountId: number; paidQuote: bigint }[] = [];
      for (const q of queued) {
        const w = ref.withdrawable(book, econ, q.account);
        const allowed = minB(w.amountQuote, book.accounts[q.account]!.collateralQuote);
        const pay = allowed > 0n ? minB(q.amount, allowed) : 0n;
        if (pay < q.amount) cut++;
        if (pay > 0n) { book.accounts[q.account]!.collateralQuote -= pay; expected.push({ accountId: q.account, paidQuote: pay }); paid++; }
      }
      const report = engine.serveWithdrawals(0);
      expect(report.served.map((s) => ({ accountId: s.accountId, paidQuote: s.paidQuote }))).toEqual(expected);
      expect(engine.withdrawalState().queue).toEqual([]);
      expectBookParity(engine, book, econ);
    }
    expect(paid, 'payments').toBeGreaterThan(0);
    expect(cut, 'requests cut').toBeGreaterThan(0);
  });
});

function rng0(seed: number): number { return seed % 2 === 0 ? 0 : 100_000; }
function minB(a: bigint, b: bigint): bigint { return a < b ? a : b; }
