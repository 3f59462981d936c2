/**
 * Regression: multi-step public methods validate everything, then act. Before, `liquidate(policy,
 * { allocate: { nowSec } })` checked `nowSec` only when the first round's deficits reached the
 * waterfall, so it threw OutOfRange with the closes executed and the deficits pending; with nothing
 * liquidatable it accepted any policy and any options; `Simulator.fromEngine(..., { settle: true })`
 * liquidated the book and then refused a correlation matrix it could not factor.
 *
 * Each refusal must be a RiskCoreError (the policy's own rules, the same the core applies when a
 * round is planned) that leaves everything observable as it was.
 */
import { describe, expect, it } from 'vitest';
import { InputError, Simulator, type CascadeOptions, type LiquidationPolicy, type SimulationConfig } from '../../dist/src/node.js';
import { caught } from '../support/engine.js';
import { expectRefusedUnchanged, fixture, observableState } from './support.js';

const FULL: LiquidationPolicy = { close: 'full' };
const options = (o: Record<string, unknown>) => o as unknown as CascadeOptions;
const policy = (p: Record<string, unknown>) => p as LiquidationPolicy;

/** Options the cascade must refuse, with the field named: each is checked before the first check, plan or close. */
const BAD_OPTIONS: readonly [string, unknown, string][] = [
  ['allocate.nowSec -1', options({ allocate: { nowSec: -1 } }), 'nowSec'],
  ['allocate.nowSec 1.5', options({ allocate: { nowSec: 1.5 } }), 'nowSec'],
  ['allocate.nowSec "5"', options({ allocate: { nowSec: '5' } }), 'nowSec'],
  ['allocate.nowSec NaN', options({ allocate: { nowSec: NaN } }), 'nowSec'],
  ['allocate "yes"', options({ allocate: 'yes' }), 'allocate'],
  ['allocate 1', options({ allocate: 1 }), 'allocate'],
  ['allocate null', options({ allocate: null }), 'allocate'],
  ['onDeficits 5', options({ onDeficits: 5 }), 'onDeficits'],
  ['onDeficits {}', options({ onDeficits: {} }), 'onDeficits'],
  ['maxRounds 1.5', options({ maxRounds: 1.5 }), 'maxRounds'],
  ['maxRounds "3"', options({ maxRounds: '3' }), 'maxRounds'],
  ['options 5', 5, 'options'],
  ['options "allocate"', 'allocate', 'options'],
];

/** Policies the core refuses at setPolicy (and non-objects): refused by the cascade even when nothing would be planned. */
const BAD_POLICIES: readonly [string, unknown, string][] = [
  ['bufferPpm 10^6 + 1', policy({ bufferPpm: 1_000_001 }), 'bufferPpm'],
  ['maxCloseFractionPpm 0', policy({ maxCloseFractionPpm: 0 }), 'maxCloseFractionPpm'],
  ['liquidationFeePpm 2 x 10^6', policy({ liquidationFeePpm: 2_000_000 }), 'liquidationFeePpm'],
  ['liquidatorSharePpm 10^6 + 1', policy({ liquidatorSharePpm: 1_000_001 }), 'liquidatorSharePpm'],
  ['backstopPpm with no account', policy({ backstopPpm: 500_000 }), 'backstopAccountId'],
  ['backstopPpm with an unknown account', policy({ backstopPpm: 500_000, backstopAccountId: 60 }), 'backstopAccountId'],
  ['minCloseNotionalQuote -1', policy({ minCloseNotionalQuote: -1n }), 'minCloseNotionalQuote'],
  ['maxDeficitPerRoundQuote 2^62 + 1', policy({ maxDeficitPerRoundQuote: 2n ** 62n + 1n }), 'maxDeficitPerRoundQuote'],
  ['close "toString"', policy({ close: 'toString' }), 'close'],
  ['target "constructor"', policy({ target: 'constructor' }), 'target'],
  ['order "__proto__"', policy({ order: '__proto__' }), 'order'],
  ['bufferPpm null', policy({ bufferPpm: null }), 'bufferPpm'],
  ['policy 5', 5, 'policy'],
  ['policy "full"', 'full', 'policy'],
  ['policy null', null, 'policy'],
];

