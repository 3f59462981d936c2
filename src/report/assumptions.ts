/**
 * The report's header: every assumption of the run in words, as a risk committee reads it first (the
 * book, the loss absorbers and their sizes, the liquidation policy, the waterfall, the scenario with
 * its parameters, price impact, funding, the clock, the paths), from the configuration the report
 * records, with the defaults filled in as the run filled them.
 */
import { canonicalJson } from '../simulation/stats.js';
import { CRASH_SCENARIO, DEFAULT_SCENARIO, resolveConfig, variantWaterfall, type ResolvedConfig } from '../simulation/config.js';
import type { ReturnStats, Scenario, SimulationReport, VariantReport } from '../simulation/types.js';
import type { LiquidationPolicy } from '../liquidation/policy.js';
import { allSteps, WATERFALL_PRESETS, type Tranche, type WaterfallConfig } from '../waterfall/config.js';
import { LEVERAGE_CAP, LEVERAGE_MEDIAN } from '../synth.js';
import { atomsOf, formatAtoms } from '../atoms.js';
import { counted, duration, groupedAmount, groupedCount, ppmShort, trancheLabel } from './format.js';

/** The scenario presets the CLI offers by name (`--scenario calm|crash`), recognised by their parameters. */
const SCENARIO_PRESETS: readonly [string, Scenario][] = [['calm', DEFAULT_SCENARIO], ['crash', CRASH_SCENARIO]];

const list = (v: number | readonly number[]) => (typeof v === 'number' ? ppmShort(v) : `per market ${v.map(ppmShort).join(', ')}`);

/** A scenario in words: its kind, the preset it is (when its parameters are a preset's), its parameters. */
export function describeScenario(s: Scenario): string {
  if (s.kind === 'replay') return `Replay of historical prices (${s.csv.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1} steps, one path)`;
  if (s.kind === 'shockGrid') {
    return `SPAN-style shock grid (9 paths): every market moved together by 0, ±1/3, ±2/3 and ±3/3 of a scan range of ${list(s.scanRangePpm)},`
      + ` and by ±${(s.extremeMultiplePpm ?? 2_000_000) / 1e6}x it, spread evenly over the steps`;
  }
  const preset = SCENARIO_PRESETS.find(([, p]) => canonicalJson(p) === canonicalJson(s))?.[0];
  const jumps = (s.jumpProbabilityPpm ?? 0) > 0;
  const correlation = s.correlationPpm === undefined ? '0 %' : typeof s.correlationPpm === 'number' ? ppmShort(s.correlationPpm) : 'a matrix';
  const parts = [`volatility ${list(s.volatilityPpm)} a step`, `drift ${list(s.driftPpm ?? 0)} a step`, `correlation ${correlation}`];
  if (jumps) {
    parts.push(`jumps with probability ${ppmShort(s.jumpProbabilityPpm!)} a step, mean ${ppmShort(s.jumpMeanPpm ?? 0)}, deviation ${ppmShort(s.jumpStdPpm ?? 0)},`
      + ` ${s.jumpsTogether === false ? 'per market' : 'market-wide'}`);
  }
  return `Monte Carlo${jumps ? ' with jumps' : ''} (${preset ? `${preset} preset: ` : ''}${parts.join('; ')})`;
}

/** A liquidation policy in words. */
export function describePolicy(p: LiquidationPolicy): string {
  const parts = [p.close === 'full' ? 'full close' : `partial close restoring ${p.target ?? 'maintenance'} margin${p.bufferPpm ? ` + ${ppmShort(p.bufferPpm)}` : ''}`];
  if (p.maxCloseFractionPpm !== undefined && p.maxCloseFractionPpm < 1_000_000) parts.push(`at most ${ppmShort(p.maxCloseFractionPpm)} of a position a round`);
  if (p.maxNotionalPerRoundQuote !== undefined && String(p.maxNotionalPerRoundQuote) !== '0') parts.push(`at most ${groupedAmount(String(p.maxNotionalPerRoundQuote), 0)} notional per account and round`);
  if (p.liquidationFeePpm) parts.push(`fee ${ppmShort(p.liquidationFeePpm)} of notional, ${ppmShort(p.liquidatorSharePpm ?? 0)} of it to the liquidator`);
  if (p.backstopPpm) parts.push(`accounts below ${ppmShort(p.backstopPpm)} of maintenance go to the backstop`);
  return parts.join(', ');
}

