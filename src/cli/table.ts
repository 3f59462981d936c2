/**
 * Tables and prose for a terminal of a given width (pure functions: the width is an argument).
 *
 * A table is a header and rows of cells, its first column a name (left-aligned), the others numbers
 * (right-aligned), two spaces between columns. `fitTable` prints it as it is when it fits the width;
 * otherwise transposed (the columns become rows: one row per metric, one column per variant, its
 * name stacked at ", " over as many lines as it has parts); and
 * when even that does not fit, the variants are split over several blocks, each as wide as fits, in
 * order. A single variant wider than the width is printed as it is (nothing narrower is possible
 * without cutting a number). `fold` wraps prose at spaces.
 */

/** The width the CLI prints to: the terminal's columns, or 80 when stdout is not a terminal (a file, a pipe). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : 80;
}

/** Rows of cells as lines: each column as wide as its widest cell; the first left-aligned, the rest right-aligned. */
export function layout(rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}

const fits = (lines: readonly string[], width: number): boolean => lines.every((l) => l.length <= width);

/**
 * The table `head` + `rows` (one row per variant) in `width` columns: as it is, else transposed,
 * else transposed in blocks of variants separated by an empty line (module comment).
 */
export function fitTable(head: readonly string[], rows: readonly (readonly string[])[], width: number): string[] {
  const wide = layout([head, ...rows]);
  if (fits(wide, width) || rows.length === 0) return wide;
  // Transposed, a variant's name (the sweep's axes joined by ", ") is stacked one axis a line.
  const transposed = (from: number, to: number): string[] => {
    const block = rows.slice(from, to);
    const names = block.map((r) => r[0]!.split(', '));
    const depth = Math.max(...names.map((n) => n.length));
    const header = Array.from({ length: depth }, (_, k) => [k === 0 ? head[0]! : '', ...names.map((n) => n[k] ?? '')]);
    return layout([...header, ...head.slice(1).map((label, k) => [label, ...block.map((r) => r[k + 1]!)])]);
  };
  const out: string[] = [];
  for (let from = 0; from < rows.length;) {
    let to = from + 1;
    while (to < rows.length && fits(transposed(from, to + 1), width)) to++;
    if (out.length > 0) out.push('');
    out.push(...transposed(from, to));
    from = to;
  }
  return out;
}

/** Prose folded at spaces into lines of at most `width` characters (a word longer than that keeps its own line). */
export function fold(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else { lines.push(line); line = word; }
  }
  lines.push(line);
  return lines;
}

/** Counts with their nouns, shared with the report (src/report/format.ts). */
export { counted } from '../report/format.js';

/**
 * A command's help text in `width` columns: a line that fits stays as it is; a longer one is folded
 * at spaces, its continuation lines indented to where its text starts: a flag's description
 * (`  --flag VALUE   text`, the text after the flag's run of two or more spaces) under the
 * description, prose under its own first column.
 */
export function wrapUsage(text: string, width = 80): string {
  return text.split('\n').flatMap((line) => {
    if (line.length <= width) return [line];
    const option = /^(\s+\S.*?\s{2,})(\S.*)$/.exec(line);
    const [lead, body] = option ? [option[1]!, option[2]!] : ['', line.trimStart()];
    const hang = option ? lead.length : line.length - line.trimStart().length;
    const folded = fold(body, Math.max(20, width - hang));
    return folded.map((l, k) => (k === 0 ? (option ? lead : ' '.repeat(hang)) + l : ' '.repeat(hang) + l));
  }).join('\n');
}
