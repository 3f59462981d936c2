/**
 * Invariants of loss allocation (docs/WATERFALL.md) on the engine alone: random distressed books
 * (seeded generateBook), parties (funds, operator capital, clearing members, a vault with liquidity
 * providers), liquidation cascades producing deficit records, and random waterfalls drawn by
 * fast-check over all eleven kinds of steps. Properties:
 * - conservation: the ledger total is unchanged by allocateLosses;
 * - bounds: covers + uncovered = the deficit, per record; per step the report's cover equals the
 *   audit's; pooled steps' pay records sum to their covers; ADL closes only reduce positions opposite
 *   to a bankrupt close in their market, of accounts holding one; socialization is paid by positions
 *   of the record's market only and moves no funding index; no payer above its cap (a group's gains
 *   haircuts summed over the run's steps within its gains, member assessments, backstop capacities
 *   and collateral, insurance floors);
 * - solvency: a group at or above zero equity before a run is at or above zero after it, except a
 *   member assessed beyond its equity, which the report counts (paidBeyondEquityQuote);
 * - determinism: the same inputs give the same audit JSON, reports and book;
 * - atomicity: a refused setWaterfall or allocateLosses changes nothing (the book digest of
 *   test/support, balances, members, vault, audit log, pending deficits) and the active waterfall
 *   stays in force.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditLog, RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import type { AdlCandidate, AllocationReport, Tranche, TrancheKind, WaterfallConfig } from '../../src/index.js';
import { checkBook, type RefMarket } from '../reference/model.js';
import { fundingOwedQuote, type LiqBook } from '../reference/liquidation.js';
import { generateBook, loadIntoEngine, P62 } from '../support/book.js';
import { createEngine, stateDigest } from '../support/engine.js';
import { expectExercised, RunCount } from '../support/runs.js';
import { opt, trancheArb as sharedTrancheArb } from '../support/tranches.js';

const PPM = 1_000_000n;
/**
 * Shares of draws whose book is in range (fc.pre; `build` returns undefined otherwise), measured with
 * the properties' seeds: 25 of 25, 40 of 40 and 30 of 30 (250, 400 and 300 of as many at ten times the
 * runs). Bound 80 %.
 */
const [SHARE_DETERMINISM, SHARE_SET, SHARE_ALLOCATE] = [0.8, 0.8, 0.8];
const show = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
const sign = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
const POOLED: readonly TrancheKind[] = ['socializeFunding', 'haircutGains', 'haircutDeposits', 'haircutVaultShares', 'membersFund', 'assessments'];

// ---- Books and parties --------------------------------------------------------------------------

interface Draw { seed: number; markets: number; accounts: number; distress: number; shockPpm: number; own: boolean; vaultCollateral: bigint; members: number[]; deposits: number[] }

/** Accounts 0 (the vault), 1 and 2 (providers) come first and hold no positions; then a distressed book. */
const VAULT = 0;
const PROVIDERS = [1, 2];

function bookOf(d: Draw): LiqBook | undefined {
  const book = generateBook({ seed: d.seed, accounts: d.accounts, markets: d.markets, isolated: 0.35, extreme: 0, distress: d.distress }) as LiqBook;
  for (const a of book.accounts) {
    a.positions = a.positions.filter((p) => p.sizeBase !== 0n);
    a.isolated = a.isolated.filter((p) => p.sizeBase !== 0n);
  }
  book.markets.forEach((m, i) => {
    m.insuranceFund = d.own && i % 2 === 0 ? 'own' : 'global';
    const mark = m.markPrice * BigInt(1_000_000 + d.shockPpm) / PPM;
    m.markPrice = mark < 1n ? 1n : mark > P62 ? P62 : mark;
  });
  const empty = (collateralQuote: bigint) => ({ collateralQuote, imfFloorPpm: 0, positions: [], isolated: [] });
  book.accounts.unshift(empty(d.vaultCollateral), empty(10n ** 14n), empty(10n ** 9n));
  try { checkBook(book); } catch { return undefined; }
  return book;
}

