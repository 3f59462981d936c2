/**
 * The simulation's configuration and shards as the library takes them (the CLI's checks, from code):
 * - names match the table's own keys only ("constructor" is no policy: it used to run as defaults);
 * - unknown keys at any depth are refused naming their path; values have their types;
 * - a configuration error found in a worker is the same InputError as in this thread;
 * - a synthetic book's per-market lists are checked before a core is loaded;
 * - `mergeShards` recomputes each shard's configuration hash and checks every number it reads.
 */
import { describe, expect, it } from 'vitest';
import {
  InputError, mergeShards, resolveConfig, simulate, Simulator, type ShardResult, type SimulationConfig,
} from '../../dist/src/node.js';
import { caught, rejected } from '../support/engine.js';

const BOOK_MODULE = new URL('../../examples/book-module.mjs', import.meta.url).href;

/** The configuration is refused with InputError(InvalidScenario) naming `field` (and `row`). */
function expectRefused(config: unknown, field: string, row = -1): void {
  const e = caught(() => resolveConfig(config as SimulationConfig));
  expect(e, `${JSON.stringify(config)} was accepted`).toBeInstanceOf(InputError);
  expect({ codeName: e.codeName, field: e.field, row: e.row }, e.message).toEqual({ codeName: 'InvalidScenario', field, row });
}

describe('regression: enumerations match the table\'s own keys only', () => {
  it.each([
    ['policy "constructor"', { policy: 'constructor' }, 'policy', -1],
    ['policy "toString"', { policy: 'toString' }, 'policy', -1],
    ['policy "__proto__"', { policy: '__proto__' }, 'policy', -1],
    ['waterfall "constructor"', { waterfall: 'constructor' }, 'waterfall', -1],
    ['waterfall "hasOwnProperty"', { waterfall: 'hasOwnProperty' }, 'waterfall', -1],
    ['a sweep waterfall "valueOf"', { sweep: { waterfall: ['valueOf'] } }, 'sweep.waterfall', 0],
    ['a sweep ranking "constructor"', { sweep: { adlRanking: ['bitmex', 'constructor'] } }, 'sweep.adlRanking', 1],
    ['a policy object\'s close "constructor"', { policy: { close: 'constructor' } }, 'policy.close', -1],
    ['a waterfall step of kind "toString"', { waterfall: { steps: [{ kind: 'toString' }] } }, 'waterfall.steps.kind', 0],
    ['a scenario of kind "constructor"', { scenario: { kind: 'constructor' } }, 'scenario', -1],
  ])('invalid: %s', (_name, config, field, row) => expectRefused(config, field, row));
});

describe('regression: unknown keys are refused at any depth, named by their path', () => {
  it.each([
    ['top level', { pahts: 3 }, 'pahts', -1],
    ['book', { book: { accounts: 10, acounts: 5 } }, 'book.acounts', -1],
    ['a key from JSON named __proto__', JSON.parse('{"book":{"accounts":10,"__proto__":{"accounts":5}}}'), 'book.__proto__', -1],
    ['scenario of another kind', { scenario: { kind: 'replay', csv: 'step,0\n1,5\n', volatilityPpm: 1 } }, 'scenario.volatilityPpm', -1],
    ['impact', { impact: { slopePpm: 1, slope: 1 } }, 'impact.slope', -1],
    ['policy object', { policy: { close: 'full', fee: 1 } }, 'policy.fee', -1],
    ['waterfall step', { waterfall: { steps: [{ kind: 'adl', ranking: 'bitmex', rankng: 1 }] } }, 'waterfall.steps.rankng', 0],
    ['waterfall group step', { waterfall: { steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [0], steps: [{ kind: 'insuranceFund', flor: 1 }] }] } }, 'waterfall.groups[0].steps.flor', 0],
    ['backstop provider', { waterfall: { steps: [{ kind: 'backstopVault', providers: [{ accountId: 1 }, { accountId: 2, weight: 1 }] }] } }, 'waterfall.steps[0].providers.weight', 1],
    ['sweep', { sweep: { fund: ['1'] } }, 'sweep.fund', -1],
  ])('invalid: %s', (_name, config, field, row) => expectRefused(config, field, row));
});

