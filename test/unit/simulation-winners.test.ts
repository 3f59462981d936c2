/**
 * The winners' side of a simulation (docs/SIMULATION.md, "Winners' withdrawals"): the per-variant
 * figures worked by hand from each path's withdrawal run and metrics, the shard round trip of
 * PathResult.withdrawals, the configuration's `economics.withdrawals` (defaults and every bad field
 * refused naming it) and the sweep's withdrawal axes (expansion and names).
 */
import { describe, expect, it } from 'vitest';
import { buildReport, deserializePathResult, mergeShards, serializePathResult, configHash, type ReportInput } from '../../src/simulation/stats.js';
import { capacityName, expandSweep, resolveConfig } from '../../src/simulation/config.js';
import { histogramStats, winners } from '../../src/simulation/winners.js';
import { STEP_METRICS, type PathResult, type PathWithdrawals, type ShardResult, type SimulationConfig, type StepMetric } from '../../src/simulation/types.js';
import { caught } from '../support/engine.js';

const NONE: PathWithdrawals = { winners: 0, wantedQuote: 0n, receivedQuote: 0n, shortWinners: 0, queuedRequests: 0, stillQueued: 0, chargedQuote: 0n };

function pathResult(path: number, variant: number, steps: number, m: Partial<Record<StepMetric, number[]>>, withdrawals: Partial<PathWithdrawals> = {}): PathResult {
  return {
    path, variant,
    metrics: STEP_METRICS.map((k) => (m[k] ?? Array<number>(steps).fill(0)).map(BigInt)),
    prefundedQuote: 0n, cover1Quote: 0n, cover2Quote: 0n, fundExhausted: false, accountsChecked: 1, positionSteps: 1,
    start: { stakerValueQuote: 0n, vaultNavQuote: 0n, treasuryQuote: 0n },
    withdrawals: { ...NONE, ...withdrawals },
  };
}

// Three paths of 4 steps, one variant:
//   path 0: 4 winners wanted 1,000, received 1,000 (none short); ADL covered 30 at step 2; the queue held
//           100, 50, 0, 0; one request left after 0 steps, one after 2.
//   path 1: 2 winners wanted 500, received 200 (1 short, charged 7); haircuts socialized 70 at step 3;
//           the queue held 0, 300, 300, 300; one request left after 1 step; 1 still queued.
//   path 2: no winner; nothing queued.
const STEPS = 4;
const RESULTS = [
  pathResult(0, 0, STEPS, { coveredAdl: [0, 0, 30, 0], queuedQuote: [100, 50, 0, 0], queueWaits: [1, 0, 1, 0] },
    { winners: 4, wantedQuote: 1_000n, receivedQuote: 1_000n, queuedRequests: 2 }),
  pathResult(1, 0, STEPS, { socializedQuote: [0, 0, 0, 70], queuedQuote: [0, 300, 300, 300], queueWaits: [0, 1, 0, 0] },
    { winners: 2, wantedQuote: 500n, receivedQuote: 200n, shortWinners: 1, queuedRequests: 2, stillQueued: 1, chargedQuote: 7n }),
  pathResult(2, 0, STEPS, {}),
];

