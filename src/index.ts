export { RiskEngine, setHost } from './engine.js';
export type { AccountInput, AccountResultsView, CheckSummary, EngineOptions, FillInput, FillResult, HealthCounts, Host, IsolatedResultsView, PreTradeResult } from './engine.js';
export type { BookColumns, BookColumnsInput, BulkBatch, BulkCounts, I64Column, U16Column, U32Column } from './bulk.js';
export { EngineError, FieldId, InputError, MarginRefusedError, RiskCoreError, RiskCoreInvariantError, StatusCode } from './errors.js';
export type { FieldName, StatusName } from './errors.js';
export { formatAtoms, toAtoms } from './atoms.js';
export { Health } from './types.js';
export type { AccountSpec, AtomsInput, MarginCurve, MarginFigures, MarginTier, MarketSpec, PositionSpec } from './types.js';
export type { WasmSource } from './abi/loader.js';
export { DEFAULT_BOOK, generateBook, sfc32, shockMarks } from './synth.js';
export type { BookShape, GeneratedBook } from './synth.js';
export { NO_ISOLATED, NO_MARKET } from './abi/codes.js';
export { LIQUIDATION_PRESETS } from './liquidation/policy.js';
export { PRICE_ALWAYS, PRICE_NEVER, PRICE_UNDEFINED } from './liquidation/liquidations.js';
export type { CascadeOptions, CascadeReport, CascadeRound } from './liquidation/cascade.js';
export type { LiquidationPolicy } from './liquidation/policy.js';
export type {
  DeficitRecord, ExecutionSummary, Ledger, LiquidationKind, LiquidationLogView, LiquidationPlan, LiquidationPlanView, LiquidationRecord,
  PositionPrices, PositionPricesView,
} from './liquidation/liquidations.js';
export { WATERFALL_PRESETS, TRANCHE_KINDS } from './waterfall/config.js';
export type {
  AdlCandidate, AdlRanking, AdlRankingFunction, AdlRankingName, AllocateOptions, AllocationReport, AllocationStep, BackstopProvider,
  Tranche, TrancheKind, WaterfallConfig,
} from './waterfall/config.js';
export type { AdlRank } from './waterfall/run.js';
export type { ClearingMember, VaultProvider, VaultState, VaultTerms } from './waterfall/parties.js';
export type { VaultTermsInput, VaultWithdrawal } from './economics/vault.js';
export type { WaterfallBalances } from './waterfall/report.js';
export { AuditLog, AUDIT_ROLES } from './waterfall/audit.js';
export type { AuditChunk, AuditRecord, AuditRole, AuditView, DeficitInfo, StepInfo } from './waterfall/audit.js';
export { simulate } from './simulation/run.js';
export type { SimulateOptions, SimulationProgress, WorkerSource } from './simulation/run.js';
export { Simulator } from './simulation/simulator.js';
export type { SimulatorOptions } from './simulation/simulator.js';
export { CRASH_SCENARIO, DEFAULT_IMPACT, DEFAULT_SCENARIO, resolveConfig } from './simulation/config.js';
export { SHOCK_GRID_MOVES } from './simulation/scenarios.js';
export { buildReport, configHash, mergeShards } from './simulation/stats.js';
export { HISTOGRAM_METRICS, STEP_METRICS } from './simulation/types.js';
export type {
  Distribution, Fan, ImpactModel, MonteCarloScenario, PathResult, PathWithdrawals, ReplayScenario, ReturnStats, RiskTakersReport, Scenario,
  SerializedPathResult, ShardResult, ShockGridScenario, SimulationConfig, SimulationEconomics, SimulationReport, SimulationStakers,
  SimulationWithdrawals, StepMetric, Sweep, SweepVariant, VariantReport, WinnersReport,
} from './simulation/types.js';
export { DEFAULT_ECONOMICS } from './simulation/config.js';
export { FlowLog, FLOW_KINDS, DESTINATIONS, REVENUE_SOURCES } from './economics/flows.js';
export type { DestinationName, Flow, FlowKind, RevenueSourceName } from './economics/flows.js';
export type { DistributionReport, FundingAccrual, FundingAccrualReport, MarketFees, RevenueSplit, RevenueState, SplitRow } from './economics/revenue.js';
export { chartContext, renderCharts, renderReportHtml, type ChartContext } from './report/html.js';
export type { QueuedWithdrawal, ServedWithdrawal, ServeReport, WithdrawalCapacityConfig, WithdrawalRequest, WithdrawalState } from './economics/capacity.js';
export type { FundStaking, StakerState, StakingConfig } from './economics/staking.js';
export { REALIZABLE_RULES, WITHDRAW_LIMITS } from './economics/withdrawals.js';
export type { RealizableRule, Withdrawable, WithdrawableColumns, WithdrawalRules, WithdrawLimit } from './economics/withdrawals.js';
