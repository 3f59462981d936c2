/**
 * The batch loop takes a size-premium market's base fractions for sizes below the size at which the
 * premium can bind, |size| <= floor(slack^2 * D / k^2) with slack = min over imf, mmf of
 * f - ceil(4f/5) (docs/FORMULAS.md, curve 3). These books put positions on both sides of that
 * size, for several decimals and premiums, and compare every account with the reference model.
 */
import { describe, it } from 'vitest';
import type { RefAccount, RefBook, RefCurve } from '../reference/model.js';
import { expectParity, loadIntoEngine } from '../support/book.js';
import { createEngine } from '../support/engine.js';

/** floor(slack^2 * D / k^2): the largest size whose premium cannot bind. */
function lastUnbound(imf: number, mmf: number, k: number, d: bigint): bigint {
  const slackOf = (f: number): bigint => BigInt(f) - (BigInt(f) * 4n + 4n) / 5n;
  const a = slackOf(imf), b = slackOf(mmf);
  const slack = a < b ? a : b;
  return (slack * slack * d) / BigInt(k * k);
}

function boundaryBook(baseDecimals: number, imf: number, mmf: number, k: number): RefBook {
  const d = 10n ** BigInt(baseDecimals);
  const edge = lastUnbound(imf, mmf, k, d);
  const curve: RefCurve = { kind: 'sizePremium', imfPpm: imf, mmfPpm: mmf, premiumPpm: k };
  const accounts: RefAccount[] = [];
  for (const delta of [-2n, -1n, 0n, 1n, 2n, 3n, 1000n]) {
    for (const sign of [1n, -1n]) {
      const size = sign * (edge + delta);
      accounts.push({ collateralQuote: 1_000_000n, imfFloorPpm: 0, positions: [{ marketId: 0, sizeBase: size, quoteBalance: -size * 3n, fundingSnapshot: 0n }], isolated: [] });
    }
  }
  return { markets: [{ baseDecimals, markPrice: 3n * d, fundingIndexLong: 0n, fundingIndexShort: 0n, curve }], accounts };
}

describe('size premium: the sizes where the premium starts to bind', () => {
  const cases: [number, number, number, number][] = [
    [0, 100_000, 50_000, 100], [3, 100_000, 50_000, 37], [6, 200_000, 30_000, 999], [9, 50_000, 50_000, 1], [12, 1_000_000, 7, 5_000],
  ];
  for (const [decimals, imf, mmf, k] of cases) {
    for (const release of [false, true]) {
      it(`D = 10^${decimals}, imf ${imf}, mmf ${mmf}, k ${k} (${release ? 'release' : 'debug'}): engine equals the model on both sides of the edge`, async () => {
        const engine = await createEngine({ release });
        const book = boundaryBook(decimals, imf, mmf, k);
        loadIntoEngine(engine, book);
        expectParity(engine, book);
      });
    }
  }
});
