/**
 * Audit log: chunks are copied into growable columns, queries resolve steps and deficits through
 * each event's tables, and the JSON form round-trips exactly.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog, InputError, type AuditChunk, type AuditRecord, type DeficitInfo, type StepInfo } from '../../dist/src/node.js';
// The columns' "none" sentinels are not exported from the package root; this test writes and reads raw
// chunks, so it takes them from the module that defines them (the same built module the root exports).
import { NO_ACCOUNT, NO_DEFICIT, NO_STEP } from '../../dist/src/waterfall/audit.js';

/** The InputError `fn` throws (the audit log refuses with typed errors of the shared table). */
function refused(fn: () => unknown): InputError {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(InputError); return e as InputError; }
  throw new Error('expected a refusal');
}

const NONE16 = 0xffff;
/** [deficit, stepId, role, account, market, amount, price?, size?]; null = the column's sentinel. */
type Row = [number | null, number | null, number, number | null, number | null, bigint, bigint?, bigint?];

/** A chunk over plain typed arrays, with one garbage row past `rows` (only `count` rows are valid). */
function chunk(rows: readonly Row[]): AuditChunk {
  const n = rows.length + 1;
  const c: AuditChunk = {
    deficit: new Uint32Array(n), step: new Uint16Array(n), role: new Uint8Array(n), account: new Uint32Array(n),
    market: new Uint16Array(n), amount: new BigInt64Array(n), price: new BigInt64Array(n), size: new BigInt64Array(n),
  };
  rows.forEach(([d, s, r, a, m, amount, price = 0n, size = 0n], i) => {
    c.deficit[i] = d ?? NO_DEFICIT; c.step[i] = s ?? NO_STEP; c.role[i] = r; c.account[i] = a ?? NO_ACCOUNT;
    c.market[i] = m ?? NONE16; c.amount[i] = amount; c.price[i] = price; c.size[i] = size;
  });
  c.role[n - 1] = 9; c.amount[n - 1] = -1n; // garbage: would fail validation if read
  return c;
}

const STEPS1: StepInfo[] = [
  { waterfall: 0, step: 0, kind: 'insuranceFund' }, { waterfall: 0, step: 1, kind: 'adl' }, { waterfall: 0, step: 2, kind: 'haircutGains' },
];
const DEFICITS1: DeficitInfo[] = [
  { accountId: 7, marketId: 1, amountQuote: 100n, sizeBase: -5n, priceQuote: 2000n },
  { accountId: 8, marketId: null, amountQuote: 50n, sizeBase: 0n, priceQuote: 0n },
  { accountId: 7, marketId: 1, amountQuote: 30n, sizeBase: 2n, priceQuote: 1500n },
];
// Event 1, deficits 180 = covered 165 + uncovered 15:
//   k0 (100) = fund 60 + ADL 25 + haircut 15; the ADL trade overshoots by 2 (residue).
//   k1 (50)  = fund 50.
//   k2 (30)  = fund 10 + haircut 5 + uncovered 15.
//   haircut: covers 15 + 5 = 20, split among payers 3 (12) and 9 (9) = 21, residue 1.
const E1A: Row[] = [
  [0, 0, 0, null, 1, 60n], [1, 0, 0, null, null, 50n], [2, 0, 0, null, 1, 10n],
  [0, 1, 0, 3, 1, 25n, 2100n, 4n], [0, 1, 2, 3, 1, 2n, 2100n, 4n],
];
const E1B: Row[] = [
  [0, 2, 0, null, 1, 15n], [2, 2, 0, null, 1, 5n], [null, 2, 1, 3, 1, 12n], [null, 2, 1, 9, 1, 9n],
  [null, 2, 2, null, 1, 1n], [2, null, 3, null, 1, 15n],
];
// Event 2: the step table lists waterfall 1 first. k0 (account 3, group waterfall 1) = backstop
// providers 9 (25) + 8 (15); k1 (account 7, default waterfall) = fund 20.
const STEPS2: StepInfo[] = [{ waterfall: 1, step: 0, kind: 'backstopVault' }, { waterfall: 0, step: 0, kind: 'insuranceFund' }];
const DEFICITS2: DeficitInfo[] = [
  { accountId: 3, marketId: 2, amountQuote: 40n, sizeBase: 1n, priceQuote: 900n },
  { accountId: 7, marketId: 1, amountQuote: 20n, sizeBase: -1n, priceQuote: 1200n },
];
const E2: Row[] = [[1, 1, 0, null, 1, 20n], [0, 0, 0, 9, 2, 25n], [0, 0, 0, 8, 2, 15n]];

