/**
 * The configuration's JSON Schema (config.schema.json) and checkConfig agree:
 * - the shipped file is what the generator (src/simulation/schema.ts) writes;
 * - every built-in configuration (the CLI's defaults and scenarios, the presets and policies as
 *   objects, the README's example) validates under ajv (draft 2020-12, strict);
 * - on generated configurations and their mutations (an unknown key at any depth, a wrong type, an
 *   integer at a range's edge, a bad amount, a bad name, a missing key), ajv accepts exactly when
 *   checkConfig does. The rules JSON Schema cannot say (a split's rows sum to 10^6, makerPpm >=
 *   -takerPpm) are left out of the mutations; the rules that need the built book are not checkConfig's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { checkConfig } from '../../dist/src/simulation/validate.js';
import { configSchemaJson } from '../../dist/src/simulation/schema.js';
import { CLI_DEFAULT_ECONOMICS, SCENARIOS } from '../../dist/src/cli/simulate.js';
import { CRASH_SCENARIO, DEFAULT_SCENARIO, WATERFALL_PRESETS } from '../../dist/src/node.js';
import { DEMO_POLICIES } from '../../dist/src/simulation/venue.js';

const root = new URL('../../', import.meta.url);
const shipped = readFileSync(new URL('config.schema.json', root), 'utf8');
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }) // strictRequired: a condition's required keys are declared beside it;
const validate = ajv.compile(JSON.parse(shipped) as object);

const schemaAccepts = (config: unknown): boolean => validate(config);
function checkAccepts(config: unknown): boolean {
  try { checkConfig(config); return true; } catch (e) {
    if ((e as { codeName?: string }).codeName !== 'InvalidScenario') throw e;
    return false;
  }
}

describe('config.schema.json', () => {
  it('is the generator\'s output (regenerate: node dist/src/cli/main.js schema > config.schema.json)', () => {
    expect(shipped).toBe(configSchemaJson());
  });

  it('is shipped: in package.json files and exported as riskcore/config.schema.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('config.schema.json');
    expect(pkg.exports['./config.schema.json']).toBe('./config.schema.json');
  });

  it('accepts every built-in configuration, and checkConfig does too', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const example = /`run\.json` is a `SimulationConfig`[^]*?```json\n([^]*?)```/.exec(readme)?.[1];
    expect(example, 'the README\'s configuration example').toBeDefined();
    const configs: [string, unknown][] = [
      ['the CLI\'s default economics', { economics: CLI_DEFAULT_ECONOMICS }],
      ...Object.entries(SCENARIOS).map(([name, scenario]): [string, unknown] => [`--scenario ${name}`, { scenario }]),
      ['DEFAULT_SCENARIO', { scenario: DEFAULT_SCENARIO }], ['CRASH_SCENARIO', { scenario: CRASH_SCENARIO }],
      ...Object.entries(WATERFALL_PRESETS).map(([name, w]): [string, unknown] => [`waterfall ${name} as an object`, { waterfall: w, sweep: { waterfall: [name, w] } }]),
      ...Object.entries(DEMO_POLICIES).map(([name, p]): [string, unknown] => [`policy ${name} as an object`, { policy: p }]),
      ['policy and waterfall by name', { policy: Object.keys(DEMO_POLICIES)[0], waterfall: Object.keys(WATERFALL_PRESETS)[0] }],
      ['the README\'s example', JSON.parse(example!) as unknown],
      ['a book module', { book: { module: 'file:///books/book.mjs' }, $schema: './node_modules/riskcore/config.schema.json' }],
    ];
    for (const [name, config] of configs) {
      // JSON's view: what a configuration file holds.
      const json = JSON.parse(JSON.stringify(config)) as unknown;
      expect(schemaAccepts(json), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(checkAccepts(json), name).toBe(true);
    }
  });

  it('refuses an unknown key, a wrong type and an out-of-range value as checkConfig does', () => {
    for (const config of [{ pahts: 3 }, { book: { acounts: 500 } }, { $schema: 1 }, { paths: 0 }, { insuranceFundQuote: '1e6' },
      { sweep: { realizable: ['none'] } }, { economics: { stakedPpm: 1, stakers: { accounts: 1, sharePpm: 1 } } }]) {
      expect(schemaAccepts(config), JSON.stringify(config)).toBe(false);
      expect(checkAccepts(config), JSON.stringify(config)).toBe(false);
    }
  });
});

// ---- Generated configurations ----------------------------------------------------------------------

const MAX = Number.MAX_SAFE_INTEGER;
const i = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });
const amount = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }))
  .map(([whole, frac]) => (frac === undefined ? `${whole}` : `${whole}.${frac}`));
const atoms = fc.oneof(amount, i(0, MAX));
const perMarket = (min: number, max: number): fc.Arbitrary<number | number[]> => fc.oneof(i(min, max), fc.array(i(min, max), { maxLength: 3 }));
const opt = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<Partial<T>> => fc.record(shape, { requiredKeys: [] }) as fc.Arbitrary<Partial<T>>;

const SOURCES = ['tradingFees', 'liquidationFees', 'fundingSkim'];
const SINKS = ['insuranceFund', 'backstopVault', 'stakers', 'treasury', 'pnlPool'];
/** A split row: 10^6 ppm shared among some destinations. */
const row = fc.subarray(SINKS, { minLength: 1 }).chain((sinks) => fc.array(i(0, 1_000_000), { minLength: sinks.length - 1, maxLength: sinks.length - 1 })
  .map((cuts) => {
    const edges = [0, ...cuts.sort((a, b) => a - b), 1_000_000];
    return Object.fromEntries(sinks.map((s, k) => [s, edges[k + 1]! - edges[k]!]));
  }));
