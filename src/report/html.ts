/**
 * A simulation report as one self-contained HTML document: inline CSS and SVG, no scripts and no
 * requests, so the file opens anywhere and can be archived with a run. The report JSON is embedded
 * (`<script type="application/json" id="report-data">`) so tools can read the exact numbers back.
 *
 * Layout: the run (paths, steps, seed, scenario), the sweep comparison (one row per variant, best and
 * worst mean socialized loss highlighted), the risk-takers' efficiency frontier with its table, then
 * each variant's summary tables and its charts.
 */
import { escapeXml, fanChart, frontierChart, liquidationChart, trancheChart } from './charts.js';
import type { Distribution, SimulationReport, SweepVariant, VariantReport } from '../simulation/types.js';

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; } h3 { font-size: 1rem; }
dl.run { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; } dl.run dt { color: #555; } dl.run dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f5f5f5; text-align: left; }
tr.best td { background: #e5f5e0; } tr.worst td { background: #fde0dd; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } .charts svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.note { color: #555; font-size: .9em; } .scroll { overflow-x: auto; }
`;

const e = (v: unknown) => escapeXml(String(v));
const percent = (p: number) => `${(p * 100).toFixed(2)} %`;
/** Decimal strings of one report (all with the same decimals) compare as integers of atoms. */
const atoms = (s: string) => BigInt(s.replace('.', ''));

/** A variant's parameters as short text ("base configuration" when nothing differs). */
function describeVariant(v: SweepVariant): string {
  const parts = Object.entries(v).filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k} = ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`);
  return parts.length === 0 ? 'base configuration' : parts.join(', ');
}

function row(cells: readonly string[], attrs = ''): string {
  return `<tr${attrs}>${cells.join('')}</tr>`;
}
const th = (text: string) => `<th scope="col">${e(text)}</th>`;
const num = (text: string, col = '') => `<td class="num"${col ? ` data-col="${col}"` : ''}>${e(text)}</td>`;

/**
 * The charts of one variant: insurance fund fan, loss waterfall by tranche, liquidation volume, and
 * where they hold something, the stakers' holdings and the vault's NAV. `id` prefixes element ids.
 */
export function renderCharts(variant: VariantReport, decimals: number, id = 'chart'): string {
  const o = (suffix: string, title: string) => ({ id: `${id}-${suffix}`, title: `${variant.name}: ${title}`, decimals });
  const held = (start: string) => atoms(start) !== 0n;
  return `<div class="charts">${[
    fanChart(variant.byStep.insuranceFund, o('fund', 'insurance fund balance')),
    trancheChart(variant.tranches, o('tranches', 'mean loss covered by tranche')),
    liquidationChart(variant.byStep.liquidatedNotionalMean, variant.byStep.liquidatedNotional.p95, o('liquidations', 'liquidated notional per step')),
    ...(held(variant.riskTakers.stakers.startQuote) ? [fanChart(variant.byStep.stakerValue, o('stakers', 'insurance-fund stakers\' holdings'))] : []),
    ...(variant.winners.enabled ? [fanChart(variant.byStep.queuedQuote, o('queue', 'withdrawal queue (winners waiting)'))] : []),
    ...(held(variant.riskTakers.vaultDepositors.startQuote) ? [fanChart(variant.byStep.vaultNav, o('vault', 'backstop vault NAV'))] : []),
  ].join('')}</div>`;
}

/** A ppm figure as a percentage: two decimals, four where it is small (a drawdown of 0.0080 %). */
const ppmPercent = (ppm: number) => `${(ppm / 1e4).toFixed(ppm !== 0 && Math.abs(ppm) < 100 ? 4 : 2)} %`;

/**
 * The risk-takers' side: the efficiency frontier (every variant by return against tail loss, marked
 * by how often winners were hit) and a table per class.
 */
