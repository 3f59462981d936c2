/**
 * Regression: the audit log takes ids and step kinds as they are, never converted. Before, a
 * restored log (`AuditLog.fromJSON`) wrote ids into its typed columns with their conversions
 * (`'5'` became account 5, `-1` became the "none" sentinel, `2**32` became 0, `'constructor'` 0),
 * `beginEvent` accepted a step kind that names no tranche, and `forAccount('5')` answered for
 * no account at all. Refusals are InputErrors of the shared table naming the field
 * (test/regression/audit-errors.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { AuditLog, InputError, type AuditChunk } from '../../dist/src/node.js';

/** One event: an insurance-fund step covering deficit 0 (account 7, market 1) in full. */
function log(): AuditLog {
  const l = new AuditLog();
  l.beginEvent(1, [{ waterfall: 0, step: 0, kind: 'insuranceFund' }], [{ accountId: 7, marketId: 1, amountQuote: 100n, sizeBase: -5n, priceQuote: 2_000n }]);
  const chunk: AuditChunk = {
    deficit: Uint32Array.of(0), step: Uint16Array.of(0), role: Uint8Array.of(0), account: Uint32Array.of(0xffffffff),
    market: Uint16Array.of(1), amount: BigInt64Array.of(100n), price: BigInt64Array.of(0n), size: BigInt64Array.of(0n),
  };
  l.append(1, chunk, 1);
  return l;
}

const HOSTILE_IDS: readonly unknown[] = ['5', [0], 'constructor', 1.5, -1, NaN, 2 ** 32, true, {}];

describe('regression: audit log ids and step kinds', () => {
  it('fromJSON refuses record ids that are not null or integers in range', () => {
    const json = log().toJSON();
    expect(AuditLog.fromJSON(structuredClone(json)).records()).toEqual(log().records());
    for (const field of ['deficit', 'stepId', 'accountId', 'marketId'] as const) {
      for (const v of HOSTILE_IDS) {
        const j = structuredClone(json);
        (j.records[0] as unknown as Record<string, unknown>)[field] = v;
        expect(() => AuditLog.fromJSON(j), `${field} = ${JSON.stringify(v) ?? String(v)}`).toThrow(new RegExp(`record 0 ${field}`));
      }
    }
  });

  it('beginEvent (and so fromJSON) refuses step kinds that name no tranche and ids that are not integers', () => {
    for (const kind of ['constructor', 'toString', '__proto__', 'InsuranceFund', '', 0, null]) {
      expect(() => new AuditLog().beginEvent(1, [{ waterfall: 0, step: 0, kind: kind as 'adl' }], []), `kind ${String(kind)}`).toThrow(InputError);
    }
    for (const v of HOSTILE_IDS) {
      expect(() => new AuditLog().beginEvent(1, [{ waterfall: v as number, step: 0, kind: 'adl' }], []), `waterfall ${String(v)}`).toThrow(InputError);
      expect(() => new AuditLog().beginEvent(1, [], [{ accountId: v as number, marketId: null, amountQuote: 1n, sizeBase: 0n, priceQuote: 0n }]), `accountId ${String(v)}`).toThrow(InputError);
    }
    const json = log().toJSON();
    (json.events[0]!.steps[0] as { kind: string }).kind = 'hasOwnProperty';
    expect(() => AuditLog.fromJSON(json)).toThrow(/step 0/);
  });

  it('forAccount refuses an id that is not an integer account id', () => {
    const l = log();
    for (const v of HOSTILE_IDS) expect(() => l.forAccount(v as number), String(v)).toThrow(InputError);
    expect(l.forAccount(7).receivedQuote).toBe(100n);
  });
});
