/**
 * Regression: ids and enumeration values given to the public API are matched against the table's
 * own entries only, and ids are integers in range. Before, a property name passed as a lookup key
 * found something on the prototype chain: `depositInsuranceFund(5, 'constructor')` (or `'length'`,
 * `'__proto__'`, `[0]`) credited the fund whose id happened to sit at wasm address 0; a policy
 * `close: 'toString'` or a curve `kind: 'hasOwnProperty'` ran as a default; `adlRanking(m,
 * 'sideways')` ranked the shorts; `'1'` or `[1]` passed as market 1.
 *
 * Every hostile value goes into every such parameter; each call must throw a RiskCoreError naming
 * the parameter and leave everything observable (accounts, markets, funds, ledger, balances, vault,
 * members, deficits, tallies, logs) exactly as it was.
 */
import { describe, expect, it } from 'vitest';
import { InputError, LIQUIDATION_PRESETS, resolveConfig, WATERFALL_PRESETS, type LiquidationPolicy, type RiskEngine, type SimulationConfig, type Tranche } from '../../dist/src/node.js';
import { caught } from '../support/engine.js';
import { expectRefusedUnchanged, fixture, ID_PARAMETERS, type Fixture, type ParameterCase } from './support.js';

/** Not an id: strings (even of existing ids), arrays, property names, fractions, negatives, NaN, >= 2^32, non-numbers. */
const HOSTILE_IDS: readonly unknown[] = [
  '0', '1', '5', [0], [1], 'constructor', 'length', '__proto__', 'toString', 1.5, -1, NaN, Infinity, 2 ** 32, 2 ** 53, null, {}, true, 1n,
];
/** Not a member of an enumeration: property names of every object, near misses, wrapped valid values, non-strings. */
const HOSTILE_NAMES: readonly unknown[] = [
  'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf', 'length', '', 'FULL', 'sideways',
  ['full'], ['long'], ['flat'], ['pnl'], 0, 1, null, {}, true,
];
/** Not a boolean flag. */
const HOSTILE_FLAGS: readonly unknown[] = ['yes', 'false', 0, 1, null, {}, [], 'true'];


const policy = (p: Record<string, unknown>) => p as LiquidationPolicy;
const tranche = (t: Record<string, unknown>) => ({ steps: [t as unknown as Tranche] });

const NAME_PARAMETERS: readonly ParameterCase[] = [
  ['addMarket({ curve: { kind } })', 'curve', (f, v) => f.engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: { kind: v, imfPpm: 1, mmfPpm: 1 } })],
  ['addMarket({ insuranceFund })', 'fundId', (f, v) => f.engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: { kind: 'flat', imfPpm: 1, mmfPpm: 1 }, insuranceFund: v })],
  ['planLiquidations({ close })', 'close', (f, v) => f.engine.planLiquidations(policy({ close: v }))],
  ['planLiquidations({ target })', 'target', (f, v) => f.engine.planLiquidations(policy({ target: v }))],
  ['planLiquidations({ order })', 'order', (f, v) => f.engine.planLiquidations(policy({ order: v }))],
  ['liquidate({ close })', 'close', (f, v) => f.engine.liquidate(policy({ close: v }))],
  ['liquidate({ target })', 'target', (f, v) => f.engine.liquidate(policy({ target: v }))],
  ['liquidate({ order })', 'order', (f, v) => f.engine.liquidate(policy({ order: v }))],
  ['setWaterfall(step kind)', 'tranche', (f, v) => f.engine.setWaterfall(tranche({ kind: v }))],
  ['setWaterfall(adl.ranking)', 'ranking', (f, v) => f.engine.setWaterfall(tranche({ kind: 'adl', ranking: v }))],
  ['setWaterfall(adl.price)', 'priceQuote', (f, v) => f.engine.setWaterfall(tranche({ kind: 'adl', ranking: 'pnl', price: v }))],
  ['setWaterfall(haircutGains.scope)', 'tranche', (f, v) => f.engine.setWaterfall(tranche({ kind: 'haircutGains', scope: v }))],
  ['adlRanking(side)', 'side', (f, v) => f.engine.adlRanking(f.m0, v, 'pnl')],
  ['adlRanking(ranking)', 'ranking', (f, v) => f.engine.adlRanking(f.m0, 'long', v)],
];

