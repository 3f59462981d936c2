/**
 * Reference model of liquidation, part 2: executing a plan, the insurance funds, deficit records and
 * the conservation ledger (docs/FORMULAS.md, "Executing one close", "Backstop transfer", "Execution
 * and conservation"). Part 1, test/reference/liquidation.ts, has the types, prices and planning and
 * re-exports everything here.
 */
import type { ExecutionSummary, LiquidationPolicy, LiquidationRecord } from '../../src/index.js';
import { cashQuote, cloneBook, floorDiv, type RefIsolated, type RefPosition } from './model.js';
import {
  abs, closeOutcome, crossGroup, equityShareQuote, evaluate, fundIdOf, fundingOwedQuote, isolatedGroups, marketOf, max,
  policyKnobs, scaleOf, sideIndex, sign, TWO_POW_62,
  type Group, type LiqBook, type LiquidationState, type PlanRow, type PolicyKnobs, type RefLedger,
} from './liquidation.js';

// ---- Execution ---------------------------------------------------------------------------------

export function createLiquidationState(book: LiqBook): LiquidationState {
  return {
    fundsQuote: Array.from({ length: 1 + book.markets.length }, () => 0n),
    liquidatorFeesQuote: 0n, deficits: [], deficitsRecordedQuote: 0n, flowQuote: 0n,
  };
}

export function cloneState(state: LiquidationState): LiquidationState {
  return { ...state, fundsQuote: [...state.fundsQuote], deficits: state.deficits.map((r) => ({ ...r })) };
}

/** Adds to a fund (0 global, 1 + marketId a market's own fund). */
export function depositFund(state: LiquidationState, fundId: number, amountQuote: bigint): void {
  state.fundsQuote[fundId] = (state.fundsQuote[fundId] ?? 0n) + amountQuote;
}

const sameGroup = (a: PlanRow, b: PlanRow): boolean => a.accountId === b.accountId && a.isolatedId === b.isolatedId;

/**
 * Executes planned rows in order (all or nothing: on any invalid row it throws and changes nothing).
 * MUTATES `book` and `state`; returns the log rows. Isolated ids in `rows` are the book's global ids
 * before execution (ids are resolved before anything moves).
 */
export function executePlan(book: LiqBook, state: LiquidationState, rows: readonly PlanRow[], policy: LiquidationPolicy): LiquidationRecord[] {
  const knobs = policyKnobs(policy);
  const work = cloneBook(book) as LiqBook;
  const next = cloneState(state);
  const isolated = isolatedGroups(work);
  const groups = rows.map((row) => {
    if (row.isolatedId === null) return crossGroup(work, row.accountId);
    const group = isolated[row.isolatedId];
    if (group === undefined || group.accountId !== row.accountId) throw new RangeError(`row names isolated ${row.isolatedId} of another account`);
    return group;
  });
  // A plan has one row per position and a group's rows contiguous.
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const key = `${row.accountId}/${row.isolatedId}/${row.marketId}`;
    if (seen.has(key)) throw new RangeError(`two rows for ${key}`);
    seen.add(key);
    if (i > 0 && !sameGroup(rows[i - 1]!, row) && rows.slice(0, i - 1).some((r) => sameGroup(r, row))) throw new RangeError('group rows not contiguous');
  });

  const log = rows.map((row, i) => {
    const group = groups[i]!;
    const lastOfGroup = i + 1 === rows.length || !sameGroup(rows[i + 1]!, row);
    switch (row.kind) {
      case 'close': return executeClose(work, next, group, row, knobs);
      case 'transfer': return executeTransfer(work, next, group, row, knobs, lastOfGroup);
      case 'settle': return executeSettle(next, group, row);
    }
  });
  // Everything valid: commit.
  book.accounts = work.accounts;
  Object.assign(state, next);
  return log;
}

