/**
 * Random crash scenarios: a small venue (gen.ts), a random waterfall over every step kind with
 * groups of markets and custom rankings, then several events (marks and funding indices move, a
 * liquidation cascade with the waterfall after each round, or a cascade and then one allocation,
 * or one planned round and then one allocation). The same scenario runs on the release build with
 * every check, on the debug build, and (for some cases) once more on the release build: the
 * digests after every event and the audit logs must be equal (determinism).
 *
 * After each event the liquidations' fund fees go through a revenue split drawn from the venue's
 * seed (some to the stakers' pools, the treasury, the vault and the PnL pools) and the stakers' pools
 * settle into the funds (`distributeRevenue`, `settleStakingRevenue`).
 *
 * Invariants (the names the known list uses), checked after every money-moving call:
 * - conservation:        ledger().totalQuote is unchanged by every call of the scenario after setup
 *                        (the revenue split and the staking settle included);
 * - deficits-covered:    per event, each deficit's covers plus its uncovered record equal it exactly,
 *                        and the report's steps plus uncovered equal its deficit total;
 * - tranche-totals:      pooled steps' (socializeFunding's too) pay records equal their covers and leave
 *                        no residue; single-payer steps have no pay records; residue >= 0;
 * - gains-haircut-cap:   a haircut takes the gain itself, so per account, gains-haircut payments summed
 *                        over steps, groups and events since marks or funding indices last moved never
 *                        exceed the largest gain it showed in that stretch (positive parts of v over its
 *                        positions, v as it is or once owed funding is settled, plus rounding of partial
 *                        closes); and in one event, each haircutGains step takes at most its
 *                        maxHaircutPpm of that gain;
 * - deposit-haircut-cap: a deposit haircut takes no more than the payer's collateral before the run;
 * - backstop-cap:        a provider pays at most its capacity over all events, and at most its collateral in a run;
 * - members-cap:         members' fund balances stay in 0..committed, assessments within the multiple;
 * - adl-opposite-side:   ADL closes only positions opposite to the bankrupt close, never the bankrupt's own,
 *                        reducing without flipping;
 * - no-position-pays-nothing: an account with no position pays nothing to ADL, and one with no position
 *                        and no payer record keeps its collateral (OI socialization does not reach it);
 * - solvency:            no group (cross account or isolated position) with equity >= 0 before a run has
 *                        equity < 0 after it, unless it is a cross account that paid an assessment (the
 *                        one venue rule that may: docs/WATERFALL.md, "Solvency"); those are tallied under
 *                        venueRule;
 * - paid-beyond-equity:  the run's report says how far assessments took members below zero: only
 *                        assessments steps report payments beyond equity, the steps add up to the run's
 *                        figure, and the figure covers at least how far the tallied members ended below zero;
 * - ranking-refusal:     a run whose ranking function fails (throws, or returns a key that is not a
 *                        finite number) is refused whole (InputError InvalidWaterfall, field `ranking`,
 *                        row: a step ranked by a failing function) and changes nothing; in a cascade the
 *                        rounds before stand and that round's deficits stay pending; a run that calls no
 *                        failing function is not refused. Such a refusal ends the scenario;
 * - determinism:         the same scenario gives the same digests and audit log, twice and on both builds.
 */
import fc from 'fast-check';
import { InputError, RiskCoreError, RiskCoreInvariantError, type AllocationReport, type AuditRecord, type LiquidationPolicy, type RiskEngine, type Tranche, type WaterfallConfig } from '../../dist/src/node.js';
import { fundingOwedQuote } from '../reference/liquidation.js';
import type { RefMarket } from '../reference/model.js';
import { changedParts, digest, digestText, show } from './digest.js';
import { buildVenue, clampPrice, failingRankingCalls, fitWaterfall, isFailingRanking, policyArb, VAULT, venueArb, waterfallArb, type VenueDraw } from './gen.js';
import { FuzzFailure, KnownStop, violate, type Stats } from './stats.js';

const PPM = 1_000_000n;
/** Rounds of the scenarios' cascades (liquidate's maxRounds). */
const CASCADE_ROUNDS = 4;
const sign = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const pos0 = (x: bigint): bigint => (x > 0n ? x : 0n);

export type EventMode = 'cascadeAllocate' | 'cascadeThenAllocate' | 'roundThenAllocate';
export interface EventDraw { marksPpm: number[]; funding: number; dt: number; mode: EventMode }
export interface ScenarioCase { venue: VenueDraw; waterfall: WaterfallConfig; policy: LiquidationPolicy; events: EventDraw[]; twice: boolean }

