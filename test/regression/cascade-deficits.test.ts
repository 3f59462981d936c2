/**
 * The cascade's `onDeficits` and `deficitsView()` (README, "Cascade" and "Views"): `onDeficits`
 * receives each round's deficit records, as copies, after the round executed, and they leave the
 * pending table; a throw from it ends the cascade with the rounds before standing and that round's
 * records pending. `deficitsView()` returns copies: writing them changes nothing the core reads.
 *
 * The README's loss book (D = 1, flat IM 10 % / MM 5 %, no fees), mark 100 -> 80: alice (collateral
 * 50, long 10 entered at 100, quote -1,000) has E = 50 + 800 - 1,000 = -150; bob (1,000, short 10 at
 * 100) and carol (1,000, short 5 at 120) are healthy. The policy caps a round's notional per group at
 * 560 (maxNotionalPerRoundQuote), so alice is closed in two rounds (docs/FORMULAS.md, "Planning a
 * round" and "Executing one close"; closes at the mark: dE = 0, deficit = -E_slice):
 *   round 1: notional 10 x 80 = 800 > 560: c = floor(560 / 80) = 7, d = -7 at 80;
 *            E_slice = ceil(-150 x 7 / 10) = -105: deficit 105;
 *            realized = floor(-1,000 x 7 / 10) + 7 x 80 = -700 + 560 = -140;
 *            C = 50 - 140 + 105 = 15; left: long 3, quote -300; E = 15 + 240 - 300 = -45 < MM 12;
 *   round 2: notional 3 x 80 = 240 <= 560: c = 3, d = -3 at 80; E_slice = -45: deficit 45;
 *            realized = -300 + 240 = -60; C = 15 - 60 + 45 = 0, no position;
 *   round 3: nothing liquidatable.
 */
import { describe, expect, it } from 'vitest';
import type { RiskEngine } from '../../dist/src/node.js';
import { lossBook } from './support.js';

const POLICY = { close: 'full', maxNotionalPerRoundQuote: 560n } as const;

type Records = { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array };

/** Records as [account, market, amount] rows. */
const rows = (r: Records): [number, number, bigint][] => Array.from(r.accountId, (a, i) => [a, r.marketId[i]!, r.amountQuote[i]!]);
const pending = (engine: RiskEngine): [number, number | null, bigint][] => engine.deficits().map((d) => [d.accountId, d.marketId, d.amountQuote]);

