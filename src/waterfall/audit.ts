/**
 * The loss-allocation audit log: every amount the waterfall moved, for every event (run), kept on
 * the JS side so the history outlives the core's chunk buffers (docs/WATERFALL.md).
 *
 * The core reports an event as a step table, a deficit table and records in chunks. Records are
 * stored as rows of typed columns (no object per row until a query asks for one), grown by
 * doubling. Rows of one event are contiguous, so per-event queries scan only that event's range.
 *
 * Roles of a record:
 * - `cover`: step `step` covered part of deficit `deficit` (account: the single payer, or none);
 * - `pay`: a payer's share of what a pro-rata step covered in total (no deficit);
 * - `residue`: what payers paid beyond what the deficits needed (rounding, ADL overshoot);
 * - `uncovered`: what was left of a deficit after the last step (no step).
 *
 * Refusals are InputErrors of the shared table naming the field (and the row: the record, deficit
 * or step index) and change nothing: InvalidNumber for a value of the wrong type (a non-integer id,
 * an amount that is not a decimal string, a list that is not an array), OutOfRange for one outside
 * its range (an unknown event or deficit, an unknown role, an event out of order), CountMismatch for
 * a chunk shorter than its count, InvalidWaterfall for a step kind that names no tranche.
 */
import { describeValue, inputError, type StatusName } from '../errors.js';
import { NO_MARKET } from '../abi/codes.js';
import { TRANCHE_KINDS, type StepInfo, type TrancheKind } from './config.js';

/** Column sentinels for "none". `NO_MARKET` (0xFFFF) marks a record without a market. */
export const NO_DEFICIT = 0xffffffff;
export const NO_ACCOUNT = 0xffffffff;
export const NO_STEP = 0xffff;

export type AuditRole = 'cover' | 'pay' | 'residue' | 'uncovered';
/** Role names by their code in the `role` column. */
export const AUDIT_ROLES: readonly AuditRole[] = ['cover', 'pay', 'residue', 'uncovered'];
const COVER = 0, PAY = 1, RESIDUE = 2, UNCOVERED = 3;

/** One entry of an event's step table: step id (its index) -> the tranche it ran (StepInfo, waterfall/config.ts). */
export type { StepInfo };

/** One entry of an event's deficit table (index k): the deficit record the event allocated. */
export interface DeficitInfo {
  accountId: number;
  /** null for a settle record. */
  marketId: number | null;
  amountQuote: bigint;
  /** The close's signed size and price; 0 for settle rows and size-0 closes. */
  sizeBase: bigint;
  priceQuote: bigint;
}

/** A chunk of records in the core's memory; only the first `count` rows passed to `append` are read. */
export interface AuditChunk {
  /** Deficit index k in the event's table; NO_DEFICIT for pay records. */
  deficit: Uint32Array;
  /** Step id (index into the event's step table); NO_STEP for uncovered records. */
  step: Uint16Array;
  /** Role code: 0 cover, 1 pay, 2 residue, 3 uncovered (AUDIT_ROLES). */
  role: Uint8Array;
  /** Paying account; NO_ACCOUNT for a fund or a market-wide amount. */
  account: Uint32Array;
  /** NO_MARKET for none. */
  market: Uint16Array;
  /** Quote atoms moved (> 0). */
  amount: BigInt64Array;
  /** ADL: the close price; else 0. */
  price: BigInt64Array;
  /** ADL: the counterparty's signed trade; else 0. */
  size: BigInt64Array;
}

/**
 * The whole store as columns, one row per record in append order. Zero-copy: the arrays alias the
 * store's buffers, so they are valid only until the next `append` or `clear` (growth moves the
 * rows to new buffers; older views then show stale data). Treat them as read-only.
 * Sentinels as in AuditChunk.
 */
export interface AuditView {
  event: Uint32Array;
  deficit: Uint32Array;
  step: Uint16Array;
  role: Uint8Array;
  accountId: Uint32Array;
  marketId: Uint16Array;
  amountQuote: BigInt64Array;
  priceQuote: BigInt64Array;
  sizeBase: BigInt64Array;
}