describe('simulation: the winners\' figures', () => {
  it('taken out, lost, P(short), waits and means, worked by hand', () => {
    const w = winners(RESULTS, true, 0);
    // Received 1,200 of 1,500 wanted: floor(1,200 * 10^6 / 1,500) = 800,000 ppm.
    expect(w.takenOutPpm).toBe(800_000);
    // L = 30 (ADL) + 70 (socialized) = 100: floor(100 * 10^6 / (100 + 1,500)) = 62,500 ppm.
    expect(w.lostPpm).toBe(62_500);
    // 1 of 6 winners short: floor(10^6 / 6) = 166,666 ppm.
    expect(w.shortProbabilityPpm).toBe(166_666);
    // Waits 0, 2 (path 0) and 1 (path 1): H = [1, 1, 1, 0], n = 3; mean floor(3 / 3) = 1;
    // p95 rank ceil(2.85) = 3 -> 2; max 2.
    expect(w.waitSteps).toEqual({ mean: 1, p95: 2, max: 2 });
    expect([w.left, w.stillQueued]).toEqual([3, 1]);
    // Means per path over 3 paths: winners 6 / 3 = 2; wanted 1,500 / 3 = 500; received 1,200 / 3 = 400; charged 7 / 3 -> 2.
    expect([w.winners, w.wantedQuote, w.receivedQuote, w.chargedQuote]).toEqual([2, '500', '400', '2']);
    expect(w.enabled).toBe(true);
  });

  it('nothing wanted, no winner, no request: every ratio is 0, not a division by zero', () => {
    const w = winners([pathResult(0, 0, 2, {})], false, 6);
    expect(w).toEqual({
      enabled: false, takenOutPpm: 0, lostPpm: 0, shortProbabilityPpm: 0, waitSteps: { mean: 0, p95: 0, max: 0 }, left: 0, stillQueued: 0,
      winners: 0, wantedQuote: '0.000000', receivedQuote: '0.000000', chargedQuote: '0.000000',
    });
    // Losses with nothing wanted: everything was lost (L / (L + 0)).
    expect(winners([pathResult(0, 0, 2, { coveredAdl: [5, 0] })], true, 0).lostPpm).toBe(1_000_000);
    expect(winners([], true, 0).winners).toBe(0);
  });

  it('the waits\' histogram: floor mean, nearest-rank p95 walking up the counts, the largest row used', () => {
    // 100 requests: 94 waited 0 steps, 1 waited 3, 5 waited 7. Mean floor((3 + 35) / 100) = 0.
    // p95: rank ceil(95) = 95 -> the 95th is the one of 3 steps; max 7.
    const h = [94n, 0n, 0n, 1n, 0n, 0n, 0n, 5n, 0n];
    expect(histogramStats(h)).toEqual({ mean: 0, p95: 3, max: 7, n: 100n });
    // 20 requests of 4 steps: rank ceil(19) = 19 -> 4.
    expect(histogramStats([0n, 0n, 0n, 0n, 20n])).toEqual({ mean: 4, p95: 4, max: 4, n: 20n });
    expect(histogramStats([])).toEqual({ mean: 0, p95: 0, max: 0, n: 0n });
  });

  it('the report: winners per variant, enabled by the configuration, and the queue as a fan by step', () => {
    const input = (config: SimulationConfig): ReportInput => ({
      config, configHash: configHash(config), variants: [{ name: 'base', variant: {} }], results: RESULTS, quoteDecimals: 0, steps: STEPS, elapsedMs: 1,
    });
    const on = buildReport(input({ steps: STEPS, economics: { withdrawals: {} } })).variants[0]!;
    expect(on.winners).toEqual(winners(RESULTS, true, 0));
    // Step 1: 50, 300, 0 -> sorted 0, 50, 300: p5 (rank 1) 0, p50 (rank 2) 50, p95 (rank 3) 300.
    expect([on.byStep.queuedQuote.p5[1], on.byStep.queuedQuote.p50[1], on.byStep.queuedQuote.p95[1]]).toEqual(['0', '50', '300']);
    expect(on.byStep.queuedQuote.p50).toEqual(['0', '50', '0', '0']);
    const off = buildReport(input({ steps: STEPS })).variants[0]!;
    expect(off.winners.enabled).toBe(false);
  });

  it('PathResult.withdrawals goes through a shard as decimal strings and back', () => {
    const r = RESULTS[1]!;
    const s = serializePathResult(r);
    expect(s.withdrawals).toEqual({ winners: 2, wantedQuote: '500', receivedQuote: '200', shortWinners: 1, queuedRequests: 2, stillQueued: 1, chargedQuote: '7' });
    expect(deserializePathResult(s)).toEqual(r);
    const config: SimulationConfig = { paths: 3, steps: STEPS, economics: { withdrawals: {} } };
    const shard: ShardResult = {
      format: 'riskcore-simulation-shard', version: 1, configHash: configHash(config), config, variants: [{ name: 'base', variant: {} }],
      pathFrom: 0, pathTo: 3, quoteDecimals: 0, results: RESULTS.map(serializePathResult), elapsedMs: 1,
    };
    expect(mergeShards([shard]).results).toEqual(RESULTS);
    const bad = { ...shard, results: shard.results.map((x, i) => (i === 1 ? { ...x, withdrawals: { ...x.withdrawals, receivedQuote: '1.5' } } : x)) };
    expect(caught(() => mergeShards([bad]))).toMatchObject({ codeName: 'InvalidShard', field: 'results.withdrawals.receivedQuote', row: 1 });
    const missing = { ...shard, results: shard.results.map(({ withdrawals: _w, ...x }) => x) } as unknown as ShardResult;
    expect(caught(() => mergeShards([missing]))).toMatchObject({ codeName: 'InvalidShard', field: 'results.withdrawals' });
    const unknownKey = { ...shard, results: shard.results.map((x) => ({ ...x, withdrawals: { ...x.withdrawals, extra: 1 } })) } as unknown as ShardResult;
    expect(caught(() => mergeShards([unknownKey]))).toMatchObject({ codeName: 'InvalidShard', field: 'results.withdrawals.extra' });
  });
});

