/**
 * Types of a stress simulation: its configuration, what one path measures, and the report.
 *
 * A simulation runs `paths` price paths of `steps` steps each over one book. Each step moves the
 * marks, accrues funding, checks margin, runs the liquidation cascade (with price impact) and the
 * loss waterfall, all inside the core. Every amount is an exact integer of quote atoms; the report
 * writes them as decimal strings in quote units (bigint-free JSON that keeps every digit).
 */
import type { LiquidationPolicy } from '../liquidation/policy.js';
import type { AdlRankingName, WaterfallConfig } from '../waterfall/config.js';
import type { BookShape } from '../synth.js';
import type { RevenueSplit } from '../economics/revenue.js';
import type { StakingConfig } from '../economics/staking.js';
import type { RealizableRule } from '../economics/withdrawals.js';
import type { WithdrawalCapacityConfig } from '../economics/capacity.js';

/**
 * Monte Carlo: geometric Brownian motion with jumps, per market and step,
 *   log(p[t+1] / p[t]) = drift - vol^2 / 2 + vol * z + (a jump with probability jumpProbability: jumpMean + jumpStd * n)
 * with z the correlated normals L * e (L the Cholesky factor of the correlation matrix) and e, n
 * independent standard normals, all drawn from the core's seeded generator (xoshiro256**): a seed
 * gives the same paths in Node and in browsers. Fractions are ppm per step.
 */
export interface MonteCarloScenario {
  kind: 'monteCarlo';
  /** Standard deviation of one step's log return, ppm; one number for every market or one per market. */
  volatilityPpm: number | readonly number[];
  /** Mean log return per step before the -vol^2/2 correction, ppm (default 0). */
  driftPpm?: number | readonly number[];
  /** Correlation between every pair of markets, ppm (default 0), or a full matrix of ppm (symmetric, unit diagonal). */
  correlationPpm?: number | readonly (readonly number[])[];
  /** Probability of a jump per market and step, ppm (default 0). Jumps are common to all markets when `jumpsTogether`. */
  jumpProbabilityPpm?: number;
  jumpMeanPpm?: number;
  jumpStdPpm?: number;
  /** One jump draw per step for every market (a market-wide crash) instead of one per market (default true). */
  jumpsTogether?: boolean;
}

/**
 * The SPAN-style shock grid: for each market, the price moved by 0, +-1/3, +-2/3 and +-3/3 of the
 * scan range, and the two extreme moves (+-extremeMultiple x the scan range): 9 paths, all markets
 * moving together, the move spread evenly over the steps. (SPAN's volatility legs matter for options
 * only, so the 14 ordinary scenarios collapse to 7 price moves for futures.)
 */
export interface ShockGridScenario {
  kind: 'shockGrid';
  /** Price scan range, ppm of the mark: one for all markets or one per market. */
  scanRangePpm: number | readonly number[];
  /** Extreme moves as a multiple of the scan range, ppm (default 2,000,000 = 2x). */
  extremeMultiplePpm?: number;
}

/**
 * Replay of historical prices: a CSV whose header names the markets (`step,0,1,...` market ids, or
 * any first column followed by one column per market id), one row per step, prices in quote units
 * (decimal strings). Markets without a column keep their mark. One path.
 */
export interface ReplayScenario {
  kind: 'replay';
  csv: string;
}

export type Scenario = MonteCarloScenario | ShockGridScenario | ReplayScenario;

/**
 * Price impact of liquidation closes: a close executes worse than the mark by
 *   impactPpm = min(maxPpm, slopePpm * (closed notional this step in the market, this close included) / depth)
 * with depth = depthPpmOfOpenInterest of the market's open interest (the larger side, at the start),
 * rounded against the liquidated account; after each round the market's level moves by permanentPpm of
 * the round's net impact, so cascades can feed on themselves.
 */
export interface ImpactModel {
  depthPpmOfOpenInterest?: number;
  slopePpm?: number;
  permanentPpm?: number;
  maxPpm?: number;
}

/**
 * The other side of the venue (docs/SIMULATION.md, "Revenue and risk-takers"): trading volume and its
 * fees, the revenue split, and who owns the insurance funds.
 */