/** One tranche in words, with the parameters that change what it pays. */
export function describeTranche(t: Tranche): string {
  const label = trancheLabel(t.kind);
  const extra: string[] = [];
  if (t.kind === 'insuranceFund') {
    if (t.drawdownPpm) extra.push(`pays nothing below ${ppmShort(1_000_000 - t.drawdownPpm)} of its peak over ${duration(t.drawdownWindowSec ?? 0)}`);
    if (t.floorQuote !== undefined && String(t.floorQuote) !== '0') extra.push(`floor ${groupedAmount(String(t.floorQuote), 0)}`);
    if (t.maxPerDeficitQuote !== undefined) extra.push(`at most ${groupedAmount(String(t.maxPerDeficitQuote), 0)} a deficit`);
    if (t.marketCapQuote !== undefined) extra.push(`at most ${groupedAmount(String(t.marketCapQuote), 0)} a market`);
  }
  if (t.kind === 'adl') return `ADL by ${typeof t.ranking === 'function' ? 'a custom ranking' : `the ${t.ranking} ranking${t.topK ? ` (top ${t.topK})` : ''}`}`;
  if (t.kind === 'haircutGains' && t.scope === 'all') extra.push('all markets');
  if (t.kind === 'assessments') extra.push(`up to ${t.multiplePpm / 1e6}x`);
  if (t.kind === 'operatorCapital') extra.push(`layer ${t.layer}`);
  return extra.length ? `${label} (${extra.join(', ')})` : label;
}

/** A waterfall in words: its steps in order, and its market groups. */
export function describeWaterfall(w: WaterfallConfig, name?: string): string {
  const steps = w.steps.map(describeTranche).join(' → ');
  const groups = w.groups?.length ? `; ${counted(w.groups.length, 'market group')} with waterfalls of their own` : '';
  return `${name ? `${name}: ` : ''}${steps}${groups}`;
}

/** A waterfall given by preset name or configuration. */
export function waterfallOf(w: string | WaterfallConfig): WaterfallConfig {
  return typeof w === 'string' ? (WATERFALL_PRESETS as Record<string, WaterfallConfig>)[w]! : w;
}

/** The run's configuration with the defaults it ran with. */
export const resolvedOf = (r: SimulationReport): ResolvedConfig => resolveConfig(r.config);

/** The waterfall a variant ran with: the run's, with the variant's own waterfall or ADL ranking. */
export function waterfallOfVariant(v: VariantReport, run: ResolvedConfig): WaterfallConfig {
  return variantWaterfall(run.waterfall, v.variant);
}

/**
 * Whether a variant's waterfall has an insurance-fund step, in any group of markets. Without one,
 * "fund exhausted" does not apply (its probability is 0 by definition, not because a fund held):
 * tables show n/a and rank it with no one.
 */
export function hasFundStep(v: VariantReport, run: ResolvedConfig): boolean {
  const w = waterfallOfVariant(v, run);
  return allSteps(w).some((s) => s.kind === 'insuranceFund');
}

/**
 * Runs at least this long show the risk-takers' returns a year (simple, as staking APRs are quoted);
 * shorter ones, over the run: annualizing a 30-minute crash would multiply it by 17,520 and print
 * returns of -700,000 % a year that nobody can read.
 */
export const ANNUALIZE_FROM_SEC = 86_400;

/** How a report shows returns: a year or over the run, and the words and column suffix for it. */
export interface ReturnBasis {
  annual: boolean;
  /** The run's horizon: steps x stepSeconds. */
  horizonSec: number;
  /** "a year, simple" or "over the run (30 min)". */
  words: string;
  /** "/yr" or "/run". */
  suffix: string;
}

