/**
 * The results digest (test/browser/digest.js, plain JS so that the browser page and the Node tests
 * import the same file): FNV-1a 64 over the result columns, framed per column.
 */
import { describe, expect, it } from 'vitest';
import { generateBook, RiskEngine, shockMarks } from '../../dist/src/node.js';
import * as js from './digest.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('results digest', () => {
  it('is FNV-1a 64 (published test vectors)', () => {
    const vectors: [string, string][] = [['', 'cbf29ce484222325'], ['a', 'af63dc4c8601ec8c'], ['foobar', '85944171f73967e8']];
    for (const [input, want] of vectors) {
      expect(js.fnv1a64(utf8(input))).toBe(want);
    }
    // A view hashes the bytes it covers, not its whole buffer.
    const buffer = utf8('xxfoobarxx').buffer;
    expect(js.fnv1a64(new Uint8Array(buffer, 2, 6))).toBe('85944171f73967e8');
    expect(js.fnv1a64(new DataView(buffer, 2, 6))).toBe('85944171f73967e8');
  });

  it('is deterministic and changes with the results', async () => {
    const engine = await RiskEngine.create({ maxAccounts: 2_000, maxPositions: 2_000 * 60, maxIsolated: 1_024, maxMarkets: 64 });
    try {
      generateBook(engine, { accounts: 2_000, markets: 40, seed: 3 });
      shockMarks(engine, -120_000);
      engine.check();
      const digest = js.digestEngine(engine);
      expect(digest).toMatch(/^[0-9a-f]{16}$/);
      // Deterministic: the same engine state digests the same.
      expect(js.digestEngine(engine)).toBe(digest);
      // Sensitive: a further shock changes the results, hence the digest.
      shockMarks(engine, -50_000);
      engine.check();
      expect(js.digestEngine(engine)).not.toBe(digest);
    } finally {
      engine.dispose();
    }
  });

  it('covers every column and the summary (a hand-made source)', () => {
    const counts = (n: number) => ({ healthy: n, belowInitial: n + 1, liquidatable: n + 2, bankrupt: n + 3, inactive: n + 4 });
    const make = (poke: (s: ReturnType<typeof base>) => void) => {
      const s = base();
      poke(s);
      return {
        resultsView: () => s.accounts,
        isolatedResultsView: () => s.isolated,
        riskOrderView: (o: { isolated?: boolean } = {}) => (o.isolated ? s.isoQueue : s.queue),
        summary: () => s.summary,
      };
    };
    const base = () => ({
      accounts: { equityQuote: BigInt64Array.of(1n, -2n), imQuote: BigInt64Array.of(3n, 4n), mmQuote: BigInt64Array.of(5n, 6n), freeQuote: BigInt64Array.of(-2n, -10n), health: Uint8Array.of(0, 2) },
      isolated: { accountId: Uint32Array.of(1), marketId: Uint16Array.of(7), equityQuote: BigInt64Array.of(9n), imQuote: BigInt64Array.of(8n), mmQuote: BigInt64Array.of(4n), freeQuote: BigInt64Array.of(1n), health: Uint8Array.of(0) },
      queue: Uint32Array.of(1),
      isoQueue: new Uint32Array(0),
      summary: { book: { accounts: counts(0), isolated: counts(10) }, checked: { accounts: counts(20), isolated: counts(30) } },
    });
    const digests = [
      make(() => {}),
      make((s) => { s.accounts.equityQuote[1] = -3n; }),
      make((s) => { s.accounts.health[0] = 1; }),
      make((s) => { s.isolated.accountId[0] = 0; }),
      make((s) => { s.isolated.marketId[0] = 8; }),
      make((s) => { s.isolated.freeQuote[0] = 2n; }),
      make((s) => { s.queue = Uint32Array.of(0); }),
      make((s) => { s.isoQueue = Uint32Array.of(0); }),
      make((s) => { s.summary.checked.isolated.bankrupt++; }),
      // Moving bytes across a column boundary must change the digest too (columns are framed).
      make((s) => { s.queue = new Uint32Array(0); s.isoQueue = Uint32Array.of(1); }),
    ].map((source) => js.digestEngine(source));
    expect(new Set(digests).size).toBe(digests.length);
  });
});