/** Events 1 (two chunks) and 2, from 4 rows of capacity: grows 4 -> 8 -> 16. */
function scenario(): AuditLog {
  const log = new AuditLog(4);
  log.beginEvent(1, STEPS1, DEFICITS1);
  log.append(1, chunk(E1A), E1A.length);
  log.append(1, chunk(E1B), E1B.length);
  log.beginEvent(2, STEPS2, DEFICITS2);
  log.append(2, chunk(E2), E2.length);
  return log;
}

const amounts = (rs: AuditRecord[]): bigint[] => rs.map((r) => r.amountQuote);

describe('audit: storage', () => {
  it('audit: appends chunks across events and growth, keeping every row in order', () => {
    const log = scenario();
    expect(log.length).toBe(14); // 5 + 6 + 3; the garbage rows past each count are not read
    const v = log.view();
    expect([...v.event]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]);
    expect([...v.amountQuote]).toEqual([...E1A, ...E1B, ...E2].map((r) => r[5]));
    expect([...v.role]).toEqual([0, 0, 0, 0, 2, 0, 0, 1, 1, 2, 3, 0, 0, 0]);
    expect([...v.step]).toEqual([0, 0, 0, 1, 1, 2, 2, 2, 2, 2, NO_STEP, 1, 0, 0]);
    expect(v.accountId[3]).toBe(3);
    expect(v.accountId[0]).toBe(NO_ACCOUNT);
    expect(v.marketId[1]).toBe(NONE16);
    expect(v.priceQuote[3]).toBe(2100n);
    expect(v.sizeBase[3]).toBe(4n);
  });

  it('audit: records resolve steps through the event tables and sentinels to null', () => {
    const rs = scenario().records();
    expect(rs).toHaveLength(14);
    expect(rs[1]).toEqual({
      event: 1, deficit: 1, waterfall: 0, step: 0, tranche: 'insuranceFund', role: 'cover',
      accountId: null, marketId: null, amountQuote: 50n, priceQuote: 0n, sizeBase: 0n,
    });
    expect(rs[4]).toEqual({
      event: 1, deficit: 0, waterfall: 0, step: 1, tranche: 'adl', role: 'residue',
      accountId: 3, marketId: 1, amountQuote: 2n, priceQuote: 2100n, sizeBase: 4n,
    });
    expect(rs[7]).toMatchObject({ deficit: null, tranche: 'haircutGains', role: 'pay', accountId: 3 });
    expect(rs[10]).toMatchObject({ deficit: 2, waterfall: null, step: null, tranche: null, role: 'uncovered', amountQuote: 15n });
    // Step id 1 of event 2 is waterfall 0's fund, not event 1's ADL.
    expect(rs[11]).toMatchObject({ event: 2, waterfall: 0, step: 0, tranche: 'insuranceFund' });
    expect(rs[12]).toMatchObject({ event: 2, waterfall: 1, step: 0, tranche: 'backstopVault', accountId: 9 });
  });

  it('audit: append copies; a chunk reused or mutated afterwards leaves the store alone', () => {
    const log = new AuditLog();
    log.beginEvent(1, STEPS1, DEFICITS1);
    const c = chunk(E1A);
    log.append(1, c, 3);
    c.amount[0] = 999n; c.role[1] = 1; c.account[2] = 5; c.deficit[0] = 2;
    expect(log.length).toBe(3);
    const v = log.view();
    expect([...v.amountQuote]).toEqual([60n, 50n, 10n]);
    expect([...v.role]).toEqual([0, 0, 0]);
    expect([...v.accountId]).toEqual([NO_ACCOUNT, NO_ACCOUNT, NO_ACCOUNT]);
    expect([...v.deficit]).toEqual([0, 1, 2]);
  });

  it('audit: view is zero-copy until the next append', () => {
    const log = new AuditLog(16);
    log.beginEvent(1, STEPS1, DEFICITS1);
    log.append(1, chunk(E1A), E1A.length);
    const v = log.view();
    expect(v.amountQuote).toHaveLength(5);
    expect(log.view().amountQuote.buffer).toBe(v.amountQuote.buffer);
    v.amountQuote[0] = 61n; // a write through the view is a write to the store
    expect(log.records()[0]!.amountQuote).toBe(61n);
    expect(log.forDeficit(1, 0).coveredQuote).toBe(61n + 25n);
    // Growth (5 + 16 rows > 16) moves the rows: the old view no longer aliases the store.
    const many: Row[] = Array.from({ length: 16 }, () => [null, 2, 1, 4, 1, 1n]);
    log.append(1, chunk(many), many.length);
    const w = log.view();
    expect(w.amountQuote.buffer).not.toBe(v.amountQuote.buffer);
    expect(w.amountQuote[0]).toBe(61n);
    v.amountQuote[0] = 1n;
    expect(log.view().amountQuote[0]).toBe(61n);
    expect(v.event).toHaveLength(5); // an old view keeps its length
  });

  it('audit: bulk appends through a reused chunk buffer grow past the default capacity', () => {
    // 3 events x 1500 pay rows (account i, amount i + 1), 500 rows per chunk through one buffer.
    const log = new AuditLog();
    const steps: StepInfo[] = [{ waterfall: 0, step: 0, kind: 'haircutDeposits' }];
    const buf = chunk(Array.from({ length: 500 }, () => [null, 0, 1, 0, null, 1n] as Row));
    for (let e = 1; e <= 3; e++) {
      log.beginEvent(e, steps, [{ accountId: 1000 + e, marketId: null, amountQuote: 1_125_750n, sizeBase: 0n, priceQuote: 0n }]);
      for (let part = 0; part < 3; part++) {
        for (let i = 0; i < 500; i++) { buf.account[i] = part * 500 + i; buf.amount[i] = BigInt(part * 500 + i + 1); }
        log.append(e, buf, 500);
      }
    }
    expect(log.length).toBe(4500);
    const v = log.view();
    expect(v.accountId[1499]).toBe(1499);
    expect(v.accountId[1500]).toBe(0);
    expect(v.event[1499]).toBe(1);
    expect(v.event[1500]).toBe(2);
    expect(v.amountQuote[4499]).toBe(1500n);
    // Per event sum 1..1500 = 1,125,750; three events share one (waterfall, step, tranche) key.
    expect(log.totalsByTranche()).toEqual([
      { waterfall: 0, step: 0, tranche: 'haircutDeposits', coveredQuote: 0n, paidQuote: 3_377_250n, residueQuote: 0n },
    ]);
    expect(log.totalsByTranche(2)[0]!.paidQuote).toBe(1_125_750n);
    // Account 42 paid 43 in each event.
    expect(log.forAccount(42).paidQuote).toBe(129n);
    expect(log.forAccount(42).paid.map((r) => r.event)).toEqual([1, 2, 3]);
  });

  it('audit: clear forgets events and records; event numbers may start over', () => {
    const log = scenario();
    log.clear();
    expect(log.length).toBe(0);
    expect(log.records()).toEqual([]);
    expect(log.deficits()).toEqual([]);
    expect(log.view().event).toHaveLength(0);
    log.beginEvent(1, STEPS2, DEFICITS2);
    log.append(1, chunk(E2), 2);
    expect(log.length).toBe(2);
    expect(log.forDeficit(1, 1).coveredQuote).toBe(20n);
  });
});

