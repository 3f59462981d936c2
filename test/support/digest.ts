/**
 * Test support: a deterministic digest of an engine's results, the same in Node and in browsers.
 *
 * Pure TypeScript with no runtime imports and no Node or crypto APIs. The browser page cannot
 * import TypeScript, so test/browser/digest.js is a line-for-line plain-JS copy of this file;
 * test/browser/digest.test.ts checks that both give the same digests. KEEP THEM IN SYNC.
 *
 * Hash: FNV-1a 64 over a byte stream, computed on four 16-bit limbs (exact in doubles, no BigInt).
 * The stream is, in order, each part framed as [tag byte, u32 LE byte length, bytes]:
 *   'A' + name  per resultsView() column: equityQuote, imQuote, mmQuote, freeQuote, health
 *   'I' + name  per isolatedResultsView() column: accountId, marketId, equityQuote, imQuote,
 *               mmQuote, freeQuote, health
 *   'Q'         riskOrderView() (accounts), then 'q' riskOrderView({ isolated: true })
 *   'S'         summary() counts as u32 LE: book.accounts, book.isolated, checked.accounts,
 *               checked.isolated, each healthy, belowInitial, liquidatable, bankrupt, inactive
 * Views are read as raw bytes: they are windows on wasm memory, which is little-endian everywhere.
 */
import type { CheckSummary, HealthCounts, RiskEngine } from '../../dist/src/index.js';

/** What the digest reads from an engine (a RiskEngine after check()). */
export type DigestSource = Pick<RiskEngine, 'resultsView' | 'isolatedResultsView' | 'riskOrderView' | 'summary'>;

type Bytes = ArrayBufferView;

const ACCOUNT_COLUMNS = ['equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health'] as const;
const ISOLATED_COLUMNS = ['accountId', 'marketId', 'equityQuote', 'imQuote', 'mmQuote', 'freeQuote', 'health'] as const;
const SUMMARY_GROUPS = [['book', 'accounts'], ['book', 'isolated'], ['checked', 'accounts'], ['checked', 'isolated']] as const;
const HEALTH_KEYS = ['healthy', 'belowInitial', 'liquidatable', 'bankrupt', 'inactive'] as const;

/** Incremental FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
export class Fnv1a64 {
  // Little-endian 16-bit limbs of the state.
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  /** Feeds the bytes a view covers (not the whole buffer). */
  update(view: Bytes): this {
    const bytes = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    let h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i]!;
      // h * (2^40 + 0x1b3): the 0x1b3 part limb by limb, the 2^40 part as limbs 0/1 shifted into 2/3.
      const t0 = h0 * 0x1b3;
      let t1 = h1 * 0x1b3;
      let t2 = h2 * 0x1b3 + (h0 << 8);
      const t3 = h3 * 0x1b3 + (h1 << 8);
      t1 += t0 >>> 16;
      h0 = t0 & 0xffff;
      t2 += t1 >>> 16;
      h1 = t1 & 0xffff;
      h3 = (t3 + (t2 >>> 16)) & 0xffff;
      h2 = t2 & 0xffff;
    }
    this.h0 = h0; this.h1 = h1; this.h2 = h2; this.h3 = h3;
    return this;
  }

  /** Feeds one byte. */
  byte(value: number): this {
    return this.update(Uint8Array.of(value & 0xff));
  }

  /** Feeds a u32, little-endian. */
  u32(value: number): this {
    const v = value >>> 0;
    return this.update(Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  }

  /** Feeds an ASCII string's char codes (low byte each). */
  text(value: string): this {
    for (let i = 0; i < value.length; i++) this.byte(value.charCodeAt(i));
    return this;
  }

  /** The state as 16 lower-case hex digits. */
  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
  }
}

/** FNV-1a 64 of some bytes, as 16 hex digits. */
export function fnv1a64(bytes: Bytes): string {
  return new Fnv1a64().update(bytes).hex();
}

function part(h: Fnv1a64, tag: string, name: string, view: Bytes): void {
  h.text(tag).text(name).byte(0).u32(view.byteLength).update(view);
}

/** Digest of an engine's results (call after check()); 16 hex digits. */
export function digestEngine(engine: DigestSource): string {
  const h = new Fnv1a64();
  // Each view is read before the next call: views are valid only until the next call on the engine.
  const accounts = engine.resultsView();
  for (const name of ACCOUNT_COLUMNS) part(h, 'A', name, accounts[name]);
  const isolated = engine.isolatedResultsView();
  for (const name of ISOLATED_COLUMNS) part(h, 'I', name, isolated[name]);
  part(h, 'Q', 'riskOrder', engine.riskOrderView());
  part(h, 'q', 'riskOrderIsolated', engine.riskOrderView({ isolated: true }));
  const summary: CheckSummary = engine.summary();
  h.text('S');
  for (const [scope, kind] of SUMMARY_GROUPS) {
    const counts: HealthCounts = summary[scope][kind];
    for (const key of HEALTH_KEYS) h.u32(counts[key]);
  }
  return h.hex();
}
