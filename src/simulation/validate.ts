/**
 * The shape of a simulation's configuration, checked before anything is built: every key known at
 * every depth, every value of its type and range (integers are numbers with no fraction, booleans
 * are booleans, amounts are decimal strings), and every name matched against the table's own keys
 * only ("constructor" names no policy, however the table was built).
 *
 * Errors are InputError(InvalidScenario). The field is the path of keys from the configuration's
 * root (`book.seed`, `impact.slopePpm`, `waterfall.steps.kind`), an outer list's index in brackets
 * (`waterfall.groups[0].steps.kind`); the row is the index in the innermost list, -1 when none
 * (`sweep.waterfall` row 1). The scenario's parameters are named by their key alone
 * (`volatilityPpm`, `csv`), as the scenario builders and the core name them; an unknown key in the
 * scenario has its full path (`scenario.jumpz`).
 *
 * What needs the book is checked once the book is built: per-market lists against the market
 * count, the correlation matrix, the replay's columns, and the policy's and waterfall's rules that
 * depend on the engine (fund ids, accounts, how many steps in all).
 */
import { at, bad, bool, describe, int, list, object, oneOf, ownEntry, type Fields } from './shape.js';

import { ADL_RANKINGS, STEP_RANKINGS } from '../abi/codes.js';
import { WATERFALL_PRESETS, type TrancheKind, type WaterfallConfig } from '../waterfall/config.js';
import type { LiquidationPolicy } from '../liquidation/policy.js';
import type { StakingConfig } from '../economics/staking.js';
import { MAX_CAPACITY_SEC, type WithdrawalCapacityConfig } from '../economics/capacity.js';
import { REALIZABLE_RULES } from '../economics/withdrawals.js';
import { DESTINATIONS, REVENUE_SOURCES } from '../economics/flows.js';
import type { BookShape } from '../synth.js';
import { DEMO_POLICIES } from './venue.js';
import type { ImpactModel, MonteCarloScenario, ReplayScenario, Scenario, ShockGridScenario, SimulationConfig, SimulationEconomics, SimulationWithdrawals, Sweep } from './types.js';

/** A non-negative amount in quote units as a decimal string ("20000000", "1500.5"). */
export function amount(value: unknown, field: string, row = -1): string {
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) bad(field, `${describe(value)} is not a decimal string of quote units`, row);
  return value;
}

/**
 * An amount of a policy or waterfall (AtomsInput, not negative): a decimal string of quote units, or
 * whole atoms as a number or bigint (a bigint has no JSON form: `simulate` refuses it, a Simulator
 * in this thread takes it).
 */
function atoms(value: unknown, field: string, row = -1): void {
  if (typeof value === 'bigint') { if (value < 0n) bad(field, `${value} is negative`, row); }
  else if (typeof value === 'number') int(value, field, 0, Number.MAX_SAFE_INTEGER, row);
  else if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) bad(field, `${describe(value)} is not a decimal string of quote units or a whole number of atoms`, row);
}

/** One integer for every market, or a list of one per market (checked against the book later). */
function perMarket(value: unknown, field: string, min: number, max: number): void {
  if (Array.isArray(value)) value.forEach((v, i) => int(v, field, min, max, i));
  else if (typeof value === 'number') int(value, field, min, max);
  else bad(field, `a number or a list of numbers, not ${describe(value)}`);
}

// ---- The configuration ----------------------------------------------------------------------------

export const CONFIG_KEYS = Object.keys({
  $schema: 1, book: 1, scenario: 1, paths: 1, steps: 1, seed: 1, stepSeconds: 1, fundingRatePpm: 1, impact: 1, maxRoundsPerStep: 1,
  policy: 1, waterfall: 1, insuranceFundQuote: 1, vaultQuote: 1, sweep: 1, skip: 1, economics: 1,
} satisfies Record<keyof SimulationConfig, 1>);

