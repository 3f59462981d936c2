/**
 * Parity of the venue withdrawal capacity and the queue: seeded random sequences of requests,
 * serves, time steps, deposits, notes of negative equity and reconfigurations on the engine and on
 * the BigInt model (test/reference/economics-capacity.ts) give the same answers, the same capacity,
 * gate and queue, the same collateral and uncovered losses, and a ledger that falls by exactly what
 * left the venue. Some venues start with uncovered losses (a bankrupt account liquidated with an
 * empty insurance fund), so the loss charge is exercised; some hold collateral near 2^62 per
 * account, so the total value's clamp is.
 */
import { describe, expect, it } from 'vitest';
import type { RiskCoreError, RiskEngine } from '../../dist/src/node.js';
import { CapacityModel, LIMIT, type CapacityConfig, type Refusal } from '../reference/economics-capacity.js';
import { Rng } from '../support/book.js';
import { caught, createEngine } from '../support/engine.js';

const USD = 1_000_000n;
const BTC = { baseDecimals: 8, markPrice: 50_000n * USD, curve: { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 } };

function randomConfig(rng: Rng, tv: bigint): CapacityConfig {
  return {
    periodSec: BigInt(rng.pick([0, 1, 60, 3600, 86_400, rng.int(2, 10_000)])),
    minQuote: rng.pick([0n, 1n, 1_000n * USD, rng.bigTo(tv / 10n + 1n), rng.bigTo(LIMIT)]),
    ppm: BigInt(rng.pick([0, 1, 10_000, 100_000, 1_000_000, rng.int(0, 1_000_000)])),
    gateSec: BigInt(rng.pick([0, 0, 50, rng.int(1, 5000)])),
    lossCharge: rng.chance(0.6),
  };
}

async function venue(rng: Rng): Promise<{ engine: RiskEngine; model: CapacityModel }> {
  const engine = await createEngine({ maxAccounts: 64 });
  const m = engine.addMarket(BTC);
  const huge = rng.chance(0.25);
  const n = rng.int(2, 7);
  const collaterals = Array.from({ length: n }, () => (huge && rng.chance(0.5) ? LIMIT - rng.bigTo(1000n) : rng.bigTo(rng.pick([1000n, 10_000n * USD, 100_000_000n * USD]))));
  engine.addAccounts(collaterals.map((c) => ({ collateralQuote: c })));
  if (rng.chance(0.6)) {
    // A bankrupt account liquidated into an empty insurance fund: its deficit stays uncovered.
    const loss = BigInt(rng.int(1, 20_000)) * USD + rng.bigTo(USD);
    engine.addAccounts([{ collateralQuote: 1_000n * USD, positions: [{ marketId: m, sizeBase: 100_000_000n, quoteBalance: -51_000n * USD - loss }] }]);
    engine.check();
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
    engine.liquidate({ close: 'full' }, { allocate: true });
    expect(engine.account(n).positions.length).toBe(0);
  }
  const collateral = Array.from({ length: engine.accountCount }, (_, a) => engine.account(a).collateralQuote);
  const b = engine.waterfallBalances();
  return { engine, model: new CapacityModel(collateral, b.uncoveredQuote, b.coveredQuote) };
}

function bankruptSeen(engine: RiskEngine): boolean {
  const s = engine.summary().book;
  return s.accounts.bankrupt + s.isolated.bankrupt > 0;
}

/** The engine's outcome of a call, or its refusal's code name. */
function attempt<T>(call: () => T): T | Refusal {
  try { return call(); } catch (x) { return { refused: (x as RiskCoreError).codeName as Refusal['refused'] }; }
}

function expectSameState(engine: RiskEngine, model: CapacityModel, total0: bigint): void {
  const s = engine.withdrawalState();
  expect(s.capacityQuote).toBe(model.config.periodSec === 0n ? null : model.capacity);
  expect(s.capacitySec).toBe(model.capacitySec < 0n ? null : model.capacitySec);
  expect(s.gatedUntilSec).toBe(model.gatedUntil);
  expect(s.baselineQuote).toBe(model.config.periodSec === 0n ? null : model.baseline());
  expect(s.queue.map((r) => [BigInt(r.requestId), r.accountId, r.amountQuote, r.sinceSec])).toEqual(model.queue.map((r) => [r.id, r.account, r.amount, r.since]));
  expect(s.queuedQuote).toBe(model.queuedTotal);
  for (let a = 0; a < model.collateral.length; a++) expect(engine.account(a).collateralQuote).toBe(model.collateral[a]);
  const b = engine.waterfallBalances();
  expect([b.uncoveredQuote, b.coveredQuote]).toEqual([model.uncovered, model.covered]);
  expect(total0 - engine.ledger().totalQuote).toBe(model.left);
}

/** How often each feature was exercised, over every sequence. */
const seen = { charge: 0, dropped: 0, partial: 0, several: 0, gated: 0, queued: 0 };

