/**
 * Hostile arguments into every public method (methods.ts), on a venue in a random state, on the
 * release and the debug build side by side. For every call, with the engine's observable state
 * digested before and after (digest.ts):
 * - typed:         a throw is a RiskCoreError (InputError, EngineError, MarginRefusedError) with a
 *                  numeric code and a string field; anything else (TypeError, RangeError, a wasm trap) fails;
 * - abort:         the debug build's RiskCoreInvariantError (a broken internal invariant) fails;
 * - unchanged:     a refused call changes nothing (except where a method says a refusal may follow
 *                  changes that stand: a cascade whose allocation a ranking function refused keeps its
 *                  earlier rounds, and must keep the ledger's total: `<method>/conservation`);
 * - view-detached: a result view taken before a refused call keeps its length (memory did not move);
 * - must-refuse:   a value invalid whatever the state (wrong type, NaN, a fraction, a property name
 *                  as an id or enum value, a bigint outside i64...) in a slot the call reads is refused;
 * - builds:        release and debug give the same outcome (code, field) and the same digest;
 * - trust:         (the trust families of methods.ts) a ranking function's calls back into the engine
 *                  are refused, and a view the caller wrote into does not steer the call that reads it.
 * A known violation that leaves both builds agreeing (typed, must-refuse, builds, trust) is tallied and
 * the sequence goes on; one that may have changed state half-way (abort, unchanged) ends the case.
 */
import fc from 'fast-check';
import { RiskCoreError, RiskCoreInvariantError, type LiquidationPolicy, type RiskEngine, type WaterfallConfig } from '../../dist/src/node.js';
import { createEngine } from '../support/engine.js';
import { changedParts, digest, digestText, show } from './digest.js';
import { buildVenue, CAPACITY, fitWaterfall, HOSTILE, mustRefuse, policyArb, Rng, venueArb, waterfallArb, type VenueDraw } from './gen.js';
import { getPath, METHODS as SURFACE, setPath, structuredCloneConfig, TRUST_METHODS, type Ctx, type Slot } from './methods.js';

/** Every method of the surface, then the trust families (re-entrant callbacks, written views). */
const METHODS = [...SURFACE, ...TRUST_METHODS];
import { KnownStop, violate, type Stats } from './stats.js';

/** Valid calls that put the venue in a state before the hostile sequence. */
export const PREP = ['check', 'plan', 'execute', 'allocate', 'liquidate', 'liquidateAllocate', 'stale', 'closeProvider', 'takeDeficits', 'shock'] as const;

export interface HostileCall { method: number; seed: number; hostile: { slot: number; value: number }[] }
export interface HostileCase { venue: VenueDraw; waterfall: WaterfallConfig; policy: LiquidationPolicy; prep: number[]; calls: HostileCall[] }

export const hostileCallArb: fc.Arbitrary<HostileCall> = fc.record({
  method: fc.nat({ max: 1_000 }),
  seed: fc.nat(),
  hostile: fc.array(fc.record({ slot: fc.nat({ max: 31 }), value: fc.nat({ max: HOSTILE.length - 1 }) }), { maxLength: 2 }),
});

export const hostileCaseArb: fc.Arbitrary<HostileCase> = fc.record({
  venue: venueArb, waterfall: waterfallArb, policy: policyArb,
  prep: fc.array(fc.nat({ max: PREP.length - 1 }), { maxLength: 5 }),
  calls: fc.array(hostileCallArb, { minLength: 1, maxLength: 24 }),
});

interface Side { release: boolean; engine: RiskEngine; other: RiskEngine }

/** A call's outcome as both builds must agree on it. */
function outcome(x: unknown): string {
  if (x === undefined) return 'ok';
  if (x instanceof RiskCoreError) return `${x.codeName}:${x.field}`;
  return `threw:${String(x)}`;
}

function applyPrep(engine: RiskEngine, op: (typeof PREP)[number], policy: LiquidationPolicy, now: number): void {
  switch (op) {
    case 'check': engine.check(); break;
    case 'plan': engine.check(); engine.planLiquidations(policy); break;
    case 'execute': engine.executeLiquidations(); break;
    case 'allocate': engine.allocateLosses({ nowSec: now }); break;
    case 'liquidate': engine.liquidate(policy, { maxRounds: 3 }); break;
    case 'liquidateAllocate': engine.liquidate(policy, { maxRounds: 3, allocate: { nowSec: now } }); break;
    case 'stale': engine.check(); engine.deposit(engine.accountCount - 1, 1n); break;
    case 'closeProvider': engine.closeAccount(2); break;
    case 'takeDeficits': engine.takeDeficits(); break;
    case 'shock': engine.setMarks([0], [engine.market(0).markPrice / 2n + 1n]); break;
  }
}

