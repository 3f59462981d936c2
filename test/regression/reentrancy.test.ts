/**
 * Code the engine calls (ADL ranking functions in the waterfall and in the indicator, the cascade's
 * onDeficits, a simulation's interrupt check) cannot call into the engine: every public member
 * refuses with EngineError `Reentrant` and changes nothing. A ranking function is called before the
 * run moves anything, so one that throws (a refusal it did not catch, or its own error) or returns a
 * non-finite key refuses the allocation whole: InputError InvalidWaterfall naming the field
 * `ranking` and the step, nothing changed.
 *
 * The book is the README's loss book (D = 1, flat IM 10 % / MM 5 %, mark 100 -> 80): alice (50,
 * long 10 at 100) is bankrupt by 150 and closed whole at 80; bob (1,000, short 10 at 100) and carol
 * (1,000, short 5 at 120) are the candidates; insurance fund 30. Waterfall: the fund, then ADL by the
 * function `largest size first` (bob 10, carol 5). The fund pays 30; r = 120, P = 80 + ceil(120 / 10)
 * = 92; bob buys back 10 at 92: a(10) = -800 + 920 = 120, and his collateral goes to 1,000 + 1,000 -
 * 920 = 1,080.
 */
import { describe, expect, it } from 'vitest';
import { EngineError, InputError, StatusCode, type RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { Simulator } from '../../dist/src/simulation/simulator.js';
import type { AdlCandidate, AdlRankingFunction, WaterfallConfig } from '../../dist/src/node.js';
import { caught, stateDigest } from '../support/engine.js';
import { everyPublicCall, type EngineCall } from '../support/calls.js';
import { lossBook as readmeLossBook } from './support.js';

const bySize: AdlRankingFunction = (c: AdlCandidate) => Math.abs(Number(c.sizeBase));

interface Book { engine: RiskEngine; m: number; alice: number; bob: number; carol: number; spare: number }

/** The loss book with alice's deficit of 150 pending (or, `liquidated: false`, still to liquidate). */
async function lossBook(liquidated = true): Promise<Book> {
  const book = await readmeLossBook();
  const [spare] = book.engine.addAccounts([{ collateralQuote: 1_000n }]);
  if (liquidated) book.engine.liquidate({ close: 'full' });
  return { ...book, spare: spare! };
}

const waterfall = (ranking: AdlRankingFunction): WaterfallConfig => ({ steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking }] });

