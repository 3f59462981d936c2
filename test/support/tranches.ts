/**
 * Test support: a fast-check arbitrary of loss-waterfall steps of every kind, with random
 * parameters, shared by the waterfall invariants and the fuzzing suite. What differs between them
 * (the amounts, the funds and providers a venue of theirs has, the rankings and prices drawn) is
 * passed in. To cover a new step kind, add it here.
 */
import fc from 'fast-check';
import type { Tranche } from '../../dist/src/node.js';

type AdlStep = Extract<Tranche, { kind: 'adl' }>;

/** An optional value: absent (undefined) or drawn from `a`. */
export const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

export interface TrancheArbOptions {
  /** Amounts (caps, floors, capacities, minimum gains). */
  amount: fc.Arbitrary<bigint>;
  /** The insurance funds a step may name. */
  funds: readonly Exclude<Extract<Tranche, { kind: 'insuranceFund' }>['fund'], undefined>[];
  /** Backstop providers are accounts 0..maxProviderId. */
  maxProviderId: number;
  ranking: fc.Arbitrary<AdlStep['ranking']>;
  price: fc.Arbitrary<Exclude<AdlStep['price'], undefined>>;
}

/** One step of any kind. */
export function trancheArb(o: TrancheArbOptions): fc.Arbitrary<Tranche> {
  return fc.oneof(
    fc.record({
      fund: fc.constantFrom(...o.funds), maxPerDeficitQuote: opt(o.amount), floorQuote: opt(o.amount),
      marketCapQuote: opt(o.amount), marketCapWindowSec: fc.constantFrom(0, 320), drawdown: opt(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(160, 3_600))),
    }).map(({ drawdown, ...t }): Tranche => ({ kind: 'insuranceFund', ...t, ...(drawdown ? { drawdownPpm: drawdown[0], drawdownWindowSec: drawdown[1] } : {}) })),
    opt(fc.uniqueArray(fc.record({ accountId: fc.integer({ min: 0, max: o.maxProviderId }), capacityQuote: opt(o.amount) }), { selector: (p) => p.accountId, minLength: 1, maxLength: 3 }))
      .map((providers): Tranche => ({ kind: 'backstopVault', ...(providers ? { providers } : {}) })),
    fc.record({ ranking: o.ranking, price: o.price, seed: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), topK: opt(fc.integer({ min: 1, max: 5 })) })
      .map((t): Tranche => ({ kind: 'adl', ...t })),
    fc.constantFrom<Tranche>({ kind: 'socializeFunding' }, { kind: 'haircutDeposits' }, { kind: 'haircutVaultShares' }, { kind: 'defaulterFund' }),
    fc.record({ scope: fc.constantFrom('market' as const, 'all' as const), minGainQuote: opt(o.amount), maxHaircutPpm: opt(fc.constantFrom(1, 300_000, 1_000_000)) })
      .map((t): Tranche => ({ kind: 'haircutGains', ...t })),
    fc.constantFrom(1 as const, 2 as const).map((layer): Tranche => ({ kind: 'operatorCapital', layer })),
    fc.boolean().map((withLayer2): Tranche => ({ kind: 'membersFund', withLayer2 })),
    fc.constantFrom(1, 1_000_000, 2_000_000, 100_000_000).map((multiplePpm): Tranche => ({ kind: 'assessments', multiplePpm })),
  );
}
