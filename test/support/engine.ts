/**
 * Test support: engines built from the compiled package in dist/ (run `npm run build` first; the
 * `npm test` script does). Tests use the debug core (assertions on) unless they ask for release.
 */
import { RiskEngine, type EngineOptions, type RiskCoreError } from '../../dist/src/node.js';

export const DEBUG_WASM = new URL('../../dist/riskcore.debug.wasm', import.meta.url);
export const RELEASE_WASM = new URL('../../dist/riskcore.wasm', import.meta.url);

export function createEngine(options: EngineOptions & { release?: boolean } = {}): Promise<RiskEngine> {
  const { release, ...rest } = options;
  return RiskEngine.create({ maxAccounts: 10_000, maxPositions: 100_000, maxIsolated: 10_000, maxMarkets: 256, wasm: release ? RELEASE_WASM : DEBUG_WASM, ...rest });
}

/**
 * A stable text digest of the engine's whole state as the API shows it: counts, every account
 * (positions, isolated positions, collateral, figures) and every market. For "nothing changed"
 * checks after a refused call.
 */
export function stateDigest(engine: RiskEngine): string {
  const parts: unknown[] = [engine.accountCount, engine.marketCount];
  for (let i = 0; i < engine.accountCount; i++) parts.push(engine.account(i));
  for (let m = 0; m < engine.marketCount; m++) parts.push(engine.market(m));
  parts.push(engine.revenue(), engine.ledger());
  return JSON.stringify(parts, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** The error a call throws (fails the test if it does not throw). */
export function caught(fn: () => unknown): RiskCoreError {
  try { fn(); } catch (x) { return x as RiskCoreError; }
  throw new Error('expected a throw');
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejected(p: Promise<unknown>): Promise<RiskCoreError> {
  try { await p; } catch (x) { return x as RiskCoreError; }
  throw new Error('expected a rejection');
}