/** Checks a configuration's shape (module comment); throws InputError(InvalidScenario) naming the field. */
export function checkConfig(config: unknown): asserts config is SimulationConfig {
  const c = object(config, '', CONFIG_KEYS, -1, 'a configuration object');
  const has = (key: string): boolean => c[key] !== undefined;
  // The JSON Schema's address, for editors (config.schema.json): a string, otherwise ignored.
  if (has('$schema') && typeof c.$schema !== 'string') bad('$schema', `${describe(c.$schema)} is not a string (the address of the configuration's JSON Schema)`);
  if (has('book')) checkBook(c.book);
  if (has('scenario')) checkScenario(c.scenario);
  if (has('steps')) int(c.steps, 'steps', 1, 100_000);
  if (has('paths')) int(c.paths, 'paths', 1, 100_000_000);
  if (has('seed')) int(c.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  if (has('stepSeconds')) int(c.stepSeconds, 'stepSeconds', 1, 10 ** 9);
  if (has('fundingRatePpm')) perMarket(c.fundingRatePpm, 'fundingRatePpm', -1_000_000, 1_000_000);
  if (has('impact')) checkImpact(c.impact);
  if (has('maxRoundsPerStep')) int(c.maxRoundsPerStep, 'maxRoundsPerStep', 1, 64);
  if (has('policy')) checkPolicy(c.policy);
  if (has('waterfall')) checkWaterfall(c.waterfall, 'waterfall');
  if (has('insuranceFundQuote')) amount(c.insuranceFundQuote, 'insuranceFundQuote');
  if (has('vaultQuote')) amount(c.vaultQuote, 'vaultQuote');
  if (has('sweep')) checkSweep(c.sweep);
  if (has('skip')) bool(c.skip, 'skip');
  if (has('economics')) checkEconomics(c.economics);
  // The sweep's withdrawal axes vary the withdrawal run: without one they would change nothing.
  const sweep = c.sweep as Sweep | undefined, run = (c.economics as SimulationEconomics | undefined)?.withdrawals;
  for (const axis of ['realizable', 'withdrawalCapacity'] as const) {
    if (sweep?.[axis] !== undefined && run === undefined) bad(`sweep.${axis}`, 'varies the withdrawal run: economics.withdrawals is needed');
  }
}

export const ECONOMICS_RANGES = {
  turnoverPpm: [0, 1_000_000_000], crashMultiplierPpm: [0, 1_000_000_000], revenueEverySteps: [0, 100_000], stakedPpm: [0, 1_000_000],
  fundingSkimPpm: [0, 1_000_000],
} satisfies Record<keyof Omit<SimulationEconomics, 'fees' | 'split' | 'staking' | 'withdrawals' | 'stakers'>, [number, number]>;

/** The economics: fees, volume, the split, the stakers' share, the withdrawal run. */
function checkEconomics(value: unknown): void {
  const e = object(value, 'economics', [...Object.keys(ECONOMICS_RANGES), 'fees', 'split', 'staking', 'withdrawals', 'stakers']);
  if (e.withdrawals !== undefined) checkWithdrawals(e.withdrawals);
  if (e.stakers !== undefined) {
    const k = object(e.stakers, 'economics.stakers', ['accounts', 'sharePpm']);
    int(k.accounts, 'economics.stakers.accounts', 1, 4096);
    int(k.sharePpm, 'economics.stakers.sharePpm', 1, 1_000_000);
    // The scenario's stakers hold no records: the engine's own stakers do not act beside them.
    if (e.stakedPpm !== undefined && e.stakedPpm !== 0) bad('economics.stakers', 'stakers of their own and stakedPpm exclude each other');
  }
  for (const [key, [min, max]] of Object.entries(ECONOMICS_RANGES)) if (e[key] !== undefined) int(e[key], `economics.${key}`, min, max);
  if (e.fees !== undefined) {
    const f = object(e.fees, 'economics.fees', ['makerPpm', 'takerPpm']);
    const taker = int(f.takerPpm, 'economics.fees.takerPpm', 0, 1_000_000);
    int(f.makerPpm, 'economics.fees.makerPpm', -taker, 1_000_000);
  }
  if (e.split !== undefined) checkSplit(e.split, 'economics.split');
  if (e.staking !== undefined) {
    const k = object(e.staking, 'economics.staking', Object.keys(STAKING_RANGES));
    for (const [key, [min, max]] of Object.entries(STAKING_RANGES)) if (k[key] !== undefined) int(k[key], `economics.staking.${key}`, min, max);
  }
}

export const WITHDRAWAL_RANGES = {
  everySteps: [1, 100_000], probabilityPpm: [0, 1_000_000], bankRunPpm: [0, 1_000_000], transferFloorPpm: [0, 1_000_000],
} satisfies Record<keyof Omit<SimulationWithdrawals, 'realizable' | 'capacity'>, [number, number]>;

/** The withdrawal run: its schedule and chances, the withdrawal rules, the capacity. */
function checkWithdrawals(value: unknown): void {
  const w = object(value, 'economics.withdrawals', [...Object.keys(WITHDRAWAL_RANGES), 'realizable', 'capacity']);
  for (const [key, [min, max]] of Object.entries(WITHDRAWAL_RANGES)) if (w[key] !== undefined) int(w[key], `economics.withdrawals.${key}`, min, max);
  if (w.realizable !== undefined) oneOf(w.realizable, 'economics.withdrawals.realizable', REALIZABLE_RULES);
  if (w.capacity !== undefined) checkCapacity(w.capacity, 'economics.withdrawals.capacity');
}

export const CAPACITY_KEYS = Object.keys({ periodSec: 1, minQuote: 1, ppmOfTotal: 1, gateSec: 1, lossCharge: 1 } satisfies Record<keyof WithdrawalCapacityConfig, 1>);

/** A withdrawal capacity (`setWithdrawalCapacity`'s ranges), or null: unlimited (`field`, row: the sweep's item). */
export function checkCapacity(value: unknown, field: string, row = -1): void {
  if (value === null) return;
  const c = object(value, field, CAPACITY_KEYS, row, 'a withdrawal capacity or null');
  int(c.periodSec, `${field}.periodSec`, 0, MAX_CAPACITY_SEC, row);
  if (c.minQuote !== undefined) atoms(c.minQuote, `${field}.minQuote`, row);
  if (c.ppmOfTotal !== undefined) int(c.ppmOfTotal, `${field}.ppmOfTotal`, 0, 1_000_000, row);
  if (c.gateSec !== undefined) int(c.gateSec, `${field}.gateSec`, 0, MAX_CAPACITY_SEC, row);
  if (c.lossCharge !== undefined) bool(c.lossCharge, `${field}.lossCharge`, row);
}

/** The staking parameters' ranges (the engine's, src/economics/staking.ts). */
export const STAKING_RANGES = {
  settlePeriodSec: [0, 366 * 86_400], maxAprPpm: [0, 1_000_000_000], stakerFactorPpm: [0, 1_000_000], settleFractionPpm: [1, 1_000_000],
  cooldownSec: [0, 366 * 86_400],
} satisfies Record<keyof StakingConfig, [number, number]>;

/** A revenue split: rows of ppm by destination, each summing to 10^6 (`field`, row: the sweep's item). */
export function checkSplit(value: unknown, field: string, row = -1): void {
  const s = object(value, field, REVENUE_SOURCES, row);
  for (const source of REVENUE_SOURCES) {
    if (s[source] === undefined) continue;
    const r = object(s[source], `${field}.${source}`, DESTINATIONS, row);
    let sum = 0;
    for (const d of DESTINATIONS) if (r[d] !== undefined) sum += int(r[d], `${field}.${source}.${d}`, 0, 1_000_000, row);
    if (sum !== 1_000_000) bad(`${field}.${source}`, `the shares sum to ${sum}, not 1000000`, row);
  }
}

export const BOOK_RANGES = {
  accounts: [1, 50_000_000], markets: [1, 65_535], positionsPerAccount: [1, 60], seed: [0, 2 ** 32 - 1], isolatedPpm: [0, 1_000_000], chunk: [1, 2 ** 31],
} satisfies Record<keyof Omit<BookShape, 'onProgress'>, [number, number]>;

/**
 * The synthetic book's shape, or a module's URL (nothing else beside it). The generator draws at
 * most 60 positions per account and seeds from 32 bits, so those are the ranges.
 */
function checkBook(value: unknown): void {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'module')) {
    const b = object(value, 'book', ['module']);
    if (typeof b.module !== 'string' || !/^(file|https?):/.test(b.module)) bad('book.module', `${describe(b.module)} is not an absolute file:, http: or https: URL`);
    return;
  }
  const b = object(value, 'book', Object.keys(BOOK_RANGES));
  for (const [key, [min, max]] of Object.entries(BOOK_RANGES)) if (b[key] !== undefined) int(b[key], `book.${key}`, min, max);
}

