// Types for digest.js (plain JS so that the browser page can import it as is).
import type { RiskEngine } from '../../dist/src/node.js';

/** What the digest reads: the engine's result views and summary (an engine, or a stand-in). */
export type DigestSource = Pick<RiskEngine, 'resultsView' | 'isolatedResultsView' | 'riskOrderView' | 'summary'>;

/** FNV-1a 64 over bytes, in 16-bit limbs (no BigInt). */
export declare class Fnv1a64 {
  update(bytes: ArrayBufferView): this;
  byte(b: number): this;
  u32(n: number): this;
  text(s: string): this;
  hex(): string;
}

export declare function fnv1a64(bytes: ArrayBufferView): string;
export declare function digestEngine(engine: DigestSource): string;
