/**
 * Charts of a simulation report as SVG strings: no DOM, no dependencies, the same output in Node and
 * in browsers, so a report file stays self-contained.
 *
 * Positions are floating point (pixels), values are not: every plotted value carries the exact
 * decimal string of the report on its mark, so tests and tools read the numbers back from the DOM:
 * - bars: `<rect data-value="…" data-step="t">` or `data-tranche="name"`;
 * - lines: `<path data-series="p50" data-values="[…]">` (a JSON array, one string per step);
 * - bands: `<path data-band="p25-p75" data-lower="[…]" data-upper="[…]">`.
 * Each chart is an `<svg role="img">` with a `<title>` and a `<desc>`, and labels its axes with units.
 */
import type { Fan, VariantReport } from '../simulation/types.js';
import { escapeXml, trancheLabel } from './format.js';

export { escapeXml };

export interface ChartOptions {
  /** Prefix of the element ids inside the chart (unique in the page). */
  id: string;
  title: string;
  /** Quote decimals: the finest tick label. */
  decimals: number;
  /** The x-axis title of charts over steps, with the step's length ("step (60 s each)"; default "step"). */
  stepLabel?: string;
  /** A line of explanation under the x-axis (a definition the chart's reader needs). */
  note?: string;
  /** The chart's height in pixels without the note's line (default 300). */
  heightPx?: number;
}

/** A horizontal reference line of a chart over steps (the fund's starting level, its floor). */
export interface Level {
  /** `data-level` of the line. */
  name: string;
  /** Exact decimal string (quote units), in `data-value`. */
  value: string;
  /** Legend text. */
  label: string;
  color: string;
  dashed?: boolean;
}

// ---- Scale ----------------------------------------------------------------------------------------

export interface NiceScale {
  min: number;
  max: number;
  /** Tick spacing: 1, 2 or 5 times a power of ten. */
  step: number;
  ticks: number[];
}

/**
 * A "nice" linear domain covering [lo, hi] with about `count` ticks: the step is the smallest of
 * 1, 2, 5 x 10^k at least (hi - lo) / count, and the ends are rounded out to multiples of it.
 * An empty range (lo = hi) is widened by one unit.
 */
export function niceScale(lo: number, hi: number, count = 5): NiceScale {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-12))!;
  const first = Math.floor(lo / step), last = Math.ceil(hi / step);
  // Ticks are rounded to the step's decimals so 0.1 + 0.05 prints as 0.15.
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(digits)));
  return { min: ticks[0]!, max: ticks[ticks.length - 1]!, step, ticks };
}

/** Tick labels of a scale: grouped digits, as many decimals as the step needs (at most `decimals`); compact (1.5M) from a million. */
export function tickLabels(scale: NiceScale, decimals: number): string[] {
  const compact = Math.max(Math.abs(scale.min), Math.abs(scale.max)) >= 1e6;
  const digits = Math.min(decimals, Math.max(0, -Math.floor(Math.log10(scale.step))));
  const format = new Intl.NumberFormat('en-US', compact
    ? { notation: 'compact', maximumFractionDigits: 2 }
    : { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return scale.ticks.map((t) => format.format(t));
}

// ---- Frame ----------------------------------------------------------------------------------------

export const WIDTH = 640, HEIGHT = 300;
export const COLORS = { band: '#9ecae1', inner: '#4292c6', line: '#08306b', bar: '#6baed6', p95: '#e6550d', uncovered: '#cb181d', axis: '#555', grid: '#e5e5e5' };
export const px = (v: number) => (Math.round(v * 100) / 100).toString();
export const json = (values: readonly string[]) => escapeXml(JSON.stringify(values));

/** The plot area and the y mapping of a chart, with its axes drawn. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  y(v: number): number;
  parts: string[];
}

/**
 * Opens a chart: title, description, y grid with tick labels, axis titles. `values` set the y domain
 * (0 always included). With `options.note`, the chart is taller by a line and the note is its last line.
 */
export function frame(options: ChartOptions, desc: string, values: readonly number[], xLabel: string, bottom = 44, yLabel = 'quote units'): Frame {
  const o = { ...options, id: escapeXml(options.id) };
  const extra = o.note ? 18 : 0;
  const base = o.heightPx ?? HEIGHT, total = base + extra;
  const left = 84, top = 46, width = WIDTH - left - 16, height = total - top - bottom - extra;
  const scale = niceScale(values.reduce((a, v) => Math.min(a, v), 0), values.reduce((a, v) => Math.max(a, v), 0));
  const y = (v: number) => top + height * (1 - (v - scale.min) / (scale.max - scale.min));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${o.id}-title ${o.id}-desc" id="${o.id}" class="chart"`
      + ` width="${WIDTH}" height="${total}" viewBox="0 0 ${WIDTH} ${total}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title id="${o.id}-title">${escapeXml(o.title)}</title>`,
    `<desc id="${o.id}-desc">${escapeXml(o.note ? `${desc} ${o.note}` : desc)}</desc>`,
    `<text x="${left}" y="16" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`,
  ];
  const labels = tickLabels(scale, o.decimals);
  scale.ticks.forEach((t, i) => {
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${px(y(t))}" y2="${px(y(t))}" stroke="${t === 0 ? COLORS.axis : COLORS.grid}"/>`,
      `<text x="${left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${escapeXml(labels[i]!)}</text>`);
  });
  parts.push(`<text transform="translate(14 ${px(top + height / 2)}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(yLabel)}</text>`,
    `<text x="${px(left + width / 2)}" y="${base - 6}" text-anchor="middle" class="axis-label">${escapeXml(xLabel)}</text>`);
  if (o.note) parts.push(`<text x="16" y="${total - 6}" class="note">${escapeXml(o.note)}</text>`);
  return { left, top, width, height, y, parts };
}

