/**
 * The calls the core makes into JavaScript, bound for one engine (the only place they are bound).
 * During a waterfall run the core hands over full audit buffers and asks for the keys of a ranking
 * given by the caller, computed before the run: no caller code runs inside the core except a
 * simulation's interrupt check, which runs as a callback (a throw there stops the path).
 */
import type { EngineInternals } from './abi/internals.js';
import type { CoreHooks } from './abi/loader.js';
import type { Raw } from './abi/raw.js';
import type { Losses } from './waterfall/run.js';

/** Hooks that do nothing, for instantiating the core before the engine exists. */
export function unboundHooks(): CoreHooks {
  return { auditDrain: () => {}, adlKeys: () => {}, simInterrupted: () => 0 };
}

/** Binds `hooks` (the instance's) to the engine's internals and waterfall stage. */
export function bindHooks(hooks: CoreHooks, raw: Raw, x: EngineInternals, losses: Losses): void {
  hooks.auditDrain = (rows) => losses.drain(raw, rows);
  hooks.adlKeys = (step, market, side, count) => losses.copyKeys(raw, step, market, side, count);
  hooks.simInterrupted = () => {
    try { return x.callOut(() => raw.interrupt()) ? 1 : 0; } catch { return 1; }
  };
}