function emptyRecord(row: PlanRow): LiquidationRecord {
  return {
    accountId: row.accountId, marketId: row.marketId, isolatedId: row.isolatedId, kind: row.kind, sizeBase: row.sizeBase,
    priceQuote: row.priceQuote, realizedPnlQuote: 0n, fundingQuote: 0n, liquidatorFeeQuote: 0n, fundFeeQuote: 0n,
    surplusQuote: 0n, deficitQuote: 0n, transferQuote: 0n,
  };
}

function positionOf(group: Group, row: PlanRow): RefPosition {
  const position = group.positions().find((p) => p.marketId === row.marketId);
  if (position === undefined) throw new RangeError(`row for market ${row.marketId}: the group holds no such position`);
  return position;
}

/** Records a deficit (only a positive one makes a record). */
function recordDeficit(state: LiquidationState, accountId: number, marketId: number | null, amountQuote: bigint): void {
  if (amountQuote <= 0n) return;
  state.deficits.push({ accountId, marketId, amountQuote });
  state.deficitsRecordedQuote += amountQuote;
}

/** Removes a closed isolated entry from its account (the book's later global ids shift down). */
function removeIsolated(group: Group): void {
  const list = group.account.isolated;
  list.splice(list.indexOf(group.wallet as RefIsolated), 1);
}

/**
 * One close (spec "Executing one close"): the fill exactly as in "Fills" (funding settles,
 * realized = quoteClosed + cash(d)), then the fee and the deficit, then group settlement.
 */
function executeClose(book: LiqBook, state: LiquidationState, group: Group, row: PlanRow, knobs: PolicyKnobs): LiquidationRecord {
  const position = positionOf(group, row);
  const marketId = position.marketId;
  const market = marketOf(book, marketId);
  const D = scaleOf(market);
  const s = position.sizeBase;
  const d = row.sizeBase;
  const q = row.priceQuote;
  if (q < 1n || q > TWO_POW_62) throw new RangeError('close price not in 1..2^62');
  // A close reduces its position: 0 < |d| <= |s| with the opposite sign, or d = 0 for size 0.
  if (s === 0n ? d !== 0n : (d === 0n || sign(d) === sign(s) || abs(d) > abs(s))) throw new RangeError('a close must reduce its position: 0 < |d| <= |s|, opposite sign (d = 0 for size 0)');

  // The group at (C, E, M) before the close, and E_i.
  const before = evaluate(book, group);
  const held = before.held.find((h) => h.position === position)!;
  const share = equityShareQuote(group, before.equityQuote, before.mmQuote, held.mmQuote);
  const outcome = closeOutcome({
    equityQuote: before.equityQuote, shareQuote: share, sizeBase: s, deltaBase: d, priceQuote: q,
    markQuote: market.markPrice, scale: D, feePpm: knobs.liquidationFeePpm, liquidatorSharePpm: knobs.liquidatorSharePpm,
  });

  // Fill: 1. funding settles: collateral -= owed, snapshot = index of its side.
  const wallet = group.wallet;
  const owed = fundingOwedQuote(market, position);
  wallet.collateralQuote -= owed;
  position.fundingSnapshot = sideIndex(market, s);
  // 3. reduce by |d|: quoteClosed = floor(quote * |d| / |s|); collateral += quoteClosed + cash(d).
  const quoteClosed = abs(d) === abs(s) ? position.quoteBalance : floorDiv(position.quoteBalance * abs(d), abs(s));
  const realized = quoteClosed + cashQuote(market, d, q);
  wallet.collateralQuote += realized;
  position.quoteBalance -= quoteClosed;
  position.sizeBase = s + d;
  // 4. size 0: the remaining quote moves to collateral and the position is removed.
  if (position.sizeBase === 0n) {
    wallet.collateralQuote += position.quoteBalance;
    position.quoteBalance = 0n;
    if (group.isolatedId === null) group.account.positions.splice(group.account.positions.indexOf(position), 1);
    else removeIsolated(group);
  }

  // C_after = C - owed + realized - fee + deficit; fundFee to the market's fund, liqFee to liquidators.
  wallet.collateralQuote += -outcome.feeQuote + outcome.deficitQuote;
  depositFund(state, fundIdOf(book, marketId), outcome.fundFeeQuote);
  state.liquidatorFeesQuote += outcome.liquidatorFeeQuote;

  // Self-check of the spec's claim: the group then has E := E' - fee + deficit.
  const groupOpen = group.positions().length > 0;
  const equityNow = groupOpen ? evaluate(book, group).equityQuote : wallet.collateralQuote;
  if (equityNow !== outcome.equityAfterQuote) throw new Error(`model: equity after the close ${equityNow} != E' - fee + deficit ${outcome.equityAfterQuote}`);

  let deficit = outcome.deficitQuote;
  // Group settlement: a close that leaves the group with no position and negative collateral records
  // the rest as deficit too, and the collateral becomes 0.
  // SPEC: "no position" counts stored positions, size-0 ones included (they hold quote balances).
  if (!groupOpen) {
    if (wallet.collateralQuote < 0n) {
      deficit += -wallet.collateralQuote;
      wallet.collateralQuote = 0n;
    }
    // A closed isolated position's collateral returns to the cross book.
    // SPEC: the log's "collateral transferred" is the backstop transfer's column (the spec marks it
    // "(transfer)" there only); the collateral an isolated close returns to its own account's cross
    // book is not logged as transferred.
    if (group.isolatedId !== null) {
      group.account.collateralQuote += wallet.collateralQuote;
      wallet.collateralQuote = 0n;
    }
  }
  // SPEC: one deficit record per row with a positive deficit, for the row's whole deficit.
  recordDeficit(state, group.accountId, marketId, deficit);
  state.flowQuote += owed - realized;
  return {
    ...emptyRecord(row), realizedPnlQuote: realized, fundingQuote: owed, liquidatorFeeQuote: outcome.liquidatorFeeQuote,
    fundFeeQuote: outcome.fundFeeQuote, surplusQuote: max(outcome.surplusSignedQuote, 0n), deficitQuote: deficit,
  };
}

