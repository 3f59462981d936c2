/**
 * The report's comparison of variants: a one-screen summary (who lost how much, how often) and the
 * charts on shared scales, computed from each variant's per-path totals (`VariantReport.pathTotals`).
 *
 * Definitions (exact, on atoms):
 * - a path's total loss is what the waterfall allocated on it: every tranche's cover plus the
 *   uncovered loss;
 * - its loss past the prefunded resources is the part not paid by the insurance fund, the backstop
 *   vault or the members' and operator's capital: ADL, socialization, haircuts, assessments and the
 *   uncovered loss;
 * - the worst paths are the k = max(1, ceil(5 n / 100)) paths with the largest total loss (ties: the
 *   lower path first); a tranche's tail share is its mean over them, rounded down to an atom;
 * - a bearer's loss is the mean per path (rounded down) of the tranches it bears (./format.ts).
 */
import { formatAtoms } from '../atoms.js';
import { ascending, floorDiv, nearestRank } from '../simulation/numbers.js';
import type { ResolvedConfig } from '../simulation/config.js';
import type { SimulationReport, VariantReport } from '../simulation/types.js';
import { hasFundStep } from './assumptions.js';
import { exceedanceChart, stackedLossChart, type StackedVariant } from './compare.js';
import {
  amountCell, atoms, BEARER_LABELS, bearerOf, escapeXml, percent, prefunded, textCell, type Bearer,
} from './format.js';

/** The title of an "n/a" cell of P(fund exhausted): why it does not apply. */
export const NO_FUND_STEP = 'n/a: this waterfall has no insurance-fund step, so the fund cannot be exhausted';

/** The title of a bearer's "-" cell: the variant's waterfall has no step that bearer pays from. */
export const NO_BEARER_STEP = '-: this waterfall has no step this bearer pays from';

/** A P(fund exhausted) cell: the percentage, or "n/a" (with its reason as title) for a waterfall with no fund step. */
export function fundExhaustedCell(v: VariantReport, applies: boolean, col: string, least: boolean, text = percent(v.fundExhaustedProbability)): string {
  return applies ? textCell(text, col, least) : `<td class="num na" data-col="${e(col)}" title="${e(NO_FUND_STEP)}">n/a</td>`;
}

const e = (v: unknown) => escapeXml(String(v));
const th = (text: string, attrs = '') => `<th scope="col"${attrs}>${e(text)}</th>`;

/** What the comparison needs of one variant, exact. */
export interface VariantLosses {
  /** Per path, in path order: total loss and loss past the prefunded resources (atoms). */
  total: bigint[];
  beyondPrefunded: bigint[];
  /** The total's nearest-rank p95 and p99 (atoms). */
  p95: bigint;
  p99: bigint;
  /** How many worst paths the tail bars average, and each tranche's mean over them (waterfall order, uncovered last; atoms). */
  tailPaths: number;
  tail: { tranche: string; atoms: bigint }[];
  /** Mean per path of what each bearer covered (atoms), for the bearers of this variant's tranches. */
  bearers: Map<Bearer, bigint>;
}

/** The per-path columns of a variant's tranches, uncovered last (its own column in `pathTotals`). */
function trancheColumns(v: VariantReport): { tranche: string; perPath: bigint[] }[] {
  return [...v.pathTotals.tranches.map((t) => ({ tranche: t.tranche, perPath: t.coveredQuote.map(atoms) })),
    { tranche: 'uncovered', perPath: v.pathTotals.uncoveredQuote.map(atoms) }];
}

/**
 * Whether a bearer applies to a variant: its waterfall has a step that bearer pays from (its tranches
 * are the waterfall's own), or the bearer is `uncovered`, which every variant has. Where it does not,
 * the summaries print "-" and rank the variant with no one.
 */
export const bears = (l: VariantLosses, b: Bearer): boolean => b === 'uncovered' || l.bearers.has(b);

