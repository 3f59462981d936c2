/**
 * Parity of liquidation with the reference model (test/reference/liquidation.ts) on seeded random
 * books: liquidation and bankruptcy prices of every position, the plan of a round (rows exactly, in
 * risk order), execution (log, accounts, funds, deficit records, ledger) and whole cascades.
 *
 * Books come from generateBook with liquidation settings added to the markets (close steps, global or
 * own insurance funds), marks shocked, and a backstop account appended. Policies are drawn at random
 * over every knob.
 *
 * Isolated ids: on a fresh book the engine's rows are the model's global ids; after an execution the
 * engine keeps its row ids while the model renumbers, so later rounds compare isolated rows by
 * (account, market). Slot order: `order: 'book'` follows the engine's slot order, which the model
 * copies (syncSlotOrder) before each later round.
 */
import { describe, expect, it } from 'vitest';
import {
  LIQUIDATION_PRESETS, NO_ISOLATED, NO_MARKET, PRICE_NEVER, toAtoms, type CascadeRound, type ExecutionSummary, type LiquidationPlan,
  type LiquidationPolicy, type LiquidationRecord, type RiskEngine,
} from '../../dist/src/node.js';
import { checkBook, type BookCheck, type RefCurve, type RefPosition } from '../reference/model.js';
import {
  createLiquidationState, depositFund, executePlan, fundIdOf, ledger, planRound, positionPrices, summarize,
  type LiqBook, type LiqMarket, type LiquidationState, type PlanRow, type RefPositionPrices,
} from '../reference/liquidation.js';
import { CURVE_KINDS, expectCode, expectNoDiffs, expectParity, generateBook, loadIntoEngine, P62, Rng, type BookOptions } from '../support/book.js';
import { createEngine, stateDigest } from '../support/engine.js';
import { expectStateParity } from './fill-model.js';

