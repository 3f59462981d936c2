/**
 * Statistics of a stress simulation: from the per-path results of every variant to the report.
 *
 * Everything here is pure and exact: sums and means are bigints of quote atoms, means round down
 * (toward -infinity) to an atom, percentiles are nearest-rank (the value at 1-based rank ceil(q * n)
 * of the ascending sort, so every reported percentile is a value some path produced). Results are
 * sorted by (variant, path) before anything is computed, so a report does not depend on how many
 * workers or shards produced the paths, nor in which order they arrived.
 *
 * A distribution over no paths reports "0" everywhere (and a share of 0), so a variant that ran no
 * path still has a well-formed report.
 */
import { formatAtoms, MAX_DECIMALS } from '../atoms.js';
import { describeValue, inputError, RiskCoreError } from '../errors.js';
import { resolveConfig, variantWaterfall } from './config.js';
import { riskTakers } from './risk-takers.js';
import { winners } from './winners.js';
import { ascending, floorDiv, nearestRank } from './numbers.js';
import { allSteps, type TrancheKind, type WaterfallConfig } from '../waterfall/config.js';
import {
  HISTOGRAM_METRICS, STEP_METRICS, type Distribution, type Fan, type PathResult, type SerializedPathResult, type ShardResult,
  type SimulationConfig, type SimulationReport, type StepMetric, type SweepVariant, type VariantReport,
} from './types.js';

/** A named variant of a sweep, as runs and shards list them. */
export interface NamedVariant {
  name: string;
  variant: SweepVariant;
}

/** What `buildReport` needs: a run's (or merged shards') configuration and results, in any order. */
export interface ReportInput {
  config: SimulationConfig;
  configHash: string;
  variants: NamedVariant[];
  results: PathResult[];
  quoteDecimals: number;
  steps: number;
  elapsedMs: number;
}

// ---- Serialization --------------------------------------------------------------------------------

const INTEGER = /^-?\d+$/;

function parseAtoms(text: unknown, field: string, r: { path: number; variant: number }): bigint {
  if (typeof text !== 'string' || !INTEGER.test(text)) {
    throw inputError('InvalidShard', field, -1, `path ${r.path} of variant ${r.variant}: ${field} is ${describeValue(text)}, not an integer of atoms`);
  }
  return BigInt(text);
}

/** A path result as plain JSON: every bigint becomes the decimal string of its atoms. */
export function serializePathResult(r: PathResult): SerializedPathResult {
  return {
    path: r.path,
    variant: r.variant,
    metrics: r.metrics.map((row) => row.map(String)),
    prefundedQuote: String(r.prefundedQuote),
    cover1Quote: String(r.cover1Quote),
    cover2Quote: String(r.cover2Quote),
    fundExhausted: r.fundExhausted,
    start: { stakerValueQuote: String(r.start.stakerValueQuote), vaultNavQuote: String(r.start.vaultNavQuote), treasuryQuote: String(r.start.treasuryQuote) },
    withdrawals: {
      ...r.withdrawals, wantedQuote: String(r.withdrawals.wantedQuote), receivedQuote: String(r.withdrawals.receivedQuote), chargedQuote: String(r.withdrawals.chargedQuote),
    },
    accountsChecked: r.accountsChecked,
    positionSteps: r.positionSteps,
  };
}

