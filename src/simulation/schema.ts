/**
 * The JSON Schema (draft 2020-12) of a simulation's configuration, as editors and other tools read
 * it: the package ships it as `riskcore/config.schema.json`, and `riskcore schema` prints it.
 *
 * How it is made: from the tables checkConfig (./validate.ts) reads — the keys of every object, the
 * ranges of every integer, the names of every enumeration, the fields of every policy and waterfall
 * step — so that a range or a name changes in one place. The structure (which key holds what) is
 * written out here; a test (test/unit/config-schema.test.ts) checks that the shipped file is this
 * function's output, and that the schema accepts a configuration exactly when checkConfig does.
 *
 * What JSON Schema cannot say is checked by riskcore alone, and said in the descriptions: a revenue
 * split's rows sum to 1,000,000; a maker fee is at least minus the taker fee; and what needs the
 * built book (per-market lists against the market count, the correlation matrix's shape, a
 * replay's columns, the fund ids and accounts a waterfall names).
 */
import { MAX_CAPACITY_SEC } from '../economics/capacity.js';
import { REALIZABLE_RULES } from '../economics/withdrawals.js';
import { DESTINATIONS, REVENUE_SOURCES } from '../economics/flows.js';
import { ADL_RANKINGS, STEP_RANKINGS } from '../abi/codes.js';
import { WATERFALL_PRESETS } from '../waterfall/config.js';
import { DEMO_POLICIES } from './venue.js';
import {
  BOOK_RANGES, CONFIG_KEYS, ECONOMICS_RANGES, IMPACT_RANGES, POLICY_FIELDS, PROVIDER_FIELDS, SCENARIO_KEYS, STAKING_RANGES,
  SWEEP_KEYS, TRANCHE_FIELDS, TRANCHE_REQUIRED, WITHDRAWAL_RANGES, type Rule,
} from './validate.js';

type Schema = Record<string, unknown>;

const int = (min: number, max: number, description?: string): Schema =>
  ({ type: 'integer', minimum: min, maximum: max, ...(description === undefined ? {} : { description }) });
const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });
const list = (items: Schema, description?: string): Schema => ({ type: 'array', items, ...(description === undefined ? {} : { description }) });
/** An object of exactly these keys (an unknown key is an error, as in checkConfig). */
const object = (properties: Record<string, Schema>, required: readonly string[] = [], description?: string): Schema => ({
  type: 'object', ...(description === undefined ? {} : { description }), properties,
  ...(required.length > 0 ? { required: [...required] } : {}), additionalProperties: false,
});
const ranges = (table: Record<string, readonly [number, number]>): Record<string, Schema> =>
  Object.fromEntries(Object.entries(table).map(([key, [min, max]]) => [key, int(min, max)]));
/** One integer for every market, or one per market (the list's length is checked against the book). */
const perMarket = (min: number, max: number): Schema => ({ anyOf: [int(min, max), list(int(min, max))] });

/** A policy's or waterfall step's field rule (validate.ts's tables) as a schema. */
function rule(r: Rule | readonly string[] | readonly [number, number] | 'amount'): Schema {
  if (r === 'amount') return ref('atoms');
  if (r === 'boolean') return { type: 'boolean' };
  if (r === 'fund') return { anyOf: [{ enum: ['market', 'global'] }, int(0, 65_535)], description: 'The fund: "market", "global" or a fund id.' };
  if (r === 'seed') return int(0, Number.MAX_SAFE_INTEGER);
  if (r === 'ranking') return { enum: [...STEP_RANKINGS] };
  if (r === 'providers') {
    const fields = Object.fromEntries(Object.entries(PROVIDER_FIELDS).map(([k, v]) => [k, rule(v)]));
    return list(object(fields, ['accountId']));
  }
  return typeof r[0] === 'number' ? int(r[0], r[1] as number) : { enum: [...(r as readonly string[])] };
}

/**
 * One step of a waterfall: its `kind` picks its fields (if/then per kind, so that an editor names the
 * unknown key of the kind it sees).
 */
function tranche(): Schema {
  const kinds = Object.keys(TRANCHE_FIELDS) as (keyof typeof TRANCHE_FIELDS)[];
  return {
    type: 'object', required: ['kind'], properties: { kind: { enum: kinds } },
    allOf: kinds.map((kind) => {
      const fields = Object.fromEntries(Object.entries(TRANCHE_FIELDS[kind]).map(([k, r]) => [k, rule(r as Rule)]));
      const required = TRANCHE_REQUIRED[kind];
      return { if: { type: 'object', properties: { kind: { const: kind } } }, then: object({ kind: { const: kind }, ...fields }, required === undefined ? [] : [required]) };
    }),
  };
}

