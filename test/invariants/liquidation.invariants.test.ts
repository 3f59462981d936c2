/**
 * Invariants of liquidation (docs/FORMULAS.md, "Liquidation") on random small books, random mark
 * moves, random execution prices and random policies:
 * - the ledger total is unchanged by every execution and by a whole cascade;
 * - insurance fund balances are never negative;
 * - the deficit records an execution adds sum to the increase of the ledger's deficits (and to the
 *   log's deficit column);
 * - a plan never closes more than a position, always reduces it, and closes a multiple of the step
 *   unless it closes the whole position;
 * - after a full-close cascade nothing is liquidatable and no account is left with no positions and
 *   negative collateral;
 * - the same book and policy twice give the same log;
 * - a partial close restores its target, and one step less would not (up to the atoms of rounding
 *   the binary search of docs/FORMULAS.md may meet).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LiquidationPolicy, type MarginCurve, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';
import { expectExercised, RunCount } from '../support/runs.js';

const USD = 1_000_000n;
const PPM = 1_000_000n;

interface MarketDraw { baseDecimals: number; markUsd: number; curve: MarginCurve; stepBase: bigint; own: boolean; fundingLong: bigint; fundingShort: bigint; shockPpm: number }
interface PositionDraw { market: number; notionalUsd: number; long: boolean; entryPpm: number; fundingGap: bigint }
interface AccountDraw { collateralPpm: number; positions: PositionDraw[]; isolated: (PositionDraw & { collateralPpm: number }) | null }
interface BookDraw { markets: MarketDraw[]; accounts: AccountDraw[]; vault: boolean }

const curveArb: fc.Arbitrary<MarginCurve> = fc.oneof(
  fc.tuple(fc.integer({ min: 5_000, max: 100_000 }), fc.integer({ min: 0, max: 100_000 })).map(([mmf, extra]) => ({ kind: 'flat' as const, imfPpm: mmf + extra, mmfPpm: mmf })),
  fc.tuple(fc.integer({ min: 5_000, max: 50_000 }), fc.integer({ min: 0, max: 50_000 }), fc.integer({ min: 1, max: 200_000 })).map(([mmf, step, floorUsd]) => ({
    kind: 'tiers' as const,
    tiers: [{ notionalFloorQuote: 0n, imfPpm: mmf * 2, mmfPpm: mmf }, { notionalFloorQuote: BigInt(floorUsd) * USD, imfPpm: (mmf + step) * 2, mmfPpm: mmf + step }],
  })),
  fc.tuple(fc.integer({ min: 5_000, max: 100_000 }), fc.integer({ min: 0, max: 5_000 })).map(([mmf, k]) => ({ kind: 'sizePremium' as const, imfPpm: mmf * 2, mmfPpm: mmf, premiumPpm: k })),
);
const marketArb: fc.Arbitrary<MarketDraw> = fc.record({
  baseDecimals: fc.integer({ min: 0, max: 8 }),
  markUsd: fc.integer({ min: 1, max: 100_000 }),
  curve: curveArb,
  stepBase: fc.oneof(fc.constant(1n), fc.bigInt({ min: 1n, max: 1_000n })),
  own: fc.boolean(),
  fundingLong: fc.bigInt({ min: -1_000_000n, max: 1_000_000n }),
  fundingShort: fc.bigInt({ min: -1_000_000n, max: 1_000_000n }),
  shockPpm: fc.integer({ min: -300_000, max: 300_000 }),
});
const positionArb = (markets: number): fc.Arbitrary<PositionDraw> => fc.record({
  market: fc.integer({ min: 0, max: markets - 1 }),
  notionalUsd: fc.integer({ min: 1, max: 1_000_000 }),
  long: fc.boolean(),
  entryPpm: fc.integer({ min: 800_000, max: 1_200_000 }),
  fundingGap: fc.bigInt({ min: -2_000_000n, max: 2_000_000n }),
});
const bookArb: fc.Arbitrary<BookDraw> = fc.array(marketArb, { minLength: 1, maxLength: 3 }).chain((markets) => fc.record({
  markets: fc.constant(markets),
  accounts: fc.array(fc.record({
    collateralPpm: fc.integer({ min: -150_000, max: 300_000 }),
    positions: fc.array(positionArb(markets.length), { maxLength: 3 }),
    isolated: fc.option(fc.tuple(positionArb(markets.length), fc.integer({ min: -100_000, max: 300_000 })).map(([p, c]) => ({ ...p, collateralPpm: c })), { nil: null }),
  }), { minLength: 1, maxLength: 6 }),
  vault: fc.boolean(),
}));

const policyArb = (vaultId: number | null): fc.Arbitrary<LiquidationPolicy> => fc.record({
  close: fc.constantFrom('full' as const, 'partial' as const),
  target: fc.constantFrom('maintenance' as const, 'initial' as const),
  bufferPpm: fc.constantFrom(0, 50_000, 500_000),
  maxCloseFractionPpm: fc.constantFrom(1_000_000, 100_000, 200_000, 333_333),
  fractionAboveNotionalQuote: fc.constantFrom(0n, 1_000n * USD),
  minCloseNotionalQuote: fc.constantFrom(0n, 50n * USD),
  maxNotionalPerRoundQuote: fc.constantFrom(0n, 5_000n * USD, 100_000n * USD),
  maxDeficitPerRoundQuote: fc.constantFrom(0n, 100n * USD),
  order: fc.constantFrom('maintenance' as const, 'notional' as const, 'book' as const),
  liquidationFeePpm: fc.constantFrom(0, 5_000, 15_000, 1_000_000),
  liquidatorSharePpm: fc.constantFrom(0, 500_000, 1_000_000),
  backstopPpm: vaultId === null ? fc.constant(0) : fc.constantFrom(0, 666_667),
}).map((p) => (vaultId === null || p.backstopPpm === 0 ? p : { ...p, backstopAccountId: vaultId }));

/** A book and a policy for it (the vault, when drawn, is the account after the drawn ones). */
const bookAndPolicyArb = bookArb.chain((draw) => fc.tuple(fc.constant(draw), policyArb(draw.vault ? draw.accounts.length : null)));