/**
 * One backstop transfer row: the position's funding settles, its size and quote merge into the
 * backstop account's cross position in that market (whose funding settles first); a merged size of 0
 * moves the merged quote to the backstop's collateral (realized). The group's last row carries its
 * collateral to the backstop account's collateral.
 */
function executeTransfer(book: LiqBook, state: LiquidationState, group: Group, row: PlanRow, knobs: PolicyKnobs,
  lastOfGroup: boolean): LiquidationRecord {
  const backstopId = knobs.backstopAccountId;
  if (backstopId === undefined) throw new RangeError('a transfer needs a backstop account');
  const backstop = book.accounts[backstopId];
  if (backstop === undefined || backstop.closed) throw new RangeError('no open backstop account');
  if (group.accountId === backstopId) throw new RangeError('the backstop account cannot transfer to itself');
  const position = positionOf(group, row);
  if (row.sizeBase !== -position.sizeBase) throw new RangeError('a transfer moves the whole position: d = -s');
  const marketId = position.marketId;
  const market = marketOf(book, marketId);

  // The group's position: funding settles from the group's collateral.
  const owedGroup = fundingOwedQuote(market, position);
  group.wallet.collateralQuote -= owedGroup;
  // The backstop's position in the market: its own funding settles first.
  let target = backstop.positions.find((p) => p.marketId === marketId);
  const owedBackstop = target === undefined ? 0n : fundingOwedQuote(market, target);
  backstop.collateralQuote -= owedBackstop;
  if (target === undefined) {
    target = { marketId, sizeBase: 0n, quoteBalance: 0n, fundingSnapshot: 0n };
    backstop.positions.push(target);
  }
  // Merge size and quote balance.
  target.sizeBase += position.sizeBase;
  target.quoteBalance += position.quoteBalance;
  let realized = 0n;
  if (target.sizeBase === 0n) {
    // A merged size of 0: the merged quote moves to the backstop's collateral (the row's realized).
    realized = target.quoteBalance;
    backstop.collateralQuote += realized;
    backstop.positions.splice(backstop.positions.indexOf(target), 1);
  } else {
    // SPEC: both sides' funding is settled, so the merged position's snapshot is the index of its
    // (merged) side.
    target.fundingSnapshot = sideIndex(market, target.sizeBase);
  }
  // The position leaves the group.
  if (group.isolatedId === null) group.account.positions.splice(group.account.positions.indexOf(position), 1);
  else removeIsolated(group);

  let transfer = 0n;
  if (lastOfGroup) {
    transfer = group.wallet.collateralQuote;
    backstop.collateralQuote += transfer;
    group.wallet.collateralQuote = 0n;
  }
  const funding = owedGroup + owedBackstop;
  state.flowQuote += funding - realized;
  return { ...emptyRecord(row), realizedPnlQuote: realized, fundingQuote: funding, transferQuote: transfer };
}