const split = fc.subarray(SOURCES).chain((sources) => fc.tuple(...sources.map(() => row)).map((rows) => Object.fromEntries(sources.map((s, k) => [s, rows[k]]))));
const capacity = fc.oneof(fc.constant(null), fc.record({
  periodSec: i(0, 366 * 86_400), minQuote: atoms, ppmOfTotal: i(0, 1_000_000), gateSec: i(0, 366 * 86_400), lossCharge: fc.boolean(),
}, { requiredKeys: ['periodSec'] }));
const REALIZABLE = ['all', 'none', 'pnlPool', 'residualRatio'];
const RANKINGS = ['pnl', 'bitmex', 'binance', 'hyperliquid', 'randomWalk', 'largest'];

const tranche = fc.oneof(
  fc.record({ kind: fc.constant('insuranceFund'), fund: fc.oneof(fc.constantFrom('market', 'global'), i(0, 65_535)), maxPerDeficitQuote: atoms, floorQuote: atoms, marketCapQuote: atoms, marketCapWindowSec: i(0, MAX), drawdownPpm: i(0, 1_000_000), drawdownWindowSec: i(0, MAX) }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('backstopVault'), providers: fc.array(fc.record({ accountId: i(0, 0xfffffffe), capacityQuote: atoms, weightPpm: i(0, 1_000_000) }, { requiredKeys: ['accountId'] }), { maxLength: 2 }) }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('adl'), ranking: fc.constantFrom(...RANKINGS), price: fc.constantFrom('bankruptcy', 'mark'), seed: i(0, MAX), topK: i(1, 64) }, { requiredKeys: ['kind', 'ranking'] }),
  fc.record({ kind: fc.constantFrom('socializeFunding', 'haircutDeposits', 'haircutVaultShares', 'defaulterFund') }),
  fc.record({ kind: fc.constant('haircutGains'), scope: fc.constantFrom('market', 'all'), minGainQuote: atoms, maxHaircutPpm: i(0, 1_000_000) }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('operatorCapital'), layer: i(1, 2) }),
  fc.record({ kind: fc.constant('membersFund'), withLayer2: fc.boolean() }, { requiredKeys: ['kind'] }),
  fc.record({ kind: fc.constant('assessments'), multiplePpm: i(1, 100_000_000) }),
);
const steps = fc.array(tranche, { minLength: 1, maxLength: 3 });
const waterfall = fc.oneof(
  fc.constantFrom(...Object.keys(WATERFALL_PRESETS)),
  fc.record({ steps, groups: fc.array(fc.record({ markets: fc.array(i(0, 65_534), { maxLength: 3 }), steps }), { maxLength: 2 }) }, { requiredKeys: ['steps'] }),
);
const policy = fc.oneof(fc.constantFrom(...Object.keys(DEMO_POLICIES)), opt({
  close: fc.constantFrom('full', 'partial'), target: fc.constantFrom('maintenance', 'initial'), order: fc.constantFrom('maintenance', 'notional', 'book'),
  bufferPpm: i(0, 1_000_000), maxCloseFractionPpm: i(1, 1_000_000), liquidationFeePpm: i(0, 1_000_000), liquidatorSharePpm: i(0, 1_000_000),
  backstopPpm: i(0, 1_000_000), backstopAccountId: i(0, 0xfffffffe),
  minCloseNotionalQuote: atoms, fractionAboveNotionalQuote: atoms, maxNotionalPerRoundQuote: atoms, maxDeficitPerRoundQuote: atoms,
}));
const scenario = fc.oneof(
  fc.record({
    kind: fc.constant('monteCarlo'), volatilityPpm: perMarket(0, 1_000_000), driftPpm: perMarket(-1_000_000, 1_000_000),
    correlationPpm: fc.oneof(i(0, 999_999), fc.array(fc.array(i(-1_000_000, 1_000_000), { maxLength: 2 }), { maxLength: 2 })),
    jumpProbabilityPpm: i(0, 1_000_000), jumpMeanPpm: i(-1_000_000, 1_000_000), jumpStdPpm: i(0, 1_000_000), jumpsTogether: fc.boolean(),
  }, { requiredKeys: ['kind', 'volatilityPpm'] }),
  fc.record({ kind: fc.constant('shockGrid'), scanRangePpm: perMarket(0, 1_000_000), extremeMultiplePpm: i(0, 10_000_000) }, { requiredKeys: ['kind', 'scanRangePpm'] }),
  fc.record({ kind: fc.constant('replay'), csv: fc.constantFrom('step,0\n1,5\n', 'x') }),
);
const economics = opt({
  turnoverPpm: i(0, 1_000_000_000), crashMultiplierPpm: i(0, 1_000_000_000), revenueEverySteps: i(0, 100_000), stakedPpm: i(0, 1_000_000), fundingSkimPpm: i(0, 1_000_000),
  fees: i(0, 1_000_000).chain((taker) => i(-taker, 1_000_000).map((maker) => ({ makerPpm: maker, takerPpm: taker }))),
  split, staking: opt({ settlePeriodSec: i(0, 366 * 86_400), maxAprPpm: i(0, 1_000_000_000), stakerFactorPpm: i(0, 1_000_000), settleFractionPpm: i(1, 1_000_000), cooldownSec: i(0, 366 * 86_400) }),
  withdrawals: opt({ everySteps: i(1, 100_000), probabilityPpm: i(0, 1_000_000), bankRunPpm: i(0, 1_000_000), transferFloorPpm: i(0, 1_000_000), realizable: fc.constantFrom(...REALIZABLE), capacity }),
  stakers: fc.record({ accounts: i(1, 4096), sharePpm: i(1, 1_000_000) }),
});
const sweep = opt({
  insuranceFundQuote: fc.array(amount, { maxLength: 2 }), marginScalePpm: fc.array(i(1, 10_000_000), { maxLength: 2 }),
  adlRanking: fc.array(fc.constantFrom('pnl', 'bitmex', 'binance', 'hyperliquid'), { maxLength: 2 }), waterfall: fc.array(waterfall, { maxLength: 2 }),
  revenueSplit: fc.array(split, { maxLength: 2 }), stakingMaxAprPpm: fc.array(i(0, 1_000_000_000), { maxLength: 2 }),
  stakingCooldownSec: fc.array(i(0, 366 * 86_400), { maxLength: 2 }), realizable: fc.array(fc.constantFrom(...REALIZABLE), { maxLength: 2 }),
  withdrawalCapacity: fc.array(capacity, { maxLength: 2 }),
});
const generated = opt({
  $schema: fc.constant('./node_modules/riskcore/config.schema.json'),
  book: opt({ accounts: i(1, 50_000_000), markets: i(1, 65_535), positionsPerAccount: i(1, 60), seed: i(0, 2 ** 32 - 1), isolatedPpm: i(0, 1_000_000), chunk: i(1, 2 ** 31) }),
  scenario, paths: i(1, 100_000_000), steps: i(1, 100_000), seed: i(0, MAX), stepSeconds: i(1, 10 ** 9), fundingRatePpm: perMarket(-1_000_000, 1_000_000),
  impact: opt({ depthPpmOfOpenInterest: i(1, 10 ** 12), slopePpm: i(0, 10 ** 12), permanentPpm: i(0, 1_000_000), maxPpm: i(0, 999_999) }),
  maxRoundsPerStep: i(1, 64), policy, waterfall, insuranceFundQuote: amount, vaultQuote: amount, sweep, skip: fc.boolean(), economics,
});
/**
 * Configurations, most of them valid: three times in four, the rules between keys are kept (stakers
 * of their own go without stakedPpm; the sweep's withdrawal axes come with a withdrawal run).
 */