function scenario(): Schema {
  const branches: Record<keyof typeof SCENARIO_KEYS, [Record<string, Schema>, string[]]> = {
    monteCarlo: [{
      volatilityPpm: perMarket(0, 1_000_000), driftPpm: perMarket(-1_000_000, 1_000_000),
      correlationPpm: { anyOf: [int(0, 999_999), list(list(int(-1_000_000, 1_000_000)))], description: 'One correlation for every pair of markets, or a matrix (symmetric, unit diagonal, one row per market: checked against the book).' },
      jumpProbabilityPpm: int(0, 1_000_000), jumpMeanPpm: int(-1_000_000, 1_000_000), jumpStdPpm: int(0, 1_000_000), jumpsTogether: { type: 'boolean' },
    }, ['volatilityPpm']],
    shockGrid: [{ scanRangePpm: perMarket(0, 1_000_000), extremeMultiplePpm: int(0, 10_000_000) }, ['scanRangePpm']],
    replay: [{ csv: { type: 'string', minLength: 1, description: 'The CSV text: header step,<market id>,..., one row per step (columns checked against the book).' } }, ['csv']],
  };
  const kinds = Object.keys(SCENARIO_KEYS) as (keyof typeof SCENARIO_KEYS)[];
  return {
    type: 'object', description: 'The price paths: Monte Carlo, the SPAN-style shock grid, or a replay of prices.',
    required: ['kind'], properties: { kind: { enum: kinds } },
    allOf: kinds.map((kind) => {
      const [fields, required] = branches[kind];
      // The table's keys and this branch's must be the same: a key added to one only would be a disagreement.
      if (SCENARIO_KEYS[kind].join() !== ['kind', ...Object.keys(fields)].join()) throw new Error(`schema: scenario ${kind}'s keys differ from validate.ts's`);
      return { if: { type: 'object', properties: { kind: { const: kind } } }, then: object({ kind: { const: kind }, ...fields }, required) };
    }),
  };
}

/** The keys of an object schema, in order, must be the table's: guards the hand-written structure. */
function sameKeys(name: string, schema: Schema, keys: readonly string[]): Schema {
  const got = Object.keys(schema.properties as object);
  if (got.join() !== keys.join()) throw new Error(`schema: ${name}'s keys (${got.join()}) differ from validate.ts's (${keys.join()})`);
  return schema;
}

