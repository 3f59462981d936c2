/** Read-only accessors JavaScript needs: record pointers, counters, capacities. */
import * as layout from '../layout';
import * as state from './state';
import * as check from './check';
import { ABI_VERSION } from './lifecycle';

export function abiVersion(): u32 { return ABI_VERSION; }
export function errorRecordPtr(): usize { return state.ERROR_RECORD; }
export function tallyRecordPtr(): usize { return state.TALLY_RECORD; }
export function preTradeRecordPtr(): usize { return state.PRETRADE_RECORD; }
export function accountCount(): u32 { return state.accountCount; }
export function positionTop(): u32 { return state.positionTop; }
export function isolatedTop(): u32 { return state.isolatedTop; }
export function marketCount(): u32 { return state.marketCount; }
export function resultsValid(): bool { return check.resultsValid; }
export function clearLastError(): void { state.clearError(); }
export function columnPtr(c: i32): usize { return layout.columnPtr(c); }
export function maxAccounts(): u32 { return layout.maxAccounts; }
export function maxPositions(): u32 { return layout.maxPositions; }
export function maxIsolated(): u32 { return layout.maxIsolated; }
export function maxMarkets(): u32 { return layout.maxMarkets; }
export function ioCapacity(): u32 { return layout.ioCapacity; }