/** Everything observable: accounts, markets, ledger, balances, funds, pending deficits, audit length, tallies. */
function observable(engine: RiskEngine): string {
  return JSON.stringify([stateDigest(engine), engine.ledger(), engine.waterfallBalances(), engine.insuranceFund(), engine.deficits(), engine.auditLog.length, engine.summary().book],
    (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** The calls a callback tries: every public member, plus the four the report names first. */
function callsOf(b: Book): EngineCall[] {
  return [
    ['allocateLosses', (e) => e.allocateLosses()],
    ['deposit', (e) => e.deposit(b.spare, 1n)],
    ['applyFill', (e) => e.applyFill({ accountId: b.spare, marketId: b.m, sizeDeltaBase: 1n, priceQuote: 80n })],
    ['setWaterfall', (e) => e.setWaterfall({ steps: [{ kind: 'insuranceFund' }] })],
    ...everyPublicCall({ market: b.m, account: b.bob, other: b.spare }),
  ];
}

/** Runs every call, catching; returns [name, codeName] of each refusal (or 'accepted'). */
function tryAll(engine: RiskEngine, calls: readonly EngineCall[]): [string, string][] {
  return calls.map(([name, call]) => {
    try { call(engine); return [name, 'accepted']; } catch (e) { return [name, e instanceof EngineError ? (e as RiskCoreError).codeName : String(e)]; }
  });
}

const allRefused = (calls: readonly EngineCall[]): [string, string][] => calls.map(([name]) => [name, 'Reentrant']);

describe('regression: a ranking function cannot call into the engine', () => {
  it('Reentrant is an engine code (1..99) of its own', () => {
    expect(StatusCode.Reentrant).toBeGreaterThanOrEqual(1);
    expect(StatusCode.Reentrant).toBeLessThanOrEqual(99);
  });

  it('every call from the function is refused (Reentrant); the function catches them and the run is the one without the calls', async () => {
    const twin = await lossBook();
    twin.engine.setWaterfall(waterfall(bySize));
    const want = twin.engine.allocateLosses();

    const b = await lossBook();
    const calls = callsOf(b);
    let tried: [string, string][] = [];
    b.engine.setWaterfall(waterfall((c) => {
      if (tried.length === 0) tried = tryAll(b.engine, calls);
      return bySize(c);
    }));
    const got = b.engine.allocateLosses();
    expect(tried).toEqual(allRefused(calls));
    expect(got).toEqual(want);
    expect([got.insuranceFundQuote, got.adlCoveredQuote, got.uncoveredQuote]).toEqual([30n, 120n, 0n]);
    expect(b.engine.account(b.bob).collateralQuote).toBe(1_080n);
    expect(observable(b.engine)).toBe(observable(twin.engine));
  });

  const refusedWhole: [string, (b: Book) => AdlRankingFunction][] = [
    ['a re-entrant allocateLosses it does not catch', (b) => () => { b.engine.allocateLosses(); return 1; }],
    ['a re-entrant deposit it does not catch', (b) => () => { b.engine.deposit(b.spare, 1n); return 1; }],
    ['a re-entrant applyFill it does not catch', (b) => () => { b.engine.applyFill({ accountId: b.spare, marketId: b.m, sizeDeltaBase: 1n, priceQuote: 80n }); return 1; }],
    ['a re-entrant setWaterfall it does not catch', (b) => () => { b.engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] }); return 1; }],
    ['its own error', () => () => { throw new Error('no key for you'); }],
    ['NaN', () => () => NaN],
    ['Infinity', () => () => Infinity],
    ['a string', () => (() => '1') as unknown as AdlRankingFunction],
    ['NaN for the second candidate only', (b) => (c) => (c.accountId === b.carol ? NaN : 1)],
  ];
  for (const [name, make] of refusedWhole) {
    it(`a function that fails (${name}): the allocation is refused whole (InputError ranking, step 1) and nothing changed`, async () => {
      const b = await lossBook();
      b.engine.setWaterfall(waterfall(make(b)));
      b.engine.check();
      const before = observable(b.engine);
      const e = caught(() => b.engine.allocateLosses());
      expect(e).toBeInstanceOf(InputError);
      expect([e.codeName, e.field, e.row]).toEqual(['InvalidWaterfall', 'ranking', 1]);
      if (name.startsWith('a re-entrant')) expect(((e as Error).cause as RiskCoreError).codeName).toBe('Reentrant');
      expect(observable(b.engine)).toBe(before);
      // The engine is usable: the same records allocate under a working ranking.
      b.engine.setWaterfall(waterfall(bySize));
      expect(b.engine.allocateLosses().adlCoveredQuote).toBe(120n);
    });
  }

  it('in a cascade with allocate: the round executes, its allocation is refused whole, its records stay pending', async () => {
    const b = await lossBook(false);
    b.engine.setWaterfall(waterfall(() => { b.engine.deposit(b.spare, 1n); return 1; }));
    const ledger = b.engine.ledger().totalQuote;
    const e = caught(() => b.engine.liquidate({ close: 'full' }, { allocate: true }));
    expect([e.codeName, e.field, e.row]).toEqual(['InvalidWaterfall', 'ranking', 1]);
    expect(b.engine.deficits().map((d) => [d.accountId, d.amountQuote])).toEqual([[b.alice, 150n]]);
    expect([b.engine.auditLog.length, b.engine.insuranceFund(), b.engine.account(b.spare).collateralQuote]).toEqual([0, 30n, 1_000n]);
    expect(b.engine.ledger().totalQuote).toBe(ledger);
  });

  // The indicator: ranks carol and bob by the function, first in line first; calls in it are refused.
  it('the ADL indicator with a function: calls from it are refused, a failing function is an InputError', async () => {
    const b = await lossBook();
    b.engine.check();
    const calls = callsOf(b);
    let tried: [string, string][] = [];
    const ranks = b.engine.adlRanking(b.m, 'short', (c) => {
      if (tried.length === 0) tried = tryAll(b.engine, calls);
      return bySize(c);
    });
    expect(tried).toEqual(allRefused(calls));
    expect(ranks.map((r) => [r.accountId, r.key])).toEqual([[b.bob, 10], [b.carol, 5]]);
    const before = observable(b.engine);
    for (const fn of [() => { b.engine.check(); return 1; }, () => NaN]) {
      const e = caught(() => b.engine.adlRanking(b.m, 'short', fn));
      expect([e.name, e.codeName, e.field, e.row]).toEqual(['InputError', 'InvalidWaterfall', 'ranking', -1]);
    }
    expect(observable(b.engine)).toBe(before);
  });
});