/** x of the centre of step t of `steps`, and the step axis ticks under the plot. */
function stepAxis(f: Frame, steps: number): (t: number) => number {
  const x = (t: number) => f.left + (f.width * (t + 0.5)) / Math.max(1, steps);
  for (const t of niceScale(0, Math.max(1, steps - 1), 8).ticks.filter((t) => Number.isInteger(t) && t < steps)) {
    f.parts.push(`<text x="${px(x(t))}" y="${px(f.top + f.height + 14)}" text-anchor="middle">${t}</text>`);
  }
  return x;
}

/** Legend items right-aligned under the title, each `slot` pixels wide. */
export function legend(f: Frame, items: readonly [string, string][], slot = 90): void {
  items.forEach(([label, color], i) => {
    const x = f.left + f.width - slot * (items.length - i);
    f.parts.push(`<rect x="${x}" y="24" width="12" height="12" fill="${color}"/><text x="${x + 16}" y="34">${escapeXml(label)}</text>`);
  });
}

export const close = (f: Frame) => [...f.parts, '</svg>'].join('');
const numbers = (values: readonly string[]) => values.map(Number);

function linePath(values: readonly string[], x: (t: number) => number, y: (v: number) => number): string {
  return values.map((v, t) => `${t === 0 ? 'M' : 'L'}${px(x(t))} ${px(y(Number(v)))}`).join('');
}

// ---- Charts ---------------------------------------------------------------------------------------

/**
 * Fan chart of a per-step series across paths: p5–p95 and p25–p75 bands and the median line, and
 * reference levels (`<line data-level="start|floor" data-value="…">`) across the plot.
 */
export function fanChart(fan: Fan, o: ChartOptions, levels: readonly Level[] = []): string {
  const steps = fan.p50.length;
  const f = frame(o, `Percentiles across paths at each of ${steps} steps, quote units: p5–p95 and p25–p75 bands and the median.`
    + levels.map((l) => ` ${l.label}: ${l.value}.`).join(''),
  numbers([...fan.p5, ...fan.p95, ...fan.p50, ...levels.map((l) => l.value)]), o.stepLabel ?? 'step');
  const x = stepAxis(f, steps);
  const band = (lower: string[], upper: string[], name: string, color: string) => {
    if (steps === 0) return;
    const back = lower.map((v, t) => `L${px(x(t))} ${px(f.y(Number(v)))}`).reverse().join('');
    f.parts.push(`<path data-band="${name}" data-lower="${json(lower)}" data-upper="${json(upper)}" d="${linePath(upper, x, f.y)}${back}Z" fill="${color}" fill-opacity="0.6"/>`);
  };
  band(fan.p5, fan.p95, 'p5-p95', COLORS.band);
  band(fan.p25, fan.p75, 'p25-p75', COLORS.inner);
  f.parts.push(`<path data-series="p50" data-values="${json(fan.p50)}" d="${linePath(fan.p50, x, f.y)}" fill="none" stroke="${COLORS.line}" stroke-width="2"/>`);
  for (const l of levels) {
    const y = px(f.y(Number(l.value)));
    f.parts.push(`<line data-level="${escapeXml(l.name)}" data-value="${escapeXml(l.value)}" x1="${f.left}" x2="${f.left + f.width}" y1="${y}" y2="${y}"`
      + ` stroke="${l.color}" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeXml(`${l.label}: ${l.value} quote units`)}</title></line>`);
  }
  // The levels' legend: left of the bands' legend, on its row (short labels: the note defines them).
  levels.forEach((l, i) => {
    const x = f.left + 135 * i;
    f.parts.push(`<line x1="${x}" x2="${x + 18}" y1="30" y2="30" stroke="${l.color}" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${x + 22}" y="34" class="level-legend">${escapeXml(l.label)}</text>`);
  });
  legend(f, [['p5–p95', COLORS.band], ['p25–p75', COLORS.inner], ['median', COLORS.line]]);
  return close(f);
}

