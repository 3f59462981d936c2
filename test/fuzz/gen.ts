/**
 * Generators of the fuzzing suite: hostile values and what each kind of parameter must refuse,
 * small venues (books with funds, a vault, clearing members, operator capital), loss waterfalls
 * over every step kind with groups and custom rankings, liquidation policies.
 *
 * Everything is drawn by fast-check (so failures shrink) or from an `Rng` seeded by a fast-check
 * integer (values that depend on the engine's state, e.g. ids, are drawn at call time).
 * To fuzz a new method: add its row to METHODS in hostile.ts (a valid-argument generator and the
 * slots hostile values go into). To cover a new rule: add a step kind to `trancheArb` (test/support/tranches.ts).
 */
import fc from 'fast-check';
import { RiskCoreError, type AdlCandidate, type LiquidationPolicy, type RiskEngine, type Tranche, type WaterfallConfig } from '../../dist/src/node.js';
import { generateBook, loadIntoEngine, P62, Rng } from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { opt, trancheArb as sharedTrancheArb } from '../support/tranches.js';

export { Rng };

// ---- Hostile values ----------------------------------------------------------------------------

/** A value a hostile caller passes; `make` builds a fresh one (objects must not be shared between calls). */
export interface Hostile { label: string; make: () => unknown }

const P = (label: string, value: unknown): Hostile => ({ label, make: () => value });
const F = (label: string, make: () => unknown): Hostile => ({ label, make });

/** Hostile values for any parameter: wrong types, edges of number and bigint ranges, strings that nearly parse, property names, containers. */
export const HOSTILE: readonly Hostile[] = [
  P('NaN', NaN), P('Infinity', Infinity), P('-Infinity', -Infinity), P('-0', -0), P('0.5', 0.5), P('1.5', 1.5), P('-1', -1),
  P('2^31', 2 ** 31), P('2^32', 2 ** 32), P('2^32+1', 2 ** 32 + 1), P('2^53', 2 ** 53), P('-2^53', -(2 ** 53)), P('2^53+2', 2 ** 53 + 2), P('1e300', 1e300),
  P('0n', 0n), P('-1n', -1n), P('2^31n', 2n ** 31n), P('2^61+1n', (1n << 61n) + 1n), P('2^62-1n', P62 - 1n), P('2^62n', P62), P('2^62+1n', P62 + 1n),
  P('-2^62n', -P62), P('-2^62-1n', -P62 - 1n), P('2^63-1n', (1n << 63n) - 1n), P('2^63n', 1n << 63n), P('-2^63n', -(1n << 63n)),
  P('-2^63-1n', -(1n << 63n) - 1n), P('2^64n', 1n << 64n), P('2^100n', 1n << 100n),
  P("''", ''), P("' 2'", ' 2'), P("'2 '", '2 '), P("'0x10'", '0x10'), P("'1e3'", '1e3'), P("'1.0000001'", '1.0000001'), P("'1.5'", '1.5'),
  P("'-0'", '-0'), P("'+1'", '+1'), P("'1_000'", '1_000'), P("'--1'", '--1'), P("'.5'", '.5'), P("'5.'", '5.'), P("'NaN'", 'NaN'),
  P("'Infinity'", 'Infinity'), P("'9'.repeat(40)", '9'.repeat(40)), P("'１'", '１'), P("'0'", '0'),
  P("'constructor'", 'constructor'), P("'__proto__'", '__proto__'), P("'toString'", 'toString'), P("'length'", 'length'),
  P("'hasOwnProperty'", 'hasOwnProperty'), P("'valueOf'", 'valueOf'),
  F('[0]', () => [0]), F('[]', () => []), F('[1,2]', () => [1, 2]), F('{}', () => ({})), F('{valueOf:1}', () => ({ valueOf: () => 1 })),
  F('Object.create(null)', () => Object.create(null)), P('null', null), P('undefined', undefined), P('true', true), P('false', false),
  P('Symbol', Symbol('hostile')), F('Uint8Array(1)', () => new Uint8Array(1)), F('BigInt64Array(1)', () => new BigInt64Array(1)),
  F('Float64Array[NaN]', () => Float64Array.of(NaN)), F('() => 0', () => () => 0), F('new Date(0)', () => new Date(0)),
];