/** Runs one case on both builds; throws FuzzFailure for an unknown violation. */
export async function runHostileCase(c: HostileCase, stats: Stats, all: boolean): Promise<void> {
  const sides: Side[] = [];
  try {
    for (const release of [true, false]) {
      const engine = await buildVenue(c.venue, release);
      if (!engine) { stats.add('skipped'); return; }
      sides.push({ release, engine, other: await otherEngine(release) });
    }
    const waterfall = fitWaterfall(c.waterfall, sides[0]!.engine.marketCount, sides[0]!.engine.accountCount);
    // Prep: valid calls (a refusal here is just a state); both builds must agree.
    for (const s of sides) s.engine.setWaterfall(structuredCloneConfig(waterfall));
    for (const [i, p] of c.prep.entries()) {
      const seen = sides.map((s) => { try { applyPrep(s.engine, PREP[p]!, c.policy, 1000 + i); return undefined; } catch (x) { return x; } });
      for (const x of seen) {
        if (x instanceof RiskCoreInvariantError) violate(stats, all, abortName('prep', x), `prep ${PREP[p]}: ${String(x)}`);
        if (x !== undefined && !(x instanceof RiskCoreError)) violate(stats, all, 'prep/typed', `prep ${PREP[p]} threw ${String(x)}`);
      }
      if (outcome(seen[0]) !== outcome(seen[1])) violate(stats, all, 'prep/builds', `prep ${PREP[p]}: release ${outcome(seen[0])}, debug ${outcome(seen[1])}`);
    }
    // A known violation that leaves the state as both builds agree on it (typed, must-refuse, builds)
    // is tallied and the sequence goes on; one that may have changed state half-way ends it.
    const flag = (check: string, message: string): void => {
      try { violate(stats, all, check, message); } catch (x) { if (!(x instanceof KnownStop)) throw x; }
    };
    const last = sides.map((s) => digest(s.engine));
    for (const [index, call] of c.calls.entries()) {
      const method = METHODS[call.method % METHODS.length]!;
      const results: { outcome: string; digest: string }[] = [];
      for (const [si, side] of sides.entries()) {
        const ctx: Ctx = { engine: side.engine, other: side.other, rng: new Rng(call.seed), waterfall, policy: c.policy };
        const args = method.args(ctx);
        const put: string[] = [];
        const placed: { slot: Slot; value: unknown; consumed: boolean }[] = [];
        for (const h of call.hostile) {
          if (method.slots.length === 0) break;
          const slot = method.slots[h.slot % method.slots.length]!;
          const value = HOSTILE[h.value % HOSTILE.length]!;
          const consumed = slot.consumed ? slot.consumed(args) : true;
          const v = value.make();
          if (!setPath(args, slot.path, v)) continue;
          put.push(`${slot.path.join('.')}=${value.label}`);
          placed.push({ slot, value: v, consumed });
        }
        // Invalid whatever the state, in a slot the call reads (and not overwritten by a later value).
        const invalid = placed.some((p) => p.consumed && Object.is(getPath(args, p.slot.path), p.value) && mustRefuse(p.slot.kind, p.value, side.engine, p.slot.optional ?? false));
        const what = `call #${index} ${method.name}(${put.join(', ') || 'valid'}) on the ${side.release ? 'release' : 'debug'} build; args ${safeShow(args)}`;
        // Building the arguments changes nothing observable (a reserve() at most), so the digest after
        // the previous call is the digest before this one.
        const before = last[si]!;
        const view = resultsView(side.engine);
        const viewLengthBefore = view?.equityQuote.length;
        stats.add('calls');
        stats.add(`call:${method.name}`);
        let thrown: unknown;
        try {
          const r = method.call(ctx, args);
          if (r instanceof Promise) await r;
        } catch (x) { thrown = x; }
        const after = digest(side.engine);
        last[si] = after;
        const broken = method.verify?.(ctx);
        if (broken) violate(stats, all, `${method.name}/trust`, `${what}: ${broken}`);
        if (method.verify) stats.add('check:trust');
        if (thrown !== undefined) {
          if (thrown instanceof KnownStop) throw thrown;
          if (thrown instanceof RiskCoreInvariantError) violate(stats, all, abortName(method.name, thrown), `${what}: ${String(thrown)}`);
          if (!(thrown instanceof RiskCoreError) || typeof thrown.code !== 'number' || typeof thrown.field !== 'string') {
            flag(`${method.name}/typed`, `${what}: threw ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
          } else {
            stats.add('refusals');
            stats.add(`code:${thrown.codeName}`);
          }
          const e = thrown as { codeName?: string; field?: string };
          let changed = changedParts(before, after);
          // A check that overflows leaves the figures invalid until a full check succeeds (README,
          // "Results"): by design, so only the other parts must stay as they were.
          if (e.codeName === 'Overflow' && resultsView(side.engine) === undefined) {
            const figureParts = ['figures', 'results', 'isolatedResults'];
            if (changed.some((p) => figureParts.includes(p))) stats.add('check:overflow invalidates figures');
            changed = changed.filter((p) => !figureParts.includes(p));
          }
          if (changed.length > 0 && thrown instanceof RiskCoreError && method.refusalAfterChanges?.(thrown)) {
            // Refused after rounds that stand (a cascade's allocation refused by its ranking function).
            const total = (d: Record<string, string>): string | undefined => /"totalQuote":"(-?\d+)n"/.exec(d.ledger ?? '')?.[1];
            if (total(before) === undefined || total(after) === undefined) violate(stats, all, `${method.name}/conservation`, `${what}: refused after changes, but the ledger total could not be read (${total(before)} -> ${total(after)})`);
            else if (total(before) !== total(after)) violate(stats, all, `${method.name}/conservation`, `${what}: refused with ${e.codeName} (${e.field}) after rounds that moved the ledger total ${total(before)} -> ${total(after)}`);
            stats.add('check:refused after changes');
            changed = [];
          }
          if (changed.length > 0 && !method.compound) violate(stats, all, `${method.name}/unchanged`, `${what}: refused with ${e.codeName} (${e.field}) but changed ${changed.join(', ')}`);
          // Views never detach (README, "The runtime"): one taken before keeps its length.
          if (view && view.equityQuote.length !== viewLengthBefore) violate(stats, all, `${method.name}/view-detached`, `${what}: a results view taken before the call now has length ${view.equityQuote.length}, was ${viewLengthBefore}`);
          stats.add('check:refusal changes nothing');
        } else if (invalid) {
          flag(`${method.name}/must-refuse`, `${what}: accepted`);
        }
        results.push({ outcome: outcome(thrown), digest: digestText(after) });
        if (method.takesEngine && thrown === undefined) return;
      }
      if (results[0]!.outcome !== results[1]!.outcome || results[0]!.digest !== results[1]!.digest) {
        flag(`${method.name}/builds`, `call #${index} ${method.name}: release ${results[0]!.outcome}, debug ${results[1]!.outcome}${results[0]!.digest !== results[1]!.digest ? ' (digests differ)' : ''}`);
      }
      stats.add('check:builds agree');
    }
  } catch (x) {
    if (x instanceof KnownStop) return;
    throw x;
  } finally {
    for (const s of sides) s.engine.dispose();
  }
}

/**
 * The name of a debug-build abort: the waterfall's conservation assertion has a name of its own
 * (whatever call ran the waterfall), any other abort is named by the call.
 */
function abortName(method: string, x: RiskCoreInvariantError): string {
  return x.message.includes('the ledger moved in a waterfall run') ? 'waterfall-conservation/abort' : `${method}/abort`;
}

/** One engine per build that batches of "another engine" come from (only reserve() is called on it). */
const others = new Map<boolean, Promise<RiskEngine>>();
function otherEngine(release: boolean): Promise<RiskEngine> {
  if (!others.has(release)) others.set(release, createEngine({ release, ...CAPACITY }));
  return others.get(release)!;
}

function resultsView(engine: RiskEngine): ReturnType<RiskEngine['resultsView']> | undefined {
  try { return engine.resultsView(); } catch { return undefined; }
}

function safeShow(x: unknown): string {
  try {
    const s = show(x) ?? String(x);
    return s.length > 600 ? `${s.slice(0, 600)}...` : s;
  } catch { return '(unprintable)'; }
}