/** A settlement: an account with no cross position and negative collateral; the collateral becomes 0, the rest a deficit. */
function executeSettle(state: LiquidationState, group: Group, row: PlanRow): LiquidationRecord {
  if (group.isolatedId !== null || group.account.positions.length > 0) throw new RangeError('settle: the account still holds cross positions');
  const deficit = max(-group.wallet.collateralQuote, 0n);
  group.wallet.collateralQuote += deficit;
  recordDeficit(state, group.accountId, null, deficit);
  return { ...emptyRecord(row), deficitQuote: deficit };
}

// ---- Ledger and summaries ----------------------------------------------------------------------

/**
 * L = sum of collateral (cross and isolated) + sum of fund balances + liquidator fees paid
 *     + (sum over executed rows of funding - realized) - deficits recorded.
 */
export function ledger(book: LiqBook, state: LiquidationState): RefLedger {
  let collateralQuote = 0n;
  for (const account of book.accounts) {
    collateralQuote += account.collateralQuote;
    for (const entry of account.isolated) collateralQuote += entry.collateralQuote;
  }
  const fundsQuote = state.fundsQuote.reduce((a, b) => a + b, 0n);
  return {
    collateralQuote, fundsQuote, liquidatorFeesQuote: state.liquidatorFeesQuote, flowQuote: state.flowQuote,
    deficitsQuote: state.deficitsRecordedQuote,
    totalQuote: collateralQuote + fundsQuote + state.liquidatorFeesQuote + state.flowQuote - state.deficitsRecordedQuote,
  };
}

/** Totals of an execution's log (closed notional: floor(|d| * price / D) over closes). */
export function summarize(book: LiqBook, log: readonly LiquidationRecord[]): ExecutionSummary {
  const groups = new Set(log.map((r) => `${r.accountId}/${r.isolatedId}`));
  const sum = (f: (r: LiquidationRecord) => bigint): bigint => log.reduce((a, r) => a + f(r), 0n);
  return {
    rows: log.length,
    closes: log.filter((r) => r.kind === 'close').length,
    transfers: log.filter((r) => r.kind === 'transfer').length,
    settlements: log.filter((r) => r.kind === 'settle').length,
    groups: groups.size,
    closedNotionalQuote: sum((r) => (r.kind === 'close' ? floorDiv(abs(r.sizeBase) * r.priceQuote, scaleOf(marketOf(book, r.marketId!))) : 0n)),
    realizedPnlQuote: sum((r) => r.realizedPnlQuote),
    fundingQuote: sum((r) => r.fundingQuote),
    liquidatorFeeQuote: sum((r) => r.liquidatorFeeQuote),
    fundFeeQuote: sum((r) => r.fundFeeQuote),
    surplusQuote: sum((r) => r.surplusQuote),
    deficitQuote: sum((r) => r.deficitQuote),
    transferQuote: sum((r) => r.transferQuote),
  };
}
