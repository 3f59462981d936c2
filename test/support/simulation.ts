/**
 * Test support for the stress simulation (docs/SIMULATION.md): digests of a book's final state, the
 * price path a Simulator generated, and a model of the step loop driven through the engine's public
 * API only, written from the document (not from assembly/engine/simulation/).
 */
import { RiskEngine, STEP_METRICS, type LiquidationPolicy, type PathWithdrawals, type Simulator, type StepMetric, type TrancheKind, type WaterfallConfig } from '../../dist/src/node.js';
import { internalsOf } from '../../dist/src/abi/internals.js';

/**
 * The prices of the path the Simulator ran last: rows 0..steps of one mark per market, row 0 the
 * marks at preparation (docs/SIMULATION.md, "Paths"). White box: read from the core's path table,
 * the one input of the step loop that the public API does not show.
 */
export function lastPathPrices(sim: Simulator): bigint[][] {
  const raw = internalsOf(sim.engine).raw;
  const m = sim.engine.marketCount, steps = sim.config.steps;
  const table = raw.simArray(BigInt64Array, 'Path', 0, (steps + 1) * m);
  return Array.from({ length: steps + 1 }, (_, t) => Array.from(table.subarray(t * m, (t + 1) * m)));
}

/** Bytes of the engine's memory (a simulation area grows it once). */
export function memoryBytes(engine: RiskEngine): number {
  return internalsOf(engine).raw.memory.buffer.byteLength;
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/**
 * Everything observable about the book after a fresh full check: every account (collateral,
 * positions, isolated positions, figures), every market, the health tallies, the ledger, the funds,
 * the waterfall's balances, the vault and clearing members, pending deficits. Runs `engine.check()`.
 */
export function bookState(engine: RiskEngine): string {
  engine.check();
  const parts: unknown[] = [engine.accountCount, engine.marketCount, engine.summary().book, engine.ledger(), engine.insuranceFund()];
  for (let m = 0; m < engine.marketCount; m++) parts.push(engine.market(m), engine.insuranceFund(m));
  parts.push(engine.waterfallBalances(), engine.vault(), engine.clearingMembers(), engine.deficits());
  const v = engine.resultsView();
  parts.push([...v.equityQuote], [...v.imQuote], [...v.mmQuote], [...v.freeQuote], [...v.health]);
  const iv = engine.isolatedResultsView();
  parts.push([...iv.accountId], [...iv.marketId], [...iv.equityQuote], [...iv.mmQuote], [...iv.health]);
  for (let a = 0; a < engine.accountCount; a++) parts.push(engine.account(a));
  return json(parts);
}

// ---- The step loop, from docs/SIMULATION.md -------------------------------------------------------

export interface StepLoopInput {
  /** Rows 0..steps of marks (row 0: the marks at the start). */
  prices: readonly (readonly bigint[])[];
  policy: LiquidationPolicy;
  waterfall: WaterfallConfig;
  fundingRatePpm: readonly bigint[];
  impact: { depthPpmOfOpenInterest: number; slopePpm: number; permanentPpm: number; maxPpm: number };
  maxRoundsPerStep: number;
  stepSeconds: number;
  /** The waterfall clock before step 1 (the doc's startSec). */
  startSec: number;
  /** Volume and revenue (docs/SIMULATION.md, "Revenue and risk-takers"); none when absent. */
  economics?: { turnoverPpm: bigint; crashMultiplierPpm: bigint; revenueEverySteps: number };
  /** The withdrawal run (docs/SIMULATION.md, "Winners' withdrawals"); none when absent. */
  withdrawals?: { everySteps: number; probabilityPpm: bigint; bankRunPpm: bigint; seed: bigint; path: number };
  /** The funding skim, ppm (> 0: funding goes through engine.accrueFunding instead of setFundingIndices). */
  fundingSkimPpm?: number;
}

/** A path's withdrawal run, as the path record has it. */
export type RunFigures = PathWithdrawals;

export interface StepLoopResult {
  metrics: bigint[][];
  prefundedQuote: bigint;
  cover1Quote: bigint;
  cover2Quote: bigint;
  fundExhausted: boolean;
  withdrawals: RunFigures;
  /** The funding skims the path's accruals kept (0 without a skim). */
  skimQuote: bigint;
}

const E6 = 1_000_000n;
const E9 = 1_000_000_000n;
const MAX_MARK = (1n << 62n) - 1n;
const absB = (x: bigint): bigint => (x < 0n ? -x : x);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** floor(a / b) for b > 0. */
export const floorDivB = (a: bigint, b: bigint): bigint => { const q = a / b; return a % b !== 0n && a < 0n ? q - 1n : q; };
/** ceil(a / b) for b > 0. */
export const ceilDivB = (a: bigint, b: bigint): bigint => -floorDivB(-a, b);

const M64 = (1n << 64n) - 1n;
/** splitmix64 (Steele, Lea, Flood 2014) on unsigned 64-bit values. */
export function splitmix64B(x: bigint): bigint {
  let z = (x + 0x9E3779B97F4A7C15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & M64;
  return z ^ (z >> 31n);
}
const gcdB = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcdB(b, a % b));

/**
 * The withdrawal run of docs/SIMULATION.md ("Winners' withdrawals") through the public API: the
 * path's order of turns, the chance per run step, each turn (withdrawable, settleAccountPnl,
 * requestWithdrawal) and the serve (serveWithdrawals, the queue before and after).
 */
class WithdrawalRun {
  private survival = 1n << 32n;
  private turns = 0n;
  private readonly a: bigint;
  private readonly offset: bigint;
  private readonly stride: bigint;
  private readonly firstRequest: number;
  private readonly hash: bigint;
  /** What the path's unstakes paid the stakers. */
  unstakedQuote = 0n;
  private readonly owed = new Map<number, bigint>();
  /** What each of the path's queued requests has received while queued. */
  private readonly receivedQueued = new Map<number, bigint>();
  readonly figures: RunFigures = { winners: 0, wantedQuote: 0n, receivedQuote: 0n, shortWinners: 0, queuedRequests: 0, stillQueued: 0, chargedQuote: 0n };

  constructor(private readonly engine: RiskEngine, private readonly input: NonNullable<StepLoopInput['withdrawals']>, private readonly fundsAtStart: bigint) {
    this.a = BigInt(engine.accountCount);
    this.firstRequest = engine.withdrawalState().nextRequestId;
    const h = splitmix64B((input.seed + splitmix64B(BigInt(input.path))) & M64);
    this.hash = h;
    this.offset = this.a === 0n ? 0n : h % this.a;
    let g = this.a === 0n ? 1n : 1n + splitmix64B(h) % this.a;
    while (this.a > 0n && gcdB(g, this.a) !== 1n) g = g >= this.a ? 1n : g + 1n;
    this.stride = g;
  }

  private account(k: bigint): number { return Number((this.offset + k * this.stride) % this.a); }

  /** Step t's run (t a multiple of everySteps); returns what accounts received on the step, and the waits' rows. */
  step(t: number, now: number, funds: bigint, waits: bigint[], stepSeconds: number): bigint {
    const { engine, input } = this;
    if (t % input.everySteps !== 0) return 0n;
    const drawdown = this.fundsAtStart > 0n && funds < this.fundsAtStart ? floorDivB((this.fundsAtStart - funds) * E6, this.fundsAtStart) : 0n;
    const p = minB(E6, input.probabilityPpm + floorDivB(input.bankRunPpm * drawdown, E6));
    this.stakers(t, now, p);
    if (this.a === 0n) return 0n;
    this.survival = floorDivB(this.survival * (E6 - p), E6);
    const due = ((1n << 32n) - this.survival) * this.a >> 32n;
    let received = 0n;
    const vault = engine.vault().accountId;
    for (; this.turns < due; this.turns++) {
      const a = this.account(this.turns);
      if (!engine.account(a).open || a === vault) continue;
      const w = engine.withdrawable(a);
      const c0 = engine.account(a).collateralQuote;
      const gain = w.equityQuote - c0;
      const want = minB(gain, w.equityQuote - w.requirementQuote);
      engine.settlePnl(a, undefined, now); // everyone whose turn came settles
      if (gain <= 0n || want <= 0n) { engine.check({ accounts: [a] }); continue; }
      this.figures.winners++;
      this.figures.wantedQuote += want;
      const after = engine.withdrawable(a).amountQuote, c = engine.account(a).collateralQuote;
      const allowed = minB(after, c) > 0n ? minB(after, c) : 0n;
      const ask = minB(minB(want, allowed), c - c0); // no more than the settle realized
      let got = 0n;
      if (ask > 0n) {
        try {
          const r = engine.requestWithdrawal(a, ask, now);
          got = r.receivedQuote;
          this.figures.chargedQuote += r.chargeQuote;
          if (r.queuedQuote > 0n) { this.figures.queuedRequests++; this.receivedQueued.set(r.requestId, 0n); }
        } catch (e) {
          if (!(e instanceof Error && 'code' in e && e.code === 'CapacityExceeded')) throw e; // a full queue turns it away
        }
      }
      received += got;
      this.owed.set(a, want - got);
      engine.check({ accounts: [a] });
    }
    const before = engine.withdrawalState().queue;
    if (before.length === 0) return received;
    const report = engine.serveWithdrawals(now);
    received += report.receivedQuote;
    this.figures.chargedQuote += report.chargeQuote;
    for (const s of report.served) {
      const r = this.receivedQueued.get(s.requestId);
      if (r !== undefined) this.receivedQueued.set(s.requestId, r + s.paidQuote - s.chargeQuote);
    }
    const stays = new Set(engine.withdrawalState().queue.map((q) => q.requestId));
    const recheck = new Set<number>();
    for (const q of before) {
      if (stays.has(q.requestId)) { recheck.add(q.accountId); break; } // the head that stays
      recheck.add(q.accountId);
      if (q.requestId < this.firstRequest) continue;
      const waited = Number((BigInt(now) - q.sinceSec) / BigInt(stepSeconds));
      if (waited < waits.length) waits[waited]! += 1n;
      this.owed.set(q.accountId, this.owed.get(q.accountId)! - this.receivedQueued.get(q.requestId)!);
    }
    engine.check({ accounts: [...recheck] });
    return received;
  }

  /** The engine's stakers, fund by fund: due unstakes completed, then requests drawn under the chance p. */
  private stakers(t: number, now: number, p: bigint): void {
    const { engine } = this;
    const cooldown = BigInt(engine.stakingConfig().cooldownSec);
    const ht = splitmix64B((this.hash + BigInt(t)) & M64);
    for (let f = 0; f <= engine.marketCount; f++) {
      for (const s of engine.staking(f).stakers) {
        if (s.request) {
          if (BigInt(now) - s.request.sinceSec < cooldown) continue;
          this.unstakedQuote += engine.unstake(s.accountId, f, now);
          engine.check({ accounts: [s.accountId] });
          continue;
        }
        const draw = splitmix64B((ht + (BigInt(f) << 32n) + BigInt(s.accountId)) & M64) % E6;
        if (s.shares > 0n && draw < p) engine.requestUnstake(s.accountId, f, s.shares, now);
      }
    }
  }

  /** The path's end: requests still queued count what they received; winners still owed are short. */
  end(): RunFigures {
    for (const q of this.engine.withdrawalState().queue) {
      if (q.requestId < this.firstRequest) continue;
      this.figures.stillQueued++;
      this.owed.set(q.accountId, this.owed.get(q.accountId)! - this.receivedQueued.get(q.requestId)!);
    }
    let owedTotal = 0n;
    for (const o of this.owed.values()) if (o > 0n) { this.figures.shortWinners++; owedTotal += o; }
    this.figures.receivedQuote = this.figures.wantedQuote - owedTotal;
    return this.figures;
  }
}

const SOCIALIZED: readonly TrancheKind[] = ['socializeFunding', 'haircutGains', 'haircutDeposits'];
/** Steps whose money comes from accounts of the book: the whole book is checked again after them. */
const TOUCH_BOOK: readonly TrancheKind[] = ['adl', 'haircutGains', 'haircutDeposits', 'haircutVaultShares', 'membersFund', 'assessments'];

/**
 * Runs one path over `engine` as docs/SIMULATION.md describes a step, with the public API only:
 * setMarks / setFundingIndices, check, planLiquidations with the closes' prices edited through the
 * plan's view (price impact), executeLiquidations, allocateLosses, and the re-checks the document
 * lists. The engine must be the book as the path starts (waterfall and funds set).
 */
export function runStepLoop(engine: RiskEngine, input: StepLoopInput): StepLoopResult {
  const m = engine.marketCount;
  const ids = Array.from({ length: m }, (_, i) => i);
  const steps = input.prices.length - 1;
  const k = (name: StepMetric): number => STEP_METRICS.indexOf(name);
  const metrics = STEP_METRICS.map(() => new Array<bigint>(steps).fill(0n));
  const add = (name: StepMetric, t: number, v: bigint): void => { metrics[k(name)]![t - 1]! += v; };
  const fundTotal = (): bigint => engine.insuranceFund(); // every market of a synthetic book pays into the global fund
  const vaultNav = (): bigint => engine.vault().navQuote;
  const ops = engine.waterfallBalances().operatorCapitalQuote;
  // Prefunded: only what the waterfall has a step to draw on (docs/SIMULATION.md, "Per path").
  const kinds = new Set([...input.waterfall.steps, ...(input.waterfall.groups ?? []).flatMap((g) => g.steps)].map((s) => s.kind));
  const prefundedQuote = (kinds.has('insuranceFund') ? fundTotal() : 0n)
    + (kinds.has('backstopVault') || kinds.has('haircutVaultShares') ? vaultNav() : 0n)
    + (kinds.has('membersFund') || kinds.has('defaulterFund') ? engine.clearingMembers().reduce((a, c) => a + c.fundQuote, 0n) : 0n)
    + (kinds.has('operatorCapital') ? ops[0] + ops[1] : 0n);

  // Depth at the start of the path: floor(floor(OI * mark / D) * depthPpm / 10^6), at least 1 atom.
  const markets = ids.map((i) => engine.market(i));
  const scale = markets.map((x) => 10n ** BigInt(x.baseDecimals));
  const depth = markets.map((x, i) => {
    const oi = x.openInterestLongBase > x.openInterestShortBase ? x.openInterestLongBase : x.openInterestShortBase;
    const d = floorDivB(floorDivB(oi * x.markPrice, scale[i]!) * BigInt(input.impact.depthPpmOfOpenInterest), E6);
    return d < 1n ? 1n : d;
  });
  const slope = BigInt(input.impact.slopePpm), cap = BigInt(input.impact.maxPpm), permanent = BigInt(input.impact.permanentPpm);
  const impactPpm = (c: bigint, i: number): bigint => minB(cap, floorDivB(c * slope, depth[i]!));
  const level = ids.map(() => E9);
  const loss = new Map<number, bigint>();
  let exhausted = false;
  let skimQuote = 0n;

  const marksOf = (t: number): bigint[] => ids.map((i) => {
    const x = floorDivB(input.prices[t]![i]! * level[i]!, E9);
    return x < 1n ? 1n : x > MAX_MARK ? MAX_MARK : x;
  });
  const open = (): number => {
    const b = engine.summary().book;
    return b.accounts.liquidatable + b.accounts.bankrupt + b.isolated.liquidatable + b.isolated.bankrupt;
  };

  const run = input.withdrawals ? new WithdrawalRun(engine, input.withdrawals, fundTotal()) : null;
  engine.check();
  for (let t = 1; t <= steps; t++) {
    // 1. Prices; 2. funding: both indices move by floor(mark * rate / 10^6).
    const marks = marksOf(t);
    engine.setMarks(ids, marks);
    if ((input.fundingSkimPpm ?? 0) > 0) {
      // With a skim the receivers' index moves less (docs/ECONOMICS.md, "Funding skim").
      for (const i of ids) skimQuote += engine.accrueFunding(i, { ratePpm: Number(input.fundingRatePpm[i]!), skimPpm: input.fundingSkimPpm! }).skimQuote;
    } else {
      const now = ids.map((i) => engine.market(i));
      const delta = marks.map((x, i) => floorDivB(x * input.fundingRatePpm[i]!, E6));
      engine.setFundingIndices(ids, now.map((x, i) => x.fundingIndexLong + delta[i]!), now.map((x, i) => x.fundingIndexShort + delta[i]!));
    }
    // 3. Check.
    engine.check();
    // 4. Rounds.
    const closed = ids.map(() => 0n);
    for (let round = 0; round < input.maxRoundsPerStep && open() > 0; round++) {
      const plan = engine.planLiquidations(input.policy);
      if (plan.rows === 0) break;
      add('rounds', t, 1n);
      const net = ids.map(() => 0n);
      const v = plan.view;
      const planAccounts = new Set<number>();
      for (let r = 0; r < plan.rows; r++) {
        planAccounts.add(v.accountId[r]!);
        if (v.kind[r] !== 0) continue; // closes only
        const i = v.marketId[r]!, d = v.sizeBase[r]!;
        const mark = marks[i]!;
        const n = floorDivB(absB(d) * mark, scale[i]!);
        closed[i]! += n;
        net[i]! += d > 0n ? n : -n;
        const impact = impactPpm(closed[i]!, i);
        let q = d > 0n ? ceilDivB(mark * (E6 + impact), E6) : floorDivB(mark * (E6 - impact), E6);
        if (q < 1n) q = 1n;
        v.priceQuote[r] = q;
      }
      const exec = engine.executeLiquidations();
      add('closes', t, BigInt(exec.closes));
      add('groups', t, BigInt(exec.groups));
      add('closedNotionalQuote', t, exec.closedNotionalQuote);
      const records = engine.deficits();
      let bump = false;
      const recheck = new Set(planAccounts);
      if (input.policy.backstopAccountId !== undefined) recheck.add(input.policy.backstopAccountId);
      if (records.length > 0) {
        for (const r of records) loss.set(r.accountId, (loss.get(r.accountId) ?? 0n) + r.amountQuote);
        const report = engine.allocateLosses({ nowSec: input.startSec + t * input.stepSeconds });
        add('deficitQuote', t, report.deficitQuote);
        add('residueQuote', t, report.residueQuote);
        add('uncoveredQuote', t, report.uncoveredQuote);
        add('adlNotionalQuote', t, report.adlNotionalQuote);
        add('adlAccounts', t, BigInt(report.adlAccounts));
        let touchBook = report.adlAccounts > 0, fundSeen = false, lastWaterfall = -1;
        for (const s of report.steps) {
          const name = `covered${s.kind[0]!.toUpperCase()}${s.kind.slice(1)}` as StepMetric;
          add(name, t, s.coveredQuote);
          if (SOCIALIZED.includes(s.kind)) add('socializedQuote', t, s.coveredQuote);
          if (s.coveredQuote > 0n && TOUCH_BOOK.includes(s.kind)) touchBook = true;
          if (s.coveredQuote > 0n && s.kind === 'socializeFunding') bump = true;
          // "Fund exhausted": in a waterfall with an insurance-fund step, a later step covered some.
          if (s.waterfall !== lastWaterfall) { lastWaterfall = s.waterfall; fundSeen = false; }
          if (s.kind === 'insuranceFund') fundSeen = true;
          else if (fundSeen && s.coveredQuote > 0n) exhausted = true;
          // A backstop step that paid: its providers' accounts (or the vault account) are checked again.
          if (s.kind === 'backstopVault' && s.coveredQuote > 0n) {
            const tranche = (s.waterfall === 0 ? input.waterfall.steps : input.waterfall.groups![s.waterfall - 1]!.steps)[s.step]!;
            const providers = tranche.kind === 'backstopVault' ? tranche.providers ?? [] : [];
            if (providers.length > 0) for (const pr of providers) recheck.add(pr.accountId);
            else if (engine.vault().accountId !== null) recheck.add(engine.vault().accountId!);
          }
        }
        // ... or some stayed uncovered.
        if (report.uncoveredQuote > 0n && report.steps.some((s) => s.kind === 'insuranceFund')) exhausted = true;
        if (touchBook) engine.check();
        else engine.check({ accounts: [...recheck] });
      } else {
        engine.check({ accounts: [...recheck] });
      }
      // Funding bump: the indices moved, the whole book is checked again.
      if (bump) engine.check();
      // 5. Permanent impact: perm = floor(min(max, floor(|f| slope / depth)) * permanentPpm / 10^6);
      // the level carries into the next step's marks (within a step, rounds see the same marks).
      for (const i of ids) {
        const f = net[i]!;
        if (f === 0n) continue;
        const perm = floorDivB(impactPpm(absB(f), i) * permanent, E6);
        if (perm === 0n) continue;
        const lv = floorDivB(level[i]! * (f > 0n ? E6 + perm : E6 - perm), E6);
        level[i] = lv < 1n ? 1n : lv;
      }
    }
    // 6. Economics: the volume's fees into the pools (more volume on a step with closes); every
    // revenueEverySteps steps the pools through the split, and the vault account checked again.
    const e = input.economics;
    if (e) {
      const now = input.startSec + t * input.stepSeconds;
      const k6 = metrics[k('closes')]![t - 1]! > 0n ? e.crashMultiplierPpm : E6;
      const fees = engine.revenue().markets;
      const feeOn = (volume: bigint, ppm: bigint): bigint => (ppm >= 0n ? ceilDivB(volume * ppm, E6) : -floorDivB(volume * -ppm, E6));
      for (const i of ids) {
        const x = engine.market(i);
        const oi = floorDivB(x.openInterestLongBase * x.markPrice, scale[i]!);
        const volume = floorDivB(floorDivB(oi * e.turnoverPpm, E6) * k6, E6);
        const revenue = feeOn(volume, BigInt(fees[i]!.takerFeePpm)) + feeOn(volume, BigInt(fees[i]!.makerFeePpm));
        if (revenue > 0n) engine.collectFees(i, revenue, now);
        add('feeRevenueQuote', t, revenue);
      }
      if (e.revenueEverySteps > 0 && t % e.revenueEverySteps === 0) {
        engine.distributeRevenue(now);
        engine.settleStakingRevenue(now);
        const vault = engine.vault().accountId;
        if (vault !== null) engine.check({ accounts: [vault] });
      }
    }
    // 7. The withdrawal run (a run step), then the queue's total.
    if (run) metrics[k('withdrawnQuote')]![t - 1]! += run.step(t, input.startSec + t * input.stepSeconds, fundTotal(), metrics[k('queueWaits')]!, input.stepSeconds);
    // The stakers' holdings, sum over funds of floor(balance * stakerShares / totalShares), and what
    // the path's unstakes paid them.
    let staked = 0n;
    for (let f = 0; f <= m; f++) {
      const s = engine.staking(f);
      if (s.totalShares > 0n) staked += floorDivB(s.balanceQuote * s.stakerShares, s.totalShares);
    }
    metrics[k('stakerValueQuote')]![t - 1] = staked + (run?.unstakedQuote ?? 0n);
    metrics[k('queuedQuote')]![t - 1] = engine.withdrawalState().queuedQuote;
    // 8. Metrics at the end of the step.
    metrics[k('insuranceFundQuote')]![t - 1] = fundTotal();
    metrics[k('vaultNavQuote')]![t - 1] = vaultNav();
    metrics[k('treasuryQuote')]![t - 1] = engine.revenue().treasuryQuote;
  }
  const losses = [...loss.values()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const cover1Quote = losses[0] ?? 0n;
  const none: RunFigures = { winners: 0, wantedQuote: 0n, receivedQuote: 0n, shortWinners: 0, queuedRequests: 0, stillQueued: 0, chargedQuote: 0n };
  return { metrics, prefundedQuote, cover1Quote, cover2Quote: cover1Quote + (losses[1] ?? 0n), fundExhausted: exhausted, withdrawals: run ? run.end() : none, skimQuote };
}
