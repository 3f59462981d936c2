/**
 * The short, fixed-seed run of the crash-scenario fuzzer inside `npm test` (test/fuzz/scenarios.ts, a fixed number of cases;
 * `npm run fuzz` runs it for longer). Known failures (known.ts) are tallied, not fatal.
 */
import { describe, expect, it } from 'vitest';
import { runArea } from './runner.js';

describe('fuzz: random crash scenarios', () => {
  it('conservation, allocation bounds across events, ADL sides, solvency and payments beyond equity, ranking refusals, determinism across runs and builds', async () => {
    const r = await runArea('scenarios', { seed: 20_261_206, runs: 250, seconds: 60, all: false, log: () => {} });
    expect(r.runs, 'cases run').toBe(250);
    expect(r.stats.get('scenarios'), r.stats.format()).toBeGreaterThan(200);
    for (const k of ['conservation', 'deficits-covered', 'gains-haircut-cap', 'adl-opposite-side', 'solvency', 'paid-beyond-equity', 'ranking-refusal', 'determinism']) expect(r.stats.get(`check:${k}`), k).toBeGreaterThan(10);
    // The ranking-refusal count includes runs where no ranking failed: some runs must have been refused.
    expect(r.stats.get('check:ranking-refusal (a run refused)'), r.stats.format()).toBeGreaterThan(0);
  });
});