describe('regression: the cascade validates its whole policy and every option before anything moves', () => {
  it('bad options are refused before the first round, with liquidatable and bankrupt accounts waiting', async () => {
    const f = await fixture();
    expect(f.engine.summary().book.accounts).toMatchObject({ liquidatable: 1, bankrupt: 1 });
    for (const [name, o, field] of BAD_OPTIONS) {
      expectRefusedUnchanged(f.engine, () => f.engine.liquidate(FULL, o as CascadeOptions), `liquidate with ${name}`, field);
    }
  });

  it('the reported case: allocate.nowSec before the last run is refused before the closes, not after', async () => {
    const f = await fixture();
    // A run at t = 100 (no deficits pending: it moves nothing) sets the last run's time.
    f.engine.allocateLosses({ nowSec: 100 });
    const err = expectRefusedUnchanged(f.engine, () => f.engine.liquidate(FULL, { allocate: { nowSec: 50 } }), 'nowSec 50 after a run at 100', 'nowSec');
    expect(err.codeName).toBe('OutOfRange');
    // At t = 100 the same cascade runs: the bankrupt account (equity -50) closes at the mark, its
    // deficit of 50 goes through the waterfall (the global fund of 1,000 covers it: 950 left), and
    // the liquidatable account (equity 40 < MM 50) is closed whole with no fee (no deficit).
    const report = f.engine.liquidate(FULL, { allocate: { nowSec: 100 } });
    expect(report.totals.deficitQuote).toBe(50n);
    expect(report.allocations.map((a) => a.insuranceFundQuote)).toEqual([50n]);
    expect(f.engine.insuranceFund()).toBe(950n);
    expect(report.remaining).toEqual({ accounts: 0, isolated: 0 });
  });

  it('allocate needs a waterfall: refused before anything moves when none is set', async () => {
    const f = await fixture({ waterfall: false });
    for (const allocate of [true, {}, { nowSec: 5 }]) {
      expectRefusedUnchanged(f.engine, () => f.engine.liquidate(FULL, { allocate }), `allocate ${JSON.stringify(allocate)} without a waterfall`, 'waterfall');
    }
  });

  it('a policy the core would refuse is refused with liquidatable accounts and with none', async () => {
    for (const settled of [false, true]) {
      const f = await fixture({ settled });
      const open = f.engine.summary().book.accounts;
      expect(open.liquidatable + open.bankrupt, `settled: ${settled}`).toBe(settled ? 0 : 2);
      for (const [name, p, field] of BAD_POLICIES) {
        expectRefusedUnchanged(f.engine, () => f.engine.liquidate(p as LiquidationPolicy), `liquidate(${name}), settled: ${settled}`, field);
        expectRefusedUnchanged(f.engine, () => f.engine.liquidate(p as LiquidationPolicy, { allocate: true }), `liquidate(${name}, allocate), settled: ${settled}`, field);
      }
      for (const [name, o, field] of BAD_OPTIONS) {
        expectRefusedUnchanged(f.engine, () => f.engine.liquidate(FULL, o as CascadeOptions), `liquidate with ${name}, settled: ${settled}`, field);
      }
    }
  });
});