/** The configuration's JSON Schema (module comment). */
export function configSchema(): Schema {
  const economics = object({
    ...ranges(ECONOMICS_RANGES),
    fees: object({ makerPpm: int(-1_000_000, 1_000_000), takerPpm: int(0, 1_000_000) }, ['makerPpm', 'takerPpm'],
      'Trading fees, ppm of notional; makerPpm >= -takerPpm (a rebate at most the taker fee: checked by riskcore).'),
    split: ref('split'),
    staking: object(ranges(STAKING_RANGES)),
    withdrawals: object({ ...ranges(WITHDRAWAL_RANGES), realizable: { enum: [...REALIZABLE_RULES] }, capacity: ref('capacity') }),
    stakers: object({ accounts: int(1, 4096), sharePpm: int(1, 1_000_000) }, ['accounts', 'sharePpm']),
  }, [], 'Trading volume, fees, the revenue split, the stakers and the winners\' withdrawal run.');
  // Stakers of their own and stakedPpm exclude each other (stakedPpm 0 is the same as absent).
  economics.dependentSchemas = { stakers: { type: 'object', properties: { stakedPpm: { const: 0 } } } };

  const policy = object(Object.fromEntries(Object.entries(POLICY_FIELDS).map(([k, r]) => [k, rule(r)])));
  const waterfallObject = object({
    steps: ref('steps'),
    groups: list(object({ markets: list(int(0, 65_534)), steps: ref('steps') }, ['markets', 'steps'])),
  }, ['steps']);

  const sweep = sameKeys('sweep', object({
    insuranceFundQuote: list(ref('amount')), marginScalePpm: list(int(1, 10_000_000)), adlRanking: list({ enum: [...ADL_RANKINGS] }),
    waterfall: list(ref('waterfall')), revenueSplit: list(ref('split')), stakingMaxAprPpm: list(int(0, 1_000_000_000)),
    stakingCooldownSec: list(int(0, 366 * 86_400)), realizable: list({ enum: [...REALIZABLE_RULES] }), withdrawalCapacity: list(ref('capacity')),
  }, [], 'A grid: the cartesian product of the lists given, every variant run on the same paths. realizable and withdrawalCapacity need economics.withdrawals.'), SWEEP_KEYS);

  const book = {
    type: 'object', description: 'The synthetic book (seeded), or { "module": ... }: an ES module that builds a book of your own.',
    if: { type: 'object', required: ['module'] },
    then: object({ module: { type: 'string', minLength: 1, description: 'The book module: an absolute file:, http: or https: URL, or in a configuration file a path relative to the file.' } }, ['module']),
    else: object(ranges(BOOK_RANGES)),
  };

  const top = sameKeys('the configuration', object({
    $schema: { type: 'string', description: 'This schema\'s address, for editors; ignored.' },
    book, scenario: scenario(),
    paths: int(1, 100_000_000), steps: int(1, 100_000), seed: int(0, Number.MAX_SAFE_INTEGER), stepSeconds: int(1, 10 ** 9),
    fundingRatePpm: perMarket(-1_000_000, 1_000_000), impact: object(ranges(IMPACT_RANGES)), maxRoundsPerStep: int(1, 64),
    policy: { anyOf: [{ enum: Object.keys(DEMO_POLICIES) }, policy], description: 'A liquidation policy: a name, or the policy\'s fields.' },
    waterfall: ref('waterfall'), insuranceFundQuote: ref('amount'), vaultQuote: ref('amount'), sweep, skip: { type: 'boolean' }, economics,
  }), CONFIG_KEYS);

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'riskcore simulation configuration',
    description: 'A SimulationConfig (riskcore simulate --config FILE.json). Integers are JSON numbers without a fraction; amounts in quote units are decimal strings ("20000000", "1500.5"). '
      + 'Checked by riskcore beyond this schema: each revenue split row sums to 1000000; economics.fees.makerPpm >= -takerPpm; '
      + 'and, once the book is built, per-market lists against the market count, the correlation matrix, a replay\'s columns, and the funds and accounts a waterfall names.',
    ...top,
    // The sweep's withdrawal axes vary the withdrawal run: without one they would change nothing.
    if: { type: 'object', required: ['sweep'], properties: { sweep: { type: 'object', anyOf: [{ type: 'object', required: ['realizable'] }, { type: 'object', required: ['withdrawalCapacity'] }] } } },
    then: { type: 'object', required: ['economics'], properties: { economics: { type: 'object', required: ['withdrawals'] } } },
    $defs: {
      amount: { type: 'string', pattern: '^\\d+(\\.\\d+)?$', description: 'An amount in quote units: a decimal string, not negative.' },
      atoms: { anyOf: [ref('amount'), int(0, Number.MAX_SAFE_INTEGER, 'Whole atoms.')], description: 'An amount: a decimal string of quote units, or whole atoms.' },
      split: object(Object.fromEntries(REVENUE_SOURCES.map((source) => [source, object(Object.fromEntries(DESTINATIONS.map((d) => [d, int(0, 1_000_000)])))])), [],
        'A revenue split: for each source, ppm by destination; each row\'s shares sum to 1000000 (checked by riskcore).'),
      capacity: {
        anyOf: [{ type: 'null' }, object({ periodSec: int(0, MAX_CAPACITY_SEC), minQuote: ref('atoms'), ppmOfTotal: int(0, 1_000_000), gateSec: int(0, MAX_CAPACITY_SEC), lossCharge: { type: 'boolean' } }, ['periodSec'])],
        description: 'A withdrawal capacity, or null: unlimited.',
      },
      waterfall: { anyOf: [{ enum: Object.keys(WATERFALL_PRESETS) }, waterfallObject], description: 'A loss waterfall: a preset\'s name, or its steps (and per-market groups).' },
      steps: { type: 'array', minItems: 1, items: tranche() },
    },
  };
}

/** The schema as the shipped file holds it (two-space JSON and a final newline). */
export const configSchemaJson = (): string => `${JSON.stringify(configSchema(), null, 2)}\n`;