describe('regression: values have their types', () => {
  it.each([
    ['book.seed "x"', { book: { seed: 'x' } }, 'book.seed', -1],
    ['book.positionsPerAccount 2.5', { book: { positionsPerAccount: 2.5 } }, 'book.positionsPerAccount', -1],
    ['book.positionsPerAccount 61 (the generator draws at most 60)', { book: { positionsPerAccount: 61 } }, 'book.positionsPerAccount', -1],
    ['book.isolatedPpm above 10^6', { book: { isolatedPpm: 1_000_001 } }, 'book.isolatedPpm', -1],
    ['skip "no"', { skip: 'no' }, 'skip', -1],
    ['jumpsTogether "false"', { scenario: { kind: 'monteCarlo', volatilityPpm: 1, jumpsTogether: 'false' } }, 'jumpsTogether', -1],
    ['a policy ppm as a string', { policy: { bufferPpm: '5' } }, 'policy.bufferPpm', -1],
    ['a policy amount negative', { policy: { minCloseNotionalQuote: '-1' } }, 'policy.minCloseNotionalQuote', -1],
    ['withLayer2 "no"', { waterfall: { steps: [{ kind: 'membersFund', withLayer2: 'no' }] } }, 'waterfall.steps.withLayer2', 0],
    ['an ADL seed of -1', { waterfall: { steps: [{ kind: 'adl', ranking: 'randomWalk', seed: -1 }] } }, 'waterfall.steps.seed', 0],
    ['assessments without multiplePpm', { waterfall: { steps: [{ kind: 'assessments' }] } }, 'waterfall.steps.multiplePpm', 0],
    ['a sweep axis that is not a list', { sweep: { marginScalePpm: 1_000_000 } }, 'sweep.marginScalePpm', -1],
    ['a configuration that is not an object', [1, 2], '', -1],
  ])('invalid: %s', (_name, config, field, row) => expectRefused(config, field, row));

  it('valid: every field of the README\'s configuration, and a policy and waterfall given as objects', () => {
    const config: SimulationConfig = {
      book: { accounts: 1000, markets: 100, seed: 1, positionsPerAccount: 10, isolatedPpm: 20_000, chunk: 500 },
      scenario: { kind: 'monteCarlo', volatilityPpm: 3000, driftPpm: -500, correlationPpm: 800_000, jumpProbabilityPpm: 50_000, jumpMeanPpm: -30_000, jumpStdPpm: 15_000, jumpsTogether: false },
      paths: 1000, steps: 100, seed: 42, stepSeconds: 60, fundingRatePpm: 1,
      impact: { depthPpmOfOpenInterest: 50_000, slopePpm: 20_000, permanentPpm: 250_000, maxPpm: 100_000 },
      policy: { close: 'full', maxCloseFractionPpm: 100_000, minCloseNotionalQuote: '50', liquidationFeePpm: 15_000 },
      waterfall: { steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 28_800 }, { kind: 'adl', ranking: 'bitmex' }], groups: [{ markets: [1, 2], steps: [{ kind: 'membersFund', withLayer2: true }] }] },
      insuranceFundQuote: '20000000', vaultQuote: '20000000', skip: false,
      sweep: { insuranceFundQuote: ['5000000', '20000000'], marginScalePpm: [1_000_000], adlRanking: ['bitmex', 'binance'], waterfall: ['exchange', 'drift'] },
    };
    expect(resolveConfig(config).policy).toBe(config.policy);
  });
});