export interface SimulationEconomics {
  /** Every market's trading fees, ppm of notional (default: the markets keep theirs, none on the synthetic book). */
  fees?: { makerPpm: number; takerPpm: number };
  /** Volume per step, ppm of each market's open-interest notional (default 0: no trading). */
  turnoverPpm?: number;
  /** The volume of a step with liquidations, ppm of the usual (default 3,000,000: three times). */
  crashMultiplierPpm?: number;
  /** The fee pools go through the split every this many steps (default 60; 0: never). */
  revenueEverySteps?: number;
  /** The revenue split (default: everything to the insurance fund). */
  split?: RevenueSplit;
  /** The stakers' share of each insurance fund at the start of a path, ppm (default 0: the engine's own stakes). */
  stakedPpm?: number;
  /**
   * The funding skim, ppm of the receivers' move kept as revenue (0..10^6, default 0: funding moves both
   * indices alike); the skim pools go through the split's `fundingSkim` row with the fee pools.
   */
  fundingSkimPpm?: number;
  /**
   * Stakers with records of their own, who may leave in a withdrawal run (not with `stakedPpm`): on a
   * built book, `accounts` accounts of it stake `sharePpm` of the global insurance fund between them
   * before the paths (the treasury owns the rest).
   */
  stakers?: SimulationStakers;
  /** Staking parameters (settle period, APR cap, stakers' factor, settle fraction, cooldown); absent keys keep the engine's. */
  staking?: Partial<StakingConfig>;
  /** The winners' withdrawal run (docs/SIMULATION.md, "Winners' withdrawals"); absent: no run. */
  withdrawals?: SimulationWithdrawals;
}

/** The engine's own stakers a built book starts with (`economics.stakers`). */
export interface SimulationStakers {
  /** How many accounts stake (1..4,096): the first of the book, in id order, with free collateral for twice their stake. */
  accounts: number;
  /** Their share of the global insurance fund, ppm (1..1,000,000), split evenly between them (the first takes the remainder). */
  sharePpm: number;
}

/**
 * The winners' withdrawal run: every `everySteps` steps accounts whose turn came withdraw their
 * gains through the engine's withdrawal rules and capacity, more of them as the funds drain.
 */
export interface SimulationWithdrawals {
  /** Winners act, and the queue is served, every this many steps (default 10). */
  everySteps?: number;
  /** An account's chance to act on such a step in calm, ppm (default 1,000: 0.1 %). */
  probabilityPpm?: number;
  /** Added to that chance when the funds are fully drawn, in proportion to the drawdown, ppm (default 500,000). */
  bankRunPpm?: number;
  /** The withdrawal rules' realizable PnL (`setWithdrawalRules`; default: the engine's). */
  realizable?: RealizableRule;
  /** The withdrawal rules' transfer floor, ppm of the cross notional (default: the engine's). */
  transferFloorPpm?: number;
  /** The venue's withdrawal capacity (`setWithdrawalCapacity`; null: unlimited; default: the engine's). */
  capacity?: WithdrawalCapacityConfig | null;
}

/** One variant of a sweep: what differs from the base configuration. */
export interface SweepVariant {
  insuranceFundQuote?: string;
  /** Every market's initial and maintenance fractions (and tiers) scaled by this, ppm (1,000,000 = as is). */
  marginScalePpm?: number;
  adlRanking?: AdlRankingName;
  /** A waterfall preset name (socialization policy), or a configuration. */
  waterfall?: string | WaterfallConfig;
  /** The revenue split of the variant. */
  revenueSplit?: RevenueSplit;
  /** The stakers' APR cap of the variant, ppm. */
  stakingMaxAprPpm?: number;
  /** The stakers' unstake cooldown of the variant, seconds. */
  stakingCooldownSec?: number;
  /** The withdrawal rules' realizable PnL of the variant (over `economics.withdrawals`). */
  realizable?: RealizableRule;
  /** The withdrawal capacity of the variant (null: unlimited; over `economics.withdrawals`). */
  withdrawalCapacity?: WithdrawalCapacityConfig | null;
}