export const eventArb: fc.Arbitrary<EventDraw> = fc.record({
  marksPpm: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: -250_000, max: 250_000 })), { minLength: 4, maxLength: 4 }),
  funding: fc.constantFrom(0, 0, 0, 1, -7, 20_000, -3_000_000),
  dt: fc.constantFrom(0, 1, 300, 3_600, 50_000),
  mode: fc.constantFrom<EventMode>('cascadeAllocate', 'cascadeThenAllocate', 'roundThenAllocate'),
});

export const scenarioCaseArb: fc.Arbitrary<ScenarioCase> = fc.record({
  venue: venueArb, waterfall: waterfallArb, policy: policyArb, events: fc.array(eventArb, { minLength: 1, maxLength: 4 }), twice: fc.boolean(),
});

// ---- Observations -------------------------------------------------------------------------------

interface Group { key: string; accountId: number; equity: bigint | undefined; collateral: bigint; positions: Map<number, bigint> }
interface Snap {
  ledger: bigint;
  /** Per account: collateral, whether it holds a position of nonzero size, the positive parts of its gains. */
  collateral: bigint[];
  holds: boolean[];
  gainBound: bigint[];
  /** Position sizes by `account/market` (cross and isolated). */
  sizes: Map<string, bigint>;
  groups: Map<string, Group>;
  members: string;
}

function marketRef(engine: RiskEngine, m: number): RefMarket {
  const x = engine.market(m);
  return { baseDecimals: x.baseDecimals, markPrice: x.markPrice, fundingIndexLong: x.fundingIndexLong, fundingIndexShort: x.fundingIndexShort, curve: { kind: 'flat', imfPpm: 0, mmfPpm: 0 } };
}

/**
 * The most a position's gain can show at the market's state now: v = floor(s m / D) + quote - funding
 * owed, or, once a fill (a liquidation or ADL close) settles the funding it owes from collateral,
 * floor(s m / D) + quote: the larger of the two.
 */
function gainOf(mk: RefMarket, marketId: number, p: { sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint }): bigint {
  const D = 10n ** BigInt(mk.baseDecimals);
  const value = p.sizeBase * mk.markPrice;
  const owed = fundingOwedQuote(mk, { marketId, ...p });
  return (value >= 0n ? value / D : -((-value + D - 1n) / D)) + p.quoteBalance - (owed < 0n ? owed : 0n);
}

function snap(engine: RiskEngine): Snap {
  const markets = Array.from({ length: engine.marketCount }, (_, m) => marketRef(engine, m));
  let view: ReturnType<RiskEngine['resultsView']> | undefined;
  let isoView: ReturnType<RiskEngine['isolatedResultsView']> | undefined;
  try { view = engine.resultsView(); isoView = engine.isolatedResultsView(); } catch { view = undefined; }
  const s: Snap = { ledger: engine.ledger().totalQuote, collateral: [], holds: [], gainBound: [], sizes: new Map(), groups: new Map(), members: show(engine.clearingMembers()) };
  for (let a = 0; a < engine.accountCount; a++) {
    const acc = engine.account(a);
    s.collateral.push(acc.collateralQuote);
    let holds = false, bound = 0n;
    const cross: Group = { key: `${a}`, accountId: a, equity: acc.open && view ? view.equityQuote[a] : undefined, collateral: acc.collateralQuote, positions: new Map() };
    for (const p of acc.positions) {
      holds ||= p.sizeBase !== 0n;
      bound += pos0(gainOf(markets[p.marketId]!, p.marketId, p));
      s.sizes.set(`${a}/${p.marketId}`, p.sizeBase);
      cross.positions.set(p.marketId, p.sizeBase);
    }
    if (acc.open) s.groups.set(cross.key, cross);
    for (const p of acc.isolated) {
      holds ||= p.sizeBase !== 0n;
      bound += pos0(gainOf(markets[p.marketId]!, p.marketId, p));
      s.sizes.set(`${a}/${p.marketId}`, p.sizeBase);
      s.groups.set(`${a}/iso${p.isolatedId}`, { key: `${a}/iso${p.isolatedId}`, accountId: a, equity: isoView ? isoView.equityQuote[p.isolatedId] : undefined, collateral: p.collateralQuote, positions: new Map([[p.marketId, p.sizeBase]]) });
    }
    s.holds.push(holds);
    s.gainBound.push(bound);
  }
  return s;
}

// ---- Checks -------------------------------------------------------------------------------------

