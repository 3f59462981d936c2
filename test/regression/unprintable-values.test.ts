/**
 * Regression: a refusal's message never throws. Before, the detail of an error was formed with
 * `String(value)`, which itself throws a TypeError for an object without a prototype
 * (`Object.create(null)`) and for an object whose `toString` throws: so `account(Object.create(null))`,
 * `deposit(Object.create(null), 1n)`, a curve kind or a flag of such an object, and a ranking function
 * that threw such a value (or returned one as its key) escaped as a plain TypeError instead of the
 * InputError that names the field, in both builds.
 */
import { describe, expect, it } from 'vitest';
import { InputError, RiskCoreError, type AdlCandidate, type RiskEngine } from '../../dist/src/node.js';
import { expectRefusedUnchanged, fixture, ID_PARAMETERS, type ParameterCase } from './support.js';

/** Values with no text: String() of each throws a TypeError. */
const UNPRINTABLE: readonly [string, () => unknown][] = [
  ['Object.create(null)', () => Object.create(null)],
  ['an object whose toString throws', () => ({ toString() { throw new Error('no text'); }, valueOf() { throw new Error('no value'); } })],
  ['a symbol', () => Symbol('id')],
];

/** Every id parameter, and the name and flag parameters. */
const CASES: readonly ParameterCase[] = [
  ...ID_PARAMETERS,
  ['applyFill({ isolated })', 'isolated', (f, v) => f.engine.applyFill({ accountId: f.long, marketId: f.m0, sizeDeltaBase: 1n, priceQuote: 100n, isolated: v })],
  ['riskOrder({ isolated })', 'isolated', (f, v) => f.engine.riskOrder({ isolated: v })],
  ['addMarket({ curve: { kind } })', 'curve', (f, v) => f.engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: { kind: v } as never })],
  ['addMarket({ curve: { mmfPpm } })', 'mmfPpm', (f, v) => f.engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: { kind: 'flat', imfPpm: 1, mmfPpm: v } })],
  ['adlRanking(side)', 'side', (f, v) => f.engine.adlRanking(f.m0, v, 'pnl')],
  ['adlRanking(ranking)', 'ranking', (f, v) => f.engine.adlRanking(f.m0, 'long', v)],
  ['setWaterfall(steps[0].kind)', 'tranche', (f, v) => f.engine.setWaterfall({ steps: [{ kind: v }] })],
  ['allocateLosses({ nowSec })', 'nowSec', (f, v) => f.engine.allocateLosses({ nowSec: v })],
];

describe('regression: refusals of values that have no text', () => {
  it('every id, name and flag parameter refuses them with an InputError naming it, changing nothing', async () => {
    const f = await fixture();
    for (const [name, field, call] of CASES) {
      for (const [label, make] of UNPRINTABLE) {
        const e = expectRefusedUnchanged(f.engine, () => call(f, make() as never), `${name} = ${label}`, field);
        expect(e, `${name} = ${label}`).toBeInstanceOf(InputError);
      }
    }
    f.engine.dispose();
  });

  it('a ranking function that throws such a value, or returns one as its key, refuses the run whole (field ranking)', async () => {
    for (const [label, make] of UNPRINTABLE) {
      for (const failing of [(): number => { throw make(); }, (): number => make() as number]) {
        const f = await fixture();
        const e = f.engine;
        // The bankrupt account's close leaves a deficit in m0 whose ADL candidates are the shorts.
        e.liquidate({ close: 'full' }, { maxRounds: 1 });
        expect(e.deficits().length, 'a pending deficit').toBeGreaterThan(0);
        e.setWaterfall({ steps: [{ kind: 'adl', ranking: failing as (c: AdlCandidate) => number }] });
        e.check();
        const refused = expectRefusedUnchanged(e, () => e.allocateLosses(), `allocateLosses with a ranking function failing with ${label}`, 'ranking');
        expect(refused).toMatchObject({ name: 'InputError', codeName: 'InvalidWaterfall', row: 0 });
        const indicator = expectRefusedUnchanged(e, () => e.adlRanking(f.m0, 'short', failing), `adlRanking with ${label}`, 'ranking');
        expect(indicator).toMatchObject({ codeName: 'InvalidWaterfall', row: -1 });
        e.dispose();
      }
    }
  });

  it('the message names what the value is', async () => {
    const f = await fixture();
    const e: RiskEngine = f.engine;
    let thrown: unknown;
    try { e.account(Object.create(null) as number); } catch (x) { thrown = x; }
    expect(thrown).toBeInstanceOf(RiskCoreError);
    expect((thrown as Error).message).toMatch(/an object \(\[object Object\]\)/);
    try { e.market(Symbol('m') as unknown as number); } catch (x) { thrown = x; }
    expect((thrown as Error).message).toMatch(/a symbol \("m"\)/);
    e.dispose();
  });
});