describe('audit: validation', () => {
  it('audit: append checks the event, the count and every row, and a refused chunk stores nothing', () => {
    const log = new AuditLog();
    expect(refused(() => log.append(1, chunk(E2), 1))).toMatchObject({ codeName: 'OutOfRange', field: 'event', message: expect.stringMatching(/open event is none/) });
    log.beginEvent(1, STEPS1, DEFICITS1);
    expect(refused(() => log.beginEvent(1, STEPS1, DEFICITS1))).toMatchObject({ codeName: 'OutOfRange', field: 'event', message: expect.stringMatching(/does not follow/) });
    expect(refused(() => log.append(2, chunk(E2), 1))).toMatchObject({ codeName: 'OutOfRange', field: 'event', message: expect.stringMatching(/open event is 1/) });
    expect(refused(() => log.append(1, chunk(E1A), E1A.length + 2))).toMatchObject({ codeName: 'CountMismatch', field: 'deficit', message: expect.stringMatching(/fewer than count/) });
    const bad: [string, string, Row][] = [
      ['step id 3', 'stepId', [0, 3, 0, null, 1, 1n]], // only 3 steps
      ['step id 0', 'stepId', [0, 0, 3, null, 1, 1n]], // uncovered must have no step
      ['deficit 3', 'deficit', [3, 0, 0, null, 1, 1n]], // only 3 deficits
      ['deficit 4294967295 for a cover', 'deficit', [null, 0, 0, null, 1, 1n]],
      ['deficit 0 for a pay', 'deficit', [0, 0, 1, 3, 1, 1n]],
      ['role 4', 'role', [0, 0, 4, null, 1, 1n]],
      ['amount 0', 'amountQuote', [0, 0, 0, null, 1, 0n]],
    ];
    for (const [message, field, row] of bad) {
      expect(refused(() => log.append(1, chunk([E1A[0]!, row]), 2)), message).toMatchObject({ codeName: 'OutOfRange', field, row: 1, message: expect.stringContaining(`row 1: invalid ${message}`) });
    }
    expect(log.length).toBe(0);
    log.beginEvent(2, STEPS2, DEFICITS2);
    expect(() => log.append(1, chunk(E1A), 1)).toThrow(/open event is 2/); // earlier events are closed
  });
});