interface Shadow {
  ledger: bigint;
  /** Gains-haircut paid per account since marks or funding last moved, and the bound of that stretch. */
  haircut: Map<number, bigint>;
  gainBound: bigint[] | undefined;
  /** Backstop payments per (waterfall, step, provider) over all events. */
  backstop: Map<string, bigint>;
  /**
   * Per account, atoms of gain that partial closes since the stretch began may have added unobserved:
   * a reduce keeps `quote - floor(quote * c / |s|)` on the position, so each close can raise its
   * unrealized PnL (before the floor of its value) by up to one atom, and the floor hides up to one
   * more (docs/FORMULAS.md, "Fills"); counted as 2 per position of the account per close that can
   * reach it (ADL: per deficit and ADL step; a cascade: per round).
   */
  slack: Map<number, bigint>;
}

/**
 * Gains only fall while marks and funding indices stand still (closes realize them, a gains haircut
 * takes them, ADL at the bankruptcy price lowers them), except by a backstop transfer: the bound of a
 * stretch is the largest gain observed in it.
 */
function raiseBound(shadow: Shadow, s: Snap): void {
  shadow.gainBound = s.gainBound.map((g, a) => { const b = shadow.gainBound?.[a] ?? 0n; return g > b ? g : b; });
}

const stepsOf = (config: WaterfallConfig): Tranche[][] => [[...config.steps], ...(config.groups ?? []).map((g) => [...g.steps])];

/** Kinds of the steps that run before step (w, j): earlier waterfalls whole, then this one's earlier steps. */
function kindsBefore(lists: Tranche[][], w: number, j: number): string[] {
  return [...lists.slice(0, w).flat(), ...lists[w]!.slice(0, j)].map((t) => t.kind);
}

