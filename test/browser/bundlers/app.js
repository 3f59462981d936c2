// The tiny app the bundler tests build (test/browser/bundlers.test.ts): an engine check and a
// one-path simulation in a Web Worker. `riskcore` is the package's module, as each entry imports it
// (main.js and main-esbuild.js through `import * as riskcore from 'riskcore'`, as an application
// writes it; main-plain.js straight from the build, with no import map). `options` holds what the app
// passes for its bundler (`wasm`, `worker`), if anything.

export async function runApp({ CRASH_SCENARIO, RiskEngine, simulate }, options = {}) {
  const engine = await RiskEngine.create({ maxAccounts: 10, maxPositions: 10, ...(options.wasm !== undefined ? { wasm: options.wasm } : {}) });
  let check;
  try {
    const btc = engine.addMarket({
      baseDecimals: 8, markPrice: '60000',
      curve: { kind: 'tiers', tiers: [{ notionalFloorQuote: 0n, imfPpm: 20_000, mmfPpm: 4_000 }] },
    });
    engine.addAccounts([
      { collateralQuote: '1000', positions: [{ marketId: btc, sizeBase: '0.5', quoteBalance: '-30000' }] },
      { collateralQuote: '100', positions: [{ marketId: btc, sizeBase: '-1', quoteBalance: '60000' }] },
    ]);
    check = engine.check().book.accounts;
  } finally {
    engine.dispose();
  }
  const config = { book: { accounts: 200, markets: 2, seed: 3 }, scenario: CRASH_SCENARIO, paths: 1, steps: 4, seed: 3 };
  const shard = await simulate(config, { workers: 1, ...options });
  return { check, paths: shard.results.length, pathFrom: shard.pathFrom, pathTo: shard.pathTo };
}

/** Runs the app and writes its result (or its error) into #out, as JSON in data-result. */
export async function runAndShow(riskcore, options) {
  const out = document.getElementById('out');
  try {
    const result = await runApp(riskcore, options);
    out.dataset.result = JSON.stringify({ state: 'done', result });
  } catch (e) {
    out.dataset.result = JSON.stringify({ state: 'failed', name: e?.name, code: e?.code, codeName: e?.codeName, field: e?.field, message: String(e?.message ?? e) });
  }
  out.textContent = out.dataset.result;
}
