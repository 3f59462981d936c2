/**
 * The simulation area is laid out once per engine: a later `Simulator.fromEngine` on the same engine
 * re-lays it out in place when the new configuration fits, and grows memory only by what is missing
 * when it does not, so repeated preparations do not grow memory and views taken after the first one
 * stay valid. An engine created with `reserveSimulation` lays the area out at `create()`, so views
 * taken before the first preparation stay valid too. Reusing the area changes no result: paths run
 * after several preparations equal those of a fresh engine prepared once.
 */
import { describe, expect, it } from 'vitest';
import { generateBook, InputError, Simulator, type EngineOptions, type RiskEngine, type SimulationConfig } from '../../dist/src/node.js';
import { internalsOf } from '../../dist/src/abi/internals.js';
import { createEngine } from '../support/engine.js';
import { memoryBytes } from '../support/simulation.js';

// State: a seeded synthetic book of 300 accounts over 4 markets, with an insurance fund.
const BOOK = { accounts: 300, markets: 4, seed: 9 };
async function bookEngine(options: EngineOptions = {}): Promise<RiskEngine> {
  const engine = await createEngine({ maxAccounts: 400, maxPositions: 4_000, maxIsolated: 200, maxMarkets: 4, ...options });
  generateBook(engine, BOOK);
  engine.depositInsuranceFund(1_000_000_000n);
  return engine;
}

// Parameters: a correlated crash (the largest area here), a smaller uncorrelated run, and the run compared.
const LARGE: SimulationConfig = {
  scenario: { kind: 'monteCarlo', volatilityPpm: 30_000, driftPpm: -2_000, correlationPpm: 700_000, jumpProbabilityPpm: 100_000, jumpMeanPpm: -40_000, jumpStdPpm: 10_000 },
  steps: 2_000, maxRoundsPerStep: 6, seed: 3, policy: 'partial', waterfall: 'exchange',
};
const SMALL: SimulationConfig = { scenario: { kind: 'monteCarlo', volatilityPpm: 10_000 }, steps: 12, seed: 4, policy: 'dydx', waterfall: 'drift' };
const COMPARED: SimulationConfig = {
  scenario: { kind: 'monteCarlo', volatilityPpm: 25_000, driftPpm: -1_000, correlationPpm: 500_000, jumpProbabilityPpm: 50_000, jumpMeanPpm: -30_000, jumpStdPpm: 10_000 },
  steps: 20, seed: 11, policy: 'partial', waterfall: 'exchange',
};

/** Puts the book back as the last preparation found it (a path leaves the engine in its final state). */
function restore(engine: RiskEngine): void {
  internalsOf(engine).raw.simRestore();
}

describe('regression: the simulation area is laid out once per engine', () => {
  it('four Simulator.fromEngine calls on one engine: memory after the first equals memory after the fourth', async () => {
    const engine = await bookEngine();
    Simulator.fromEngine(engine, SMALL);
    const afterFirst = memoryBytes(engine);
    for (let k = 0; k < 3; k++) Simulator.fromEngine(engine, SMALL);
    expect(memoryBytes(engine)).toBe(afterFirst);
  });

  it('a results view taken after the first preparation still reads the book after three more that fit', async () => {
    const engine = await bookEngine();
    Simulator.fromEngine(engine, LARGE);
    const view = engine.resultsView();
    const equity = [...view.equityQuote];
    expect(equity.length).toBe(engine.accountCount);
    for (const config of [SMALL, COMPARED, LARGE]) Simulator.fromEngine(engine, config);
    // A detached view reads length 0; this one still holds the (unchanged) book's results.
    expect(view.equityQuote.length).toBe(engine.accountCount);
    expect([...view.equityQuote]).toEqual(equity);
  });

  it('a configuration that needs a larger area grows memory only by what is missing', async () => {
    // Expectations: the area starts where memory ended and is extended in place, so after SMALL then
    // LARGE memory is as large as after LARGE alone (both round the area's end up to a 64 KiB page).
    const fresh = await bookEngine();
    const freshBefore = memoryBytes(fresh);
    Simulator.fromEngine(fresh, LARGE);
    const largeAlone = memoryBytes(fresh) - freshBefore;

    const engine = await bookEngine();
    const before = memoryBytes(engine);
    Simulator.fromEngine(engine, SMALL);
    const small = memoryBytes(engine) - before;
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(largeAlone);
    Simulator.fromEngine(engine, LARGE);
    expect(memoryBytes(engine) - before).toBe(largeAlone);
  });

  it('paths after the area was re-laid out in place equal those of a fresh engine prepared once', async () => {
    // The reused area held a larger run's snapshot, bounds, epochs and dirty marks; none of it may leak.
    const reused = await bookEngine();
    const large = Simulator.fromEngine(reused, LARGE);
    large.runPath(0);
    large.runPath(1);
    restore(reused);
    Simulator.fromEngine(reused, SMALL).runPath(0);
    restore(reused);
    const bytes = memoryBytes(reused);
    const again = Simulator.fromEngine(reused, COMPARED);
    expect(memoryBytes(reused)).toBe(bytes);

    const once = Simulator.fromEngine(await bookEngine(), COMPARED);
    for (let p = 0; p < 4; p++) expect(again.runPath(p)).toEqual(once.runPath(p));
  });

  it('reserveSimulation at create(): no preparation that fits grows memory, and a view taken before the first stays valid', async () => {
    const engine = await bookEngine({ reserveSimulation: { steps: 2_000, correlated: true } });
    const bytes = memoryBytes(engine);
    engine.check();
    const view = engine.resultsView();
    const equity = [...view.equityQuote];
    for (const config of [SMALL, LARGE, COMPARED, SMALL]) Simulator.fromEngine(engine, config);
    expect(memoryBytes(engine)).toBe(bytes);
    expect(view.equityQuote.length).toBe(engine.accountCount);
    expect([...view.equityQuote]).toEqual(equity);
  });

  it('invalid: reserveSimulation with an unknown key, a step count out of range or a non-boolean flag is refused', async () => {
    const refused = async (reserve: unknown, field: string): Promise<void> => {
      const e = await createEngine({ reserveSimulation: reserve as EngineOptions['reserveSimulation'] }).then(() => undefined, (x: unknown) => x);
      expect(e, field).toBeInstanceOf(InputError);
      expect(e).toMatchObject({ codeName: 'InvalidScenario', field });
    };
    await refused({ stepz: 10 }, 'reserveSimulation.stepz');
    await refused({ steps: 0 }, 'reserveSimulation.steps');
    await refused({ steps: '10' }, 'reserveSimulation.steps');
    await refused({ steps: 10, maxRoundsPerStep: 6 }, 'reserveSimulation.maxRoundsPerStep');
    await refused({ steps: 10, correlated: 'yes' }, 'reserveSimulation.correlated');
  });
});