/** Loads a drawn book into a fresh engine and moves the marks; returns the vault's id (or null). */
async function build(draw: BookDraw): Promise<{ engine: RiskEngine; vaultId: number | null }> {
  const engine = await createEngine();
  const scale = draw.markets.map((m) => 10n ** BigInt(m.baseDecimals));
  const marks = draw.markets.map((m) => BigInt(m.markUsd) * USD);
  draw.markets.forEach((m, i) => engine.addMarket({
    baseDecimals: m.baseDecimals, markPrice: marks[i]!, curve: m.curve, stepBase: m.stepBase, insuranceFund: m.own ? 'own' : 'global',
    fundingIndexLong: m.fundingLong, fundingIndexShort: m.fundingShort,
  }));
  const position = (p: PositionDraw): { marketId: number; sizeBase: bigint; quoteBalance: bigint; fundingSnapshot: bigint; notional: bigint } => {
    const d = scale[p.market]!, mark = marks[p.market]!, m = draw.markets[p.market]!;
    const abs = (BigInt(p.notionalUsd) * USD * d) / mark || 1n;
    const sizeBase = p.long ? abs : -abs;
    const entry = (mark * BigInt(p.entryPpm)) / PPM;
    return {
      marketId: p.market, sizeBase, quoteBalance: -(sizeBase * entry) / d,
      fundingSnapshot: (p.long ? m.fundingLong : m.fundingShort) + p.fundingGap, notional: (abs * mark) / d,
    };
  };
  const specs = draw.accounts.map((a) => {
    const used = new Set<number>();
    const positions = a.positions.filter((p) => !used.has(p.market) && used.add(p.market)).map(position);
    const iso = a.isolated && !used.has(a.isolated.market) ? position(a.isolated) : null;
    const notional = positions.reduce((n, p) => n + p.notional, 0n);
    return {
      collateralQuote: (notional * BigInt(a.collateralPpm)) / PPM,
      positions: positions.map(({ notional: _n, ...p }) => p),
      isolated: iso ? [{ marketId: iso.marketId, sizeBase: iso.sizeBase, quoteBalance: iso.quoteBalance, fundingSnapshot: iso.fundingSnapshot, collateralQuote: (iso.notional * BigInt(a.isolated!.collateralPpm)) / PPM }] : [],
    };
  });
  engine.addAccounts(specs);
  const vaultId = draw.vault ? engine.addAccounts([{ collateralQuote: 10_000_000n * USD }])[0]! : null;
  engine.setMarks(draw.markets.map((_, i) => i), draw.markets.map((m, i) => { const p = (marks[i]! * BigInt(1_000_000 + m.shockPpm)) / PPM; return p > 0n ? p : 1n; }));
  engine.check();
  return { engine, vaultId };
}