async function build(d: Draw): Promise<RiskEngine | undefined> {
  const book = bookOf(d);
  if (!book) return undefined;
  const engine = await createEngine();
  loadIntoEngine(engine, book);
  engine.depositInsuranceFund(10n ** BigInt(3 + (d.seed % 10)));
  book.markets.forEach((_, m) => engine.depositInsuranceFund(10n ** BigInt(2 + ((d.seed >> m) % 12)), m));
  engine.depositOperatorCapital(1, 10n ** BigInt(3 + (d.seed % 9)));
  engine.depositOperatorCapital(2, 10n ** BigInt(4 + (d.seed % 7)));
  for (const [i, m] of d.members.entries()) engine.addDefaultFundContribution(m % book.accounts.length, 10n ** BigInt(3 + ((d.seed + i) % 10)));
  engine.setVaultAccount(VAULT);
  for (const [i, x] of d.deposits.entries()) {
    try { engine.vaultDeposit(PROVIDERS[i % 2]!, BigInt(x)); } catch (e) { if (!(e instanceof RiskCoreError)) throw e; }
  }
  return engine;
}

const drawArb: fc.Arbitrary<Draw> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }), markets: fc.integer({ min: 1, max: 3 }), accounts: fc.integer({ min: 5, max: 14 }),
  distress: fc.constantFrom(0.1, 0.25, 0.45), shockPpm: fc.integer({ min: -300_000, max: 300_000 }), own: fc.boolean(),
  vaultCollateral: fc.constantFrom(0n, 1_000n, 10n ** 9n), members: fc.array(fc.integer({ min: 0, max: 16 }), { maxLength: 5 }),
  deposits: fc.array(fc.integer({ min: 1, max: 10_000_000 }), { maxLength: 4 }),
});

// ---- Waterfalls ---------------------------------------------------------------------------------

const custom = (c: AdlCandidate): number => Number((c.unrealizedPnlQuote * 7n + c.notionalQuote + c.equityQuote * 3n + c.collateralQuote + BigInt(c.accountId)) % 997n);
const amountArb = fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 1, max: 9 })).map(([k, d]) => 10n ** BigInt(k) * BigInt(d));

const trancheArb: fc.Arbitrary<Tranche> = sharedTrancheArb({
  amount: amountArb, funds: ['market', 'global'], maxProviderId: 6,
  ranking: fc.constantFrom<Extract<Tranche, { kind: 'adl' }>['ranking']>('pnl', 'bitmex', 'binance', 'hyperliquid', 'randomWalk', 'largest', custom),
  price: fc.constantFrom('bankruptcy' as const, 'mark' as const),
});
const stepsArb = fc.uniqueArray(trancheArb, { selector: (t) => t.kind, minLength: 1, maxLength: 11 });
/** socializeFunding (and often haircutGains before it) first, then steps other than ADL: the socialization and gains checks apply. */
const focusedArb: fc.Arbitrary<WaterfallConfig> = fc.tuple(
  trancheArb.filter((t) => t.kind === 'haircutGains'), fc.boolean(),
  fc.uniqueArray(trancheArb.filter((t) => t.kind !== 'adl' && t.kind !== 'haircutGains' && t.kind !== 'socializeFunding'), { selector: (t) => t.kind, maxLength: 6 }),
).map(([gains, gainsFirst, rest]) => ({ steps: [...(gainsFirst ? [gains] : []), { kind: 'socializeFunding' } as Tranche, ...rest] }));
const configArb: fc.Arbitrary<WaterfallConfig> = fc.record({ steps: stepsArb, group: opt(fc.record({ markets: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1 }), steps: stepsArb })) })
  .map(({ steps, group }) => ({ steps, ...(group ? { groups: [group] } : {}) }));

/** The config for a book with `markets` markets (group markets beyond it dropped). */
function fit(config: WaterfallConfig, markets: number): WaterfallConfig {
  const groups = (config.groups ?? []).map((g) => ({ ...g, markets: g.markets.filter((m) => m < markets) })).filter((g) => g.markets.length > 0);
  return { steps: config.steps, ...(groups.length ? { groups } : {}) };
}

/** Events: a mark move (ppm) and the seconds that pass before each. */
const eventsArb = fc.array(fc.tuple(fc.integer({ min: -250_000, max: 250_000 }), fc.constantFrom(0, 1, 300, 3_600, 50_000)), { minLength: 1, maxLength: 3 });

// ---- Observations ---------------------------------------------------------------------------------

