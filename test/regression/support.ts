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

/** The README's loss book (below) with its market and the three accounts' ids. */
export interface LossBook { engine: RiskEngine; m: number; alice: number; bob: number; carol: number }

/**
 * The README's loss book: D = 1, a flat curve IM 10 % / MM 5 %, insurance fund 30. Mark 100 -> 80:
 *   alice  collateral 50, long 10 entered at 100:  E = 50 + 800 - 1,000 = -150 (bankrupt), MM 40
 *   bob    collateral 1,000, short 10 at 100:     v = -800 + 1,000 = 200, E = 1,200, N = 800, Q = 1,000
 *   carol  collateral 1,000, short 5 at 120:      v = -400 + 600 = 200,   E = 1,200, N = 400, Q = 600
 * A full close of alice at 80 records a deficit of 150 (d = -10, q = 80). `checked`: a full check
 * has run at the new mark.
 */
export async function lossBook(options: { checked?: boolean } = {}): Promise<LossBook> {
  const engine = await createEngine();
  const m = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  const [alice, bob, carol] = engine.addAccounts([
    { collateralQuote: 50n, positions: [{ marketId: m, sizeBase: 10n, quoteBalance: -1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -10n, quoteBalance: 1_000n }] },
    { collateralQuote: 1_000n, positions: [{ marketId: m, sizeBase: -5n, quoteBalance: 600n }] },
  ]);
  engine.depositInsuranceFund(30n);
  engine.setMarks([m], [80n]);
  if (options.checked) engine.check();
  return { engine, m, alice: alice!, bob: bob!, carol: carol! };
}

/** A parameter of a public call: its name, the field a refusal names, and the call with a value put in it. */
export type ParameterCase = readonly [name: string, field: string, call: (f: Fixture, v: never) => unknown];

/** Every parameter that takes an account, market, fund or layer id, or a count, on the fixture. */
export const ID_PARAMETERS: readonly ParameterCase[] = [
  ['market(id)', 'marketId', (f, v) => f.engine.market(v)],
  ['insuranceFund(marketId)', 'marketId', (f, v) => f.engine.insuranceFund(v)],
  ['depositInsuranceFund(amount, marketId)', 'marketId', (f, v) => f.engine.depositInsuranceFund(5n, v)],
  ['account(accountId)', 'accountId', (f, v) => f.engine.account(v)],
  ['positionPrices(accountId)', 'accountId', (f, v) => f.engine.positionPrices(v)],
  ['positionPricesView(fromAccountId)', 'accountId', (f, v) => f.engine.positionPricesView(v)],
  ['deposit(accountId)', 'accountId', (f, v) => f.engine.deposit(v, 1n)],
  ['withdraw(accountId)', 'accountId', (f, v) => f.engine.withdraw(v, 1n)],
  ['closeAccount(accountId)', 'accountId', (f, v) => f.engine.closeAccount(v)],
  ['setVaultAccount(accountId)', 'accountId', (f, v) => f.engine.setVaultAccount(v)],
  ['vaultDeposit(accountId)', 'accountId', (f, v) => f.engine.vaultDeposit(v, 1n)],
  ['vaultWithdraw(accountId)', 'accountId', (f, v) => f.engine.vaultWithdraw(v, 1n)],
  ['addDefaultFundContribution(accountId)', 'accountId', (f, v) => f.engine.addDefaultFundContribution(v, 1n)],
  ['depositOperatorCapital(layer)', 'layer', (f, v) => f.engine.depositOperatorCapital(v, 1n)],
  ['applyFill({ accountId })', 'accountId', (f, v) => f.engine.applyFill({ accountId: v, marketId: f.m0, sizeDeltaBase: 1n, priceQuote: 100n })],
  ['applyFill({ marketId })', 'marketId', (f, v) => f.engine.applyFill({ accountId: f.long, marketId: v, sizeDeltaBase: 1n, priceQuote: 100n })],
  ['preTrade({ accountId })', 'accountId', (f, v) => f.engine.preTrade({ accountId: v, marketId: f.m0, sizeDeltaBase: 1n, priceQuote: 100n })],
  ['preTrade({ marketId })', 'marketId', (f, v) => f.engine.preTrade({ accountId: f.long, marketId: v, sizeDeltaBase: 1n, priceQuote: 100n })],
  ['setMarks([marketId])', 'marketId', (f, v) => f.engine.setMarks([v], [100n])],
  ['setFundingIndices([marketId])', 'marketId', (f, v) => f.engine.setFundingIndices([v], [0n], [0n])],
  ['checkMarkets([marketId])', 'marketId', (f, v) => f.engine.checkMarkets([v])],
  ['check({ accounts: [accountId] })', 'accountId', (f, v) => f.engine.check({ accounts: [v] })],
  ['check({ from })', 'from', (f, v) => f.engine.check({ from: v, count: 1 })],
  ['check({ count })', 'count', (f, v) => f.engine.check({ from: 0, count: v })],
  ['addAccounts(positions[].marketId)', 'marketId', (f, v) => f.engine.addAccounts([{ positions: [{ marketId: v, sizeBase: 1n }] }])],
  ['addAccounts(isolated[].marketId)', 'marketId', (f, v) => f.engine.addAccounts([{ isolated: [{ marketId: v, sizeBase: 1n }] }])],
  ['addMarket({ insuranceFund: { pool } })', 'fundId', (f, v) => f.engine.addMarket({ baseDecimals: 0, markPrice: 1n, curve: { kind: 'flat', imfPpm: 1, mmfPpm: 1 }, insuranceFund: { pool: v } })],
  ['adlRanking(marketId)', 'marketId', (f, v) => f.engine.adlRanking(v, 'long', 'pnl')],
  ['planLiquidations({ backstopAccountId })', 'backstopAccountId', (f, v) => f.engine.planLiquidations({ backstopPpm: 1, backstopAccountId: v })],
  ['liquidate({ backstopAccountId })', 'backstopAccountId', (f, v) => f.engine.liquidate({ backstopPpm: 1, backstopAccountId: v })],
  ['setWaterfall(insuranceFund.fund)', 'fundId', (f, v) => f.engine.setWaterfall({ steps: [{ kind: 'insuranceFund', fund: v }] })],
  ['setWaterfall(groups[].markets[])', 'marketId', (f, v) => f.engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }], groups: [{ markets: [v], steps: [{ kind: 'insuranceFund' }] }] })],
  ['setWaterfall(backstopVault.providers[].accountId)', 'backstopAccountId', (f, v) => f.engine.setWaterfall({ steps: [{ kind: 'backstopVault', providers: [{ accountId: v }] }] })],
  ['setWaterfall(operatorCapital.layer)', 'fundId', (f, v) => f.engine.setWaterfall({ steps: [{ kind: 'operatorCapital', layer: v }] })],
];