/** The inverse of `serializePathResult`; throws naming the path and field on a malformed amount. */
export function deserializePathResult(s: SerializedPathResult): PathResult {
  return {
    path: s.path,
    variant: s.variant,
    metrics: s.metrics.map((row, k) => row.map((v, t) => parseAtoms(v, `metrics[${k}][${t}]`, s))),
    prefundedQuote: parseAtoms(s.prefundedQuote, 'prefundedQuote', s),
    cover1Quote: parseAtoms(s.cover1Quote, 'cover1Quote', s),
    cover2Quote: parseAtoms(s.cover2Quote, 'cover2Quote', s),
    fundExhausted: s.fundExhausted,
    start: {
      stakerValueQuote: parseAtoms(s.start.stakerValueQuote, 'start.stakerValueQuote', s),
      vaultNavQuote: parseAtoms(s.start.vaultNavQuote, 'start.vaultNavQuote', s),
      treasuryQuote: parseAtoms(s.start.treasuryQuote, 'start.treasuryQuote', s),
    },
    withdrawals: {
      winners: s.withdrawals.winners,
      wantedQuote: parseAtoms(s.withdrawals.wantedQuote, 'withdrawals.wantedQuote', s),
      receivedQuote: parseAtoms(s.withdrawals.receivedQuote, 'withdrawals.receivedQuote', s),
      shortWinners: s.withdrawals.shortWinners,
      queuedRequests: s.withdrawals.queuedRequests,
      stillQueued: s.withdrawals.stillQueued,
      chargedQuote: parseAtoms(s.withdrawals.chargedQuote, 'withdrawals.chargedQuote', s),
    },
    accountsChecked: s.accountsChecked,
    positionSteps: s.positionSteps,
  };
}

// ---- Configuration hash ---------------------------------------------------------------------------

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits, over the UTF-8 bytes of `text`: 16 lowercase hex digits. */
export function fnv1a64(text: string): string {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return h.toString(16).padStart(16, '0');
}

/**
 * JSON with every object's keys sorted (recursively); what JSON.stringify drops is dropped. A bigint
 * has no JSON form: InputError(InvalidScenario) (a configuration's amounts are decimal strings).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw inputError('InvalidScenario', '', -1, 'canonicalJson: bigints have no JSON form (write them as decimal strings)');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value).sort()
    .map((k) => [k, (value as Record<string, unknown>)[k]] as const)
    .filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash shards of one run share: FNV-1a 64 over the canonical JSON, so key order does not matter. */
export function configHash(value: unknown): string {
  return fnv1a64(canonicalJson(value));
}

// ---- Distributions --------------------------------------------------------------------------------

export { floorDiv };

/**
 * Mean, p95, p99, expected shortfall 99 and max of per-path values (atoms), in quote units.
 * The expected shortfall is the mean of the worst k = max(1, ceil(n / 100)) values; means round down.
 * No values: all "0".
 */
export function distribution(values: readonly bigint[], decimals: number): Distribution {
  const n = values.length;
  if (n === 0) return { mean: '0', p95: '0', p99: '0', expectedShortfall99: '0', max: '0' };
  const sorted = [...values].sort(ascending);
  const k = Math.max(1, Math.ceil(n / 100));
  const f = (v: bigint) => formatAtoms(v, decimals);
  return {
    mean: f(floorDiv(sum(sorted), BigInt(n))),
    p95: f(nearestRank(sorted, 95)),
    p99: f(nearestRank(sorted, 99)),
    expectedShortfall99: f(floorDiv(sum(sorted.slice(n - k)), BigInt(k))),
    max: f(sorted[n - 1]!),
  };
}

/**
 * Nearest-rank p5, p25, p50, p75 and p95 at each step of per-path series (`series[path][step]`), in
 * quote units. `steps` defaults to the first path's length; with no paths every percentile is "0".
 */
export function fan(series: readonly (readonly bigint[])[], decimals: number, steps = series[0]?.length ?? 0): Fan {
  const out: Fan = { p5: [], p25: [], p50: [], p75: [], p95: [] };
  for (let t = 0; t < steps; t++) {
    const column = series.map((s) => s[t] ?? 0n).sort(ascending);
    for (const [key, pct] of FAN_PERCENTILES) out[key].push(column.length === 0 ? '0' : formatAtoms(nearestRank(column, pct), decimals));
  }
  return out;
}

const FAN_PERCENTILES = [['p5', 5], ['p25', 25], ['p50', 50], ['p75', 75], ['p95', 95]] as const;