describe('simulation: economics.withdrawals in the configuration', () => {
  it('absent: no run; present: the defaults filled in, the rules and capacity left to the engine unless given', () => {
    expect(resolveConfig({}).economics.withdrawals).toBeUndefined();
    expect(resolveConfig({ economics: { withdrawals: {} } }).economics.withdrawals).toEqual({ everySteps: 10, probabilityPpm: 1_000, bankRunPpm: 500_000 });
    const capacity = { periodSec: 3_600, ppmOfTotal: 10_000 };
    expect(resolveConfig({ economics: { turnoverPpm: 5, withdrawals: { everySteps: 3, realizable: 'pnlPool', transferFloorPpm: 100_000, capacity } } }).economics).toMatchObject({
      turnoverPpm: 5, withdrawals: { everySteps: 3, probabilityPpm: 1_000, bankRunPpm: 500_000, realizable: 'pnlPool', transferFloorPpm: 100_000, capacity },
    });
    expect(resolveConfig({ economics: { withdrawals: { capacity: null } } }).economics.withdrawals?.capacity).toBeNull();
  });

  const CASES: [string, unknown, string, number][] = [
    ['everySteps 0', { everySteps: 0 }, 'economics.withdrawals.everySteps', -1],
    ['everySteps above 100,000', { everySteps: 100_001 }, 'economics.withdrawals.everySteps', -1],
    ['a fractional everySteps', { everySteps: 1.5 }, 'economics.withdrawals.everySteps', -1],
    ['probabilityPpm above 10^6', { probabilityPpm: 1_000_001 }, 'economics.withdrawals.probabilityPpm', -1],
    ['a negative bankRunPpm', { bankRunPpm: -1 }, 'economics.withdrawals.bankRunPpm', -1],
    ['bankRunPpm as a string', { bankRunPpm: '5' }, 'economics.withdrawals.bankRunPpm', -1],
    ['transferFloorPpm above 10^6', { transferFloorPpm: 2_000_000 }, 'economics.withdrawals.transferFloorPpm', -1],
    ['an unknown realizable rule', { realizable: 'some' }, 'economics.withdrawals.realizable', -1],
    ['an unknown key', { every: 5 }, 'economics.withdrawals.every', -1],
    ['a capacity without a period', { capacity: { ppmOfTotal: 5 } }, 'economics.withdrawals.capacity.periodSec', -1],
    ['a capacity period over 366 days', { capacity: { periodSec: 366 * 86_400 + 1 } }, 'economics.withdrawals.capacity.periodSec', -1],
    ['a capacity share above 10^6', { capacity: { periodSec: 60, ppmOfTotal: 1_000_001 } }, 'economics.withdrawals.capacity.ppmOfTotal', -1],
    ['a negative capacity minimum', { capacity: { periodSec: 60, minQuote: '-5' } }, 'economics.withdrawals.capacity.minQuote', -1],
    ['a gate over 366 days', { capacity: { periodSec: 60, gateSec: 366 * 86_400 + 1 } }, 'economics.withdrawals.capacity.gateSec', -1],
    ['a loss charge that is not a boolean', { capacity: { periodSec: 60, lossCharge: 1 } }, 'economics.withdrawals.capacity.lossCharge', -1],
    ['an unknown capacity key', { capacity: { periodSec: 60, ppm: 5 } }, 'economics.withdrawals.capacity.ppm', -1],
    ['a capacity that is a number', { capacity: 5 }, 'economics.withdrawals.capacity', -1],
    ['withdrawals that are a list', [], 'economics.withdrawals', -1],
  ];

  it.each(CASES)('%s -> InvalidScenario naming the field', (_name, withdrawals, field, row) => {
    const e = caught(() => resolveConfig({ economics: { withdrawals } } as unknown as SimulationConfig));
    expect({ name: e.name, codeName: e.codeName, field: e.field, row: e.row }).toEqual({ name: 'InputError', codeName: 'InvalidScenario', field, row });
  });
});

