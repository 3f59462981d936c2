/**
 * What a loss-waterfall run reports: the pending deficits it takes (the audit's deficit table), the
 * audit buffer's chunks, the run record, and the balances the waterfall keeps.
 */
import { NO_MARKET } from '../abi/codes.js';
import { Column } from '../abi/columns.js';
import type { Raw } from '../abi/raw.js';
import { i128, i64, split128, u32 } from '../abi/records.js';
import type { AuditChunk, DeficitInfo } from './audit.js';
import type { AllocationReport, AllocationStep, StepInfo, TrancheKind } from './config.js';

/** The pending deficit records as the audit's deficit table (read before a run empties it). */
export function pendingDeficits(raw: Raw): DeficitInfo[] {
  const n = raw.pendingDeficits();
  const acc = raw.view(Uint32Array, Column.DefAccount, 0, n), mk = raw.view(Uint16Array, Column.DefMarket, 0, n);
  const amt = raw.view(BigInt64Array, Column.DefAmount, 0, n), size = raw.view(BigInt64Array, Column.DefSize, 0, n);
  const price = raw.view(BigInt64Array, Column.DefPrice, 0, n);
  return Array.from({ length: n }, (_, k) => ({
    accountId: acc[k]!, marketId: mk[k] === NO_MARKET ? null : mk[k]!, amountQuote: amt[k]!, sizeBase: size[k]!, priceQuote: price[k]!,
  }));
}

/** The audit buffer's rows as a chunk (views over the core's memory). */
export function auditChunk(raw: Raw, rows: number): AuditChunk {
  return {
    deficit: raw.view(Uint32Array, Column.AuditDeficit, 0, rows), step: raw.view(Uint16Array, Column.AuditStep, 0, rows),
    role: raw.view(Uint8Array, Column.AuditRole, 0, rows), account: raw.view(Uint32Array, Column.AuditAccount, 0, rows),
    market: raw.view(Uint16Array, Column.AuditMarket, 0, rows), amount: raw.view(BigInt64Array, Column.AuditAmount, 0, rows),
    price: raw.view(BigInt64Array, Column.AuditPrice, 0, rows), size: raw.view(BigInt64Array, Column.AuditSize, 0, rows),
  };
}

/** Reads the last run's report. */
export function runReport(raw: Raw, event: number, steps: readonly StepInfo[]): AllocationReport {
  // The run record: totals, then per step j covered, residue, paid beyond equity and the accounts
  // that did (a u64 per step each). Every amount is a 128-bit sum: its low word (u64) there, its
  // high word (i64) HI bytes further.
  const { view: r, at } = raw.record('Run');
  const total = (offset: number): bigint => split128(r, offset, at.HI);
  const perStep = (table: number, j: number): bigint => total(table + j * BigUint64Array.BYTES_PER_ELEMENT);
  const covered: AllocationStep[] = steps.map((s, j) => ({
    waterfall: s.waterfall, step: s.step, kind: s.kind, coveredQuote: perStep(at.stepCovered, j), residueQuote: perStep(at.stepResidue, j),
    paidBeyondEquityQuote: perStep(at.stepBeyond, j), paidBeyondEquityAccounts: Number(perStep(at.stepBeyondAccounts, j)),
  }));
  const sum = (...kinds: TrancheKind[]) => covered.filter((c) => kinds.includes(c.kind)).reduce((a, c) => a + c.coveredQuote, 0n);
  return {
    event, deficits: u32(r, at.deficits), deficitQuote: total(at.deficitQuote), steps: covered,
    insuranceFundQuote: sum('insuranceFund'), vaultQuote: sum('backstopVault', 'haircutVaultShares'), adlCoveredQuote: sum('adl'),
    adlVolumeBase: total(at.adlVolumeBase), adlNotionalQuote: total(at.adlNotionalQuote), adlAccounts: Number(i64(r, at.adlAccounts)),
    socializedQuote: sum('socializeFunding', 'haircutGains', 'haircutDeposits'),
    clearingHouseQuote: sum('defaulterFund', 'operatorCapital', 'membersFund', 'assessments'),
    residueQuote: total(at.residueQuote), uncoveredQuote: total(at.uncoveredQuote), paidBeyondEquityQuote: total(at.paidBeyondEquityQuote),
  };
}

/** The balances the waterfall keeps besides accounts and funds. */
export interface WaterfallBalances {
  residueQuote: bigint;
  uncoveredQuote: bigint;
  /** All deficits ever covered. */
  coveredQuote: bigint;
  operatorCapitalQuote: [bigint, bigint];
  /** A deposit index as a lazily indexed venue would show it, 10^18 = 1. */
  depositIndexE18: bigint;
  vaultAccountId: number | null;
  totalShares: bigint;
}


export function readBalances(raw: Raw): WaterfallBalances {
  const { view: b, at } = raw.record('Balances');
  const vault = u32(b, at.vaultAccount);
  return {
    residueQuote: i128(b, at.residue), uncoveredQuote: i128(b, at.uncovered), coveredQuote: i128(b, at.covered),
    operatorCapitalQuote: [i64(b, at.operatorLayer1), i64(b, at.operatorLayer2)], depositIndexE18: i64(b, at.depositIndexE18),
    vaultAccountId: vault === raw.abi.limits.none ? null : vault, totalShares: i64(b, at.totalShares),
  };
}
