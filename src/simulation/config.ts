/**
 * A simulation's configuration with its defaults filled in and validated, and the sweep expanded
 * into variants. Errors are InputError(InvalidScenario) naming the field (and the row of a list),
 * thrown before anything is built: the shape of every field in ./validate.ts, and for the synthetic
 * book (whose market count the configuration gives) the per-market lists' lengths (checkMarketLists).
 */
import { inputError } from '../errors.js';
import { DEFAULT_BOOK } from '../synth.js';
import { WATERFALL_PRESETS, type WaterfallConfig } from '../waterfall/config.js';
import type { LiquidationPolicy } from '../liquidation/policy.js';
import { DEMO_POLICIES } from './venue.js';
import { checkConfig, checkSweep, checkWaterfall } from './validate.js';
import { ownEntry } from './shape.js';
import { parseReplayCsv } from './scenarios.js';
import type { BookModule, ImpactModel, Scenario, SimulationConfig, SimulationEconomics, SimulationWithdrawals, SweepVariant } from './types.js';
import type { RevenueSplit } from '../economics/revenue.js';
import type { WithdrawalCapacityConfig } from '../economics/capacity.js';

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
  economics: ResolvedEconomics;
}

/** The economics with their defaults (`fees`, `split`, `staking` and `stakers` stay absent when not given: the engine's own apply). */
export type ResolvedEconomics = Required<Omit<SimulationEconomics, 'fees' | 'split' | 'staking' | 'withdrawals' | 'stakers'>> & Pick<SimulationEconomics, 'fees' | 'split' | 'staking' | 'stakers'>
  & { withdrawals?: ResolvedWithdrawals };

/**
 * The withdrawal run with its defaults (present only when the configuration has
 * `economics.withdrawals`); the rules and the capacity stay absent when not given: the engine's apply.
 */
export type ResolvedWithdrawals = Required<Pick<SimulationWithdrawals, 'everySteps' | 'probabilityPpm' | 'bankRunPpm'>>
  & Pick<SimulationWithdrawals, 'realizable' | 'transferFloorPpm' | 'capacity'>;

/** Winners act every 10 steps, 0.1 % of accounts in calm, up to 50 % more when the funds are fully drawn. */
export const DEFAULT_WITHDRAWALS: Required<Pick<SimulationWithdrawals, 'everySteps' | 'probabilityPpm' | 'bankRunPpm'>> = {
  everySteps: 10, probabilityPpm: 1_000, bankRunPpm: 500_000,
};

/** Volume three times the usual on a step with liquidations; revenue through the split every 60 steps; no funding skim. */
export const DEFAULT_ECONOMICS: ResolvedEconomics = { turnoverPpm: 0, crashMultiplierPpm: 3_000_000, revenueEverySteps: 60, stakedPpm: 0, fundingSkimPpm: 0 };

function bad(field: string, detail: string, row = -1): never {
  throw inputError('InvalidScenario', field, row, detail);
}

/** A preset's configuration, or the configuration given (both checked by checkConfig / checkSweep). */
function waterfallOf(value: string | WaterfallConfig): WaterfallConfig {
  return typeof value === 'string' ? ownEntry(WATERFALL_PRESETS as Record<string, WaterfallConfig>, value)! : value;
}

/** Fills in the defaults and validates; the result is plain JSON (it is sent to workers). */
export function resolveConfig(config: SimulationConfig = {}): ResolvedConfig {
  checkConfig(config);
  const book = config.book !== undefined && 'module' in config.book ? { module: config.book.module } : { ...DEFAULT_BOOK, ...(config.book ?? {}) };
  const scenario = config.scenario ?? DEFAULT_SCENARIO;
  const fundingRatePpm = config.fundingRatePpm ?? 1;
  const steps = config.steps ?? 100;
  return {
    book, scenario, paths: pathCount(scenario, config.paths ?? 100), steps: scenario.kind === 'replay' ? replaySteps(scenario.csv) : steps,
    seed: config.seed ?? 1, stepSeconds: config.stepSeconds ?? 60, fundingRatePpm, impact: { ...DEFAULT_IMPACT, ...(config.impact ?? {}) },
    maxRoundsPerStep: config.maxRoundsPerStep ?? 4,
    policy: typeof config.policy === 'object' ? config.policy : ownEntry(DEMO_POLICIES, config.policy ?? 'buffered')!,
    waterfall: waterfallOf(config.waterfall ?? 'exchange'),
    insuranceFundQuote: config.insuranceFundQuote ?? '20000000', vaultQuote: config.vaultQuote ?? '20000000', skip: config.skip ?? true,
    economics: resolveEconomics(config.economics),
  };
}