/** A grid: the cartesian product of the lists given, every variant run on the same paths. */
export interface Sweep {
  insuranceFundQuote?: readonly string[];
  marginScalePpm?: readonly number[];
  adlRanking?: readonly AdlRankingName[];
  waterfall?: readonly string[];
  revenueSplit?: readonly RevenueSplit[];
  stakingMaxAprPpm?: readonly number[];
  /** Unstake cooldowns, seconds (the engine's own stakers leave in a withdrawal run: `economics.stakers`). */
  stakingCooldownSec?: readonly number[];
  /** Realizable rules (needs `economics.withdrawals`). */
  realizable?: readonly RealizableRule[];
  /** Withdrawal capacities, null for unlimited (needs `economics.withdrawals`). */
  withdrawalCapacity?: readonly (WithdrawalCapacityConfig | null)[];
}

/**
 * A book of your own, for every worker to build: an ES module, by absolute URL (`file:` or `https:`),
 * exporting `capacity` (the `RiskEngine.create` options: maxAccounts, maxPositions, ...) and
 * `build(engine)` (may be async) that adds the markets, accounts and positions. The venue (fund,
 * vault, members) is then set up from the configuration as for the synthetic book.
 */
export interface BookModule {
  module: string;
}

export interface SimulationConfig {
  /**
   * The address of the configuration's JSON Schema (riskcore/config.schema.json), for editors: the run
   * ignores it, and `riskcore simulate` leaves it out of the configuration it records (and hashes).
   */
  $schema?: string;
  /** The synthetic book (seeded; the default is the default book), or a module that builds a book. */
  book?: Omit<BookShape, 'onProgress'> | BookModule;
  scenario?: Scenario;
  paths?: number;
  steps?: number;
  /** Seed of the path generator; path p of a run always draws from stream (seed, p). */
  seed?: number;
  /** Seconds per step (default 60): the waterfall's clock (windows, drawdown) advances by this. */
  stepSeconds?: number;
  /** Funding rate per step, ppm of the mark (positive: longs pay shorts; default 1); one number or one per market. */
  fundingRatePpm?: number | readonly number[];
  impact?: ImpactModel;
  /** Liquidation rounds per step at most (default 4). */
  maxRoundsPerStep?: number;
  policy?: LiquidationPolicy | string;
  waterfall?: WaterfallConfig | string;
  insuranceFundQuote?: string;
  vaultQuote?: string;
  sweep?: Sweep;
  /** Skip accounts that prices cannot have made liquidatable (default true); results are identical. */
  skip?: boolean;
  /** Trading volume, fees, the revenue split and the funds' stakers. */
  economics?: SimulationEconomics;
}

/** Per-step metrics, in this order, in each path's `steps` table (exact integers). */
export const STEP_METRICS = [
  'closes', 'closedNotionalQuote', 'groups', 'deficitQuote', 'insuranceFundQuote', 'vaultNavQuote',
  'adlNotionalQuote', 'adlAccounts', 'socializedQuote', 'uncoveredQuote', 'residueQuote', 'rounds',
  'coveredInsuranceFund', 'coveredBackstopVault', 'coveredAdl', 'coveredSocializeFunding', 'coveredHaircutGains',
  'coveredHaircutDeposits', 'coveredHaircutVaultShares', 'coveredDefaulterFund', 'coveredOperatorCapital',
  'coveredMembersFund', 'coveredAssessments', 'feeRevenueQuote', 'treasuryQuote', 'stakerValueQuote',
  'withdrawnQuote', 'queuedQuote', 'queueWaits',
] as const;
export type StepMetric = (typeof STEP_METRICS)[number];
/**
 * Metrics that are not a series over steps: `queueWaits` is a histogram whose row w counts the
 * path's requests that left the withdrawal queue w steps after they were made. Per-step views
 * (fans, means by step) leave them out.
 */
export const HISTOGRAM_METRICS: readonly StepMetric[] = ['queueWaits'];

