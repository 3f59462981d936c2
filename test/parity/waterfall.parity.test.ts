/**
 * Parity of loss allocation with the reference model (test/reference/waterfall.ts) on seeded random
 * books. Per seed: a distressed book (generateBook, as the liquidation parity tests shape it) with a
 * liquidation backstop, a vault account with liquidity providers, clearing members, operator capital
 * and insurance funds; one random waterfall over all eleven kinds of steps (and sometimes a group of
 * markets with a waterfall of its own), set on both sides; then a few events, each a cascade or a
 * single (edited) execution producing deficit records, allocated at an increasing nowSec. After every
 * run everything is compared: the event's deficit table and audit records, the report, every
 * account, funds, members, funding indices, the waterfall balances, vault shares and the ledger.
 *
 * The random configurations list backstop providers in a random order, make vault deposits in a
 * random order of providers, and sometimes repeat an insurance step (naming another fund) or take
 * both operator-capital layers in one waterfall. They keep one drawdown window and one market-cap
 * window per seed, one waterfall configuration per seed and no size-0 positions (liquidation's
 * formulas leave those out). Hand-built books at the end pin the spec's "Precise points" where the
 * random books rarely reach them.
 */
import { describe, expect, it } from 'vitest';
import type { AuditRecord, LiquidationPolicy, RiskEngine } from '../../dist/src/node.js';
import type { AdlCandidate, AllocationReport, BackstopProvider, Tranche, TrancheKind, WaterfallConfig } from '../../src/index.js';
import { checkBook, type RefAccount, type RefCurve, type RefPosition } from '../reference/model.js';
import {
  createLiquidationState, depositFund, executePlan, fundIdOf, planRound, type LiqBook, type LiqMarket, type LiquidationState, type PlanRow,
} from '../reference/liquidation.js';
import {
  addContribution, allocate, createWaterfallState, RefInvalidWaterfall, RefUnknownId, setWaterfall, waterfallLedger,
  type RefAllocationReport, type RefAuditRecord, type RefDeficit, type WaterfallRefState,
} from '../reference/waterfall.js';
import { expectCode, generateBook, loadIntoEngine, P62, Rng } from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { expectStateParity } from './fill-model.js';

