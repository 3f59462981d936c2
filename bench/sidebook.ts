/**
 * A book for the waterfall benchmarks: `n` accounts, each short one position in market 0 at entries
 * spread around the mark (so ranking keys differ), plus one account holding a long that is
 * bankrupt at the mark. Liquidating that account leaves one deficit whose ADL runs against all `n`
 * shorts, and a deposit haircut over every depositor.
 */
import { sfc32, type RiskEngine } from '../src/node.js';

export const SIDE_MARK = 50_000_000_000n; // 50,000 USD per whole unit, 6 quote decimals

export function loadSideBook(engine: RiskEngine, n: number, seed = 7): void {
  const rand = sfc32(seed);
  engine.addMarket({ baseDecimals: 6, markPrice: SIDE_MARK, curve: { kind: 'flat', imfPpm: 50_000, mmfPpm: 25_000 } });
  const batch = engine.reserve({ accounts: n + 1, positions: n + 1 });
  const { accounts, positions } = batch;
  let shortTotal = 0n;
  for (let i = 0; i < n; i++) {
    const size = BigInt(1_000 + Math.floor(rand() * 1_000_000)); // 0.001 .. 1 unit
    const entry = SIDE_MARK + BigInt(Math.floor((rand() - 0.4) * 5_000_000_000)); // mark -2,000 .. +3,000 USD
    accounts.collateralQuote[i] = BigInt(5_000_000_000 + Math.floor(rand() * 50_000_000_000));
    accounts.positionCount[i] = 1;
    positions.marketId[i] = 0;
    positions.sizeBase[i] = -size;
    positions.quoteBalance[i] = (size * entry) / 1_000_000n;
    shortTotal += size;
  }
  // The bankrupt long: 1 % of the shorts' size, bought 10 % above the mark, with 1 atom of collateral.
  const size = shortTotal / 100n;
  accounts.collateralQuote[n] = 1n;
  accounts.positionCount[n] = 1;
  positions.marketId[n] = 0;
  positions.sizeBase[n] = size;
  positions.quoteBalance[n] = -((size * SIDE_MARK * 11n) / 10n / 1_000_000n);
  engine.commit(batch);
}
