/**
 * Support for the regression tests of the public API's validation: a digest of everything a caller
 * can observe, and a small book holding a bit of every kind of state (markets with a global and an
 * own insurance fund, cross and isolated positions, a liquidatable and a bankrupt account, a vault
 * with a provider, a clearing member, operator capital, a waterfall), so that a refused call that
 * moved anything at all shows up in the digest.
 */
import { expect } from 'vitest';
import { RiskCoreError, type RiskEngine } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';

/**
 * Everything observable, as text: counts, every account (state and latest figures), every market
 * with its insurance fund, the global fund, the ledger, the waterfall balances, the vault and its
 * providers, clearing members, pending deficits, the health tallies, the audit log's length and the
 * last execution's log.
 */
export function observableState(engine: RiskEngine): string {
  const state = {
    counts: [engine.accountCount, engine.marketCount],
    accounts: Array.from({ length: engine.accountCount }, (_, a) => engine.account(a)),
    markets: Array.from({ length: engine.marketCount }, (_, m) => ({ ...engine.market(m), fundQuote: engine.insuranceFund(m) })),
    globalFundQuote: engine.insuranceFund(),
    ledger: engine.ledger(),
    balances: engine.waterfallBalances(),
    vault: engine.vault(),
    members: engine.clearingMembers(),
    deficits: engine.deficits(),
    summary: engine.summary(),
    auditRecords: engine.auditLog.length,
    liquidationLog: engine.liquidationLog(),
  };
  return JSON.stringify(state, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Calls `fn`, which must throw a RiskCoreError (optionally with this field), and must change nothing observable. */
export function expectRefusedUnchanged(engine: RiskEngine, fn: () => unknown, what: string, field?: string): RiskCoreError {
  const before = observableState(engine);
  let thrown: unknown = null;
  try { fn(); } catch (e) { thrown = e; }
  expect(thrown, `${what}: must be refused with a RiskCoreError (got ${String(thrown)})`).toBeInstanceOf(RiskCoreError);
  if (field !== undefined) expect((thrown as RiskCoreError).field, `${what}: ${String(thrown)}`).toBe(field);
  expect(observableState(engine), `${what}: the engine changed`).toBe(before);
  return thrown as RiskCoreError;
}

/** Ids of the fixture book. */
export interface Fixture {
  engine: RiskEngine;
  /** Market 0 pays into the global fund; market 1 has its own. Flat curves, IM 10 %, MM 5 %, D = 1. */
  m0: number;
  m1: number;
  /** Accounts: 0 long, 1 short (healthy), 2 liquidatable, 3 the vault, 4 its provider, 5 isolated, 6 bankrupt. */
  long: number;
  short: number;
  liquidatable: number;
  vault: number;
  provider: number;
  isolated: number;
  bankrupt: number;
}

/**
 * The fixture book, checked. Figures (D = 1, mark 100 in m0, 200 in m1, positions entered at the mark):
 *   account 2: collateral 40, long 10 m0: value 0, equity 40, MM = 5 % x 1,000 = 50: liquidatable;
 *   account 6: collateral -50, long 10 m0: equity -50 < 0: bankrupt.
 * With `settled`, a full cascade (waterfall on) has already run, so nothing is liquidatable.
 */
export async function fixture(options: { settled?: boolean; waterfall?: boolean } = {}): Promise<Fixture> {
  const engine = await createEngine({ maxAccounts: 64, maxPositions: 256, maxIsolated: 16, maxMarkets: 4 });
  const flat = { kind: 'flat' as const, imfPpm: 100_000, mmfPpm: 50_000 };
  const m0 = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: flat });
  const m1 = engine.addMarket({ baseDecimals: 0, markPrice: 200n, curve: flat, insuranceFund: 'own' });
  engine.depositInsuranceFund(1_000n);
  engine.depositInsuranceFund(500n, m1);
  const ids = engine.addAccounts([
    { collateralQuote: 10_000n, positions: [{ marketId: m0, sizeBase: 10n, quoteBalance: -1_000n }] },
    { collateralQuote: 10_000n, positions: [{ marketId: m0, sizeBase: -10n, quoteBalance: 1_000n }] },
    { collateralQuote: 40n, positions: [{ marketId: m0, sizeBase: 10n, quoteBalance: -1_000n }] },
    {},
    { collateralQuote: 5_000n },
    { collateralQuote: 1_000n, isolated: [{ marketId: m1, sizeBase: -5n, quoteBalance: 1_000n, collateralQuote: 200n }] },
    { collateralQuote: -50n, positions: [{ marketId: m0, sizeBase: 10n, quoteBalance: -1_000n }] },
  ]);
  const [long, short, liquidatable, vault, provider, isolated, bankrupt] = ids as [number, number, number, number, number, number, number];
  engine.setVaultAccount(vault);
  engine.vaultDeposit(provider, 1_000n);
  engine.addDefaultFundContribution(long, 300n);
  engine.depositOperatorCapital(1, 100n);
  if (options.waterfall !== false) {
    engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }, { kind: 'backstopVault' }, { kind: 'adl', ranking: 'bitmex' }] });
  }
  engine.check();
  if (options.settled) engine.liquidate({ close: 'full' }, { allocate: true });
  return { engine, m0, m1, long, short, liquidatable, vault, provider, isolated, bankrupt };
}