export function returnBasis(r: SimulationReport): ReturnBasis {
  const horizonSec = r.steps * resolvedOf(r).stepSeconds;
  return horizonSec >= ANNUALIZE_FROM_SEC
    ? { annual: true, horizonSec, words: 'a year, simple', suffix: '/yr' }
    : { annual: false, horizonSec, words: `over the run (${duration(horizonSec)})`, suffix: '/run' };
}

/** A class's mean return on the report's basis, ppm. */
export const meanReturnPpm = (s: ReturnStats, basis: ReturnBasis): number => (basis.annual ? s.annualizedReturnPpm : s.meanReturnPpm);

/** A scenario's short name: the preset, or its kind. */
function scenarioName(s: Scenario): string {
  if (s.kind === 'replay') return 'Replay of historical prices';
  if (s.kind === 'shockGrid') return 'SPAN-style shock grid';
  const preset = SCENARIO_PRESETS.find(([, p]) => canonicalJson(p) === canonicalJson(s))?.[0];
  const jumps = (s.jumpProbabilityPpm ?? 0) > 0;
  return preset ? `${preset.charAt(0).toUpperCase()}${preset.slice(1)} (Monte Carlo${jumps ? ' with jumps' : ''})` : `Monte Carlo${jumps ? ' with jumps' : ''}`;
}

/** The run in one line, for the top of the page: scenario, paths x steps, the variants. */
export function runLine(r: SimulationReport, run: ResolvedConfig): string {
  const names = r.variants.map((v) => v.name);
  const variants = names.length === 1 ? '1 variant' : `${names.length} variants: ${names.join(', ')}`;
  return `${scenarioName(run.scenario)}; ${counted(r.paths, 'path')} x ${counted(r.steps, 'step')} of ${duration(run.stepSeconds)}`
    + ` (${duration(r.steps * run.stepSeconds)}); ${variants}.`;
}

const kindsOf = (w: WaterfallConfig) => new Set(allSteps(w).map((s) => s.kind));

/**
 * The clearing house's resources, when some waterfall of the run has a step for them: as the venue
 * sets them up (src/simulation/venue.ts `setUpLossAbsorbers`), only when some waterfall of the run
 * has a members' or defaulter's fund step, sized from the run's insurance fund F (a variant's own
 * fund does not change them): 20 clearing members contribute F / 20 each to the default fund,
 * operator capital layer 1 is F / 10 and layer 2 is F / 20 (atoms, rounded down).
 */
function clearingHouse(r: SimulationReport, run: ResolvedConfig): string | undefined {
  const kinds = new Set([run.waterfall, ...r.variants.map((v) => waterfallOfVariant(v, run))].flatMap((w) => [...kindsOf(w)]));
  const members = kinds.has('membersFund') || kinds.has('defaulterFund');
  if (!members && !kinds.has('operatorCapital')) return undefined;
  const fund = atomsOf(run.insuranceFundQuote, r.quoteDecimals, 'insuranceFundQuote');
  if (!members || fund < 20n) return "none: no members' contributions and no operator capital (they are set up only with a members' or defaulter's fund step and a fund of at least 20 atoms)";
  const a = (x: bigint) => groupedAmount(formatAtoms(x, r.quoteDecimals));
  return `sized from the run's insurance fund (${a(fund)}): 20 clearing members contribute ${a(fund / 20n)} each to the default fund (${a((fund / 20n) * 20n)} in all;`
    + ` a defaulter's contribution is its own share of it), operator capital layer 1 ${a(fund / 10n)} (a tenth of the fund) and layer 2 ${a(fund / 20n)} (a twentieth);`
    + ' counted and drawn on only by the waterfalls with a step for them';
}

/** What the prefunded resources of a variant are, and why they differ a little from the configured sizes. */
export const PREFUNDED_TEXT = 'at the paths\' start, after the book was settled: accounts that start below maintenance are liquidated first, their fees paid into the fund'
  + ' and their deficits covered by the waterfall, so the fund starts a little above or below its configured size; only the resources the variant\'s waterfall has a step for count'
  + ' (the insurance fund, the vault\'s NAV, the members\' contributions and the operator\'s capital)';