type Positions = Map<string, bigint>;
function positionsOf(engine: RiskEngine): Positions {
  const out: Positions = new Map();
  for (let a = 0; a < engine.accountCount; a++) {
    const s = engine.account(a);
    for (const p of s.positions) out.set(`${a}/${p.marketId}`, p.sizeBase);
    for (const p of s.isolated) out.set(`${a}/${p.marketId}`, p.sizeBase);
  }
  return out;
}

/** Everything a refused call must leave as it was. */
function digest(engine: RiskEngine): string {
  return [stateDigest(engine), show(engine.ledger()), show(engine.waterfallBalances()), show(engine.clearingMembers()), show(engine.vault()),
    show(engine.deficits()), String(engine.auditLog.length), show(Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m)))].join('|');
}

/** Unrealized PnL v of a position at the market's state now. */
function pnl(engine: RiskEngine, marketId: number, p: { sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }): bigint {
  const m = engine.market(marketId);
  const market: RefMarket = { baseDecimals: m.baseDecimals, markPrice: m.markPrice, fundingIndexLong: m.fundingIndexLong, fundingIndexShort: m.fundingIndexShort, curve: { kind: 'flat', imfPpm: 0, mmfPpm: 0 } };
  const D = 10n ** BigInt(m.baseDecimals);
  const value = p.sizeBase * m.markPrice;
  return (value >= 0n ? value / D : -((-value + D - 1n) / D)) + p.quoteBalance - fundingOwedQuote(market, { marketId, ...p });
}

interface Before { ledger: bigint; positions: Positions; collateral: bigint[]; funds: bigint[]; indices: [bigint, bigint][]; gains: Map<string, bigint>; equity: Map<string, bigint> }

/** Equity of every group now: `a/cross` (collateral + Σ v) and `a/iso/m` (its collateral + v). */
function equities(engine: RiskEngine): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (let a = 0; a < engine.accountCount; a++) {
    const s = engine.account(a);
    if (!s.open) continue;
    out.set(`${a}/cross`, s.collateralQuote + sum(s.positions.map((p) => pnl(engine, p.marketId, p))));
    for (const p of s.isolated) out.set(`${a}/iso/${p.marketId}`, p.collateralQuote + pnl(engine, p.marketId, p));
  }
  return out;
}

function observe(engine: RiskEngine): Before {
  // gains: per group, the sum of its positions' positive gains (what any haircuts of it can take in all).
  const gains = new Map<string, bigint>();
  const collateral: bigint[] = [];
  for (let a = 0; a < engine.accountCount; a++) {
    const s = engine.account(a);
    collateral.push(s.collateralQuote);
    gains.set(`${a}/cross`, sum(s.positions.map((p) => pnl(engine, p.marketId, p)).filter((v) => v > 0n)));
    for (const p of s.isolated) { const v = pnl(engine, p.marketId, p); gains.set(`${a}/iso/${p.marketId}`, v > 0n ? v : 0n); }
  }
  return {
    ledger: engine.ledger().totalQuote, positions: positionsOf(engine), collateral, gains, equity: equities(engine),
    funds: [engine.insuranceFund(), ...Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m))],
    indices: Array.from({ length: engine.marketCount }, (_, m) => [engine.market(m).fundingIndexLong, engine.market(m).fundingIndexShort]),
  };
}

// ---- The checks of one run ------------------------------------------------------------------------

const stats: Record<string, number> = {};
const count = (k: string, n = 1): void => { stats[k] = (stats[k] ?? 0) + n; };

