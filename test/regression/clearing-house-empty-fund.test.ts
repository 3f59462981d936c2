/**
 * Regression: a simulation of a clearing-house waterfall (members' fund, defaulter's fund) with an
 * insurance fund of 0 failed while building its venue: the members' contributions and the
 * operator's capital are sized from the fund, and the engine refuses amounts of 0 (OutOfRange naming
 * amountQuote). The venue now has none of them then, and the paths run.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../dist/src/node.js';

describe('a clearing-house simulation with an empty insurance fund', () => {
  it('builds without members\' contributions or operator capital, and runs its paths', async () => {
    const sim = await Simulator.create({ book: { accounts: 300, markets: 3, seed: 1 }, paths: 1, steps: 4, waterfall: 'eurex', insuranceFundQuote: '0', vaultQuote: '0' });
    try {
      expect(sim.engine.clearingMembers()).toEqual([]);
      const b = sim.engine.waterfallBalances();
      expect(b.operatorCapitalQuote).toEqual([0n, 0n]);
      expect(sim.runPath(0)).toHaveLength(1);
    } finally {
      sim.dispose();
    }
  });
});