/** Position sizes (cross by account+market, isolated by id) and market steps, for plan checks. */
function positionsOf(engine: RiskEngine): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (let a = 0; a < engine.accountCount; a++) {
    const s = engine.account(a);
    for (const p of s.positions) out.set(`${a}:${p.marketId}:x`, p.sizeBase);
    for (const r of s.isolated) out.set(`${a}:${r.marketId}:${r.isolatedId}`, r.sizeBase);
  }
  return out;
}

function fundsOf(engine: RiskEngine): bigint[] {
  return [engine.insuranceFund(), ...Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m))];
}

const NO_ISO = 0xffffffff;
/** LIQUIDATION_RUNS_SCALE=10 runs every property ten times longer (soak runs). */
const SCALE = Math.max(1, Number(process.env.LIQUIDATION_RUNS_SCALE ?? 1));
/**
 * Share of draws for the partial-close property whose position is liquidatable (fc.pre), measured with
 * its seed: 60 of 106 (57 %; 600 of 1,109, 54 %, with LIQUIDATION_RUNS_SCALE=10). Bound 40 %.
 */
const PARTIAL_SHARE = 0.4;
const runs = (seed: number, numRuns: number): { seed: number; numRuns: number } => ({ seed, numRuns: numRuns * SCALE });
const RUNS = runs(91_125, 40);