/** What the withdrawal run did on one path (all 0 without a run). */
export interface PathWithdrawals {
  /** Accounts whose turn came with a gain they could take out. */
  winners: number;
  /** What those winners wanted (their gain that margin lets them take out), and what they received (net of loss charges). */
  wantedQuote: bigint;
  receivedQuote: bigint;
  /** Winners who received less than they wanted by the path's end. */
  shortWinners: number;
  /** Requests that queued, and those still queued at the path's end. */
  queuedRequests: number;
  stillQueued: number;
  /** Loss charges withheld from the winners' payments. */
  chargedQuote: bigint;
}

/** What one path of one variant measured. */
export interface PathResult {
  path: number;
  variant: number;
  /** metrics[k][t]: metric STEP_METRICS[k] at step t (0-based); for `queueWaits`, row t of its histogram. */
  metrics: bigint[][];
  /** Prefunded resources at the start: insurance funds + vault NAV + default fund + operator capital. */
  prefundedQuote: bigint;
  /** The largest and the two largest losses of single accounts beyond their own collateral over the path. */
  cover1Quote: bigint;
  cover2Quote: bigint;
  /** Whether some deficit went past the insurance-fund steps (empty, at its floor or at a cap). */
  fundExhausted: boolean;
  /** At the path's start: the stakers' holdings, the vault's NAV, the treasury. */
  start: { stakerValueQuote: bigint; vaultNavQuote: bigint; treasuryQuote: bigint };
  /** The winners' withdrawal run on this path (zeros when it is off). */
  withdrawals: PathWithdrawals;
  /** Work, not results: account checks done and position-steps covered (with or without skipping). */
  accountsChecked: number;
  positionSteps: number;
}

/** A shard's result: plain JSON, merged by `mergeShards` / `riskcore merge`. */
export interface ShardResult {
  format: 'riskcore-simulation-shard';
  version: 1;
  /** The configuration hash every shard of one run shares. */
  configHash: string;
  config: SimulationConfig;
  variants: { name: string; variant: SweepVariant }[];
  pathFrom: number;
  pathTo: number;
  quoteDecimals: number;
  /** Per path and variant; bigints as decimal strings of atoms. */
  results: SerializedPathResult[];
  elapsedMs: number;
}

export interface SerializedPathResult {
  path: number;
  variant: number;
  metrics: string[][];
  prefundedQuote: string;
  cover1Quote: string;
  cover2Quote: string;
  fundExhausted: boolean;
  start: { stakerValueQuote: string; vaultNavQuote: string; treasuryQuote: string };
  withdrawals: { winners: number; wantedQuote: string; receivedQuote: string; shortWinners: number; queuedRequests: number; stillQueued: number; chargedQuote: string };
  accountsChecked: number;
  positionSteps: number;
}

/** Percentiles of a per-step series across paths (fan chart), quote units as decimal strings. */
export interface Fan {
  p5: string[];
  p25: string[];
  p50: string[];
  p75: string[];
  p95: string[];
}

/** A distribution over paths: exact mean (rounded down to an atom), nearest-rank percentiles, expected shortfall. */
export interface Distribution {
  mean: string;
  p95: string;
  p99: string;
  /** Mean of the worst 1 % of paths (at least one), rounded down to an atom. */
  expectedShortfall99: string;
  max: string;
}

export interface ReturnStats {
  /** The class's holdings at the start (quote units; the same on every path of a variant). */
  startQuote: string;
  /** Mean over paths of the return over the horizon, ppm, and of its annualized value. */
  meanReturnPpm: number;
  annualizedReturnPpm: number;
  /** The 5th percentile of the return over paths (the tail), ppm. */
  p5ReturnPpm: number;
  /** Share of paths that ended below the start. */
  lossProbability: number;
  /** Peak-to-trough fall of the holdings within a path, ppm of the peak: mean and 95th percentile over paths. */
  maxDrawdown: { meanPpm: number; p95Ppm: number };
}

export interface RiskTakersReport {
  stakers: ReturnStats;
  vaultDepositors: ReturnStats;
  /** Stakers and vault depositors together: the efficiency frontier's class. */
  combined: ReturnStats;
  /** Means over paths: fees charged on the simulated volume, and what the treasury gained. */
  feeRevenueQuote: string;
  treasuryGainQuote: string;
  /** Share of paths on which winners were hit: ADL, a haircut or a socialization covered some loss. */
  winnersHitProbability: number;
}

