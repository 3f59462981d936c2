/**
 * The ABI table: every record layout (abi/records.ts), code table (status.ts) and shared limit, as
 * text that JavaScript reads once at start-up (src/abi/records.ts). One line per table:
 *
 *   record Market mark:0 fundingLong:8 ... BYTES:192
 *   enum Status Ok:0 CapacityExceeded:1 ...
 *   const Limits maxSteps:64 ...
 *
 * Each entry is written from the enum member or constant it names, so a number exists in one place
 * only; a name JavaScript expects and this table lacks fails the engine's creation, and
 * test/unit/abi.test.ts checks every TypeScript table against this one.
 */
import {
  AdlGroupRecord, AdlInputRecord, BackstopRecord, BalancesRecord, CountersRecord, EpochPriceRecord,
  ErrorRecord, ExecRecord, LedgerRecord, LiqRecord, MarketRecord, MemberRecord,
  PlanRecord, PolicyRecord, PreTradeRecord, PricesRecord, ProviderRecord, RunRecord,
  SimHeaderRecord, StepRecord, TallyRecord, TierRecord, WaterfallStateRecord, WindowBucketRecord,
  WindowRecord, MarketEconRecord, FundStakeRecord, StakerRecord, EconomicsRecord, WithdrawableRecord,
  QueuedRecord, FlowRecord,
  I128_HI, MAX_BACKSTOP, MAX_MEMBERS, MAX_PROVIDERS, MAX_STEPS, MAX_STAKERS, FLOW_ROWS,
} from './records';
import { CurveKind, Liquidity, Destination, DESTINATIONS, Field, FlowKind, Health, METRICS, Metric, PreTradeReason, Ranking, Realizable, RevenueSource, Role, RowKind, SimArray, SOURCES, Status, Tranche, TRANCHE_KINDS, WithdrawLimit } from './status';
import { ADL_INPUT_ROWS, AUDIT_ROWS, Column, IO_SMALL, ISOLATED_TAG, MAX_MARKETS, MAX_TIERS, NO_MARKET, NO_STEP, PRICE_ROWS, QUEUE_ROWS } from './layout';
import { NONE } from '../engine/state';
import { FUND_MARKET } from '../engine/waterfall/config';

function line(kind: string, name: string): string { return kind + ' ' + name; }
function f(key: string, value: i64): string { return ' ' + key + ':' + value.toString(); }

let table: string | null = null;

