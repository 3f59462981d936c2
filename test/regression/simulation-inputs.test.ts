/**
 * Regression: the simulation's entry points refuse bad input with typed errors, before anything
 * changes.
 * - `simulate`'s options: a `pathFrom` or `pathTo` that is not an integer was a RangeError (and one
 *   whose text cannot be formed, a TypeError), `workers: NaN` a RangeError from deep inside the
 *   worker pool, `simulate(config, null)` a TypeError. Now InputError(InvalidScenario) naming the option.
 * - `Simulator.fromEngine(engine)` without a configuration threw a TypeError (the sweep of undefined);
 *   it takes the defaults, as `simulate` and `resolveConfig` do.
 * - A policy, waterfall or scenario given as an object that is not a plain object (a `Date`) ran as
 *   the defaults; it is refused naming its key.
 * - `Simulator.fromEngine` on a book a check refuses (a group whose sums leave range) set the policy
 *   and the waterfall, settled, and only then was refused with Overflow by its check; now the book is
 *   summed (without writing results) and the simulation area sized before anything changes.
 * - `buildReport` and `mergeShards` threw plain Errors and TypeErrors for malformed input; now
 *   InputError(InvalidShard) naming the field.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, InputError, mergeShards, resolveConfig, simulate, Simulator, type RiskEngine, type SimulationConfig } from '../../dist/src/node.js';
import { caught, createEngine, rejected } from '../support/engine.js';
import { expectRefusedUnchanged, fixture } from './support.js';

const SMALL: SimulationConfig = { paths: 2, steps: 1, book: { accounts: 20, markets: 1 } };
const P62 = 1n << 62n;

/** A book whose check overflows: account 1's two quote balances of 2^62 sum past i64. */
async function overflowingBook(): Promise<RiskEngine> {
  const e = await createEngine({ maxAccounts: 16, maxPositions: 64, maxIsolated: 4, maxMarkets: 4 });
  const flat = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };
  e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: flat });
  e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: flat });
  e.addAccounts([
    { collateralQuote: 1_000n, positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: -100n }] },
    { positions: [{ marketId: 0, sizeBase: 1n, quoteBalance: P62 }, { marketId: 1, sizeBase: 1n, quoteBalance: P62 }] },
  ]);
  e.depositInsuranceFund(500n);
  e.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
  return e;
}

describe('regression: simulation inputs', () => {
  it('simulate refuses options that are not what they say, naming the option', async () => {
    const cases: [unknown, string][] = [
      [{ pathFrom: 'x' }, 'pathFrom'], [{ pathFrom: 1.5 }, 'pathFrom'], [{ pathFrom: 2 }, 'pathFrom'], [{ pathTo: Object.create(null) }, 'pathTo'],
      [{ pathTo: 0 }, 'pathTo'], [{ pathFrom: 1, pathTo: 1 }, 'pathTo'], [{ pathTo: 3 }, 'pathTo'], [{ workers: NaN }, 'workers'], [{ workers: -1 }, 'workers'],
      [{ workers: '2' }, 'workers'], [{ onProgress: 1 }, 'onProgress'], [{ signal: {} }, 'signal'], [null, 'options'], ['fast', 'options'],
    ];
    for (const [options, field] of cases) {
      const e = await rejected(simulate(SMALL, options as never));
      expect(e, `${field}: ${String(e)}`).toBeInstanceOf(InputError);
      expect(e).toMatchObject({ codeName: 'InvalidScenario', field });
    }
  });

  it('a policy, waterfall or scenario that is an object of another kind is refused', () => {
    for (const key of ['policy', 'waterfall', 'scenario', 'impact', 'book'] as const) {
      expect(caught(() => resolveConfig({ [key]: new Date(0) } as never)), key).toMatchObject({ name: 'InputError', codeName: 'InvalidScenario', field: key });
      expect(caught(() => resolveConfig({ [key]: new Map() } as never)), key).toMatchObject({ codeName: 'InvalidScenario', field: key });
    }
    // Plain objects, with or without a prototype, are configurations.
    expect(resolveConfig({ policy: { close: 'full' } }).policy).toEqual({ close: 'full' });
    expect(resolveConfig({ policy: Object.assign(Object.create(null) as object, { close: 'full' as const }) }).policy).toMatchObject({ close: 'full' });
  });

  it('Simulator.fromEngine without a configuration takes the defaults; null is refused', async () => {
    const f = await fixture();
    expect(caught(() => Simulator.fromEngine(f.engine, null as never))).toMatchObject({ name: 'InputError', codeName: 'InvalidScenario', field: '' });
    const sim = Simulator.fromEngine(f.engine, undefined as never);
    expect(sim.config.steps).toBe(100);
    sim.dispose();
  });

  it('Simulator.fromEngine on a book that does not check is refused before it sets or settles anything', async () => {
    for (const settle of [false, true]) {
      const e = await overflowingBook();
      const config: SimulationConfig = { steps: 2, paths: 1, policy: { close: 'full' }, waterfall: { steps: [{ kind: 'insuranceFund' }, { kind: 'haircutDeposits' }] } };
      const err = expectRefusedUnchanged(e, () => Simulator.fromEngine(e, config, { settle }), `fromEngine (settle ${settle}) on an overflowing book`, 'accountId');
      expect([err.codeName, err.row]).toEqual(['Overflow', 1]);
      // The engine's own waterfall is still the active one (a run with nothing pending lists its steps).
      expect(e.allocateLosses().steps.map((s) => s.kind)).toEqual(['insuranceFund']);
      e.dispose();
    }
  });

  it('buildReport and mergeShards refuse malformed input with InputError(InvalidShard)', () => {
    expect(caught(() => buildReport(null as never))).toMatchObject({ name: 'InputError', codeName: 'InvalidShard', field: '' });
    expect(caught(() => buildReport({ variants: [], results: 'x' } as never))).toMatchObject({ codeName: 'InvalidShard', field: 'results' });
    expect(caught(() => mergeShards(undefined as never))).toMatchObject({ codeName: 'InvalidShard', field: '' });
    expect(caught(() => mergeShards([7] as never))).toMatchObject({ codeName: 'InvalidShard' });
    expect(caught(() => mergeShards([{}] as never, null as never))).toMatchObject({ codeName: 'InvalidShard', field: 'options' });
  });
});
