/**
 * Fixed price paths (the SPAN-style shock grid, a replayed CSV) and the inputs of Monte Carlo paths
 * (per-market parameters, the correlation matrix); Monte Carlo paths themselves are drawn in the
 * core. A path is steps x markets prices in quote atoms, row t holding the marks of step t + 1.
 */
import { inputError } from '../errors.js';
import { atomsOf } from '../atoms.js';
import { floorDiv } from './numbers.js';
import type { ShockGridScenario } from './types.js';

/** One value for every market, or one per market (checked against the market count). */
export function perMarket(value: number | readonly number[], markets: number, field: string): number[] {
  if (typeof value === 'number') return new Array<number>(markets).fill(value);
  if (value.length !== markets) throw inputError('InvalidScenario', field, value.length, `one value per market: ${markets} expected, got ${value.length}`);
  return [...value];
}

/**
 * The correlation matrix (row-major, f64) from one pairwise correlation or a full matrix, in ppm.
 * A full matrix the core could not factor (not positive definite) is refused here as the core
 * would refuse it (field `correlation`, the row), so a simulation refuses it before the book is touched. One correlation c in 0..999,999 ppm always
 * factors: every pivot of (1 - c) I + c 1 1^T is at least 1 - c >= 10^-6, far above the rounding
 * error of the factorization (about markets x 2^-52).
 */
export function correlationMatrix(value: number | readonly (readonly number[])[], markets: number): Float64Array {
  const out = correlationEntries(value, markets);
  if (typeof value !== 'number') {
    const row = choleskyFailsAt(out.slice(), markets);
    if (row >= 0) throw inputError('InvalidScenario', 'correlation', row, `the matrix is not positive definite (its factorization fails at row ${row})`);
  }
  return out;
}

/**
 * The row at which a Cholesky factorization of the n x n matrix `a` (row-major, overwritten) finds
 * a pivot that is not positive, or -1: the same f64 operations in the same order as the core's
 * (assembly/math/random.ts `cholesky`), so both decide alike.
 */
function choleskyFailsAt(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j]!;
    for (let k = 0; k < j; k++) { const x = a[rowJ + k]!; d -= x * x; }
    if (!(d > 0)) return j;
    const ljj = Math.sqrt(d);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j]!;
      for (let k = 0; k < j; k++) s -= a[rowI + k]! * a[rowJ + k]!;
      a[rowI + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rowJ + k] = 0;
  }
  return -1;
}

function correlationEntries(value: number | readonly (readonly number[])[], markets: number): Float64Array {
  const out = new Float64Array(markets * markets);
  if (typeof value !== 'number') {
    // The shape first (the first row that is not a row of `markets` entries), so the entries can be read.
    if (!Array.isArray(value)) throw inputError('InvalidScenario', 'correlationPpm', -1, `a ${markets} x ${markets} matrix`);
    for (let i = 0; i <= markets; i++) {
      const bad = i < markets ? !Array.isArray(value[i]) || value[i]!.length !== markets : value.length !== markets;
      if (bad) throw inputError('InvalidScenario', 'correlationPpm', Math.min(i, value.length), `a ${markets} x ${markets} matrix`);
    }
  }
  for (let i = 0; i < markets; i++) {
    for (let j = 0; j < markets; j++) {
      let c: number;
      if (typeof value === 'number') c = i === j ? 1_000_000 : value;
      else {
        c = value[i]![j]!;
        if (!Number.isInteger(c) || c < -1_000_000 || c > 1_000_000 || c !== value[j]![i] || (i === j && c !== 1_000_000)) {
          throw inputError('InvalidScenario', 'correlationPpm', i, `row ${i}, column ${j}: a symmetric matrix of ppm in -10^6..10^6 with 10^6 on the diagonal`);
        }
      }
      out[i * markets + j] = c / 1e6;
    }
  }
  return out;
}

/**
 * The grid's moves as fractions num/den of the scan range: 0, +1/3, -1/3, +2/3, -2/3, +3/3, -3/3,
 * then +-extreme (extremeMultiplePpm / 10^6 of the range).
 */
export const SHOCK_GRID_MOVES: readonly { label: string; num: number; den: number; extreme: boolean }[] = [
  { label: '0', num: 0, den: 3, extreme: false },
  { label: '+1/3', num: 1, den: 3, extreme: false }, { label: '-1/3', num: -1, den: 3, extreme: false },
  { label: '+2/3', num: 2, den: 3, extreme: false }, { label: '-2/3', num: -2, den: 3, extreme: false },
  { label: '+3/3', num: 3, den: 3, extreme: false }, { label: '-3/3', num: -3, den: 3, extreme: false },
  { label: '+extreme', num: 1, den: 1, extreme: true }, { label: '-extreme', num: -1, den: 1, extreme: true },
];