function build(): string {
  let t = '';
  t += line('record', 'Error') +
    f('code', ErrorRecord.code) + f('field', ErrorRecord.field) + f('row', ErrorRecord.row) +
    f('BYTES', ErrorRecord.BYTES) + '\n';
  t += line('record', 'Tally') +
    f('bookAccounts', TallyRecord.bookAccounts) + f('bookIsolated', TallyRecord.bookIsolated) +
    f('callAccounts', TallyRecord.callAccounts) + f('callIsolated', TallyRecord.callIsolated) +
    f('BYTES', TallyRecord.BYTES) + '\n';
  t += line('record', 'PreTrade') +
    f('equityQuote', PreTradeRecord.equityQuote) + f('imQuote', PreTradeRecord.imQuote) +
    f('mmQuote', PreTradeRecord.mmQuote) + f('freeQuote', PreTradeRecord.freeQuote) +
    f('health', PreTradeRecord.health) + f('reason', PreTradeRecord.reason) +
    f('BYTES', PreTradeRecord.BYTES) + '\n';
  t += line('record', 'Counters') +
    f('accountCount', CountersRecord.accountCount) + f('positionTop', CountersRecord.positionTop) +
    f('positionLive', CountersRecord.positionLive) + f('isolatedTop', CountersRecord.isolatedTop) +
    f('isolatedFreeHead', CountersRecord.isolatedFreeHead) + f('isolatedLive', CountersRecord.isolatedLive) +
    f('marketCount', CountersRecord.marketCount) + f('tierTop', CountersRecord.tierTop) +
    f('pendingCount', CountersRecord.pendingCount) + f('indexDirty', CountersRecord.indexDirty) +
    f('resultsCurrent', CountersRecord.resultsCurrent) + f('BYTES', CountersRecord.BYTES) + '\n';
  t += line('record', 'Market') +
    f('mark', MarketRecord.mark) + f('fundingLong', MarketRecord.fundingLong) +
    f('fundingShort', MarketRecord.fundingShort) + f('d', MarketRecord.d) + f('d6', MarketRecord.d6) +
    f('markOverD', MarketRecord.markOverD) + f('markOverD6', MarketRecord.markOverD6) +
    f('invD', MarketRecord.invD) + f('imf', MarketRecord.imf) + f('mmf', MarketRecord.mmf) +
    f('kind', MarketRecord.kind) + f('decimals', MarketRecord.decimals) + f('active', MarketRecord.active) +
    f('ownFund', MarketRecord.ownFund) + f('imfEff', MarketRecord.imfEff) +
    f('premium', MarketRecord.premium) + f('tierCount', MarketRecord.tierCount) +
    f('tierFirst', MarketRecord.tierFirst) + f('lower', MarketRecord.lower) + f('upper', MarketRecord.upper) +
    f('oiLong', MarketRecord.oiLong) + f('oiShort', MarketRecord.oiShort) +
    f('baseLimit', MarketRecord.baseLimit) + f('baseImf', MarketRecord.baseImf) +
    f('baseMmf', MarketRecord.baseMmf) + f('markImf', MarketRecord.markImf) +
    f('markMmf', MarketRecord.markMmf) + f('estImf', MarketRecord.estImf) + f('estMmf', MarketRecord.estMmf) +
    f('baseDeduction', MarketRecord.baseDeduction) + f('step', MarketRecord.step) +
    f('BYTES', MarketRecord.BYTES) + '\n';
  t += line('record', 'Tier') +
    f('floor', TierRecord.floor) + f('sizeLimit', TierRecord.sizeLimit) + f('imf', TierRecord.imf) +
    f('mmf', TierRecord.mmf) + f('deduction', TierRecord.deduction) + f('BYTES', TierRecord.BYTES) + '\n';
  t += line('record', 'Policy') +
    f('close', PolicyRecord.close) + f('target', PolicyRecord.target) +
    f('bufferPpm', PolicyRecord.bufferPpm) + f('maxFractionPpm', PolicyRecord.maxFractionPpm) +
    f('order', PolicyRecord.order) + f('feePpm', PolicyRecord.feePpm) + f('sharePpm', PolicyRecord.sharePpm) +
    f('backstopPpm', PolicyRecord.backstopPpm) + f('backstopAccount', PolicyRecord.backstopAccount) +
    f('minCloseNotional', PolicyRecord.minCloseNotional) + f('fractionAbove', PolicyRecord.fractionAbove) +
    f('maxNotional', PolicyRecord.maxNotional) + f('maxDeficit', PolicyRecord.maxDeficit) +
    f('BYTES', PolicyRecord.BYTES) + '\n';
  t += line('record', 'Plan') +
    f('rows', PlanRecord.rows) + f('groups', PlanRecord.groups) + f('complete', PlanRecord.complete) +
    f('BYTES', PlanRecord.BYTES) + '\n';
  t += line('record', 'Prices') +
    f('rows', PricesRecord.rows) + f('nextAccount', PricesRecord.nextAccount) +
    f('BYTES', PricesRecord.BYTES) + '\n';
  t += line('record', 'Liq') +
    f('deficits', LiqRecord.deficits) + f('liquidatorFees', LiqRecord.liquidatorFees) +
    f('deficitsRecorded', LiqRecord.deficitsRecorded) + f('flow', LiqRecord.flow) +
    f('BYTES', LiqRecord.BYTES) + '\n';
  t += line('record', 'Exec') +
    f('rows', ExecRecord.rows) + f('closes', ExecRecord.closes) + f('transfers', ExecRecord.transfers) +
    f('settlements', ExecRecord.settlements) + f('groups', ExecRecord.groups) +
    f('closedNotionalQuote', ExecRecord.closedNotionalQuote) +
    f('realizedPnlQuote', ExecRecord.realizedPnlQuote) + f('fundingQuote', ExecRecord.fundingQuote) +
    f('liquidatorFeeQuote', ExecRecord.liquidatorFeeQuote) + f('fundFeeQuote', ExecRecord.fundFeeQuote) +
    f('surplusQuote', ExecRecord.surplusQuote) + f('deficitQuote', ExecRecord.deficitQuote) +
    f('transferQuote', ExecRecord.transferQuote) + f('HI', ExecRecord.HI) + f('BYTES', ExecRecord.BYTES) + '\n';
  t += line('record', 'Ledger') +
    f('collateral', LedgerRecord.collateral) + f('funds', LedgerRecord.funds) +
    f('liquidatorFees', LedgerRecord.liquidatorFees) + f('flow', LedgerRecord.flow) +
    f('deficits', LedgerRecord.deficits) + f('total', LedgerRecord.total) +
    f('operatorAndDefaultFund', LedgerRecord.operatorAndDefaultFund) + f('residue', LedgerRecord.residue) +
    f('covered', LedgerRecord.covered) + f('feePools', LedgerRecord.feePools) +
    f('pnlPools', LedgerRecord.pnlPools) + f('revenuePools', LedgerRecord.revenuePools) +
    f('treasury', LedgerRecord.treasury) + f('BYTES', LedgerRecord.BYTES) + '\n';
  t += line('record', 'Step') +
    f('kind', StepRecord.kind) + f('waterfall', StepRecord.waterfall) + f('mode', StepRecord.mode) +
    f('ranking', StepRecord.ranking) + f('param', StepRecord.param) + f('amount', StepRecord.amount) +
    f('floor', StepRecord.floor) + f('marketCap', StepRecord.marketCap) +
    f('marketCapWindowSec', StepRecord.marketCapWindowSec) + f('ppm', StepRecord.ppm) +
    f('firstProvider', StepRecord.firstProvider) + f('providers', StepRecord.providers) +
    f('drawdownWindowSec', StepRecord.drawdownWindowSec) + f('BYTES', StepRecord.BYTES) + '\n';
  t += line('record', 'Backstop') +
    f('account', BackstopRecord.account) + f('weightPpm', BackstopRecord.weightPpm) +
    f('capacity', BackstopRecord.capacity) + f('left', BackstopRecord.left) +
    f('BYTES', BackstopRecord.BYTES) + '\n';
  t += line('record', 'WaterfallState') +
    f('steps', WaterfallStateRecord.steps) + f('waterfalls', WaterfallStateRecord.waterfalls) +
    f('configured', WaterfallStateRecord.configured) + f('event', WaterfallStateRecord.event) +
    f('lastNowSec', WaterfallStateRecord.lastNowSec) + f('BYTES', WaterfallStateRecord.BYTES) + '\n';
  t += line('record', 'Run') +
    f('deficits', RunRecord.deficits) + f('auditLeft', RunRecord.auditLeft) +
    f('deficitQuote', RunRecord.deficitQuote) + f('residueQuote', RunRecord.residueQuote) +
    f('uncoveredQuote', RunRecord.uncoveredQuote) + f('adlVolumeBase', RunRecord.adlVolumeBase) +
    f('adlNotionalQuote', RunRecord.adlNotionalQuote) + f('adlAccounts', RunRecord.adlAccounts) +
    f('paidBeyondEquityQuote', RunRecord.paidBeyondEquityQuote) + f('stepCovered', RunRecord.stepCovered) +
    f('stepResidue', RunRecord.stepResidue) + f('stepBeyond', RunRecord.stepBeyond) +
    f('stepBeyondAccounts', RunRecord.stepBeyondAccounts) + f('HI', RunRecord.HI) +
    f('BYTES', RunRecord.BYTES) + '\n';
  t += line('record', 'Balances') +
    f('residue', BalancesRecord.residue) + f('uncovered', BalancesRecord.uncovered) +
    f('covered', BalancesRecord.covered) + f('operatorLayer1', BalancesRecord.operatorLayer1) +
    f('operatorLayer2', BalancesRecord.operatorLayer2) +
    f('depositIndexE18', BalancesRecord.depositIndexE18) + f('totalShares', BalancesRecord.totalShares) +
    f('vaultAccount', BalancesRecord.vaultAccount) + f('members', BalancesRecord.members) +
    f('providers', BalancesRecord.providers) + f('BYTES', BalancesRecord.BYTES) + '\n';
  t += line('record', 'Window') +
    f('bucketSec', WindowRecord.bucketSec) + f('total', WindowRecord.total) +
    f('buckets', WindowRecord.buckets) + f('BYTES', WindowRecord.BYTES) + '\n';
  t += line('record', 'WindowBucket') +
    f('bucket', WindowBucketRecord.bucket) + f('value', WindowBucketRecord.value) +
    f('BYTES', WindowBucketRecord.BYTES) + '\n';
  t += line('record', 'Member') +
    f('account', MemberRecord.account) + f('fund', MemberRecord.fund) +
    f('committed', MemberRecord.committed) + f('assessed', MemberRecord.assessed) +
    f('BYTES', MemberRecord.BYTES) + '\n';
  t += line('record', 'Provider') +
    f('account', ProviderRecord.account) + f('shares', ProviderRecord.shares) +
    f('lastDepositSec', ProviderRecord.lastDepositSec) + f('highWaterMark', ProviderRecord.highWaterMark) +
    f('BYTES', ProviderRecord.BYTES) + '\n';
  t += economicsRecords();
  t += line('record', 'SimHeader') +
    f('steps', SimHeaderRecord.steps) + f('maxRounds', SimHeaderRecord.maxRounds) +
    f('markets', SimHeaderRecord.markets) + f('flags', SimHeaderRecord.flags) +
    f('seed', SimHeaderRecord.seed) + f('stepSeconds', SimHeaderRecord.stepSeconds) +
    f('startSecond', SimHeaderRecord.startSecond) + f('impactSlopePpm', SimHeaderRecord.impactSlopePpm) +
    f('impactPermanentPpm', SimHeaderRecord.impactPermanentPpm) +
    f('impactMaxPpm', SimHeaderRecord.impactMaxPpm) +
    f('depthPpmOfOpenInterest', SimHeaderRecord.depthPpmOfOpenInterest) +
    f('jumpProbability', SimHeaderRecord.jumpProbability) + f('jumpMean', SimHeaderRecord.jumpMean) +
    f('jumpStd', SimHeaderRecord.jumpStd) + f('turnoverPpm', SimHeaderRecord.turnoverPpm) +
    f('crashMultiplierPpm', SimHeaderRecord.crashMultiplierPpm) + f('revenueEverySteps', SimHeaderRecord.revenueEverySteps) +
    f('stakedPpm', SimHeaderRecord.stakedPpm) + f('prefundedQuote', SimHeaderRecord.prefundedQuote) +
    f('cover1Quote', SimHeaderRecord.cover1Quote) + f('cover2Quote', SimHeaderRecord.cover2Quote) +
    f('fundExhausted', SimHeaderRecord.fundExhausted) +
    f('accountsChecked', SimHeaderRecord.accountsChecked) + f('epochs', SimHeaderRecord.epochs) +
    f('startStakerValue', SimHeaderRecord.startStakerValue) + f('startVaultNav', SimHeaderRecord.startVaultNav) +
    f('startTreasury', SimHeaderRecord.startTreasury) +
    f('withdrawEverySteps', SimHeaderRecord.withdrawEverySteps) + f('withdrawPpm', SimHeaderRecord.withdrawPpm) +
    f('bankRunPpm', SimHeaderRecord.bankRunPpm) + f('path', SimHeaderRecord.path) +
    f('winners', SimHeaderRecord.winners) + f('wantedQuote', SimHeaderRecord.wantedQuote) +
    f('receivedQuote', SimHeaderRecord.receivedQuote) + f('shortWinners', SimHeaderRecord.shortWinners) +
    f('queuedRequests', SimHeaderRecord.queuedRequests) + f('stillQueued', SimHeaderRecord.stillQueued) +
    f('chargedQuote', SimHeaderRecord.chargedQuote) + f('fundingSkimPpm', SimHeaderRecord.fundingSkimPpm) +
    f('BYTES', SimHeaderRecord.BYTES) + '\n';
  t += line('record', 'AdlGroup') +
    f('market', AdlGroupRecord.market) + f('side', AdlGroupRecord.side) +
    f('sizeBase', AdlGroupRecord.sizeBase) + f('first', AdlGroupRecord.first) +
    f('count', AdlGroupRecord.count) + f('from', AdlGroupRecord.from) + f('to', AdlGroupRecord.to) +
    f('candidates', AdlGroupRecord.candidates) + f('BYTES', AdlGroupRecord.BYTES) + '\n';
  t += line('record', 'EpochPrice') +
    f('mark', EpochPriceRecord.mark) + f('fundingLong', EpochPriceRecord.fundingLong) +
    f('fundingShort', EpochPriceRecord.fundingShort) + f('BYTES', EpochPriceRecord.BYTES) + '\n';
  t += line('record', 'AdlInput') +
    f('tag', AdlInputRecord.tag) + f('account', AdlInputRecord.account) + f('size', AdlInputRecord.size) +
    f('pnl', AdlInputRecord.pnl) + f('notional', AdlInputRecord.notional) + f('entry', AdlInputRecord.entry) +
    f('equity', AdlInputRecord.equity) + f('mm', AdlInputRecord.mm) +
    f('collateral', AdlInputRecord.collateral) + f('BYTES', AdlInputRecord.BYTES) + '\n';
  t += line('enum', 'Status') +
    f('Ok', Status.Ok) + f('CapacityExceeded', Status.CapacityExceeded) + f('Overflow', Status.Overflow) +
    f('NotInitialized', Status.NotInitialized) + f('ResultsStale', Status.ResultsStale) +
    f('Interrupted', Status.Interrupted) + f('Reentrant', Status.Reentrant) + f('Disposed', Status.Disposed) +
    f('CoreLoadFailed', Status.CoreLoadFailed) +
    f('InvalidNumber', Status.InvalidNumber) + f('OutOfRange', Status.OutOfRange) +
    f('InvalidPrice', Status.InvalidPrice) + f('UnknownMarket', Status.UnknownMarket) +
    f('UnknownAccount', Status.UnknownAccount) + f('DuplicatePosition', Status.DuplicatePosition) +
    f('InvalidCurve', Status.InvalidCurve) + f('AccountClosed', Status.AccountClosed) +
    f('TooManyMarkets', Status.TooManyMarkets) + f('CountMismatch', Status.CountMismatch) +
    f('NoPosition', Status.NoPosition) + f('PlanOutOfOrder', Status.PlanOutOfOrder) +
    f('InvalidPolicy', Status.InvalidPolicy) + f('NoPlan', Status.NoPlan) +
    f('InvalidWaterfall', Status.InvalidWaterfall) + f('InvalidScenario', Status.InvalidScenario) +
    f('InvalidShard', Status.InvalidShard) + f('PlanEdited', Status.PlanEdited) +
    f('NotLiquidatable', Status.NotLiquidatable) + f('BelowInitialMargin', Status.BelowInitialMargin) +
    f('AccountHasPositions', Status.AccountHasPositions) +
    f('NegativeCollateral', Status.NegativeCollateral) + f('InvalidEconomics', Status.InvalidEconomics) +
    f('CooldownNotOver', Status.CooldownNotOver) + f('SharesNotHeld', Status.SharesNotHeld) +
    f('NoUnstakeRequest', Status.NoUnstakeRequest) + f('UnstakeRequestPending', Status.UnstakeRequestPending) +
    f('AboveWithdrawable', Status.AboveWithdrawable) + f('FundDepleted', Status.FundDepleted) +
    f('VaultLocked', Status.VaultLocked) + f('AccountHasStake', Status.AccountHasStake) +
    f('WithdrawThroughQueue', Status.WithdrawThroughQueue) + '\n';
  t += line('enum', 'Field') +
    f('None', Field.None) + f('AccountId', Field.AccountId) + f('MarketId', Field.MarketId) +
    f('SizeBase', Field.SizeBase) + f('QuoteBalance', Field.QuoteBalance) +
    f('FundingSnapshot', Field.FundingSnapshot) + f('CollateralQuote', Field.CollateralQuote) +
    f('ImfFloorPpm', Field.ImfFloorPpm) + f('MarkPrice', Field.MarkPrice) +
    f('FundingIndexLong', Field.FundingIndexLong) + f('FundingIndexShort', Field.FundingIndexShort) +
    f('BaseDecimals', Field.BaseDecimals) + f('ImfPpm', Field.ImfPpm) + f('MmfPpm', Field.MmfPpm) +
    f('PremiumPpm', Field.PremiumPpm) + f('NotionalFloorQuote', Field.NotionalFloorQuote) +
    f('LowerCapQuote', Field.LowerCapQuote) + f('UpperCapQuote', Field.UpperCapQuote) +
    f('CurveKind', Field.CurveKind) + f('PositionCount', Field.PositionCount) +
    f('PriceQuote', Field.PriceQuote) + f('AmountQuote', Field.AmountQuote) + f('Capacity', Field.Capacity) +
    f('TierCount', Field.TierCount) + f('Notional', Field.Notional) + f('Policy', Field.Policy) +
    f('BufferPpm', Field.BufferPpm) + f('MaxCloseFractionPpm', Field.MaxCloseFractionPpm) +
    f('LiquidationFeePpm', Field.LiquidationFeePpm) + f('LiquidatorSharePpm', Field.LiquidatorSharePpm) +
    f('BackstopPpm', Field.BackstopPpm) + f('BackstopAccountId', Field.BackstopAccountId) +
    f('MinCloseNotionalQuote', Field.MinCloseNotionalQuote) +
    f('FractionAboveNotionalQuote', Field.FractionAboveNotionalQuote) +
    f('MaxNotionalPerRoundQuote', Field.MaxNotionalPerRoundQuote) +
    f('MaxDeficitPerRoundQuote', Field.MaxDeficitPerRoundQuote) + f('StepBase', Field.StepBase) +
    f('FundId', Field.FundId) + f('Tranche', Field.Tranche) + f('NowSec', Field.NowSec) +
    f('Ranking', Field.Ranking) + f('WeightPpm', Field.WeightPpm) + f('CapacityQuote', Field.CapacityQuote) +
    f('TopK', Field.TopK) + f('Waterfall', Field.Waterfall) + f('Ppm', Field.Ppm) +
    f('Correlation', Field.Correlation) + f('Steps', Field.Steps) +
    f('MarginScalePpm', Field.MarginScalePpm) + f('FundingRatePpm', Field.FundingRatePpm) +
    f('IsolatedId', Field.IsolatedId) + f('Kind', Field.Kind) + f('MakerFeePpm', Field.MakerFeePpm) +
    f('TakerFeePpm', Field.TakerFeePpm) + f('SplitPpm', Field.SplitPpm) + f('SettlePeriodSec', Field.SettlePeriodSec) +
    f('MaxAprPpm', Field.MaxAprPpm) + f('StakerFactorPpm', Field.StakerFactorPpm) + f('CooldownSec', Field.CooldownSec) +
    f('Shares', Field.Shares) + f('RealizableRule', Field.RealizableRule) + f('TransferFloorPpm', Field.TransferFloorPpm) +
    f('SettleFractionPpm', Field.SettleFractionPpm) + f('RevenueSource', Field.RevenueSource) + f('LockupSec', Field.LockupSec) +
    f('ProfitSharePpm', Field.ProfitSharePpm) + f('SlippagePpm', Field.SlippagePpm) +
    f('CapacityPeriodSec', Field.CapacityPeriodSec) + f('CapacityMinQuote', Field.CapacityMinQuote) +
    f('CapacityPpm', Field.CapacityPpm) + f('GateSec', Field.GateSec) + f('OperatorAccountId', Field.OperatorAccountId) +
    f('SkimPpm', Field.SkimPpm) + '\n';
  t += line('enum', 'Health') +
    f('Healthy', Health.Healthy) + f('BelowInitial', Health.BelowInitial) +
    f('Liquidatable', Health.Liquidatable) + f('Bankrupt', Health.Bankrupt) + f('Inactive', Health.Inactive) + '\n';
  t += line('enum', 'CurveKind') +
    f('Flat', CurveKind.Flat) + f('Tiers', CurveKind.Tiers) + f('SizePremium', CurveKind.SizePremium) +
    f('OpenInterest', CurveKind.OpenInterest) + '\n';
  t += line('enum', 'RowKind') +
    f('Close', RowKind.Close) + f('Transfer', RowKind.Transfer) + f('Settle', RowKind.Settle) + '\n';
  t += line('enum', 'PreTradeReason') +
    f('Ok', PreTradeReason.Ok) + f('BelowInitialMargin', PreTradeReason.BelowInitialMargin) + '\n';
  t += line('enum', 'Tranche') +
    f('InsuranceFund', Tranche.InsuranceFund) + f('BackstopVault', Tranche.BackstopVault) +
    f('Adl', Tranche.Adl) + f('SocializeFunding', Tranche.SocializeFunding) +
    f('HaircutGains', Tranche.HaircutGains) + f('HaircutDeposits', Tranche.HaircutDeposits) +
    f('HaircutVaultShares', Tranche.HaircutVaultShares) + f('DefaulterFund', Tranche.DefaulterFund) +
    f('OperatorCapital', Tranche.OperatorCapital) + f('MembersFund', Tranche.MembersFund) +
    f('Assessments', Tranche.Assessments) + '\n';
  t += line('enum', 'Ranking') +
    f('Pnl', Ranking.Pnl) + f('Bitmex', Ranking.Bitmex) + f('Binance', Ranking.Binance) +
    f('Hyperliquid', Ranking.Hyperliquid) + f('Custom', Ranking.Custom) +
    f('RandomWalk', Ranking.RandomWalk) + f('Largest', Ranking.Largest) + '\n';
  t += line('enum', 'Role') +
    f('Cover', Role.Cover) + f('Pay', Role.Pay) + f('Residue', Role.Residue) +
    f('Uncovered', Role.Uncovered) + '\n';
  t += line('enum', 'SimArray') +
    f('Header', SimArray.Header) + f('Path', SimArray.Path) + f('Vol', SimArray.Vol) +
    f('Drift', SimArray.Drift) + f('Funding', SimArray.Funding) + f('Factor', SimArray.Factor) +
    f('Metrics', SimArray.Metrics) + f('Depth', SimArray.Depth) + '\n';
  t += line('enum', 'Metric') +
    f('Closes', Metric.Closes) + f('ClosedNotional', Metric.ClosedNotional) + f('Groups', Metric.Groups) +
    f('Deficit', Metric.Deficit) + f('InsuranceFund', Metric.InsuranceFund) + f('VaultNav', Metric.VaultNav) +
    f('AdlNotional', Metric.AdlNotional) + f('AdlAccounts', Metric.AdlAccounts) +
    f('Socialized', Metric.Socialized) + f('Uncovered', Metric.Uncovered) + f('Residue', Metric.Residue) +
    f('Rounds', Metric.Rounds) + f('Covered', Metric.Covered) + f('FeeRevenue', Metric.FeeRevenue) +
    f('Treasury', Metric.Treasury) + f('StakerValue', Metric.StakerValue) +
    f('Withdrawn', Metric.Withdrawn) + f('Queued', Metric.Queued) + f('QueueWaits', Metric.QueueWaits) + '\n';
  t += line('enum', 'Column') +
    f('Markets', Column.Markets) + f('Tiers', Column.Tiers) + f('AccCollateral', Column.AccCollateral) +
    f('AccPosStart', Column.AccPosStart) + f('AccPosLen', Column.AccPosLen) +
    f('AccPosCap', Column.AccPosCap) + f('AccFloorPpm', Column.AccFloorPpm) + f('AccFlags', Column.AccFlags) +
    f('AccIsoHead', Column.AccIsoHead) + f('AccStamp', Column.AccStamp) + f('AccEquity', Column.AccEquity) +
    f('AccIm', Column.AccIm) + f('AccMm', Column.AccMm) + f('AccFree', Column.AccFree) +
    f('AccHealth', Column.AccHealth) + f('PosSize', Column.PosSize) + f('PosQuote', Column.PosQuote) +
    f('PosSnap', Column.PosSnap) + f('PosMarket', Column.PosMarket) + f('PosAccount', Column.PosAccount) +
    f('IsoAccount', Column.IsoAccount) + f('IsoMarket', Column.IsoMarket) + f('IsoNext', Column.IsoNext) +
    f('IsoFlags', Column.IsoFlags) + f('IsoSize', Column.IsoSize) + f('IsoQuote', Column.IsoQuote) +
    f('IsoSnap', Column.IsoSnap) + f('IsoCollateral', Column.IsoCollateral) +
    f('IsoEquity', Column.IsoEquity) + f('IsoIm', Column.IsoIm) + f('IsoMm', Column.IsoMm) +
    f('IsoFree', Column.IsoFree) + f('IsoHealth', Column.IsoHealth) + f('IndexStart', Column.IndexStart) +
    f('IndexEntries', Column.IndexEntries) + f('PendingMarket', Column.PendingMarket) +
    f('PendingHolder', Column.PendingHolder) + f('Queue', Column.Queue) + f('IsoQueue', Column.IsoQueue) +
    f('SortIdsA', Column.SortIdsA) + f('SortIdsB', Column.SortIdsB) + f('SortKeysA', Column.SortKeysA) +
    f('SortKeysB', Column.SortKeysB) + f('SortCounts', Column.SortCounts) + f('IoU32', Column.IoU32) +
    f('IoI64A', Column.IoI64A) + f('IoI64B', Column.IoI64B) + f('MarketStamp', Column.MarketStamp) +
    f('IndexFill', Column.IndexFill) + f('AccScratch', Column.AccScratch) +
    f('FundBalance', Column.FundBalance) + f('LogAccount', Column.LogAccount) +
    f('LogMarket', Column.LogMarket) + f('LogIso', Column.LogIso) + f('LogKind', Column.LogKind) +
    f('LogSize', Column.LogSize) + f('LogPrice', Column.LogPrice) + f('LogRealized', Column.LogRealized) +
    f('LogFunding', Column.LogFunding) + f('LogLiqFee', Column.LogLiqFee) +
    f('LogFundFee', Column.LogFundFee) + f('LogSurplus', Column.LogSurplus) +
    f('LogDeficit', Column.LogDeficit) + f('LogTransfer', Column.LogTransfer) +
    f('DefAccount', Column.DefAccount) + f('DefMarket', Column.DefMarket) + f('DefAmount', Column.DefAmount) +
    f('PriceAccount', Column.PriceAccount) + f('PriceMarket', Column.PriceMarket) +
    f('PriceIso', Column.PriceIso) + f('PriceSize', Column.PriceSize) + f('PriceLiq', Column.PriceLiq) +
    f('PriceBank', Column.PriceBank) + f('GroupKey', Column.GroupKey) + f('GroupSlot', Column.GroupSlot) +
    f('FundScratch', Column.FundScratch) + f('IsoStamp', Column.IsoStamp) + f('DefSize', Column.DefSize) +
    f('DefPrice', Column.DefPrice) + f('DefOpen', Column.DefOpen) + f('PayId', Column.PayId) +
    f('PayWeight', Column.PayWeight) + f('PayCap', Column.PayCap) + f('PayWork', Column.PayWork) +
    f('AuditDeficit', Column.AuditDeficit) + f('AuditStep', Column.AuditStep) +
    f('AuditRole', Column.AuditRole) + f('AuditAccount', Column.AuditAccount) +
    f('AuditMarket', Column.AuditMarket) + f('AuditAmount', Column.AuditAmount) +
    f('AuditPrice', Column.AuditPrice) + f('AuditSize', Column.AuditSize) +
    f('MarketFund', Column.MarketFund) + f('MarketWaterfall', Column.MarketWaterfall) +
    f('FundWindow', Column.FundWindow) + f('MarketPaid', Column.MarketPaid) + f('AdlKey', Column.AdlKey) +
    f('AdlId', Column.AdlId) + f('AdlSize', Column.AdlSize) + f('AdlSums', Column.AdlSums) +
    f('AdlPos', Column.AdlPos) + f('AdlGroups', Column.AdlGroups) + f('AdlGroupOf', Column.AdlGroupOf) +
    f('PubAccEquity', Column.PubAccEquity) + f('PubAccIm', Column.PubAccIm) + f('PubAccMm', Column.PubAccMm) +
    f('PubAccFree', Column.PubAccFree) + f('PubAccHealth', Column.PubAccHealth) +
    f('PubIsoAccount', Column.PubIsoAccount) + f('PubIsoMarket', Column.PubIsoMarket) +
    f('PubIsoEquity', Column.PubIsoEquity) + f('PubIsoIm', Column.PubIsoIm) + f('PubIsoMm', Column.PubIsoMm) +
    f('PubIsoFree', Column.PubIsoFree) + f('PubIsoHealth', Column.PubIsoHealth) +
    f('AccDirty', Column.AccDirty) + f('IsoDirty', Column.IsoDirty) + f('PlanAccount', Column.PlanAccount) +
    f('PlanMarket', Column.PlanMarket) + f('PlanIso', Column.PlanIso) + f('PlanKind', Column.PlanKind) +
    f('PlanSize', Column.PlanSize) + f('PlanPrice', Column.PlanPrice) + f('AdlInputs', Column.AdlInputs) +
    f('MarketEcon', Column.MarketEcon) + f('FundStake', Column.FundStake) +
    f('AccWithdrawable', Column.AccWithdrawable) + f('AccWithdrawLimit', Column.AccWithdrawLimit) +
    f('WithdrawQueue', Column.WithdrawQueue) + f('AccQueued', Column.AccQueued) + '\n';
  t += economicsEnums();
  t += line('const', 'Limits') +
    f('maxSteps', MAX_STEPS) + f('maxBackstop', MAX_BACKSTOP) + f('maxMembers', MAX_MEMBERS) + f('maxProviders', MAX_PROVIDERS) +
    f('maxTiers', MAX_TIERS) + f('maxMarkets', MAX_MARKETS) + f('ioSmall', IO_SMALL) + f('isolatedTag', ISOLATED_TAG) +
    f('none', NONE) + f('noMarket', NO_MARKET) + f('noStep', NO_STEP) + f('fundMarket', FUND_MARKET) + f('i128Hi', I128_HI) + f('metrics', METRICS) +
    f('trancheKinds', TRANCHE_KINDS) + f('adlInputRows', ADL_INPUT_ROWS) + f('auditRows', AUDIT_ROWS) + f('priceRows', PRICE_ROWS) +
    f('maxStakers', MAX_STAKERS) + f('flowRows', FLOW_ROWS) + f('queueRows', QUEUE_ROWS) + f('sources', SOURCES) +
    f('destinations', DESTINATIONS);
  return t;
}

