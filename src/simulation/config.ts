/**
 * A simulation's configuration with its defaults filled in and validated, and the sweep expanded
 * into variants. Errors are InputError(InvalidScenario) naming the field (and the row of a list),
 * thrown before anything is built.
 */
import { inputError } from '../errors.js';
import { DEFAULT_BOOK } from '../synth.js';
import { WATERFALL_PRESETS, type AdlRankingName, type WaterfallConfig } from '../waterfall.js';
import type { LiquidationPolicy } from '../liquidation.js';
import { DEMO_POLICIES } from './venue.js';
import type { BookModule, ImpactModel, Scenario, SimulationConfig, SweepVariant } from './types.js';

/**
 * The default scenario, calm: one-minute steps (the default `stepSeconds`), 0.08 % volatility per
 * step (about 3 % a day), markets 60 % correlated, and a small chance (0.1 % per step) of a
 * market-wide jump of about -2 %.
 */
export const DEFAULT_SCENARIO: Scenario = {
  kind: 'monteCarlo', volatilityPpm: 800, driftPpm: 0, correlationPpm: 600_000,
  jumpProbabilityPpm: 1_000, jumpMeanPpm: -20_000, jumpStdPpm: 10_000, jumpsTogether: true,
};

/** A crash: 0.3 % volatility per minute drifting down, and a 5 % chance per step of a market-wide jump of about -3 %. */
export const CRASH_SCENARIO: Scenario = {
  kind: 'monteCarlo', volatilityPpm: 3_000, driftPpm: -500, correlationPpm: 800_000,
  jumpProbabilityPpm: 50_000, jumpMeanPpm: -30_000, jumpStdPpm: 15_000, jumpsTogether: true,
};

/** Closing 5 % of a market's open interest in one step moves its price 2 %; a quarter of that stays. */
export const DEFAULT_IMPACT: Required<ImpactModel> = { depthPpmOfOpenInterest: 50_000, slopePpm: 20_000, permanentPpm: 250_000, maxPpm: 100_000 };

export interface ResolvedConfig {
  book: typeof DEFAULT_BOOK | BookModule;
  scenario: Scenario;
  paths: number;
  steps: number;
  seed: number;
  stepSeconds: number;
  fundingRatePpm: number | readonly number[];
  impact: Required<ImpactModel>;
  maxRoundsPerStep: number;
  policy: LiquidationPolicy;
  waterfall: WaterfallConfig;
  insuranceFundQuote: string;
  vaultQuote: string;
  skip: boolean;
}

const ADL_RANKINGS: readonly AdlRankingName[] = ['pnl', 'bitmex', 'binance', 'hyperliquid'];

function bad(field: string, detail: string, row = -1): never {
  throw inputError('InvalidScenario', field, row, detail);
}

function int(value: unknown, field: string, min: number, max: number, row = -1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) bad(field, `${String(value)} is not an integer in ${min}..${max}`, row);
  return value;
}

function ppmList(value: number | readonly number[], field: string, min: number, max: number): void {
  if (typeof value === 'number') int(value, field, min, max);
  else if (Array.isArray(value)) value.forEach((v, i) => int(v, field, min, max, i));
  else bad(field, 'a number or an array of numbers');
}

function amount(value: unknown, field: string, row = -1): string {
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value)) bad(field, `${String(value)} is not a decimal string of quote units`, row);
  return value;
}

function waterfallOf(value: unknown, field: string, row = -1): WaterfallConfig {
  if (typeof value === 'string') {
    const w = (WATERFALL_PRESETS as Record<string, WaterfallConfig>)[value];
    if (!w) bad(field, `unknown waterfall "${value}" (one of ${Object.keys(WATERFALL_PRESETS).join(', ')})`, row);
    return w;
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as WaterfallConfig).steps)) bad(field, 'a preset name or a waterfall configuration', row);
  for (const s of (value as WaterfallConfig).steps) {
    if (s.kind === 'adl' && typeof s.ranking === 'function') bad(field, 'a ranking function cannot be sent to workers: use a named ranking', row);
  }
  return value as WaterfallConfig;
}

