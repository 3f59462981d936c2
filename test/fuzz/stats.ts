/**
 * Counters of a fuzzing run (calls, refusals, scenarios, events, checks per method and per
 * invariant, violations of known-failing names) and the failure type that carries a named check.
 */
import { isKnown } from './known.js';

export class Stats {
  readonly counts = new Map<string, number>();
  /** Survey mode (`--survey`): every violation is tallied with its first message, and no case fails. */
  survey = false;
  /** Only this check fails the run (`--only NAME`, for shrinking one failure); the others are tallied. */
  only: string | undefined;
  readonly samples = new Map<string, string>();
  add(key: string, n = 1): void { this.counts.set(key, (this.counts.get(key) ?? 0) + n); }
  get(key: string): number { return this.counts.get(key) ?? 0; }
  /** Counters whose key starts with `prefix`, sorted by key. */
  group(prefix: string): [string, number][] {
    return [...this.counts].filter(([k]) => k.startsWith(prefix)).map(([k, v]): [string, number] => [k.slice(prefix.length), v]).sort(([a], [b]) => (a < b ? -1 : 1));
  }
  /** A readable multi-line summary. */
  format(): string {
    const line = (title: string, prefix: string): string => {
      const g = this.group(prefix);
      return g.length === 0 ? '' : `${title}:\n${g.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
    };
    return [
      `totals: ${['cases', 'calls', 'refusals', 'scenarios', 'events', 'allocations', 'skipped'].map((k) => `${k} ${this.get(k)}`).join(', ')}\n`,
      line('calls per method', 'call:'), line('refusals per code', 'code:'), line('invariant checks', 'check:'),
      line('known failures seen (not fatal without --all)', 'known:'), line('groups taken below zero by the venue rule (assessments)', 'venueRule:'),
      line('coverage', 'cover:'), line('solvency failures by what the group paid and how it stood', 'solvencyCause:'), line('violations found (survey)', 'found:'),
      this.samples.size === 0 ? '' : `first message per violation:\n${[...this.samples].map(([k, v]) => `  ${k}: ${v.slice(0, 1500)}`).join('\n')}\n`,
    ].join('');
  }
}

/** A violated check, named for the known-failures list. */
export class FuzzFailure extends Error {
  constructor(readonly check: string, message: string) {
    super(`${check}: ${message}`);
    this.name = 'FuzzFailure';
  }
}

/**
 * Records a violation: a known one is tallied and returned (the case stops there), an unknown one
 * (or any with `all`) throws, so fast-check shrinks it.
 */
export function violate(stats: Stats, all: boolean, check: string, message: string): void {
  if (stats.survey) {
    stats.add(`found:${check}`);
    if (!stats.samples.has(check)) stats.samples.set(check, message);
    throw new KnownStop(check);
  }
  if ((stats.only !== undefined && check !== stats.only) || (stats.only === undefined && !all && isKnown(check))) {
    stats.add(`known:${check}`);
    throw new KnownStop(check);
  }
  throw new FuzzFailure(check, message);
}

/** Thrown to end a case after a known failure (it passes). */
export class KnownStop extends Error {
  constructor(readonly check: string) { super(`known failure ${check}`); this.name = 'KnownStop'; }
}