/** The assumptions as (label, text) pairs, in the order a reader needs them. */
export function assumptions(r: SimulationReport, run: ResolvedConfig): [string, string][] {
  const c = r.config;
  const b = run.book;
  const book = 'module' in b ? `a book of your own, built by ${b.module}`
    : `synthetic: ${groupedCount(b.accounts)} accounts over ${groupedCount(b.markets)} markets, ${b.positionsPerAccount} positions per account,`
      + ` ${ppmShort(b.isolatedPpm)} of accounts with an isolated position; account leverage log-normal (median ${LEVERAGE_MEDIAN}x, at most ${LEVERAGE_CAP}x); book seed ${b.seed}`;
  const policy = typeof c.policy === 'object' ? `custom: ${describePolicy(run.policy)}` : `${c.policy ?? 'buffered'}${c.policy === undefined ? ' (default)' : ''}: ${describePolicy(run.policy)}`;
  const waterfallName = typeof c.waterfall === 'object' ? 'custom' : `${c.waterfall ?? 'exchange'}${c.waterfall === undefined ? ' (default)' : ''}`;
  const i = run.impact;
  const funding = typeof run.fundingRatePpm === 'number' ? ppmShort(run.fundingRatePpm) : `per market ${run.fundingRatePpm.map(ppmShort).join(', ')}`;
  const e = c.economics;
  const clearing = clearingHouse(r, run);
  const sweepsWaterfall = r.variants.some((v) => v.variant.waterfall !== undefined || v.variant.adlRanking !== undefined);
  const items: [string, string][] = [
    ['Scenario', describeScenario(run.scenario) + (c.scenario === undefined ? ' (the default)' : '')],
    ['Book', book],
    ['Insurance fund', `${groupedAmount(run.insuranceFundQuote, 0)} quote units at the start`],
    ['Backstop vault', `${groupedAmount(run.vaultQuote, 0)} quote units (when the waterfall has a vault step)`],
    ['Liquidation policy', policy],
    ['Waterfall', describeWaterfall(run.waterfall, waterfallName) + (sweepsWaterfall ? ' (the base configuration\'s; the variants\' waterfalls follow)' : '')],
    // A sweep of waterfalls or ADL rankings: every variant's waterfall in words, as it ran.
    ...(sweepsWaterfall ? r.variants.map((v): [string, string] => [`Variant: ${v.name}`, describeWaterfall(waterfallOfVariant(v, run))]) : []),
    ...(clearing ? [['Clearing house', clearing] as [string, string]] : []),
    ['Prefunded resources', PREFUNDED_TEXT],
    ['Price impact', `a close executes worse than the mark by ${ppmShort(i.slopePpm)} per unit of (notional closed this step / depth), depth ${ppmShort(i.depthPpmOfOpenInterest)} of open interest, at most ${ppmShort(i.maxPpm)}; ${ppmShort(i.permanentPpm)} of it stays in the price`],
    ['Funding rate', `${funding} of the mark a step (positive: longs pay shorts)`],
    ['Steps', `${r.steps} steps of ${duration(run.stepSeconds)} (${duration(r.steps * run.stepSeconds)} in all)`],
    ['Paths', `${groupedCount(r.paths)}, seed ${run.seed}${c.seed === undefined ? ' (default)' : ''}`],
  ];
  if (e && (e.fees || e.turnoverPpm || e.withdrawals || e.stakedPpm)) {
    const parts: string[] = [];
    if (e.fees) parts.push(`fees maker ${ppmShort(e.fees.makerPpm)}, taker ${ppmShort(e.fees.takerPpm)}`);
    if (e.turnoverPpm) parts.push(`volume ${ppmShort(e.turnoverPpm)} of open interest a step`);
    if (e.stakedPpm) parts.push(`stakers own ${ppmShort(e.stakedPpm)} of the funds`);
    if (e.withdrawals) parts.push(`winners' withdrawal run every ${run.economics.withdrawals!.everySteps} steps`);
    items.push(['Economics', parts.join('; ')]);
  }
  items.push(['Variants', `${r.variants.length}: each changes only what its name says`], ['Configuration hash', r.configHash]);
  return items;
}
