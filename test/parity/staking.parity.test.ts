/**
 * Parity of insurance-fund staking: seeded random sequences of setStaking, stake, requestUnstake,
 * cancelUnstake, unstake and settleStakingRevenue, with revenue into the stakers' pools, deposits
 * into the funds and losses drawn by the waterfall in between, run on the engine and on the BigInt
 * model (test/reference/economics-staking.ts). After every call: the same answer or the same
 * refusal, the same flows, every fund's staking state, every staker's shares, request and value, and
 * every staker's collateral; the ledger's total is unchanged by every staking call.
 *
 * Revenue and losses are inputs of the model: what the fee split put into a pool and what the
 * waterfall drew (checked against the model's min(deficit, balance)).
 */
import { describe, expect, it } from 'vitest';
import { RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { Rng } from '../support/book.js';
import { createEngine } from '../support/engine.js';
import { flatMarket } from '../scenarios/support.js';
import { addRevenue, drawFund } from '../support/staking.js';
import { LIMIT, StakingModel, type Answer, type ModelConfig } from '../reference/economics-staking.js';

const DAY = 86_400;
const STAKERS = 5;
/** Outcomes reached (call kind: positive, zero or the refusal), over every seed. */
const seen = new Map<string, number>();
const STAKING_FLOWS = new Set(['stake', 'unstake', 'unstakeForfeit', 'stakingSettle']);

interface Venue { engine: RiskEngine; model: StakingModel; trader: number; markets: number[]; fundOf: number[] }

async function venue(rng: Rng): Promise<Venue> {
  const engine = await createEngine({ maxAccounts: 1_000, maxPositions: 2_000 });
  // Market 0 pays into the global fund 0; markets 1 and 2 into their own (funds 2 and 3); fund 1 is market 0's own, unused.
  const markets = [engine.addMarket(flatMarket(1n)), engine.addMarket(flatMarket(1n, 0, { insuranceFund: 'own' })), engine.addMarket(flatMarket(1n, 0, { insuranceFund: 'own' }))];
  const collateral = Array.from({ length: STAKERS }, (_, i) => (i === STAKERS - 1 ? LIMIT - BigInt(rng.int(0, 3)) : BigInt(rng.int(0, 2_000_000_000))));
  engine.addAccounts(collateral.map((c) => ({ collateralQuote: c })));
  const [trader] = engine.addAccounts([{ collateralQuote: 10n ** 16n }]);
  const model = new StakingModel(engine.marketCount + 1, collateral);
  model.usedFunds = new Set([0, 2, 3]);
  return { engine, model, trader: trader!, markets, fundOf: [0, 2, 3] };
}

function randomConfig(rng: Rng): ModelConfig {
  return {
    periodSec: BigInt(rng.pick([0, 1, 60, 3_600, DAY, 366 * DAY])),
    maxAprPpm: BigInt(rng.pick([0, 1, 100_000, 10_000_000, 1_000_000_000, rng.int(0, 1_000_000_000)])),
    stakerFactorPpm: BigInt(rng.pick([0, 500_000, 1_000_000, rng.int(0, 1_000_000)])),
    settleFractionPpm: BigInt(rng.pick([1, 100_000, 1_000_000, rng.int(1, 1_000_000)])),
    cooldownSec: BigInt(rng.pick([0, 10, 3_600, 13 * DAY])),
  };
}

/** An amount of quote atoms: small, large, extreme, or out of range. */
function amount(rng: Rng, v: Venue, a: number): bigint {
  return rng.pick<() => bigint>([
    () => 0n, () => 1n, () => BigInt(rng.int(1, 1_000)), () => BigInt(rng.int(1, 1_000_000_000)),
    () => (a >= 0 && a < STAKERS ? v.model.collateral[a]! : 1n), () => rng.bigTo(LIMIT), () => LIMIT, () => LIMIT + 1n, () => -5n,
  ])();
}

/** What the engine answered: the value, or the refusal's code name (and field, for the model's config refusals). */
function engineAnswer(fn: () => bigint | void): Answer {
  try {
    const r = fn();
    return { ok: typeof r === 'bigint' ? r : 0n };
  } catch (x) {
    if (!(x instanceof RiskCoreError)) throw x;
    return { error: x.codeName === 'InvalidEconomics' ? `${x.codeName}:${x.field}` : x.codeName };
  }
}

function expectState(v: Venue, where: string): void {
  const { engine, model } = v;
  model.funds.forEach((F, f) => {
    const s = engine.staking(f);
    expect({ balance: s.balanceQuote, total: s.totalShares, stakerShares: s.stakerShares, pool: s.revenuePoolQuote, lastSettle: s.lastSettleSec }, `${where}: fund ${f}`)
      .toEqual({ balance: F.balance, total: F.total, stakerShares: F.stakerShares, pool: F.pool, lastSettle: F.lastSettle });
    const want = model.stakers.filter((x) => x.fund === f).map((x) => ({
      accountId: x.account, shares: x.shares, valueQuote: model.value(x), request: x.req === 0n ? null : { shares: x.req, valueQuote: x.reqValue, sinceSec: x.reqSec },
    }));
    expect(s.stakers, `${where}: stakers of fund ${f}`).toEqual(want);
  });
  for (let a = 0; a < STAKERS; a++) expect(engine.account(a).collateralQuote, `${where}: collateral of ${a}`).toBe(model.collateral[a]);
}

/** One random step on both sides; returns a label. */
function step(v: Venue, rng: Rng, now: number): string {
  const { engine, model } = v;
  // Mostly an existing stake (account, fund); else any staker and fund; rarely an unknown id.
  const held = model.stakers.filter((x) => x.shares > 0n);
  const known = held.length > 0 && rng.chance(0.7) ? rng.pick(held) : null;
  const a = known ? known.account : rng.chance(0.97) ? rng.int(0, STAKERS - 1) : engine.accountCount;
  const f = known ? known.fund : rng.chance(0.97) ? rng.pick(v.fundOf) : rng.pick([1, engine.marketCount + 1]);
  const t = BigInt(now);
  const flowsBefore = engine.flowLog.length;
  const ledgerBefore = engine.ledger().totalQuote;
  let label: string, got: Answer, want: Answer;
  switch (rng.pick(['stake', 'stake', 'stake', 'request', 'request', 'cancel', 'unstake', 'unstake', 'settle', 'settle', 'config', 'revenue', 'revenue', 'deposit', 'deposit', 'loss'])) {
    case 'stake': {
      const q = amount(rng, v, a);
      label = `stake(${a}, ${f}, ${q})`;
      got = engineAnswer(() => engine.stake(a, f, q, now));
      want = model.stake(a, f, q, t);
      break;
    }
    case 'request': {
      const held = model.stakers.find((s) => s.account === a && s.fund === f)?.shares ?? 0n;
      const n = rng.pick<() => bigint>([() => held, () => rng.bigTo(held), () => held + 1n, () => 0n, () => 1n, () => -1n])();
      label = `requestUnstake(${a}, ${f}, ${n})`;
      got = engineAnswer(() => engine.requestUnstake(a, f, n, now));
      want = model.requestUnstake(a, f, n, t);
      break;
    }
    case 'cancel':
      label = `cancelUnstake(${a}, ${f})`;
      got = engineAnswer(() => engine.cancelUnstake(a, f, now));
      want = model.cancelUnstake(a, f, t);
      break;
    case 'unstake':
      label = `unstake(${a}, ${f})`;
      got = engineAnswer(() => engine.unstake(a, f, now));
      want = model.unstake(a, f, t);
      break;
    case 'settle':
      label = 'settle';
      got = engineAnswer(() => engine.settleStakingRevenue(now));
      want = model.settle(t);
      break;
    case 'config': {
      const c = randomConfig(rng);
      if (rng.chance(0.2)) c.settleFractionPpm = 0n;
      label = `setStaking(${JSON.stringify(c, (_k, x) => (typeof x === 'bigint' ? `${x}` : x))})`;
      got = engineAnswer(() => engine.setStaking({
        settlePeriodSec: Number(c.periodSec), maxAprPpm: Number(c.maxAprPpm), stakerFactorPpm: Number(c.stakerFactorPpm),
        settleFractionPpm: Number(c.settleFractionPpm), cooldownSec: Number(c.cooldownSec),
      }));
      want = model.setStaking(c);
      break;
    }
    case 'revenue': {
      const m = rng.int(0, v.markets.length - 1), x = BigInt(rng.pick([1, rng.int(1, 1_000), rng.int(1, 1_000_000_000)]));
      label = `revenue(${m}, ${x})`;
      addRevenue(engine, m, v.trader, x);
      model.funds[v.fundOf[m]!]!.pool += x;
      got = want = { ok: 0n };
      break;
    }
    case 'deposit': {
      const m = rng.int(0, v.markets.length - 1), x = BigInt(rng.int(1, 1_000_000));
      label = `deposit(${m}, ${x})`;
      got = engineAnswer(() => engine.depositInsuranceFund(x, m));
      want = model.funds[v.fundOf[m]!]!.balance + x > LIMIT ? { error: 'Overflow' } : { ok: 0n };
      if ('ok' in want) model.funds[v.fundOf[m]!]!.balance += x;
      break;
    }
    default: {
      const m = rng.int(0, v.markets.length - 1), x = BigInt(rng.pick([1, rng.int(1, 1_000), rng.int(1, 2_000_000_000)]));
      label = `loss(${m}, ${x})`;
      const paid = drawFund(engine, m, x);
      got = { ok: paid };
      want = { ok: model.draw(v.fundOf[m]!, x) };
      break;
    }
  }
  expect(got, label).toEqual(want);
  const kind = label.slice(0, label.search(/[(]|$/));
  const tag = `${kind}:${'ok' in want ? (want.ok > 0n ? 'positive' : 'zero') : want.error}`;
  seen.set(tag, (seen.get(tag) ?? 0) + 1);
  if (['stake', 'requestUnstake', 'cancelUnstake', 'unstake', 'settle'].some((k) => label.startsWith(k))) {
    expect(engine.ledger().totalQuote, `${label}: ledger total`).toBe(ledgerBefore);
    const flows = engine.flowLog.records(flowsBefore).filter((r) => STAKING_FLOWS.has(r.kind)).map((r) => [r.kind, r.accountId, r.id, r.amountQuote]);
    expect(flows, `${label}: flows`).toEqual('ok' in want ? model.flows : []);
    if ('ok' in want && flows.length > 0) expect(engine.flowLog.records(flowsBefore).every((r) => r.sec === t), `${label}: flow seconds`).toBe(true);
  }
  return label;
}

describe('staking parity with the BigInt model', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: 200 random calls`, async () => {
      const rng = new Rng(seed * 7_919);
      const v = await venue(rng);
      const c = randomConfig(rng);
      c.periodSec = BigInt(rng.pick([60, 3_600, DAY]));
      v.engine.setStaking({ settlePeriodSec: Number(c.periodSec), maxAprPpm: Number(c.maxAprPpm), stakerFactorPpm: Number(c.stakerFactorPpm), settleFractionPpm: Number(c.settleFractionPpm), cooldownSec: Number(c.cooldownSec) });
      v.model.setStaking(c);
      let now = 0;
      const labels: string[] = [];
      for (let i = 0; i < 200; i++) {
        now += rng.pick([0, 1, 59, 3_600, rng.int(0, 2 * DAY), 13 * DAY, 14 * DAY]);
        const label = step(v, rng, rng.chance(0.05) ? rng.int(0, now) : now);
        labels.push(label);
        expectState(v, `#${i} ${label}`);
      }
      v.engine.dispose();
    });
  }

  it('the sequences reached the interesting outcomes', () => {
    for (const tag of ['stake:positive', 'stake:BelowInitialMargin', 'stake:OutOfRange', 'stake:UnstakeRequestPending', 'stake:Overflow', 
      'requestUnstake:positive', 'requestUnstake:SharesNotHeld', 'cancelUnstake:positive', 'cancelUnstake:zero', 'unstake:positive', 'unstake:CooldownNotOver', 'unstake:NoUnstakeRequest',
      'settle:positive', 'settle:zero', 'loss:positive']) expect(seen.get(tag) ?? 0, tag).toBeGreaterThan(0);
  });
});