/** One record with its step resolved through the event's step table; null where the column says none. */
export interface AuditRecord {
  event: number;
  deficit: number | null;
  waterfall: number | null;
  step: number | null;
  tranche: TrancheKind | null;
  role: AuditRole;
  accountId: number | null;
  marketId: number | null;
  amountQuote: bigint;
  priceQuote: bigint;
  sizeBase: bigint;
}

export type EventDeficit = DeficitInfo & { event: number; index: number };

export interface AccountAudit {
  /** Records this account paid (cover, pay or residue), in record order. */
  paid: AuditRecord[];
  /** Cover records of deficits of this account, in record order. */
  received: AuditRecord[];
  paidQuote: bigint;
  receivedQuote: bigint;
}

export interface DeficitAudit {
  deficit: EventDeficit;
  /** Cover and uncovered records of the deficit, in record order (residue is the payers', not the deficit's). */
  covers: AuditRecord[];
  coveredQuote: bigint;
  uncoveredQuote: bigint;
}

/** What one step of one waterfall moved, by role. */
export interface TrancheTotals {
  waterfall: number;
  step: number;
  tranche: TrancheKind;
  coveredQuote: bigint;
  paidQuote: bigint;
  residueQuote: bigint;
}

/** JSON form: bigints as decimal strings, sentinels as null; `stepId` indexes the event's `steps`. */
export interface AuditJSON {
  events: { event: number; steps: StepInfo[]; deficits: DeficitJSON[] }[];
  records: AuditRecordJSON[];
}
export interface DeficitJSON { accountId: number; marketId: number | null; amountQuote: string; sizeBase: string; priceQuote: string }
export interface AuditRecordJSON {
  event: number;
  deficit: number | null;
  stepId: number | null;
  role: AuditRole;
  accountId: number | null;
  marketId: number | null;
  amountQuote: string;
  priceQuote: string;
  sizeBase: string;
}

const CHUNK_COLUMNS = ['deficit', 'step', 'role', 'account', 'market', 'amount', 'price', 'size'] as const satisfies readonly (keyof AuditChunk)[];

/** An event's tables and its rows [start, end) in the store. */
interface EventEntry {
  event: number;
  steps: readonly StepInfo[];
  deficits: readonly DeficitInfo[];
  start: number;
  end: number;
}

/** Full-capacity columns; rows [0, length) are valid. */
type Columns = AuditView;

function allocate(capacity: number): Columns {
  return {
    event: new Uint32Array(capacity), deficit: new Uint32Array(capacity), step: new Uint16Array(capacity),
    role: new Uint8Array(capacity), accountId: new Uint32Array(capacity), marketId: new Uint16Array(capacity),
    amountQuote: new BigInt64Array(capacity), priceQuote: new BigInt64Array(capacity), sizeBase: new BigInt64Array(capacity),
  };
}

const orNull = (value: number, none: number): number | null => (value === none ? null : value);

/** An id of a record or table: an integer in 0..limit-1 (no string, array or property name that converts to one). */
function isId(value: unknown, limit: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < limit;
}

/** `value` as an id below `limit`, or an InputError naming `field` (InvalidNumber: not an integer; OutOfRange: outside 0..limit-1). */
function idOf(value: unknown, limit: number, field: string, row: number, what: string): number {
  if (isId(value, limit)) return value;
  const integer = typeof value === 'number' && Number.isInteger(value);
  throw inputError(integer ? 'OutOfRange' : 'InvalidNumber', field, row, `${what}: ${describeValue(value)} is not an integer in 0..${limit - 1}`);
}

const refuse = (code: StatusName, field: string, row: number, detail: string) => inputError(code, field, row, detail);

/** `value` as a column entry: null is the column's `none`; otherwise an id below `none`. */
function idOrNone(value: unknown, none: number, field: string, row: number, what: string): number {
  if (value === null) return none;
  if (!isId(value, none)) {
    const integer = typeof value === 'number' && Number.isInteger(value);
    throw refuse(integer ? 'OutOfRange' : 'InvalidNumber', field, row, `${what}: ${describeValue(value)} is not null or an integer in 0..${none - 1}`);
  }
  return value;
}