function sum(values: readonly bigint[]): bigint {
  let s = 0n;
  for (const v of values) s += v;
  return s;
}

// ---- Report ---------------------------------------------------------------------------------------

const M = Object.fromEntries(STEP_METRICS.map((m, k) => [m, k])) as Record<StepMetric, number>;
/** The covered* metrics, with the tranche each one reports ('coveredAdl' -> 'adl'). */
const TRANCHE_METRICS = STEP_METRICS.filter((m) => m.startsWith('covered'))
  .map((m) => ({ metric: m, tranche: m[7]!.toLowerCase() + m.slice(8) }));

const byVariantThenPath = (a: PathResult, b: PathResult): number => a.variant - b.variant || a.path - b.path;

/**
 * Checks a report's input before anything is computed (InputError(InvalidShard) naming the field, the
 * row of a result): lists where lists are meant, counts, and every result's shape against the run: a
 * known variant, a path, a full metrics table of the run's steps of bigints, bigint amounts.
 */
function checkReportInput(input: unknown): ReportInput {
  const x = record(input, '', ['config', 'configHash', 'variants', 'results', 'quoteDecimals', 'steps', 'elapsedMs']);
  if (!Array.isArray(x.variants)) shardError('variants', `a list of { name, variant }, not ${describeValue(x.variants)}`);
  x.variants.forEach((v, i) => { if (typeof record(v, 'variants', ['name', 'variant'], i).name !== 'string') shardError('variants.name', 'a string', i); });
  if (!Array.isArray(x.results)) shardError('results', `a list of path results, not ${describeValue(x.results)}`);
  count(x.quoteDecimals, 'quoteDecimals', 0, MAX_DECIMALS);
  const steps = count(x.steps, 'steps', 1, Number.MAX_SAFE_INTEGER);
  count(x.elapsedMs, 'elapsedMs', 0, Number.MAX_SAFE_INTEGER);
  const variants = x.variants.length;
  x.results.forEach((value, i) => {
    const r = record(value, 'results', RESULT_KEYS, i);
    count(r.variant, 'results.variant', 0, variants - 1, i);
    count(r.path, 'results.path', 0, Number.MAX_SAFE_INTEGER, i);
    const metrics = Array.isArray(r.metrics) ? r.metrics : shardError('results.metrics', 'a table of metrics by step', i);
    if (metrics.length !== STEP_METRICS.length) shardError('results.metrics', `${metrics.length} metrics, expected ${STEP_METRICS.length}`, i);
    metrics.forEach((row: unknown, k) => {
      const field = `results.metrics.${STEP_METRICS[k]}`;
      if (!Array.isArray(row) || row.length !== steps) shardError(field, `a list of ${steps} steps`, i);
      if (!row.every((v) => typeof v === 'bigint')) shardError(field, 'amounts are bigints of atoms', i);
    });
    for (const key of ['prefundedQuote', 'cover1Quote', 'cover2Quote'] as const) if (typeof r[key] !== 'bigint') shardError(`results.${key}`, `${describeValue(r[key])} is not a bigint of atoms`, i);
    if (typeof r.fundExhausted !== 'boolean') shardError('results.fundExhausted', `${describeValue(r.fundExhausted)} is not true or false`, i);
    const start = record(r.start, 'results.start', START_KEYS, i);
    for (const key of START_KEYS) if (typeof start[key] !== 'bigint') shardError(`results.start.${key}`, `${describeValue(start[key])} is not a bigint of atoms`, i);
    const w = record(r.withdrawals, 'results.withdrawals', WITHDRAWAL_KEYS, i);
    for (const key of WITHDRAWAL_AMOUNTS) if (typeof w[key] !== 'bigint') shardError(`results.withdrawals.${key}`, `${describeValue(w[key])} is not a bigint of atoms`, i);
    for (const key of WITHDRAWAL_COUNTS) count(w[key], `results.withdrawals.${key}`, 0, Number.MAX_SAFE_INTEGER, i);
    count(r.accountsChecked, 'results.accountsChecked', 0, Number.MAX_SAFE_INTEGER, i);
    count(r.positionSteps, 'results.positionSteps', 0, Number.MAX_SAFE_INTEGER, i);
  });
  return x as unknown as ReportInput;
}