/** Bar chart of the loss waterfall: mean cover per tranche in waterfall order, uncovered last in red. */
export function trancheChart(tranches: VariantReport['tranches'], o: ChartOptions): string {
  const f = frame(o, `Mean over paths of the losses each tranche covered, in waterfall order, then the uncovered loss, quote units.`,
    tranches.map((t) => Number(t.meanQuote)), 'tranche (waterfall order)', 100);
  const slot = f.width / Math.max(1, tranches.length);
  tranches.forEach((t, i) => {
    const v = Number(t.meanQuote);
    const x = f.left + slot * i + slot * 0.15;
    const top = Math.min(f.y(v), f.y(0));
    const color = t.tranche === 'uncovered' ? COLORS.uncovered : COLORS.bar;
    f.parts.push(`<rect data-tranche="${escapeXml(t.tranche)}" data-value="${escapeXml(t.meanQuote)}" x="${px(x)}" y="${px(top)}" width="${px(slot * 0.7)}"`
      + ` height="${px(Math.abs(f.y(v) - f.y(0)))}" fill="${color}"><title>${escapeXml(`${trancheLabel(t.tranche)}: mean ${t.meanQuote}, total ${t.totalQuote} quote units`)}</title></rect>`,
    `<text transform="translate(${px(x + slot * 0.35)} ${px(f.top + f.height + 12)}) rotate(-30)" text-anchor="end">${escapeXml(trancheLabel(t.tranche))}</text>`);
  });
  return close(f);
}

/** Liquidation volume over time: bars of the mean notional closed at each step, and its p95 across paths as a line. */
export function liquidationChart(mean: readonly string[], p95: readonly string[], o: ChartOptions): string {
  const steps = mean.length;
  const f = frame(o, `Notional closed by liquidations at each of ${steps} steps, quote units: mean over paths (bars) and p95 (line).`,
    numbers([...mean, ...p95]), o.stepLabel ?? 'step');
  const x = stepAxis(f, steps);
  const width = Math.max(0.5, (f.width / Math.max(1, steps)) * 0.8);
  mean.forEach((m, t) => {
    const v = Number(m);
    f.parts.push(`<rect data-step="${t}" data-value="${escapeXml(m)}" x="${px(x(t) - width / 2)}" y="${px(Math.min(f.y(v), f.y(0)))}"`
      + ` width="${px(width)}" height="${px(Math.abs(f.y(v) - f.y(0)))}" fill="${COLORS.bar}"/>`);
  });
  f.parts.push(`<path data-series="p95" data-values="${json(p95)}" d="${linePath(p95, x, f.y)}" fill="none" stroke="${COLORS.p95}" stroke-width="1.5"/>`);
  legend(f, [['mean', COLORS.bar], ['p95', COLORS.p95]]);
  return close(f);
}

/** One variant on the efficiency frontier. */
export interface FrontierPoint {
  name: string;
  /** Risk-takers' mean return (a year or over the run: the chart's `returnWords`), ppm (y). */
  returnPpm: number;
  /** Their tail loss: the 95th percentile of the maximum drawdown, ppm of the peak (x). */
  tailLossPpm: number;
  /** Share of paths on which winners were hit (ADL, haircuts, socialization): the mark's colour and size without a withdrawal run. */
  hitProbability: number;
  /**
   * With a withdrawal run: the probability that a winner could not withdraw in full (shortProbabilityPpm
   * / 10^6), the mark's colour and size instead (when every point has it).
   */
  shortProbability?: number;
}

/**
 * The efficiency frontier: every variant placed by the risk-takers' expected return (y, % a year or
 * over the run, as `returnWords` says)
 * against their tail loss (x, % drawdown), the mark's size and redness growing with the winners'
 * haircut probability: with a withdrawal run, the probability that a winner could not withdraw in
 * full; without one, the share of paths on which winners were hit. The legend says which. Each mark
 * carries its numbers: `<circle data-variant="i" data-return-ppm data-tail-loss-ppm
 * data-hit-probability data-mark="short|hit" [data-short-probability]>`.
 */