/** Checks every event in `events` (their audit records) against the observation before them. */
function checkEvents(engine: RiskEngine, config: WaterfallConfig, events: AllocationReport[], before: Snap, shadow: Shadow, stats: Stats, all: boolean, explicit: boolean, unbounded?: number): void {
  const log = engine.auditLog;
  const lists = stepsOf(config);
  const kinds = lists.flat().map((t) => t.kind);
  const haircutPpms = lists.flat().flatMap((t) => (t.kind === 'haircutGains' ? [BigInt(t.maxHaircutPpm ?? 1_000_000)] : []));
  const eventIds = new Set(events.map((r) => r.event));
  const records: AuditRecord[] = log.records().filter((r) => eventIds.has(r.event));
  for (const report of events) {
    stats.add('allocations');
    const deficits = log.deficits(report.event);
    for (const d of deficits) {
      const a = log.forDeficit(report.event, d.index);
      if (a.coveredQuote + a.uncoveredQuote !== d.amountQuote) violate(stats, all, 'deficits-covered', `event ${report.event} deficit ${d.index} (${show(d)}): covered ${a.coveredQuote} + uncovered ${a.uncoveredQuote}`);
    }
    if (report.steps.reduce((x, s) => x + s.coveredQuote, 0n) + report.uncoveredQuote !== report.deficitQuote) violate(stats, all, 'deficits-covered', `report ${show(report)}`);
    stats.add('check:deficits-covered');
    const totals = log.totalsByTranche(report.event);
    let residue = 0n;
    for (const t of totals) {
      const pooled = ['socializeFunding', 'haircutGains', 'haircutDeposits', 'haircutVaultShares', 'membersFund', 'assessments'].includes(t.tranche);
      const ok = t.residueQuote >= 0n && (pooled ? t.paidQuote === t.coveredQuote && t.residueQuote === 0n : t.paidQuote === 0n);
      if (!ok) violate(stats, all, 'tranche-totals', `event ${report.event}: ${show(t)}`);
      residue += t.residueQuote;
      if (t.coveredQuote > 0n) stats.add(`cover:${t.tranche}`);
    }
    if (residue !== report.residueQuote) violate(stats, all, 'tranche-totals', `event ${report.event}: residue records ${residue}, report ${report.residueQuote}`);
    stats.add('check:tranche-totals');
    // ADL: the counterparty held the side opposite to the bankrupt close; never the bankrupt itself.
    for (const r of records.filter((x) => x.event === report.event && x.tranche === 'adl' && x.deficit !== null)) {
      const d = deficits[r.deficit!]!;
      const held = before.sizes.get(`${r.accountId}/${r.marketId}`) ?? 0n;
      const bad = r.accountId === d.accountId || held === 0n || sign(held) !== sign(d.sizeBase) || (r.role === 'cover' && (sign(r.sizeBase) !== -sign(d.sizeBase) || abs(r.sizeBase) > abs(held)));
      if (bad) violate(stats, all, 'adl-opposite-side', `event ${report.event}: ${show(r)} for deficit ${show(d)}; the payer held ${held}`);
      if (r.accountId !== null && !before.holds[r.accountId]) violate(stats, all, 'no-position-pays-nothing', `event ${report.event}: ADL record ${show(r)} of an account with no position`);
      stats.add('check:adl-opposite-side');
    }
  }
  // Gains haircut: across steps, groups and events of the stretch, at most the gain (a haircut takes
  // it, so what is left is what a later one sees); in one event, each step at most its ppm of it.
  // Rounding of partial closes may add a few atoms unobserved (Shadow.slack).
  const adlSteps = BigInt(kinds.filter((k) => k === 'adl').length);
  const held = new Map<number, bigint>();
  for (const [key, size] of before.sizes) if (size !== 0n) { const a = Number(key.split('/')[0]); held.set(a, (held.get(a) ?? 0n) + 1n); }
  // ADL: a close per deficit and ADL step at most; a cascade: a partial close per round (its rounds
  // without deficits run no waterfall, so they are not among the events).
  const deficitCount = events.reduce((n, r) => n + BigInt(log.deficits(r.event).length), 0n);
  const closes = deficitCount * adlSteps + (explicit ? 0n : BigInt(CASCADE_ROUNDS));
  for (const [a, n] of held) shadow.slack.set(a, (shadow.slack.get(a) ?? 0n) + 2n * n * closes);
  const perEvent = new Map<string, bigint>();
  for (const r of records.filter((x) => x.tranche === 'haircutGains' && x.role === 'pay' && x.accountId !== null && x.accountId !== unbounded)) {
    const a = r.accountId!;
    const total = (shadow.haircut.get(a) ?? 0n) + r.amountQuote;
    shadow.haircut.set(a, total);
    const gain = ((shadow.gainBound ?? before.gainBound)[a] ?? 0n) + (shadow.slack.get(a) ?? 0n);
    if (total > gain) violate(stats, all, 'gains-haircut-cap', `account ${a} paid ${total} to gains haircuts since marks last moved (this record: ${show(r)}); its largest gain since was ${gain} (with ${shadow.slack.get(a) ?? 0n} atoms of rounding)`);
    const key = `${r.event}/${a}`;
    const inEvent = (perEvent.get(key) ?? 0n) + r.amountQuote;
    perEvent.set(key, inEvent);
    const bound = haircutPpms.reduce((x, ppm) => x + gain * ppm / PPM, 0n);
    if (inEvent > bound) violate(stats, all, 'gains-haircut-cap', `account ${a} paid ${inEvent} to gains haircuts in event ${r.event} (this record: ${show(r)}); its gain was at most ${gain}, the steps' ppm ${haircutPpms.join(', ')} allow ${bound}`);
    stats.add('check:gains-haircut-cap');
  }
  // Backstop providers: capacity over all events; collateral per run when nothing before could credit it.
  lists.forEach((list, w) => list.forEach((t, j) => {
    if (t.kind !== 'backstopVault') return;
    const providers = t.providers && t.providers.length > 0 ? t.providers : undefined;
    const paidBy = new Map<number, bigint>();
    for (const r of records) if (r.waterfall === w && r.step === j && r.accountId !== null) paidBy.set(r.accountId, (paidBy.get(r.accountId) ?? 0n) + r.amountQuote);
    for (const [a, paid] of paidBy) {
      const key = `${w}/${j}/${a}`;
      const total = (shadow.backstop.get(key) ?? 0n) + paid;
      shadow.backstop.set(key, total);
      const cap = BigInt(providers?.find((p) => p.accountId === a)?.capacityQuote ?? 0n);
      if (cap > 0n && total > cap) violate(stats, all, 'backstop-cap', `provider ${a} paid ${total} over its capacity ${cap}`);
      if (explicit && !kindsBefore(lists, w, j).includes('adl') && paid > pos0(before.collateral[a]!)) violate(stats, all, 'backstop-cap', `provider ${a} paid ${paid} in one run from collateral ${before.collateral[a]}`);
      stats.add('check:backstop-cap');
    }
  }));
  // Deposit haircut: no more than the collateral before the run (when no ADL step could credit it first).
  if (explicit) {
    lists.forEach((list, w) => list.forEach((t, j) => {
      if (t.kind !== 'haircutDeposits' || kindsBefore(lists, w, j).includes('adl')) return;
      const paidBy = new Map<number, bigint>();
      for (const r of records) if (r.waterfall === w && r.step === j && r.role === 'pay' && r.accountId !== null) paidBy.set(r.accountId, (paidBy.get(r.accountId) ?? 0n) + r.amountQuote);
      for (const [a, paid] of paidBy) if (paid > pos0(before.collateral[a]!)) violate(stats, all, 'deposit-haircut-cap', `account ${a} paid ${paid} to a deposit haircut from collateral ${before.collateral[a]}`);
      stats.add('check:deposit-haircut-cap');
    }));
  }
  // Members.
  const multiple = BigInt(Math.max(0, ...lists.flat().map((t) => (t.kind === 'assessments' ? t.multiplePpm : 0))));
  for (const m of engine.clearingMembers()) {
    if (m.fundQuote < 0n || m.fundQuote > m.committedQuote || (multiple > 0n && m.assessedQuote > m.committedQuote * multiple / PPM)) violate(stats, all, 'members-cap', show(m));
  }
  stats.add('check:members-cap');
  if (kinds.length === 0) return;
}

