/**
 * The liquidation cascade: check, plan, execute, re-check the touched accounts, round after round,
 * optionally running each round's deficits through the loss waterfall.
 */
import { inputError } from '../errors.js';
import { toRecord, toCount } from '../atoms.js';
import type { EngineInternals } from '../abi/internals.js';
import { check } from '../book/margin.js';
import { allocationTime, type Losses } from '../waterfall/run.js';
import type { AllocateOptions, AllocationReport } from '../waterfall/config.js';
import { backstopAccountOf, stagePolicy, type LiquidationPolicy } from './policy.js';
import { addSummaries, deficitsView, EMPTY_SUMMARY, type ExecutionSummary, type Liquidations } from './liquidations.js';

export interface CascadeRound extends ExecutionSummary {
  round: number;
  /** Liquidatable or bankrupt groups at the start of the round. */
  liquidatable: { accounts: number; isolated: number };
}

export interface CascadeOptions {
  /** Most rounds (default 16). */
  maxRounds?: number;
  /**
   * Receives each round's deficit records (copies), which are then cleared: the hook for a loss
   * waterfall of your own. Without it they stay pending in `deficits()`. It runs after its round
   * executed and may not call into the engine (EngineError Reentrant); if it throws, the cascade
   * stops with that error and the round's records stay pending.
   */
  onDeficits?: (records: { accountId: Uint32Array; marketId: Uint16Array; amountQuote: BigInt64Array }) => void;
  /** Run each round's deficit records through the waterfall set with `setWaterfall` (and its options). */
  allocate?: boolean | AllocateOptions;
}

export interface CascadeReport {
  rounds: CascadeRound[];
  totals: ExecutionSummary;
  /** Still liquidatable or bankrupt after the last round. */
  remaining: { accounts: number; isolated: number };
  /** With `allocate`: each round's loss allocation. */
  allocations: AllocationReport[];
}

/** CascadeOptions checked, with `allocate` as the options of each round's run (null: no run). */
interface CheckedCascadeOptions {
  maxRounds: number;
  onDeficits: CascadeOptions['onDeficits'] | null;
  allocate: AllocateOptions | null;
}

/**
 * Checks the cascade's options (every one, before the cascade starts): `maxRounds` a count,
 * `onDeficits` a function, `allocate` true, false or an options object. Absent means the default;
 * anything else is an InputError naming the option. `allocate`'s time is checked by the engine.
 */
function cascadeOptions(options: CascadeOptions): CheckedCascadeOptions {
  const o = toRecord(options, 'options');
  const maxRounds = o.maxRounds === undefined ? 16 : toCount(o.maxRounds, 'maxRounds');
  const onDeficits: unknown = o.onDeficits;
  if (onDeficits !== undefined && typeof onDeficits !== 'function') throw inputError('OutOfRange', 'onDeficits', -1, 'expected a function');
  const allocate: unknown = o.allocate;
  if (allocate !== undefined && typeof allocate !== 'boolean') toRecord(allocate, 'allocate');
  return {
    maxRounds,
    onDeficits: (onDeficits as CascadeOptions['onDeficits']) ?? null,
    allocate: allocate === undefined || allocate === false ? null : allocate === true ? {} : (allocate as AllocateOptions),
  };
}

/**
 * The cascade (RiskEngine.liquidate): until nothing is liquidatable, nothing can be planned, or
 * `maxRounds` (default 16) rounds ran. Closes execute at the marks. Deficit records stay pending
 * unless `allocate` runs them through the loss waterfall after each round, or `onDeficits` takes
 * them; a round plans no more closes than the pending table has room for.
 */
export function liquidate(x: EngineInternals, liquidations: Liquidations, losses: Losses, policy: LiquidationPolicy, options: CascadeOptions): CascadeReport {
  const raw = x.raw;
  // Step 1: everything that can be refused, before the first check: the options, the time of
  // the runs and the waterfall they need, then the whole policy by the core's own rules.
  const { maxRounds, onDeficits, allocate } = cascadeOptions(options);
  if (allocate && !losses.configured) throw inputError('InvalidWaterfall', 'waterfall', -1, 'allocate needs a waterfall (setWaterfall)');
  const runOptions: AllocateOptions | null = allocate && { nowSec: Number(allocationTime(allocate, raw.lastNowSec())) };
  const bytes = liquidations.policyBytes(policy);
  stagePolicy(raw, bytes, false);
  const backstopAccount = backstopAccountOf(raw.abi.records.Policy, bytes);
  // Step 2: the rounds.
  const rounds: CascadeReport['rounds'] = [];
  const allocations: AllocationReport[] = [];
  let totals = EMPTY_SUMMARY;
  let summary = check(x);
  const open = (): { accounts: number; isolated: number } => ({
    accounts: summary.book.accounts.liquidatable + summary.book.accounts.bankrupt,
    isolated: summary.book.isolated.liquidatable + summary.book.isolated.bankrupt,
  });
  for (let round = 1; round <= maxRounds; round++) {
    const liquidatable = open();
    if (liquidatable.accounts + liquidatable.isolated === 0) break;
    x.requireValid();
    stagePolicy(x.raw, bytes, true);
    const plan = liquidations.planRound();
    if (plan.rows === 0) break;
    const touched = new Set(plan.view.accountId);
    if (backstopAccount !== null) touched.add(backstopAccount);
    const executed = liquidations.execute();
    rounds.push({ round, liquidatable, ...executed });
    totals = addSummaries(totals, executed);
    if (onDeficits) {
      const records = deficitsView(x.raw);
      x.callOut(() => onDeficits(records));
      x.raw.clearDeficits();
    } else if (runOptions && x.raw.pendingDeficits() > 0) {
      // The waterfall may touch any account (ADL counterparties, haircut payers): check them all.
      allocations.push(losses.allocate(runOptions));
      summary = check(x);
      continue;
    }
    summary = check(x, { accounts: [...touched] });
  }
  return { rounds, totals, remaining: open(), allocations };
}