export function variantLosses(v: VariantReport): VariantLosses {
  const columns = trancheColumns(v);
  const n = v.pathTotals.path.length;
  const total = Array.from({ length: n }, (_, p) => columns.reduce((a, c) => a + c.perPath[p]!, 0n));
  const beyondPrefunded = Array.from({ length: n }, (_, p) => columns.reduce((a, c) => (prefunded(c.tranche) ? a : a + c.perPath[p]!), 0n));
  const sorted = [...total].sort(ascending);
  const tailPaths = Math.max(1, Math.ceil((5 * n) / 100));
  // Worst first; among equal totals, the lower path (its index in path order) first.
  const worst = total.map((t, p) => ({ t, p })).sort((a, b) => ascending(b.t, a.t) || a.p - b.p).slice(0, tailPaths);
  const mean = (x: bigint, k: number) => (k === 0 ? 0n : floorDiv(x, BigInt(k)));
  const bearers = new Map<Bearer, bigint>();
  for (const c of columns) {
    const b = bearerOf(c.tranche);
    bearers.set(b, (bearers.get(b) ?? 0n) + c.perPath.reduce((a, x) => a + x, 0n));
  }
  for (const [b, sum] of bearers) bearers.set(b, mean(sum, n));
  return {
    total, beyondPrefunded,
    p95: n === 0 ? 0n : nearestRank(sorted, 95), p99: n === 0 ? 0n : nearestRank(sorted, 99),
    tailPaths: n === 0 ? 0 : tailPaths,
    tail: columns.map((c) => ({ tranche: c.tranche, atoms: mean(worst.reduce((a, w) => a + c.perPath[w.p]!, 0n), worst.length) })),
    bearers,
  };
}

const BEARER_ORDER: readonly Bearer[] = ['fund', 'vault', 'members', 'winners', 'socialized', 'uncovered'];

/**
 * The summary: one row per variant with the mean loss per path each bearer took, the total's p99,
 * and how often the fund ran out and winners were hit; in each column the least is marked (when the
 * variants differ), and a line per column says which variant lost least and which most. No single
 * "best": an uncovered loss and a socialized one fall on different people. P(fund exhausted) is
 * "n/a" for a variant whose waterfall has no insurance-fund step, and that variant is ranked with
 * no one in that column (its 0 % is a definition, not a fund that held).
 */
export function summarySection(r: SimulationReport, losses: readonly VariantLosses[], run: ResolvedConfig): string {
  const d = r.quoteDecimals;
  const withFund = r.variants.map((v) => hasFundStep(v, run));
  const bearers = BEARER_ORDER.filter((b) => b === 'uncovered' || losses.some((l) => (l.bearers.get(b) ?? 0n) !== 0n || (b === 'fund' && l.bearers.has(b))));
  // value undefined: the column does not apply to the variant, which is then ranked with no one.
  type Column = { key: string; label: string; value: (i: number) => bigint | number | undefined; cell: (i: number, least: boolean) => string };
  const columns: Column[] = [
    // A bearer the variant's waterfall has no step for (its tranches are the waterfall's own): "-",
    // ranked with no one, as the CLI's summary prints it; "uncovered" applies to every variant.
    ...bearers.map((b): Column => ({
      key: `bearer-${b}`, label: BEARER_LABELS[b], value: (i) => (bears(losses[i]!, b) ? losses[i]!.bearers.get(b) ?? 0n : undefined),
      cell: (i, least) => (bears(losses[i]!, b)
        ? amountCell(formatAtoms(losses[i]!.bearers.get(b) ?? 0n, d), `bearer-${b}`, least)
        : `<td class="num na" data-col="bearer-${b}" title="${e(NO_BEARER_STEP)}">-</td>`),
    })),
    { key: 'total-p99', label: 'Total loss p99', value: (i) => losses[i]!.p99, cell: (i, least) => amountCell(formatAtoms(losses[i]!.p99, d), 'total-p99', least) },
    {
      key: 'fund-exhausted', label: 'P(fund exhausted)', value: (i) => (withFund[i] ? r.variants[i]!.fundExhaustedProbability : undefined),
      cell: (i, least) => fundExhaustedCell(r.variants[i]!, withFund[i]!, 'fund-exhausted', least),
    },
    { key: 'winners-hit', label: 'P(winners hit)', value: (i) => r.variants[i]!.riskTakers.winnersHitProbability, cell: (i, least) => textCell(percent(r.variants[i]!.riskTakers.winnersHitProbability), 'winners-hit', least) },
  ];
  const least = columns.map((c) => {
    const values = r.variants.map((_, i) => c.value(i));
    const ranked = values.filter((v) => v !== undefined);
    const lo = ranked.reduce((a, v) => (v < a ? v : a), ranked[0] ?? 0);
    const hi = ranked.reduce((a, v) => (v > a ? v : a), ranked[0] ?? 0);
    return { lo, hi, values, ranked: ranked.length, excluded: values.length - ranked.length };
  });
  const rows = r.variants.map((v, i) => `<tr data-variant="${i}"><th scope="row">${e(v.name)}</th>${columns.map((c, k) => {
    const { lo, hi, values, ranked } = least[k]!;
    return c.cell(i, ranked > 1 && lo !== hi && values[i] === lo);
  }).join('')}</tr>`);
  const lines = columns.map((c, k) => {
    const { lo, hi, values, ranked, excluded } = least[k]!;
    // Named when one or two variants share the value, counted when more do (the table marks them).
    const names = (x: bigint | number) => {
      const which = r.variants.filter((_, i) => values[i] === x).map((v) => v.name);
      return which.length <= 2 ? which.join(', ') : `${which.length} of ${ranked} variants`;
    };
    const ranking = ranked < 2 ? '' : lo === hi ? `the same for every variant${excluded ? ' it applies to' : ''}` : `least: ${names(lo)}; most: ${names(hi)}`;
    const which = excluded === 1 ? r.variants.find((_, i) => values[i] === undefined)!.name : `${excluded} variants`;
    const na = !excluded ? '' : c.key === 'fund-exhausted' ? `n/a for ${which} (no insurance-fund step)` : `no such step for ${which}`;
    const text = r.variants.length < 2 ? '' : [ranking, na].filter(Boolean).join('; ');
    return text ? `<li data-col="${c.key}"><strong>${e(c.label)}</strong>: ${e(text)}</li>` : '';
  }).join('');
  return '<section id="summary"><h2>Summary: who lost what, how often</h2>'
    + '<p class="note">Mean loss per path by who bore it (quote units; each is the tranches that bearer covers, see "Who bore the loss"),'
    + ' the 99th percentile of the per-path total loss, the share of paths on which the insurance fund ran out, and on which winners were hit (ADL, a haircut or a socialization). '
    + 'Green: the least in its column; "-": the waterfall has no step that bearer pays from. Losses fall on different people, so no single column ranks the designs.</p>'
    + `<table id="summary-table"><thead><tr>${th('Variant')}${columns.map((c) => th(c.label)).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`
    + (lines ? `<ul class="least">${lines}</ul>` : '')
    + '</section>';
}