/** After an explicit run: positions, bystanders and solvency against the observation just before it. */
function checkRun(engine: RiskEngine, config: WaterfallConfig, report: AllocationReport, before: Snap, after: Snap, stats: Stats, all: boolean): void {
  const log = engine.auditLog;
  const records = log.records().filter((r) => r.event === report.event);
  const deficits = log.deficits(report.event);
  const kinds = stepsOf(config).flat().map((t) => t.kind);
  // Positions moved only by ADL, on a candidate side (the sign of a deficit's close), reduced without flipping.
  const sides = new Map<number, Set<bigint>>();
  for (const d of deficits) if (d.marketId !== null && d.sizeBase !== 0n) (sides.get(d.marketId) ?? sides.set(d.marketId, new Set()).get(d.marketId)!).add(sign(d.sizeBase));
  for (const key of new Set([...before.sizes.keys(), ...after.sizes.keys()])) {
    const s0 = before.sizes.get(key) ?? 0n, s1 = after.sizes.get(key) ?? 0n;
    if (s0 === s1) continue;
    const m = Number(key.split('/')[1]);
    if (!kinds.includes('adl') || !(sides.get(m)?.has(sign(s0)) ?? false) || !(s1 === 0n || (sign(s1) === sign(s0) && abs(s1) < abs(s0)))) {
      violate(stats, all, 'adl-opposite-side', `event ${report.event}: position ${key} moved ${s0} -> ${s1}`);
    }
  }
  // Bystanders: no position and no payer record: collateral unchanged.
  const payers = new Set(records.filter((r) => r.role !== 'uncovered' && r.accountId !== null).map((r) => r.accountId!));
  const defaulters = new Set(deficits.map((d) => d.accountId));
  // A vault share haircut takes the vault account's collateral; its pay records name the providers.
  if (records.some((r) => r.tranche === 'haircutVaultShares')) payers.add(VAULT);
  for (let a = 0; a < before.collateral.length; a++) {
    if (before.holds[a] || payers.has(a) || defaulters.has(a)) continue;
    if (after.collateral[a] !== before.collateral[a]) violate(stats, all, 'no-position-pays-nothing', `event ${report.event}: account ${a} (no position, no payer record) collateral ${before.collateral[a]} -> ${after.collateral[a]}`);
  }
  stats.add('check:no-position-pays-nothing');
  // Solvency: only assessments may take a group (a member's cross account) below zero equity.
  const excused: { key: string; before: bigint; after: bigint }[] = [];
  for (const [key, g0] of before.groups) {
    const g1 = after.groups.get(key);
    if (g0.equity === undefined || g0.equity < 0n || !g1 || g1.equity === undefined || g1.equity >= 0n) continue;
    const own = records.filter((r) => r.accountId === g0.accountId);
    const assessed = !key.includes('/iso') && own.some((r) => r.tranche === 'assessments' && r.role === 'pay');
    const detail = `event ${report.event}: group ${key} equity ${g0.equity} -> ${g1.equity}, collateral ${g0.collateral} -> ${g1.collateral}, `
      + `positions ${show([...g0.positions])} -> ${show([...g1.positions])}, defaulter ${defaulters.has(g0.accountId)}, `
      + `records ${show(own.map((r) => [r.tranche, r.role, r.marketId, r.amountQuote, r.sizeBase, r.priceQuote]))}, waterfall ${show(stepsOf(config).map((l) => l.map((t) => t.kind)))}`;
    if (assessed) {
      stats.add('venueRule:assessments');
      excused.push({ key, before: g0.equity, after: g1.equity });
      continue;
    }
    // What the group paid in the run and how it stood: the tally of causes a survey prints.
    const paid = [...new Set(own.filter((r) => r.role !== 'uncovered').map((r) => r.tranche))].sort().join('+') || 'nothing';
    const shape = [g0.positions.size > 1 ? 'several positions' : 'one position', g0.collateral < 0n ? 'collateral < 0' : 'collateral >= 0', defaulters.has(g0.accountId) ? 'defaulter' : ''].filter(Boolean).join(', ');
    stats.add(`solvencyCause:paid ${paid}; ${shape}`);
    violate(stats, all, 'solvency', detail);
  }
  stats.add('check:solvency');
  checkPaidBeyondEquity(excused, report, stats, all);
}

