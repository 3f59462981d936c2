// The wasm ABI: exports only. Every function returns a Status (assembly/status.ts) unless noted;
// details of an error are in the record at errorRecordPtr(): code, field, row (i32 each).
export { abiVersion, errorRecordPtr, tallyRecordPtr, preTradeRecordPtr, accountCount, positionTop, isolatedTop, marketCount, resultsValid, clearLastError } from './engine/abi';
export { init } from './engine/lifecycle';
export { columnPtr, maxAccounts, maxPositions, maxIsolated, maxMarkets, ioCapacity, adlInputRows } from './engine/abi';
export { addMarket, setMarks, setFundingIndices } from './engine/markets';
export { bulkReserve, bulkCommit, compact } from './engine/book';
export { applyFill, preTrade, deposit, withdraw, closeAccount } from './engine/fills';
export { checkRange, checkList, checkMarkets, checkInRange, buildIndex } from './engine/check';
export { buildQueue } from './engine/queue';
export { pricesRange } from './engine/prices';
export { setPolicy, planLiquidations } from './engine/liquidation';
export { executeCallerPlan, depositFund, clearDeficits, ledgerSum } from './engine/execute';
export { policyRecordPtr, planRecordPtr, pricesRecordPtr, liqRecordPtr, execRecordPtr, ledgerRecordPtr, logCapacity } from './engine/abi';
export { setWaterfall, allocate, auditPending } from './engine/waterfall';
export { adlRanks } from './engine/adl';
export { adlCandidates, adlCandidateInputs } from './engine/candidates';
export { publishResults } from './engine/publish';
export { setVaultAccount, vaultDeposit, vaultWithdraw, vaultNav, addContribution, resetAssessments, addOperatorCapital } from './engine/parties';
export { waterfallStagePtr, backstopStagePtr, waterfallStatePtr, runRecordPtr, balancesPtr, membersPtr, providersPtr, scratchPtr, resultsCurrent, lastNowSec, eventCount } from './engine/abi';
export { simPrepare, simReserve, simReserveFor, simRestore, simFactor, simGeneratePath, simRunPath, simPtr } from './engine/simulate';
export { scaleMargins } from './engine/markets';
// Validation without activation, and the book's change counter (validate everything, then act).
export { checkPolicy } from './engine/liquidation';
export { checkWaterfall } from './engine/waterfall';
export { bookVersion } from './engine/abi';
// The ABI table JavaScript reads at start-up (record layouts, code tables, limits).
export { abiTable } from './abi/table';