/**
 * The report of a run: per variant, distributions over paths, tranche means and per-step fans.
 * `results` may come in any order; the report is the same for every order. Throws InputError
 * (InvalidShard) naming the field on a malformed input (checkReportInput), a result of an unknown
 * variant, a malformed metrics table, or the same (variant, path) twice.
 */
export function buildReport(input: ReportInput): SimulationReport {
  checkReportInput(input);
  const { quoteDecimals: decimals, steps } = input;
  const run = resolveConfig(input.config);
  const results = [...input.results].sort(byVariantThenPath);
  const perVariant: PathResult[][] = input.variants.map(() => []);
  results.forEach((r, i) => {
    const prev = results[i - 1];
    if (prev && prev.variant === r.variant && prev.path === r.path) shardError('results.path', `path ${r.path} of variant ${r.variant} appears twice`);
    perVariant[r.variant]!.push(r);
  });
  return {
    format: 'riskcore-simulation-report',
    version: 1,
    configHash: input.configHash,
    config: input.config,
    paths: new Set(results.map((r) => r.path)).size,
    steps,
    quoteDecimals: decimals,
    variants: input.variants.map((v, i) => variantReport(v, trancheOrder(variantWaterfall(run.waterfall, v.variant)), perVariant[i]!, decimals, steps, steps * run.stepSeconds,
      run.economics.withdrawals !== undefined)),
    work: {
      accountsChecked: results.reduce((a, r) => a + r.accountsChecked, 0),
      positionSteps: results.reduce((a, r) => a + r.positionSteps, 0),
      elapsedMs: input.elapsedMs,
    },
  };
}

/**
 * The tranche kinds of a waterfall in its order: its steps, then the steps of its market groups not
 * already listed (each kind once: two operator-capital layers are one tranche, as their metric is one).
 */
function trancheOrder(w: WaterfallConfig): TrancheKind[] {
  return [...new Set(allSteps(w).map((s) => s.kind))];
}