/**
 * The run's figure of what payers paid beyond their equity (AllocationReport.paidBeyondEquityQuote),
 * against the groups assessments took from equity >= 0 to below zero (`excused`). No step but
 * assessments takes a group below zero or lowers one already below, so each of them paid at least
 * `-after` beyond its equity: their sum is at most the figure (members already below zero add to it),
 * and each of them is one of the accounts the assessments steps count. What a step's members paid
 * beyond equity is part of what they paid, which is what the step covered (a pooled step); every
 * other step reports nothing; the steps add up to the run's figure.
 */
function checkPaidBeyondEquity(excused: { key: string; before: bigint; after: bigint }[], report: AllocationReport, stats: Stats, all: boolean): void {
  const fail = (message: string): void => violate(stats, all, 'paid-beyond-equity', `event ${report.event}: ${message}; steps ${show(report.steps)}`);
  let sum = 0n, accounts = 0;
  for (const st of report.steps) {
    sum += st.paidBeyondEquityQuote;
    accounts += st.paidBeyondEquityAccounts;
    if (st.kind !== 'assessments' && (st.paidBeyondEquityQuote !== 0n || st.paidBeyondEquityAccounts !== 0)) fail(`step ${st.waterfall}/${st.step} (${st.kind}) reports payments beyond equity`);
    if (st.paidBeyondEquityQuote < 0n || st.paidBeyondEquityQuote > st.coveredQuote) fail(`step ${st.waterfall}/${st.step} reports ${st.paidBeyondEquityQuote} beyond equity of ${st.coveredQuote} covered`);
    if ((st.paidBeyondEquityQuote > 0n) !== (st.paidBeyondEquityAccounts > 0)) fail(`step ${st.waterfall}/${st.step}: ${st.paidBeyondEquityQuote} beyond equity by ${st.paidBeyondEquityAccounts} accounts`);
  }
  if (sum !== report.paidBeyondEquityQuote) fail(`the steps report ${sum} beyond equity, the run ${report.paidBeyondEquityQuote}`);
  const below = excused.reduce((x, g) => x - g.after, 0n);
  if (below > report.paidBeyondEquityQuote) fail(`members ${show(excused)} ended ${below} below zero from equity >= 0, the run reports ${report.paidBeyondEquityQuote} paid beyond equity`);
  if (excused.length > accounts) fail(`${excused.length} members ended below zero from equity >= 0, the steps count ${accounts} that paid beyond equity`);
  if (excused.length > 0) stats.add('cover:paid beyond equity');
  stats.add('check:paid-beyond-equity');
}

// ---- Ranking refusals ---------------------------------------------------------------------------

/** Ends a scenario after a refusal by design (checked where it happened). */
class ScenarioEnd extends Error {
  constructor(readonly reason: string) { super(`scenario ended: ${reason}`); this.name = 'ScenarioEnd'; }
}

/** Whether `x` is a run's refusal because a ranking function failed. */
const isRankingRefusal = (x: unknown): x is RiskCoreError => x instanceof RiskCoreError && x.codeName === 'InvalidWaterfall' && x.field === 'ranking';

/** The refusal is an InputError naming a step ranked by a failing function, and one was called. */
function checkRankingRefusal(config: WaterfallConfig, x: RiskCoreError, what: string, stats: Stats, all: boolean): void {
  const step = stepsOf(config).flat()[x.row];
  if (!(x instanceof InputError) || step?.kind !== 'adl' || !isFailingRanking(step.ranking)) {
    violate(stats, all, 'ranking-refusal', `${what}: refused (${x.name}, row ${x.row}: ${x.message}), but row ${x.row} is not a step ranked by a failing function`);
  }
  if (failingRankingCalls.count === 0) violate(stats, all, 'ranking-refusal', `${what}: refused (${x.message}), but no failing ranking function was called`);
  stats.add('check:ranking-refusal');
  stats.add('check:ranking-refusal (a run refused)');
}