/** The economics' records (records.ts, "Economics"). */
function economicsRecords(): string {
  let t = '';
  t += line('record', 'MarketEcon') +
    f('makerFeePpm', MarketEconRecord.makerFeePpm) + f('takerFeePpm', MarketEconRecord.takerFeePpm) +
    f('feePool', MarketEconRecord.feePool) + f('pnlPool', MarketEconRecord.pnlPool) +
    f('liquidationRevenue', MarketEconRecord.liquidationRevenue) + f('skimPool', MarketEconRecord.skimPool) +
    f('BYTES', MarketEconRecord.BYTES) + '\n';
  t += line('record', 'FundStake') +
    f('totalShares', FundStakeRecord.totalShares) + f('stakerShares', FundStakeRecord.stakerShares) +
    f('revenuePool', FundStakeRecord.revenuePool) + f('lastSettleSec', FundStakeRecord.lastSettleSec) +
    f('BYTES', FundStakeRecord.BYTES) + '\n';
  t += line('record', 'Staker') +
    f('account', StakerRecord.account) + f('fund', StakerRecord.fund) + f('shares', StakerRecord.shares) +
    f('requestShares', StakerRecord.requestShares) + f('requestValue', StakerRecord.requestValue) +
    f('requestSec', StakerRecord.requestSec) + f('BYTES', StakerRecord.BYTES) + '\n';
  t += line('record', 'Economics') +
    f('split', EconomicsRecord.split) + f('stakers', EconomicsRecord.stakers) + f('flows', EconomicsRecord.flows) +
    f('settlePeriodSec', EconomicsRecord.settlePeriodSec) + f('maxAprPpm', EconomicsRecord.maxAprPpm) +
    f('stakerFactorPpm', EconomicsRecord.stakerFactorPpm) + f('settleFractionPpm', EconomicsRecord.settleFractionPpm) +
    f('cooldownSec', EconomicsRecord.cooldownSec) + f('treasury', EconomicsRecord.treasury) +
    f('realizable', EconomicsRecord.realizable) + f('transferFloorPpm', EconomicsRecord.transferFloorPpm) +
    f('lockupSec', EconomicsRecord.lockupSec) + f('profitSharePpm', EconomicsRecord.profitSharePpm) +
    f('slippagePpm', EconomicsRecord.slippagePpm) + f('operatorAccount', EconomicsRecord.operatorAccount) +
    f('capacityPeriodSec', EconomicsRecord.capacityPeriodSec) + f('capacityMinQuote', EconomicsRecord.capacityMinQuote) +
    f('capacityPpm', EconomicsRecord.capacityPpm) + f('lossCharge', EconomicsRecord.lossCharge) +
    f('gateSec', EconomicsRecord.gateSec) + f('capacityQuote', EconomicsRecord.capacityQuote) +
    f('capacitySec', EconomicsRecord.capacitySec) + f('gatedUntilSec', EconomicsRecord.gatedUntilSec) +
    f('queueHead', EconomicsRecord.queueHead) + f('queued', EconomicsRecord.queued) +
    f('queuedQuote', EconomicsRecord.queuedQuote) + f('nextRequestId', EconomicsRecord.nextRequestId) +
    f('answer0', EconomicsRecord.answer0) + f('answer1', EconomicsRecord.answer1) + f('answer2', EconomicsRecord.answer2) +
    f('stakingSec', EconomicsRecord.stakingSec) +
    f('BYTES', EconomicsRecord.BYTES) + '\n';
  t += line('record', 'Withdrawable') +
    f('amountQuote', WithdrawableRecord.amountQuote) + f('equityQuote', WithdrawableRecord.equityQuote) +
    f('requirementQuote', WithdrawableRecord.requirementQuote) + f('realizableQuote', WithdrawableRecord.realizableQuote) +
    f('positivePnlQuote', WithdrawableRecord.positivePnlQuote) + f('limit', WithdrawableRecord.limit) +
    f('BYTES', WithdrawableRecord.BYTES) + '\n';
  t += line('record', 'Queued') +
    f('account', QueuedRecord.account) + f('amountQuote', QueuedRecord.amountQuote) +
    f('sinceSec', QueuedRecord.sinceSec) + f('id', QueuedRecord.id) + f('paidQuote', QueuedRecord.paidQuote) + f('BYTES', QueuedRecord.BYTES) + '\n';
  t += line('record', 'Flow') +
    f('kind', FlowRecord.kind) + f('source', FlowRecord.source) + f('destination', FlowRecord.destination) +
    f('account', FlowRecord.account) + f('id', FlowRecord.id) + f('amountQuote', FlowRecord.amountQuote) +
    f('sec', FlowRecord.sec) + f('BYTES', FlowRecord.BYTES) + '\n';
  return t;
}