function resolveEconomics(e: SimulationEconomics = {}): ResolvedEconomics {
  const { withdrawals, ...rest } = e;
  return { ...DEFAULT_ECONOMICS, ...rest, ...(withdrawals !== undefined ? { withdrawals: { ...DEFAULT_WITHDRAWALS, ...withdrawals } } : {}) };
}

/**
 * For a run that builds the synthetic book (`simulate`, `Simulator.create`; not `fromEngine`, whose
 * book is the caller's), the per-market lists against its market count before it is built: one
 * value per market (row: the list's length), and a correlation matrix of markets x markets (row: the
 * first row at fault) over at most 1,024 markets. A module's book is checked once built.
 */
export function checkMarketLists(config: ResolvedConfig): void {
  if ('module' in config.book) return;
  const { book: { markets }, scenario, fundingRatePpm } = config;
  const lists: [string, unknown][] = [['fundingRatePpm', fundingRatePpm]];
  if (scenario.kind === 'monteCarlo') lists.push(['volatilityPpm', scenario.volatilityPpm], ['driftPpm', scenario.driftPpm]);
  if (scenario.kind === 'shockGrid') lists.push(['scanRangePpm', scenario.scanRangePpm]);
  for (const [field, value] of lists) {
    if (Array.isArray(value) && value.length !== markets) bad(field, `one value per market: ${markets} expected, got ${value.length}`, value.length);
  }
  if (scenario.kind !== 'monteCarlo' || scenario.correlationPpm === undefined || scenario.correlationPpm === 0) return;
  if (markets > 1024) bad('correlationPpm', `correlated returns over at most 1,024 markets (the book has ${markets})`);
  const matrix = scenario.correlationPpm;
  if (typeof matrix === 'number') return;
  if (matrix.length !== markets) bad('correlationPpm', `a ${markets} x ${markets} matrix`, Math.min(matrix.length, markets - 1));
  matrix.forEach((row, i) => { if (row.length !== markets) bad('correlationPpm', `a ${markets} x ${markets} matrix`, i); });
}

/** Monte Carlo runs `paths` paths; the shock grid has 9; a replay is one. */
function pathCount(s: Scenario, paths: number): number {
  return s.kind === 'monteCarlo' ? paths : s.kind === 'shockGrid' ? 9 : 1;
}

/**
 * Data rows of a replay CSV (the header excluded, blank lines ignored), its shape checked on the way
 * (header, cells, numbers: parseReplayCsv), so that a bad file is refused before any book is built;
 * its market ids and price ranges are checked against the book (replayPath). Here rather than in
 * checkConfig, whose rules are the JSON Schema's (a string of CSV is beyond what a schema checks).
 */
function replaySteps(csv: string): number {
  return parseReplayCsv(csv).rows.length;
}

