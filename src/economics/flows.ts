/**
 * The economics' journal: every amount the economics moved (fees charged on fills, revenue
 * distributed, staking settles, stakes and unstakes, PnL settled, withdrawals paid, vault charges),
 * kept on the JS side so the history outlives the core's flow rows (FlowRecord, FLOW_ROWS of them),
 * which each call of the economics empties before it writes and JavaScript drains after it.
 *
 * A flow names its kind, the revenue source and destination where it has them (a distribution of
 * trading fees to the stakers' pool), the account and the market or fund it touched, its amount in
 * quote atoms (always > 0; the kind says which way it went) and the caller's second.
 */
import type { Raw } from '../abi/raw.js';
import { i64, u32 } from '../abi/records.js';

export type FlowKind =
  | 'distribution' | 'stakingSettle' | 'stake' | 'unstake' | 'unstakeForfeit' | 'settlePnl' | 'withdrawal' | 'lossCharge'
  | 'profitShare' | 'slippage' | 'rounding' | 'vaultDeposit' | 'vaultWithdrawal' | 'tradingFee' | 'rebate' | 'pnlPaid' | 'fundingSkim';
/** Flow kinds by their code (FlowKind in assembly/abi/status.ts, in this order). */
export const FLOW_KINDS: readonly FlowKind[] = [
  'distribution', 'stakingSettle', 'stake', 'unstake', 'unstakeForfeit', 'settlePnl', 'withdrawal', 'lossCharge',
  'profitShare', 'slippage', 'rounding', 'vaultDeposit', 'vaultWithdrawal', 'tradingFee', 'rebate', 'pnlPaid', 'fundingSkim',
];

export type RevenueSourceName = 'tradingFees' | 'liquidationFees' | 'fundingSkim';
/** Revenue sources by code (RevenueSource). */
export const REVENUE_SOURCES: readonly RevenueSourceName[] = ['tradingFees', 'liquidationFees', 'fundingSkim'];

export type DestinationName = 'insuranceFund' | 'backstopVault' | 'stakers' | 'treasury' | 'pnlPool';
/** Destinations by code (Destination). */
export const DESTINATIONS: readonly DestinationName[] = ['insuranceFund', 'backstopVault', 'stakers', 'treasury', 'pnlPool'];

export interface Flow {
  /** Position in the journal (0, 1, ...). */
  seq: number;
  kind: FlowKind;
  source: RevenueSourceName | null;
  destination: DestinationName | null;
  accountId: number | null;
  /** The market (fees, pools, distributions), insurance fund (staking) or withdrawal request (its id, below 2^32) the flow names; null for none. */
  id: number | null;
  amountQuote: bigint;
  /** The caller's second (0 where the call takes none). */
  sec: bigint;
}

const NONE_U8 = 255;

/** The journal of one engine. */
export class FlowLog {
  private readonly rows: Flow[] = [];

  /** Appends the core's flow rows of the last call (call after every successful call of the economics). */
  drain(raw: Raw): void {
    const { view, at } = raw.record('Economics');
    const n = u32(view, at.flows);
    if (n === 0) return;
    const none = raw.abi.limits.none;
    const rows = raw.record('Flow', n), f = rows.at;
    for (let i = 0; i < n; i++) {
      const base = i * f.BYTES;
      const source = rows.view.getUint8(base + f.source), destination = rows.view.getUint8(base + f.destination);
      const account = u32(rows.view, base + f.account), id = u32(rows.view, base + f.id);
      this.rows.push({
        seq: this.rows.length,
        kind: FLOW_KINDS[rows.view.getUint8(base + f.kind)]!,
        source: source === NONE_U8 ? null : REVENUE_SOURCES[source]!,
        destination: destination === NONE_U8 ? null : DESTINATIONS[destination]!,
        accountId: account === none ? null : account,
        id: id === none ? null : id,
        amountQuote: i64(rows.view, base + f.amountQuote),
        sec: i64(rows.view, base + f.sec),
      });
    }
  }

  get length(): number { return this.rows.length; }

  /** The flows from `from` on (copies). */
  records(from = 0): Flow[] { return this.rows.slice(from).map((r) => ({ ...r })); }

  /** Sum of the amounts of the flows that match (quote atoms). */
  total(match: Partial<Pick<Flow, 'kind' | 'source' | 'destination' | 'accountId' | 'id'>> = {}): bigint {
    let s = 0n;
    for (const r of this.rows) {
      if (match.kind !== undefined && r.kind !== match.kind) continue;
      if (match.source !== undefined && r.source !== match.source) continue;
      if (match.destination !== undefined && r.destination !== match.destination) continue;
      if (match.accountId !== undefined && r.accountId !== match.accountId) continue;
      if (match.id !== undefined && r.id !== match.id) continue;
      s += r.amountQuote;
    }
    return s;
  }

  /** JSON-safe rows (amounts and seconds as decimal strings). */
  toJSON(): object[] {
    return this.rows.map((r) => ({ ...r, amountQuote: r.amountQuote.toString(), sec: r.sec.toString() }));
  }

  clear(): void { this.rows.length = 0; }
}
