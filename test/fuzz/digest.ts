/**
 * The fuzzer's one digest of an engine's observable state: everything a caller can read without
 * changing anything, as named parts (so a failure says which part moved).
 *
 * Like `engineDigest` (test/support/book.ts) it reads every account with its positions, isolated
 * positions and figures, and every market, but keeps the book and the figures of the latest checks
 * apart (a failed check invalidates the figures by design); and it adds what the waterfall and
 * liquidation keep besides the book: the ledger, waterfall balances, the vault, clearing members,
 * every insurance fund with its staking state, the flow journal's length, the pending deficits, the
 * last execution's log, the audit log, the result columns (or that they are stale), the capacities,
 * and the withdrawal capacity with its queue. Reading it calls no method that writes (no check, no
 * risk order, no plan).
 */
import { AuditLog, RiskCoreError, type RiskEngine } from '../../dist/src/node.js';

/** JSON with bigints as `123n`. */
export const show = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

export type Digest = Record<string, string>;

function columns(v: object): string {
  return Object.entries(v).map(([k, a]) => `${k}:${Array.from(a as ArrayLike<unknown>, String).join(',')}`).join(';');
}

/** Reads one part; a part that cannot be read says which error it gave (that is state too). */
function part(read: () => unknown): string {
  try {
    return show(read());
  } catch (e) {
    return e instanceof RiskCoreError ? `refused:${e.codeName}` : `threw:${String(e)}`;
  }
}

/** Counts, accounts (positions, isolated positions, collateral) and markets, without figures. */
function book(engine: RiskEngine): unknown[] {
  const parts: unknown[] = [engine.accountCount, engine.marketCount];
  for (let a = 0; a < engine.accountCount; a++) {
    const { figures: _f, isolated, ...rest } = engine.account(a);
    parts.push({ ...rest, isolated: isolated.map(({ figures: _g, ...p }) => p) });
  }
  for (let m = 0; m < engine.marketCount; m++) parts.push(engine.market(m));
  return parts;
}

/** The figures of the latest checks as accounts show them, and the tallies. */
function figures(engine: RiskEngine): unknown[] {
  const parts: unknown[] = [engine.summary()];
  for (let a = 0; a < engine.accountCount; a++) {
    const x = engine.account(a);
    parts.push(x.figures, x.isolated.map((p) => p.figures));
  }
  return parts;
}

/** Every observable part of the engine's state (and of its audit log). */
export function digest(engine: RiskEngine): Digest {
  const log: AuditLog = engine.auditLog;
  return {
    book: part(() => book(engine)),
    figures: part(() => figures(engine)),
    capacity: part(() => engine.capacity),
    ledger: part(() => engine.ledger()),
    balances: part(() => engine.waterfallBalances()),
    vault: part(() => engine.vault()),
    members: part(() => engine.clearingMembers()),
    funds: part(() => [engine.insuranceFund(), ...Array.from({ length: engine.marketCount }, (_, m) => engine.insuranceFund(m))]),
    staking: part(() => [engine.stakingConfig(), ...Array.from({ length: engine.marketCount + 1 }, (_, f) => engine.staking(f))]),
    flows: part(() => engine.flowLog.length),
    deficits: part(() => engine.deficits()),
    liquidationLog: part(() => engine.liquidationLog()),
    audit: part(() => [log.length, log.toJSON()]),
    results: part(() => columns(engine.resultsView())),
    isolatedResults: part(() => columns(engine.isolatedResultsView())),
    withdrawals: part(() => engine.withdrawalState()),
  };
}

/** The names of the parts that differ between two digests. */
export function changedParts(before: Digest, after: Digest): string[] {
  return Object.keys(before).filter((k) => before[k] !== after[k]);
}

/** One text for the whole digest (determinism comparisons). */
export const digestText = (d: Digest): string => Object.entries(d).map(([k, v]) => `${k}=${v}`).join('|');