/** The sweep's variants: the cartesian product of its lists (the base configuration alone without a sweep). */
export function expandSweep(config: SimulationConfig = {}): { name: string; variant: SweepVariant }[] {
  if (config.sweep !== undefined) checkSweep(config.sweep);
  const sweep = config.sweep ?? {};
  const axes: [keyof SweepVariant, readonly unknown[]][] = [];
  if (sweep.insuranceFundQuote?.length) axes.push(['insuranceFundQuote', sweep.insuranceFundQuote]);
  if (sweep.marginScalePpm?.length) axes.push(['marginScalePpm', sweep.marginScalePpm]);
  if (sweep.adlRanking?.length) axes.push(['adlRanking', sweep.adlRanking]);
  if (sweep.waterfall?.length) axes.push(['waterfall', sweep.waterfall]);
  if (sweep.revenueSplit?.length) axes.push(['revenueSplit', sweep.revenueSplit]);
  if (sweep.stakingMaxAprPpm?.length) axes.push(['stakingMaxAprPpm', sweep.stakingMaxAprPpm]);
  if (sweep.stakingCooldownSec?.length) axes.push(['stakingCooldownSec', sweep.stakingCooldownSec]);
  if (sweep.realizable?.length) axes.push(['realizable', sweep.realizable]);
  if (sweep.withdrawalCapacity?.length) axes.push(['withdrawalCapacity', sweep.withdrawalCapacity]);
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
  if (v.revenueSplit !== undefined) parts.push(`split ${splitName(v.revenueSplit)}`);
  if (v.stakingMaxAprPpm !== undefined) parts.push(`APR cap ${v.stakingMaxAprPpm / 10_000} %`);
  if (v.stakingCooldownSec !== undefined) parts.push(`cooldown ${duration(v.stakingCooldownSec)}`);
  if (v.realizable !== undefined) parts.push(`realizable ${v.realizable}`);
  if (v.withdrawalCapacity !== undefined) parts.push(`capacity ${capacityName(v.withdrawalCapacity)}`);
  return parts.length ? parts.join(', ') : 'base';
}

/**
 * A capacity's short name: "unlimited" (null, or a period of 0), else its share of total value and
 * its minimum over its period ("1 % / 1h", "1 % min 5000 / 1h"), with a gate and the loss charge
 * when set ("..., gate 10m, loss charge").
 */
export function capacityName(c: WithdrawalCapacityConfig | null): string {
  if (c === null || c.periodSec === 0) return 'unlimited';
  const min = c.minQuote !== undefined && c.minQuote !== 0 && c.minQuote !== 0n && c.minQuote !== '0' ? `min ${String(c.minQuote)}` : '';
  const share = `${(c.ppmOfTotal ?? 0) / 10_000} %`;
  const parts = [`${[share, min].filter(Boolean).join(' ')} / ${duration(c.periodSec)}`];
  if (c.gateSec) parts.push(`gate ${duration(c.gateSec)}`);
  if (c.lossCharge) parts.push('loss charge');
  return parts.join(', ');
}

/** Seconds as the largest whole unit: 86400 -> "1d", 3600 -> "1h", 90 -> "90s". */
function duration(sec: number): string {
  for (const [unit, n] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) if (sec % n === 0) return `${sec / n}${unit}`;
  return `${sec}s`;
}

/** A split's short name: each row's non-zero shares in percent ("fees fund 50/stakers 50"). */
function splitName(split: RevenueSplit): string {
  const short: Record<string, string> = { insuranceFund: 'fund', backstopVault: 'vault', stakers: 'stakers', treasury: 'treasury', pnlPool: 'pnl' };
  const sourceName: Record<string, string> = { tradingFees: 'fees', liquidationFees: 'liq', fundingSkim: 'skim' };
  return Object.entries(split).map(([source, row]) => `${sourceName[source] ?? source} ${Object.entries(row ?? {})
    .filter(([, ppm]) => ppm !== 0).map(([d, ppm]) => `${short[d] ?? d} ${(ppm as number) / 10_000}`).join('/')}`).join(', ');
}

/** The variant's waterfall: its own, or the base one with its ADL steps re-ranked. */
export function variantWaterfall(base: WaterfallConfig, v: SweepVariant): WaterfallConfig {
  if (v.waterfall !== undefined) checkWaterfall(v.waterfall, 'sweep.waterfall');
  let w = v.waterfall !== undefined ? waterfallOf(v.waterfall) : base;
  if (v.adlRanking !== undefined) {
    const rank = (steps: WaterfallConfig['steps']): WaterfallConfig['steps'] => steps.map((s) => (s.kind === 'adl' ? { ...s, ranking: v.adlRanking! } : s));
    w = { ...w, steps: rank(w.steps), ...(w.groups ? { groups: w.groups.map((g) => ({ ...g, steps: rank(g.steps) })) } : {}) };
  }
  return w;
}