const config = fc.tuple(generated, fc.nat(3)).map(([c, n]) => {
  if (n === 0) return c;
  const economics = c.economics === undefined ? undefined : { ...c.economics };
  if (economics?.stakers !== undefined) delete economics.stakedPpm;
  const run = c.sweep?.realizable !== undefined || c.sweep?.withdrawalCapacity !== undefined;
  return { ...c, ...(economics || run ? { economics: { ...economics, ...(run ? { withdrawals: economics?.withdrawals ?? {} } : {}) } } : {}) };
});

// ---- Mutations ----------------------------------------------------------------------------------------

type Path = (string | number)[];
/** Every value in the configuration with its path (the root excluded). */
function places(value: unknown, path: Path = [], out: [Path, unknown][] = []): [Path, unknown][] {
  if (path.length > 0) out.push([path, value]);
  if (Array.isArray(value)) value.forEach((v, k) => places(v, [...path, k], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) places(v, [...path, k], out);
  return out;
}
function edit(config: object, path: Path, change: (parent: Record<string | number, unknown>, key: string | number) => void): object {
  const copy = structuredClone(config) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, path[path.length - 1]!);
  return copy;
}
/** A split's shares must sum to 10^6, a maker fee be >= -taker: rules the schema leaves to riskcore. */
const crossField = (path: Path): boolean => path.some((k) => k === 'split' || k === 'revenueSplit' || k === 'fees');