function checkRun(engine: RiskEngine, config: WaterfallConfig, before: Before, report: AllocationReport, backstopPaid: Map<string, bigint>): void {
  const log = engine.auditLog;
  const event = report.event;
  const deficits = log.deficits(event);
  const records = log.records().filter((r) => r.event === event);
  const lists = [config.steps, ...(config.groups ?? []).map((g) => g.steps)];
  const kinds = lists.flat().map((t) => t.kind);
  count('deficits', deficits.length);
  // Conservation.
  expect(engine.ledger().totalQuote, 'ledger').toBe(before.ledger);
  // Per record: covers + uncovered = D_k; the report adds up.
  for (const d of deficits) {
    const a = log.forDeficit(event, d.index);
    expect(a.coveredQuote + a.uncoveredQuote, `deficit ${d.index}`).toBe(d.amountQuote);
  }
  expect(sum(report.steps.map((s) => s.coveredQuote)) + report.uncoveredQuote).toBe(report.deficitQuote);
  // Per step: the report's cover is the audit's; pooled pay = covers; single payers pay no pay records.
  const totals = log.totalsByTranche(event);
  report.steps.forEach((s) => {
    const t = totals.find((x) => x.waterfall === s.waterfall && x.step === s.step)!;
    expect(t.coveredQuote, `${s.kind}: covered`).toBe(s.coveredQuote);
    if (POOLED.includes(s.kind)) expect([t.paidQuote, t.residueQuote], `${s.kind}: paid, residue`).toEqual([t.coveredQuote, 0n]);
    else if (s.kind === 'socializeFunding') expect(t.paidQuote, 'socializeFunding: paid').toBe(t.coveredQuote + t.residueQuote);
    else expect(t.paidQuote, `${s.kind}: paid`).toBe(0n);
    if (s.coveredQuote > 0n) count(`covered:${s.kind}`);
  });
  expect(sum(totals.map((t) => t.residueQuote))).toBe(report.residueQuote);
  // ADL: records name accounts that held a position on the candidate side (the sign of d_k) in the
  // record's market; every size that moved was such a position, reduced without flipping.
  const candidateSide = new Map<number, Set<bigint>>();
  for (const d of deficits) if (d.marketId !== null && d.sizeBase !== 0n) (candidateSide.get(d.marketId) ?? candidateSide.set(d.marketId, new Set()).get(d.marketId)!).add(sign(d.sizeBase));
  for (const r of records.filter((x) => x.tranche === 'adl')) {
    const d = deficits[r.deficit!]!;
    const held = before.positions.get(`${r.accountId}/${r.marketId}`) ?? 0n;
    expect(sign(held), `ADL record ${show(r)}: the counterparty's position before`).toBe(sign(d.sizeBase));
    expect(r.accountId).not.toBe(d.accountId);
    if (r.role === 'cover') expect(sign(r.sizeBase) === -sign(d.sizeBase) && abs(r.sizeBase) <= abs(held), `ADL close ${show(r)}`).toBe(true);
    count('adl records');
  }
  const after = positionsOf(engine);
  for (const key of new Set([...before.positions.keys(), ...after.keys()])) {
    const s0 = before.positions.get(key) ?? 0n, s1 = after.get(key) ?? 0n;
    if (s0 === s1) continue;
    const m = Number(key.split('/')[1]);
    expect(kinds.includes('adl') && (candidateSide.get(m)?.has(sign(s0)) ?? false), `position ${key} moved ${s0} -> ${s1}`).toBe(true);
    expect(s1 === 0n || (sign(s1) === sign(s0) && abs(s1) < abs(s0)), `position ${key} reduced`).toBe(true);
    count('positions deleveraged');
  }
  // Socialization: paid by positions of the record's market only (an account with none pays nothing),
  // out of collateral: no funding index moves.
  for (const r of records.filter((x) => x.tranche === 'socializeFunding' && x.role === 'pay')) {
    expect(before.positions.get(`${r.accountId}/${r.marketId}`) ?? 0n, `socialization payer ${show(r)} held a position`).not.toBe(0n);
    count('socialization pays checked');
  }
  for (let m = 0; m < engine.marketCount; m++) {
    const now = engine.market(m);
    expect([now.fundingIndexLong, now.fundingIndexShort], `funding indices of market ${m}`).toEqual(before.indices[m]);
  }
  // Gains haircuts take the gain itself: per group, what all the run's haircut steps took is within
  // the positive gains it had at the run's start (ADL, which realizes gains, must not run before).
  const adlBefore = (w: number, j: number): boolean => [...lists.slice(0, w).flat(), ...lists[w]!.slice(0, j)].some((t) => t.kind === 'adl');
  if (!lists.some((l, w) => l.some((t, j) => t.kind === 'haircutGains' && adlBefore(w, j)))) {
    const taken = new Map<string, bigint>();
    for (const r of records.filter((x) => x.tranche === 'haircutGains' && x.role === 'pay')) {
      // An isolated payer's record names its market; a cross payer's names the record's market (scope
      // market) or none (scope all). One position per market: the group is the one that held it.
      const isoKey = `${r.accountId}/iso/${r.marketId}`;
      const key = r.marketId !== null && before.gains.has(isoKey) ? isoKey : `${r.accountId}/cross`;
      taken.set(key, (taken.get(key) ?? 0n) + r.amountQuote);
    }
    for (const [key, x] of taken) {
      expect(x <= before.gains.get(key)!, `gains haircut ${key}: ${x} of ${before.gains.get(key)}`).toBe(true);
      count('gain haircuts checked');
    }
  }
  // Solvency: no group at or above zero before the run ends below it, except members assessed beyond
  // their equity; the report counts at least what they fell below zero by.
  const equityAfter = equities(engine);
  let below = 0n;
  for (const [key, e0] of before.equity) {
    const e1 = equityAfter.get(key);
    if (e1 === undefined || e0 < 0n || e1 >= 0n) continue;
    const a = Number(key.split('/')[0]);
    const assessed = records.some((r) => r.tranche === 'assessments' && r.role === 'pay' && r.accountId === a);
    expect(assessed && key.endsWith('/cross'), `group ${key} solvent before the run (${e0}) ends at ${e1}`).toBe(true);
    below += -e1;
    count('assessed below zero');
  }
  expect(below <= report.paidBeyondEquityQuote, `below zero ${below}, reported ${report.paidBeyondEquityQuote}`).toBe(true);
  count('solvency checked');
  // Members: assessed <= floor(K multiple / 10^6) of the waterfall's (largest) multiple; funds >= 0.
  const multiple = Math.max(0, ...lists.flat().map((t) => (t.kind === 'assessments' ? t.multiplePpm : 0)));
  for (const m of engine.clearingMembers()) {
    expect(m.fundQuote >= 0n && m.fundQuote <= m.committedQuote, show(m)).toBe(true);
    if (multiple > 0) expect(m.assessedQuote <= (m.committedQuote * BigInt(multiple)) / PPM, show(m)).toBe(true);
    if (m.assessedQuote > 0n) count('members assessed');
  }
  // Backstop providers: each pays at most its collateral, and at most its capacity over the
  // waterfall's life.
  lists.forEach((list, w) => list.forEach((t, j) => {
    if (t.kind !== 'backstopVault' || !t.providers) return;
    for (const p of t.providers) {
      const paid = sum(records.filter((r) => r.waterfall === w && r.step === j && r.accountId === p.accountId).map((r) => r.amountQuote));
      const c0 = before.collateral[p.accountId]!;
      // (Only an ADL close can raise a collateral during a run.)
      if (!kinds.includes('adl')) expect(paid <= (c0 > 0n ? c0 : 0n), `provider ${p.accountId} paid ${paid} of ${c0}`).toBe(true);
      const key = `${w}/${j}/${p.accountId}`;
      backstopPaid.set(key, (backstopPaid.get(key) ?? 0n) + paid);
      if (p.capacityQuote) expect(backstopPaid.get(key)! <= BigInt(p.capacityQuote), `provider ${p.accountId} over its capacity`).toBe(true);
    }
  }));
  // Insurance: a fund falls to the floor of the steps drawing on it at most (the smallest floor).
  const floors = lists.flat().flatMap((t) => (t.kind === 'insuranceFund' ? [BigInt(t.floorQuote ?? 0n)] : []));
  const floor = floors.reduce((a, b) => (b < a ? b : a), floors[0] ?? 0n);
  const funds = [engine.insuranceFund(), ...Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m))];
  funds.forEach((f, i) => {
    const f0 = before.funds[i]!;
    expect(f >= 0n && f <= f0, `fund ${i}`).toBe(true);
    if (f < f0) expect(f >= (f0 < floor ? f0 : floor), `fund ${i} below the floor ${floor}`).toBe(true);
  });
}