function validateScenario(s: Scenario): void {
  switch (s.kind) {
    case 'monteCarlo':
      ppmList(s.volatilityPpm, 'volatilityPpm', 0, 1_000_000);
      if (s.driftPpm !== undefined) ppmList(s.driftPpm, 'driftPpm', -1_000_000, 1_000_000);
      if (typeof s.correlationPpm === 'number') int(s.correlationPpm, 'correlationPpm', 0, 999_999);
      else if (s.correlationPpm !== undefined && !Array.isArray(s.correlationPpm)) bad('correlationPpm', 'a number or a matrix');
      int(s.jumpProbabilityPpm ?? 0, 'jumpProbabilityPpm', 0, 1_000_000);
      int(s.jumpMeanPpm ?? 0, 'jumpMeanPpm', -1_000_000, 1_000_000);
      int(s.jumpStdPpm ?? 0, 'jumpStdPpm', 0, 1_000_000);
      return;
    case 'shockGrid':
      ppmList(s.scanRangePpm, 'scanRangePpm', 0, 1_000_000);
      int(s.extremeMultiplePpm ?? 2_000_000, 'extremeMultiplePpm', 0, 10_000_000);
      return;
    case 'replay':
      if (typeof s.csv !== 'string' || s.csv.length === 0) bad('csv', 'the CSV text');
      return;
    default:
      bad('scenario', `unknown kind "${String((s as { kind?: unknown }).kind)}" (monteCarlo, shockGrid, replay)`);
  }
}

/** Fills in the defaults and validates; the result is plain JSON (it is sent to workers). */
export function resolveConfig(config: SimulationConfig = {}): ResolvedConfig {
  const book = bookOf(config.book);
  const scenario = config.scenario ?? DEFAULT_SCENARIO;
  validateScenario(scenario);
  const steps = int(config.steps ?? 100, 'steps', 1, 100_000);
  const paths = int(config.paths ?? 100, 'paths', 1, 100_000_000);
  const seed = int(config.seed ?? 1, 'seed', 0, 2 ** 53 - 1);
  const stepSeconds = int(config.stepSeconds ?? 60, 'stepSeconds', 1, 10 ** 9);
  const fundingRatePpm = config.fundingRatePpm ?? 1;
  ppmList(fundingRatePpm, 'fundingRatePpm', -1_000_000, 1_000_000);
  const impact = { ...DEFAULT_IMPACT, ...(config.impact ?? {}) };
  int(impact.depthPpmOfOpenInterest, 'impact.depthPpmOfOpenInterest', 1, 10 ** 12);
  int(impact.slopePpm, 'impact.slopePpm', 0, 10 ** 12);
  int(impact.permanentPpm, 'impact.permanentPpm', 0, 1_000_000);
  int(impact.maxPpm, 'impact.maxPpm', 0, 999_999);
  const maxRoundsPerStep = int(config.maxRoundsPerStep ?? 4, 'maxRoundsPerStep', 1, 64);
  let policy: LiquidationPolicy;
  if (typeof config.policy === 'string' || config.policy === undefined) {
    const p = DEMO_POLICIES[config.policy ?? 'buffered'];
    if (!p) bad('policy', `unknown policy "${String(config.policy)}" (one of ${Object.keys(DEMO_POLICIES).join(', ')})`);
    policy = p;
  } else policy = config.policy;
  const waterfall = waterfallOf(config.waterfall ?? 'exchange', 'waterfall');
  const insuranceFundQuote = amount(config.insuranceFundQuote ?? '20000000', 'insuranceFundQuote');
  const vaultQuote = amount(config.vaultQuote ?? '20000000', 'vaultQuote');
  return {
    book, scenario, paths: pathCount(scenario, paths), steps: scenario.kind === 'replay' ? replaySteps(scenario.csv) : steps,
    seed, stepSeconds, fundingRatePpm, impact, maxRoundsPerStep, policy, waterfall, insuranceFundQuote, vaultQuote, skip: config.skip ?? true,
  };
}

