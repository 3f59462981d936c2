/**
 * Charts that put every variant of a sweep on one scale: who bore the loss (stacked bars of the
 * tranches' cover, on average and on the worst paths, with the tail percentiles of the total marked)
 * and the distribution of a per-path loss (exceedance curves, P(loss > x) against x).
 *
 * As in ./charts.ts, positions are floating point and values are not: every mark carries the exact
 * decimal strings of the report in `data-*` attributes.
 */
import { close, COLORS, escapeXml, frame, json, niceScale, px, tickLabels, WIDTH, type ChartOptions } from './charts.js';
import { TRANCHE_BEARERS, trancheLabel } from './format.js';

/** Colours of tranche kinds (by their place in the label table), the uncovered loss in red. */
const TRANCHE_COLORS = ['#2171b5', '#6baed6', '#9e9ac8', '#756bb1', '#bcbddc', '#dadaeb', '#8c6d31', '#e377c2', '#f7b6d2', '#74c476', '#a1d99b'];
const trancheColor = (tranche: string): string => {
  if (tranche === 'uncovered') return COLORS.uncovered;
  const i = Object.keys(TRANCHE_BEARERS).indexOf(tranche);
  return i < 0 ? '#969696' : TRANCHE_COLORS[i % TRANCHE_COLORS.length]!;
};
/** The mark of the 99th percentile (dark: red is the uncovered loss). */
const P99_COLOR = '#252525';
/** Colours of variants on the exceedance curves (distinct hues, then repeated dashed). */
const VARIANT_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** One segment of a stacked bar: a tranche and its amount (exact decimal string, quote units). */
export interface Segment {
  tranche: string;
  value: string;
}

/** One variant's bars: the mean per path of each tranche, and its mean over the worst paths. */
export interface StackedVariant {
  name: string;
  mean: Segment[];
  tail: Segment[];
  /** The per-path total loss's 95th and 99th percentiles (nearest rank). */
  p95: string;
  p99: string;
}

/** About how many pixels a character of the charts' 11-pixel labels takes. */
const CHAR_PX = 6.2;

/**
 * Legend rows under a chart: items `slot` pixels wide, as many to a row as fit, a label longer than
 * its slot shortened (the full text in its title). With `wholeRows`, when some label is longer than
 * its slot every item gets a row of its own instead (names that must stay readable).
 */
function legendRows(items: readonly [string, string][], slot: number, wholeRows = false): { rows: number; draw(parts: string[], left: number, y: number): void } {
  const rowWidth = WIDTH - 100;
  const long = wholeRows && items.some(([label]) => 16 + label.length * CHAR_PX > slot);
  const width = long ? rowWidth : slot;
  const perRow = Math.max(1, Math.floor(rowWidth / width));
  return {
    rows: Math.ceil(items.length / perRow),
    draw(parts, left, y) {
      items.forEach(([label, color], i) => {
        const x = left + width * (i % perRow), top = y + 16 * Math.floor(i / perRow);
        parts.push(`<rect x="${x}" y="${top - 10}" width="12" height="12" fill="${color}"/>`
          + `<text x="${x + 16}" y="${top}">${escapeXml(clip(label, Math.floor((width - 16) / CHAR_PX)))}<title>${escapeXml(label)}</title></text>`);
      });
    },
  };
}

/**
 * Who bore the loss, every variant on one y-scale: for each variant two stacked bars, the mean per
 * path of each tranche's cover (`data-bar="mean"`) and its mean over the worst paths by total loss
 * (`data-bar="tail"`), in the variant's waterfall order with the uncovered loss on top; a tick across
 * both bars at the per-path total loss's p95 and p99; the variant's name under its bars
 * (`<text data-variant-label>`, wrapped). Marks: `<rect data-variant data-bar data-tranche data-value>`
 * and `<line data-variant data-mark="p95|p99" data-value>`.
 */