export function frontierChart(points: readonly FrontierPoint[], o: ChartOptions, returnWords = 'a year, simple'): string {
  const id = escapeXml(o.id);
  const left = 84, top = 46, width = WIDTH - left - 16, height = HEIGHT - top - 44;
  const xs = niceScale(0, points.reduce((a, p) => Math.max(a, p.tailLossPpm / 1e4), 0));
  const ys = niceScale(points.reduce((a, p) => Math.min(a, p.returnPpm / 1e4), 0), points.reduce((a, p) => Math.max(a, p.returnPpm / 1e4), 0));
  const x = (v: number) => left + (width * (v - xs.min)) / (xs.max - xs.min);
  const y = (v: number) => top + height * (1 - (v - ys.min) / (ys.max - ys.min));
  const format = (scale: NiceScale) => {
    const digits = Math.min(6, Math.max(0, -Math.floor(Math.log10(scale.step))));
    // Compact from 10,000 % (1.5M %): the labels must fit left of the axis.
    const f = Math.max(Math.abs(scale.min), Math.abs(scale.max)) >= 1e4
      ? new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 })
      : new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return (v: number) => `${f.format(v)} %`;
  };
  const xLabel = format(xs), yLabel = format(ys);
  const label = (v: number) => `${new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 }).format(v)} %`;
  const short = points.length > 0 && points.every((p) => p.shortProbability !== undefined);
  const markOf = (p: FrontierPoint) => (short ? p.shortProbability! : p.hitProbability);
  const markText = short ? 'marks: P(a winner could not withdraw in full)' : 'marks: share of paths on which winners were hit';
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-title ${id}-desc" id="${id}" class="chart"`
      + ` width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title id="${id}-title">${escapeXml(o.title)}</title>`,
    `<desc id="${id}-desc">Each variant: the risk-takers' mean return, ${escapeXml(returnWords)} (percent, vertical) against the 95th percentile of their maximum drawdown (percent, horizontal); larger and redder marks: ${short ? 'winners more likely to be short of what they wanted to withdraw' : 'winners hit more often'}.</desc>`,
    `<text x="${left}" y="16" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`,
    `<text x="${left + width}" y="34" text-anchor="end" class="legend" data-mark="${short ? 'short' : 'hit'}">${escapeXml(`${markText} (larger, redder: more)`)}</text>`,
  ];
  ys.ticks.forEach((t) => parts.push(`<line x1="${left}" x2="${left + width}" y1="${px(y(t))}" y2="${px(y(t))}" stroke="${t === 0 ? COLORS.axis : COLORS.grid}"/>`,
    `<text x="${left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${escapeXml(yLabel(t))}</text>`));
  xs.ticks.forEach((t) => parts.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${top}" y2="${top + height}" stroke="${COLORS.grid}"/>`,
    `<text x="${px(x(t))}" y="${top + height + 14}" text-anchor="middle">${escapeXml(xLabel(t))}</text>`));
  parts.push(`<text transform="translate(14 ${px(top + height / 2)}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeXml(`return, %, ${returnWords}`)}</text>`,
    `<text x="${px(left + width / 2)}" y="${HEIGHT - 6}" text-anchor="middle" class="axis-label">tail loss: p95 of the maximum drawdown, %</text>`);
  // Marks within NEAR_PX of an earlier one share its label ("1, 2"): numbers drawn over each other cannot be read.
  const NEAR_PX = 8;
  const at = points.map((p) => ({ cx: x(p.tailLossPpm / 1e4), cy: y(p.returnPpm / 1e4) }));
  const leader = at.map((a, i) => at.findIndex((b, j) => j <= i && Math.hypot(a.cx - b.cx, a.cy - b.cy) <= NEAR_PX));
  const numbers = points.map((_, i) => (leader[i] === i ? points.map((__, j) => j).filter((j) => leader[j] === i).join(', ') : ''));
  points.forEach((p, i) => {
    const m = markOf(p);
    const r = 4 + 8 * m;
    const red = Math.round(40 + 200 * m), blue = Math.round(180 - 150 * m);
    const marked = short ? `winners short of what they wanted with probability ${label(m * 100)}` : `winners hit on ${label(p.hitProbability * 100)} of paths`;
    parts.push(`<circle data-variant="${i}" data-return-ppm="${p.returnPpm}" data-tail-loss-ppm="${p.tailLossPpm}" data-hit-probability="${p.hitProbability}"`
      + ` data-mark="${short ? 'short' : 'hit'}"${short ? ` data-short-probability="${m}"` : ''}`
      + ` cx="${px(x(p.tailLossPpm / 1e4))}" cy="${px(y(p.returnPpm / 1e4))}" r="${px(r)}" fill="rgb(${red},80,${blue})" fill-opacity="0.75">`
      + `<title>${escapeXml(`${p.name}: return ${label(p.returnPpm / 1e4)} ${returnWords}, tail loss ${label(p.tailLossPpm / 1e4)}, ${marked}`)}</title></circle>`);
    if (numbers[i]) parts.push(`<text data-label-of="${numbers[i]}" x="${px(at[i]!.cx + r + 3)}" y="${px(at[i]!.cy + 4)}">${escapeXml(numbers[i]!)}</text>`);
  });
  return [...parts, '</svg>'].join('');
}