/** Builds the engine, sets the waterfall and runs the events (liquidation cascade, then allocation); checks each run. */
async function runAll(d: Draw, rawConfig: WaterfallConfig, events: [number, number][], check = true): Promise<{ engine: RiskEngine; reports: AllocationReport[] } | undefined> {
  const engine = await build(d);
  if (!engine) return undefined;
  const config = fit(rawConfig, engine.marketCount);
  engine.setWaterfall(config);
  const reports: AllocationReport[] = [];
  const backstopPaid = new Map<string, bigint>();
  let nowSec = 1_000;
  for (const [movePpm, dt] of events) {
    if (reports.length > 0) {
      const marks = Array.from({ length: engine.marketCount }, (_, m) => engine.market(m).markPrice * BigInt(1_000_000 + movePpm) / PPM);
      engine.setMarks(marks.map((_, m) => m), marks.map((x) => (x < 1n ? 1n : x)));
    }
    try { engine.liquidate({ close: 'full', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 }, { maxRounds: 6 }); } catch (e) {
      if (e instanceof RiskCoreError && e.codeName === 'Overflow') break; // a mark move took the book out of range
      throw e;
    }
    nowSec += dt;
    const before = check ? observe(engine) : undefined;
    const report = engine.allocateLosses({ nowSec });
    if (before) checkRun(engine, config, before, report, backstopPaid);
    reports.push(report);
  }
  return { engine, reports };
}