export function stackedLossChart(variants: readonly StackedVariant[], tailText: string, o: ChartOptions): string {
  const sumOf = (segments: readonly Segment[]) => segments.reduce((a, s) => a + Math.max(0, Number(s.value)), 0);
  const tops = variants.flatMap((v) => [sumOf(v.mean), sumOf(v.tail), Number(v.p95), Number(v.p99)]);
  const kinds = [...new Set(variants.flatMap((v) => [...v.mean, ...v.tail].map((s) => s.tranche)))];
  const items: [string, string][] = [...kinds.map((k): [string, string] => [trancheLabel(k), trancheColor(k)]), ['p95 of the total', COLORS.p95], ['p99 of the total', P99_COLOR]];
  // Variants are named under their bars, wrapped at spaces to their slot (at most NAME_LINES lines, the
  // last shortened with an ellipsis; the full name in the label's title). The plot is PLOT_WIDTH wide.
  const slotWidth = PLOT_WIDTH / Math.max(1, variants.length);
  const labels = variants.map((v) => wrap(v.name, Math.max(4, Math.floor((slotWidth - 6) / BOLD_CHAR_PX)), NAME_LINES));
  const extra = LINE_PX * (Math.max(1, ...labels.map((l) => l.length)) - 1);
  const rows = legendRows(items, 178);
  const bottom = 64 + 16 * rows.rows + extra;
  const f = frame({ ...o, heightPx: 300 + 16 * rows.rows + 20 + extra },
    `Per variant, the mean per path of the loss each tranche covered (left bar) and its mean over ${tailText} (right bar), stacked in waterfall order with the uncovered loss on top, quote units; ticks: the 95th and 99th percentiles of the per-path total loss.`,
    tops, 'variant: mean per path | mean of the worst paths', bottom);
  const slot = f.width / Math.max(1, variants.length);
  const barWidth = Math.min(60, slot * 0.32);
  variants.forEach((v, i) => {
    const centre = f.left + slot * (i + 0.5);
    ([['mean', v.mean, centre - barWidth * 0.55], ['tail', v.tail, centre + barWidth * 0.55]] as const).forEach(([bar, segments, mid]) => {
      let base = 0;
      for (const s of segments) {
        const value = Math.max(0, Number(s.value));
        f.parts.push(`<rect data-variant="${i}" data-bar="${bar}" data-tranche="${escapeXml(s.tranche)}" data-value="${escapeXml(s.value)}"`
          + ` x="${px(mid - barWidth / 2)}" y="${px(f.y(base + value))}" width="${px(barWidth)}" height="${px(f.y(base) - f.y(base + value))}" fill="${trancheColor(s.tranche)}">`
          + `<title>${escapeXml(`${v.name}, ${bar === 'mean' ? 'mean per path' : tailText}: ${trancheLabel(s.tranche)} ${s.value} quote units`)}</title></rect>`);
        base += value;
      }
      f.parts.push(`<text x="${px(mid)}" y="${px(f.top + f.height + 12)}" text-anchor="middle" font-size="10">${bar === 'mean' ? 'mean' : 'worst'}</text>`);
    });
    for (const [mark, value, color] of [['p95', v.p95, COLORS.p95], ['p99', v.p99, P99_COLOR]] as const) {
      const y = px(f.y(Number(value)));
      f.parts.push(`<line data-variant="${i}" data-mark="${mark}" data-value="${escapeXml(value)}" x1="${px(centre - barWidth * 1.3)}" x2="${px(centre + barWidth * 1.3)}" y1="${y}" y2="${y}"`
        + ` stroke="${color}" stroke-width="2" stroke-dasharray="${mark === 'p95' ? '5 3' : '2 2'}"><title>${escapeXml(`${v.name}: ${mark} of the per-path total loss ${value} quote units`)}</title></line>`);
    }
    const lines = labels[i]!.map((line, j) => `<tspan x="${px(centre)}"${j === 0 ? '' : ` dy="${LINE_PX}"`}>${escapeXml(line)}</tspan>`).join('');
    f.parts.push(`<text x="${px(centre)}" y="${px(f.top + f.height + 28)}" text-anchor="middle" font-weight="600" data-variant-label="${i}">${lines}<title>${escapeXml(v.name)}</title></text>`);
  });
  rows.draw(f.parts, f.left, f.top + f.height + 50 + extra);
  return close(f);
}

/** The plot's width in the frame (./charts.ts `frame`: 84 pixels left, 16 right). */
const PLOT_WIDTH = WIDTH - 84 - 16;
/** About how many pixels a character of a bold 11-pixel label takes; the line height of wrapped labels; their most lines. */
const BOLD_CHAR_PX = 6.8, LINE_PX = 13, NAME_LINES = 3;

/**
 * Text wrapped at spaces into lines of at most `width` characters, at most `maxLines` of them: a word
 * longer than a line is cut, and what does not fit in the last line ends it with an ellipsis.
 */
export function wrap(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else { lines.push(line); line = word; }
    while (line.length > width) { lines.push(line.slice(0, width)); line = line.slice(width); }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = clip(`${kept[maxLines - 1]} ${lines[maxLines]}`, width).replace(/\s+…$/, '…');
  return kept;
}