describe('regression: the cascade hands each round\'s deficit records to onDeficits', () => {
  it('one call per round with that round\'s records only (105, then 45), kept as copies; nothing stays pending', async () => {
    const { engine, m, alice } = await lossBook();
    const ledger = engine.ledger().totalQuote;
    const received: Records[] = [];
    const seen: [number, number, bigint][][] = [];
    const report = engine.liquidate(POLICY, { onDeficits: (r) => { received.push(r); seen.push(rows(r)); } });
    // Each call saw its own round's record: round 2's does not repeat round 1's (cleared after the call).
    expect(seen).toEqual([[[alice, m, 105n]], [[alice, m, 45n]]]);
    // The amounts are the executed rounds' deficits (known only once a round has executed).
    expect(report.rounds.map((r) => [r.round, r.closes, r.deficitQuote])).toEqual([[1, 1, 105n], [2, 1, 45n]]);
    // The arrays received are the caller's to keep: round 2's record, written where round 1's stood in
    // the core, did not reach them.
    expect(received.map(rows)).toEqual(seen);
    expect(pending(engine)).toEqual([]);
    expect(engine.account(alice).positions).toEqual([]);
    expect(engine.account(alice).collateralQuote).toBe(0n);
    expect(engine.ledger().totalQuote).toBe(ledger);
    expect(engine.auditLog.length).toBe(0);
  });

  it('without onDeficits the same cascade leaves both records pending; with it the rounds are the same', async () => {
    const a = await lossBook(), b = await lossBook();
    const plain = a.engine.liquidate(POLICY);
    const taken = b.engine.liquidate(POLICY, { onDeficits: () => {} });
    expect(pending(a.engine)).toEqual([[a.alice, a.m, 105n], [a.alice, a.m, 45n]]);
    expect(pending(b.engine)).toEqual([]);
    expect(taken).toEqual(plain);
    expect(b.engine.account(b.alice)).toEqual(a.engine.account(a.alice));
  });

  // Round 1's records are written and cleared; round 2's are written, then the throw leaves them pending.
  it('writing the received records changes nothing: the next round, the book, and the records a throw leaves pending', async () => {
    const twin = await lossBook();
    twin.engine.liquidate(POLICY, { onDeficits: () => {} });
    const { engine, m, alice, bob } = await lossBook();
    const seen: [number, number, bigint][][] = [];
    const stop = new Error('stop');
    let thrown: unknown;
    try {
      engine.liquidate(POLICY, {
        onDeficits: (r) => {
          seen.push(rows(r));
          r.accountId[0] = bob; r.marketId[0] = 9; r.amountQuote[0] = 10n ** 9n;
          if (seen.length === 2) throw stop;
        },
      });
    } catch (e) { thrown = e; }
    expect(thrown).toBe(stop);
    expect(seen).toEqual([[[alice, m, 105n]], [[alice, m, 45n]]]);
    // (The throw skipped round 2's re-check: both books are checked before they are compared.)
    engine.check();
    twin.engine.check();
    for (const id of [0, 1, 2]) expect(engine.account(id)).toEqual(twin.engine.account(id));
    expect(pending(engine)).toEqual([[alice, m, 45n]]);
  });

  // The throw comes after round 2 executed: round 1 (its closes, and its records, taken) and round 2's
  // closes stand; round 2's record (45) stays pending; the error reaches the caller as thrown.
  it('a throw from onDeficits in round 2 ends the cascade: round 1 stands, round 2 executed, its record pending', async () => {
    const { engine, m, alice } = await lossBook();
    const ledger = engine.ledger().totalQuote;
    const stop = new Error('stop');
    const seen: [number, number, bigint][][] = [];
    let thrown: unknown;
    try {
      engine.liquidate(POLICY, { onDeficits: (r) => { seen.push(rows(r)); if (seen.length === 2) throw stop; } });
    } catch (e) { thrown = e; }
    expect(thrown).toBe(stop);
    expect(seen).toEqual([[[alice, m, 105n]], [[alice, m, 45n]]]);
    expect(pending(engine)).toEqual([[alice, m, 45n]]);
    // Round 2 executed: alice closed whole (C = 0), its log is round 2's close of 3 at 80.
    expect(engine.account(alice).positions).toEqual([]);
    expect(engine.account(alice).collateralQuote).toBe(0n);
    expect(engine.liquidationLog().map((r) => [r.accountId, r.sizeBase, r.priceQuote, r.deficitQuote])).toEqual([[alice, -3n, 80n, 45n]]);
    expect(engine.ledger().totalQuote).toBe(ledger);
    // Nothing is left to liquidate, and the pending record is the waterfall's: the fund pays 30 of 45.
    expect(engine.liquidate(POLICY).rounds).toEqual([]);
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    const run = engine.allocateLosses();
    expect([run.deficitQuote, run.insuranceFundQuote, run.uncoveredQuote]).toEqual([45n, 30n, 15n]);
  });

  it('a throw in round 1 leaves round 1 executed and its record pending', async () => {
    const { engine, m, alice } = await lossBook();
    let thrown: unknown;
    try { engine.liquidate(POLICY, { onDeficits: () => { throw new RangeError('mine'); } }); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(RangeError);
    expect(pending(engine)).toEqual([[alice, m, 105n]]);
    // Round 1's close of 7 stands: long 3, quote -300, collateral 15.
    expect(engine.account(alice).positions).toEqual([{ marketId: m, sizeBase: 3n, quoteBalance: -300n, fundingSnapshot: 0n }]);
    expect(engine.account(alice).collateralQuote).toBe(15n);
  });
});

describe('regression: deficitsView() returns copies', () => {
  it('writes to every column change nothing the core reads: deficits(), a fresh view, takeDeficits() and the run', async () => {
    const { engine, m, alice, bob } = await lossBook();
    engine.liquidate(POLICY);
    const view = engine.deficitsView();
    expect(rows(view)).toEqual([[alice, m, 105n], [alice, m, 45n]]);
    view.accountId.fill(bob);
    view.marketId.fill(9);
    view.amountQuote.fill(10n ** 9n);
    expect(rows(engine.deficitsView())).toEqual([[alice, m, 105n], [alice, m, 45n]]);
    expect(pending(engine)).toEqual([[alice, m, 105n], [alice, m, 45n]]);
    // The run reads the core's records: 150 from alice in market m; the fund pays 30, 120 uncovered.
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    const run = engine.allocateLosses();
    expect([run.deficitQuote, run.insuranceFundQuote, run.uncoveredQuote]).toEqual([150n, 30n, 120n]);
    expect(engine.auditLog.deficits(run.event).map((d) => [d.accountId, d.marketId, d.amountQuote])).toEqual([[alice, m, 105n], [alice, m, 45n]]);
  });

  it('a view taken earlier keeps its values when later records take their place in the core', async () => {
    const { engine, m, alice } = await lossBook();
    engine.liquidate(POLICY, { maxRounds: 1 });
    const first = engine.deficitsView();
    expect(engine.takeDeficits().map((d) => [d.accountId, d.marketId, d.amountQuote])).toEqual([[alice, m, 105n]]);
    engine.liquidate(POLICY);
    // Round 2's record now stands first in the core; the earlier view still holds round 1's.
    expect(rows(engine.deficitsView())).toEqual([[alice, m, 45n]]);
    expect(rows(first)).toEqual([[alice, m, 105n]]);
  });
});