describe('liquidation invariants', () => {
  it('liquidation invariants: plans reduce positions by step multiples; every execution conserves the ledger, keeps funds >= 0 and records its deficits', async () => {
    let executed = 0, withDeficit = 0;
    await fc.assert(fc.asyncProperty(bookAndPolicyArb, fc.array(fc.integer({ min: -100_000, max: 100_000 }), { minLength: 8, maxLength: 8 }), async ([draw, policy], priceMovesPpm) => {
      const { engine, vaultId } = await build(draw);
      expect(vaultId).toBe(draw.vault ? draw.accounts.length : null);
      for (let round = 0; round < 3; round++) {
        const sizes = positionsOf(engine);
        const plan = engine.planLiquidations(policy);
        const v = plan.view;
        const seen = new Set<string>();
        for (let i = 0; i < plan.rows; i++) {
          if (v.kind[i] === 2) { expect(v.sizeBase[i]).toBe(0n); continue; }
          const key = `${v.accountId[i]}:${v.marketId[i]}:${v.isolatedId[i] === NO_ISO ? 'x' : v.isolatedId[i]}`;
          expect(seen.has(key), `one row per position (${key})`).toBe(false);
          seen.add(key);
          const s = sizes.get(key);
          expect(s, `row ${i} names a held position`).toBeDefined();
          const d = v.sizeBase[i]!;
          expect(d !== 0n && (d > 0n) !== (s! > 0n), `row ${i} reduces its position (d ${d}, size ${s})`).toBe(true);
          const abs = d < 0n ? -d : d, sAbs = s! < 0n ? -s! : s!;
          expect(abs <= sAbs, `row ${i}: |d| ${abs} <= |s| ${sAbs}`).toBe(true);
          if (v.kind[i] === 0) expect(abs === sAbs || abs % draw.markets[v.marketId[i]!]!.stepBase === 0n, `row ${i}: |d| ${abs} a step multiple or the whole ${sAbs}`).toBe(true);
          else expect(abs).toBe(sAbs); // a transfer moves the whole position
          // Random execution prices around the mark on some rows.
          const move = priceMovesPpm[i % priceMovesPpm.length]!;
          if (v.kind[i] === 0 && move % 3 === 0) { const q = (v.priceQuote[i]! * BigInt(1_000_000 + move)) / PPM; v.priceQuote[i] = q > 0n ? q : 1n; }
        }
        if (plan.rows === 0) break;
        const ledger = engine.ledger();
        const deficitsBefore = engine.deficits().reduce((n, r) => n + r.amountQuote, 0n);
        const summary = engine.executeLiquidations();
        executed++;
        const after = engine.ledger();
        expect(after.totalQuote, 'ledger total unchanged by an execution').toBe(ledger.totalQuote);
        for (const f of fundsOf(engine)) expect(f >= 0n, `fund ${f} >= 0`).toBe(true);
        const log = engine.liquidationLog();
        const logDeficits = log.reduce((n, r) => n + r.deficitQuote, 0n);
        const recorded = engine.deficits().reduce((n, r) => n + r.amountQuote, 0n) - deficitsBefore;
        expect(recorded).toBe(after.deficitsQuote - ledger.deficitsQuote);
        expect(logDeficits).toBe(recorded);
        expect(summary.deficitQuote).toBe(recorded);
        expect(log.every((r) => r.deficitQuote >= 0n && r.surplusQuote >= 0n && r.fundFeeQuote >= 0n && r.liquidatorFeeQuote >= 0n)).toBe(true);
        if (recorded > 0n) withDeficit++;
        engine.check();
      }
    }), RUNS);
    expect(executed).toBeGreaterThan(20);
    expect(withDeficit).toBeGreaterThan(3);
  });

  it('liquidation invariants: a full-close cascade conserves the ledger and leaves nothing liquidatable and no negative collateral without positions', async () => {
    let cascades = 0;
    await fc.assert(fc.asyncProperty(bookArb, fc.constantFrom(0, 10_000, 1_000_000), async (draw, feePpm) => {
      const { engine } = await build(draw);
      const before = engine.ledger().totalQuote;
      const report = engine.liquidate({ close: 'full', liquidationFeePpm: feePpm, liquidatorSharePpm: 250_000 }, { maxRounds: 8 });
      if (report.rounds.length > 0) cascades++;
      expect(engine.ledger().totalQuote, 'ledger total unchanged by the cascade').toBe(before);
      for (const f of fundsOf(engine)) expect(f >= 0n).toBe(true);
      expect(report.remaining).toEqual({ accounts: 0, isolated: 0 });
      const totals = report.rounds.reduce((n, r) => n + r.deficitQuote, 0n);
      expect(report.totals.deficitQuote).toBe(totals);
      expect(engine.deficits().reduce((n, r) => n + r.amountQuote, 0n)).toBe(totals);
      engine.check();
      for (let a = 0; a < engine.accountCount; a++) {
        const s = engine.account(a);
        if (s.positions.length === 0) expect(s.collateralQuote >= 0n, `account ${a}: no positions, collateral ${s.collateralQuote}`).toBe(true);
        expect(s.figures.equityQuote >= s.figures.mmQuote, `account ${a} not liquidatable after the cascade`).toBe(true);
        for (const r of s.isolated) expect(r.figures.equityQuote >= r.figures.mmQuote).toBe(true);
      }
    }), runs(91_126, 40));
    expect(cascades).toBeGreaterThan(10);
  });

  it('liquidation invariants: a cascade under a random policy conserves the ledger; the same inputs twice give the same log', async () => {
    await fc.assert(fc.asyncProperty(bookAndPolicyArb, async ([draw, policy]) => {
      const runs: string[] = [];
      for (let k = 0; k < 2; k++) {
        const { engine } = await build(draw);
        const before = engine.ledger().totalQuote;
        const report = engine.liquidate(policy, { maxRounds: 6 });
        expect(engine.ledger().totalQuote).toBe(before);
        for (const f of fundsOf(engine)) expect(f >= 0n).toBe(true);
        const accounts = Array.from({ length: engine.accountCount }, (_, a) => engine.account(a));
        runs.push(JSON.stringify([report, engine.liquidationLog(), engine.deficits(), engine.ledger(), fundsOf(engine), accounts], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      }
      expect(runs[1]).toBe(runs[0]);
    }), runs(91_127, 25));
  });

  it('liquidation invariants: a partial close restores its target and one step less does not', async () => {
    let checked = 0, minimal = 0;
    const count = new RunCount();
    const partialArb = fc.record({
      market: marketArb,
      position: positionArb(1),
      isolated: fc.boolean(),
      collateralPpm: fc.integer({ min: -20_000, max: 120_000 }),
      target: fc.constantFrom('maintenance' as const, 'initial' as const),
      bufferPpm: fc.constantFrom(0, 50_000, 500_000),
      liquidationFeePpm: fc.constantFrom(0, 5_000, 15_000),
    });
    await fc.assert(fc.asyncProperty(partialArb, async (x) => {
      count.draw();
      const draw: BookDraw = {
        markets: [{ ...x.market, shockPpm: 0 }],
        accounts: [x.isolated ? { collateralPpm: 0, positions: [], isolated: { ...x.position, collateralPpm: x.collateralPpm } } : { collateralPpm: x.collateralPpm, positions: [x.position], isolated: null }],
        vault: false,
      };
      const policy: LiquidationPolicy = { close: 'partial', target: x.target, bufferPpm: x.bufferPpm, liquidationFeePpm: x.liquidationFeePpm };
      const step = x.market.stepBase;
      /** Builds the book, closes `size` (or the planned size) at the mark; returns the planned size, the group's equity and target after. */
      const closeAt = async (size?: bigint): Promise<{ planned: bigint; held: bigint; equity: bigint; target: bigint } | null> => {
        const { engine } = await build(draw);
        const held = positionsOf(engine).values().next().value!;
        const plan = engine.planLiquidations(policy);
        if (plan.rows === 0) return null;
        const planned = plan.view.sizeBase[0]!;
        if (size !== undefined) plan.view.sizeBase[0] = size;
        engine.executeLiquidations();
        engine.check();
        const acc = engine.account(0);
        const f = x.isolated ? acc.isolated[0]?.figures : acc.figures;
        if (!f) return { planned, held, equity: 0n, target: 0n }; // closed whole
        const t = x.target === 'initial' ? f.imQuote : f.mmQuote;
        return { planned, held, equity: f.equityQuote, target: (t * BigInt(1_000_000 + x.bufferPpm) + PPM - 1n) / PPM };
      };
      const first = await closeAt();
      fc.pre(first !== null); // the drawn position must be liquidatable (planned)
      checked++;
      const c = first.planned < 0n ? -first.planned : first.planned;
      const held = first.held < 0n ? -first.held : first.held;
      const sign = first.planned < 0n ? -1n : 1n;
      if (c < held) expect(first.equity >= first.target, `c = ${c} of ${held}: equity ${first.equity} >= target ${first.target}`).toBe(true);
      // One step less: c_{k-1} = (k - 1) * step with k = ceil(c / step).
      const less = ((c + step - 1n) / step - 1n) * step;
      count.hit();
      if (less < 1n) return; // one step is all: no smaller close (counted by `minimal` below)
      const smaller = await closeAt(sign * less);
      minimal++;
      expect(smaller!.equity < smaller!.target + 3n, `c_{k-1} = ${less}: equity ${smaller!.equity} < target ${smaller!.target} (+ rounding)`).toBe(true);
    }), runs(91_128, 60));
    expectExercised(count, 60 * SCALE, PARTIAL_SHARE);
    expect(checked).toBeGreaterThan(20);
    expect(minimal).toBeGreaterThan(10);
  });
});
