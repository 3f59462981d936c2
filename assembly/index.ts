// The wasm ABI: exports only. Every function returns a Status (assembly/abi/status.ts) unless noted;
// details of an error are in the record at errorRecordPtr(): code, field, row (i32 each).
export { abiVersion, errorRecordPtr, tallyRecordPtr, preTradeRecordPtr, accountCount, positionTop, isolatedTop, marketCount, resultsValid, clearLastError } from './abi/accessors';
export { init } from './engine/lifecycle';
export { columnPtr, maxAccounts, maxPositions, maxIsolated, maxMarkets, ioCapacity, adlInputRows } from './abi/accessors';
export { addMarket, setMarks, setFundingIndices } from './engine/book/markets';
export { bulkReserve, bulkCommit, compact } from './engine/book/book';
export { applyFill, preTrade, deposit, closeAccount } from './engine/margin/fills';
export { checkRange, checkList, checkMarkets, checkInRange, buildIndex } from './engine/margin/check';
export { buildQueue } from './engine/margin/queue';
export { pricesRange } from './engine/margin/prices';
export { setPolicy } from './engine/liquidation/policy';
export { planLiquidations } from './engine/liquidation/plan';
export { executeCallerPlan } from './engine/liquidation/execute';
export { depositFund, clearDeficits, ledgerSum } from './engine/funds';
export { policyRecordPtr, planRecordPtr, pricesRecordPtr, liqRecordPtr, execRecordPtr, ledgerRecordPtr, logCapacity } from './abi/accessors';
export { setWaterfall } from './engine/waterfall/config';
export { allocate } from './engine/waterfall/run';
export { auditPending } from './engine/waterfall/steps';
export { adlRanks } from './engine/waterfall/adl';
export { adlCandidates, adlCandidateInputs } from './engine/waterfall/candidates';
export { publishResults } from './engine/book/publish';
export { setVaultAccount, vaultNav, addContribution, resetAssessments, addOperatorCapital } from './engine/waterfall/parties';
export { waterfallStagePtr, backstopStagePtr, waterfallStatePtr, runRecordPtr, balancesPtr, membersPtr, providersPtr, scratchPtr, resultsCurrent, lastNowSec, eventCount } from './abi/accessors';
export { simPrepare } from './engine/simulation/loop';
export { simReserve, simReserveFor } from './engine/simulation/area';
export { simRestore } from './engine/simulation/snapshot';
export { simFactor, simGeneratePath } from './engine/simulation/paths';
export { simRunPath, simPtr } from './engine/simulation/loop';
export { scaleMargins } from './engine/book/markets';
// Validation without activation, and the book's change counter (validate everything, then act).
export { checkPolicy } from './engine/liquidation/policy';
export { checkWaterfall } from './engine/waterfall/config';
export { bookVersion } from './abi/accessors';
// The ABI table JavaScript reads at start-up (record layouts, code tables, limits).
export { abiTable } from './abi/table';
// The economics: fees and revenue, staking, vault terms, withdrawals (engine/economics/).
export { economicsPtr, stakersPtr, flowsPtr, withdrawablePtr } from './abi/accessors';
export { setMarketFees, setRevenueSplit, distributeRevenue, collectFees, accrueFunding } from './engine/economics/revenue';
export { setWithdrawalCapacity, noteNegativeEquity, requestWithdrawal, serveWithdrawals, capacityBaseline } from './engine/economics/capacity';
export { setStaking, stake, requestUnstake, cancelUnstake, unstake, settleStakingRevenue } from './engine/economics/staking';
export { setVaultTerms, vaultDeposit, vaultWithdraw } from './engine/economics/vault';
export { setWithdrawalRules, withdrawableOf, withdrawableAll, settlePnl, settleAccountPnl, withdraw } from './engine/economics/withdraw';