const FLAG_PARAMETERS: readonly ParameterCase[] = [
  ['applyFill({ isolated })', 'isolated', (f, v) => f.engine.applyFill({ accountId: f.long, marketId: f.m1, sizeDeltaBase: 1n, priceQuote: 200n, isolated: v })],
  ['preTrade({ isolated })', 'isolated', (f, v) => f.engine.preTrade({ accountId: f.long, marketId: f.m1, sizeDeltaBase: 1n, priceQuote: 200n, isolated: v })],
  ['riskOrderView({ isolated })', 'isolated', (f, v) => f.engine.riskOrderView({ isolated: v })],
  ['setWaterfall(membersFund.withLayer2)', 'withLayer2', (f, v) => f.engine.setWaterfall(tranche({ kind: 'membersFund', withLayer2: v }))],
];

function label(v: unknown): string {
  return typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? `'${v}'` : Number.isNaN(v) ? 'NaN' : JSON.stringify(v) ?? String(v);
}

function throwAll(f: Fixture, cases: readonly ParameterCase[], values: readonly unknown[]): void {
  for (const [name, field, call] of cases) {
    for (const v of values) {
      const err = expectRefusedUnchanged(f.engine, () => call(f, v as never), `${name} with ${label(v)}`, field);
      expect(err, `${name} with ${label(v)}`).toBeInstanceOf(InputError);
    }
  }
}

describe('regression: ids and enumeration values are matched against own entries only', () => {
  it('every hostile id, at every id parameter, is refused with an InputError naming it and changes nothing', async () => {
    throwAll(await fixture(), ID_PARAMETERS, HOSTILE_IDS);
  });

  it('every hostile name, at every enumeration parameter, is refused with an InputError naming it and changes nothing', async () => {
    throwAll(await fixture(), NAME_PARAMETERS, HOSTILE_NAMES);
  });

  it('boolean flags take true, false or nothing; anything else is refused and changes nothing', async () => {
    throwAll(await fixture(), FLAG_PARAMETERS, HOSTILE_FLAGS);
  });

  it('preset tables hold their own names only: a property name is no preset, and a configuration naming one is refused', () => {
    const names = HOSTILE_NAMES.filter((v): v is string => typeof v === 'string');
    for (const name of names) {
      expect((LIQUIDATION_PRESETS as Record<string, unknown>)[name], `LIQUIDATION_PRESETS[${label(name)}]`).toBeUndefined();
      expect((WATERFALL_PRESETS as Record<string, unknown>)[name], `WATERFALL_PRESETS[${label(name)}]`).toBeUndefined();
      for (const key of ['policy', 'waterfall'] as const) {
        const err = caught(() => resolveConfig({ [key]: name } as SimulationConfig));
        expect(err, `resolveConfig({ ${key}: ${label(name)} })`).toBeInstanceOf(InputError);
        expect([err.codeName, err.field]).toEqual(['InvalidScenario', key]);
      }
    }
    expect(Object.keys(WATERFALL_PRESETS)).toContain('exchange');
    expect(resolveConfig({ policy: 'dydx', waterfall: 'drift' }).policy).toBe(LIQUIDATION_PRESETS.dydx);
  });

  it('the reported cases: depositInsuranceFund(5, "constructor") credits no fund; adlRanking(m, "sideways") ranks no side', async () => {
    const f = await fixture();
    const e: RiskEngine = f.engine;
    for (const key of ['constructor', 'length', '__proto__', [0]]) {
      expectRefusedUnchanged(e, () => e.depositInsuranceFund('5', key as never), `depositInsuranceFund('5', ${label(key)})`, 'marketId');
    }
    expectRefusedUnchanged(e, () => e.adlRanking(f.m0, 'sideways' as 'long', 'pnl'), 'adlRanking sideways', 'side');
    // The valid forms still work. '5' is a decimal string in quote units (6 decimals): 5,000,000 atoms
    // into market 1's own fund (500 before): 5,000,500; 7 atoms into the global fund (1,000 before): 1,007.
    e.depositInsuranceFund('5', f.m1);
    e.depositInsuranceFund(7n);
    expect([e.insuranceFund(f.m1), e.insuranceFund()]).toEqual([5_000_500n, 1_007n]);
  });
});