function bookOf(book: SimulationConfig['book']): ResolvedConfig['book'] {
  if (book !== undefined && 'module' in book) {
    if (typeof book.module !== 'string' || !/^(file|https?):/.test(book.module)) bad('book.module', `${String(book.module)} is not an absolute file:, http: or https: URL`);
    return { module: book.module };
  }
  const shape = { ...DEFAULT_BOOK, ...(book ?? {}) };
  int(shape.accounts, 'book.accounts', 1, 50_000_000);
  int(shape.markets, 'book.markets', 1, 65_535);
  return shape;
}

/** Monte Carlo runs `paths` paths; the shock grid has 9; a replay is one. */
function pathCount(s: Scenario, paths: number): number {
  return s.kind === 'monteCarlo' ? paths : s.kind === 'shockGrid' ? 9 : 1;
}

/** Data rows of a replay CSV (the header excluded, blank lines ignored). */
function replaySteps(csv: string): number {
  const rows = csv.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1;
  if (rows < 1) bad('csv', 'a header and at least one row of prices');
  return rows;
}

/** The sweep's variants: the cartesian product of its lists (the base configuration alone without a sweep). */
export function expandSweep(config: SimulationConfig): { name: string; variant: SweepVariant }[] {
  const sweep = config.sweep ?? {};
  const axes: [keyof SweepVariant, readonly unknown[]][] = [];
  if (sweep.insuranceFundQuote?.length) { sweep.insuranceFundQuote.forEach((v, i) => amount(v, 'sweep.insuranceFundQuote', i)); axes.push(['insuranceFundQuote', sweep.insuranceFundQuote]); }
  if (sweep.marginScalePpm?.length) { sweep.marginScalePpm.forEach((v, i) => int(v, 'sweep.marginScalePpm', 1, 10_000_000, i)); axes.push(['marginScalePpm', sweep.marginScalePpm]); }
  if (sweep.adlRanking?.length) {
    sweep.adlRanking.forEach((v, i) => { if (!ADL_RANKINGS.includes(v)) bad('sweep.adlRanking', `unknown ranking "${String(v)}"`, i); });
    axes.push(['adlRanking', sweep.adlRanking]);
  }
  if (sweep.waterfall?.length) { sweep.waterfall.forEach((v, i) => waterfallOf(v, 'sweep.waterfall', i)); axes.push(['waterfall', sweep.waterfall]); }
  let variants: SweepVariant[] = [{}];
  for (const [key, values] of axes) variants = variants.flatMap((v) => values.map((x) => ({ ...v, [key]: x })));
  return variants.map((variant) => ({ name: variantName(variant), variant }));
}

function variantName(v: SweepVariant): string {
  const parts: string[] = [];
  if (v.insuranceFundQuote !== undefined) parts.push(`fund ${v.insuranceFundQuote}`);
  if (v.marginScalePpm !== undefined) parts.push(`margin x${(v.marginScalePpm / 1e6).toString()}`);
  if (v.adlRanking !== undefined) parts.push(`ADL ${v.adlRanking}`);
  if (v.waterfall !== undefined) parts.push(`waterfall ${typeof v.waterfall === 'string' ? v.waterfall : 'custom'}`);
  return parts.length ? parts.join(', ') : 'base';
}

/** The variant's waterfall: its own, or the base one with its ADL steps re-ranked. */
export function variantWaterfall(base: WaterfallConfig, v: SweepVariant): WaterfallConfig {
  let w = v.waterfall !== undefined ? waterfallOf(v.waterfall, 'sweep.waterfall') : base;
  if (v.adlRanking !== undefined) {
    const rank = (steps: WaterfallConfig['steps']): WaterfallConfig['steps'] => steps.map((s) => (s.kind === 'adl' ? { ...s, ranking: v.adlRanking! } : s));
    w = { ...w, steps: rank(w.steps), ...(w.groups ? { groups: w.groups.map((g) => ({ ...g, steps: rank(g.steps) })) } : {}) };
  }
  return w;
}
