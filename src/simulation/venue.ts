/**
 * The venue around a synthetic book, shared by the demo and the simulation: named liquidation
 * policies and the parties that absorb losses (insurance fund, backstop vault, clearing members).
 */
import type { RiskEngine } from '../engine.js';
import { ownKeysOnly } from '../atoms.js';
import { LIQUIDATION_PRESETS, type LiquidationPolicy } from '../liquidation/policy.js';
import { allSteps, type WaterfallConfig } from '../waterfall/config.js';

/** Policies by name; `partial` is the default. A name finds own entries only. */
export const DEMO_POLICIES: Record<string, LiquidationPolicy> = ownKeysOnly({
  /** Close the least that restores maintenance margin, 1 % fee split evenly between liquidator and fund. */
  partial: { close: 'partial', minCloseNotionalQuote: '10', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 },
  /**
   * As `partial`, but restoring maintenance margin plus 10 %: closes that execute worse than the mark
   * (price impact in a simulation) still leave the account above maintenance. The simulation's default.
   */
  buffered: { close: 'partial', bufferPpm: 100_000, minCloseNotionalQuote: '10', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 },
  dydx: LIQUIDATION_PRESETS.dydx,
  hyperliquid: LIQUIDATION_PRESETS.hyperliquid,
});

/**
 * What absorbs losses: the insurance fund, a backstop vault account owned by four liquidity
 * providers (when the waterfall has a vault step), and for clearing-house waterfalls twenty clearing
 * members with default-fund contributions and the operator's two capital layers, sized from
 * `clearingQuote`.
 */
export function setUpLossAbsorbers(engine: RiskEngine, waterfall: WaterfallConfig, fundQuote: bigint, vaultQuote: bigint, clearingQuote = fundQuote): void {
  if (fundQuote > 0n) engine.depositInsuranceFund(fundQuote);
  const kinds = new Set(allSteps(waterfall).map((s) => s.kind));
  if (vaultQuote > 0n && (kinds.has('backstopVault') || kinds.has('haircutVaultShares'))) {
    const share = vaultQuote / 4n;
    const [vault, ...providers] = engine.addAccounts([{}, ...Array.from({ length: 4 }, () => ({ collateralQuote: share }))]);
    engine.setVaultAccount(vault!);
    for (const p of providers) engine.vaultDeposit(p, share);
  }
  // A clearing-house venue sized from nothing has no members' contributions and no operator capital
  // (the engine refuses amounts of 0).
  if ((kinds.has('membersFund') || kinds.has('defaulterFund')) && clearingQuote >= 20n) {
    for (let a = 0; a < 20; a++) engine.addDefaultFundContribution(a, clearingQuote / 20n);
    engine.depositOperatorCapital(1, clearingQuote / 10n);
    engine.depositOperatorCapital(2, clearingQuote / 20n);
  }
}