/** The comparison charts: who bore the loss (stacked, with the tails) and the exceedance curves of the per-path losses. */
export function comparisonSection(r: SimulationReport, losses: readonly VariantLosses[]): string {
  const d = r.quoteDecimals;
  const k = losses[0]?.tailPaths ?? 0;
  const tailText = `the worst ${k} of ${r.paths} paths (5 %)`;
  const stacked: StackedVariant[] = r.variants.map((v, i) => ({
    name: v.name,
    mean: v.tranches.map((t) => ({ tranche: t.tranche, value: t.meanQuote })),
    tail: losses[i]!.tail.map((t) => ({ tranche: t.tranche, value: formatAtoms(t.atoms, d) })),
    p95: formatAtoms(losses[i]!.p95, d), p99: formatAtoms(losses[i]!.p99, d),
  }));
  const series = (f: (l: VariantLosses) => bigint[]) => r.variants.map((v, i) => ({ name: v.name, values: f(losses[i]!).map((x) => formatAtoms(x, d)) }));
  return '<section id="comparison"><h2>Who bore the loss</h2>'
    + `<p class="note">Every variant on one scale. Bars: the mean per path of the loss each tranche covered, and its mean over ${e(tailText)} by total loss;`
    + ' the total loss of a path is every tranche\'s cover plus the uncovered loss. Curves: the share of paths on which a loss exceeded x.</p>'
    + `<div class="charts">${stackedLossChart(stacked, tailText, { id: 'compare-tranches', title: 'Who bore the loss: mean per path and on the worst paths', decimals: d })}`
    + exceedanceChart(series((l) => l.total), { id: 'compare-total', title: 'Total loss per path: P(loss > x)', decimals: d })
    + exceedanceChart(series((l) => l.beyondPrefunded), {
      id: 'compare-beyond', title: 'Loss past the prefunded resources: P(loss > x)', decimals: d,
      note: 'Past the fund, the vault and members\' capital: ADL, socialization, haircuts, assessments, uncovered.',
    })
    + '</div></section>';
}