/** Parameter kinds, for deciding whether a hostile value must be refused (type-invalid) or may be taken. */
export type Kind =
  | { t: 'account' } | { t: 'market' } | { t: 'count'; max?: number }
  | { t: 'atoms'; decimals: number; unbounded?: boolean } | { t: 'ppm'; max?: number }
  | { t: 'enum'; values: readonly unknown[] } | { t: 'enumOrObject'; values: readonly unknown[] } | { t: 'list' } | { t: 'string' } | { t: 'any' };

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/**
 * Whether `v` is invalid for a parameter of this kind whatever the engine's state, so a call that
 * consumes it must be refused. Values that are well-typed but out of some range (a negative
 * amount, 2^62 + 1) may be refused or taken, and are left to the other checks; so are the decimal
 * strings the documented parser takes (' 2', '1_000', '+1').
 */
export function mustRefuse(kind: Kind, v: unknown, engine: RiskEngine, optional: boolean): boolean {
  // An optional parameter left out (undefined) takes its default; null is a value like any other:
  // no id, count, amount, name or list (only where anything goes may it be taken).
  if (v === undefined) return !optional;
  if (v === null) return kind.t !== 'any' || !optional;
  switch (kind.t) {
    case 'account':
      return !(typeof v === 'number' && Number.isInteger(v) && v >= 0) || v >= engine.accountCount;
    case 'market':
      return !(typeof v === 'number' && Number.isInteger(v) && v >= 0) || v >= engine.marketCount;
    case 'count':
      return !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= (kind.max ?? 0xffffffff));
    case 'ppm':
      return !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= (kind.max ?? 1_000_000));
    case 'atoms': {
      if (typeof v === 'bigint') return !kind.unbounded && (v < -(1n << 63n) || v >= 1n << 63n);
      if (typeof v === 'number') return !Number.isSafeInteger(v);
      if (typeof v !== 'string') return true;
      const m = DECIMAL.exec(v.trim().replaceAll('_', ''));
      return !m || (m[3] ?? '').length > kind.decimals;
    }
    case 'enum':
      return !kind.values.includes(v);
    case 'enumOrObject': {
      // A plain object: of Object.prototype, or of none.
      const proto: unknown = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
      return !kind.values.includes(v) && !(typeof v === 'object' && (proto === Object.prototype || proto === null));
    }
    case 'list':
      return !(Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)));
    case 'string':
      return typeof v !== 'string';
    case 'any':
      return false;
  }
}

// ---- Small venues -------------------------------------------------------------------------------

/** The shape of a small venue: a seeded book plus the parties of the waterfall. */
export interface VenueDraw {
  seed: number;
  markets: number;
  accounts: number;
  positions: number;
  isolated: number;
  distress: number;
  /** Move of every mark (ppm) right after loading: most books start in distress. */
  shockPpm: number;
  /** Funding indices move by this many quote atoms per base unit (+ longs pay, - shorts pay). */
  fundingMove: number;
  ownFunds: boolean;
  members: number[];
  vaultDeposits: number[];
  /** Decimal powers of the global fund, each market's fund, operator capital layers 1 and 2. */
  funds: [number, number, number, number];
}

export const venueArb: fc.Arbitrary<VenueDraw> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  markets: fc.integer({ min: 1, max: 4 }),
  accounts: fc.integer({ min: 3, max: 16 }),
  positions: fc.integer({ min: 1, max: 4 }),
  isolated: fc.constantFrom(0, 0.2, 0.5),
  distress: fc.constantFrom(0, 0.1, 0.3, 0.6),
  shockPpm: fc.integer({ min: -300_000, max: 300_000 }),
  fundingMove: fc.constantFrom(0, 0, 1, -1, 1000, -250_000, 3_000_000),
  ownFunds: fc.boolean(),
  members: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 4 }),
  vaultDeposits: fc.array(fc.integer({ min: 1, max: 50_000_000 }), { maxLength: 3 }),
  funds: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 })),
});

/** Account ids of the parties: the vault account and two liquidity providers come first (no positions). */
export const VAULT = 0;
export const PROVIDERS = [1, 2] as const;
const EXTRA = 3;

export const CAPACITY = { maxAccounts: 96, maxPositions: 1024, maxIsolated: 96, maxMarkets: 8 };

/**
 * Builds a venue on the release or debug build: markets of the four curves with their own base
 * decimals (generateBook), cross and isolated positions (several per account), funding snapshots,
 * a shock, a funding move, insurance funds, operator capital, clearing members with contributions,
 * a vault with liquidity providers. Undefined if the drawn book is outside the supported range.
 */
