/**
 * The engine's internals, for this package's own modules (the stages behind the RiskEngine facade,
 * and the simulation): the raw core, guarded against use after dispose and from callbacks, the
 * quote decimals and each market's base decimals, and the helpers every stage checks ids with.
 * `internalsOf(engine)` finds an engine's internals in a module-private registry that RiskEngine
 * fills at creation; the package's entry points do not export it.
 */
import { describeValue, EngineError, inputError, RiskCoreError, StatusCode } from '../errors.js';
import type { Raw } from './raw.js';

/** Runs code the engine calls (a ranking function, onDeficits, an interrupt check): calls into the engine are refused meanwhile. */
export type CallOut = <T>(fn: () => T) => T;

export class EngineInternals {
  private core: Raw | null;
  /** Above 0 while code the engine calls is running: every member refuses (Reentrant) meanwhile. */
  private callbackDepth = 0;
  readonly quoteDecimals: number;
  /** Base decimals by market id (the markets added so far). */
  readonly decimalsByMarket: number[] = [];

  constructor(raw: Raw, quoteDecimals: number) {
    this.core = raw;
    this.quoteDecimals = quoteDecimals;
  }

  /** The raw core; refused after dispose (Disposed) and from code the engine calls (Reentrant). */
  get raw(): Raw {
    if (!this.core) throw new EngineError(StatusCode.Disposed, '', -1);
    if (this.callbackDepth > 0) throw new EngineError(StatusCode.Reentrant, '', -1);
    return this.core;
  }

  /**
   * Runs code the engine calls (a ranking function, onDeficits, an interrupt check): while it runs,
   * every member of this engine refuses with EngineError Reentrant and changes nothing.
   */
  readonly callOut: CallOut = <T>(fn: () => T): T => {
    this.callbackDepth++;
    try { return fn(); } finally { this.callbackDepth--; }
  };

  /** Releases the core (its memory goes with the last reference). Idempotent; refused (Reentrant) from a callback. */
  dispose(): void {
    if (this.callbackDepth > 0) throw new EngineError(StatusCode.Reentrant, '', -1);
    this.core = null;
  }

  /** A known market's base decimals; the id must be an integer in range (no string, array or property name). */
  baseDecimals(marketId: number, field = 'marketId', row = -1): number {
    const known = Number.isInteger(marketId) && marketId >= 0 && marketId < this.decimalsByMarket.length;
    const d = known ? this.decimalsByMarket[marketId] : undefined;
    if (d === undefined) throw inputError('UnknownMarket', field, row, describeValue(marketId));
    return d;
  }

  /** A known account id (UnknownAccount otherwise). */
  knownAccount(accountId: number): number {
    if (!Number.isInteger(accountId) || accountId < 0 || accountId >= this.raw.accountCount()) {
      throw inputError('UnknownAccount', 'accountId', -1, describeValue(accountId));
    }
    return accountId;
  }

  /** Refuses (ResultsStale) while the results are invalid. */
  requireValid(): void {
    // Partial checks keep earlier rows valid; only a failed check (overflow) invalidates the
    // columns, until a full check succeeds.
    if (!this.raw.resultsValid()) throw RiskCoreError.fromRecord(StatusCode.ResultsStale, 0, -1);
  }
}

const registry = new WeakMap<object, EngineInternals>();

/** Records an engine's internals (RiskEngine, at creation). */
export function registerInternals(engine: object, internals: EngineInternals): void { registry.set(engine, internals); }

/** The internals of an engine of this package. */
export function internalsOf(engine: object): EngineInternals {
  const internals = registry.get(engine);
  if (!internals) throw new TypeError('riskcore: not a RiskEngine');
  return internals;
}
