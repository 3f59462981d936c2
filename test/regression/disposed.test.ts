/**
 * Use after dispose(): every public member of an engine refuses with EngineError `Disposed` (a code
 * of its own, in the engine range), not a plain Error; dispose() itself stays idempotent, and code
 * that reaches the core through the engine (the simulation) is refused the same way.
 */
import { describe, expect, it } from 'vitest';
import { EngineError, StatusCode } from '../../dist/src/node.js';
import { Simulator } from '../../dist/src/simulation/simulator.js';
import { caught, createEngine } from '../support/engine.js';
import { everyPublicCall, publicMembers } from '../support/calls.js';

async function disposedEngine() {
  const engine = await createEngine({ maxAccounts: 16, maxPositions: 64, maxIsolated: 16, maxMarkets: 4 });
  const market = engine.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } });
  const [account, other] = engine.addAccounts([
    { collateralQuote: 1_000n, positions: [{ marketId: market, sizeBase: 1n, quoteBalance: -100n }] },
    { collateralQuote: 1_000n },
  ]);
  engine.check();
  engine.dispose();
  return { engine, ids: { market, account: account!, other: other! } };
}

describe('regression: an engine used after dispose() refuses with a typed EngineError', () => {
  it('the call table covers every public member RiskEngine declares', async () => {
    const names = everyPublicCall({ market: 0, account: 0, other: 1 }).map(([name]) => name).sort();
    expect(names).toEqual(await publicMembers());
  });

  it('Disposed is an engine code (1..99) of its own', () => {
    expect(StatusCode.Disposed).toBeGreaterThanOrEqual(1);
    expect(StatusCode.Disposed).toBeLessThanOrEqual(99);
  });

  it('every member refuses with EngineError Disposed; dispose() again is a no-op', async () => {
    const { engine, ids } = await disposedEngine();
    for (const [name, call] of everyPublicCall(ids)) {
      if (name === 'dispose' || name === '[Symbol.dispose]') {
        expect(() => call(engine), name).not.toThrow();
        continue;
      }
      const e = caught(() => call(engine));
      expect(e, name).toBeInstanceOf(EngineError);
      expect([name, e.codeName, e.code], name).toEqual([name, 'Disposed', StatusCode.Disposed]);
      expect(e.message, name).toMatch(/RiskEngine\.create/);
    }
  });

  it('a simulation over a disposed engine is refused with the same error', async () => {
    const { engine } = await disposedEngine();
    const e = caught(() => Simulator.fromEngine(engine, { steps: 2, paths: 1 }));
    expect(e).toBeInstanceOf(EngineError);
    expect(e.codeName).toBe('Disposed');
  });
});
