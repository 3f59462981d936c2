/**
 * Read-only accessors JavaScript needs: record pointers, counters, capacities (exported as they are
 * by assembly/index.ts). Unlike the rest of abi/ (layout, records, status: the bottom layer every
 * engine file imports), this file and table.ts sit above the engine: they import its stages, and
 * nothing in the engine imports them.
 */
import * as layout from './layout';
import * as state from '../engine/state';
import { ABI_VERSION } from '../engine/lifecycle';
import { PLAN_RECORD } from '../engine/liquidation/log';
import { POLICY_RECORD } from '../engine/liquidation/policy';
import { PRICES_RECORD } from '../engine/margin/prices';
import { EXEC_RECORD } from '../engine/liquidation/execute';
import { STAGE_STEPS, STAGE_BACKSTOP, WF_STATE } from '../engine/waterfall/config';
import { RUN_RECORD } from '../engine/waterfall/steps';
import { BALANCES, ECONOMICS, FLOWS, LEDGER_RECORD, MEMBERS, PROVIDERS, STAKERS, WITHDRAWABLE } from '../engine/funds';
import { WaterfallStateRecord } from './records';

export function abiVersion(): u32 { return ABI_VERSION; }
export function errorRecordPtr(): usize { return state.ERROR_RECORD; }
export function tallyRecordPtr(): usize { return state.TALLY_RECORD; }
export function preTradeRecordPtr(): usize { return state.PRETRADE_RECORD; }
export function accountCount(): u32 { return state.accountCount; }
export function positionTop(): u32 { return state.positionTop; }
export function isolatedTop(): u32 { return state.isolatedTop; }
export function marketCount(): u32 { return state.marketCount; }
export function resultsValid(): bool { return state.resultsValid; }
/** Counts the calls that changed the book (a staged batch is refused once it moved, src/bulk.ts claimBatch). */
export function bookVersion(): u32 { return state.bookVersion; }
export function clearLastError(): void { state.clearError(); }
export function columnPtr(c: i32): usize { return layout.columnPtr(c); }
export function maxAccounts(): u32 { return layout.maxAccounts; }
export function maxPositions(): u32 { return layout.maxPositions; }
export function maxIsolated(): u32 { return layout.maxIsolated; }
export function maxMarkets(): u32 { return layout.maxMarkets; }
export function ioCapacity(): u32 { return layout.ioCapacity; }
export function adlInputRows(): u32 { return layout.ADL_INPUT_ROWS; }

// Liquidation records.
export function policyRecordPtr(): usize { return POLICY_RECORD; }
export function planRecordPtr(): usize { return PLAN_RECORD; }
export function pricesRecordPtr(): usize { return PRICES_RECORD; }
export function liqRecordPtr(): usize { return state.LIQ_RECORD; }
export function execRecordPtr(): usize { return EXEC_RECORD; }
export function ledgerRecordPtr(): usize { return LEDGER_RECORD; }
export function logCapacity(): u32 { return layout.logCapacity; }

// Waterfall records.
export function waterfallStagePtr(): usize { return STAGE_STEPS; }
export function backstopStagePtr(): usize { return STAGE_BACKSTOP; }
export function waterfallStatePtr(): usize { return WF_STATE; }
export function runRecordPtr(): usize { return RUN_RECORD; }
export function balancesPtr(): usize { return BALANCES; }
export function membersPtr(): usize { return MEMBERS; }
export function providersPtr(): usize { return PROVIDERS; }
export function scratchPtr(): usize { return state.SCRATCH; }
export function resultsCurrent(): bool { return state.resultsCurrent; }
export function lastNowSec(): i64 { return load<i64>(WF_STATE, WaterfallStateRecord.lastNowSec); }
export function eventCount(): u32 { return load<u32>(WF_STATE, WaterfallStateRecord.event); }

// Economics records.
export function economicsPtr(): usize { return ECONOMICS; }
export function stakersPtr(): usize { return STAKERS; }
export function flowsPtr(): usize { return FLOWS; }
export function withdrawablePtr(): usize { return WITHDRAWABLE; }