export const SCENARIO_KEYS = {
  monteCarlo: Object.keys({
    kind: 1, volatilityPpm: 1, driftPpm: 1, correlationPpm: 1, jumpProbabilityPpm: 1, jumpMeanPpm: 1, jumpStdPpm: 1, jumpsTogether: 1,
  } satisfies Record<keyof MonteCarloScenario, 1>),
  shockGrid: Object.keys({ kind: 1, scanRangePpm: 1, extremeMultiplePpm: 1 } satisfies Record<keyof ShockGridScenario, 1>),
  replay: Object.keys({ kind: 1, csv: 1 } satisfies Record<keyof ReplayScenario, 1>),
} satisfies Record<Scenario['kind'], string[]>;

function checkScenario(value: unknown): void {
  const kind = typeof value === 'object' && value !== null ? (value as Fields).kind : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(SCENARIO_KEYS, kind)) {
    bad('scenario', `unknown kind ${describe(kind)} (monteCarlo, shockGrid, replay)`);
  }
  const s = object(value, 'scenario', SCENARIO_KEYS[kind as Scenario['kind']]);
  switch (kind as Scenario['kind']) {
    case 'monteCarlo':
      perMarket(s.volatilityPpm, 'volatilityPpm', 0, 1_000_000);
      if (s.driftPpm !== undefined) perMarket(s.driftPpm, 'driftPpm', -1_000_000, 1_000_000);
      if (Array.isArray(s.correlationPpm)) {
        // A matrix: rows of ppm; its size, symmetry and diagonal are checked against the book.
        s.correlationPpm.forEach((r, i) => list(r, 'correlationPpm', i).forEach((x) => int(x, 'correlationPpm', -1_000_000, 1_000_000, i)));
      } else if (s.correlationPpm !== undefined) int(s.correlationPpm, 'correlationPpm', 0, 999_999);
      if (s.jumpProbabilityPpm !== undefined) int(s.jumpProbabilityPpm, 'jumpProbabilityPpm', 0, 1_000_000);
      if (s.jumpMeanPpm !== undefined) int(s.jumpMeanPpm, 'jumpMeanPpm', -1_000_000, 1_000_000);
      if (s.jumpStdPpm !== undefined) int(s.jumpStdPpm, 'jumpStdPpm', 0, 1_000_000);
      if (s.jumpsTogether !== undefined) bool(s.jumpsTogether, 'jumpsTogether');
      return;
    case 'shockGrid':
      perMarket(s.scanRangePpm, 'scanRangePpm', 0, 1_000_000);
      if (s.extremeMultiplePpm !== undefined) int(s.extremeMultiplePpm, 'extremeMultiplePpm', 0, 10_000_000);
      return;
    case 'replay':
      if (typeof s.csv !== 'string' || s.csv.length === 0) bad('csv', 'the CSV text');
      return;
  }
}