/** What winners could take out (docs/SIMULATION.md, "Winners' withdrawals", "Per variant"). */
export interface WinnersReport {
  /** Whether the withdrawal run was on (`economics.withdrawals`); off, every figure is 0. */
  enabled: boolean;
  /** floor(sum received * 10^6 / sum wanted) over all paths (0 when nothing was wanted). */
  takenOutPpm: number;
  /** floor(L * 10^6 / (L + sum wanted)), L what ADL and socialization took (coveredAdl + socializedQuote). */
  lostPpm: number;
  /** floor(sum shortWinners * 10^6 / sum winners): the probability that a winner could not withdraw in full. */
  shortProbabilityPpm: number;
  /** Steps requests waited in the queue, over the requests that left it: floor mean, nearest-rank p95, max. */
  waitSteps: { mean: number; p95: number; max: number };
  /** Requests that left the queue (paid or cut), and those still queued at the paths' ends (sums over paths). */
  left: number;
  stillQueued: number;
  /** Means per path (rounded down): winners (a count), and what they wanted, received and were charged (quote units). */
  winners: number;
  wantedQuote: string;
  receivedQuote: string;
  chargedQuote: string;
}

/**
 * One variant's totals per path, as columns: entry i of every list is path `path[i]` (ascending), in
 * quote units as decimal strings. Columns rather than one object per path keep report.json small: 1,000
 * paths of 5 variants with 4 tranches each are about 0.55 MB of compact JSON (1.1 MB indented).
 */
export interface PathTotals {
  path: number[];
  /** Deficits recorded (losses beyond the liquidated accounts' collateral), summed over the path's steps. */
  deficitQuote: string[];
  socializedQuote: string[];
  uncoveredQuote: string[];
  /** The path's Cover-1 and Cover-2 (the largest one and two accounts' losses beyond their collateral). */
  cover1Quote: string[];
  cover2Quote: string[];
  /**
   * What each tranche of the variant's `tranches` covered on each path (the `covered*` step metric
   * summed over the path), in the same order, `uncovered` left out (it is `uncoveredQuote`).
   */
  tranches: { tranche: string; coveredQuote: string[] }[];
}

export interface VariantReport {
  name: string;
  variant: SweepVariant;
  paths: number;
  /** Paths where a deficit went past the insurance-fund steps, and their share. */
  fundExhaustedPaths: number;
  fundExhaustedProbability: number;
  socialized: Distribution;
  uncovered: Distribution;
  deficits: Distribution;
  cover1: Distribution;
  cover2: Distribution;
  /** Prefunded resources at the start (the same on every path). */
  prefundedQuote: string;
  /** Paths where Cover-2 exceeded the prefunded resources. */
  cover2BreachPaths: number;
  liquidations: { closes: string; notionalQuote: string };
  adl: { notionalQuote: string; accounts: string };
  /**
   * Mean over paths of each tranche's cover, then uncovered (quote units): the kinds of the variant's
   * own waterfall in its order (its steps, then its groups' steps not already listed; each kind once).
   */
  tranches: { tranche: string; meanQuote: string; totalQuote: string }[];
  /** Per-path totals (columns in path order), from which any distribution over paths can be drawn. */
  pathTotals: PathTotals;
  /** What the stakers and the vault's depositors made, and how often winners were hit. */
  riskTakers: RiskTakersReport;
  /** What winners could withdraw. */
  winners: WinnersReport;
  byStep: {
    insuranceFund: Fan;
    /** The stakers' holdings and the vault's NAV at each step's end. */
    stakerValue: Fan;
    vaultNav: Fan;
    /** The withdrawal queue's total at each step's end. */
    queuedQuote: Fan;
    /** Mean over paths of the notional closed by liquidations at each step. */
    liquidatedNotionalMean: string[];
    liquidatedNotional: Fan;
    deficitMean: string[];
  };
}

export interface SimulationReport {
  format: 'riskcore-simulation-report';
  version: 1;
  configHash: string;
  config: SimulationConfig;
  paths: number;
  steps: number;
  quoteDecimals: number;
  variants: VariantReport[];
  work: { accountsChecked: number; positionSteps: number; elapsedMs: number };
}