/** Text shortened to `n` characters with an ellipsis (a chart's label; the full name is in its title). */
const clip = (text: string, n: number) => (text.length <= n ? text : `${text.slice(0, Math.max(1, n - 1))}…`);

/** One variant's per-path values for an exceedance curve: exact decimal strings, any order. */
export interface ExceedanceSeries {
  name: string;
  values: readonly string[];
}

/**
 * The exceedance curve of a per-path amount, every variant on one chart: P(value > x) against x, a
 * step function falling from 1 at the least value to 0 at the largest. Each curve is
 * `<path data-variant="i" data-values="[distinct values, ascending]" data-exceeding="[paths above each]" data-paths="n">`,
 * so the probability at value j is exceeding[j] / n, exactly.
 */
export function exceedanceChart(series: readonly ExceedanceSeries[], o: ChartOptions): string {
  const curves = series.map((s) => {
    const sorted = [...s.values].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
    const distinct: string[] = [], exceeding: number[] = [];
    sorted.forEach((v, i) => {
      if (distinct.length > 0 && Number(distinct.at(-1)) === Number(v)) { exceeding[exceeding.length - 1] = sorted.length - i - 1; return; }
      distinct.push(v);
      exceeding.push(sorted.length - i - 1);
    });
    return { name: s.name, distinct, exceeding, paths: sorted.length };
  });
  const items = curves.map((c, i): [string, string] => [c.name, VARIANT_COLORS[i % VARIANT_COLORS.length]!]);
  const rows = legendRows(items, 200, true);
  const id = escapeXml(o.id);
  const height = 300 + 16 * rows.rows;
  const left = 84, top = 46, width = WIDTH - left - 16, plotHeight = 300 - top - 60;
  const all = curves.flatMap((c) => c.distinct.map(Number));
  const xs = niceScale(Math.min(0, ...all), Math.max(0, ...all));
  const x = (v: number) => left + (width * (v - xs.min)) / (xs.max - xs.min);
  const y = (p: number) => top + plotHeight * (1 - p);
  const xLabels = tickLabels(xs, o.decimals);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-title ${id}-desc" id="${id}" class="chart"`
      + ` width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title id="${id}-title">${escapeXml(o.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(`For each variant, the share of paths whose value exceeds x (vertical, percent) against x (horizontal, quote units).${o.note ? ` ${o.note}` : ''}`)}</desc>`,
    `<text x="${left}" y="16" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`,
  ];
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${left + width}" y1="${px(y(p))}" y2="${px(y(p))}" stroke="${p === 0 ? COLORS.axis : COLORS.grid}"/>`,
      `<text x="${left - 6}" y="${px(y(p) + 4)}" text-anchor="end">${p * 100} %</text>`);
  }
  xs.ticks.forEach((t, i) => parts.push(`<line x1="${px(x(t))}" x2="${px(x(t))}" y1="${top}" y2="${top + plotHeight}" stroke="${COLORS.grid}"/>`,
    `<text x="${px(x(t))}" y="${top + plotHeight + 14}" text-anchor="${i === xs.ticks.length - 1 ? 'end' : 'middle'}">${escapeXml(xLabels[i]!)}</text>`));
  parts.push(`<text transform="translate(14 ${px(top + plotHeight / 2)}) rotate(-90)" text-anchor="middle" class="axis-label">P(value &gt; x), % of paths</text>`,
    `<text x="${px(left + width / 2)}" y="${top + plotHeight + 32}" text-anchor="middle" class="axis-label">x, quote units</text>`);
  curves.forEach((c, i) => {
    const color = items[i]![1];
    let d = `M${px(x(xs.min))} ${px(y(1))}`;
    c.distinct.forEach((v, j) => { d += `H${px(x(Number(v)))}V${px(y(c.paths === 0 ? 0 : c.exceeding[j]! / c.paths))}`; });
    d += `H${px(x(xs.max))}`;
    parts.push(`<path data-variant="${i}" data-values="${json(c.distinct)}" data-exceeding="${escapeXml(JSON.stringify(c.exceeding))}" data-paths="${c.paths}"`
      + ` d="${d}" fill="none" stroke="${color}" stroke-width="2"${i >= VARIANT_COLORS.length ? ' stroke-dasharray="6 3"' : ''}><title>${escapeXml(c.name)}</title></path>`);
  });
  rows.draw(parts, left, top + plotHeight + 52);
  if (o.note) parts.push(`<text x="${left}" y="${height - 6}" class="note">${escapeXml(o.note)}</text>`);
  return [...parts, '</svg>'].join('');
}
