/**
 * Test support: one call of every public member of RiskEngine, with plausible arguments, for the
 * tests that refuse them all (use after dispose, calls from code the engine is calling). Each entry
 * names the member; `PUBLIC_MEMBERS` lists what the package's RiskEngine declares, so a member added
 * later without an entry here makes those tests fail.
 */
import type { RiskEngine } from '../../dist/src/node.js';

/** Ids the calls name: a market, two accounts (the second healthy and without positions). */
export interface CallIds { market: number; account: number; other: number }

export type EngineCall = readonly [member: string, call: (engine: RiskEngine) => unknown];

export function everyPublicCall(ids: CallIds): EngineCall[] {
  const { market, account, other } = ids;
  const fill = { accountId: account, marketId: market, sizeDeltaBase: 1n, priceQuote: 100n };
  return [
    ['capacity', (e) => e.capacity],
    ['accountCount', (e) => e.accountCount],
    ['marketCount', (e) => e.marketCount],
    ['auditLog', (e) => e.auditLog],
    ['flowLog', (e) => e.flowLog],
    ['setMarketFees', (e) => e.setMarketFees(ids.market, { makerPpm: 0, takerPpm: 500 })],
    ['setRevenueSplit', (e) => e.setRevenueSplit({ tradingFees: { insuranceFund: 1_000_000 } })],
    ['distributeRevenue', (e) => e.distributeRevenue(0)],
    ['collectFees', (e) => e.collectFees(ids.market, 1n)],
    ['accrueFunding', (e) => e.accrueFunding(ids.market, { ratePpm: 100, skimPpm: 200_000 })],
    ['revenue', (e) => e.revenue()],
    ['addMarket', (e) => e.addMarket({ baseDecimals: 0, markPrice: 100n, curve: { kind: 'flat', imfPpm: 100_000, mmfPpm: 50_000 } })],
    ['market', (e) => e.market(market)],
    ['setMarks', (e) => e.setMarks([market], [100n])],
    ['setFundingIndices', (e) => e.setFundingIndices([market], [0n], [0n])],
    ['reserve', (e) => e.reserve({ accounts: 1, positions: 0 })],
    ['commit', (e) => e.commit({} as never)],
    ['appendColumns', (e) => e.appendColumns({ accounts: { positionCount: new Uint32Array(1) }, positions: { marketId: new Uint16Array(0), sizeBase: new BigInt64Array(0) } })],
    ['addAccounts', (e) => e.addAccounts([{ collateralQuote: 1n }])],
    ['applyFill', (e) => e.applyFill(fill)],
    ['preTrade', (e) => e.preTrade(fill)],
    ['deposit', (e) => e.deposit(other, 1n)],
    ['withdraw', (e) => e.withdraw(other, 1n)],
    ['closeAccount', (e) => e.closeAccount(other)],
    ['account', (e) => e.account(account)],
    ['check', (e) => e.check()],
    ['checkMarkets', (e) => e.checkMarkets([market])],
    ['summary', (e) => e.summary()],
    ['resultsView', (e) => e.resultsView()],
    ['isolatedResultsView', (e) => e.isolatedResultsView()],
    ['riskOrderView', (e) => e.riskOrderView()],
    ['riskOrder', (e) => e.riskOrder()],
    ['positionPrices', (e) => e.positionPrices(account)],
    ['positionPricesView', (e) => e.positionPricesView()],
    ['planLiquidations', (e) => e.planLiquidations({ close: 'full' })],
    ['executeLiquidations', (e) => e.executeLiquidations()],
    ['liquidationLogView', (e) => e.liquidationLogView()],
    ['liquidationLog', (e) => e.liquidationLog()],
    ['liquidate', (e) => e.liquidate({ close: 'full' })],
    ['insuranceFund', (e) => e.insuranceFund()],
    ['depositInsuranceFund', (e) => e.depositInsuranceFund(1n)],
    ['deficitsView', (e) => e.deficitsView()],
    ['deficits', (e) => e.deficits()],
    ['takeDeficits', (e) => e.takeDeficits()],
    ['ledger', (e) => e.ledger()],
    ['setWaterfall', (e) => e.setWaterfall({ steps: [{ kind: 'insuranceFund' }] })],
    ['allocateLosses', (e) => e.allocateLosses()],
    ['waterfallBalances', (e) => e.waterfallBalances()],
    ['adlRanking', (e) => e.adlRanking(market, 'short', 'pnl')],
    ['setVaultAccount', (e) => e.setVaultAccount(other)],
    ['vaultDeposit', (e) => e.vaultDeposit(other, 1n)],
    ['vaultWithdraw', (e) => e.vaultWithdraw(other, 1n)],
    ['vaultWithdrawDetailed', (e) => e.vaultWithdrawDetailed(other, 1n, 0)],
    ['setVaultTerms', (e) => e.setVaultTerms({ lockupSec: 0 })],
    ['vault', (e) => e.vault()],
    ['setStaking', (e) => e.setStaking({ cooldownSec: 0 })],
    ['stakingConfig', (e) => e.stakingConfig()],
    ['stake', (e) => e.stake(other, 0, 1n, 0)],
    ['requestUnstake', (e) => e.requestUnstake(other, 0, 1n, 0)],
    ['cancelUnstake', (e) => e.cancelUnstake(other, 0, 0)],
    ['unstake', (e) => e.unstake(other, 0, 0)],
    ['settleStakingRevenue', (e) => e.settleStakingRevenue(0)],
    ['staking', (e) => e.staking(0)],
    ['addDefaultFundContribution', (e) => e.addDefaultFundContribution(other, 1n)],
    ['clearingMembers', (e) => e.clearingMembers()],
    ['depositOperatorCapital', (e) => e.depositOperatorCapital(1, 1n)],
    ['resetAssessments', (e) => e.resetAssessments()],
    ['setWithdrawalCapacity', (e) => e.setWithdrawalCapacity({ periodSec: 3600, minQuote: 1n, ppmOfTotal: 10_000 })],
    ['requestWithdrawal', (e) => e.requestWithdrawal(other, 1n, 0)],
    ['serveWithdrawals', (e) => e.serveWithdrawals(0)],
    ['noteNegativeEquity', (e) => e.noteNegativeEquity(0)],
    ['withdrawalState', (e) => e.withdrawalState()],
    ['compact', (e) => e.compact()],
    ['setWithdrawalRules', (e) => e.setWithdrawalRules({ realizable: 'pnlPool', transferFloorPpm: 100_000 })],
    ['withdrawalRules', (e) => e.withdrawalRules()],
    ['withdrawable', (e) => e.withdrawable(account)],
    ['withdrawableAll', (e) => e.withdrawableAll()],
    ['settlePnl', (e) => e.settlePnl(account, market)],
    ['pnlPool', (e) => e.pnlPool(market)],
    ['dispose', (e) => e.dispose()],
    ['[Symbol.dispose]', (e) => e[Symbol.dispose]()],
  ];
}

/** Every public member RiskEngine declares (dist/src/engine.d.ts), read from the declaration file. */
export async function publicMembers(): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../dist/src/engine.d.ts', import.meta.url), 'utf8');
  const body = /export declare class RiskEngine implements Disposable \{([\s\S]*?)\n\}/.exec(text)?.[1];
  if (!body) throw new Error('RiskEngine not found in dist/src/engine.d.ts');
  const names = new Set<string>();
  for (const line of body.split('\n')) {
    const m = /^ {4}(?!private |static |readonly )(?:get )?([A-Za-z_]\w*|\[Symbol\.dispose\])\s*[(:<]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return [...names].sort();
}