describe('simulation: the sweep\'s withdrawal axes', () => {
  const run: SimulationConfig['economics'] = { withdrawals: { capacity: { periodSec: 3_600, ppmOfTotal: 10_000 } } };

  it('expand over the other axes, named short', () => {
    const variants = expandSweep({
      economics: run,
      sweep: {
        insuranceFundQuote: ['100'],
        realizable: ['all', 'pnlPool'],
        withdrawalCapacity: [null, { periodSec: 3_600, ppmOfTotal: 10_000 }, { periodSec: 86_400, minQuote: '5000', ppmOfTotal: 2_500, gateSec: 600, lossCharge: true }],
      },
    });
    expect(variants.map((v) => v.name)).toEqual([
      'fund 100, realizable all, capacity unlimited',
      'fund 100, realizable all, capacity 1 % / 1h',
      'fund 100, realizable all, capacity 0.25 % min 5000 / 1d, gate 10m, loss charge',
      'fund 100, realizable pnlPool, capacity unlimited',
      'fund 100, realizable pnlPool, capacity 1 % / 1h',
      'fund 100, realizable pnlPool, capacity 0.25 % min 5000 / 1d, gate 10m, loss charge',
    ]);
    expect(variants[4]!.variant).toEqual({ insuranceFundQuote: '100', realizable: 'pnlPool', withdrawalCapacity: { periodSec: 3_600, ppmOfTotal: 10_000 } });
    expect(capacityName({ periodSec: 0 })).toBe('unlimited');
    expect(capacityName({ periodSec: 90, minQuote: 7n })).toBe('0 % min 7 / 90s');
  });

  it('bad items are refused naming the axis and the row; the axes need a withdrawal run', () => {
    expect(caught(() => expandSweep({ economics: run, sweep: { realizable: ['all', 'half' as never] } }))).toMatchObject({ codeName: 'InvalidScenario', field: 'sweep.realizable', row: 1 });
    expect(caught(() => expandSweep({ economics: run, sweep: { withdrawalCapacity: [null, { periodSec: -1 }] } }))).toMatchObject({ codeName: 'InvalidScenario', field: 'sweep.withdrawalCapacity.periodSec', row: 1 });
    expect(caught(() => expandSweep({ economics: run, sweep: { withdrawalCapacity: 'none' as never } }))).toMatchObject({ codeName: 'InvalidScenario', field: 'sweep.withdrawalCapacity' });
    expect(caught(() => resolveConfig({ sweep: { realizable: ['all'] } }))).toMatchObject({ codeName: 'InvalidScenario', field: 'sweep.realizable' });
    expect(caught(() => resolveConfig({ economics: {}, sweep: { withdrawalCapacity: [null] } }))).toMatchObject({ codeName: 'InvalidScenario', field: 'sweep.withdrawalCapacity' });
  });
});