/**
 * Path `p` of the shock grid: every market's price moves linearly to its shocked value over the steps,
 *   price(t) = floor(mark0 * (1 + move * t / steps)),  move = num/den * scanRange (* extreme multiple),
 * computed exactly: floor(mark0 * (den * 10^6 * E * steps + num * range * X * t) / (den * 10^6 * E * steps))
 * with E = 10^6 and X the extreme multiple in ppm (X = E for ordinary moves); at least 1 atom.
 */
export function shockGridPath(s: ShockGridScenario, marks: BigInt64Array, steps: number, p: number): BigInt64Array {
  const m = marks.length;
  const move = SHOCK_GRID_MOVES[p]!;
  const ranges = perMarket(s.scanRangePpm, m, 'scanRangePpm');
  const e = 1_000_000n;
  const x = move.extreme ? BigInt(s.extremeMultiplePpm ?? 2_000_000) : e;
  const den = BigInt(move.den) * e * e * BigInt(steps);
  const out = new BigInt64Array(steps * m);
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < m; i++) {
      const num = den + BigInt(move.num) * BigInt(ranges[i]!) * x * BigInt(t);
      const price = floorDiv(marks[i]! * num, den);
      out[(t - 1) * m + i] = price < 1n ? 1n : price > PRICE_LIMIT ? PRICE_LIMIT : price;
    }
  }
  return out;
}

/** Marks are 1 .. 2^62 atoms. */
const PRICE_LIMIT = 2n ** 62n;

/**
 * A replay CSV read for its shape, before any book is built: the header's first column is ignored (a
 * step or a time), the others are market ids (decimal integers, each once); every row has the
 * header's number of cells, and every price is a positive decimal number of quote units. What needs
 * the book (ids below its market count, no more decimals than its quote atoms, at most 2^62 atoms) is
 * checked by replayPath. Errors: InputError(InvalidScenario; InvalidPrice for a price of 0 or below) naming
 * `csv` and the row (0 the header, t the t-th row of prices); blank lines are not rows.
 */
export function parseReplayCsv(csv: string): { columns: number[]; rows: string[][] } {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw inputError('InvalidScenario', 'csv', -1, 'a header (step,<market id>,...) and at least one row of prices');
  const header = lines[0]!.split(',').map((c) => c.trim());
  const columns = header.slice(1).map((name, k) => {
    if (!/^\d+$/.test(name) || !Number.isSafeInteger(Number(name))) throw inputError('InvalidScenario', 'csv', 0, `column ${k + 1}: "${name}" is not a market id`);
    return Number(name);
  });
  if (new Set(columns).size !== columns.length) throw inputError('InvalidScenario', 'csv', 0, 'a market appears twice in the header');
  const rows = lines.slice(1).map((line, t) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== header.length) throw inputError('InvalidScenario', 'csv', t + 1, `${header.length} cells expected, got ${cells.length}`);
    columns.forEach((id, k) => {
      const cell = cells[k + 1]!;
      // The decimal form atomsOf reads (a sign, digits, a fraction; underscores ignored), above zero.
      if (!/^[+-]?\d+(\.\d*)?$/.test(cell.replaceAll('_', ''))) throw inputError('InvalidScenario', 'csv', t + 1, `market ${id}: "${cell}" is not a price in quote units`);
      if (cell.startsWith('-') || !/[1-9]/.test(cell)) throw inputError('InvalidPrice', 'csv', t + 1, `market ${id}: ${cell} is not a price in 1 atom..2^62 atoms`);
    });
    return cells;
  });
  return { columns, rows };
}

/**
 * A replayed path from CSV text (parseReplayCsv): each row is one step, prices in quote units.
 * Markets without a column keep their mark. Errors: parseReplayCsv's, and InputError naming the CSV
 * row for a market id the book does not have or a price that is not 1 atom..2^62 atoms.
 */
export function replayPath(csv: string, marks: BigInt64Array, quoteDecimals: number): BigInt64Array {
  const { columns, rows } = parseReplayCsv(csv);
  const m = marks.length;
  columns.forEach((id, k) => {
    if (id >= m) throw inputError('InvalidScenario', 'csv', 0, `column ${k + 1}: "${id}" is not a market id in 0..${m - 1}`);
  });
  const steps = rows.length;
  const out = new BigInt64Array(steps * m);
  for (let t = 0; t < steps; t++) {
    const cells = rows[t]!;
    for (let i = 0; i < m; i++) out[t * m + i] = marks[i]!;
    columns.forEach((id, k) => {
      let price: bigint;
      try {
        price = atomsOf(cells[k + 1]!, quoteDecimals, 'csv', t + 1);
      } catch {
        throw inputError('InvalidScenario', 'csv', t + 1, `market ${id}: "${cells[k + 1]}" is not a price in quote units`);
      }
      if (price < 1n || price > PRICE_LIMIT) throw inputError('InvalidPrice', 'csv', t + 1, `market ${id}: ${cells[k + 1]} is not a price in 1 atom..2^62 atoms`);
      out[t * m + id] = price;
    });
  }
  return out;
}