/** One variant's report from its results, sorted by path; `kinds`: its waterfall's tranche kinds in order. */
function variantReport(named: NamedVariant, kinds: readonly TrancheKind[], results: readonly PathResult[], decimals: number, steps: number, horizonSec: number, withdrawalRun: boolean): VariantReport {
  const paths = results.length;
  const f = (v: bigint) => formatAtoms(v, decimals);
  const meanOf = (total: bigint) => (paths === 0 ? '0' : f(floorDiv(total, BigInt(paths))));
  // Per-step series only: a histogram (queueWaits) has rows of steps waited, not steps (winners.ts reads it).
  const series = (m: StepMetric) => {
    if (HISTOGRAM_METRICS.includes(m)) throw new Error(`${m} is a histogram, not a series by step`);
    return results.map((r) => r.metrics[M[m]]!);
  };
  const pathTotals = (m: StepMetric) => series(m).map(sum);
  const total = (m: StepMetric) => sum(pathTotals(m));
  const stepMeans = (m: StepMetric) => {
    const rows = series(m);
    return Array.from({ length: steps }, (_, t) => meanOf(sum(rows.map((row) => row[t]!))));
  };

  const fundExhaustedPaths = results.filter((r) => r.fundExhausted).length;
  const prefunded = results[0]?.prefundedQuote ?? 0n;
  // Tranches in the variant's waterfall order, every kind its waterfall has (one that paid nothing shows 0).
  const covered = kinds
    .map((tranche) => ({ tranche: tranche as string, perPath: pathTotals(TRANCHE_METRICS.find((t) => t.tranche === tranche)!.metric) }))
    .map((t) => ({ ...t, totalAtoms: sum(t.perPath) }));
  const tranches = [...covered, { tranche: 'uncovered', totalAtoms: total('uncoveredQuote') }];
  const column = (values: readonly bigint[]) => values.map(f);

  return {
    name: named.name,
    variant: named.variant,
    paths,
    fundExhaustedPaths,
    fundExhaustedProbability: paths === 0 ? 0 : fundExhaustedPaths / paths,
    socialized: distribution(pathTotals('socializedQuote'), decimals),
    uncovered: distribution(pathTotals('uncoveredQuote'), decimals),
    deficits: distribution(pathTotals('deficitQuote'), decimals),
    cover1: distribution(results.map((r) => r.cover1Quote), decimals),
    cover2: distribution(results.map((r) => r.cover2Quote), decimals),
    prefundedQuote: f(prefunded),
    cover2BreachPaths: results.filter((r) => r.cover2Quote > r.prefundedQuote).length,
    liquidations: { closes: String(total('closes')), notionalQuote: f(total('closedNotionalQuote')) },
    adl: { notionalQuote: f(total('adlNotionalQuote')), accounts: String(total('adlAccounts')) },
    tranches: tranches.map((t) => ({ tranche: t.tranche, meanQuote: meanOf(t.totalAtoms), totalQuote: f(t.totalAtoms) })),
    pathTotals: {
      path: results.map((r) => r.path),
      deficitQuote: column(pathTotals('deficitQuote')),
      socializedQuote: column(pathTotals('socializedQuote')),
      uncoveredQuote: column(pathTotals('uncoveredQuote')),
      cover1Quote: column(results.map((r) => r.cover1Quote)),
      cover2Quote: column(results.map((r) => r.cover2Quote)),
      tranches: covered.map((t) => ({ tranche: t.tranche, coveredQuote: column(t.perPath) })),
    },
    riskTakers: riskTakers(results, horizonSec, decimals),
    winners: winners(results, withdrawalRun, decimals),
    byStep: {
      insuranceFund: fan(series('insuranceFundQuote'), decimals, steps),
      stakerValue: fan(series('stakerValueQuote'), decimals, steps),
      vaultNav: fan(series('vaultNavQuote'), decimals, steps),
      queuedQuote: fan(series('queuedQuote'), decimals, steps),
      liquidatedNotionalMean: stepMeans('closedNotionalQuote'),
      liquidatedNotional: fan(series('closedNotionalQuote'), decimals, steps),
      deficitMean: stepMeans('deficitQuote'),
    },
  };
}

// ---- Shards ---------------------------------------------------------------------------------------

export interface MergeOptions {
  /** The run's path count: the shards must then cover [0, paths) exactly (otherwise [0, the last pathTo)). */
  paths?: number;
  /** The shards must cover every path of the run their configuration describes (what `riskcore merge` asks). */
  complete?: boolean;
  /** What to call each shard in errors (file names), in the order of `shards`; default "shard [from, to)". */
  names?: readonly string[];
}

const range = (from: number, to: number) => `[${from}, ${to})`;

const VARIANT_KEYS = Object.keys({
  insuranceFundQuote: 1, marginScalePpm: 1, adlRanking: 1, waterfall: 1, revenueSplit: 1, stakingMaxAprPpm: 1, stakingCooldownSec: 1, realizable: 1, withdrawalCapacity: 1,
} satisfies Record<keyof SweepVariant, 1>);

function checkMergeOptions(options: unknown, shards: number): void {
  const o = record(options, 'options', ['paths', 'complete', 'names']);
  if (o.paths !== undefined) count(o.paths, 'options.paths', 1, Number.MAX_SAFE_INTEGER);
  if (o.complete !== undefined && typeof o.complete !== 'boolean') shardError('options.complete', `${describeValue(o.complete)} is not true or false`);
  if (o.names !== undefined && !(Array.isArray(o.names) && o.names.length === shards && o.names.every((n) => typeof n === 'string'))) {
    shardError('options.names', `one name (a string) per shard, not ${describeValue(o.names)}`);
  }
}