/** Integers at the edges of the configuration's ranges, and just past them. */
const EDGES = [-1_000_001, -1_000_000, -1, 0, 1, 2, 3, 60, 61, 64, 65, 4096, 4097, 65_534, 65_535, 65_536, 999_999, 1_000_000, 1_000_001,
  10_000_000, 10_000_001, 100_000, 100_001, 100_000_000, 100_000_001, 50_000_000, 50_000_001, 366 * 86_400, 366 * 86_400 + 1,
  10 ** 9, 10 ** 9 + 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 0xfffffffe, 0xffffffff, 10 ** 12, 10 ** 12 + 1, MAX, MAX + 1, 1.5, -0.5];
const OTHER_TYPES: unknown[] = ['1', 1, true, null, [], {}, [1], { a: 1 }];
const BAD_AMOUNTS = ['-1', '1e3', '1,000', ' 1', '1.', '.5', '0x10', '1.5.2', '', '+1', '１'];
const BAD_NAMES = ['constructor', '__proto__', 'nope', 'Full', 'exchange ', 'toString'];

type Mutation = (config: object, pick: number, choice: number) => object | object[];
const at = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const MUTATIONS: Record<string, Mutation> = {
  'an unknown key at a random depth': (c, pick, choice) => {
    const objects: Path[] = [[], ...places(c).filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v)).map(([p]) => p)];
    const path = at(objects, pick);
    const wrapped = edit({ root: c }, ['root', ...path, at(['zz', 'pahts', 'acounts', 'kind2'], choice)], (parent, key) => { parent[key] = 1; });
    return (wrapped as { root: object }).root;
  },
  'a wrong type': (c, pick, choice) => {
    const all = places(c).filter(([p]) => !crossField(p));
    if (all.length === 0) return c;
    return edit(c, at(all, pick)[0], (parent, key) => { parent[key] = structuredClone(at(OTHER_TYPES, choice)); });
  },
  // Every edge at the integer picked: a range that differs by one is found whichever integer it holds.
  'an integer at a range\'s edge': (c, pick) => {
    const ints = places(c).filter(([p, v]) => typeof v === 'number' && !crossField(p));
    if (ints.length === 0) return c;
    return EDGES.map((x) => edit(c, at(ints, pick)[0], (parent, key) => { parent[key] = x; }));
  },
  'a bad amount': (c, pick, choice) => {
    const strings = places(c).filter(([, v]) => typeof v === 'string' && /^\d/.test(v));
    if (strings.length === 0) return c;
    return edit(c, at(strings, pick)[0], (parent, key) => { parent[key] = at(BAD_AMOUNTS, choice); });
  },
  'a bad name': (c, pick, choice) => {
    const strings = places(c).filter(([, v]) => typeof v === 'string' && /^[a-zA-Z]/.test(v));
    if (strings.length === 0) return c;
    return edit(c, at(strings, pick)[0], (parent, key) => { parent[key] = at(BAD_NAMES, choice); });
  },
  'a missing key': (c, pick) => {
    const keyed = places(c).filter(([p]) => typeof p[p.length - 1] === 'string' && !crossField(p));
    if (keyed.length === 0) return c;
    return edit(c, at(keyed, pick)[0], (parent, key) => { delete parent[key]; });
  },
};