const show = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}` : v));
const clamp = (x: bigint, lo: bigint, hi: bigint): bigint => (x < lo ? lo : x > hi ? hi : x);
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
/** 10^k * (1..9) with k in [lo, hi]. */
const amount = (rng: Rng, lo: number, hi: number): bigint => 10n ** BigInt(rng.int(lo, hi)) * BigInt(rng.int(1, 9));
/** A shuffled copy (Fisher-Yates). */
function shuffled<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) { const j = rng.int(0, i); [out[i], out[j]] = [out[j]!, out[i]!]; }
  return out;
}

// ---- Books, parties and policies --------------------------------------------------------------

interface World {
  book: LiqBook;
  liq: LiquidationState;
  wf: WaterfallRefState;
  engine: RiskEngine;
  backstopId: number;
  vaultId: number;
  /** Accounts with no positions and ample collateral: vault liquidity providers, backstop providers. */
  providers: number[];
}

/**
 * A distressed random book (collateral 10 to 45 % of notional below margin, marks shocked by up to
 * 30 %, close steps, own or global funds) with appended accounts: a liquidation backstop, the vault
 * account and three providers. Undefined if the model's check overflows.
 */
function waterfallBook(seed: number): { book: LiqBook; backstopId: number; vaultId: number; providers: number[] } | undefined {
  const rng = new Rng(seed * 104_729 + 11);
  const book = generateBook({
    seed, accounts: rng.int(8, 18), markets: rng.int(1, 4), isolated: 0.35, extreme: 0, distress: rng.pick([0.1, 0.2, 0.3, 0.45]),
  }) as LiqBook;
  // Positions of size 0 are outside liquidation's formulas (their own tests cover them).
  for (const a of book.accounts) {
    a.positions = a.positions.filter((p) => p.sizeBase !== 0n);
    a.isolated = a.isolated.filter((p) => p.sizeBase !== 0n);
  }
  for (const m of book.markets) {
    m.stepBase = rng.chance(0.5) ? 1n : 10n ** BigInt(rng.int(0, 6));
    m.insuranceFund = rng.chance(0.5) ? 'own' : 'global';
    m.markPrice = clamp(m.markPrice * BigInt(1000 + rng.int(-300, 300)) / 1000n, 1n, P62);
  }
  const extra = (collateralQuote: bigint): number => book.accounts.push({ collateralQuote, imfFloorPpm: 0, positions: [], isolated: [] }) - 1;
  const backstopId = extra(10n ** 15n);
  const vaultId = extra(rng.chance(0.3) ? 0n : amount(rng, 3, 12));
  const providers = [extra(amount(rng, 8, 15)), extra(amount(rng, 8, 15)), extra(amount(rng, 4, 12))];
  try { checkBook(book); } catch { return undefined; }
  return { book, backstopId, vaultId, providers };
}

/** Loads the book and gives both sides the same parties: funds, operator capital, members, the vault and its shares. */
async function world(seed: number, rng: Rng): Promise<World | undefined> {
  const made = waterfallBook(seed);
  if (!made) return undefined;
  const { book, backstopId, vaultId, providers } = made;
  const engine = await createEngine();
  loadIntoEngine(engine, book);
  const liq = createLiquidationState(book);
  const wf = createWaterfallState(book, { liquidation: liq, vaultAccountId: vaultId });
  // Insurance funds: the global one and some markets' funds.
  const deposit = (fundOf: number | undefined, x: bigint): void => {
    engine.depositInsuranceFund(x, fundOf);
    depositFund(liq, fundOf === undefined ? 0 : fundIdOf(book, fundOf), x);
  };
  if (rng.chance(0.8)) deposit(undefined, amount(rng, 3, 14));
  book.markets.forEach((_, m) => { if (rng.chance(0.5)) deposit(m, amount(rng, 3, 14)); });
  // Operator capital, layers 1 and 2.
  for (const layer of [1, 2] as const) {
    if (!rng.chance(0.7)) continue;
    const x = amount(rng, 3, 13);
    engine.depositOperatorCapital(layer, x);
    wf.operatorCapitalQuote[layer - 1] = wf.operatorCapitalQuote[layer - 1]! + x;
  }
  // Clearing members, registered in a random order (some of them will default), some topped up twice.
  const candidates = book.accounts.map((_, id) => id).filter((id) => id !== vaultId);
  const members = Array.from({ length: rng.int(0, 5) }, () => rng.pick(candidates));
  for (const id of members) {
    const x = amount(rng, 3, 13);
    engine.addDefaultFundContribution(id, x);
    addContribution(wf, id, x);
  }
  // The vault: deposits by providers in a random order (pay records follow the order of first deposit), at net asset value.
  const w: World = { book, liq, wf, engine, backstopId, vaultId, providers };
  engine.setVaultAccount(vaultId);
  for (const p of shuffled(rng, providers)) for (let n = rng.int(0, 2); n > 0; n--) vaultDeposit(w, p, amount(rng, 3, 7));
  sync(wf, liq);
  return w;
}

/**
 * A deposit into the vault (which holds no positions: its net asset value is its collateral): the
 * first mints one share per atom, later ones amount * shares / NAV, rounded down. Skipped when the
 * provider cannot afford it (it must stay above initial margin) or it would mint nothing.
 */
function vaultDeposit(w: World, provider: number, x: bigint): void {
  const vault = w.book.accounts[w.vaultId]!;
  const total = sum([...w.wf.lpShares.values()]);
  const expected = total === 0n ? x : (x * total) / vault.collateralQuote;
  if (x > w.book.accounts[provider]!.collateralQuote || expected === 0n) return;
  expect(w.engine.vaultDeposit(provider, x), 'shares minted').toBe(expected);
  w.book.accounts[provider]!.collateralQuote -= x;
  vault.collateralQuote += x;
  w.wf.lpShares.set(provider, (w.wf.lpShares.get(provider) ?? 0n) + expected);
}

/** The waterfall state takes the liquidation state's funds, fees and flows (liquidation moved them). */
function sync(wf: WaterfallRefState, liq: LiquidationState): void {
  wf.fundsQuote = [...liq.fundsQuote];
  wf.flowQuote = liq.flowQuote;
  wf.liquidatorFeesQuote = liq.liquidatorFeesQuote;
}

function randomPolicy(rng: Rng, backstopId: number): LiquidationPolicy {
  const policy: LiquidationPolicy = {
    close: rng.pick(['full', 'full', 'partial'] as const), target: rng.pick(['maintenance', 'initial'] as const),
    order: rng.pick(['maintenance', 'notional'] as const), liquidationFeePpm: rng.pick([0, 5_000, 20_000]),
    liquidatorSharePpm: rng.pick([0, 500_000, 1_000_000]),
  };
  if (rng.chance(0.3)) policy.maxCloseFractionPpm = rng.pick([200_000, 500_000]);
  if (rng.chance(0.2)) Object.assign(policy, { backstopPpm: rng.pick([500_000, 1_000_000]), backstopAccountId: backstopId });
  return policy;
}

// ---- Random waterfalls --------------------------------------------------------------------------

const KINDS: readonly TrancheKind[] = [
  'insuranceFund', 'backstopVault', 'adl', 'socializeFunding', 'haircutGains', 'haircutDeposits', 'haircutVaultShares',
  'defaulterFund', 'operatorCapital', 'membersFund', 'assessments',
];

/** A ranking function of every input (many ties: keys mod 1,009), logging its calls. */
function customRanking(calls: AdlCandidate[]): (c: AdlCandidate) => number {
  return (c) => {
    calls.push({ ...c });
    const h = c.unrealizedPnlQuote * 31n + c.notionalQuote * 7n + c.entryValueQuote * 3n + c.equityQuote * 5n + c.mmQuote * 11n
      + c.collateralQuote * 13n + c.sizeBase * 17n + BigInt(c.accountId * 19 + c.marketId * 23 + (c.isolated ? 29 : 0));
    return Number(h % 1_009n);
  };
}

interface Knobs {
  markets: number;
  funds: number[];
  providers: number[];
  /** One drawdown window and one market-cap window per seed (see the header). */
  drawdownWindowSec: number;
  marketCapWindowSec: number;
  custom: (c: AdlCandidate) => number;
}

function randomStep(rng: Rng, kind: TrancheKind, k: Knobs): Tranche {
  const maybe = (p: number, lo: number, hi: number): bigint | undefined => (rng.chance(p) ? amount(rng, lo, hi) : undefined);
  switch (kind) {
    case 'insuranceFund': {
      const t: Tranche = { kind, fund: rng.pick(['market', 'market', 'global', rng.pick(k.funds)] as const) };
      if (rng.chance(0.4)) t.maxPerDeficitQuote = amount(rng, 2, 12);
      if (rng.chance(0.3)) t.floorQuote = amount(rng, 2, 12);
      if (rng.chance(0.4)) Object.assign(t, { marketCapQuote: amount(rng, 3, 13), marketCapWindowSec: k.marketCapWindowSec });
      if (rng.chance(0.5)) Object.assign(t, { drawdownPpm: rng.pick([1, 100_000, 300_000, 999_999]), drawdownWindowSec: k.drawdownWindowSec });
      return t;
    }
    case 'backstopVault': {
      if (rng.chance(0.3)) return { kind };
      // Distinct provider accounts, in a random order (the split follows the configuration's order).
      const ids = [...new Set(Array.from({ length: rng.int(1, 4) }, () => rng.pick(k.providers)))];
      const providers: BackstopProvider[] = ids.map((accountId) => ({ accountId, capacityQuote: maybe(0.5, 2, 13) }));
      if (rng.chance(0.3)) {
        let left = 1_000_000;
        providers.forEach((p, i) => { p.weightPpm = i === providers.length - 1 ? left : rng.int(0, left); left -= p.weightPpm; });
      }
      return { kind, providers };
    }
    case 'adl': {
      // A ranking function twice as often: its closes are rarer (many ties, so early candidates often cover all).
      const ranking = rng.pick(['pnl', 'bitmex', 'binance', 'hyperliquid', 'randomWalk', 'largest', 'custom', 'custom'] as const);
      return {
        kind, ranking: ranking === 'custom' ? k.custom : ranking, price: rng.chance(0.8) ? 'bankruptcy' : 'mark',
        seed: (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()), ...(ranking === 'largest' && rng.chance(0.7) ? { topK: rng.int(1, 4) } : {}),
      };
    }
    case 'haircutGains':
      return { kind, scope: rng.pick(['market', 'all'] as const), minGainQuote: maybe(0.3, 0, 9), maxHaircutPpm: rng.chance(0.5) ? rng.pick([1, 250_000, 999_999]) : undefined };
    case 'operatorCapital': return { kind, layer: rng.pick([1, 2] as const) };
    case 'membersFund': return { kind, withLayer2: rng.chance(0.5) };
    case 'assessments': return { kind, multiplePpm: rng.pick([1, 500_000, 1_000_000, 2_000_000, 100_000_000]) };
    default: return { kind } as Tranche;
  }
}

/** The fund an insurance step names, as a repeat compares them ('global' is fund 0). */
const fundName = (t: Tranche): string => (t.kind === 'insuranceFund' ? String(t.fund === 'global' ? 0 : t.fund ?? 'market') : '');

/**
 * A random order of a random choice of steps; ADL often early (else the others tend to cover
 * everything before it). Sometimes a second insurance step naming another fund, or the other
 * operator-capital layer, at a random place (the spec's allowed repeats).
 */
function randomSteps(rng: Rng, k: Knobs): Tranche[] {
  const kinds = shuffled(rng, KINDS);
  if (rng.chance(0.5)) { const i = kinds.indexOf('adl'); [kinds[0], kinds[i]] = [kinds[i]!, kinds[0]!]; }
  const steps = kinds.slice(0, rng.int(1, kinds.length)).map((kind) => randomStep(rng, kind, k));
  const insert = (t: Tranche): void => { steps.splice(rng.int(0, steps.length), 0, t); };
  const fund = steps.find((t) => t.kind === 'insuranceFund');
  if (fund !== undefined && rng.chance(0.5)) {
    const second = randomStep(rng, 'insuranceFund', k) as Extract<Tranche, { kind: 'insuranceFund' }>;
    const others = (['market', 'global', ...k.funds] as const).filter((f) => fundName({ kind: 'insuranceFund', fund: f }) !== fundName(fund));
    second.fund = rng.pick(others);
    insert(second);
  }
  const layer = steps.find((t) => t.kind === 'operatorCapital');
  if (layer !== undefined && rng.chance(0.5)) insert({ kind: 'operatorCapital', layer: layer.layer === 1 ? 2 : 1 });
  return steps;
}

function randomWaterfall(rng: Rng, k: Knobs): WaterfallConfig {
  const config: WaterfallConfig = { steps: randomSteps(rng, k) };
  if (k.markets > 1 && rng.chance(0.35)) {
    const markets = Array.from({ length: k.markets }, (_, m) => m).filter(() => rng.chance(0.5));
    if (markets.length > 0) config.groups = [{ markets, steps: randomSteps(rng, k) }];
  }
  return config;
}

// ---- Producing deficits ------------------------------------------------------------------------

/** The model's deficit records of an execution log, with the close's size and price. */
function deficitsOf(log: readonly { accountId: number; marketId: number | null; kind: string; sizeBase: bigint; priceQuote: bigint; deficitQuote: bigint }[]): RefDeficit[] {
  return log.filter((r) => r.deficitQuote > 0n).map((r) => ({
    accountId: r.accountId, marketId: r.marketId, amountQuote: r.deficitQuote,
    sizeBase: r.kind === 'close' ? r.sizeBase : 0n, priceQuote: r.kind === 'close' ? r.priceQuote : 0n,
  }));
}

const liquidatable = (ref: ReturnType<typeof checkBook>): number => ref.counts.accounts[2]! + ref.counts.accounts[3]! + ref.counts.isolated[2]! + ref.counts.isolated[3]!;

/** engine.liquidate() against the model's rounds (full checks, plans, executions). */
function cascade(w: World, policy: LiquidationPolicy, maxRounds: number): RefDeficit[] {
  const out: RefDeficit[] = [];
  for (let round = 1; round <= maxRounds; round++) {
    const ref = checkBook(w.book);
    if (liquidatable(ref) === 0) break;
    const rows = planRound(w.book, policy, ref.riskOrder, ref.isolatedRiskOrder);
    if (rows.length === 0) break;
    out.push(...deficitsOf(executePlan(w.book, w.liq, rows, policy)));
  }
  w.engine.liquidate(policy, { maxRounds });
  return out;
}

const planKey = (r: Omit<PlanRow, 'isolatedId'> & { isolatedId: unknown }): string => `${r.accountId}/${r.marketId}/${r.isolatedId === null ? 'cross' : 'iso'}/${r.kind}/${r.sizeBase}/${r.priceQuote}`;

/** One planned round, a third of its closes moved to prices within 5 % of the mark, executed on both sides. */
function editedExecution(w: World, policy: LiquidationPolicy, rng: Rng): RefDeficit[] {
  w.engine.check();
  const ref = checkBook(w.book);
  const plan = w.engine.planLiquidations(policy);
  const rows = planRound(w.book, policy, ref.riskOrder, ref.isolatedRiskOrder);
  const v = plan.view;
  const engineRows = Array.from({ length: plan.rows }, (_, i) => planKey({
    accountId: v.accountId[i]!, marketId: v.marketId[i] === 0xffff ? null : v.marketId[i]!, isolatedId: v.isolatedId[i] === 0xffffffff ? null : 0,
    kind: (['close', 'transfer', 'settle'] as const)[v.kind[i]!]!, sizeBase: v.sizeBase[i]!, priceQuote: v.priceQuote[i]!,
  }));
  expect(engineRows, 'plan').toEqual(rows.map(planKey));
  if (rows.length === 0) return [];
  rows.forEach((row, i) => {
    if (row.kind !== 'close' || !rng.chance(0.35)) return;
    row.priceQuote = clamp(w.book.markets[row.marketId!]!.markPrice * BigInt(rng.int(950_000, 1_050_000)) / 1_000_000n, 1n, P62);
    v.priceQuote[i] = row.priceQuote;
  });
  w.engine.executeLiquidations();
  return deficitsOf(executePlan(w.book, w.liq, rows, policy));
}

// ---- Comparing a run ----------------------------------------------------------------------------

/** Engine audit records of one event in the model's shape; the tranche must be the step's kind. */
function engineRecords(engine: RiskEngine, event: number, kinds: TrancheKind[][]): RefAuditRecord[] {
  return engine.auditLog.records().filter((r: AuditRecord) => r.event === event).map((r: AuditRecord) => {
    expect(r.tranche, `record ${show(r)}`).toBe(r.waterfall === null ? null : kinds[r.waterfall]![r.step!]);
    return { deficit: r.deficit, waterfall: r.waterfall, step: r.step, role: r.role, accountId: r.accountId, marketId: r.marketId, amountQuote: r.amountQuote, priceQuote: r.priceQuote, sizeBase: r.sizeBase };
  });
}

/** The first difference of two record lists, with some context, or undefined. */
function firstDifference(got: readonly RefAuditRecord[], want: readonly RefAuditRecord[]): string | undefined {
  const line = (r: RefAuditRecord | undefined): string => (r === undefined ? '-' : `${r.role} k=${r.deficit} w=${r.waterfall} s=${r.step} a=${r.accountId} m=${r.marketId} ${r.amountQuote} p=${r.priceQuote} d=${r.sizeBase}`);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (show(got[i]) !== show(want[i])) {
      const from = Math.max(0, i - 2);
      return `records differ at ${i} (engine ${got.length}, model ${want.length}):\n` + Array.from({ length: 5 }, (_, d) => from + d)
        .filter((j) => j < Math.max(got.length, want.length)).map((j) => `  ${j}: engine ${line(got[j])}\n     model  ${line(want[j])}`).join('\n');
    }
  }
  return undefined;
}

/** Everything the waterfall touches, engine against model. */
function expectWorldParity(w: World, label: string): void {
  const { engine, book, wf } = w;
  expectStateParity(engine, book);
  book.markets.forEach((m, id) => {
    const e = engine.market(id);
    expect([e.fundingIndexLong, e.fundingIndexShort], `${label}: funding indices of market ${id}`).toEqual([m.fundingIndexLong, m.fundingIndexShort]);
    expect(engine.insuranceFund(id), `${label}: fund of market ${id}`).toBe(wf.fundsQuote[fundIdOf(book, id)]);
  });
  expect(engine.insuranceFund(), `${label}: global fund`).toBe(wf.fundsQuote[0]);
  expect(engine.clearingMembers(), `${label}: members`).toEqual([...wf.members].map(([accountId, m]) => ({ accountId, fundQuote: m.fundQuote, committedQuote: m.committedQuote, assessedQuote: m.assessedQuote })));
  const totalShares = sum([...wf.lpShares.values()]);
  expect(engine.waterfallBalances(), `${label}: balances`).toEqual({
    residueQuote: wf.residueQuote, uncoveredQuote: wf.uncoveredQuote,
    coveredQuote: wf.coveredQuote, operatorCapitalQuote: wf.operatorCapitalQuote, depositIndexE18: wf.depositIndex,
    vaultAccountId: w.vaultId, totalShares,
  });
  expect(engine.vault().providers.map(({ accountId, shares }) => ({ accountId, shares })), `${label}: vault shares`).toEqual([...wf.lpShares].map(([accountId, shares]) => ({ accountId, shares })));
  const l = engine.ledger();
  const model = waterfallLedger(book, wf, w.liq.deficits);
  expect([l.totalQuote, l.fundsQuote, l.flowQuote, l.residueQuote], `${label}: ledger`).toEqual([model.totalQuote, model.fundsQuote, model.flowQuote, model.residueQuote]);
}

const modelReport = (r: RefAllocationReport): AllocationReport => {
  const { haircutQuote: _h, depositIndex: _d, solvencyBound: _s, ...rest } = r;
  return rest;
};

/** One event: deficits (cascade or an edited execution), then the run on both sides, compared. */
function event(w: World, config: WaterfallConfig, rng: Rng, nowSec: number, label: string, tally: Record<string, number>): void {
  const policy = randomPolicy(rng, w.backstopId);
  const deficits = rng.chance(0.6) ? cascade(w, policy, rng.int(1, 5)) : editedExecution(w, policy, rng);
  allocateBoth(w, config, deficits, nowSec, label, tally);
}

/**
 * Allocates the pending records on both sides (the engine with its active waterfall, the model with
 * `config`) and compares everything: deficit table, audit records, report, book, parties, ledger.
 */
function allocateBoth(w: World, config: WaterfallConfig, deficits: RefDeficit[], nowSec: number, label: string, tally: Record<string, number> = {}): ReturnType<typeof allocate> {
  expect(w.engine.deficits(), `${label}: pending deficits`).toEqual(w.liq.deficits);
  expect(deficits.map(({ accountId, marketId, amountQuote }) => ({ accountId, marketId, amountQuote })), `${label}: model deficits`).toEqual(w.liq.deficits);
  sync(w.wf, w.liq);
  const ledgerBefore = w.engine.ledger().totalQuote;
  expect(waterfallLedger(w.book, w.wf, deficits).totalQuote, `${label}: ledger before`).toBe(ledgerBefore);

  const report = w.engine.allocateLosses({ nowSec });
  const model = allocate(w.book, w.wf, config, deficits, nowSec);
  w.liq.deficits = [];
  w.liq.fundsQuote = [...w.wf.fundsQuote];
  w.liq.flowQuote = w.wf.flowQuote;

  expect(report.event, label).toBe(model.report.event);
  const kinds = [config.steps, ...(config.groups ?? []).map((g) => g.steps)].map((l) => l.map((t) => t.kind));
  expect(w.engine.auditLog.deficits(report.event).map(({ accountId, marketId, amountQuote, sizeBase, priceQuote }) => ({ accountId, marketId, amountQuote, sizeBase, priceQuote })), `${label}: deficit table`).toEqual(deficits);
  const records = engineRecords(w.engine, report.event, kinds);
  const diff = firstDifference(records, model.records);
  expect(diff, `${label}: ${show(config)}`).toBeUndefined();
  const want = modelReport(model.report) as unknown as Record<string, unknown>;
  const got = report as unknown as Record<string, unknown>;
  const fields = Object.keys(want).filter((f) => show(got[f]) !== show(want[f]));
  expect(fields.map((f) => `${f}: engine ${show((report as unknown as Record<string, unknown>)[f])}, model ${show(want[f])}`), `${label}: report`).toEqual([]);
  expect(w.engine.ledger().totalQuote, `${label}: ledger after`).toBe(ledgerBefore);
  expectWorldParity(w, label);

  // What the run exercised.
  const add = (key: string, n = 1): void => { tally[key] = (tally[key] ?? 0) + n; };
  add('deficits', deficits.length);
  if (model.report.adlVolumeBase > 0n) add('adlVolume');
  add('solvency bound', model.report.solvencyBound);
  if (model.report.paidBeyondEquityQuote > 0n) add('paid beyond equity');
  const steps = [config.steps, ...(config.groups ?? []).map((g) => g.steps)];
  for (const r of model.records) {
    const t = r.step === null ? undefined : steps[r.waterfall!]![r.step]!;
    add(`${t?.kind ?? 'uncovered'}:${r.role}`);
    if (t?.kind === 'adl' && r.role === 'cover') add(`ranking:${typeof t.ranking === 'function' ? 'custom' : t.ranking}`);
    if (t?.kind === 'insuranceFund' && (t.drawdownPpm ?? 0) > 0) add('drawdown');
    if (t?.kind === 'insuranceFund' && BigInt(t.marketCapQuote ?? 0n) > 0n) add('marketCap');
    if (r.waterfall === 1) add('group');
    // Money moved by a step whose kind appears twice in its waterfall (allowed repeats).
    if (t !== undefined && r.role === 'cover' && steps[r.waterfall!]!.filter((u) => u.kind === t.kind).length > 1) add(`repeated:${t.kind}`);
  }
  // ADL in two waterfalls in one run: the report sums each step's distinct accounts.
  if (steps.filter((l) => l.some((t) => t.kind === 'adl')).length > 1 && model.report.adlAccounts > 0) add('adl in two waterfalls');
  // Backstop providers listed out of account id order; vault providers that did not deposit in account id order.
  if (steps.flat().some((t) => t.kind === 'backstopVault' && (t.providers ?? []).some((p, i, ps) => i > 0 && p.accountId < ps[i - 1]!.accountId))
    && model.records.some((r) => r.role === 'cover' && r.step !== null && steps[r.waterfall!]![r.step]!.kind === 'backstopVault')) add('providers out of id order');
  const lps = [...w.wf.lpShares.keys()];
  if (lps.some((id, i) => i > 0 && id < lps[i - 1]!) && model.records.some((r) => r.role === 'pay' && r.step !== null && steps[r.waterfall!]![r.step]!.kind === 'haircutVaultShares')) {
    add('vault providers out of id order');
  }
  if (steps.flat().some((t) => t.kind === 'adl' && t.price === 'mark') && model.report.adlVolumeBase > 0n && model.report.adlCoveredQuote === 0n) add('adl at the mark');
  return model;
}

/** Runs `fn` for every seed, even after one fails, then fails with every seed's first error. */
async function eachSeed(from: number, count: number, fn: (seed: number) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    try { await fn(seed); } catch (e) { failures.push(`seed ${seed}: ${String(e instanceof Error ? e.message : e).split('\n').slice(0, 16).join('\n    ')}`); }
  }
  expect(failures, `${failures.length} of ${count} seeds failed:\n${failures.join('\n')}\n`).toEqual([]);
}

// ---- Random books -------------------------------------------------------------------------------

describe('waterfall parity on random books', () => {
  it('several events per seed: audit records, reports, accounts, funds, members, indices, balances, ledger', async () => {
    const tally: Record<string, number> = {};
    let ran = 0;
    await eachSeed(1, 110, async (seed) => {
      const rng = new Rng(seed * 7_919 + 5);
      const w = await world(seed, rng);
      if (!w) return;
      const engineCalls: AdlCandidate[] = [], modelCalls: AdlCandidate[] = [];
      const base = {
        markets: w.book.markets.length, funds: [...new Set([0, ...w.book.markets.map((_, m) => fundIdOf(w.book, m))])],
        providers: [...w.providers, w.vaultId, w.backstopId, rng.int(0, w.book.accounts.length - 1)],
        drawdownWindowSec: rng.pick([160, 3_600, 28_800]), marketCapWindowSec: rng.pick([0, 0, 320, 86_400]),
      };
      const knobs = (custom: (c: AdlCandidate) => number): Knobs => ({ ...base, custom });
      // The same draws for both sides, with a ranking function (logging its calls) each.
      const state = rng.u32();
      const engineConfig = randomWaterfall(new Rng(state), knobs(customRanking(engineCalls)));
      const modelConfig = randomWaterfall(new Rng(state), knobs(customRanking(modelCalls)));
      w.engine.setWaterfall(engineConfig);
      setWaterfall(w.book, w.wf, modelConfig);
      let nowSec = rng.int(0, 100_000);
      const events = rng.int(2, 4);
      for (let e = 1; e <= events; e++) {
        if (e > 1) {
          // Marks move (both sides), time passes.
          const marks = w.book.markets.map((m) => clamp(m.markPrice * BigInt(1000 + rng.int(-250, 250)) / 1000n, 1n, P62));
          const moved = w.book.markets.map((m, i) => ({ ...m, markPrice: marks[i]! }));
          try { checkBook({ ...w.book, markets: moved }); } catch { break; }
          w.engine.setMarks(marks.map((_, m) => m), marks);
          w.book.markets.forEach((m, i) => { m.markPrice = marks[i]!; });
          nowSec += rng.pick([0, 1, 200, 3_600, 20_000, 90_000]);
        }
        event(w, modelConfig, rng, nowSec, `seed ${seed} event ${e}`, tally);
        ran++;
      }
      expect(engineCalls, `seed ${seed}: ranking function calls`).toEqual(modelCalls);
    });
    expect(ran).toBeGreaterThan(200);
    // Every kind of step moved money somewhere in the run.
    for (const kind of KINDS) expect(Object.keys(tally).filter((k) => k.startsWith(`${kind}:`)).length, `${kind}: ${show(tally)}`).toBeGreaterThan(0);
    for (const key of ['ranking:pnl', 'ranking:bitmex', 'ranking:binance', 'ranking:hyperliquid', 'ranking:randomWalk', 'ranking:largest', 'ranking:custom',
      'adl at the mark', 'drawdown', 'marketCap', 'group', 'adl:residue', 'socializeFunding:pay', 'haircutGains:pay', 'membersFund:pay', 'assessments:pay', 'uncovered:uncovered', 'adlVolume',
      'repeated:insuranceFund', 'repeated:operatorCapital', 'adl in two waterfalls', 'providers out of id order', 'vault providers out of id order',
      'solvency bound', 'paid beyond equity']) {
      expect(tally[key] ?? 0, `${key}: ${show(tally)}`).toBeGreaterThan(3);
    }
  });
});

// ---- Hand-built books: the spec's precise points -------------------------------------------------
//
// Each case runs the engine and the model side by side on a small book, expects parity, and checks
// the model's records against the figures worked here (docs/WATERFALL.md, "Precise points" and
// "Configuration errors"). Books use D = 1 (prices in quote atoms per base atom) and a flat 10 % / 5 %
// curve; the last account is the vault.

const FLAT: RefCurve = { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 };
const market = (extra: Partial<LiqMarket> = {}): LiqMarket => ({ baseDecimals: 0, markPrice: 100n, fundingIndexLong: 0n, fundingIndexShort: 0n, curve: FLAT, ...extra });
const account = (collateralQuote: bigint, positions: RefPosition[] = []): RefAccount => ({ collateralQuote, imfFloorPpm: 0, positions, isolated: [] });
const pos = (marketId: number, sizeBase: bigint, quoteBalance: bigint): RefPosition => ({ marketId, sizeBase, quoteBalance, fundingSnapshot: 0n });
/** Compact records: [role, deficit, account, amount, price, size]. */
const brief = (records: readonly RefAuditRecord[]): unknown[] => records.map((r) => [r.role, r.deficit, r.accountId, r.amountQuote, r.priceQuote, r.sizeBase]);

async function handWorld(book: LiqBook): Promise<World> {
  const engine = await createEngine();
  loadIntoEngine(engine, book);
  const vaultId = book.accounts.length - 1;
  const liq = createLiquidationState(book);
  const wf = createWaterfallState(book, { liquidation: liq, vaultAccountId: vaultId });
  engine.setVaultAccount(vaultId);
  return { book, liq, wf, engine, backstopId: vaultId, vaultId, providers: [] };
}

/** Sets `config` on the engine, closes every liquidatable position at the mark (both sides) and allocates; the model's run. */
function closeAndAllocate(w: World, config: WaterfallConfig, nowSec = 0): ReturnType<typeof allocate> {
  w.engine.setWaterfall(config);
  return allocateBoth(w, config, cascade(w, { close: 'full' }, 16), nowSec, 'hand');
}

describe('waterfall parity on hand-built books: the spec\'s precise points', () => {
  // "Backstop providers are split in the order the configuration lists them." Account 0 settles with a
  // deficit of 101; providers 2 and 1 (listed so) can pay 1,000 each: split(101, 1,000:1,000) gives
  // t = 50 each with equal remainders, the atom left to the earlier payer, account 2: 51, then 50.
  it('backstopVault splits among providers in the order the configuration lists them', async () => {
    const w = await handWorld({ markets: [market()], accounts: [account(-101n), account(1_000n), account(1_000n), account(0n)] });
    const out = closeAndAllocate(w, { steps: [{ kind: 'backstopVault', providers: [{ accountId: 2 }, { accountId: 1 }] }] });
    expect(brief(out.records)).toEqual([['cover', 0, 2, 51n, 0n, 0n], ['cover', 0, 1, 50n, 0n, 0n]]);
  });

  // "vault liquidity providers (haircutVaultShares pay records) in the order of their first deposit."
  // Account 2 deposits first, then account 1, 100 shares each: the vault pays 101 and split(101, 100:100)
  // gives account 2 the atom left: 51, then account 1: 50.
  it('haircutVaultShares splits among liquidity providers in the order of their first deposit', async () => {
    const w = await handWorld({ markets: [market()], accounts: [account(-101n), account(1_000n), account(1_000n), account(0n)] });
    vaultDeposit(w, 2, 100n);
    vaultDeposit(w, 1, 100n);
    const out = closeAndAllocate(w, { steps: [{ kind: 'haircutVaultShares' }] });
    expect(brief(out.records)).toEqual([['cover', 0, null, 101n, 0n, 0n], ['pay', null, 2, 51n, 0n, 0n], ['pay', null, 1, 50n, 0n, 0n]]);
    expect(w.engine.vault().providers.map((p) => p.accountId)).toEqual([2, 1]);
  });

  // "Keys -0 and +0 are one key (a tie)": a ranking function returning -0 for account 1 and +0 for
  // account 2 ties them, broken by account: account 1 first. The bankrupt long (10 at 100, deficit 500):
  // P = 100 + ceil(500 / 10) = 150, a(c) = 50c; account 1 buys back c = 10: a = 500 covers it all.
  it('ADL: keys -0 and +0 from a ranking function tie (account order)', async () => {
    const w = await handWorld({
      markets: [market()],
      accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(100_000n, [pos(0, -100n, 10_000n)]), account(100_000n, [pos(0, -100n, 10_000n)]), account(0n)],
    });
    const out = closeAndAllocate(w, { steps: [{ kind: 'adl', ranking: (c) => (c.accountId === 1 ? -0 : 0) }] });
    expect(brief(out.records)).toEqual([['cover', 0, 1, 500n, 150n, 10n]]);
    // The ranking as the indicator shows it: -0 is reported as +0.
    w.engine.check();
    expect(w.engine.adlRanking(0, 'short', (c) => (c.accountId === 1 ? -0 : 0)).map((r) => [r.accountId, Object.is(r.key, 0)])).toEqual([[1, true], [2, true]]);
  });

  // "A ranking function is called before the run moves anything": it reads every candidate as the run
  // found it, even where an earlier step of the run changed it. Account 0 settles a long of 10 at 100
  // with a deficit of 500. The backstop step takes 200 from provider 1 (collateral 1,000 -> 800); r =
  // 300. The function ranks by collateral: at the run start account 1 (1,000) before account 2 (900)
  // (read when the group starts, it would be 800 < 900: account 2 first). P = 100 + ceil(300 / 10) =
  // 130, a(c) = 30c: account 1 buys back 10, a(10) = 300 covers the rest.
  it('ADL: a ranking function reads the candidates as the run found them, not as an earlier step left them', async () => {
    const w = await handWorld({
      markets: [market()],
      accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(1_000n, [pos(0, -10n, 1_000n)]), account(900n, [pos(0, -10n, 1_000n)]), account(0n)],
    });
    const seen: [number, bigint][] = [];
    const byCollateral = (c: AdlCandidate): number => { seen.push([c.accountId, c.collateralQuote]); return Number(c.collateralQuote); };
    const out = closeAndAllocate(w, { steps: [{ kind: 'backstopVault', providers: [{ accountId: 1, capacityQuote: 200n }] }, { kind: 'adl', ranking: byCollateral }] });
    expect(brief(out.records)).toEqual([['cover', 0, 1, 200n, 0n, 0n], ['cover', 0, 1, 300n, 130n, 10n]]);
    // Engine, then model: each called the function once per candidate, before its run moved anything.
    expect(seen).toEqual([[1, 1_000n], [2, 900n], [1, 1_000n], [2, 900n]]);
    expect(w.engine.account(1).collateralQuote).toBe(500n); // 1,000 - 200 + (1,000 - 1,300)
  });

  // "paid(m) counts every insurance-fund payment for market m." Event 1 (no market cap configured): the
  // fund pays market 0's deficit of 500. Event 2 (lifetime cap 600): account 2's close at the new mark
  // 50 leaves 450; room 600 - 500 = 100: 100 covered, 350 uncovered.
  it('insuranceFund: a lifetime market cap counts what the fund paid for the market before the cap was set', async () => {
    const w = await handWorld({
      markets: [market()],
      accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(100_000n, [pos(0, -20n, 2_000n)]), account(50n, [pos(0, 10n, -1_000n)]), account(0n)],
    });
    w.engine.depositInsuranceFund(10_000n);
    depositFund(w.liq, 0, 10_000n);
    expect(brief(closeAndAllocate(w, { steps: [{ kind: 'insuranceFund' }] }, 0).records)).toEqual([['cover', 0, null, 500n, 0n, 0n]]);
    w.engine.setMarks([0], [50n]);
    w.book.markets[0]!.markPrice = 50n;
    const out = closeAndAllocate(w, { steps: [{ kind: 'insuranceFund', marketCapQuote: 600n }] }, 1);
    expect(brief(out.records)).toEqual([['cover', 0, null, 100n, 0n, 0n], ['uncovered', 0, null, 350n, 0n, 0n]]);
  });

  // "Windowed sums count the payments made since a windowed cap was first applied to the market (or
  // since its window length changed)." Event 1 (no cap): 500 paid. Event 2 (cap 600 over 160 s, applied
  // for the first time): the 500 does not count: 450 paid in full.
  it('insuranceFund: a windowed market cap counts only what was paid since it was first applied', async () => {
    const w = await handWorld({
      markets: [market()],
      accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(100_000n, [pos(0, -20n, 2_000n)]), account(50n, [pos(0, 10n, -1_000n)]), account(0n)],
    });
    w.engine.depositInsuranceFund(10_000n);
    depositFund(w.liq, 0, 10_000n);
    closeAndAllocate(w, { steps: [{ kind: 'insuranceFund' }] }, 0);
    w.engine.setMarks([0], [50n]);
    w.book.markets[0]!.markPrice = 50n;
    const out = closeAndAllocate(w, { steps: [{ kind: 'insuranceFund', marketCapQuote: 600n, marketCapWindowSec: 160 }] }, 1);
    expect(brief(out.records)).toEqual([['cover', 0, null, 450n, 0n, 0n]]);
  });

  // "Positions of size 0 (a bare quote balance) are payers of haircutGains (their v is their quote)
  // in both scopes." Account 2 holds a size-0 position in market 0 with quote 300 (v = 300): with scope
  // market it pays beside account 1 (v = -1,000 + 1,100 = 100): capacity 400 of the deficit of 500,
  // split(400, 100:300) = 100, 300; 100 uncovered.
  it('haircutGains by market: a size-0 position\'s gain (its quote) pays too', async () => {
    const w = await handWorld({
      markets: [market()],
      accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(100_000n, [pos(0, -10n, 1_100n)]), account(1_000n, [pos(0, 0n, 300n)]), account(0n)],
    });
    const out = closeAndAllocate(w, { steps: [{ kind: 'haircutGains', scope: 'market' }] });
    expect(brief(out.records)).toEqual([['cover', 0, null, 400n, 0n, 0n], ['pay', null, 1, 100n, 0n, 0n], ['pay', null, 2, 300n, 0n, 0n], ['uncovered', 0, null, 100n, 0n, 0n]]);
  });

  // "ADL accounts are the distinct accounts each ADL step closed, summed over steps." Account 2 is short
  // in both markets; market 1 runs in a group with its own ADL step. Each bankrupt long (10 at 100,
  // deficit 500) is covered by account 2 at P = 150: two steps, one account each: adlAccounts 2.
  it('ADL in two waterfalls: adlAccounts sums each step\'s distinct accounts', async () => {
    const w = await handWorld({
      markets: [market(), market()],
      accounts: [
        account(-500n, [pos(0, 10n, -1_000n)]), account(-500n, [pos(1, 10n, -1_000n)]),
        account(100_000n, [pos(0, -100n, 10_000n), pos(1, -100n, 10_000n)]), account(0n),
      ],
    });
    const out = closeAndAllocate(w, { steps: [{ kind: 'adl', ranking: 'pnl' }], groups: [{ markets: [1], steps: [{ kind: 'adl', ranking: 'pnl' }] }] });
    expect(brief(out.records)).toEqual([['cover', 0, 2, 500n, 150n, 10n], ['cover', 1, 2, 500n, 150n, 10n]]);
    expect([out.report.adlAccounts, out.report.adlVolumeBase]).toEqual([2, 20n]);
  });

  // "a step repeated in one waterfall (Tranche: the same kind twice, except insurance funds naming
  // different funds and the two operator capital layers)". A deficit of 500 in market 0 (own fund 100,
  // global 50, operator layers 30 and 40) through layer 2, the global fund, the market's fund, layer 1:
  // 40, 50, 100, 30; 280 uncovered. The same fund twice ('global' and fund 0) or the same layer twice is refused.
  it('insurance funds naming different funds and both operator layers may share a waterfall; other repeats are refused', async () => {
    const w = await handWorld({ markets: [market({ insuranceFund: 'own' }), market()], accounts: [account(-500n, [pos(0, 10n, -1_000n)]), account(0n)] });
    w.engine.depositInsuranceFund(100n, 0);
    depositFund(w.liq, fundIdOf(w.book, 0), 100n);
    w.engine.depositInsuranceFund(50n);
    depositFund(w.liq, 0, 50n);
    for (const [layer, x] of [[1, 30n], [2, 40n]] as const) {
      w.engine.depositOperatorCapital(layer, x);
      w.wf.operatorCapitalQuote[layer - 1] = x;
    }
    const out = closeAndAllocate(w, { steps: [
      { kind: 'operatorCapital', layer: 2 }, { kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund', fund: 'market' }, { kind: 'operatorCapital', layer: 1 },
    ] });
    expect(out.records.map((r) => [r.step, r.role, r.amountQuote])).toEqual([[0, 'cover', 40n], [1, 'cover', 50n], [2, 'cover', 100n], [3, 'cover', 30n], [null, 'uncovered', 280n]]);
    for (const config of [
      { steps: [{ kind: 'insuranceFund', fund: 'global' }, { kind: 'insuranceFund', fund: 1 }, { kind: 'insuranceFund', fund: 0 }] },
      { steps: [{ kind: 'operatorCapital', layer: 1 }, { kind: 'insuranceFund' }, { kind: 'operatorCapital', layer: 1 }] },
      { steps: [{ kind: 'haircutDeposits' }, { kind: 'haircutDeposits' }] },
    ] as WaterfallConfig[]) {
      let thrown: unknown;
      try { setWaterfall(w.book, w.wf, config); } catch (e) { thrown = e; }
      expect(thrown, show(config)).toBeInstanceOf(RefInvalidWaterfall);
      expect([(thrown as RefInvalidWaterfall).row, (thrown as RefInvalidWaterfall).field]).toEqual([config.steps.length - 1, 'Tranche']);
      const e = expectCode(() => w.engine.setWaterfall(config), 'InvalidWaterfall');
      expect([e.row, e.field]).toEqual([config.steps.length - 1, 'tranche']);
    }
  });

  // "provider accounts and group markets: UnknownAccount, UnknownMarket"; topK in 1 ..= 64.
  it('an unknown provider account is UnknownAccount, an unknown group market UnknownMarket; topK beyond 64 is InvalidWaterfall', async () => {
    const w = await handWorld({ markets: [market()], accounts: [account(0n), account(0n)] });
    for (const [config, codeName] of [
      [{ steps: [{ kind: 'backstopVault', providers: [{ accountId: 42 }] }] }, 'UnknownAccount'],
      [{ steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [7], steps: [{ kind: 'defaulterFund' }] }] }, 'UnknownMarket'],
    ] as [WaterfallConfig, string][]) {
      let thrown: unknown;
      try { setWaterfall(w.book, w.wf, config); } catch (e) { thrown = e; }
      expect(thrown, show(config)).toBeInstanceOf(RefUnknownId);
      expect((thrown as RefUnknownId).codeName).toBe(codeName);
      expectCode(() => w.engine.setWaterfall(config), codeName);
    }
    for (const topK of [0, 65]) {
      const config: WaterfallConfig = { steps: [{ kind: 'adl', ranking: 'largest', topK }] };
      expect(() => setWaterfall(w.book, w.wf, config)).toThrow(RefInvalidWaterfall);
      expectCode(() => w.engine.setWaterfall(config), 'InvalidWaterfall');
    }
    for (const topK of [1, 64]) {
      const config: WaterfallConfig = { steps: [{ kind: 'adl', ranking: 'largest', topK }] };
      setWaterfall(w.book, w.wf, config);
      w.engine.setWaterfall(config);
    }
  });
});
