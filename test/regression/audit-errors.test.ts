/**
 * Regression: the audit log refuses with the shared table's typed errors. Before, its queries threw
 * RangeError for an unknown event or deficit (`forDeficit(9, 0)`, `deficits(NaN)`,
 * `totalsByTranche(2 ** 53)`) or an id that is not an account id (`forAccount('-0')`), and
 * `AuditLog.fromJSON` threw TypeError for anything but an object with two arrays (`fromJSON(2 ** 53)`,
 * null, a record or event entry that is null, an unknown role) and RangeError for ids, amounts and
 * event order: none with a code, a field or a row. Now each is an InputError naming the field
 * (`event`, `deficit`, `accountId`, `records`, `role`, `amountQuote`...) and the row where there is one.
 */
import { describe, expect, it } from 'vitest';
import { AuditLog, InputError } from '../../dist/src/node.js';

type AuditJSON = ReturnType<AuditLog['toJSON']>;
import { caught } from '../support/engine.js';
import { fixture } from './support.js';

/** A log with one event from a real run: the fixture's bankrupt account's deficit, covered by its fund. */
async function realLog(): Promise<AuditLog> {
  const { engine } = await fixture({ settled: true });
  const log = AuditLog.fromJSON(engine.auditLog.toJSON());
  engine.dispose();
  return log;
}

function expectInput(fn: () => unknown, codeName: string, field: string, row = -1): void {
  const e = caught(fn);
  expect(e, String(e)).toBeInstanceOf(InputError);
  expect({ codeName: e.codeName, field: e.field, row: e.row }, e.message).toEqual({ codeName, field, row });
}

describe('regression: audit log errors are typed', () => {
  it('queries refuse unknown events and deficits, and ids that are not integers', async () => {
    const log = await realLog();
    expect(log.deficits(1).length).toBeGreaterThan(0);
    expectInput(() => log.forDeficit(9, 0), 'OutOfRange', 'event');
    expectInput(() => log.forDeficit(1, 99), 'OutOfRange', 'deficit');
    expectInput(() => log.forDeficit(1, 0.5), 'InvalidNumber', 'deficit');
    expectInput(() => log.forDeficit(1, '0' as never), 'InvalidNumber', 'deficit');
    expectInput(() => log.deficits(NaN), 'InvalidNumber', 'event');
    expectInput(() => log.deficits(null as never), 'InvalidNumber', 'event');
    expectInput(() => log.totalsByTranche(2 ** 53), 'OutOfRange', 'event');
    expectInput(() => log.totalsByTranche(Object.create(null) as never), 'InvalidNumber', 'event');
    expectInput(() => log.forAccount('-0' as never), 'InvalidNumber', 'accountId');
    expectInput(() => log.forAccount(-1), 'OutOfRange', 'accountId');
    expectInput(() => new AuditLog(-1), 'OutOfRange', 'initialCapacity');
  });

  it('fromJSON refuses malformed logs, naming the field and the row', async () => {
    const json = (await realLog()).toJSON();
    const edit = (f: (j: AuditJSON) => void): AuditJSON => { const j = structuredClone(json); f(j); return j; };
    for (const value of [2 ** 53, null, undefined, 'log', [], Object.create(null)]) expectInput(() => AuditLog.fromJSON(value as never), 'InvalidNumber', 'events');
    expectInput(() => AuditLog.fromJSON({ events: [] } as never), 'InvalidNumber', 'records');
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events as unknown[])[0] = null; })), 'InvalidNumber', 'events', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.records as unknown[])[0] = null; })), 'InvalidNumber', 'records', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events[0] as { steps: unknown }).steps = 'x'; })), 'InvalidNumber', 'steps');
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events[0] as { deficits: unknown }).deficits = {}; })), 'InvalidNumber', 'deficits', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events[0]!.deficits as unknown[])[0] = 7; })), 'InvalidNumber', 'deficits', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { j.events[0]!.deficits[0]!.amountQuote = '1e3'; })), 'InvalidNumber', 'amountQuote', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events[0]!.steps[0] as { kind: string }).kind = 'constructor'; })), 'InvalidWaterfall', 'tranche', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.events[0] as { event: unknown }).event = '1'; })), 'InvalidNumber', 'event');
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.records[0] as { role: unknown }).role = Object.create(null); })), 'OutOfRange', 'role', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { (j.records[0] as { amountQuote: unknown }).amountQuote = 5; })), 'InvalidNumber', 'amountQuote', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { j.records[0]!.accountId = 2 ** 32; })), 'OutOfRange', 'accountId', 0);
    expectInput(() => AuditLog.fromJSON(edit((j) => { j.records[0]!.event = 7; })), 'OutOfRange', 'event', 0);
    // The log it was made from restores exactly.
    expect(AuditLog.fromJSON(structuredClone(json)).toJSON()).toEqual(json);
  });
});