function riskTakersSection(r: SimulationReport): string {
  const points = r.variants.map((v) => ({
    name: v.name, returnPpm: v.riskTakers.combined.annualizedReturnPpm, tailLossPpm: v.riskTakers.combined.maxDrawdown.p95Ppm,
    hitProbability: v.riskTakers.winnersHitProbability,
    ...(v.winners.enabled ? { shortProbability: v.winners.shortProbabilityPpm / 1e6 } : {}),
  }));
  const run = r.variants.some((v) => v.winners.enabled);
  const head = ['#', 'Variant', 'Together: return a year', 'Drawdown p95', 'Stakers: return a year', 'p5 return', 'P(loss)', 'Drawdown p95',
    'Vault: return a year', 'p5 return', 'P(loss)', 'Drawdown p95', 'Winners hit', 'Fee revenue', 'Treasury gain',
    ...(run ? ['Winners: taken out', 'Lost', 'P(short)', 'Wait mean (steps)', 'Wait p95', 'Wait max'] : [])];
  const rows = r.variants.map((v, i) => {
    const s = v.riskTakers.stakers, d = v.riskTakers.vaultDepositors, c = v.riskTakers.combined;
    return row([num(String(i)), `<th scope="row">${e(v.name)}</th>`, num(ppmPercent(c.annualizedReturnPpm), 'combined-return'), num(ppmPercent(c.maxDrawdown.p95Ppm), 'combined-tail'),
      num(ppmPercent(s.annualizedReturnPpm), 'stakers-return'), num(ppmPercent(s.p5ReturnPpm)),
      num(percent(s.lossProbability)), num(ppmPercent(s.maxDrawdown.p95Ppm)), num(ppmPercent(d.annualizedReturnPpm), 'vault-return'), num(ppmPercent(d.p5ReturnPpm)),
      num(percent(d.lossProbability)), num(ppmPercent(d.maxDrawdown.p95Ppm)), num(percent(v.riskTakers.winnersHitProbability), 'winners-hit'),
      num(v.riskTakers.feeRevenueQuote), num(v.riskTakers.treasuryGainQuote), ...(run ? winnersCells(v) : [])], ` data-variant="${i}"`);
  });
  return `<section id="risk-takers"><h2>Risk-takers and winners</h2>`
    + `<p class="note">Returns are over the simulated horizon, annualized without compounding; the tail loss is the 95th percentile over paths of the maximum drawdown (peak to trough); winners hit: share of paths on which ADL, a haircut or a socialization covered a loss.`
    + (run ? ' Winners (the withdrawal run): taken out, what they received of what they wanted; lost, what ADL and socialization took of it and what they wanted together; P(short), the probability that a winner could not withdraw in full (the frontier\'s marks); waits in steps, of the requests that left the queue.' : '')
    + '</p>'
    + `<div class="charts">${frontierChart(points, { id: 'frontier', title: 'Efficiency frontier: stakers and vault depositors together', decimals: r.quoteDecimals })}</div>`
    + `<div class="scroll"><table id="risk-takers-table"><caption>Per variant (amounts: means per path, quote units)</caption>`
    + `<thead>${row(head.map(th))}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

/** A variant's winners' columns: taken out, lost, P(short) (percent), waits in steps ("-" without a run). */
function winnersCells(v: VariantReport): string[] {
  const w = v.winners;
  if (!w.enabled) return Array.from({ length: 6 }, () => num('-'));
  return [num(ppmPercent(w.takenOutPpm), 'winners-taken-out'), num(ppmPercent(w.lostPpm), 'winners-lost'), num(ppmPercent(w.shortProbabilityPpm), 'winners-short'),
    num(String(w.waitSteps.mean), 'wait-mean'), num(String(w.waitSteps.p95), 'wait-p95'), num(String(w.waitSteps.max), 'wait-max')];
}

function header(r: SimulationReport): string {
  const scenario = r.config.scenario?.kind ?? 'monteCarlo (the default calm market)';
  const items: [string, string][] = [
    ['Paths', String(r.paths)], ['Steps', String(r.steps)], ['Seed', r.config.seed === undefined ? '1 (default)' : String(r.config.seed)],
    ['Scenario', scenario], ['Variants', String(r.variants.length)], ['Configuration hash', r.configHash],
    ['Amounts', `quote units, ${r.quoteDecimals} decimals; means round down to an atom, percentiles are nearest-rank`],
    ['Work', `${r.work.accountsChecked} account checks, ${r.work.positionSteps} position-steps, ${r.work.elapsedMs} ms`],
  ];
  return `<header><h1>Stress simulation report</h1><dl class="run">${items.map(([k, v]) => `<dt>${e(k)}</dt><dd data-key="${e(k.toLowerCase())}">${e(v)}</dd>`).join('')}</dl></header>`;
}

/** One row per variant with the key columns; the lowest and highest mean socialized loss are highlighted. */
function sweepTable(r: SimulationReport): string {
  const means = r.variants.map((v) => atoms(v.socialized.mean));
  const lo = means.reduce((a, m) => (m < a ? m : a), means[0] ?? 0n);
  const hi = means.reduce((a, m) => (m > a ? m : a), means[0] ?? 0n);
  const head = ['Variant', 'Parameters', 'Paths', 'P(fund exhausted)', 'Socialized mean', 'Socialized p99', 'Socialized ES99',
    'Uncovered mean', 'Cover-2 p99', 'Prefunded', 'Cover-2 > prefunded', 'Liquidated notional'];
  const rows = r.variants.map((v, i) => {
    const mark = lo === hi ? '' : means[i] === lo ? ' class="best"' : means[i] === hi ? ' class="worst"' : '';
    return row([`<th scope="row">${e(v.name)}</th>`, `<td>${e(describeVariant(v.variant))}</td>`, num(String(v.paths)),
      num(percent(v.fundExhaustedProbability), 'fund-exhausted'), num(v.socialized.mean, 'socialized-mean'), num(v.socialized.p99), num(v.socialized.expectedShortfall99),
      num(v.uncovered.mean), num(v.cover2.p99), num(v.prefundedQuote), num(`${v.cover2BreachPaths} of ${v.paths}`), num(v.liquidations.notionalQuote)],
    ` data-variant="${i}"${mark}`);
  });
  return `<section><h2>Sweep comparison</h2><div class="scroll"><table id="sweep-table"><caption>Variants on the same paths (quote units); green: lowest mean socialized loss, red: highest</caption>`
    + `<thead>${row(head.map(th))}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

function variantSection(v: VariantReport, i: number, decimals: number): string {
  const dist = (name: string, d: Distribution) => row([`<th scope="row">${e(name)}</th>`, num(d.mean), num(d.p95), num(d.p99), num(d.expectedShortfall99), num(d.max)]);
  const distributions = `<table class="distributions"><caption>Per-path totals (quote units)</caption>`
    + `<thead>${row(['', 'Mean', 'p95', 'p99', 'ES99', 'Max'].map(th))}</thead><tbody>`
    + [dist('Socialized', v.socialized), dist('Uncovered', v.uncovered), dist('Deficits', v.deficits), dist('Cover-1', v.cover1), dist('Cover-2', v.cover2)].join('')
    + '</tbody></table>';
  const key = (name: string, value: string) => row([`<th scope="row">${e(name)}</th>`, num(value)]);
  const figures = `<table class="figures"><caption>Key figures</caption><tbody>`
    + key('P(fund exhausted)', `${percent(v.fundExhaustedProbability)} (${v.fundExhaustedPaths} of ${v.paths} paths)`)
    + key('Prefunded resources', v.prefundedQuote)
    + key('Cover-2 > prefunded', `${v.cover2BreachPaths} of ${v.paths} paths`)
    + key('Liquidation closes', v.liquidations.closes)
    + key('Liquidated notional', v.liquidations.notionalQuote)
    + key('ADL notional', v.adl.notionalQuote)
    + key('ADL accounts', v.adl.accounts)
    + (v.winners.enabled ? key('Winners per path (mean)', String(v.winners.winners))
      + key('Winners wanted / received (mean)', `${v.winners.wantedQuote} / ${v.winners.receivedQuote}`)
      + key('Loss charges withheld (mean)', v.winners.chargedQuote)
      + key('Requests left the queue / still queued', `${v.winners.left} / ${v.winners.stillQueued}`) : '')
    + '</tbody></table>';
  const tranches = `<table class="tranches"><caption>Loss waterfall (quote units)</caption><thead>${row(['Tranche', 'Mean per path', 'Total'].map(th))}</thead><tbody>`
    + v.tranches.map((t) => row([`<th scope="row">${e(t.tranche)}</th>`, num(t.meanQuote), num(t.totalQuote)])).join('') + '</tbody></table>';
  return `<section class="variant" id="variant-${i}" data-variant="${i}"><h2>${e(v.name)}</h2><p class="note">${e(describeVariant(v.variant))}</p>`
    + distributions + figures + tranches + renderCharts(v, decimals, `v${i}`) + '</section>';
}

/** The report as a self-contained HTML document. */
export function renderReportHtml(report: SimulationReport): string {
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    + `<title>Stress simulation report ${e(report.configHash)}</title><style>${CSS}</style></head><body>`
    + header(report) + sweepTable(report) + riskTakersSection(report)
    + report.variants.map((v, i) => variantSection(v, i, report.quoteDecimals)).join('')
    + `<script type="application/json" id="report-data">${data}</script>`
    + '</body></html>\n';
}