function shardError(field: string, detail: string, row = -1): never {
  throw inputError('InvalidShard', field, row, detail);
}

const SHARD_KEYS = Object.keys({
  format: 1, version: 1, configHash: 1, config: 1, variants: 1, pathFrom: 1, pathTo: 1, quoteDecimals: 1, results: 1, elapsedMs: 1,
} satisfies Record<keyof ShardResult, 1>);
const RESULT_KEYS = Object.keys({
  path: 1, variant: 1, metrics: 1, prefundedQuote: 1, cover1Quote: 1, cover2Quote: 1, fundExhausted: 1, start: 1, withdrawals: 1, accountsChecked: 1, positionSteps: 1,
} satisfies Record<keyof SerializedPathResult, 1>);
const WITHDRAWAL_AMOUNTS = ['wantedQuote', 'receivedQuote', 'chargedQuote'] as const;
const WITHDRAWAL_COUNTS = ['winners', 'shortWinners', 'queuedRequests', 'stillQueued'] as const;
const WITHDRAWAL_KEYS = Object.keys({
  winners: 1, wantedQuote: 1, receivedQuote: 1, shortWinners: 1, queuedRequests: 1, stillQueued: 1, chargedQuote: 1,
} satisfies Record<keyof PathResult['withdrawals'], 1>);
const START_KEYS = Object.keys({ stakerValueQuote: 1, vaultNavQuote: 1, treasuryQuote: 1 } satisfies Record<keyof PathResult['start'], 1>) as (keyof PathResult['start'])[];

function record(value: unknown, field: string, keys: readonly string[], row = -1): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) shardError(field, 'an object', row);
  for (const key of Object.keys(value)) if (!keys.includes(key)) shardError(field ? `${field}.${key}` : key, 'unknown key', row);
  return value as Record<string, unknown>;
}

function count(value: unknown, field: string, min: number, max: number, row = -1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    shardError(field, `${describeValue(value)} is not an integer in ${min}..${max}`, row);
  }
  return value;
}

function atomsText(value: unknown, field: string, row: number): void {
  if (typeof value !== 'string' || !INTEGER.test(value)) shardError(field, `${describeValue(value)} is not an integer of atoms (a decimal string)`, row);
}

/**
 * Checks one shard as read from JSON, before anything is merged: only a shard's keys; its format and
 * version; its configuration valid, and hashing to its `configHash` (a configuration edited after the
 * run is refused); its path range inside the run's paths; and every result's numbers: integers where
 * counts are meant, decimal strings of atoms for amounts, a full metrics table of the run's steps.
 * Throws InputError(InvalidShard) naming the field (`results.accountsChecked`, row: the result), or
 * the configuration's InputError(InvalidScenario).
 */
