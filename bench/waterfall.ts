/**
 * Loss-waterfall benchmarks (docs/WATERFALL.md), each timed on a warm engine:
 *   - ADL selection and execution against every short of a market (`loadSideBook`: one short per
 *     account) for one bankrupt long closing 1 % of their size, BitMEX ranking;
 *   - a deposit haircut split pro rata over every depositor of the same book;
 *   - the whole waterfall (insurance fund, ADL, funding socialization) over the deficits of a crash
 *     of the default synthetic book that leaves 1 % of its accounts (10,000) bankrupt, after the
 *     full liquidation cascade.
 * The API time includes copying the audit records into the JavaScript log; the core time is the
 * same call without that copy (measured around it), which is what the targets are about.
 */
import { generateBook, RiskEngine, type GeneratedBook, type WaterfallConfig } from '../src/node.js';
import { loadSideBook, SIDE_MARK } from './sidebook.js';
import type { BookColumns } from '../src/node.js';

export interface WaterfallTimes {
  adl: { api: number[]; core: number[]; candidates: number; closes: number };
  haircut: { api: number[]; core: number[]; payers: number };
  crash: { api: number[]; core: number[]; bankrupt: number; records: number; adlAccounts: number; coveredByAdl: bigint; deficitQuote: bigint };
}

/** Times one allocateLosses: total, and total less the audit log's copying. */
function timedAllocate(e: RiskEngine): { api: number; core: number; report: ReturnType<RiskEngine['allocateLosses']> } {
  const log = e.auditLog;
  log.clear();
  const append = log.append.bind(log);
  let copying = 0;
  log.append = (...args: Parameters<typeof append>) => { const t = process.hrtime.bigint(); append(...args); copying += Number(process.hrtime.bigint() - t) / 1e9; };
  const t = process.hrtime.bigint();
  const report = e.allocateLosses();
  const api = Number(process.hrtime.bigint() - t) / 1e9;
  log.append = append;
  return { api, core: api - copying, report };
}

/** Adds a long that is bankrupt at the mark (1 % of the shorts' size), liquidates it, checks. */
function bankruptLong(e: RiskEngine): void {
  const size = e.market(0).openInterestShortBase / 100n;
  e.addAccounts([{ collateralQuote: 1n, positions: [{ marketId: 0, sizeBase: size, quoteBalance: -((size * SIDE_MARK * 11n) / 10n / 1_000_000n) }] }]);
  e.liquidate({ close: 'full' }, { maxRounds: 1 });
  e.checkMarkets([0]); // builds the market index (the new account), as any incremental check does
  e.check();
}

export async function sideBookCases(accounts: number, samples: number, times: WaterfallTimes): Promise<void> {
  const e = await RiskEngine.create({ maxAccounts: accounts + 64, maxPositions: accounts + 64, maxIsolated: 1024, maxMarkets: 4 });
  loadSideBook(e, accounts);
  const adl: WaterfallConfig = { steps: [{ kind: 'adl', ranking: 'bitmex' }] };
  const haircut: WaterfallConfig = { steps: [{ kind: 'haircutDeposits' }] };
  for (let i = 0; i <= samples; i++) { // sample 0 warms the engine (page faults, optimized code)
    bankruptLong(e);
    e.setWaterfall(adl);
    const a = timedAllocate(e);
    times.adl.candidates = e.adlRanking(0, 'short', 'pnl').length;
    times.adl.closes = a.report.adlAccounts;
    bankruptLong(e);
    e.setWaterfall(haircut);
    const h = timedAllocate(e);
    times.haircut.payers = e.auditLog.records().filter((r) => r.role === 'pay').length;
    if (i === 0) continue;
    times.adl.api.push(a.api); times.adl.core.push(a.core);
    times.haircut.api.push(h.api); times.haircut.core.push(h.core);
  }
  e.dispose();
}

const CRASH_WATERFALL: WaterfallConfig = { steps: [{ kind: 'insuranceFund' }, { kind: 'adl', ranking: 'bitmex' }, { kind: 'socializeFunding' }] };

/**
 * The smallest shock (whole per cents of a percent, found by bisection on checks) that makes at
 * least `target` accounts bankrupt; the marks are left moved by it.
 */
function shockUntilBankrupt(e: RiskEngine, target: number): number {
  const base = Array.from({ length: e.marketCount }, (_, m) => e.market(m).markPrice);
  const ids = base.map((_, m) => m);
  const move = (ppm: number): number => {
    e.setMarks(ids, base.map((p) => { const q = (p * BigInt(1_000_000 + ppm)) / 1_000_000n; return q > 0n ? q : 1n; }));
    return e.check().book.accounts.bankrupt;
  };
  let lo = 0, hi = -300_000;
  if (move(lo) >= target) return lo;
  while (Math.abs(hi - lo) > 100) {
    const mid = Math.round((lo + hi) / 2);
    if (move(mid) >= target) hi = mid; else lo = mid;
  }
  move(hi);
  return hi;
}

/** One crash sample on engine e loaded with a book: a shock to ~1 % of accounts bankrupt, the cascade, then the timed waterfall. */
function crashSample(e: RiskEngine): { api: number; core: number; bankrupt: number; records: number; report: ReturnType<RiskEngine['allocateLosses']> } {
  e.depositInsuranceFund(1_000_000n * 10n ** BigInt(e.quoteDecimals)); // 1M quote units
  shockUntilBankrupt(e, Math.ceil(e.accountCount / 100));
  const bankrupt = e.check().book.accounts.bankrupt;
  e.liquidate({ close: 'full' });
  const records = e.deficits().length;
  e.setWaterfall(CRASH_WATERFALL);
  e.check();
  const { api, core, report } = timedAllocate(e);
  return { api, core, bankrupt, records, report };
}

export async function crashCases(gen: GeneratedBook, columns: BookColumns, capacity: { maxAccounts: number; maxPositions: number; maxIsolated: number; maxMarkets: number }, samples: number, times: WaterfallTimes, pause: () => Promise<void>): Promise<void> {
  // Warm-up on a small book of the same kind.
  const w = await RiskEngine.create({ maxAccounts: 20_100, maxPositions: 240_000, maxIsolated: 2048, maxMarkets: 128 });
  generateBook(w, { accounts: 20_000 });
  crashSample(w);
  w.dispose();
  for (let i = 0; i < samples; i++) {
    await pause();
    const e = await RiskEngine.create(capacity);
    for (const spec of gen.markets) e.addMarket(spec);
    e.appendColumns(columns);
    // A first run on this engine touches its memory (fresh pages), as a long-lived engine's has been.
    const s = crashSample(e);
    times.crash.api.push(s.api); times.crash.core.push(s.core);
    times.crash.bankrupt = s.bankrupt; times.crash.records = s.records;
    times.crash.adlAccounts = s.report.adlAccounts; times.crash.coveredByAdl = s.report.adlCoveredQuote; times.crash.deficitQuote = s.report.deficitQuote;
    e.dispose();
  }
}
