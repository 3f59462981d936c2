/**
 * Parity of the vault's depositor terms: seeded random sequences of deposits, withdrawals, NAV moves
 * (money into or out of the vault account) and term changes, run on the engine and on the BigInt
 * model (test/reference/economics-vault.ts). After every call: the same outcome (amounts, or the
 * refusal's code and field), the same flow rows, the same providers (shares, high-water marks,
 * last deposit seconds), NAV, total shares and every collateral; the ledger's total unchanged by
 * every vault call (conservation), and a refused call changes nothing. Amounts range from one atom
 * to 2^59, so the products need the 128-bit intermediates.
 */
import { describe, expect, it } from 'vitest';
import { RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { DAY, isRefusal, MAX_LOCKUP_SEC, VaultModel, type RefFlow, type RefTerms, type Refusal } from '../reference/economics-vault.js';
import { Rng } from '../support/book.js';
import { createEngine, stateDigest } from '../support/engine.js';

const PROVIDERS = 4;

interface World { engine: RiskEngine; model: VaultModel; rng: Rng; vault: number; ids: number[]; operator: number; now: bigint; scale: bigint }

async function world(seed: number, release: boolean): Promise<World> {
  const rng = new Rng(seed);
  const scale = rng.pick([1_000n, 1_000_000_000n, 1n << 40n, 1n << 57n]);
  const engine = await createEngine({ release, maxAccounts: 16, maxPositions: 16, maxIsolated: 4, maxMarkets: 2 });
  const collateral = [0n, ...Array.from({ length: PROVIDERS }, () => rng.bigTo(scale * 4n) + 1n), rng.bigTo(scale)];
  const ids = engine.addAccounts(collateral.map((c) => ({ collateralQuote: c })));
  engine.setVaultAccount(ids[0]!);
  return { engine, model: new VaultModel(0, collateral), rng, vault: 0, ids: ids.slice(1, 1 + PROVIDERS), operator: ids[PROVIDERS + 1]!, now: BigInt(rng.int(0, 1_000_000)), scale };
}

function outcome<T>(fn: () => T): T | Refusal {
  try { return fn(); } catch (x) {
    if (!(x instanceof RiskCoreError)) throw x;
    return { refused: x.codeName, field: x.field };
  }
}

function randomTerms(w: World): RefTerms {
  const r = w.rng;
  const operator = r.chance(0.1) ? null : r.chance(0.15) ? r.pick([w.vault, w.ids[0]!]) : w.operator;
  return {
    lockupSec: r.chance(0.1) ? MAX_LOCKUP_SEC + BigInt(r.int(0, 1)) : BigInt(r.pick([0, r.int(0, 5 * 86_400), 4 * 86_400])),
    profitSharePpm: operator === null && r.chance(0.8) ? 0n : BigInt(r.pick([0, r.int(0, 1_000_000), 100_000, 1_000_000, 1_000_001])),
    slippagePpm: BigInt(r.pick([0, r.int(0, 500_000), 5_000, 500_000, 500_001])),
    operator,
  };
}

/** Shares to withdraw: one, all, a random part, or more than held. */
function sharesFor(w: World, a: number): bigint {
  const held = w.model.providers.get(a)?.shares ?? 0n;
  return w.rng.pick([1n, held, w.rng.bigTo(held), held + 1n, 0n]);
}

function expectSame(w: World): void {
  const v = w.engine.vault();
  expect(v.navQuote, 'NAV').toBe(w.model.nav);
  expect(v.totalShares, 'total shares').toBe(w.model.totalShares);
  expect(v.providers).toEqual(w.model.order.map((a) => {
    const p = w.model.providers.get(a)!;
    return { accountId: a, shares: p.shares, lastDepositSec: p.lastDepositSec, highWaterMarkQuote: p.hwm };
  }));
  expect(v.terms).toEqual({ lockupSec: Number(w.model.terms.lockupSec), profitSharePpm: Number(w.model.terms.profitSharePpm), slippagePpm: Number(w.model.terms.slippagePpm), operatorAccountId: w.model.terms.operator });
  for (let a = 0; a < w.model.collateral.length; a++) expect(w.engine.account(a).collateralQuote, `collateral of ${a}`).toBe(w.model.collateral[a]);
}

/**
 * One vault call on both sides: the same outcome (the engine's answer mapped by `answer`, or the
 * refusal), the same flow rows, the ledger's total kept, nothing changed by a refusal.
 */
function step<T, M extends { flows: RefFlow[] }>(w: World, label: string, engineCall: () => T, answer: (r: T) => object, modelCall: () => M | Refusal): M | Refusal {
  const ledger = w.engine.ledger().totalQuote, before = stateDigest(w.engine), n = w.engine.flowLog.length;
  const got = outcome(engineCall);
  const want = modelCall();
  if (isRefusal(want)) {
    expect(got, label).toEqual(want);
    expect(stateDigest(w.engine), `${label}: refused, unchanged`).toBe(before);
  } else {
    const { flows: _flows, ...amounts } = want;
    expect(isRefusal(got) ? got : answer(got as T), label).toEqual(amounts);
  }
  expect(w.engine.ledger().totalQuote, `${label}: conservation`).toBe(ledger);
  const flows: RefFlow[] = w.engine.flowLog.records(n).map((f) => ({ kind: f.kind as RefFlow['kind'], accountId: f.accountId!, amountQuote: f.amountQuote, sec: f.sec }));
  expect(flows, `${label}: flows`).toEqual(isRefusal(want) ? [] : want.flows);
  return want;
}

function run(w: World, calls: number): { withdrawals: number; profitShares: number; locked: number } {
  const tally = { withdrawals: 0, profitShares: 0, locked: 0 };
  const r = w.rng;
  for (let i = 0; i < calls; i++) {
    w.now += BigInt(r.pick([0, r.int(0, 3600), r.int(0, 2 * Number(DAY))]));
    const back = r.chance(0.05) ? w.now - BigInt(r.int(0, 86_400)) : w.now; // a caller's clock may go back
    const sec = back < 0n ? 0n : back;
    const kind = r.int(0, 9);
    if (kind <= 2) {
      const a = r.pick(w.ids), amount = r.pick([1n, r.bigTo(w.scale), r.bigTo(w.model.collateral[a]!), w.model.collateral[a]! + 1n, 0n]);
      step(w, `#${i} deposit(${a}, ${amount}, ${sec})`, () => w.engine.vaultDeposit(a, amount, Number(sec)), (minted) => ({ minted }), () => w.model.deposit(a, amount, sec));
    } else if (kind <= 5) {
      const a = r.pick(w.ids), shares = sharesFor(w, a);
      const out = step(w, `#${i} withdraw(${a}, ${shares}, ${sec})`, () => w.engine.vaultWithdrawDetailed(a, shares, Number(sec)),
        (got) => ({ paid: got.paidQuote, profitShare: got.profitShareQuote, slippage: got.slippageQuote }), () => w.model.withdraw(a, shares, sec));
      if (!isRefusal(out)) { tally.withdrawals++; if (out.profitShare > 0n) tally.profitShares++; }
      else if (out.refused === 'VaultLocked') tally.locked++;
    } else if (kind <= 7) {
      // A NAV move: the vault earns (money in) or loses (money out) outside the share arithmetic.
      if (r.chance(0.6)) { const x = r.bigTo(w.scale) + 1n; w.engine.deposit(w.vault, x); w.model.moveNav(x); }
      else if (w.model.nav > 0n) { const x = r.chance(0.05) ? w.model.nav : r.bigTo(w.model.nav / 4n) + 1n; w.engine.withdraw(w.vault, x); w.model.moveNav(-x); }
    } else {
      const t = randomTerms(w);
      const got = outcome(() => w.engine.setVaultTerms({ lockupSec: Number(t.lockupSec), profitSharePpm: Number(t.profitSharePpm), slippagePpm: Number(t.slippagePpm), operatorAccountId: t.operator }));
      const want = w.model.setTerms(t);
      expect(got ?? null, `#${i} setVaultTerms`).toEqual(want);
    }
    expectSame(w);
  }
  return tally;
}

describe('vault depositors: engine vs BigInt model', () => {
  for (const release of [false, true]) {
    it(`[${release ? 'release' : 'debug'}] 40 seeded sequences of 60 calls agree`, async () => {
      const total = { withdrawals: 0, profitShares: 0, locked: 0 };
      for (let seed = 1; seed <= 40; seed++) {
        const w = await world(seed * 7919 + (release ? 1 : 0), release);
        const t = run(w, 60);
        total.withdrawals += t.withdrawals; total.profitShares += t.profitShares; total.locked += t.locked;
        w.engine.dispose();
      }
      // The sequences reach every branch that matters.
      expect(total.withdrawals).toBeGreaterThan(50);
      expect(total.profitShares).toBeGreaterThan(10);
      expect(total.locked).toBeGreaterThan(5);
    }, 120_000);
  }
});