export function checkShard(value: unknown): ShardResult {
  const s = record(value, '', SHARD_KEYS);
  if (s.format !== 'riskcore-simulation-shard') shardError('format', `${JSON.stringify(s.format)} is not a simulation shard (riskcore simulate --path-from A --path-to B writes them)`);
  if (s.version !== 1) shardError('version', `version ${describeValue(s.version)} is not supported (expected 1)`);
  const resolved = resolveConfig(s.config as SimulationConfig);
  const hash = configHash(s.config);
  if (s.configHash !== hash) shardError('configHash', `${JSON.stringify(s.configHash)} is not the hash of the shard's configuration (${hash}): the configuration was changed after the run`);
  const variants = Array.isArray(s.variants) ? s.variants : shardError('variants', 'a list of { name, variant }');
  if (variants.length === 0) shardError('variants', 'at least one variant');
  variants.forEach((v, i) => {
    const named = record(v, 'variants', ['name', 'variant'], i);
    if (typeof named.name !== 'string') shardError('variants.name', 'a string', i);
    record(named.variant, 'variants.variant', VARIANT_KEYS, i);
  });
  const from = count(s.pathFrom, 'pathFrom', 0, resolved.paths - 1);
  const to = count(s.pathTo, 'pathTo', from + 1, resolved.paths);
  count(s.quoteDecimals, 'quoteDecimals', 0, MAX_DECIMALS);
  count(s.elapsedMs, 'elapsedMs', 0, Number.MAX_SAFE_INTEGER);
  const results = Array.isArray(s.results) ? s.results : shardError('results', 'a list of path results');
  results.forEach((x, i) => {
    const r = record(x, 'results', RESULT_KEYS, i);
    const path = count(r.path, 'results.path', 0, resolved.paths - 1, i);
    const variant = count(r.variant, 'results.variant', 0, variants.length - 1, i);
    if (path < from || path >= to) shardError('results.path', `result for path ${path} of variant ${variant} is outside the shard ${range(from, to)}`, i);
    const metrics = Array.isArray(r.metrics) ? r.metrics : shardError('results.metrics', 'a table of metrics by step', i);
    if (metrics.length !== STEP_METRICS.length) shardError('results.metrics', `${metrics.length} metrics, expected ${STEP_METRICS.length}`, i);
    metrics.forEach((row, k) => {
      if (!Array.isArray(row) || row.length !== resolved.steps) shardError(`results.metrics.${STEP_METRICS[k]}`, `a list of ${resolved.steps} steps`, i);
      for (const v of row) atomsText(v, `results.metrics.${STEP_METRICS[k]}`, i);
    });
    for (const key of ['prefundedQuote', 'cover1Quote', 'cover2Quote'] as const) atomsText(r[key], `results.${key}`, i);
    if (typeof r.fundExhausted !== 'boolean') shardError('results.fundExhausted', `${JSON.stringify(r.fundExhausted)} is not true or false`, i);
    const start = record(r.start, 'results.start', START_KEYS, i);
    for (const key of START_KEYS) atomsText(start[key], `results.start.${key}`, i);
    const w = record(r.withdrawals, 'results.withdrawals', WITHDRAWAL_KEYS, i);
    for (const key of WITHDRAWAL_AMOUNTS) atomsText(w[key], `results.withdrawals.${key}`, i);
    for (const key of WITHDRAWAL_COUNTS) count(w[key], `results.withdrawals.${key}`, 0, Number.MAX_SAFE_INTEGER, i);
    count(r.accountsChecked, 'results.accountsChecked', 0, Number.MAX_SAFE_INTEGER, i);
    count(r.positionSteps, 'results.positionSteps', 0, Number.MAX_SAFE_INTEGER, i);
  });
  return value as ShardResult;
}

/**
 * Merges the shards of one run into the input of `buildReport`, in any shard order. Each shard is
 * checked first (`checkShard`; its error names the shard). Throws InputError(InvalidShard) when
 * shards disagree (configuration hash, configuration, variants, decimals), when ranges overlap or
 * repeat, when paths are missing (naming the missing range), or when a shard's results are not
 * exactly every variant of every path of its range. `elapsedMs` is the sum.
 */