describe('regression: configuration errors found in a worker are InputErrors', () => {
  it('invalid: a funding list longer than the book module\'s 2 markets, found in a worker -> InputError naming fundingRatePpm', async () => {
    const e = await rejected(simulate({ book: { module: BOOK_MODULE }, fundingRatePpm: [1, 2, 3], paths: 2, steps: 2 }, { workers: 1 }));
    expect(e, String(e)).toBeInstanceOf(InputError);
    expect({ code: e.code, codeName: e.codeName, field: e.field, row: e.row }).toEqual({ code: 115, codeName: 'InvalidScenario', field: 'fundingRatePpm', row: 3 });
  });

  it('invalid: a book module that does not exist -> InputError naming book.module', async () => {
    const missing = new URL('../fixtures/no-such-book.mjs', import.meta.url).href;
    expect(await rejected(simulate({ book: { module: missing }, paths: 1, steps: 1 }, { workers: 1 }))).toMatchObject({ codeName: 'InvalidScenario', field: 'book.module' });
    const here = await rejected(Simulator.create({ book: { module: missing }, paths: 1, steps: 1 }));
    expect(here).toBeInstanceOf(InputError);
    expect(here).toMatchObject({ codeName: 'InvalidScenario', field: 'book.module' });
  });

  it('invalid: a synthetic book\'s per-market list of the wrong length is refused before a core is loaded', async () => {
    const missing = new URL('./no-such-core.wasm', import.meta.url);
    const e = await rejected(Simulator.create({ book: { accounts: 10, markets: 2 }, fundingRatePpm: [1, 2, 3] }, { wasm: missing }));
    expect(e, String(e)).toBeInstanceOf(InputError);
    expect({ field: e.field, row: e.row }).toEqual({ field: 'fundingRatePpm', row: 3 });
  });
});

describe('regression: mergeShards checks each shard\'s hash and numbers', () => {
  const CONFIG: SimulationConfig = { book: { accounts: 100, markets: 2, seed: 3 }, paths: 2, steps: 2 };
  async function shards(): Promise<[ShardResult, ShardResult]> {
    const a = await simulate(CONFIG, { workers: 0, pathFrom: 0, pathTo: 1 });
    const b = await simulate(CONFIG, { workers: 0, pathFrom: 1, pathTo: 2 });
    // As a file holds them: plain JSON.
    return [JSON.parse(JSON.stringify(a)) as ShardResult, JSON.parse(JSON.stringify(b)) as ShardResult];
  }

  it('invalid: both shards\' configurations edited alike, hashes left as they were -> InvalidShard naming configHash', async () => {
    const [a, b] = await shards();
    expect(mergeShards([a, b], { complete: true }).results.length).toBe(2);
    for (const s of [a, b]) (s.config as { seed?: number }).seed = 99;
    const e = caught(() => mergeShards([a, b], { names: ['a.json', 'b.json'] }));
    expect(e).toBeInstanceOf(InputError);
    expect({ codeName: e.codeName, field: e.field }).toEqual({ codeName: 'InvalidShard', field: 'configHash' });
    expect(e.message).toContain('a.json');
  });

  it('invalid: accountsChecked "1e309", a negative positionSteps, a metric that is not an integer -> InvalidShard naming the field and result', async () => {
    const cases: [string, (s: ShardResult) => void, string][] = [
      ['accountsChecked', (s) => { (s.results[0] as { accountsChecked: unknown }).accountsChecked = '1e309'; }, 'results.accountsChecked'],
      ['positionSteps', (s) => { s.results[0]!.positionSteps = -1; }, 'results.positionSteps'],
      ['metrics', (s) => { s.results[0]!.metrics[3]![1] = '1.5'; }, 'results.metrics.deficitQuote'],
      ['cover', (s) => { s.results[0]!.cover1Quote = '1e3'; }, 'results.cover1Quote'],
      ['steps', (s) => { s.results[0]!.metrics[0]!.pop(); }, 'results.metrics.closes'],
    ];
    for (const [name, edit, field] of cases) {
      const [a, b] = await shards();
      edit(b);
      const e = caught(() => mergeShards([a, b]));
      expect(e, name).toBeInstanceOf(InputError);
      expect({ codeName: e.codeName, field: e.field, row: e.row }, name).toEqual({ codeName: 'InvalidShard', field, row: 0 });
    }
  });

  it('invalid: complete asks for every path of the run', async () => {
    const [a] = await shards();
    expect(caught(() => mergeShards([a], { complete: true })).message).toContain('missing paths [1, 2)');
  });
});