// ---- Properties ---------------------------------------------------------------------------------

describe('waterfall invariants (engine)', () => {
  it('conservation, allocation bounds, ADL sides, socialization by positions, caps, solvency', async () => {
    await fc.assert(fc.asyncProperty(drawArb, configArb, eventsArb, async (d, config, events) => {
      await runAll(d, config, events);
    }), { seed: 20_260_301, numRuns: 120 });
    await fc.assert(fc.asyncProperty(drawArb, focusedArb, eventsArb, async (d, config, events) => {
      await runAll(d, config, events);
    }), { seed: 20_260_305, numRuns: 60 });
    for (const k of ['deficits', 'adl records', 'positions deleveraged', 'socialization pays checked', 'gain haircuts checked', 'members assessed', 'covered:backstopVault', 'covered:haircutVaultShares', 'covered:insuranceFund', 'solvency checked']) {
      expect(stats[k] ?? 0, `${k}: ${show(stats)}`).toBeGreaterThan(2);
    }
  });

  it('determinism: the same inputs give the same audit JSON, reports and book', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(drawArb, configArb, eventsArb, async (d, config, events) => {
      runs.draw();
      const a = await runAll(d, config, events, false);
      const b = await runAll(d, config, events, false);
      fc.pre(a !== undefined && b !== undefined); // a book out of range is not built
      expect(show(a.engine.auditLog.toJSON())).toBe(show(b.engine.auditLog.toJSON()));
      expect(show(a.reports)).toBe(show(b.reports));
      expect(digest(a.engine)).toBe(digest(b.engine));
      // The JSON form restores the log exactly.
      expect(show(AuditLog.fromJSON(a.engine.auditLog.toJSON()).records())).toBe(show(a.engine.auditLog.records()));
      runs.hit();
    }), { seed: 20_260_302, numRuns: 25 });
    expectExercised(runs, 25, SHARE_DETERMINISM);
  });

  /** Ways to spoil a valid config; each must be refused with InvalidWaterfall (or UnknownAccount / UnknownMarket for ids). */
  const SPOIL: Record<string, (c: WaterfallConfig) => WaterfallConfig> = {
    noSteps: () => ({ steps: [] }),
    repeatedKind: (c) => ({ ...c, steps: [...c.steps, c.steps[0]!] }),
    negativeAmount: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'insuranceFund'), { kind: 'insuranceFund', floorQuote: -1n }] }),
    amountAbove2p62: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'insuranceFund'), { kind: 'insuranceFund', maxPerDeficitQuote: P62 + 1n }] }),
    ppmAbove1e6: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'haircutGains'), { kind: 'haircutGains', maxHaircutPpm: 1_000_001 }] }),
    drawdownWithoutWindow: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'insuranceFund'), { kind: 'insuranceFund', drawdownPpm: 300_000 }] }),
    topK0: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'adl'), { kind: 'adl', ranking: 'largest', topK: 0 }] }),
    unknownRanking: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'adl'), { kind: 'adl', ranking: 'volume' as 'pnl' }] }),
    unknownFund: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'insuranceFund'), { kind: 'insuranceFund', fund: 200 }] }),
    weightsNot1e6: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'backstopVault'), { kind: 'backstopVault', providers: [{ accountId: 1, weightPpm: 400_000 }, { accountId: 2, weightPpm: 400_000 }] }] }),
    assessmentsMultiple0: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'assessments'), { kind: 'assessments', multiplePpm: 0 }] }),
    multipleAbove1e8: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'assessments'), { kind: 'assessments', multiplePpm: 100_000_001 }] }),
    marketInTwoGroups: (c) => ({ ...c, groups: [{ markets: [0], steps: [{ kind: 'defaulterFund' }] }, { markets: [0], steps: [{ kind: 'defaulterFund' }] }] }),
    emptyGroup: (c) => ({ ...c, groups: [{ markets: [0], steps: [] }] }),
    unknownProvider: (c) => ({ ...c, steps: [...c.steps.filter((t) => t.kind !== 'backstopVault'), { kind: 'backstopVault', providers: [{ accountId: 9_999 }] }] }),
    unknownGroupMarket: (c) => ({ ...c, groups: [{ markets: [77], steps: [{ kind: 'defaulterFund' }] }] }),
  };

  it('atomicity: a refused setWaterfall changes nothing, and the active waterfall stays', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(drawArb, configArb, configArb, fc.constantFrom(...Object.keys(SPOIL)), async (d, active, base, how) => {
      runs.draw();
      const twin = await build(d);
      const engine = await build(d);
      fc.pre(engine !== undefined && twin !== undefined); // a book out of range is not built
      const config = fit(active, engine.marketCount);
      engine.setWaterfall(config);
      twin.setWaterfall(config);
      engine.liquidate({ close: 'full' }, { maxRounds: 4 });
      twin.liquidate({ close: 'full' }, { maxRounds: 4 });
      const before = digest(engine);
      let thrown: unknown;
      try { engine.setWaterfall(SPOIL[how]!(fit(base, engine.marketCount))); } catch (e) { thrown = e; }
      expect(thrown, how).toBeInstanceOf(RiskCoreError);
      expect(['InvalidWaterfall', 'UnknownAccount', 'UnknownMarket'], String(thrown)).toContain((thrown as RiskCoreError).codeName);
      expect(digest(engine), how).toBe(before);
      // The active waterfall is still the one in force: the run equals the twin's.
      const r1 = engine.allocateLosses({ nowSec: 10 }), r2 = twin.allocateLosses({ nowSec: 10 });
      expect(show(r1)).toBe(show(r2));
      expect(show(engine.auditLog.toJSON())).toBe(show(twin.auditLog.toJSON()));
      expect(digest(engine)).toBe(digest(twin));
      runs.hit();
    }), { seed: 20_260_303, numRuns: 40 });
    expectExercised(runs, 40, SHARE_SET);
  });

  it('atomicity: a refused allocateLosses changes nothing (time going back, no waterfall, bad nowSec)', async () => {
    const runs = new RunCount();
    await fc.assert(fc.asyncProperty(drawArb, configArb, fc.constantFrom('back', 'none', 'negative', 'fraction'), async (d, active, how) => {
      runs.draw();
      const engine = await build(d);
      const twin = await build(d);
      fc.pre(engine !== undefined && twin !== undefined); // a book out of range is not built
      const config = fit(active, engine.marketCount);
      for (const e of [engine, twin]) {
        if (how !== 'none') {
          e.setWaterfall(config);
          e.allocateLosses({ nowSec: 5_000 });
        }
        e.liquidate({ close: 'full' }, { maxRounds: 4 });
      }
      const before = digest(engine);
      const nowSec = { back: 4_999, none: 6_000, negative: -1, fraction: 5_000.5 }[how]!;
      let thrown: unknown;
      try { engine.allocateLosses({ nowSec }); } catch (e) { thrown = e; }
      expect(thrown, how).toBeInstanceOf(RiskCoreError);
      expect(digest(engine), how).toBe(before);
      // Nothing half-done: after setting the waterfall (if none was) both run the same next event.
      if (how === 'none') for (const e of [engine, twin]) e.setWaterfall(config);
      const r1 = engine.allocateLosses({ nowSec: 6_000 }), r2 = twin.allocateLosses({ nowSec: 6_000 });
      expect(show(r1)).toBe(show(r2));
      expect(show(engine.auditLog.toJSON())).toBe(show(twin.auditLog.toJSON()));
      expect(digest(engine)).toBe(digest(twin));
      runs.hit();
    }), { seed: 20_260_304, numRuns: 30 });
    expectExercised(runs, 30, SHARE_ALLOCATE);
  });
});