describe('regression: other multi-step methods validate, then act', () => {
  it('planLiquidations: a refused policy leaves the waiting plan executable', async () => {
    const f = await fixture();
    const plan = f.engine.planLiquidations(FULL);
    expect(plan.rows).toBe(2);
    for (const [name, p, field] of BAD_POLICIES) {
      expectRefusedUnchanged(f.engine, () => f.engine.planLiquidations(p as LiquidationPolicy), `planLiquidations(${name})`, field);
    }
    expect(f.engine.executeLiquidations().closes).toBe(2);
  });

  it('allocateLosses: options that are not an object or a bad nowSec are refused before the run', async () => {
    const f = await fixture();
    f.engine.liquidate(FULL);
    expect(f.engine.deficits().length).toBe(1);
    for (const [name, o, field] of [['5', 5, 'options'], ['"now"', 'now', 'options'], ['nowSec -1', { nowSec: -1 }, 'nowSec'], ['nowSec "0"', { nowSec: '0' }, 'nowSec'], ['nowSec null', { nowSec: null }, 'nowSec']] as const) {
      expectRefusedUnchanged(f.engine, () => f.engine.allocateLosses(o as never), `allocateLosses(${name})`, field);
    }
  });

  it('setWaterfall: a configuration that is not one is refused as InvalidWaterfall, and the active waterfall stays', async () => {
    const f = await fixture();
    const bad: [string, unknown, string][] = [
      ['null', null, 'waterfall'], ['5', 5, 'waterfall'], ['steps "adl"', { steps: 'adl' }, 'waterfall'],
      ['groups 5', { steps: [{ kind: 'insuranceFund' }], groups: 5 }, 'waterfall'],
      ['group markets 5', { steps: [{ kind: 'insuranceFund' }], groups: [{ markets: 5, steps: [{ kind: 'insuranceFund' }] }] }, 'marketId'],
      ['step null', { steps: [null] }, 'tranche'],
      ['providers 5', { steps: [{ kind: 'backstopVault', providers: 5 }] }, 'backstopAccountId'],
      ['seed "x"', { steps: [{ kind: 'adl', ranking: 'randomWalk', seed: 'x' }] }, 'seed'],
      ['seed 1.5', { steps: [{ kind: 'adl', ranking: 'randomWalk', seed: 1.5 }] }, 'seed'],
      ['a bad last step', { steps: [{ kind: 'socializeFunding' }, { kind: 'assessments', multiplePpm: 0 }] }, 'ppm'],
    ];
    for (const [name, config, field] of bad) {
      const err = expectRefusedUnchanged(f.engine, () => f.engine.setWaterfall(config as never), `setWaterfall(${name})`, field);
      expect(err, name).toBeInstanceOf(InputError);
    }
    // The active waterfall is still the fixture's (fund, vault, ADL): the bankrupt account's deficit of
    // 50 is covered by the global fund.
    f.engine.liquidate(FULL);
    expect(f.engine.allocateLosses().insuranceFundQuote).toBe(50n);
  });

  it('Simulator.fromEngine: a correlation matrix that cannot be factored is refused before the book is settled', async () => {
    const f = await fixture();
    // Correlation 1 between the two markets: [[1, 1], [1, 1]] is singular (its Cholesky pivot for row 1 is 1 - 1 = 0).
    const config: SimulationConfig = {
      scenario: { kind: 'monteCarlo', volatilityPpm: 800, correlationPpm: [[1_000_000, 1_000_000], [1_000_000, 1_000_000]] },
      steps: 2, paths: 1, policy: FULL, waterfall: { steps: [{ kind: 'insuranceFund' }] },
    };
    const err = expectRefusedUnchanged(f.engine, () => Simulator.fromEngine(f.engine, config, { settle: true }), 'fromEngine with a singular correlation', 'correlation');
    expect([err.codeName, err.row]).toEqual(['InvalidScenario', 1]);
    const before = observableState(f.engine);
    expect(caught(() => Simulator.fromEngine(f.engine, config, { settle: 'yes' as unknown as boolean }))).toMatchObject({ codeName: 'InvalidScenario', field: 'settle' });
    expect(observableState(f.engine)).toBe(before);
  });

  it('Simulator.fromEngine: every variant\'s waterfall is checked without replacing the engine\'s, before anything moves', async () => {
    const f = await fixture();
    const config: SimulationConfig = {
      steps: 2, paths: 1, policy: FULL, waterfall: { steps: [{ kind: 'insuranceFund' }] },
      // Sweep waterfalls are typed as preset names; a caller can still hand over configurations.
      // The configuration's own check refuses a malformed one, naming its path:
      sweep: { waterfall: [{ steps: [{ kind: 'socializeFunding' }] }, { steps: [{ kind: 'assessments', multiplePpm: 0 }] }] as unknown as string[] },
    };
    expectRefusedUnchanged(f.engine, () => Simulator.fromEngine(f.engine, config, { settle: true }), 'fromEngine with a malformed variant waterfall', 'sweep.waterfall[1].steps.multiplePpm');
    // A well-formed one the book refuses (a provider the engine does not hold) is refused by the core's check, before anything moves.
    const unknownProvider = { ...config, sweep: { waterfall: [{ steps: [{ kind: 'socializeFunding' }] }, { steps: [{ kind: 'backstopVault', providers: [{ accountId: 9_999 }] }] }] as unknown as string[] } };
    expectRefusedUnchanged(f.engine, () => Simulator.fromEngine(f.engine, unknownProvider, { settle: true }), 'fromEngine with a variant waterfall the book refuses', 'backstopAccountId');
    // The engine's own waterfall (fund, vault, ADL) is still active.
    f.engine.liquidate(FULL);
    expect(f.engine.allocateLosses().steps.map((s) => s.kind)).toEqual(['insuranceFund', 'backstopVault', 'adl']);
  });
});
