// The scenario the browser test runs twice, in Chromium (index.html) and in Node
// (browser.test.ts): the same steps on the same seeded book, so the digests must match.
// Plain JS (ESM) so the page can import it as is; the package is passed in, because the page
// uses the browser entry (dist/src/browser.js) and Node the Node entry (dist/src/node.js).

export const SCENARIO = Object.freeze({
  book: Object.freeze({ accounts: 20_000, seed: 7 }),
  shockPpm: -120_000,
  // After the check: a liquidation cascade (partial closes, a fee split, a tight per-round notional
  // cap so that it takes several rounds), digested again, with its totals and the ledger.
  policy: Object.freeze({ close: 'partial', liquidationFeePpm: 10_000, liquidatorSharePpm: 400_000, maxNotionalPerRoundQuote: '20000', minCloseNotionalQuote: '10' }),
  rounds: 6,
  // Then the loss waterfall over the cascade's deficits: a fund with a drawdown rule, ADL by
  // BitMEX's ranking, funding socialization; markets 1 and 2 have their own: ADL by a function
  // (PnL per notional), then a gains haircut over every account. The same function runs in both.
  fund: '20000',
  waterfall: Object.freeze({
    steps: [{ kind: 'insuranceFund', drawdownPpm: 300_000, drawdownWindowSec: 8 * 3600 }, { kind: 'adl', ranking: 'bitmex' }, { kind: 'socializeFunding' }],
    groups: [{ markets: [1, 2], steps: [{ kind: 'adl', ranking: (c) => Number(c.unrealizedPnlQuote) / Number(c.notionalQuote > 0n ? c.notionalQuote : 1n) }, { kind: 'haircutGains', scope: 'all' }] }],
  }),
  // Capacities that always fit the book: at most 60 positions per account, ~2 % isolated.
  engine: Object.freeze({ maxAccounts: 20_000, maxPositions: 20_000 * 60, maxIsolated: 2_048, maxMarkets: 256 }),
});

/**
 * Creates an engine, loads the seeded book, shocks the marks, checks, digests the results, then runs
 * the liquidation cascade and digests again.
 * @param {{ RiskEngine: any, generateBook: Function, shockMarks: Function }} pkg the package
 * @param {(engine: any) => string} digestEngine test/browser/digest.js or test/support/digest.ts
 * @param {{ wasm?: unknown }} [options] `wasm` is passed to RiskEngine.create when given
 */
export async function runScenario(pkg, digestEngine, options = {}) {
  const now = () => globalThis.performance.now();
  const t0 = now();
  const engine = await pkg.RiskEngine.create({ ...SCENARIO.engine, ...(options.wasm === undefined ? {} : { wasm: options.wasm }) });
  try {
    const t1 = now();
    const book = pkg.generateBook(engine, SCENARIO.book);
    const t2 = now();
    pkg.shockMarks(engine, SCENARIO.shockPpm);
    const summary = engine.check();
    const t3 = now();
    const digest = digestEngine(engine);
    const t4 = now();
    const ledgerBefore = engine.ledger().totalQuote;
    const cascade = engine.liquidate(SCENARIO.policy, { maxRounds: SCENARIO.rounds });
    const t5 = now();
    const text = (o) => JSON.parse(JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    const liquidation = {
      digest: digestEngine(engine),
      rounds: text(cascade.rounds),
      remaining: cascade.remaining,
      deficits: engine.deficits().length,
      ledgerBefore: ledgerBefore.toString(),
      ledgerAfter: engine.ledger().totalQuote.toString(),
      insuranceFund: engine.insuranceFund().toString(),
    };
    engine.depositInsuranceFund(SCENARIO.fund);
    engine.setWaterfall(SCENARIO.waterfall);
    const allocation = engine.allocateLosses({ nowSec: 3600 });
    const waterfall = {
      digest: digestEngine(engine),
      report: text(allocation),
      records: engine.auditLog.length,
      totals: text(engine.auditLog.totalsByTranche()),
      balances: text(engine.waterfallBalances()),
      ledger: engine.ledger().totalQuote.toString(),
    };
    return {
      digest,
      summary,
      liquidation,
      waterfall,
      book: { accounts: book.accounts, positions: book.positions, isolated: book.isolated, markets: book.markets.length },
      accountCount: engine.accountCount,
      ms: { create: t1 - t0, generate: t2 - t1, shockAndCheck: t3 - t2, digest: t4 - t3, liquidate: t5 - t4 },
    };
  } finally {
    engine.dispose();
  }
}
