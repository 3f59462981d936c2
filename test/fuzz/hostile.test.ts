/**
 * The short, fixed-seed run of the hostile-argument fuzzer inside `npm test` (test/fuzz/hostile.ts, a fixed number of cases;
 * `npm run fuzz` runs it for longer). Known failures (known.ts) are tallied, not fatal.
 */
import { describe, expect, it } from 'vitest';
import { runArea } from './runner.js';

describe('fuzz: hostile arguments into every public method', () => {
  it('a refusal is typed and changes nothing; invalid values are refused; both builds agree', async () => {
    const r = await runArea('hostile', { seed: 20_261_206, runs: 200, seconds: 60, all: false, log: () => {} });
    expect(r.runs, 'cases run').toBe(200);
    expect(r.stats.get('refusals'), r.stats.format()).toBeGreaterThan(200);
    expect(r.stats.get('check:builds agree'), r.stats.format()).toBeGreaterThan(200);
  });
});
