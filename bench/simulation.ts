/**
 * Simulation benchmarks: position-steps per second of a paths x steps run over the default book on
 * one and on two workers (the 2-worker speed-up), the same calm run with the venue's economics
 * (volume, fees, the revenue split, stakers, the withdrawal run; the ratio to the run without, and
 * on a few paths the run under the PnL-pool rule), and the speed-up from
 * skipping accounts far from liquidation on a calm and a crash scenario (the same paths with and
 * without skipping, in this run).
 *
 * Position-steps count every position at every step, skipped or not. Only the paths phase is timed
 * (from every worker holding its book to the last path's result); book building is reported apart.
 */
import { CRASH_SCENARIO, simulate, type SimulationConfig } from '../src/node.js';
import { CLI_DEFAULT_ECONOMICS } from '../src/cli/simulate.js';

/**
 * The economics of the calm run with economics: the CLI's default run's (volume and fees, the split,
 * stakers, and the withdrawal run through a capacity under the engine's rule, `all`).
 */
const BENCH_ECONOMICS = CLI_DEFAULT_ECONOMICS;
/** The same under the PnL-pool rule, whose book-wide terms cost a pass over the book on each run step. */
const BENCH_POOL_ECONOMICS = { ...CLI_DEFAULT_ECONOMICS, withdrawals: { ...CLI_DEFAULT_ECONOMICS.withdrawals, realizable: 'pnlPool' as const } };

export interface SimulationRun {
  label: string;
  workers: number;
  paths: number;
  steps: number;
  skip: boolean;
  scenario: 'calm' | 'crash';
  positionSteps: number;
  accountsChecked: number;
  pathsSeconds: number;
  bookSeconds: number;
  positionStepsPerSecond: number;
}

async function timed(label: string, config: SimulationConfig, workers: number, scenario: 'calm' | 'crash', say: (line: string) => void): Promise<SimulationRun> {
  const t0 = performance.now();
  let pathsStart = 0;
  const shard = await simulate(config, {
    workers,
    onProgress: (p) => { if (p.phase === 'paths' && p.done === 0) pathsStart = performance.now(); },
  });
  const t1 = performance.now();
  const positionSteps = shard.results.reduce((a, r) => a + r.positionSteps, 0);
  const accountsChecked = shard.results.reduce((a, r) => a + r.accountsChecked, 0);
  const run: SimulationRun = {
    label, workers, paths: shard.pathTo - shard.pathFrom, steps: config.steps ?? 100, skip: config.skip ?? true, scenario,
    positionSteps, accountsChecked, pathsSeconds: (t1 - pathsStart) / 1e3, bookSeconds: (pathsStart - t0) / 1e3,
    positionStepsPerSecond: positionSteps / ((t1 - pathsStart) / 1e3),
  };
  say(`  ${label.padEnd(46)} ${(run.positionStepsPerSecond / 1e9).toFixed(3).padStart(7)} G position-steps/s  ` +
    `(${run.paths} paths x ${run.steps} steps in ${run.pathsSeconds.toFixed(1)} s; book and settling ${run.bookSeconds.toFixed(1)} s; ` +
    `${(accountsChecked / run.paths / run.steps).toFixed(0)} account checks per step)`);
  return run;
}

/**
 * The cases. `accounts` sets the book (the targets apply to the default 1M); `quick` runs fewer paths.
 * Returns every run and the derived ratios.
 */
export async function simulationCases(accounts: number, quick: boolean, say: (line: string) => void): Promise<{ runs: SimulationRun[]; ratios: Record<string, number> }> {
  const book = { accounts };
  const paths = quick ? 8 : 100, steps = 100;
  const calm: SimulationConfig = { book, paths, steps, seed: 1 };
  const runs: SimulationRun[] = [];
  runs.push(await timed(`calm, skipping, 2 workers, ${paths} paths`, calm, 2, 'calm', say));
  // The same run with the venue's economics (volume and fees, the split, stakers: the CLI's default).
  runs.push(await timed(`calm + economics, skipping, 2 workers, ${paths} paths`, { ...calm, economics: BENCH_ECONOMICS }, 2, 'calm', say));
  runs.push(await timed(`calm, skipping, 1 worker, ${paths} paths`, calm, 1, 'calm', say));
  // Skipping's speed-up: the same few paths without skipping (every account checked every step).
  const few = quick ? 2 : 4;
  const calmFew: SimulationConfig = { ...calm, paths: few };
  runs.push(await timed(`calm, skipping, 2 workers, ${few} paths`, calmFew, 2, 'calm', say));
  runs.push(await timed(`calm, no skipping, 2 workers, ${few} paths`, { ...calmFew, skip: false }, 2, 'calm', say));
  const crash: SimulationConfig = { ...calmFew, scenario: CRASH_SCENARIO };
  runs.push(await timed(`crash, skipping, 2 workers, ${few} paths`, crash, 2, 'crash', say));
  runs.push(await timed(`crash, no skipping, 2 workers, ${few} paths`, { ...crash, skip: false }, 2, 'crash', say));
  runs.push(await timed(`calm + economics, pnlPool rule, 2 workers, ${few} paths`, { ...calmFew, economics: BENCH_POOL_ECONOMICS }, 2, 'calm', say));
  const rate = (i: number): number => runs[i]!.positionStepsPerSecond;
  const ratios = {
    twoWorkerSpeedup: rate(0) / rate(2),
    economicsRatio: rate(1) / rate(0),
    skipSpeedupCalm: rate(3) / rate(4),
    skipSpeedupCrash: rate(5) / rate(6),
    poolRuleRatio: rate(7) / rate(3),
  };
  say(`    2 workers / 1 worker: ${ratios.twoWorkerSpeedup.toFixed(2)} x; with economics / without: ${ratios.economicsRatio.toFixed(2)} x; `
    + `skipping speed-up: calm ${ratios.skipSpeedupCalm.toFixed(2)} x, crash ${ratios.skipSpeedupCrash.toFixed(2)} x; `
    + `economics under the pnlPool rule / calm without: ${ratios.poolRuleRatio.toFixed(2)} x`);
  return { runs, ratios };
}