export async function buildVenue(d: VenueDraw, release: boolean): Promise<RiskEngine | undefined> {
  const book = generateBook({ seed: d.seed, accounts: d.accounts, markets: d.markets, positions: d.positions, isolated: d.isolated, distress: d.distress, extreme: 0 });
  const empty = (collateralQuote: bigint) => ({ collateralQuote, imfFloorPpm: 0, positions: [], isolated: [] });
  book.accounts.unshift(empty(10n ** 9n), empty(10n ** 12n), empty(10n ** 8n));
  const engine = await createEngine({ release, ...CAPACITY });
  try {
    for (const m of book.markets) if (d.ownFunds && book.markets.indexOf(m) % 2 === 1) Object.assign(m, { insuranceFund: 'own' });
    loadIntoEngine(engine, book);
    const ids = book.markets.map((_, m) => m);
    const marks = book.markets.map((m) => clampPrice(m.markPrice * BigInt(1_000_000 + d.shockPpm) / 1_000_000n));
    engine.setMarks(ids, marks);
    if (d.fundingMove !== 0) {
      const mk = ids.map((m) => engine.market(m));
      engine.setFundingIndices(ids, mk.map((x) => x.fundingIndexLong + BigInt(d.fundingMove)), mk.map((x) => x.fundingIndexShort + BigInt(d.fundingMove)));
    }
    engine.depositInsuranceFund(10n ** BigInt(d.funds[0]));
    ids.forEach((m) => engine.depositInsuranceFund(10n ** BigInt(d.funds[1]) * BigInt(m + 1), m));
    engine.depositOperatorCapital(1, 10n ** BigInt(d.funds[2]));
    engine.depositOperatorCapital(2, 10n ** BigInt(d.funds[3]));
    for (const [i, m] of d.members.entries()) engine.addDefaultFundContribution(m % engine.accountCount, 10n ** BigInt(4 + ((d.seed + i) % 9)));
    engine.setVaultAccount(VAULT);
    for (const [i, x] of d.vaultDeposits.entries()) {
      // A deposit worth less than one share is refused (OutOfRange): the venue goes on without it.
      try { engine.vaultDeposit(PROVIDERS[i % 2]!, BigInt(x)); } catch (e) { if (!(e instanceof RiskCoreError)) throw e; }
    }
    return engine;
  } catch (e) {
    // A drawn book beyond the supported range (an overflowing mark move): not a venue to fuzz.
    if ((e as { codeName?: string }).codeName === 'Overflow' || (e as { codeName?: string }).codeName === 'InvalidPrice') return undefined;
    throw e;
  }
}

export const clampPrice = (x: bigint): bigint => (x < 1n ? 1n : x > P62 ? P62 : x);
export { EXTRA as FIRST_TRADER };

// ---- Waterfalls ---------------------------------------------------------------------------------

/**
 * Calls of the failing ranking functions (they throw or return a key that is not a finite number):
 * a run that calls one must be refused whole (InputError InvalidWaterfall, field `ranking`, row:
 * the step) and change nothing. The scenarios reset the count before each call that runs the waterfall.
 */
export const failingRankingCalls = { count: 0 };

/** Custom rankings: plain ones, and failing ones (a throw, a key that is not a finite number, values whose text cannot be formed). */
export const RANKING_FUNCTIONS: Record<string, (c: AdlCandidate) => number> = {
  pnlPerNotional: (c) => Number(c.unrealizedPnlQuote) / Number(c.notionalQuote > 0n ? c.notionalQuote : 1n),
  mixed: (c) => Number((c.unrealizedPnlQuote * 7n + c.notionalQuote + c.equityQuote * 3n + c.collateralQuote + BigInt(c.accountId)) % 997n),
  smallestFirst: (c) => -Number(c.sizeBase < 0n ? -c.sizeBase : c.sizeBase),
  constant: () => 1,
  nan: () => { failingRankingCalls.count++; return NaN; },
  throws: () => { failingRankingCalls.count++; throw new Error('ranking failed'); },
  /** A key with no text (String() of it throws): the refusal's message must still be formed. */
  unprintableKey: () => { failingRankingCalls.count++; return Object.create(null) as number; },
  /** A thrown value with no text. */
  throwsUnprintable: () => { failingRankingCalls.count++; throw Object.create(null); },
};
/** The names of the failing ones. */
export const FAILING_RANKINGS: ReadonlySet<string> = new Set(['nan', 'throws', 'unprintableKey', 'throwsUnprintable']);
/** Whether a step's ranking is one of the failing functions. */
export const isFailingRanking = (r: unknown): boolean => typeof r === 'function' && FAILING_RANKINGS.has((r as { fuzzName?: string }).fuzzName ?? '');
const named = (k: string) => Object.defineProperty(RANKING_FUNCTIONS[k]!, 'fuzzName', { value: k, configurable: true });
/** A ranking function: a failing one about one time in six (such a run is refused, which ends a scenario). */
const rankingFn = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...Object.keys(RANKING_FUNCTIONS).filter((k) => !FAILING_RANKINGS.has(k))).map(named) },
  { weight: 1, arbitrary: fc.constantFrom(...FAILING_RANKINGS).map(named) },
);