async function runSequence(seed: number, steps: number): Promise<void> {
  const rng = new Rng(seed);
  const { engine, model } = await venue(rng);
  const total0 = engine.ledger().totalQuote;
  let t = rng.int(0, 1000);
  const config = randomConfig(rng, model.totalValue());
  engine.setWithdrawalCapacity({ periodSec: Number(config.periodSec), minQuote: config.minQuote, ppmOfTotal: Number(config.ppm), gateSec: Number(config.gateSec), lossCharge: config.lossCharge });
  model.configure(config);
  for (let i = 0; i < steps; i++) {
    const op = rng.float();
    const bankrupt = bankruptSeen(engine);
    if (op < 0.4) {
      const a = rng.chance(0.95) ? rng.int(0, model.collateral.length - 1) : model.collateral.length;
      const room = a < model.collateral.length ? model.mayWithdraw(model, a) - model.queue.filter((r) => r.account === a).reduce((s, r) => s + r.amount, 0n) : 0n;
      const amount = rng.pick([1n, room, room + 1n, rng.bigTo(room > 0n ? room : 1n), rng.bigTo(room / 3n + 1n), rng.bigTo(LIMIT)]);
      const now = rng.chance(0.03) ? t - 1 : t;
      const got = attempt(() => engine.requestWithdrawal(a, amount, now));
      const want = model.request(a, amount, BigInt(now), bankrupt);
      if ('refused' in want) {
        // The facade refuses amounts outside 1..2^62 as OutOfRange before the core: the same code.
        expect(got).toEqual(want);
      } else {
        if (want.queued > 0n) seen.queued++;
        expect(got).toEqual({ requestId: Number(want.id), paidQuote: want.paid, chargeQuote: want.charge, receivedQuote: want.paid - want.charge, queuedQuote: want.queued });
      }
    } else if (op < 0.65) {
      const now = rng.chance(0.03) ? t - 1 : t;
      const got = attempt(() => engine.serveWithdrawals(now));
      const want = model.serve(BigInt(now), bankrupt);
      if ('refused' in want) expect(got).toEqual(want);
      else {
        if ('refused' in got) throw new Error(`serve refused: ${got.refused}`);
        expect([got.paidQuote, got.chargeQuote, got.droppedQuote, got.stillQueuedQuote]).toEqual([want.paid, want.charge, want.dropped, want.stillQueued]);
        if (want.charge > 0n) seen.charge++;
        if (want.dropped > 0n) seen.dropped++;
        if (want.payments.some((p) => !p.complete)) seen.partial++;
        if (want.payments.length > 1) seen.several++;
        if (want.paid === 0n && want.stillQueued > 0n && model.gatedUntil > BigInt(now)) seen.gated++;
        expect(got.served.map((s) => [BigInt(s.requestId), s.accountId, s.paidQuote, s.chargeQuote, s.complete])).toEqual(want.payments.map((p) => [p.id, p.account, p.paid, p.charge, p.complete]));
      }
    } else if (op < 0.82) {
      const period = Number(model.config.periodSec) || 3600;
      t += rng.pick([0, 1, rng.int(1, period), rng.int(period, 2 * period), rng.int(0, 5000)]);
    } else if (op < 0.9) {
      const a = rng.int(0, model.collateral.length - 1);
      const x = rng.bigTo(rng.pick([1000n, 1_000_000n * USD]) ) + 1n;
      if (model.collateral[a]! + x <= LIMIT) { engine.deposit(a, x); model.collateral[a] = model.collateral[a]! + x; model.left -= x; /* money in */ }
    } else if (op < 0.93) {
      // Collateral that leaves outside the queue (a direct withdraw, or a stake while the queue is the
      // only way out): queued requests of the account may be cut when served.
      const a = rng.int(0, model.collateral.length - 1), c = model.collateral[a]!;
      if (c > 0n) {
        const x = rng.bigTo(c - 1n) + 1n;
        // With a capacity, gate or loss charge set, every withdrawal goes through the queue: the
        // collateral leaves for an insurance fund instead (a stake: money that stays in the venue).
        if (model.config.periodSec !== 0n || model.config.gateSec !== 0n || model.config.lossCharge) {
          expect(caught(() => engine.withdraw(a, x)).codeName).toBe('WithdrawThroughQueue');
          const staked = x < 10n ** 15n ? x : 10n ** 15n; // the fund's shares stay well inside 2^62
          engine.stake(a, 0, staked, 0);
          model.collateral[a] = c - staked;
        } else {
          engine.withdraw(a, x);
          model.collateral[a] = c - x; model.left += x;
        }
      }
    } else if (op < 0.97) {
      engine.noteNegativeEquity(t);
      model.noteNegativeEquity(BigInt(t));
    } else {
      const c = randomConfig(rng, model.totalValue());
      engine.setWithdrawalCapacity({ periodSec: Number(c.periodSec), minQuote: c.minQuote, ppmOfTotal: Number(c.ppm), gateSec: Number(c.gateSec), lossCharge: c.lossCharge });
      model.configure(c);
    }
    expectSameState(engine, model, total0);
  }
  engine.dispose();
}

describe('capacity parity: engine and BigInt model on seeded random sequences', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}`, async () => { await runSequence(seed * 7919, 150); });
  }
  it('the sequences exercised loss charges, cuts, partial and multiple payments, the gate and the queue', () => {
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });
});