// ---- The driver ---------------------------------------------------------------------------------

interface Trace { digests: string[]; audit: string }

/** Runs a scenario on one build; with `stats`, checks every invariant on the way. */
/** A revenue split drawn from `seed`: four shares of 0..250,000 ppm, the insurance fund the rest (10^6 in all). */
function splitOf(seed: number): Record<'insuranceFund' | 'backstopVault' | 'stakers' | 'treasury' | 'pnlPool', number> {
  let x = (seed * 2_654_435_761) >>> 0;
  const next = (): number => { x = (Math.imul(x ^ (x >>> 15), 2_246_822_519) + 3_266_489_917) >>> 0; return x % 250_001; };
  const [vault, stakers, treasury, pnl] = [next(), next(), next(), next()];
  return { insuranceFund: 1_000_000 - vault - stakers - treasury - pnl, backstopVault: vault, stakers, treasury, pnlPool: pnl };
}

async function drive(c: ScenarioCase, release: boolean, stats: Stats | undefined, all: boolean): Promise<Trace | undefined> {
  const engine = await buildVenue(c.venue, release);
  if (!engine) return undefined;
  const trace: Trace = { digests: [], audit: '' };
  try {
    const config = fitWaterfall(c.waterfall, engine.marketCount, engine.accountCount);
    engine.setWaterfall(config);
    engine.setRevenueSplit({ liquidationFees: splitOf(c.venue.seed) });
    engine.setStaking({ settlePeriodSec: 60 });
    const shadow: Shadow = { ledger: engine.ledger().totalQuote, haircut: new Map(), gainBound: undefined, backstop: new Map(), slack: new Map() };
    const conserve = (what: string): void => {
      if (!stats) return;
      const now = engine.ledger().totalQuote;
      if (now !== shadow.ledger) violate(stats, all, 'conservation', `${what}: ledger ${shadow.ledger} -> ${now}`);
      stats.add('check:conservation');
    };
    let nowSec = 1_000;
    let lastEvent = 0;
    for (const [i, ev] of c.events.entries()) {
      const ids = Array.from({ length: engine.marketCount }, (_, m) => m);
      const moved = ev.marksPpm.slice(0, ids.length).some((x) => x !== 0) || ev.funding !== 0;
      try {
        if (moved) {
          engine.setMarks(ids, ids.map((m) => clampPrice(engine.market(m).markPrice * BigInt(1_000_000 + (ev.marksPpm[m] ?? 0)) / PPM)));
          if (ev.funding !== 0) {
            const mk = ids.map((m) => engine.market(m));
            engine.setFundingIndices(ids, mk.map((x) => x.fundingIndexLong + BigInt(ev.funding)), mk.map((x) => x.fundingIndexShort + BigInt(ev.funding)));
          }
          conserve(`event ${i}: marks and funding move`);
        }
        if (moved || i === 0) { shadow.haircut.clear(); shadow.slack.clear(); shadow.gainBound = undefined; }
        nowSec += ev.dt;
        engine.check();
        const before = stats ? snap(engine) : undefined;
        if (before) raiseBound(shadow, before);
        const reports: AllocationReport[] = [];
        let explicit: AllocationReport | undefined;
        let beforeRun: Snap | undefined = before;
        if (ev.mode === 'cascadeAllocate') {
          failingRankingCalls.count = 0;
          try {
            reports.push(...engine.liquidate(c.policy, { maxRounds: CASCADE_ROUNDS, allocate: { nowSec } }).allocations);
          } catch (x) {
            if (!isRankingRefusal(x)) throw x;
            // The rounds before stand; the refused round's deficits stay pending.
            if (stats) {
              checkRankingRefusal(config, x, `event ${i}: cascade`, stats, all);
              conserve(`event ${i}: refused cascade`);
              const pending = engine.deficits().reduce((t, d) => t + d.amountQuote, 0n);
              const lastRound = engine.liquidationLog().reduce((t, r) => t + r.deficitQuote, 0n);
              if (pending === 0n || pending !== lastRound) violate(stats, all, 'ranking-refusal', `event ${i}: a cascade refused by its ranking function leaves ${pending} pending; its last round's deficits were ${lastRound}`);
            }
            throw new ScenarioEnd('ranking');
          }
        } else {
          if (ev.mode === 'cascadeThenAllocate') engine.liquidate(c.policy, { maxRounds: CASCADE_ROUNDS });
          else { engine.planLiquidations(c.policy); engine.executeLiquidations(); }
          conserve(`event ${i}: liquidation`);
          engine.check();
          if (stats) { beforeRun = snap(engine); raiseBound(shadow, beforeRun); }
          const refusedBefore = stats ? digest(engine) : undefined;
          failingRankingCalls.count = 0;
          try {
            explicit = engine.allocateLosses({ nowSec });
          } catch (x) {
            if (!isRankingRefusal(x)) throw x;
            if (stats) {
              checkRankingRefusal(config, x, `event ${i}: allocateLosses`, stats, all);
              const changed = changedParts(refusedBefore!, digest(engine));
              if (changed.length > 0) violate(stats, all, 'ranking-refusal', `event ${i}: allocateLosses refused by its ranking function (${x.message}) but changed ${changed.join(', ')}`);
            }
            throw new ScenarioEnd('ranking');
          }
          reports.push(explicit);
        }
        if (stats) {
          if (failingRankingCalls.count > 0) violate(stats, all, 'ranking-refusal', `event ${i}: a failing ranking function was called ${failingRankingCalls.count} times and the run was not refused`);
          stats.add('check:ranking-refusal');
        }
        engine.check();
        if (stats) {
          stats.add('events');
          const after = snap(engine);
          // The allocation checks name what went wrong more precisely than the ledger does: first.
          // A backstop transfer inside a cascade hands the backstop account positions (and their gains) unobserved.
          const unbounded = explicit === undefined && (c.policy.backstopPpm ?? 0) > 0 ? c.policy.backstopAccountId : undefined;
          checkEvents(engine, config, reports, beforeRun!, shadow, stats, all, explicit !== undefined, unbounded);
          if (explicit) checkRun(engine, config, explicit, beforeRun!, after, stats, all);
          if (after.members !== beforeRun!.members) stats.add('cover:members moved');
        }
        conserve(`event ${i}: allocation`);
        const treasury = engine.revenue().treasuryQuote;
        engine.distributeRevenue(nowSec);
        engine.settleStakingRevenue(nowSec);
        conserve(`event ${i}: revenue`);
        if (stats && engine.revenue().treasuryQuote !== treasury) stats.add('cover:revenue split');
        lastEvent = Math.max(lastEvent, ...reports.map((r) => r.event));
      } catch (x) {
        // A run refused by its ranking function ends the scenario (the same run would be refused
        // again), after its checks; so does a move that takes the book out of the supported range
        // (both builds alike).
        if (x instanceof ScenarioEnd) {
          stats?.add(`cover:ended by ${x.reason}`);
          trace.digests.push(`ended:${x.reason}:${digestText(digest(engine))}`);
          break;
        }
        if (x instanceof RiskCoreError && (x.codeName === 'Overflow' || x.codeName === 'ResultsStale' || x.codeName === 'NoPlan')) {
          stats?.add(`cover:ended by ${x.codeName}`);
          trace.digests.push(`ended:${x.codeName}`);
          break;
        }
        throw x;
      }
      trace.digests.push(digestText(digest(engine)));
    }
    trace.audit = show(engine.auditLog.toJSON());
    return trace;
  } finally {
    engine.dispose();
  }
}