export const IMPACT_RANGES = {
  depthPpmOfOpenInterest: [1, 10 ** 12], slopePpm: [0, 10 ** 12], permanentPpm: [0, 1_000_000], maxPpm: [0, 999_999],
} satisfies Record<keyof ImpactModel, [number, number]>;

function checkImpact(value: unknown): void {
  const m = object(value, 'impact', Object.keys(IMPACT_RANGES));
  for (const [key, [min, max]] of Object.entries(IMPACT_RANGES)) if (m[key] !== undefined) int(m[key], `impact.${key}`, min, max);
}

// ---- Policy, waterfall, sweep ---------------------------------------------------------------------

/** Each policy field's rule: an enumeration, a ppm or count range, or an amount. */
export const POLICY_FIELDS = {
  close: ['full', 'partial'], target: ['maintenance', 'initial'], order: ['maintenance', 'notional', 'book'],
  bufferPpm: [0, 1_000_000], maxCloseFractionPpm: [1, 1_000_000], liquidationFeePpm: [0, 1_000_000], liquidatorSharePpm: [0, 1_000_000],
  backstopPpm: [0, 1_000_000], backstopAccountId: [0, 0xfffffffe],
  minCloseNotionalQuote: 'amount', fractionAboveNotionalQuote: 'amount', maxNotionalPerRoundQuote: 'amount', maxDeficitPerRoundQuote: 'amount',
} satisfies Record<keyof LiquidationPolicy, readonly string[] | [number, number] | 'amount'>;