const KINDS = ['close', 'transfer', 'settle'] as const;
const KEY = { isolated: 'key' } as const;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);
const show = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}` : v));

// ---- Books and policies ------------------------------------------------------------------------

interface LiquidationBookOptions extends Partial<BookOptions> {
  /** Keep positions of size 0 (a quote balance only); dropped by default, see their own tests. */
  keepEmpty?: boolean;
}

/**
 * A random book with liquidations: distressed collateral (0 to 30 % of notional), marks shocked by up
 * to 5 % or 30 %, close steps (1 or c * 10^k base atoms) and insurance funds per market, and an
 * appended backstop account (no positions, 10^15 quote atoms). Returns the book and the backstop's id.
 */
function liquidationBook(seed: number, shape: LiquidationBookOptions = {}): { book: LiqBook; backstopId: number } {
  const rng = new Rng(seed * 7919 + 17);
  const { keepEmpty, ...options } = shape;
  const book = generateBook({
    seed, accounts: 24, markets: rng.int(1, 5), isolated: 0.35, extreme: 0, distress: rng.pick([0, 0.05, 0.15, 0.3]), ...options,
  }) as LiqBook;
  // Positions of size 0 are outside the spec's liquidation formulas ("every group holding a position
  // has M >= 1"); they get their own tests below.
  if (!keepEmpty) {
    for (const a of book.accounts) {
      a.positions = a.positions.filter((p) => p.sizeBase !== 0n);
      a.isolated = a.isolated.filter((p) => p.sizeBase !== 0n);
    }
  }
  const shock = rng.pick([50, 300]);
  for (const m of book.markets) {
    m.stepBase = rng.chance(0.4) ? 1n : 10n ** BigInt(rng.int(0, 8)) * BigInt(rng.int(1, 9));
    m.insuranceFund = rng.chance(0.5) ? 'own' : 'global';
    m.markPrice = clamp(m.markPrice * BigInt(1000 + rng.int(-shock, shock)) / 1000n, 1n, P62);
  }
  book.accounts.push({ collateralQuote: 10n ** 15n, imfFloorPpm: 0, positions: [], isolated: [] });
  return { book, backstopId: book.accounts.length - 1 };
}

/**
 * A policy over every knob (amounts in quote atoms). A third have a backstop: the appended account or
 * an account of the book without isolated positions (which may itself be liquidatable, and is then
 * skipped); some name a backstop account with the backstop off (it is skipped all the same).
 */
function randomPolicy(rng: Rng, book: LiqBook, backstopId: number): LiquidationPolicy {
  const amount = (p: number): bigint => (rng.chance(p) ? 10n ** BigInt(rng.int(2, 13)) * BigInt(rng.int(1, 9)) : 0n);
  const policy: LiquidationPolicy = {
    close: rng.pick(['full', 'partial'] as const),
    target: rng.pick(['maintenance', 'initial'] as const),
    bufferPpm: rng.pick([0, 0, 10_000, 250_000, 1_000_000]),
    maxCloseFractionPpm: rng.pick([1_000_000, 1_000_000, 100_000, 200_000, 500_000, 1]),
    fractionAboveNotionalQuote: amount(0.4),
    minCloseNotionalQuote: amount(0.4),
    maxNotionalPerRoundQuote: amount(0.3),
    maxDeficitPerRoundQuote: amount(0.3),
    order: rng.pick(['maintenance', 'notional', 'book'] as const),
    liquidationFeePpm: rng.pick([0, 1, 5_000, 15_000, 100_000]),
    liquidatorSharePpm: rng.pick([0, 1, 333_333, 1_000_000]),
  };
  const candidates = book.accounts.map((a, id) => (a.isolated.length === 0 && !a.closed ? id : -1)).filter((id) => id >= 0);
  const named = rng.chance(0.5) ? backstopId : rng.pick(candidates);
  const r = rng.float();
  if (r < 0.33) Object.assign(policy, { backstopPpm: rng.pick([1, 500_000, 666_667, 1_000_000]), backstopAccountId: named });
  else if (r < 0.45) policy.backstopAccountId = named; // named, backstop off: only skipped
  return policy;
}

/** True if the model's margin check of the book overflows (such books are not used here). */
function overflows(book: LiqBook): boolean {
  try { checkBook(book); return false; } catch { return true; }
}

async function loaded(book: LiqBook): Promise<RiskEngine> {
  const engine = await createEngine();
  loadIntoEngine(engine, book);
  return engine;
}

// ---- Comparisons -------------------------------------------------------------------------------

/** The engine's plan as model rows. */
function enginePlanRows(plan: LiquidationPlan): PlanRow[] {
  const v = plan.view;
  return Array.from({ length: plan.rows }, (_, i) => ({
    accountId: v.accountId[i]!,
    marketId: v.marketId[i] === NO_MARKET ? null : v.marketId[i]!,
    isolatedId: v.isolatedId[i] === NO_ISOLATED ? null : v.isolatedId[i]!,
    kind: KINDS[v.kind[i]!]!,
    sizeBase: v.sizeBase[i]!,
    priceQuote: v.priceQuote[i]!,
  }));
}

/** Rows with the isolated id replaced by a flag (after an execution ids differ; (account, market) does not). */
const keyed = <T extends { isolatedId: number | null }>(rows: readonly T[], byKey: boolean): (Omit<T, 'isolatedId'> & { isolatedId: number | string | null })[] =>
  rows.map((r) => ({ ...r, isolatedId: byKey && r.isolatedId !== null ? 'isolated' : r.isolatedId }));

type PriceRow = { marketId: number; isolatedId: number | null | string; sizeBase: bigint; liquidationPriceQuote: bigint; bankruptcyPriceQuote: bigint };
const priceLine = (r: PriceRow): string =>
  `m${r.marketId}${r.isolatedId === null ? '' : ` iso ${r.isolatedId}`} s=${r.sizeBase} LP=${r.liquidationPriceQuote} BP=${r.bankruptcyPriceQuote}`;

/**
 * Engine prices of every account equal the model's: cross rows first (compared as a set: the engine
 * lists them in slot order), then isolated rows (a set too: the spec fixes no order among them); the
 * chunked view holds the same rows. Returns the number of rows compared.
 */
function expectPricesParity(engine: RiskEngine, book: LiqBook, byKey: boolean, label: string): number {
  const diffs: string[] = [];
  const modelAll: string[] = [];
  book.accounts.forEach((account, accountId) => {
    if (account.closed) return;
    const model = positionPrices(book, accountId);
    const got = engine.positionPrices(accountId);
    const split = (xs: readonly RefPositionPrices[]): [string[], string[]] => {
      const k = keyed(xs, byKey);
      return [k.filter((r) => r.isolatedId === null).map(priceLine).sort(), k.filter((r) => r.isolatedId !== null).map(priceLine).sort()];
    };
    const [mc, mi] = split(model);
    const [ec, ei] = split(got);
    const crossCount = got.filter((r) => r.isolatedId === null).length;
    if (got.some((r) => r.accountId !== accountId)) diffs.push(`account ${accountId}: rows name another account`);
    if (got.slice(0, crossCount).some((r) => r.isolatedId !== null)) diffs.push(`account ${accountId}: isolated rows before cross rows`);
    if (show(mc) !== show(ec)) diffs.push(`account ${accountId} cross: engine ${ec.join(', ')} | model ${mc.join(', ')}`);
    if (show(mi) !== show(ei)) diffs.push(`account ${accountId} isolated: engine ${ei.join(', ')} | model ${mi.join(', ')}`);
    modelAll.push(...keyed(model, byKey).map((r) => `a${accountId} ${priceLine(r)}`));
  });
  expectNoDiffs(diffs, `${label}: prices`);
  const fromView: string[] = [];
  for (let from = 0; from < engine.accountCount;) {
    const v = engine.positionPricesView(from);
    for (let i = 0; i < v.accountId.length; i++) {
      const isolatedId = v.isolatedId[i] === NO_ISOLATED ? null : byKey ? 'isolated' : v.isolatedId[i]!;
      fromView.push(`a${v.accountId[i]} ${priceLine({ marketId: v.marketId[i]!, isolatedId, sizeBase: v.sizeBase[i]!, liquidationPriceQuote: v.liquidationPriceQuote[i]!, bankruptcyPriceQuote: v.bankruptcyPriceQuote[i]! })}`);
    }
    expect(v.nextAccountId).toBeGreaterThan(from);
    from = v.nextAccountId;
  }
  expect(fromView.sort(), `${label}: positionPricesView`).toEqual(modelAll.sort());
  return modelAll.length;
}

/** Funds (global and each market's), pending deficit records and the ledger of the engine equal the model's. */
function expectFundsParity(engine: RiskEngine, book: LiqBook, state: LiquidationState, label: string): void {
  expect(engine.insuranceFund(), `${label}: global fund`).toBe(state.fundsQuote[0]);
  book.markets.forEach((_, m) => expect(engine.insuranceFund(m), `${label}: fund of market ${m}`).toBe(state.fundsQuote[fundIdOf(book, m)] ?? 0n));
  expect(engine.deficits(), `${label}: deficit records`).toEqual(state.deficits);
  expect(engine.ledger(), `${label}: ledger`).toMatchObject(ledger(book, state));
}

/** Copies the engine's slot order of every account's cross positions into the model book. */
function syncSlotOrder(engine: RiskEngine, book: LiqBook): void {
  book.accounts.forEach((account, id) => {
    const slots = engine.account(id).positions.map((p) => p.marketId);
    const byMarket = new Map(account.positions.map((p) => [p.marketId, p]));
    if (slots.length !== account.positions.length || slots.some((m) => !byMarket.has(m))) return; // expectStateParity reports it
    account.positions = slots.map((m) => byMarket.get(m)!);
  });
}

const EMPTY: ExecutionSummary = {
  rows: 0, closes: 0, transfers: 0, settlements: 0, groups: 0, closedNotionalQuote: 0n, realizedPnlQuote: 0n, fundingQuote: 0n,
  liquidatorFeeQuote: 0n, fundFeeQuote: 0n, surplusQuote: 0n, deficitQuote: 0n, transferQuote: 0n,
};

/** Field-by-field sum of execution summaries. */
function totalOf(rounds: readonly ExecutionSummary[]): ExecutionSummary {
  const out: Record<string, number | bigint> = { ...EMPTY };
  for (const r of rounds) for (const k of Object.keys(EMPTY) as (keyof ExecutionSummary)[]) out[k] = (out[k] as never) + (r[k] as never);
  return out as unknown as ExecutionSummary;
}

interface RoundOptions {
  label: string;
  /** Compare isolated rows by (account, market): the engine's ids differ from the model's after an execution. */
  byKey: boolean;
  /** Edit some closes of the plan (size and price) through the view before executing. */
  edit?: Rng;
  /** Compare prices too (default true). */
  prices?: boolean;
}

/**
 * One round on the engine and the model side by side: margin parity (full check), prices, the plan,
 * execution (log, summary, log view), then accounts, funds, deficits and ledger, and conservation.
 * Returns the model's round, or undefined when nothing was liquidatable or planned (the cascade stops
 * there too).
 */
function parityRound(engine: RiskEngine, book: LiqBook, state: LiquidationState, policy: LiquidationPolicy, round: number,
  o: RoundOptions): CascadeRound | undefined {
  const label = `${o.label} round ${round}`;
  if (round > 1) syncSlotOrder(engine, book);
  const ref = expectParity(engine, book, o.byKey ? KEY : {}) as BookCheck;
  expect(ref, `${label}: the model check overflows`).toBeDefined();
  if (o.prices ?? true) expectPricesParity(engine, book, o.byKey, label);
  const liquidatable = {
    accounts: ref.counts.accounts[2]! + ref.counts.accounts[3]!,
    isolated: ref.counts.isolated[2]! + ref.counts.isolated[3]!,
  };
  if (liquidatable.accounts + liquidatable.isolated === 0) return undefined;

  const plan = engine.planLiquidations(policy);
  const rows = planRound(book, policy, ref.riskOrder, ref.isolatedRiskOrder);
  expect(keyed(enginePlanRows(plan), o.byKey), `${label}: plan ${show(policy)}`).toEqual(keyed(rows, o.byKey));
  expect(plan.complete).toBe(true);
  expect(plan.groups).toBe(new Set(rows.map((r) => `${r.accountId}/${r.isolatedId}`)).size);
  if (rows.length === 0) return undefined;

  if (o.edit) editCloses(o.edit, plan, rows, book);
  const before = ledger(book, state).totalQuote;
  expect(engine.ledger().totalQuote, `${label}: ledger before`).toBe(before);
  const summary = engine.executeLiquidations();
  const log = engine.liquidationLog();
  const modelLog = executePlan(book, state, rows, policy);
  expect(keyed(log, o.byKey), `${label}: log ${show(policy)}`).toEqual(keyed(modelLog, o.byKey));
  expect(summary, `${label}: summary`).toEqual(summarize(book, modelLog));
  expectLogView(engine, log);
  expectStateParity(engine, book);
  expectFundsParity(engine, book, state, label);
  // Conservation, in both.
  expect(ledger(book, state).totalQuote, `${label}: model ledger`).toBe(before);
  expect(engine.ledger().totalQuote, `${label}: engine ledger`).toBe(before);
  return { round, liquidatable, ...summarize(book, modelLog) };
}

/** The log view holds the same rows as liquidationLog(). */
function expectLogView(engine: RiskEngine, log: readonly LiquidationRecord[]): void {
  const v = engine.liquidationLogView();
  expect(v.accountId.length).toBe(log.length);
  log.forEach((r, i) => {
    expect([v.accountId[i], v.kind[i], v.sizeBase[i], v.priceQuote[i], v.realizedPnlQuote[i], v.fundingQuote[i], v.liquidatorFeeQuote[i], v.fundFeeQuote[i], v.surplusQuote[i], v.deficitQuote[i], v.transferQuote[i]])
      .toEqual([r.accountId, KINDS.indexOf(r.kind), r.sizeBase, r.priceQuote, r.realizedPnlQuote, r.fundingQuote, r.liquidatorFeeQuote, r.fundFeeQuote, r.surplusQuote, r.deficitQuote, r.transferQuote]);
  });
}

/**
 * Edits about a third of the closes, in the engine's plan view and in the model rows alike: a smaller
 * size (still reducing) and/or a price within 5 % of the mark.
 */
function editCloses(rng: Rng, plan: LiquidationPlan, rows: PlanRow[], book: LiqBook): void {
  rows.forEach((row, i) => {
    if (row.kind !== 'close' || !rng.chance(0.35)) return;
    if (rng.chance(0.5) && abs(row.sizeBase) > 1n) row.sizeBase = (row.sizeBase > 0n ? 1n : -1n) * (1n + rng.bigTo(abs(row.sizeBase) - 1n));
    if (rng.chance(0.7)) row.priceQuote = clamp(book.markets[row.marketId!]!.markPrice * BigInt(rng.int(950_000, 1_050_000)) / 1_000_000n, 1n, P62);
    plan.view.sizeBase[i] = row.sizeBase;
    plan.view.priceQuote[i] = row.priceQuote;
  });
}

/** Tallies of what the executed logs covered. */
function tally(seen: Record<string, number>, log: readonly LiquidationRecord[]): void {
  const add = (k: string): void => { seen[k] = (seen[k] ?? 0) + 1; };
  for (const r of log) {
    add(r.kind);
    if (r.deficitQuote > 0n) add('deficit');
    if (r.fundFeeQuote > 0n) add('fundFee');
    if (r.liquidatorFeeQuote > 0n) add('liquidatorFee');
    if (r.isolatedId !== null) add('isolated');
    if (r.fundingQuote !== 0n) add('funding');
    if (r.kind === 'close' && r.surplusQuote > 0n) add('surplus');
  }
}

/**
 * Runs `fn` for every seed, even after one fails, then fails with every seed's first error (each
 * seed's book is independent: one disagreement must not hide the others).
 */
async function eachSeed(count: number, fn: (seed: number) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (let seed = 1; seed <= count; seed++) {
    try { await fn(seed); } catch (e) { failures.push(`seed ${seed}: ${String(e instanceof Error ? e.message : e).split('\n').slice(0, 12).join('\n    ')}`); }
  }
  expect(failures, `${failures.length} of ${count} seeds failed:\n${failures.join('\n')}\n`).toEqual([]);
}

// ---- Random books ------------------------------------------------------------------------------

describe('liquidation parity on random books', () => {
  it('prices of every position on books of every curve kind, also after moving marks', async () => {
    let rows = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const { book } = liquidationBook(40_000 + seed, { curves: seed % 5 === 0 ? CURVE_KINDS : [CURVE_KINDS[seed % 4]!], accounts: 30 });
      if (overflows(book)) continue;
      const engine = await loaded(book);
      expectParity(engine, book);
      rows += expectPricesParity(engine, book, false, `seed ${seed}`);
      // Prices are computed from the book as it is now: move every mark and compare again.
      const rng = new Rng(seed);
      const marks = book.markets.map((m) => clamp(m.markPrice * BigInt(rng.int(500, 1500)) / 1000n, 1n, P62));
      const moved: LiqBook = { ...book, markets: book.markets.map((m, i) => ({ ...m, markPrice: marks[i]! })) };
      if (overflows(moved)) continue;
      engine.setMarks(book.markets.map((_, m) => m), marks);
      expectParity(engine, moved);
      rows += expectPricesParity(engine, moved, false, `seed ${seed} moved`);
    }
    expect(rows).toBeGreaterThan(1000);
  });

  it('one round on fresh books: plan rows exactly, then log, accounts, funds, deficits and ledger', async () => {
    const seen: Record<string, number> = {};
    await eachSeed(200, async (seed) => {
      const { book, backstopId } = liquidationBook(41_000 + seed, { curves: [CURVE_KINDS[seed % 4]!, CURVE_KINDS[(seed >> 2) % 4]!] });
      if (overflows(book)) return;
      const engine = await loaded(book);
      const rng = new Rng(seed);
      const policy = randomPolicy(rng, book, backstopId);
      const state = createLiquidationState(book);
      // Some money in the funds first (global, and some markets' own or global fund by market id).
      const deposit = BigInt(rng.int(0, 1_000_000));
      engine.depositInsuranceFund(deposit);
      depositFund(state, 0, deposit);
      book.markets.forEach((_, m) => { if (rng.chance(0.3)) { engine.depositInsuranceFund(7n, m); depositFund(state, fundIdOf(book, m), 7n); } });
      expectFundsParity(engine, book, state, `seed ${seed} before`);
      parityRound(engine, book, state, policy, 1, { byKey: false, label: `seed ${seed}`, edit: seed % 3 === 0 ? rng : undefined });
      tally(seen, engine.liquidationLog());
      // Every figure is current again after a check.
      expectParity(engine, book, KEY);
    });
    for (const k of ['close', 'transfer', 'settle', 'deficit', 'fundFee', 'liquidatorFee', 'isolated', 'funding', 'surplus']) expect(seen[k] ?? 0, `${k}: ${show(seen)}`).toBeGreaterThan(3);
  });

  it('cascades: rounds side by side, then engine.liquidate() gives the same report and book', async () => {
    let rounds = 0;
    const seen: Record<string, number> = {};
    await eachSeed(80, async (seed) => {
      const { book, backstopId } = liquidationBook(42_000 + seed, { accounts: 16 });
      if (overflows(book)) return;
      const rng = new Rng(500 + seed);
      const policy = randomPolicy(rng, book, backstopId);
      const maxRounds = seed % 8 === 0 ? undefined : rng.int(1, 6);
      const manual = await loaded(book);
      const cascade = await loaded(book);
      const modelRounds: CascadeRound[] = [];
      const state = createLiquidationState(book);
      for (let round = 1; round <= (maxRounds ?? 16); round++) {
        const r = parityRound(manual, book, state, policy, round, { byKey: round > 1, label: `seed ${seed}` });
        if (r === undefined) break;
        tally(seen, manual.liquidationLog());
        modelRounds.push(r);
      }
      const ref = checkBook(book);
      const remaining = { accounts: ref.counts.accounts[2]! + ref.counts.accounts[3]!, isolated: ref.counts.isolated[2]! + ref.counts.isolated[3]! };
      const report = cascade.liquidate(policy, maxRounds === undefined ? {} : { maxRounds });
      expect(report.rounds, `seed ${seed}: cascade rounds ${show(policy)}`).toEqual(modelRounds);
      expect(report.totals).toEqual(totalOf(modelRounds));
      expect(report.remaining).toEqual(remaining);
      expectStateParity(cascade, book);
      expectFundsParity(cascade, book, state, `seed ${seed} cascade`);
      rounds += modelRounds.length;
    });
    expect(rounds).toBeGreaterThan(120);
    expect(Math.min(seen.close ?? 0, seen.transfer ?? 0, seen.settle ?? 0), show(seen)).toBeGreaterThan(3);
  });

  it('presets (amounts as decimal strings) plan and execute like the model with the amounts in atoms', async () => {
    const inAtoms = (p: LiquidationPolicy): LiquidationPolicy => {
      const out: LiquidationPolicy = { ...p };
      for (const k of ['minCloseNotionalQuote', 'fractionAboveNotionalQuote', 'maxNotionalPerRoundQuote', 'maxDeficitPerRoundQuote'] as const) {
        if (p[k] !== undefined) out[k] = toAtoms(p[k], 6, k);
      }
      return out;
    };
    let rows = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { book, backstopId } = liquidationBook(43_000 + seed);
      if (overflows(book)) continue;
      const preset: LiquidationPolicy = seed % 2 === 0
        ? LIQUIDATION_PRESETS.dydx
        : { ...LIQUIDATION_PRESETS.hyperliquid, ...(seed % 3 === 0 ? { backstopPpm: 666_667, backstopAccountId: backstopId } : {}) };
      const engine = await loaded(book);
      engine.check();
      const plan = engine.planLiquidations(preset);
      const ref = checkBook(book);
      const planned = planRound(book, inAtoms(preset), ref.riskOrder, ref.isolatedRiskOrder);
      expect(enginePlanRows(plan), `seed ${seed}: plan`).toEqual(planned);
      const state = createLiquidationState(book);
      engine.executeLiquidations();
      expect(engine.liquidationLog(), `seed ${seed}: log`).toEqual(executePlan(book, state, planned, inAtoms(preset)));
      expectFundsParity(engine, book, state, `seed ${seed}`);
      expectStateParity(engine, book);
      rows += planned.length;
    }
    expect(rows).toBeGreaterThan(20);
  });

  it('takeDeficits returns the pending records and clears them; the ledger still adds up', async () => {
    let taken = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { book } = liquidationBook(44_000 + seed, { distress: 0.4 });
      if (overflows(book)) continue;
      const engine = await loaded(book);
      const state = createLiquidationState(book);
      const policy: LiquidationPolicy = { close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 200_000 };
      parityRound(engine, book, state, policy, 1, { byKey: false, label: `seed ${seed}` });
      const records = engine.takeDeficits();
      expect(records).toEqual(state.deficits);
      taken += records.length;
      state.deficits = [];
      expect(engine.deficits()).toEqual([]);
      // The ledger counts deficits recorded, all time: taking them changes nothing. (The engine's
      // ledger also carries the waterfall's balances, all 0 here: the model's fields are compared.)
      expect(engine.ledger()).toMatchObject(ledger(book, state));
    }
    expect(taken).toBeGreaterThan(0);
  });

  it('an invalid edited plan is refused whole: nothing changes, in the engine or the model', async () => {
    let refused = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { book } = liquidationBook(45_000 + seed, { distress: 0.3 });
      if (overflows(book)) continue;
      const engine = await loaded(book);
      engine.check();
      const plan = engine.planLiquidations({ close: 'full' });
      const rows = enginePlanRows(plan);
      const closes = rows.map((r, i) => (r.kind === 'close' ? i : -1)).filter((i) => i >= 0);
      if (closes.length === 0) continue;
      // Break the last close: a price out of range, a size past the position, or the wrong sign.
      const i = closes[closes.length - 1]!;
      const owner = book.accounts[rows[i]!.accountId]!;
      const held: RefPosition[] = rows[i]!.isolatedId === null ? owner.positions : owner.isolated;
      const s = held.find((p) => p.marketId === rows[i]!.marketId)!.sizeBase;
      const broken = [{ priceQuote: 0n }, { priceQuote: P62 + 1n }, { sizeBase: -s - (s > 0n ? 1n : -1n) }, { sizeBase: s }][seed % 4]!;
      Object.assign(rows[i]!, broken);
      plan.view.sizeBase[i] = rows[i]!.sizeBase;
      plan.view.priceQuote[i] = rows[i]!.priceQuote;
      const digest = stateDigest(engine);
      const ledgerBefore = engine.ledger();
      expect(() => engine.executeLiquidations(), `seed ${seed}: ${show(broken)}`).toThrow();
      expect(stateDigest(engine)).toBe(digest);
      expect(engine.ledger()).toEqual(ledgerBefore);
      const state = createLiquidationState(book);
      const copy = show(book);
      expect(() => executePlan(book, state, rows, { close: 'full' })).toThrow(RangeError);
      expect(show(book)).toBe(copy);
      refused++;
    }
    expect(refused).toBeGreaterThan(5);
  });

  it('planning needs current results: after a check that overflowed it is refused', async () => {
    let seed = 45_500;
    let book = generateBook({ seed, accounts: 10, extreme: 0, overflow: 0.5 });
    while (!overflows(book)) book = generateBook({ seed: ++seed, accounts: 10, extreme: 0, overflow: 0.5 });
    const engine = await loaded(book);
    expectCode(() => engine.check(), 'Overflow');
    expectCode(() => engine.planLiquidations(), 'ResultsStale');
  });
});

// ---- Hand-worked books (the numbers of test/unit/reference-liquidation.test.ts) ----------------

const USD = 1_000000n;
const BTC = 100_000_000n;
const FLAT_10_5: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };
const market = (extra: Partial<LiqMarket> = {}): LiqMarket =>
  ({ baseDecimals: 8, markPrice: 60_000n * USD, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: FLAT_10_5, ...extra });
const longBtc = (): RefPosition => ({ marketId: 0, sizeBase: BTC, quoteBalance: -60_000n * USD, fundingSnapshot: 0n });

describe('liquidation parity on hand-worked books', () => {
  /** One round on the engine; the model's rows and log must match, and the hand values too. */
  async function round(book: LiqBook, policy: LiquidationPolicy): Promise<{ log: LiquidationRecord[]; engine: RiskEngine }> {
    const engine = await loaded(book);
    const state = createLiquidationState(book);
    parityRound(engine, book, state, policy, 1, { byKey: false, label: 'hand' });
    return { log: engine.liquidationLog(), engine };
  }

  it('a partial close sized by binary search over steps of 0.01 BTC (with a 1 % fee: 0.42 BTC)', async () => {
    // E = 2,000, MM = 3,000; fee 6 atoms per base atom: 2,000e6 - 6c >= (1e8 - c) * 30 <=> c >= 41,666,667.
    const { log } = await round({ markets: [market({ stepBase: BTC / 100n })], accounts: [{ collateralQuote: 2_000n * USD, imfFloorPpm: 0, positions: [longBtc()], isolated: [] }] }, { liquidationFeePpm: 10_000 });
    expect(log.map((r) => [r.sizeBase, r.fundFeeQuote])).toEqual([[-42_000_000n, 252n * USD]]);
  });

  it('fee split into an own fund; a bankrupt cross book shares its shortfall by MM', async () => {
    const { log, engine } = await round({
      markets: [market({ insuranceFund: 'own' }), market({ markPrice: 3_000n * USD })],
      accounts: [
        { collateralQuote: 2_000n * USD, imfFloorPpm: 0, positions: [longBtc()], isolated: [] },
        { collateralQuote: -900n * USD, imfFloorPpm: 0, positions: [{ marketId: 1, sizeBase: 10n * BTC, quoteBalance: -30_000n * USD, fundingSnapshot: 0n }, longBtc()], isolated: [] },
      ],
    }, { close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 250_000 });
    // Account 1 first (equity/MM -0.2 < 2/3): BTC deficit 600, ETH 300; account 0: fee 600 = 150 + 450.
    expect(log.map((r) => [r.accountId, r.marketId, r.deficitQuote, r.liquidatorFeeQuote, r.fundFeeQuote])).toEqual([
      [1, 0, 600n * USD, 0n, 0n], [1, 1, 300n * USD, 0n, 0n], [0, 0, 0n, 150n * USD, 450n * USD],
    ]);
    expect([engine.insuranceFund(), engine.insuranceFund(0), engine.insuranceFund(1)]).toEqual([0n, 450n * USD, 0n]);
  });

  it('backstop: a merge to size 0 realizes the quote; an isolated group moves to the backstop', async () => {
    const { log } = await round({
      markets: [market()],
      accounts: [
        { collateralQuote: 10_000n * USD, imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase: -BTC, quoteBalance: 61_000n * USD, fundingSnapshot: 0n }], isolated: [] },
        { collateralQuote: 7n * USD, imfFloorPpm: 0, positions: [], isolated: [{ ...longBtc(), collateralQuote: 500n * USD }] },
      ],
    }, { backstopPpm: 666_667, backstopAccountId: 0 });
    expect(log.map((r) => [r.kind, r.realizedPnlQuote, r.transferQuote])).toEqual([['transfer', 1_000n * USD, 500n * USD]]);
  });

  it('deficit cap after the dust rule: the search runs over c\'_k = min(k step, c) up to the close the dust rule made', async () => {
    // Reduced from a random book. One isolated short, D = 10^7, mark 99,200, step 7, tiers:
    //   s = -78,256,932,900, quote 728,133,810, collateral -106,804,303, snapshot one atom above the short
    //   index: owed = ceil(s * (-53,008 + 53,009) / 1e7) = -7,825; v = floor(s * m / D) = -776,308,775;
    //   E = -106,804,303 + (-776,308,775 + 728,133,810) + 7,825 = -154,971,443 (bankrupt), E_i = E.
    // Policy: full, fraction 50 %, minimum close 600 USD, deficit cap Q = 4 USD.
    // 1. capFrac = floor(floor(|s| / 2) / 7) * 7 = 39,128,466,447; minSize = ceil(ceil(600e6 * 1e7 / 99,200) / 7) * 7
    //    = 60,483,870,972 = cap; K = ceil(cap / 7) = 8,640,552,996.
    // 3. Dust: floor((|s| - cap) * m / D) = 176,308,774 < 600e6 -> c = |s|.
    // 4. deficit(|s|) = 154,971,443 > Q. deficit(c) = -(ceil(E * c / |s|) + dE(c)) with dE in {0, -1}: not
    //    monotone (deficit(2,019,906,154) = 4,000,001, deficit(2,019,906,350) = 4,000,000).
    //    The spec's search runs over c'_k = min(7k, c) with c = |s| (the dust rule's close), K' = ceil(|s| / 7),
    //    for the first k with deficit(c'_k) > Q; c = (lo - 1) * 7 = 2,019,906,147, whose deficit is <= Q
    //    (the step-down that guards the cap against the rounding dips changes nothing here).
    //    (Searching over c_k = min(7k, cap) instead would end at 2,019,906,350.)
    const tiers: RefCurve = { kind: 'tiers', tiers: [
      { notionalFloorQuote: 0n, imfPpm: 54_785, mmfPpm: 7_694 }, { notionalFloorQuote: 500_000n, imfPpm: 82_460, mmfPpm: 34_136 },
      { notionalFloorQuote: 500_459n, imfPpm: 35_793, mmfPpm: 34_136 }, { notionalFloorQuote: 625_000n, imfPpm: 101_441, mmfPpm: 55_712 },
      { notionalFloorQuote: 625_379n, imfPpm: 201_894, mmfPpm: 55_712 },
    ] };
    const book: LiqBook = {
      markets: [{ baseDecimals: 7, markPrice: 99_200n, fundingIndexLong: 0n, fundingIndexShort: -53_008n, curve: tiers, stepBase: 7n }],
      accounts: [{ collateralQuote: 0n, imfFloorPpm: 0, positions: [], isolated: [
        { marketId: 0, sizeBase: -78_256_932_900n, quoteBalance: 728_133_810n, fundingSnapshot: -53_009n, collateralQuote: -106_804_303n },
      ] }],
    };
    const policy: LiquidationPolicy = { close: 'full', maxCloseFractionPpm: 500_000, minCloseNotionalQuote: 600n * USD, maxDeficitPerRoundQuote: 4n * USD };
    const expected: PlanRow[] = [{ accountId: 0, marketId: 0, isolatedId: 0, kind: 'close', sizeBase: 2_019_906_147n, priceQuote: 99_200n }];
    const ref = checkBook(book);
    expect(ref.isolated[0]!.equityQuote).toBe(-154_971_443n);
    expect(planRound(book, policy, ref.riskOrder, ref.isolatedRiskOrder)).toEqual(expected);
    const engine = await loaded(book);
    engine.check();
    expect(enginePlanRows(engine.planLiquidations(policy))).toEqual(expected);
  });

  it('settlement of an account with no position and negative collateral', async () => {
    const { log } = await round({ markets: [market()], accounts: [{ collateralQuote: -500n * USD, imfFloorPpm: 0, positions: [], isolated: [] }] }, {});
    expect(log.map((r) => [r.kind, r.marketId, r.sizeBase, r.deficitQuote])).toEqual([['settle', null, 0n, 500n * USD]]);
  });
});

// ---- Positions of size 0 -----------------------------------------------------------------------
//
// A loaded position may have size 0 and a quote balance (the margin formulas allow it: it contributes
// its quote only). The spec: it has neither price (both NEVER); a plan gives it a close of d = 0 that
// moves its quote balance to collateral (its share is E_i = ceil(E * 0 / M) = 0, or E when M = 0);
// a backstop transfer moves it (d = 0) with the rest.

describe('liquidation parity with positions of size 0', () => {
  it('prices: a lone position of size 0 in a group with E >= M', async () => {
    // Collateral 1,000 USD, one cross position of size 0 with quote 5 atoms: E = 1,000.000005, M = 0.
    // LP: A0 = E - M > 0 -> NEVER; BP: the share E_i = 0 (MM_i = 0), no shortfall -> NEVER.
    const book: LiqBook = { markets: [market()], accounts: [{ collateralQuote: 1_000n * USD, imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase: 0n, quoteBalance: 5n, fundingSnapshot: 0n }], isolated: [] }] };
    const expected = [{ marketId: 0, isolatedId: null, sizeBase: 0n, liquidationPriceQuote: PRICE_NEVER, bankruptcyPriceQuote: PRICE_NEVER }];
    expect(positionPrices(book, 0)).toEqual(expected);
    const engine = await loaded(book);
    engine.check();
    expect(engine.positionPrices(0)).toEqual(expected.map((r) => ({ accountId: 0, ...r })));
  });

  it('prices: a position of size 0 in a liquidatable group has neither price', async () => {
    // Long 1 BTC with collateral 1,000 (E = 1,000.000005 < M = 3,000) and a size-0 position in market 1
    // holding 5 atoms: moving market 1's mark changes nothing, and closing it trades nothing: the spec
    // gives it neither price (NEVER, NEVER); the group's liquidation is told by the long's prices.
    const book: LiqBook = { markets: [market(), market()], accounts: [{ collateralQuote: 1_000n * USD, imfFloorPpm: 0, positions: [longBtc(), { marketId: 1, sizeBase: 0n, quoteBalance: 5n, fundingSnapshot: 0n }], isolated: [] }] };
    const expected = { accountId: 0, marketId: 1, isolatedId: null, sizeBase: 0n, liquidationPriceQuote: PRICE_NEVER, bankruptcyPriceQuote: PRICE_NEVER };
    expect(positionPrices(book, 0)[1]).toEqual({ ...expected, accountId: undefined });
    const engine = await loaded(book);
    engine.check();
    expect(engine.positionPrices(0).find((r) => r.marketId === 1)).toEqual(expected);
  });

  it('planning: a size-0 position gets a close of d = 0 and planning goes on', async () => {
    // Account 0: an isolated size-0 position with quote 5 and collateral -100 (E = -95 < M = 0).
    // Account 1: long 1 BTC with collateral 1,000 and a size-0 position in market 1 (E < M = 3,000).
    // Full closes, maintenance order: account 1's long (MM 3,000) closes whole at the mark, then its
    // size-0 position (MM 0) gets d = 0; then the isolated groups: account 0's gets d = 0.
    const book: LiqBook = {
      markets: [market(), market()],
      accounts: [
        { collateralQuote: 0n, imfFloorPpm: 0, positions: [], isolated: [{ marketId: 0, sizeBase: 0n, quoteBalance: 5n, fundingSnapshot: 0n, collateralQuote: -100n }] },
        { collateralQuote: 1_000n * USD, imfFloorPpm: 0, positions: [{ marketId: 1, sizeBase: 0n, quoteBalance: 5n, fundingSnapshot: 0n }, longBtc()], isolated: [] },
      ],
    };
    const expected: PlanRow[] = [
      { accountId: 1, marketId: 0, isolatedId: null, kind: 'close', sizeBase: -BTC, priceQuote: 60_000n * USD },
      { accountId: 1, marketId: 1, isolatedId: null, kind: 'close', sizeBase: 0n, priceQuote: book.markets[1]!.markPrice },
      { accountId: 0, marketId: 0, isolatedId: 0, kind: 'close', sizeBase: 0n, priceQuote: book.markets[0]!.markPrice },
    ];
    const ref = checkBook(book);
    expect(planRound(book, { close: 'full' }, ref.riskOrder, ref.isolatedRiskOrder)).toEqual(expected);
    const engine = await loaded(book);
    engine.check();
    expect(enginePlanRows(engine.planLiquidations({ close: 'full' }))).toEqual(expected);
  });

  it('prices', async () => {
    let rows = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const { book } = liquidationBook(46_000 + seed, { keepEmpty: true });
      if (overflows(book)) continue;
      const engine = await loaded(book);
      expectParity(engine, book);
      rows += expectPricesParity(engine, book, false, `seed ${seed}`);
    }
    expect(rows).toBeGreaterThan(100);
  });

  it('rounds and backstop transfers', async () => {
    await eachSeed(16, async (seed) => {
      const { book, backstopId } = liquidationBook(47_000 + seed, { keepEmpty: true, distress: 0.2 });
      if (overflows(book)) return;
      const engine = await loaded(book);
      const policy = seed % 2 === 0 ? randomPolicy(new Rng(seed), book, backstopId) : { close: 'full' as const, backstopPpm: 1_000_000, backstopAccountId: backstopId };
      const state = createLiquidationState(book);
      parityRound(engine, book, state, policy, 1, { byKey: false, label: `seed ${seed}`, prices: false });
    });
  });
});
