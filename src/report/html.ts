/**
 * A simulation report as one self-contained HTML document: inline CSS and SVG, no scripts and no
 * requests, so the file opens anywhere and can be archived with a run. The report JSON is embedded
 * (`<script type="application/json" id="report-data">`) so tools can read the exact numbers back.
 *
 * Layout, for a risk committee: the run in one line and a one-screen summary (who lost what, how
 * often) on the first screen, then the assumptions (book, loss absorbers, policy, waterfalls,
 * scenario, clock, paths), the variants compared on shared
 * scales (who bore the loss, exceedance curves), the sweep table, the risk-takers' efficiency frontier
 * with its tables, then each variant's tables and charts. Every table fits a 1280-pixel window; its
 * amounts are rounded and grouped for reading, with the exact decimal strings in `data-value`/`title`.
 */
import { atomsOf, formatAtoms } from '../atoms.js';
import { inputError } from '../errors.js';
import type { ResolvedConfig } from '../simulation/config.js';
import type { Distribution, SimulationReport, SweepVariant, VariantReport } from '../simulation/types.js';
import { allSteps } from '../waterfall/config.js';
import { ANNUALIZE_FROM_SEC, assumptions, describeWaterfall, hasFundStep, meanReturnPpm, resolvedOf, returnBasis, runLine, waterfallOfVariant } from './assumptions.js';
import { COLORS, fanChart, frontierChart, liquidationChart, trancheChart, type Level } from './charts.js';
import { amountCell, atoms, BEARER_LABELS, duration, escapeXml, groupedCount, percent, ppmPercent, ppmShort, textCell, trancheLabel } from './format.js';
import { comparisonSection, fundExhaustedCell, summarySection, variantLosses } from './summary.js';

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .3rem; } p.run-line { margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1rem; }
dl.run { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dl.run dt { color: #555; } dl.run dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; max-width: 100%; } caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .2rem .4rem; } table { font-size: 13px; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f5f5f5; text-align: left; font-weight: 600; } thead th { font-size: .9em; vertical-align: bottom; }
td.least { background: #e5f5e0; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } .charts svg { box-sizing: border-box; width: calc(50% - .5rem); min-width: 320px; max-width: 100%; height: auto; border: 1px solid #eee; }
.tables { display: flex; flex-wrap: wrap; gap: 0 1.5rem; align-items: flex-start; }
.note { color: #555; font-size: .9em; } p.warning { background: #fff4e5; border-left: 4px solid #e6550d; padding: .4rem .8rem; }
ul.least { margin: .2rem 0 1rem; padding-left: 1.2rem; } #summary h2 { margin-top: 1rem; }
`;

const e = (v: unknown) => escapeXml(String(v));

/** A variant's parameters as short text ("base configuration" when nothing differs). */
function describeVariant(v: SweepVariant): string {
  const parts = Object.entries(v).filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k} = ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`);
  return parts.length === 0 ? 'base configuration' : parts.join(', ');
}

function row(cells: readonly string[], attrs = ''): string {
  return `<tr${attrs}>${cells.join('')}</tr>`;
}
const th = (text: string, attrs = '') => `<th scope="col"${attrs}>${e(text)}</th>`;
const num = textCell;

/** What the charts of a variant show beyond its report: the step's length, the fund's start and floor. */
export interface ChartContext {
  /** Seconds per step: the step axis's unit. */
  stepSeconds?: number;
  /** The fund's starting level and the insurance-fund step's floor there (exact decimal strings, quote units). */
  fundStartQuote?: string;
  fundFloorQuote?: string;
  /** How the floor is set, in words ("70 % of the peak over 8 h"). */
  floorText?: string;
  /** False when the variant's waterfall has no insurance-fund step (it never draws on the fund; the chart says so). */
  fundStep?: boolean;
}

/**
 * The fund's starting level and the floor below which the variant's waterfall takes nothing from
 * it, at the start: the larger of its `floorQuote` and (1 - drawdownPpm) of the starting level
 * (rounded up to an atom; the peak, and so the floor, can rise later with fees); the first
 * insurance-fund step of the waterfall (its steps, then its groups'). No insurance-fund step:
 * neither, as the waterfall never draws on the fund (the chart then says so).
 */
export function fundLevels(variant: VariantReport, run: ResolvedConfig, decimals: number): ChartContext {
  const w = waterfallOfVariant(variant, run);
  const step = allSteps(w).find((t) => t.kind === 'insuranceFund');
  if (!step || step.kind !== 'insuranceFund') return { stepSeconds: run.stepSeconds, fundStep: false };
  const startAtoms = atomsOf(variant.variant.insuranceFundQuote ?? run.insuranceFundQuote, decimals, 'insuranceFundQuote');
  const context: ChartContext = { stepSeconds: run.stepSeconds, fundStartQuote: formatAtoms(startAtoms, decimals) };
  const floorAtoms = step.floorQuote === undefined ? 0n : atomsOf(step.floorQuote, decimals, 'floorQuote');
  const keep = BigInt(1_000_000 - (step.drawdownPpm ?? 0));
  const drawdownFloor = step.drawdownPpm ? (startAtoms * keep + 999_999n) / 1_000_000n : 0n;
  const floor = drawdownFloor > floorAtoms ? drawdownFloor : floorAtoms;
  const why = [step.drawdownPpm ? `${ppmShort(Number(keep))} of the fund's ${duration(step.drawdownWindowSec ?? 0)} peak` : '', floorAtoms > 0n ? `floor ${formatAtoms(floorAtoms, decimals)}` : '']
    .filter(Boolean).join(', ');
  return { ...context, fundFloorQuote: formatAtoms(floor, decimals), floorText: why || 'zero (the fund pays until it is empty)' };
}

/**
 * What `renderCharts` needs beyond a variant's figures, from the report it belongs to: the step's
 * length and the fund's starting level and floor for variant `index` (the HTML report passes the
 * same). InputError(InvalidScenario) naming `variant` when there is no such variant.
 */
export function chartContext(report: SimulationReport, index: number): ChartContext {
  const variant = report.variants[index];
  if (!Number.isInteger(index) || variant === undefined) throw inputError('InvalidScenario', 'variant', index, `the report has ${report.variants.length} variants`);
  return fundLevels(variant, resolvedOf(report), report.quoteDecimals);
}

/**
 * The charts of one variant: insurance fund fan (with its starting level and floor when `context`
 * gives them), loss waterfall by tranche, liquidation volume, and where they hold something, the
 * stakers' holdings and the vault's NAV. `id` prefixes element ids.
 */
export function renderCharts(variant: VariantReport, decimals: number, id = 'chart', context: ChartContext = {}): string {
  const stepLabel = context.stepSeconds ? `step (${duration(context.stepSeconds)} each)` : 'step';
  const o = (suffix: string, title: string) => ({ id: `${id}-${suffix}`, title: `${variant.name}: ${title}`, decimals, stepLabel });
  const held = (start: string) => atoms(start) !== 0n;
  const levels: Level[] = [
    ...(context.fundStartQuote ? [{ name: 'start', value: context.fundStartQuote, label: 'start', color: '#31a354' }] : []),
    ...(context.fundFloorQuote ? [{ name: 'floor', value: context.fundFloorQuote, label: 'floor', color: COLORS.uncovered, dashed: true }] : []),
  ];
  const note = context.fundStep === false
    ? 'This waterfall has no insurance-fund step: the fund covers no deficit here, and "exhausted" does not apply.'
    : context.fundFloorQuote
      ? `Floor: nothing is taken below ${context.floorText}. Exhausted: a deficit went past the fund (floor, empty, cap).`
      : undefined;
  return `<div class="charts">${[
    fanChart(variant.byStep.insuranceFund, { ...o('fund', 'insurance fund balance'), ...(note ? { note } : {}) }, levels),
    trancheChart(variant.tranches, o('tranches', 'mean loss covered by tranche')),
    liquidationChart(variant.byStep.liquidatedNotionalMean, variant.byStep.liquidatedNotional.p95, o('liquidations', 'liquidated notional per step')),
    ...(held(variant.riskTakers.stakers.startQuote) ? [fanChart(variant.byStep.stakerValue, o('stakers', 'insurance-fund stakers\' holdings'))] : []),
    ...(variant.winners.enabled ? [fanChart(variant.byStep.queuedQuote, o('queue', 'withdrawal queue (winners waiting)'))] : []),
    ...(held(variant.riskTakers.vaultDepositors.startQuote) ? [fanChart(variant.byStep.vaultNav, o('vault', 'backstop vault NAV'))] : []),
  ].join('')}</div>`;
}


/**
 * The risk-takers' side: the efficiency frontier (every variant by return against tail loss, marked
 * by how often winners were hit) and a table per class.
 */
function riskTakersSection(r: SimulationReport): string {
  const basis = returnBasis(r);
  const points = r.variants.map((v) => ({
    name: v.name, returnPpm: meanReturnPpm(v.riskTakers.combined, basis), tailLossPpm: v.riskTakers.combined.maxDrawdown.p95Ppm,
    hitProbability: v.riskTakers.winnersHitProbability,
    ...(v.winners.enabled ? { shortProbability: v.winners.shortProbabilityPpm / 1e6 } : {}),
  }));
  const run = r.variants.some((v) => v.winners.enabled);
  // Two tables so each fits the page: the risk-takers' returns, then what winners and the venue saw.
  const group = (label: string, span: number) => `<th scope="colgroup" colspan="${span}">${e(label)}</th>`;
  const groups = row(['<th></th><th></th>', group('Together', 2), group('Stakers', 4), group('Vault depositors', 4)]);
  const ret = `Return ${basis.suffix}`;
  const head = ['#', 'Variant', ret, 'DD p95', ret, 'p5 return', 'P(loss)', 'DD p95', ret, 'p5 return', 'P(loss)', 'DD p95'];
  const rows = r.variants.map((v, i) => {
    const s = v.riskTakers.stakers, d = v.riskTakers.vaultDepositors, c = v.riskTakers.combined;
    return row([num(String(i)), `<th scope="row">${e(v.name)}</th>`, num(ppmPercent(meanReturnPpm(c, basis)), 'combined-return'), num(ppmPercent(c.maxDrawdown.p95Ppm), 'combined-tail'),
      num(ppmPercent(meanReturnPpm(s, basis)), 'stakers-return'), num(ppmPercent(s.p5ReturnPpm)),
      num(percent(s.lossProbability)), num(ppmPercent(s.maxDrawdown.p95Ppm)), num(ppmPercent(meanReturnPpm(d, basis)), 'vault-return'), num(ppmPercent(d.p5ReturnPpm)),
      num(percent(d.lossProbability)), num(ppmPercent(d.maxDrawdown.p95Ppm))], ` data-variant="${i}"`);
  });
  const head2 = ['#', 'Variant', 'Winners hit', 'Fee revenue', 'Treasury gain',
    ...(run ? ['Winners took out', 'Winners lost', 'P(winner short)', 'Wait mean (steps)', 'Wait p95', 'Wait max'] : [])];
  const rows2 = r.variants.map((v, i) => row([num(String(i)), `<th scope="row">${e(v.name)}</th>`, num(percent(v.riskTakers.winnersHitProbability), 'winners-hit'),
    amountCell(v.riskTakers.feeRevenueQuote, 'fee-revenue'), amountCell(v.riskTakers.treasuryGainQuote, 'treasury-gain'), ...(run ? winnersCells(v) : [])], ` data-variant="${i}"`));
  return `<section id="risk-takers"><h2>Risk-takers and winners</h2>`
    + `<p class="note">Returns (${e(basis.suffix)}) are means over paths, ${e(basis.words)}${basis.annual ? ' (annualized without compounding)' : `: runs shorter than ${e(duration(ANNUALIZE_FROM_SEC))} are not annualized`}; p5 return: over the run; DD p95 and the frontier's tail loss: the 95th percentile over paths of the maximum drawdown (peak to trough); winners hit: share of paths on which ADL, a haircut or a socialization covered a loss.`
    + (run ? ' Winners (the withdrawal run): taken out, what they received of what they wanted; lost, what ADL and socialization took of it and what they wanted together; P(short), the probability that a winner could not withdraw in full (the frontier\'s marks); waits in steps, of the requests that left the queue.' : '')
    + '</p>'
    + `<div class="charts">${frontierChart(points, { id: 'frontier', title: 'Efficiency frontier: stakers and vault depositors together', decimals: r.quoteDecimals }, basis.words)}</div>`
    + `<table id="risk-takers-table"><caption>Returns and drawdowns per variant</caption>`
    + `<thead>${groups}${row(head.map((h) => th(h)))}</thead><tbody>${rows.join('')}</tbody></table>`
    + `<table id="winners-table"><caption>Winners and the venue per variant (amounts: means per path, quote units)</caption>`
    + `<thead>${row(head2.map((h) => th(h)))}</thead><tbody>${rows2.join('')}</tbody></table></section>`;
}

/** A variant's winners' columns: taken out, lost, P(short) (percent), waits in steps ("-" without a run). */
function winnersCells(v: VariantReport): string[] {
  const w = v.winners;
  if (!w.enabled) return Array.from({ length: 6 }, () => num('-'));
  return [num(ppmPercent(w.takenOutPpm), 'winners-taken-out'), num(ppmPercent(w.lostPpm), 'winners-lost'), num(ppmPercent(w.shortProbabilityPpm), 'winners-short'),
    num(String(w.waitSteps.mean), 'wait-mean'), num(String(w.waitSteps.p95), 'wait-p95'), num(String(w.waitSteps.max), 'wait-max')];
}

/** The title, the run in one line, and a warning when too few paths make the 99th percentile the maximum. */
function header(r: SimulationReport, run: ResolvedConfig): string {
  const warning = r.paths < 100
    ? `<p class="warning" id="paths-warning">${e(`${r.paths} paths: with fewer than 100, the 99th percentile and ES99 are the worst path (p99 = max). Run at least 100 paths for a tail estimate.`)}</p>`
    : '';
  return `<header><h1>Stress simulation report</h1><p class="run-line" id="run-line">${e(runLine(r, run))}</p>${warning}</header>`;
}

/** Every assumption of the run (after the summary: a reader who needs them scrolls once). */
function assumptionsSection(r: SimulationReport, run: ResolvedConfig): string {
  const items: [string, string][] = [
    ...assumptions(r, run),
    ['Amounts', `quote units, ${r.quoteDecimals} decimals; tables show cents below 1,000, whole units from 1,000 and <0.01 for less than a cent (each cell's tooltip has the exact value); means round down to an atom, percentiles are nearest-rank`],
    ['Work', `${groupedCount(r.work.accountsChecked)} account checks, ${groupedCount(r.work.positionSteps)} position-steps, ${groupedCount(r.work.elapsedMs)} ms`],
  ];
  return `<section id="assumptions"><h2>Assumptions</h2><dl class="run">${items.map(([k, v]) => `<dt>${e(k)}</dt><dd data-key="${e(k.toLowerCase())}">${e(v)}</dd>`).join('')}</dl></section>`;
}

/**
 * One row per variant with the key columns (the variant's parameters in its name's tooltip). In each
 * loss column the least is marked: socialized and uncovered losses fall on different people, so
 * neither ranks the variants alone.
 */
function sweepTable(r: SimulationReport, run: ResolvedConfig): string {
  const withFund = r.variants.map((v) => hasFundStep(v, run));
  // value: what the column ranks by (undefined: not ranked, for that variant or, on every variant, the column).
  const cols: { head: string; col: string; value: (v: VariantReport, i: number) => string | undefined; cell: (v: VariantReport, least: boolean, i: number) => string }[] = [
    {
      head: 'P(fund exhausted)', col: 'fund-exhausted', value: (v, i) => (withFund[i] ? String(v.fundExhaustedPaths) : undefined),
      cell: (v, least, i) => fundExhaustedCell(v, withFund[i]!, 'fund-exhausted', least),
    },
    { head: 'Socialized and haircuts, mean', col: 'socialized-mean', value: (v) => v.socialized.mean, cell: (v, least) => amountCell(v.socialized.mean, 'socialized-mean', least) },
    { head: 'Socialized and haircuts, p99', col: 'socialized-p99', value: (v) => v.socialized.p99, cell: (v, least) => amountCell(v.socialized.p99, 'socialized-p99', least) },
    { head: 'Uncovered mean', col: 'uncovered-mean', value: (v) => v.uncovered.mean, cell: (v, least) => amountCell(v.uncovered.mean, 'uncovered-mean', least) },
    { head: 'Uncovered p99', col: 'uncovered-p99', value: (v) => v.uncovered.p99, cell: (v, least) => amountCell(v.uncovered.p99, 'uncovered-p99', least) },
    { head: 'Cover-2 p99', col: 'cover2-p99', value: (v) => v.cover2.p99, cell: (v, least) => amountCell(v.cover2.p99, 'cover2-p99', least) },
    { head: 'Prefunded', col: 'prefunded', value: () => undefined, cell: (v, least) => amountCell(v.prefundedQuote, 'prefunded', least) },
    { head: 'Cover-2 > prefunded (paths)', col: 'cover2-breach', value: () => undefined, cell: (v, least) => num(`${v.cover2BreachPaths} of ${v.paths}`, 'cover2-breach', least) },
    { head: 'Liquidated notional', col: 'liquidated', value: () => undefined, cell: (v, least) => amountCell(v.liquidations.notionalQuote, 'liquidated', least) },
  ];
  // The least of each loss column, compared exactly (amounts as atoms; exhaustion by paths, every variant ran the same).
  const least = cols.map((c) => {
    const values = r.variants.map((v, i) => { const x = c.value(v, i); return x === undefined ? undefined : atoms(x); });
    const ranked = values.filter((x) => x !== undefined);
    if (ranked.length < 2) return undefined;
    const lo = ranked.reduce((a, x) => (x < a ? x : a)), hi = ranked.reduce((a, x) => (x > a ? x : a));
    return lo === hi ? undefined : values.map((x) => x === lo);
  });
  const rows = r.variants.map((v, i) => row([`<th scope="row" title="${e(describeVariant(v.variant))}">${e(v.name)}</th>`,
    ...cols.map((c, k) => c.cell(v, least[k]?.[i] ?? false, i))], ` data-variant="${i}"`));
  return '<section id="sweep"><h2>Sweep comparison</h2><p class="note">Socialized and haircuts: the loss spread over open interest through funding plus the haircuts'
    + ` of winners' gains and of deposits; the summary counts the haircuts of gains under "${e(BEARER_LABELS.winners)}", the rest under "${e(BEARER_LABELS.socialized)}".`
    + ' P(fund exhausted) n/a: the variant\'s waterfall has no insurance-fund step. Prefunded: see the assumptions.</p>'
    + `<table id="sweep-table"><caption>Variants on the same ${e(groupedCount(r.paths))} paths (per-path totals, quote units); green: the least in its column</caption>`
    + `<thead>${row([th('Variant'), ...cols.map((c) => th(c.head))])}</thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function variantSection(v: VariantReport, i: number, decimals: number, run: ResolvedConfig): string {
  const withFund = hasFundStep(v, run);
  const dist = (name: string, d: Distribution) => row([`<th scope="row">${e(name)}</th>`, amountCell(d.mean), amountCell(d.p95), amountCell(d.p99), amountCell(d.expectedShortfall99), amountCell(d.max)]);
  const distributions = `<table class="distributions"><caption>Per-path totals (quote units)</caption>`
    + `<thead>${row(['', 'Mean', 'p95', 'p99', 'ES99', 'Max'].map((h) => th(h)))}</thead><tbody>`
    + [dist('Socialized and haircuts', v.socialized), dist('Uncovered', v.uncovered), dist('Deficits', v.deficits), dist('Cover-1', v.cover1), dist('Cover-2', v.cover2)].join('')
    + '</tbody></table>';
  const key = (name: string, value: string) => row([`<th scope="row">${e(name)}</th>`, num(value)]);
  const keyAmount = (name: string, value: string) => row([`<th scope="row">${e(name)}</th>`, amountCell(value)]);
  const figures = `<table class="figures"><caption>Key figures</caption><tbody>`
    + row(['<th scope="row">P(fund exhausted)</th>',
      fundExhaustedCell(v, withFund, 'fund-exhausted', false, `${percent(v.fundExhaustedProbability)} (${v.fundExhaustedPaths} of ${v.paths} paths)`)])
    + keyAmount('Prefunded resources at the start (see the assumptions)', v.prefundedQuote)
    + key('Cover-2 > prefunded', `${v.cover2BreachPaths} of ${v.paths} paths`)
    + key('Liquidation closes', groupedCount(v.liquidations.closes))
    + keyAmount('Liquidated notional', v.liquidations.notionalQuote)
    + keyAmount('ADL notional', v.adl.notionalQuote)
    + key('ADL accounts', groupedCount(v.adl.accounts))
    + (v.winners.enabled ? key('Winners per path (mean)', groupedCount(v.winners.winners))
      + keyAmount('Winners wanted (mean)', v.winners.wantedQuote) + keyAmount('Winners received (mean)', v.winners.receivedQuote)
      + keyAmount('Loss charges withheld (mean)', v.winners.chargedQuote)
      + key('Requests left the queue / still queued', `${groupedCount(v.winners.left)} / ${groupedCount(v.winners.stillQueued)}`) : '')
    + '</tbody></table>';
  const tranches = `<table class="tranches"><caption>Loss waterfall (quote units)</caption><thead>${row(['Tranche', 'Mean per path', 'Total'].map((h) => th(h)))}</thead><tbody>`
    + v.tranches.map((t) => row([`<th scope="row" data-tranche="${e(t.tranche)}">${e(trancheLabel(t.tranche))}</th>`, amountCell(t.meanQuote), amountCell(t.totalQuote)])).join('') + '</tbody></table>';
  return `<section class="variant" id="variant-${i}" data-variant="${i}"><h2>${e(v.name)}</h2>`
    + `<p class="note">${e(describeVariant(v.variant))}; waterfall: ${e(describeWaterfall(waterfallOfVariant(v, run)))}</p>`
    + `<div class="tables">${distributions}${figures}${tranches}</div>` + renderCharts(v, decimals, `v${i}`, fundLevels(v, run, decimals)) + '</section>';
}

/** The report as a self-contained HTML document. */
export function renderReportHtml(report: SimulationReport): string {
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  const run = resolvedOf(report);
  const losses = report.variants.map(variantLosses);
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<title>Stress simulation report ${e(report.configHash)}</title><style>${CSS}</style></head><body>`
    + header(report, run) + summarySection(report, losses, run) + assumptionsSection(report, run) + comparisonSection(report, losses) + sweepTable(report, run) + riskTakersSection(report)
    + report.variants.map((v, i) => variantSection(v, i, report.quoteDecimals, run)).join('')
    + `<script type="application/json" id="report-data">${data}</script>`
    + '</body></html>\n';
}