describe('config.schema.json and checkConfig agree', () => {
  it('on generated configurations: the schema accepts exactly what checkConfig accepts', () => {
    let accepted = 0;
    fc.assert(fc.property(config, (c) => {
      const json = JSON.parse(JSON.stringify(c)) as unknown;
      const ok = checkAccepts(json);
      if (ok) accepted++;
      expect(schemaAccepts(json), `${JSON.stringify(json)}\nschema: ${ajv.errorsText(validate.errors)}`).toBe(ok);
    }), { numRuns: 400 });
    // Most generated configurations are valid (what stays invalid: stakers with stakedPpm, a sweep's withdrawal axes without a run).
    expect(accepted).toBeGreaterThan(200);
  });

  it.each(Object.keys(MUTATIONS))('on mutated configurations (%s): the schema accepts exactly what checkConfig accepts', (name) => {
    let refused = 0;
    fc.assert(fc.property(config, fc.nat(), fc.nat(), (c, pick, choice) => {
      for (const m of [MUTATIONS[name]!(c, pick, choice)].flat()) {
        const mutated = JSON.parse(JSON.stringify(m)) as unknown;
        const ok = checkAccepts(mutated);
        if (!ok) refused++;
        expect(schemaAccepts(mutated), `${JSON.stringify(mutated)}\nschema: ${ajv.errorsText(validate.errors)}`).toBe(ok);
      }
    }), { numRuns: 300 });
    // Many mutations make the configuration invalid (a missing key of an optional field does not): the property is not vacuous.
    expect(refused).toBeGreaterThan(50);
  });
});