/** The economics' enums (status.ts) and the new field ids. */
function economicsEnums(): string {
  let t = '';
  t += line('enum', 'Liquidity') +
    f('Taker', Liquidity.Taker) + f('Maker', Liquidity.Maker) + f('NoFee', Liquidity.NoFee) + '\n';
  t += line('enum', 'RevenueSource') +
    f('TradingFees', RevenueSource.TradingFees) + f('LiquidationFees', RevenueSource.LiquidationFees) +
    f('FundingSkim', RevenueSource.FundingSkim) + '\n';
  t += line('enum', 'Destination') +
    f('InsuranceFund', Destination.InsuranceFund) + f('BackstopVault', Destination.BackstopVault) +
    f('Stakers', Destination.Stakers) + f('Treasury', Destination.Treasury) + f('PnlPool', Destination.PnlPool) + '\n';
  t += line('enum', 'Realizable') +
    f('All', Realizable.All) + f('None', Realizable.None) + f('PnlPool', Realizable.PnlPool) +
    f('ResidualRatio', Realizable.ResidualRatio) + '\n';
  t += line('enum', 'WithdrawLimit') +
    f('Equity', WithdrawLimit.Equity) + f('InitialMargin', WithdrawLimit.InitialMargin) +
    f('TransferFloor', WithdrawLimit.TransferFloor) + f('Realizable', WithdrawLimit.Realizable) + '\n';
  t += line('enum', 'FlowKind') +
    f('Distribution', FlowKind.Distribution) + f('StakingSettle', FlowKind.StakingSettle) + f('Stake', FlowKind.Stake) +
    f('Unstake', FlowKind.Unstake) + f('UnstakeForfeit', FlowKind.UnstakeForfeit) + f('SettlePnl', FlowKind.SettlePnl) +
    f('Withdrawal', FlowKind.Withdrawal) + f('LossCharge', FlowKind.LossCharge) + f('ProfitShare', FlowKind.ProfitShare) +
    f('Slippage', FlowKind.Slippage) + f('Rounding', FlowKind.Rounding) + f('VaultDeposit', FlowKind.VaultDeposit) +
    f('VaultWithdrawal', FlowKind.VaultWithdrawal) + f('TradingFee', FlowKind.TradingFee) + f('Rebate', FlowKind.Rebate) +
    f('PnlPaid', FlowKind.PnlPaid) + f('FundingSkim', FlowKind.FundingSkim) + '\n';
  return t;
}

/** The table as an AssemblyScript string (UTF-16; its byte length at ptr - 4), built on first use. */
export function abiTable(): usize {
  if (table === null) table = build();
  return changetype<usize>(table);
}