describe('audit: queries', () => {
  it('audit: forAccount splits what an account paid from what covered its deficits', () => {
    const log = scenario();
    // 3 paid ADL 25 + its residue 2 + haircut share 12 = 39; its event 2 deficit got 25 + 15 = 40.
    const a3 = log.forAccount(3);
    expect(amounts(a3.paid)).toEqual([25n, 2n, 12n]);
    expect(a3.paid.map((r) => r.role)).toEqual(['cover', 'residue', 'pay']);
    expect(a3.paidQuote).toBe(39n);
    expect(amounts(a3.received)).toEqual([25n, 15n]);
    expect(a3.received.every((r) => r.event === 2 && r.deficit === 0)).toBe(true);
    expect(a3.receivedQuote).toBe(40n);
    // 7 paid nothing; covers of its deficits: e1 k0 60 + 25 + 15, e1 k2 10 + 5 (not the 15 uncovered), e2 k1 20.
    const a7 = log.forAccount(7);
    expect(a7.paid).toEqual([]);
    expect(a7.paidQuote).toBe(0n);
    expect(amounts(a7.received)).toEqual([60n, 10n, 25n, 15n, 5n, 20n]);
    expect(a7.receivedQuote).toBe(135n);
    // 9: haircut share 9 (e1) + backstop 25 (e2); 8: backstop 15, and its settle deficit got 50.
    expect(log.forAccount(9)).toMatchObject({ paidQuote: 34n, receivedQuote: 0n });
    expect(log.forAccount(8)).toMatchObject({ paidQuote: 15n, receivedQuote: 50n });
    expect(log.forAccount(12345)).toEqual({ paid: [], received: [], paidQuote: 0n, receivedQuote: 0n });
  });

  it('audit: forDeficit lists cover and uncovered records, not residue', () => {
    const log = scenario();
    const k0 = log.forDeficit(1, 0); // 60 + 25 + 15 = 100; the ADL residue 2 is not part of it
    expect(k0.deficit).toEqual({ event: 1, index: 0, accountId: 7, marketId: 1, amountQuote: 100n, sizeBase: -5n, priceQuote: 2000n });
    expect(amounts(k0.covers)).toEqual([60n, 25n, 15n]);
    expect(k0.coveredQuote).toBe(100n);
    expect(k0.uncoveredQuote).toBe(0n);
    const k2 = log.forDeficit(1, 2); // 10 + 5 covered, 15 uncovered: the deficit's 30
    expect(k2.covers.map((r) => r.role)).toEqual(['cover', 'cover', 'uncovered']);
    expect(k2.coveredQuote).toBe(15n);
    expect(k2.uncoveredQuote).toBe(15n);
    expect(log.forDeficit(2, 0).covers.map((r) => r.accountId)).toEqual([9, 8]);
    expect(refused(() => log.forDeficit(3, 0))).toMatchObject({ codeName: 'OutOfRange', field: 'event', message: expect.stringMatching(/no event 3/) });
    expect(refused(() => log.forDeficit(1, 3))).toMatchObject({ codeName: 'OutOfRange', field: 'deficit', message: expect.stringMatching(/no deficit 3/) });
  });

  it('audit: totalsByTranche sums roles per step, ordered by first event, waterfall, step', () => {
    const log = scenario();
    // Fund: 60 + 50 + 10 (e1) + 20 (e2) = 140. Event 2's waterfall-1 step is new, so it comes last.
    expect(log.totalsByTranche()).toEqual([
      { waterfall: 0, step: 0, tranche: 'insuranceFund', coveredQuote: 140n, paidQuote: 0n, residueQuote: 0n },
      { waterfall: 0, step: 1, tranche: 'adl', coveredQuote: 25n, paidQuote: 0n, residueQuote: 2n },
      { waterfall: 0, step: 2, tranche: 'haircutGains', coveredQuote: 20n, paidQuote: 21n, residueQuote: 1n },
      { waterfall: 1, step: 0, tranche: 'backstopVault', coveredQuote: 40n, paidQuote: 0n, residueQuote: 0n },
    ]);
    // Event 2 alone: waterfall order, although its step table lists waterfall 1 first.
    expect(log.totalsByTranche(2)).toEqual([
      { waterfall: 0, step: 0, tranche: 'insuranceFund', coveredQuote: 20n, paidQuote: 0n, residueQuote: 0n },
      { waterfall: 1, step: 0, tranche: 'backstopVault', coveredQuote: 40n, paidQuote: 0n, residueQuote: 0n },
    ]);
    // A step that moved nothing still appears: event 3 with no records.
    log.beginEvent(3, [{ waterfall: 0, step: 0, kind: 'defaulterFund' }], []);
    expect(log.totalsByTranche(3)).toEqual([
      { waterfall: 0, step: 0, tranche: 'defaulterFund', coveredQuote: 0n, paidQuote: 0n, residueQuote: 0n },
    ]);
    expect(refused(() => log.totalsByTranche(9))).toMatchObject({ codeName: 'OutOfRange', field: 'event', message: expect.stringMatching(/no event 9/) });
  });

  it('audit: deficits lists the tables of one event or all, as copies', () => {
    const log = scenario();
    expect(log.deficits().map((d) => [d.event, d.index, d.accountId])).toEqual([[1, 0, 7], [1, 1, 8], [1, 2, 7], [2, 0, 3], [2, 1, 7]]);
    expect(log.deficits(2)[1]).toEqual({ event: 2, index: 1, ...DEFICITS2[1] });
    log.deficits(1)[0]!.amountQuote = 1n; // a returned copy
    const table: DeficitInfo[] = [{ ...DEFICITS2[0]! }];
    log.beginEvent(3, STEPS2, table);
    table[0]!.accountId = 99; // the log copied the table on beginEvent
    expect(log.deficits(1)[0]!.amountQuote).toBe(100n);
    expect(log.deficits(3)[0]!.accountId).toBe(3);
  });
});