/** A policy: a name of DEMO_POLICIES, or a LiquidationPolicy object. */
function checkPolicy(value: unknown): void {
  if (typeof value === 'string') {
    if (!ownEntry(DEMO_POLICIES, value)) bad('policy', `unknown policy "${value}" (one of ${Object.keys(DEMO_POLICIES).join(', ')})`);
    return;
  }
  const p = object(value, 'policy', Object.keys(POLICY_FIELDS), -1, 'a policy name or a liquidation policy object');
  for (const [key, rule] of Object.entries(POLICY_FIELDS) as [string, readonly (string | number)[] | 'amount'][]) {
    const v = p[key];
    if (v === undefined) continue;
    if (rule === 'amount') atoms(v, `policy.${key}`);
    else if (typeof rule[0] === 'number') int(v, `policy.${key}`, rule[0], rule[1] as number);
    else oneOf(v, `policy.${key}`, rule as readonly string[]);
  }
}


/** Each tranche's keys besides `kind`, with their rules. */
export type Rule = readonly string[] | readonly [number, number] | 'amount' | 'boolean' | 'providers' | 'fund' | 'ranking' | 'seed';
export const TRANCHE_FIELDS: { [K in TrancheKind]: Partial<Record<string, Rule>> } = {
  insuranceFund: {
    fund: 'fund', maxPerDeficitQuote: 'amount', floorQuote: 'amount', marketCapQuote: 'amount',
    marketCapWindowSec: [0, Number.MAX_SAFE_INTEGER], drawdownPpm: [0, 1_000_000], drawdownWindowSec: [0, Number.MAX_SAFE_INTEGER],
  },
  backstopVault: { providers: 'providers' },
  adl: { ranking: 'ranking', price: ['bankruptcy', 'mark'], seed: 'seed', topK: [1, 64] },
  socializeFunding: {},
  haircutGains: { scope: ['market', 'all'], minGainQuote: 'amount', maxHaircutPpm: [0, 1_000_000] },
  haircutDeposits: {},
  haircutVaultShares: {},
  defaulterFund: {},
  operatorCapital: { layer: [1, 2] },
  membersFund: { withLayer2: 'boolean' },
  assessments: { multiplePpm: [1, 100_000_000] },
};
/** Fields a tranche of the kind must have. */
export const TRANCHE_REQUIRED: Partial<Record<TrancheKind, string>> = { adl: 'ranking', operatorCapital: 'layer', assessments: 'multiplePpm' };
export const PROVIDER_FIELDS = { accountId: [0, 0xfffffffe], capacityQuote: 'amount', weightPpm: [0, 1_000_000] } as const;

/**
 * A waterfall: a preset's name, or a WaterfallConfig object. `field` and `row` name where it sits
 * (`waterfall`, or `sweep.waterfall` row i). A ranking function cannot be sent to workers.
 */
export function checkWaterfall(value: unknown, field: string, row = -1): void {
  if (typeof value === 'string') {
    if (!ownEntry(WATERFALL_PRESETS as Record<string, WaterfallConfig>, value)) {
      bad(field, `unknown waterfall "${value}" (one of ${Object.keys(WATERFALL_PRESETS).join(', ')})`, row);
    }
    return;
  }
  const base = row >= 0 ? `${field}[${row}]` : field;
  const w = object(value, field, ['steps', 'groups'], row, 'a preset name or a waterfall configuration');
  const steps = (path: string, v: unknown): void => {
    const list_ = list(v, path);
    if (list_.length === 0) bad(path, 'a waterfall needs at least one step');
    list_.forEach((t, j) => checkTranche(t, path, j, () => bad(field, 'a ranking function cannot be sent to workers: use a named ranking', row)));
  };
  steps(at(base, 'steps'), w.steps);
  if (w.groups === undefined) return;
  list(w.groups, at(base, 'groups')).forEach((g, i) => {
    const group = object(g, at(base, 'groups'), ['markets', 'steps'], i);
    list(group.markets, `${base}.groups[${i}].markets`).forEach((m, k) => int(m, `${base}.groups[${i}].markets`, 0, 65_534, k));
    steps(`${base}.groups[${i}].steps`, group.steps);
  });
}