/**
 * The store. Call `beginEvent` once per event (event numbers strictly increasing), then `append`
 * each of its chunks; records can only be appended to the latest event.
 */
export class AuditLog {
  private cols: Columns;
  private rows = 0;
  private readonly entries: EventEntry[] = [];
  private readonly byEvent = new Map<number, EventEntry>();

  /** `initialCapacity`: rows allocated up front; the store doubles when full. */
  constructor(private readonly initialCapacity = 1024) {
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > 2 ** 31) {
      throw refuse(typeof initialCapacity === 'number' && Number.isInteger(initialCapacity) ? 'OutOfRange' : 'InvalidNumber', 'initialCapacity', -1, `${describeValue(initialCapacity)} is not a count of rows in 0..2^31`);
    }
    this.cols = allocate(initialCapacity);
  }

  /** Records stored. */
  get length(): number {
    return this.rows;
  }

  /** Forgets every event and record and releases the grown buffers. */
  clear(): void {
    this.cols = allocate(this.initialCapacity);
    this.rows = 0;
    this.entries.length = 0;
    this.byEvent.clear();
  }

  /** Opens an event with its step and deficit tables (copied). */
  beginEvent(event: number, steps: readonly StepInfo[], deficits: readonly DeficitInfo[]): void {
    if (!isId(event, 0x100000000) || event < 1) {
      throw refuse(typeof event === 'number' && Number.isInteger(event) ? 'OutOfRange' : 'InvalidNumber', 'event', -1, `event ${describeValue(event)} is not in 1..2^32-1`);
    }
    const last = this.entries.at(-1);
    if (last && event <= last.event) throw refuse('OutOfRange', 'event', -1, `event ${event} does not follow event ${last.event}`);
    if (!Array.isArray(steps)) throw refuse('InvalidNumber', 'steps', -1, `event ${event}: the step table is ${describeValue(steps)}, not an array`);
    if (!Array.isArray(deficits)) throw refuse('InvalidNumber', 'deficits', -1, `event ${event}: the deficit table is ${describeValue(deficits)}, not an array`);
    if (steps.length >= NO_STEP) throw refuse('OutOfRange', 'steps', -1, `event ${event}: ${steps.length} steps; step ids must stay below ${NO_STEP}`);
    if (deficits.length >= NO_DEFICIT) throw refuse('OutOfRange', 'deficits', -1, `event ${event}: too many deficits`);
    // Step kinds are names of TRANCHE_KINDS (a list: no inherited property matches); ids are integers.
    const stepTable = steps.map((s: unknown, id) => {
      if (typeof s !== 'object' || s === null) throw refuse('InvalidNumber', 'steps', id, `event ${event}, step ${id}: ${describeValue(s)} is not a step`);
      const { waterfall, step, kind } = s as Record<string, unknown>;
      const where = `event ${event}, step ${id}`;
      const w = idOf(waterfall, 256, 'waterfall', id, where), j = idOf(step, NO_STEP, 'step', id, where);
      if (!TRANCHE_KINDS.includes(kind as TrancheKind)) throw refuse('InvalidWaterfall', 'tranche', id, `${where}: kind ${describeValue(kind)} is not a step`);
      return { waterfall: w, step: j, kind: kind as TrancheKind };
    });
    const deficitTable = deficits.map((d: unknown, k) => {
      if (typeof d !== 'object' || d === null) throw refuse('InvalidNumber', 'deficits', k, `event ${event}, deficit ${k}: ${describeValue(d)} is not a deficit`);
      const { accountId, marketId, amountQuote, sizeBase, priceQuote } = d as Record<string, unknown>;
      const where = `event ${event}, deficit ${k}`;
      const a = idOf(accountId, NO_ACCOUNT, 'accountId', k, where);
      const m = marketId === null ? null : idOf(marketId, NO_MARKET, 'marketId', k, where);
      for (const [field, v] of [['amountQuote', amountQuote], ['sizeBase', sizeBase], ['priceQuote', priceQuote]] as const) {
        if (typeof v !== 'bigint') throw refuse('InvalidNumber', field, k, `${where}: ${field} ${describeValue(v)} is not a bigint`);
      }
      return { accountId: a, marketId: m, amountQuote: amountQuote as bigint, sizeBase: sizeBase as bigint, priceQuote: priceQuote as bigint };
    });
    const entry: EventEntry = {
      event,
      steps: stepTable,
      deficits: deficitTable,
      start: this.rows,
      end: this.rows,
    };
    this.entries.push(entry);
    this.byEvent.set(event, entry);
  }

  /**
   * Copies the first `count` rows of a chunk into the store (the chunk may be reused afterwards).
   * Rows are checked against the event's tables first (unless `trusted`: written by the core); a
   * chunk that fails changes nothing. `firstRow` numbers the chunk's rows in refusals (fromJSON: the
   * index of its first record).
   */
  append(event: number, chunk: AuditChunk, count: number, trusted = false, firstRow = 0): void {
    const entry = this.entries.at(-1);
    if (!entry || entry.event !== event) throw refuse('OutOfRange', 'event', -1, `append to event ${describeValue(event)}: the open event is ${entry?.event ?? 'none'}`);
    if (!Number.isSafeInteger(count) || count < 0) throw refuse('InvalidNumber', 'count', -1, `count ${describeValue(count)} is not a count`);
    for (const name of CHUNK_COLUMNS) {
      if (chunk[name].length < count) throw refuse('CountMismatch', name, -1, `chunk column ${name} has ${chunk[name].length} rows, fewer than count ${count}`);
    }
    if (count === 0) return;
    // Chunks straight from the core are well formed by construction (`trusted`); others are checked.
    if (!trusted) this.check(entry, chunk, count, firstRow);

    const at = this.rows;
    this.reserve(at + count);
    const c = this.cols;
    c.event.fill(event, at, at + count);
    c.deficit.set(chunk.deficit.subarray(0, count), at);
    c.step.set(chunk.step.subarray(0, count), at);
    c.role.set(chunk.role.subarray(0, count), at);
    c.accountId.set(chunk.account.subarray(0, count), at);
    c.marketId.set(chunk.market.subarray(0, count), at);
    c.amountQuote.set(chunk.amount.subarray(0, count), at);
    c.priceQuote.set(chunk.price.subarray(0, count), at);
    c.sizeBase.set(chunk.size.subarray(0, count), at);
    this.rows = entry.end = at + count;
  }

  /** Zero-copy columns over rows [0, length); valid until the next `append` or `clear`. */
  view(): AuditView {
    const c = this.cols, n = this.rows;
    return {
      event: c.event.subarray(0, n), deficit: c.deficit.subarray(0, n), step: c.step.subarray(0, n),
      role: c.role.subarray(0, n), accountId: c.accountId.subarray(0, n), marketId: c.marketId.subarray(0, n),
      amountQuote: c.amountQuote.subarray(0, n), priceQuote: c.priceQuote.subarray(0, n), sizeBase: c.sizeBase.subarray(0, n),
    };
  }

  /** Every record as a plain object, in append order. */
  records(): AuditRecord[] {
    const out: AuditRecord[] = new Array(this.rows);
    for (const e of this.entries) for (let i = e.start; i < e.end; i++) out[i] = this.recordAt(e, i);
    return out;
  }

  /** What an account paid, and what was paid toward its deficits, over all events. */
  forAccount(accountId: number): AccountAudit {
    idOf(accountId, NO_ACCOUNT, 'accountId', -1, 'forAccount');
    const c = this.cols;
    const result: AccountAudit = { paid: [], received: [], paidQuote: 0n, receivedQuote: 0n };
    for (const e of this.entries) {
      const own = e.deficits.map((d) => d.accountId === accountId);
      const anyOwn = own.includes(true);
      for (let i = e.start; i < e.end; i++) {
        if (c.accountId[i] === accountId) {
          result.paid.push(this.recordAt(e, i));
          result.paidQuote += c.amountQuote[i]!;
        }
        if (anyOwn && c.role[i] === COVER && own[c.deficit[i]!]) {
          result.received.push(this.recordAt(e, i));
          result.receivedQuote += c.amountQuote[i]!;
        }
      }
    }
    return result;
  }

  /** How deficit `index` of `event` was covered, and what of it stayed uncovered. */
  forDeficit(event: number, index: number): DeficitAudit {
    const e = this.entry(event);
    const info = e.deficits[idOf(index, NO_DEFICIT, 'deficit', -1, `event ${event}`)];
    if (!info) throw refuse('OutOfRange', 'deficit', -1, `event ${event} has no deficit ${index}`);
    const c = this.cols;
    const result: DeficitAudit = { deficit: { ...info, event, index }, covers: [], coveredQuote: 0n, uncoveredQuote: 0n };
    for (let i = e.start; i < e.end; i++) {
      if (c.deficit[i] !== index) continue;
      const role = c.role[i]!;
      if (role === COVER) result.coveredQuote += c.amountQuote[i]!;
      else if (role === UNCOVERED) result.uncoveredQuote += c.amountQuote[i]!;
      else continue;
      result.covers.push(this.recordAt(e, i));
    }
    return result;
  }

  /**
   * Amounts by step, for one event or summed over all. A step is identified by (waterfall, step,
   * tranche); every step of the step tables appears, even if it moved nothing. Ordered by the
   * first event that has the step, then waterfall, then step.
   */
  totalsByTranche(event?: number): TrancheTotals[] {
    const out: TrancheTotals[] = [];
    const byKey = new Map<string, TrancheTotals>();
    const c = this.cols;
    for (const e of event === undefined ? this.entries : [this.entry(event)]) {
      // Step id -> its totals; new steps join `out` in (waterfall, step) order.
      const ids = e.steps.map((_, id) => id);
      ids.sort((a, b) => e.steps[a]!.waterfall - e.steps[b]!.waterfall || e.steps[a]!.step - e.steps[b]!.step);
      const slot: TrancheTotals[] = new Array(e.steps.length);
      for (const id of ids) {
        const { waterfall, step, kind } = e.steps[id]!;
        const key = `${waterfall}/${step}/${kind}`;
        let totals = byKey.get(key);
        if (!totals) {
          totals = { waterfall, step, tranche: kind, coveredQuote: 0n, paidQuote: 0n, residueQuote: 0n };
          byKey.set(key, totals);
          out.push(totals);
        }
        slot[id] = totals;
      }
      for (let i = e.start; i < e.end; i++) {
        const role = c.role[i]!;
        if (role === UNCOVERED) continue;
        const totals = slot[c.step[i]!]!;
        if (role === COVER) totals.coveredQuote += c.amountQuote[i]!;
        else if (role === PAY) totals.paidQuote += c.amountQuote[i]!;
        else if (role === RESIDUE) totals.residueQuote += c.amountQuote[i]!;
      }
    }
    return out;
  }

  /** The deficit tables of one event or of all, in event and index order. */
  deficits(event?: number): EventDeficit[] {
    const out: EventDeficit[] = [];
    for (const e of event === undefined ? this.entries : [this.entry(event)]) {
      e.deficits.forEach((d, index) => out.push({ ...d, event: e.event, index }));
    }
    return out;
  }

  /** A JSON-safe copy of the whole log; `AuditLog.fromJSON` restores it exactly. */
  toJSON(): AuditJSON {
    const c = this.cols;
    const records: AuditRecordJSON[] = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) {
      records[i] = {
        event: c.event[i]!,
        deficit: orNull(c.deficit[i]!, NO_DEFICIT),
        stepId: orNull(c.step[i]!, NO_STEP),
        role: AUDIT_ROLES[c.role[i]!]!,
        accountId: orNull(c.accountId[i]!, NO_ACCOUNT),
        marketId: orNull(c.marketId[i]!, NO_MARKET),
        amountQuote: c.amountQuote[i]!.toString(),
        priceQuote: c.priceQuote[i]!.toString(),
        sizeBase: c.sizeBase[i]!.toString(),
      };
    }
    return {
      events: this.entries.map((e) => ({
        event: e.event,
        steps: e.steps.map((s) => ({ ...s })),
        deficits: e.deficits.map((d) => ({
          accountId: d.accountId, marketId: d.marketId,
          amountQuote: d.amountQuote.toString(), sizeBase: d.sizeBase.toString(), priceQuote: d.priceQuote.toString(),
        })),
      })),
      records,
    };
  }

  /** Rebuilds a log from `toJSON` output; records must be grouped by event in event order. */
  static fromJSON(json: AuditJSON): AuditLog {
    if (typeof json !== 'object' || json === null) throw refuse('InvalidNumber', 'events', -1, `audit JSON is ${describeValue(json)}, not an object with events and records arrays`);
    const events: unknown = json.events, records: unknown = json.records;
    if (!Array.isArray(events)) throw refuse('InvalidNumber', 'events', -1, `audit JSON needs events and records arrays; events is ${describeValue(events)}`);
    if (!Array.isArray(records)) throw refuse('InvalidNumber', 'records', -1, `audit JSON needs events and records arrays; records is ${describeValue(records)}`);
    records.forEach((rec: unknown, i) => {
      if (typeof rec !== 'object' || rec === null) throw refuse('InvalidNumber', 'records', i, `record ${i} is ${describeValue(rec)}, not a record`);
    });
    const log = new AuditLog(Math.min(records.length, 2 ** 31));
    let r = 0;
    for (const [i, entry] of (events as unknown[]).entries()) {
      if (typeof entry !== 'object' || entry === null) throw refuse('InvalidNumber', 'events', i, `event entry ${i} is ${describeValue(entry)}, not an event`);
      const { event, steps, deficits } = entry as { event: number; steps: unknown; deficits: unknown };
      if (!Array.isArray(deficits)) throw refuse('InvalidNumber', 'deficits', i, `event ${describeValue(event)}: the deficit table is ${describeValue(deficits)}, not an array`);
      log.beginEvent(event, steps as StepInfo[], deficits.map((d: unknown, k) => {
        if (typeof d !== 'object' || d === null) throw refuse('InvalidNumber', 'deficits', k, `event ${describeValue(event)} deficit ${k} is ${describeValue(d)}, not a deficit`);
        const x = d as Record<string, unknown>;
        return {
          accountId: x.accountId as number, marketId: x.marketId as number | null,
          amountQuote: parseAtoms(x.amountQuote, 'amountQuote', k, `event ${describeValue(event)} deficit ${k} amountQuote`),
          sizeBase: parseAtoms(x.sizeBase, 'sizeBase', k, `event ${describeValue(event)} deficit ${k} sizeBase`),
          priceQuote: parseAtoms(x.priceQuote, 'priceQuote', k, `event ${describeValue(event)} deficit ${k} priceQuote`),
        };
      }));
      let end = r;
      while (end < records.length && (records[end] as AuditRecordJSON).event === event) end++;
      const n = end - r;
      const chunk: AuditChunk = {
        deficit: new Uint32Array(n), step: new Uint16Array(n), role: new Uint8Array(n), account: new Uint32Array(n),
        market: new Uint16Array(n), amount: new BigInt64Array(n), price: new BigInt64Array(n), size: new BigInt64Array(n),
      };
      for (let i = 0; i < n; i++, r++) {
        const rec = records[r] as Record<string, unknown>;
        const role = AUDIT_ROLES.indexOf(rec.role as AuditRole);
        if (role < 0) throw refuse('OutOfRange', 'role', r, `record ${r}: unknown role ${describeValue(rec.role)}`);
        chunk.deficit[i] = idOrNone(rec.deficit, NO_DEFICIT, 'deficit', r, `record ${r} deficit`);
        chunk.step[i] = idOrNone(rec.stepId, NO_STEP, 'stepId', r, `record ${r} stepId`);
        chunk.role[i] = role;
        chunk.account[i] = idOrNone(rec.accountId, NO_ACCOUNT, 'accountId', r, `record ${r} accountId`);
        chunk.market[i] = idOrNone(rec.marketId, NO_MARKET, 'marketId', r, `record ${r} marketId`);
        chunk.amount[i] = parseAtoms(rec.amountQuote, 'amountQuote', r, `record ${r} amountQuote`);
        chunk.price[i] = parseAtoms(rec.priceQuote, 'priceQuote', r, `record ${r} priceQuote`);
        chunk.size[i] = parseAtoms(rec.sizeBase, 'sizeBase', r, `record ${r} sizeBase`);
      }
      log.append(event, chunk, n, false, r - n);
    }
    if (r < records.length) throw refuse('OutOfRange', 'event', r, `record ${r}: event ${describeValue((records[r] as Record<string, unknown>).event)} is not listed or out of order`);
    return log;
  }

  private entry(event: number): EventEntry {
    const e = this.byEvent.get(idOf(event, 0x100000000, 'event', -1, 'event'));
    if (!e) throw refuse('OutOfRange', 'event', -1, `no event ${event} in the audit log`);
    return e;
  }

  private recordAt(e: EventEntry, i: number): AuditRecord {
    const c = this.cols;
    const stepId = c.step[i]!;
    const info = stepId === NO_STEP ? undefined : e.steps[stepId];
    return {
      event: e.event,
      deficit: orNull(c.deficit[i]!, NO_DEFICIT),
      waterfall: info?.waterfall ?? null,
      step: info?.step ?? null,
      tranche: info?.kind ?? null,
      role: AUDIT_ROLES[c.role[i]!]!,
      accountId: orNull(c.accountId[i]!, NO_ACCOUNT),
      marketId: orNull(c.marketId[i]!, NO_MARKET),
      amountQuote: c.amountQuote[i]!,
      priceQuote: c.priceQuote[i]!,
      sizeBase: c.sizeBase[i]!,
    };
  }

  /** Rejects rows the event's tables cannot explain (the queries rely on these invariants). */
  private check(e: EventEntry, chunk: AuditChunk, count: number, firstRow: number): void {
    const { deficit, step, role, amount } = chunk;
    const nSteps = e.steps.length, nDeficits = e.deficits.length;
    for (let i = 0; i < count; i++) {
      const r = role[i]!, s = step[i]!, d = deficit[i]!;
      let problem = '', field = '';
      if (r > UNCOVERED) [problem, field] = [`role ${r}`, 'role'];
      else if (r === UNCOVERED ? s !== NO_STEP : s >= nSteps) [problem, field] = [`step id ${s} (${nSteps} steps)`, 'stepId'];
      else if (d === NO_DEFICIT ? r === COVER || r === UNCOVERED : r === PAY || d >= nDeficits) [problem, field] = [`deficit ${d} for a ${AUDIT_ROLES[r]} record (${nDeficits} deficits)`, 'deficit'];
      else if (amount[i]! <= 0n) [problem, field] = [`amount ${amount[i]}`, 'amountQuote'];
      if (problem) throw refuse('OutOfRange', field, firstRow + i, `event ${e.event}, chunk row ${i}: invalid ${problem}`);
    }
  }

  /** Grows every column to hold `rows` rows, at least doubling. */
  private reserve(rows: number): void {
    const old = this.cols;
    if (rows <= old.event.length) return;
    const next = allocate(Math.max(rows, old.event.length * 2));
    const n = this.rows;
    for (const key of Object.keys(next) as (keyof Columns)[]) {
      (next[key] as { set(src: ArrayLike<unknown>): void }).set(old[key].subarray(0, n));
    }
    this.cols = next;
  }
}

/** A JSON decimal string (or a bigint) as an i64. */
function parseAtoms(value: unknown, field: string, row: number, what: string): bigint {
  const v = typeof value === 'bigint' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : undefined;
  if (v === undefined) throw refuse('InvalidNumber', field, row, `${what}: ${describeValue(value)} is not a decimal integer string`);
  if (v !== BigInt.asIntN(64, v)) throw refuse('OutOfRange', field, row, `${what}: ${value} does not fit 64 bits`);
  return v;
}