describe('regression: the cascade\'s onDeficits cannot call into the engine', () => {
  it('every call from onDeficits is refused (Reentrant); the cascade completes as one without the calls', async () => {
    const twin = await lossBook(false);
    const taken: bigint[] = [];
    const want = twin.engine.liquidate({ close: 'full' }, { onDeficits: (d) => { taken.push(...d.amountQuote); } });

    const b = await lossBook(false);
    const calls = callsOf(b);
    let tried: [string, string][] = [];
    const got = b.engine.liquidate({ close: 'full' }, { onDeficits: (d) => { tried = tryAll(b.engine, calls); expect([...d.amountQuote]).toEqual([150n]); } });
    expect(tried).toEqual(allRefused(calls));
    expect(got).toEqual(want);
    expect(taken).toEqual([150n]);
    expect(observable(b.engine)).toBe(observable(twin.engine));
  });

  // onDeficits runs after its round executed: a throw stops the cascade there; the round's records stay pending.
  it('a refusal onDeficits does not catch ends the cascade with it; the records stay pending', async () => {
    const b = await lossBook(false);
    const ledger = b.engine.ledger().totalQuote;
    const e = caught(() => b.engine.liquidate({ close: 'full' }, { onDeficits: () => { b.engine.allocateLosses(); } }));
    expect(e).toBeInstanceOf(EngineError);
    expect(e.codeName).toBe('Reentrant');
    expect(b.engine.deficits().map((d) => [d.accountId, d.amountQuote])).toEqual([[b.alice, 150n]]);
    expect([b.engine.auditLog.length, b.engine.ledger().totalQuote]).toEqual([0, ledger]);
  });

  it('the deficit records onDeficits receives are copies: writing them changes nothing', async () => {
    const b = await lossBook(false);
    b.engine.liquidate({ close: 'full' }, { onDeficits: (d) => { d.amountQuote[0] = 10n ** 9n; } });
    expect(b.engine.deficits()).toEqual([]);
    b.engine.check();
    expect(b.engine.account(b.alice).collateralQuote).toBe(0n);
  });
});

describe('regression: a simulation\'s interrupt check cannot call into the engine', () => {
  it('calls from the interrupt check are refused (Reentrant) and the path runs to its end', async () => {
    const b = await lossBook();
    b.engine.takeDeficits();
    const sim = Simulator.fromEngine(b.engine, {
      scenario: { kind: 'shockGrid', scanRangePpm: 100_000 }, steps: 2, fundingRatePpm: 0,
      policy: { close: 'full' }, waterfall: { steps: [{ kind: 'insuranceFund' }] }, impact: { slopePpm: 0, permanentPpm: 0 },
    });
    const refused: string[] = [];
    sim.setInterrupt(() => {
      try { b.engine.deposit(b.spare, 1n); refused.push('accepted'); } catch (e) { refused.push((e as RiskCoreError).codeName); }
      return 0;
    });
    const [result] = sim.runPath(1);
    expect(result!.metrics.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['Reentrant']));
  });
});