/** One tranche of a waterfall's `steps` list at `path`, row j. */
function checkTranche(value: unknown, path: string, j: number, rankingFunction: () => never): void {
  const kind = typeof value === 'object' && value !== null ? (value as Fields).kind : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(TRANCHE_FIELDS, kind)) {
    bad(at(path, 'kind'), `${describe(kind)} is not one of ${Object.keys(TRANCHE_FIELDS).join(', ')}`, j);
  }
  const fields = TRANCHE_FIELDS[kind as TrancheKind];
  const t = object(value, path, ['kind', ...Object.keys(fields)], j);
  const required = TRANCHE_REQUIRED[kind as TrancheKind];
  if (required !== undefined && t[required] === undefined) bad(at(path, required), `a ${kind} step needs ${required}`, j);
  for (const [key, rule] of Object.entries(fields) as [string, Rule][]) {
    const v = t[key];
    if (v === undefined) continue;
    const f = at(path, key);
    if (rule === 'amount') atoms(v, f, j);
    else if (rule === 'boolean') bool(v, f, j);
    else if (rule === 'fund') { if (v !== 'market' && v !== 'global') int(v, f, 0, 65_535, j); }
    else if (rule === 'seed') { if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) int(v, f, 0, Number.MAX_SAFE_INTEGER, j); }
    else if (rule === 'ranking') { if (typeof v === 'function') rankingFunction(); oneOf(v, f, STEP_RANKINGS, j); }
    else if (rule === 'providers') {
      list(v, f, j).forEach((p, k) => {
        const provider = object(p, `${path}[${j}].providers`, Object.keys(PROVIDER_FIELDS), k);
        int(provider.accountId, `${path}[${j}].providers.accountId`, 0, 0xfffffffe, k);
        if (provider.capacityQuote !== undefined) atoms(provider.capacityQuote, `${path}[${j}].providers.capacityQuote`, k);
        if (provider.weightPpm !== undefined) int(provider.weightPpm, `${path}[${j}].providers.weightPpm`, 0, 1_000_000, k);
      });
    } else if (typeof rule[0] === 'number') int(v, f, rule[0], rule[1] as number, j);
    else oneOf(v, f, rule as readonly string[], j);
  }
}

export const SWEEP_KEYS = Object.keys({
  insuranceFundQuote: 1, marginScalePpm: 1, adlRanking: 1, waterfall: 1, revenueSplit: 1, stakingMaxAprPpm: 1, stakingCooldownSec: 1, realizable: 1, withdrawalCapacity: 1,
} satisfies Record<keyof Sweep, 1>);

/** The sweep: each axis a list (row: the item). */
export function checkSweep(value: unknown): void {
  const s = object(value, 'sweep', SWEEP_KEYS);
  if (s.insuranceFundQuote !== undefined) list(s.insuranceFundQuote, 'sweep.insuranceFundQuote').forEach((v, i) => amount(v, 'sweep.insuranceFundQuote', i));
  if (s.marginScalePpm !== undefined) list(s.marginScalePpm, 'sweep.marginScalePpm').forEach((v, i) => int(v, 'sweep.marginScalePpm', 1, 10_000_000, i));
  if (s.adlRanking !== undefined) list(s.adlRanking, 'sweep.adlRanking').forEach((v, i) => oneOf(v, 'sweep.adlRanking', ADL_RANKINGS, i));
  if (s.waterfall !== undefined) list(s.waterfall, 'sweep.waterfall').forEach((v, i) => checkWaterfall(v, 'sweep.waterfall', i));
  if (s.revenueSplit !== undefined) list(s.revenueSplit, 'sweep.revenueSplit').forEach((v, i) => checkSplit(v, 'sweep.revenueSplit', i));
  if (s.stakingMaxAprPpm !== undefined) list(s.stakingMaxAprPpm, 'sweep.stakingMaxAprPpm').forEach((v, i) => int(v, 'sweep.stakingMaxAprPpm', 0, 1_000_000_000, i));
  if (s.stakingCooldownSec !== undefined) list(s.stakingCooldownSec, 'sweep.stakingCooldownSec').forEach((v, i) => int(v, 'sweep.stakingCooldownSec', 0, 366 * 86_400, i));
  if (s.realizable !== undefined) list(s.realizable, 'sweep.realizable').forEach((v, i) => oneOf(v, 'sweep.realizable', REALIZABLE_RULES, i));
  if (s.withdrawalCapacity !== undefined) list(s.withdrawalCapacity, 'sweep.withdrawalCapacity').forEach((v, i) => checkCapacity(v, 'sweep.withdrawalCapacity', i));
}