export function mergeShards(shards: readonly ShardResult[], options: MergeOptions = {}): ReportInput {
  if (!Array.isArray(shards as unknown)) shardError('', `mergeShards: a list of shards, not ${describeValue(shards)}`);
  if (shards.length === 0) shardError('', 'mergeShards: no shards');
  checkMergeOptions(options, shards.length);
  const names = new Map<ShardResult, string>();
  const checked = (s: ShardResult, i: number): void => {
    try {
      checkShard(s);
    } catch (e) {
      // The shard's name before the field: the error keeps its class, code, field and row.
      if (e instanceof RiskCoreError) e.message = `${options.names?.[i] ?? `shard ${i + 1} of ${shards.length}`}: ${e.message}`;
      throw e;
    }
    names.set(s, options.names?.[i] ?? `shard ${range(s.pathFrom, s.pathTo)}`);
  };
  // The first shard is the reference: checked whole, then each other one is compared with it
  // (a shard of another run is named as such) and checked.
  const first = shards[0]!;
  checked(first, 0);
  const configJson = canonicalJson(first.config);
  const variantsJson = canonicalJson(first.variants);
  shards.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) checked(s, i);
    const name = options.names?.[i] ?? `shard ${range(s.pathFrom, s.pathTo)}`;
    if (s.configHash !== first.configHash) shardError('configHash', `${name}: configuration hash ${typeof s.configHash === 'string' ? s.configHash : describeValue(s.configHash)} differs from ${first.configHash}: shards of different runs`);
    if (canonicalJson(s.config) !== configJson) shardError('config', `${name}: configuration differs from the other shards' (same hash ${s.configHash})`);
    if (canonicalJson(s.variants) !== variantsJson) shardError('variants', `${name}: variants differ from the other shards'`);
    if (s.quoteDecimals !== first.quoteDecimals) shardError('quoteDecimals', `${name}: quoteDecimals ${describeValue(s.quoteDecimals)} differs from ${first.quoteDecimals}`);
    if (i > 0) checked(s, i);
  });
  const run = resolveConfig(first.config);
  const paths = options.complete ? run.paths : options.paths;

  // Ranges, sorted: each must start where the previous ended.
  const sorted = [...shards].sort((a, b) => a.pathFrom - b.pathFrom || a.pathTo - b.pathTo);
  let end = 0;
  sorted.forEach((s, i) => {
    if (s.pathFrom < end) {
      const prev = sorted[i - 1]!;
      shardError('pathFrom', prev.pathFrom === s.pathFrom && prev.pathTo === s.pathTo
        ? `duplicate shard: paths ${range(s.pathFrom, s.pathTo)} appear twice (${names.get(prev)}, ${names.get(s)})`
        : `shards overlap: ${range(prev.pathFrom, prev.pathTo)} and ${range(s.pathFrom, s.pathTo)} (${names.get(prev)}, ${names.get(s)})`);
    }
    if (s.pathFrom > end) shardError('pathFrom', `missing paths ${range(end, s.pathFrom)}: no shard covers them`);
    end = s.pathTo;
  });
  if (paths !== undefined && end !== paths) {
    shardError('pathTo', end < paths ? `missing paths ${range(end, paths)}: no shard covers them` : `shards cover paths up to ${end}, the run has ${paths}`);
  }

  // Results: exactly one per variant and path of each shard's range.
  const variants = first.variants.length;
  const results: PathResult[] = [];
  for (const s of sorted) {
    const name = names.get(s)!;
    const seen = new Set<number>();
    s.results.forEach((r, i) => {
      const key = r.path * variants + r.variant;
      if (seen.has(key)) shardError('results.path', `${name}: path ${r.path} of variant ${r.variant} appears twice`, i);
      seen.add(key);
      results.push(deserializePathResult(r));
    });
    if (seen.size !== (s.pathTo - s.pathFrom) * variants) {
      shardError('results', `${name}: ${seen.size} results, expected ${(s.pathTo - s.pathFrom) * variants} (every variant of every path)`);
    }
  }
  results.sort(byVariantThenPath);

  return {
    config: first.config,
    configHash: first.configHash,
    variants: first.variants,
    results,
    quoteDecimals: first.quoteDecimals,
    // The run's step count (a replay's comes from its CSV); checkShard checked every result has it.
    steps: run.steps,
    elapsedMs: shards.reduce((a, s) => a + s.elapsedMs, 0),
  };
}
