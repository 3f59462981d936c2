// Types for scenario.js.
import type { CheckSummary, EngineOptions, RiskEngine } from '../../dist/src/index.js';

export declare const SCENARIO: Readonly<{
  book: Readonly<{ accounts: number; seed: number }>;
  shockPpm: number;
  policy: Readonly<import('../../dist/src/index.js').LiquidationPolicy>;
  rounds: number;
  fund: string;
  waterfall: Readonly<import('../../dist/src/index.js').WaterfallConfig>;
  engine: Readonly<Required<Pick<EngineOptions, 'maxAccounts' | 'maxPositions' | 'maxIsolated' | 'maxMarkets'>>>;
}>;

export interface ScenarioResult {
  digest: string;
  summary: CheckSummary;
  book: { accounts: number; positions: number; isolated: number; markets: number };
  accountCount: number;
  /** After the cascade: the results digest, each round's report and the ledger (bigints as strings). */
  liquidation: {
    digest: string;
    rounds: Record<string, unknown>[];
    remaining: { accounts: number; isolated: number };
    deficits: number;
    ledgerBefore: string;
    ledgerAfter: string;
    insuranceFund: string;
  };
  /** After the loss waterfall: the digest, the event's report, the audit's size and totals, balances, ledger. */
  waterfall: {
    digest: string;
    report: Record<string, unknown>;
    records: number;
    totals: Record<string, unknown>[];
    balances: Record<string, unknown>;
    ledger: string;
  };
  /** Wall time per step, milliseconds. */
  ms: { create: number; generate: number; shockAndCheck: number; digest: number; liquidate: number };
}

export declare function runScenario(
  pkg: { RiskEngine: typeof RiskEngine; generateBook: typeof import('../../dist/src/index.js').generateBook; shockMarks: typeof import('../../dist/src/index.js').shockMarks },
  digestEngine: (engine: RiskEngine) => string,
  options?: { wasm?: import('../../dist/src/index.js').WasmSource },
): Promise<ScenarioResult>;
