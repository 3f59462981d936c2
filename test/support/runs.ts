/**
 * Test support: counting the runs of a fast-check property that has preconditions.
 *
 * A precondition is stated with `fc.pre(...)`: fast-check then skips the draw and draws another, so
 * that `numRuns` counts only runs that met it. The property counts every draw it sees (`tried`) and
 * every run that reached the end of its assertions (`exercised`); `expectExercised` then checks that
 * every counted run did exercise the property (a bare `return` would not), and that the generator
 * still meets the preconditions in at least the stated share of its draws (the share measured with
 * the test's fixed seed, and a bound below it, are given where the test calls it).
 * RISKCORE_SHOW_RUNS=1 prints each test's counts (to measure the shares again).
 */
import { expect } from 'vitest';

export class RunCount {
  tried = 0;
  exercised = 0;
  /** At the start of the property body: one more draw. */
  draw(): void { this.tried++; }
  /** Where the property's assertions have all run. */
  hit(): void { this.exercised++; }
  toString(): string { return `${this.exercised} of ${this.tried} draws exercised the property`; }
}

/** Every one of `numRuns` runs exercised the property, and at least `minShare` of all draws did. */
export function expectExercised(count: RunCount, numRuns: number, minShare: number): void {
  if (process.env.RISKCORE_SHOW_RUNS) console.log(`${expect.getState().currentTestName}: ${count}`);
  expect(count.exercised, String(count)).toBeGreaterThanOrEqual(numRuns);
  expect(count.exercised, `${count}; expected a share of at least ${minShare}`).toBeGreaterThanOrEqual(Math.ceil(minShare * count.tried));
}
