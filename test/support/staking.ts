/**
 * Test support for insurance-fund staking: revenue into a fund's stakers' pool through the trading
 * fee and the revenue split (the fee and split calls are the raw layer's: their public API is not
 * this part's), and losses drawn from a fund by the loss waterfall.
 */
import type { RiskEngine } from '../../dist/src/node.js';
import { internalsOf } from '../../dist/src/abi/internals.js';
import { addBankrupt } from '../scenarios/support.js';

const TRADING_FEES = 0;

/**
 * Puts exactly `amount` into the stakers' revenue pool of the fund market `marketId` pays into: the
 * market's taker fee at 10^6 ppm charged on a buy of `amount` base atoms at price 1 by `trader`
 * (the market must have D = 1 and a mark of 1), closed again as a maker with no fee; the split of
 * trading fees is set to all stakers and the fee pools distributed.
 */
export function addRevenue(engine: RiskEngine, marketId: number, trader: number, amount: bigint): void {
  const raw = internalsOf(engine).raw;
  raw.setMarketFees(marketId, 0, 1_000_000);
  raw.setRevenueSplit(TRADING_FEES, 0, 0, 1_000_000, 0, 0);
  engine.applyFill({ accountId: trader, marketId, sizeDeltaBase: amount, priceQuote: 1n, liquidity: 'taker' });
  engine.applyFill({ accountId: trader, marketId, sizeDeltaBase: -amount, priceQuote: 1n, liquidity: 'maker' });
  let next = 0;
  do next = raw.distributeRevenue(next, 0n); while (next < engine.marketCount);
}

/**
 * A loss of `deficit` drawn by the waterfall's insurance-fund step from the fund market `marketId`
 * pays into (min(deficit, balance); the rest uncovered): a bankrupt account of that market, its
 * record allocated. Returns what the fund paid.
 */
export function drawFund(engine: RiskEngine, marketId: number, deficit: bigint, nowSec = 0): bigint {
  engine.setWaterfall({ steps: [{ kind: 'insuranceFund' }] });
  const before = engine.insuranceFund(marketId);
  addBankrupt(engine, marketId, 1n, deficit);
  engine.allocateLosses({ nowSec });
  return before - engine.insuranceFund(marketId);
}