/** One scenario: checked on release, replayed on debug (and on release again when `twice`); traces must match. */
export async function runScenarioCase(c: ScenarioCase, stats: Stats, all: boolean): Promise<void> {
  try {
    const main = await drive(c, true, stats, all);
    if (!main) { stats.add('skipped'); return; }
    stats.add('scenarios');
    const others: [string, Trace | undefined][] = [['debug build', await drive(c, false, undefined, all)]];
    if (c.twice) others.push(['second release run', await drive(c, true, undefined, all)]);
    for (const [what, t] of others) {
      if (!t || show(t) !== show(main)) {
        const at = t ? t.digests.findIndex((d, i) => d !== main.digests[i]) : -1;
        violate(stats, all, 'determinism', `${what} differs from the first run (first differing event: ${at < 0 ? 'audit log' : at})`);
      }
    }
    stats.add('check:determinism');
  } catch (x) {
    if (x instanceof KnownStop) return;
    if (x instanceof FuzzFailure) throw x;
    // A call the scenario makes with valid arguments threw: a failure of its own.
    const name = x instanceof RiskCoreInvariantError ? 'scenario-abort' : 'scenario-throw';
    try {
      violate(stats, all, name, x instanceof Error ? `${x.name}: ${x.message}` : String(x));
    } catch (y) {
      if (y instanceof KnownStop) return;
      throw y;
    }
  }
}