export const amountArb = fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 9 })).map(([k, m]) => 10n ** BigInt(k) * BigInt(m));

/** One step of every kind, with random parameters (providers: accounts 0..8). */
export const trancheArb: fc.Arbitrary<Tranche> = sharedTrancheArb({
  amount: amountArb, funds: ['market', 'global', 0, 1, 2], maxProviderId: 8,
  ranking: fc.oneof(fc.constantFrom<'pnl' | 'bitmex' | 'binance' | 'hyperliquid' | 'randomWalk' | 'largest'>('pnl', 'bitmex', 'binance', 'hyperliquid', 'randomWalk', 'largest'), rankingFn),
  price: fc.constantFrom('bankruptcy' as const, 'bankruptcy' as const, 'mark' as const),
});

/** Steps of one waterfall: no kind twice, except insurance funds naming different funds and the two operator layers. */
const stepsArb = fc.uniqueArray(trancheArb, {
  selector: (t) => (t.kind === 'insuranceFund' ? `fund:${String(t.fund)}` : t.kind === 'operatorCapital' ? `op:${t.layer}` : t.kind),
  minLength: 1, maxLength: 9,
});

/** A default waterfall and up to two groups of markets (ids 0..3) with their own. */
export const waterfallArb: fc.Arbitrary<WaterfallConfig> = fc.record({
  steps: stepsArb,
  groups: fc.array(fc.record({ markets: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }), steps: stepsArb }), { maxLength: 2 }),
}).map(({ steps, groups }) => ({ steps, groups }));

/** The configuration for a venue with `markets` markets and `accounts` accounts: group markets and fund ids that exist, no market in two groups. */
export function fitWaterfall(config: WaterfallConfig, markets: number, accounts: number): WaterfallConfig {
  const seen = new Set<number>();
  const fitSteps = (steps: readonly Tranche[]): Tranche[] => steps.map((t) => {
    if (t.kind === 'insuranceFund' && typeof t.fund === 'number' && (t.fund > markets || t.fund === 0)) return { ...t, fund: 'global' };
    if (t.kind === 'backstopVault' && t.providers) return { ...t, providers: t.providers.filter((p) => p.accountId < accounts) };
    return t;
  });
  const groups = (config.groups ?? []).map((g) => ({ markets: g.markets.filter((m) => m < markets && !seen.has(m) && seen.add(m)), steps: fitSteps(g.steps) }))
    .filter((g) => g.markets.length > 0);
  const dedupe = (steps: Tranche[]): Tranche[] => steps.filter((t, i) => t.kind !== 'insuranceFund' || steps.findIndex((u) => u.kind === 'insuranceFund' && String(u.fund) === String(t.fund)) === i);
  return { steps: dedupe(fitSteps(config.steps)), ...(groups.length ? { groups: groups.map((g) => ({ ...g, steps: dedupe(g.steps) })) } : {}) };
}

// ---- Liquidation policies -----------------------------------------------------------------------

export const policyArb: fc.Arbitrary<LiquidationPolicy> = fc.record({
  close: fc.constantFrom('full' as const, 'partial' as const),
  target: opt(fc.constantFrom('maintenance' as const, 'initial' as const)),
  bufferPpm: opt(fc.constantFrom(0, 10_000, 200_000)),
  maxCloseFractionPpm: opt(fc.constantFrom(100_000, 500_000, 1_000_000)),
  liquidationFeePpm: opt(fc.constantFrom(0, 5_000, 15_000)),
  liquidatorSharePpm: opt(fc.constantFrom(0, 500_000, 1_000_000)),
  order: opt(fc.constantFrom('maintenance' as const, 'notional' as const, 'book' as const)),
  backstop: fc.option(fc.constantFrom(666_667, 1_000_000), { nil: undefined }),
}, { requiredKeys: ['close'] }).map(({ backstop, ...p }) => (backstop ? { ...p, backstopPpm: backstop, backstopAccountId: VAULT } : p));
