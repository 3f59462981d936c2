/**
 * Reference model of the venue withdrawal capacity and the queue, in BigInt, written from
 * docs/ECONOMICS.md ("Venue withdrawal capacity and the queue"), not from the core.
 *
 * The model keeps each account's collateral, the uncovered and covered losses, the configuration,
 * the capacity, the gate and the queue. What an account may withdraw comes from a function the test
 * gives (for accounts without positions: its collateral, at least 0); whether the book's tallies
 * show a bankrupt account is an argument of each call.
 */

export const LIMIT = 1n << 62n;
const PPM = 1_000_000n;

export interface CapacityConfig { periodSec: bigint; minQuote: bigint; ppm: bigint; gateSec: bigint; lossCharge: boolean }
export interface QueuedRow { account: number; amount: bigint; since: bigint; id: bigint }
export interface Payment { id: bigint; account: number; paid: bigint; charge: bigint; complete: boolean }
export type Refusal = { refused: 'OutOfRange' | 'BelowInitialMargin' | 'Overflow' | 'CapacityExceeded' | 'UnknownAccount' };
export interface RequestOutcome { id: bigint; paid: bigint; charge: bigint; queued: bigint }
export interface ServeOutcome { paid: bigint; charge: bigint; dropped: bigint; stillQueued: bigint; payments: Payment[] }

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const clamp = (x: bigint): bigint => (x < 0n ? 0n : x > LIMIT ? LIMIT : x);
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

export class CapacityModel {
  config: CapacityConfig = { periodSec: 0n, minQuote: 0n, ppm: 0n, gateSec: 0n, lossCharge: false };
  capacity = 0n;
  /** The capacity's second; -1: not timed yet. */
  capacitySec = 0n;
  gatedUntil = 0n;
  queue: QueuedRow[] = [];
  nextId = 0n;
  /** Money that left the venue (what withdrawers received). */
  left = 0n;

  constructor(public collateral: bigint[], public uncovered: bigint, public covered: bigint,
    public mayWithdraw: (m: CapacityModel, a: number) => bigint = (m, a) => max(0n, m.collateral[a]!)) {}

  /** TV = min(2^62, max(0, sum of collateral)). */
  totalValue(): bigint { return clamp(this.collateral.reduce((s, c) => s + c, 0n)); }

  /** B = max(minQuote, floor(TV * ppm / 10^6)). */
  baseline(): bigint { return max(this.config.minQuote, (this.totalValue() * this.config.ppm) / PPM); }

  get queuedTotal(): bigint { return this.queue.reduce((s, r) => s + r.amount, 0n); }

  configure(config: CapacityConfig): void {
    this.config = { ...config };
    this.capacity = config.periodSec === 0n ? 0n : this.baseline();
    this.capacitySec = -1n;
  }

  noteNegativeEquity(now: bigint): void { this.gatedUntil = max(this.gatedUntil, now + this.config.gateSec); }

  /** The capacity at `now` (null: unlimited) and the gate, without writing. */
  private plan(now: bigint, bankrupt: boolean): { capacity: bigint | null; gatedUntil: bigint } {
    let gatedUntil = this.gatedUntil;
    if (this.config.gateSec > 0n && bankrupt) gatedUntil = max(gatedUntil, now + this.config.gateSec);
    const period = this.config.periodSec;
    if (period === 0n) return { capacity: null, gatedUntil };
    const b = this.baseline();
    if (this.capacitySec < 0n) return { capacity: b, gatedUntil };
    const c = this.capacity, dt = now - this.capacitySec;
    const l = max(b, c - b);
    const diff = dt >= period ? l : c > b ? (l * dt + period - 1n) / period : (l * dt) / period;
    const distance = c > b ? c - b : b - c;
    let next: bigint;
    if (distance <= diff) next = b;
    else next = c < b ? c + diff : c - diff;
    return { capacity: next, gatedUntil };
  }

  private apply(now: bigint, p: { capacity: bigint | null; gatedUntil: bigint }): void {
    if (p.capacity !== null) this.capacity = p.capacity;
    this.capacitySec = now;
    this.gatedUntil = p.gatedUntil;
  }

  /** charge = min(p, S, ceil(p * S / TV)), TV = 0: min(p, S); S = min(2^62, uncovered). */
  chargeOn(p: bigint): bigint {
    if (!this.config.lossCharge) return 0n;
    const s = clamp(this.uncovered);
    if (s === 0n) return 0n;
    const cap = min(p, s), tv = this.totalValue();
    return tv === 0n ? cap : min(cap, ceilDiv(p * s, tv));
  }

  private pay(a: number, p: bigint): bigint {
    const charge = this.chargeOn(p);
    this.collateral[a] = this.collateral[a]! - p;
    this.uncovered -= charge;
    this.covered += charge;
    this.left += p - charge;
    return charge;
  }

  private badNow(now: bigint): boolean { return now < 0n || now > LIMIT || now < this.capacitySec; }

  request(a: number, amount: bigint, now: bigint, bankrupt = false, open = true): RequestOutcome | Refusal {
    if (a < 0 || a >= this.collateral.length || !open) return { refused: 'UnknownAccount' };
    if (amount < 1n || amount > LIMIT) return { refused: 'OutOfRange' };
    if (this.badNow(now)) return { refused: 'OutOfRange' };
    const mine = this.queue.filter((r) => r.account === a).reduce((s, r) => s + r.amount, 0n);
    if (amount + mine > LIMIT || amount + mine > this.mayWithdraw(this, a)) return { refused: 'BelowInitialMargin' };
    const p = this.plan(now, bankrupt);
    const gated = now < p.gatedUntil;
    let paid = 0n;
    if (!gated && this.queue.length === 0) paid = p.capacity === null ? amount : min(amount, p.capacity);
    const rest = amount - paid;
    if (rest > 0n && this.queuedTotal + rest > LIMIT) return { refused: 'Overflow' };
    if (rest > 0n && this.queue.length >= 65_536) return { refused: 'CapacityExceeded' };
    this.apply(now, p);
    const id = this.nextId++;
    let charge = 0n;
    if (paid > 0n) {
      charge = this.pay(a, paid);
      if (p.capacity !== null) this.capacity = p.capacity - paid;
    }
    if (rest > 0n) this.queue.push({ account: a, amount: rest, since: now, id });
    return { id, paid, charge, queued: rest };
  }

  serve(now: bigint, bankrupt = false): ServeOutcome | Refusal {
    if (this.badNow(now)) return { refused: 'OutOfRange' };
    const p = this.plan(now, bankrupt);
    this.apply(now, p);
    const out: ServeOutcome = { paid: 0n, charge: 0n, dropped: 0n, stillQueued: 0n, payments: [] };
    let capacity = p.capacity;
    while (now >= this.gatedUntil && this.queue.length > 0) {
      const head = this.queue[0]!;
      const allowed = this.mayWithdraw(this, head.account);
      if (head.amount > allowed) { out.dropped += head.amount - allowed; head.amount = allowed; }
      if (head.amount > 0n) {
        if (capacity === 0n) break;
        const x = capacity === null ? head.amount : min(head.amount, capacity);
        const charge = this.pay(head.account, x);
        head.amount -= x;
        if (capacity !== null) capacity -= x;
        out.paid += x; out.charge += charge;
        out.payments.push({ id: head.id, account: head.account, paid: x, charge, complete: head.amount === 0n });
      }
      if (head.amount > 0n) break;
      this.queue.shift();
    }
    if (capacity !== null) this.capacity = capacity;
    out.stillQueued = this.queuedTotal;
    return out;
  }
}
