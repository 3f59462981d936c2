/**
 * Invariants and hostile-argument families known to fail on today's engine, each with the reason
 * (the defect it shows, being fixed separately). Empty: every name the suite checks passes. The short run in `npm test` and `npm run fuzz`
 * tally their violations without failing; `npm run fuzz -- --all` makes them fail like any other.
 * Remove a name once its defect is fixed, so the suite guards it from then on.
 *
 * Names: `<method>/<check>` for hostile arguments (checks: typed, abort, unchanged, view-detached,
 * must-refuse, builds, trust, conservation; `prep` for the valid calls that set a state up;
 * `waterfall-conservation/abort` for the debug build's conservation assertion in any waterfall run),
 * `<invariant>` for crash scenarios (scenarios.ts). A `*` matches any method or check. Only the
 * list's own entries match (`constructor` is no entry, whatever every object inherits).
 */
export const KNOWN_FAILING: Readonly<Record<string, string>> = {};

/** Whether a failure name is on the known list (exact, or through a `*` part). */
export function isKnown(name: string): boolean {
  return knownReason(name) !== undefined;
}

/**
 * The reason a name is known to fail, or undefined. Only the list's own entries count: a name such
 * as `constructor` or `toString/typed` is not on the list because every object has that property.
 */
export function knownReason(name: string): string | undefined {
  const [method, check] = name.split('/');
  for (const key of [name, `${method}/*`, `*/${check}`]) if (Object.hasOwn(KNOWN_FAILING, key)) return KNOWN_FAILING[key];
  return undefined;
}
