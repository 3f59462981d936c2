/**
 * Runs a fuzzing area for a time budget from a seed with fast-check, prints progress and counts,
 * and on the first unknown failure throws with a reproducer: the seed, the case index and shrink
 * path (`--path` replays it), the shrunk case and the failing check's message.
 */
import fc from 'fast-check';
import { hostileCaseArb, runHostileCase } from './hostile.js';
import { runScenarioCase, scenarioCaseArb } from './scenarios.js';
import { Stats } from './stats.js';

export type Area = 'hostile' | 'scenarios';
export const AREAS: readonly Area[] = ['hostile', 'scenarios'];

export interface RunOptions {
  seed: number;
  seconds: number;
  /** Fail on known-failing names too. */
  all: boolean;
  /** Tally every violation with its first message instead of failing (for finding what fails). */
  survey?: boolean;
  /** Fail on this check only (the others are tallied). */
  only?: string;
  /** Replay one case: fast-check's path of a reported failure. */
  path?: string;
  /** At most this many cases (default: as many as the time allows). */
  runs?: number;
  log: (line: string) => void;
  stats?: Stats;
}

export interface AreaResult { area: Area; stats: Stats; runs: number; seconds: number }

/** The property of each area; `onCase` counts cases and prints progress. */
function propertyOf(area: Area, stats: Stats, all: boolean, onCase: () => void): fc.IAsyncProperty<[unknown]> {
  if (area === 'hostile') return fc.asyncProperty(hostileCaseArb, async (c) => { onCase(); await runHostileCase(c, stats, all); }) as fc.IAsyncProperty<[unknown]>;
  return fc.asyncProperty(scenarioCaseArb, async (c) => { onCase(); await runScenarioCase(c, stats, all); }) as fc.IAsyncProperty<[unknown]>;
}

/** Runs one area; resolves with its counts, or rejects with the reproducer of the first unknown failure. */
export async function runArea(area: Area, o: RunOptions): Promise<AreaResult> {
  const stats = o.stats ?? new Stats();
  stats.survey = o.survey ?? false;
  stats.only = o.only;
  const started = Date.now();
  let runs = 0;
  let lastLog = started;
  const property = propertyOf(area, stats, o.all, () => {
    runs++;
    stats.add('cases');
    const now = Date.now();
    if (now - lastLog >= 10_000) {
      lastLog = now;
      o.log(`[${area}] ${Math.round((now - started) / 1000)} s: ${runs} cases, ${stats.get('calls')} calls, ${stats.get('scenarios')} scenarios, ${stats.get('events')} events`);
    }
  });
  const details = await fc.check(property, {
    seed: o.seed,
    ...(o.path !== undefined ? { path: o.path } : {}),
    numRuns: o.runs ?? (o.path !== undefined ? 1 : 2 ** 31 - 1),
    interruptAfterTimeLimit: o.seconds * 1000,
    endOnFailure: false,
    verbose: fc.VerbosityLevel.None,
  });
  const seconds = (Date.now() - started) / 1000;
  if (details.failed) {
    const err = details.errorInstance;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error([
      `fuzz area '${area}' failed after ${details.numRuns} cases (${seconds.toFixed(1)} s)`,
      `reproduce: npm run fuzz -- --area ${area} --seed ${details.seed} --path ${details.counterexamplePath}${o.all ? ' --all' : ''}`,
      `shrunk ${details.numShrinks} times to the case:`,
      fc.stringify(details.counterexample),
      `failure: ${message}`,
    ].join('\n'));
  }
  return { area, stats, runs: details.numRuns, seconds };
}