describe('audit: JSON', () => {
  it('audit: toJSON is JSON-safe and fromJSON restores the log exactly', () => {
    const log = scenario();
    const json = log.toJSON();
    expect(json.events.map((e) => e.event)).toEqual([1, 2]);
    expect(json.events[0]!.deficits[0]).toEqual({ accountId: 7, marketId: 1, amountQuote: '100', sizeBase: '-5', priceQuote: '2000' });
    expect(json.records[4]).toEqual({
      event: 1, deficit: 0, stepId: 1, role: 'residue', accountId: 3, marketId: 1, amountQuote: '2', priceQuote: '2100', sizeBase: '4',
    });
    expect(json.records[10]).toMatchObject({ deficit: 2, stepId: null, role: 'uncovered', accountId: null });
    const text = JSON.stringify(json); // throws on any bigint left in
    const back = AuditLog.fromJSON(JSON.parse(text));
    expect(back.toJSON()).toEqual(json);
    expect(back.records()).toEqual(log.records());
    expect(back.totalsByTranche()).toEqual(log.totalsByTranche());
    const [a, b] = [log.view(), back.view()];
    for (const key of Object.keys(a) as (keyof typeof a)[]) expect([...b[key]], key).toEqual([...a[key]]);
    // The restored log goes on accepting events.
    back.beginEvent(3, STEPS1, []);
    expect(back.totalsByTranche(3)).toHaveLength(3);
  });

  it('audit: fromJSON rejects malformed amounts, roles and records of unknown events', () => {
    const json = scenario().toJSON();
    const edit = (f: (j: typeof json) => void): typeof json => { const j = structuredClone(json); f(j); return j; };
    const from = (f: (j: typeof json) => void) => refused(() => AuditLog.fromJSON(edit(f)));
    expect(from((j) => { j.records[0]!.amountQuote = '1.5'; })).toMatchObject({ codeName: 'InvalidNumber', field: 'amountQuote', row: 0, message: expect.stringMatching(/record 0 amountQuote/) });
    expect(from((j) => { j.records[0]!.sizeBase = (2n ** 63n).toString(); })).toMatchObject({ codeName: 'OutOfRange', field: 'sizeBase', row: 0, message: expect.stringMatching(/does not fit 64 bits/) });
    expect(from((j) => { (j.records[2]! as { role: string }).role = 'refund'; })).toMatchObject({ codeName: 'OutOfRange', field: 'role', row: 2, message: expect.stringMatching(/unknown role "refund"/) });
    const last = json.records.length - 1;
    expect(from((j) => { j.records.at(-1)!.event = 5; })).toMatchObject({ codeName: 'OutOfRange', field: 'event', row: last, message: expect.stringMatching(/event 5 is not listed/) });
    expect(from((j) => { j.records[0]!.stepId = 7; })).toMatchObject({ codeName: 'OutOfRange', field: 'stepId', row: 0, message: expect.stringMatching(/invalid step id 7/) });
    expect(refused(() => AuditLog.fromJSON({ events: [] } as never))).toMatchObject({ codeName: 'InvalidNumber', field: 'records', message: expect.stringMatching(/events and records/) });
  });
});
