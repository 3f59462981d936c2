/**
 * Test support: engines built from the compiled package in dist/ (run `npm run build` first; the
 * `npm test` script does). Tests use the debug core (assertions on) unless they ask for release.
 */
import { RiskEngine, type EngineOptions } from '../../dist/src/node.js';

export const DEBUG_WASM = new URL('../../dist/riskcore.debug.wasm', import.meta.url);
export const RELEASE_WASM = new URL('../../dist/riskcore.wasm', import.meta.url);

export function createEngine(options: EngineOptions & { release?: boolean } = {}): Promise<RiskEngine> {
  const { release, ...rest } = options;
  return RiskEngine.create({ maxAccounts: 10_000, maxPositions: 100_000, maxIsolated: 10_000, maxMarkets: 256, wasm: release ? RELEASE_WASM : DEBUG_WASM, ...rest });
}
