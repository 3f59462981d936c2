/**
 * How the report writes numbers and names: amounts with thousands separators (formatted from their
 * exact decimal strings, never through a float), percentages, and human labels for tranche kinds.
 *
 * A table shows an amount rounded for reading (two decimals); the cell keeps the exact decimal string
 * of report.json in `data-value` and `title`, so nothing is lost and tools read the exact number back.
 */
import type { TrancheKind } from '../waterfall/config.js';
import { TRANCHE_LABELS } from '../waterfall/labels.js';

/** Escapes text for HTML and XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = (v: unknown) => escapeXml(String(v));

/** Decimal strings of one report (all with the same decimals) as integers of atoms. */
export const atoms = (s: string): bigint => BigInt(s.replace('.', ''));

const grouped = new Map<number, Intl.NumberFormat>();
function formatter(digits: number): Intl.NumberFormat {
  let f = grouped.get(digits);
  if (!f) grouped.set(digits, f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  return f;
}

/**
 * An exact decimal string with thousands separators and `digits` decimals, rounded half away from
 * zero on the decimal digits themselves (BigInt, never a float); by default two below 1,000 and none
 * from 1,000 (cents do not matter on thousands): "401506819.157927" -> "401,506,819", "279.335" ->
 * "279.34". Zero is "0"; a nonzero amount that would show as zero reads "<0.01" ("-<0.01" below
 * zero), so a small loss never reads as none. The one amount format of the report and the CLI.
 */
export function groupedAmount(exact: string, digits?: number): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(exact);
  if (m === null) throw new RangeError(`groupedAmount: ${JSON.stringify(exact)} is not a decimal string`);
  const [, sign, int, frac = ''] = m as unknown as [string, string, string, string | undefined];
  const d = digits ?? (BigInt(int) >= 1000n ? 0 : 2);
  const kept = BigInt(int + frac.padEnd(d, '0').slice(0, d)) + ((frac[d] ?? '0') >= '5' ? 1n : 0n);
  if (kept === 0n) return /[1-9]/.test(int + frac) ? `${sign}<${d > 0 ? `0.${'1'.padStart(d, '0')}` : '1'}` : '0';
  const text = kept.toString().padStart(d + 1, '0');
  const units = text.slice(0, text.length - d).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${units}${d > 0 ? `.${text.slice(text.length - d)}` : ''}`;
}

/**
 * A count and its noun, singular for one: "1 path", "2 paths", "1,000,000 accounts" (thousands
 * separated). `plural` for a noun that does not take an s ("1 batch", "2 batches").
 */
export function counted(n: number | bigint, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 || n === 1n ? noun : plural}`;
}

/** A count with thousands separators ("5,783,682"). */
export const groupedCount = (n: number | string): string => formatter(0).format(typeof n === 'string' ? (n as unknown as number) : n);

/** A share (0..1) as a percentage with two decimals. */
export const percent = (p: number): string => `${(p * 100).toFixed(2)} %`;

/** A ppm figure as a percentage with grouped digits: two decimals, four where it is small (a drawdown of 0.0080 %), none from 1,000 %. */
export const ppmPercent = (ppm: number): string => {
  const digits = ppm !== 0 && Math.abs(ppm) < 100 ? 4 : Math.abs(ppm) >= 10_000_000 ? 0 : 2;
  return `${new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(ppm / 1e4)} %`;
};

/** A ppm figure as a short percentage ("0.3 %", "-0.05 %", "80 %"): up to four decimals, no trailing zeros. */
export const ppmShort = (ppm: number): string => `${Number((ppm / 1e4).toFixed(4))} %`;

/** Seconds as a short duration: "60 s", "30 min", "8 h", "2 d". */
export function duration(sec: number): string {
  for (const [unit, n] of [['d', 86_400], ['h', 3_600], ['min', 60]] as const) if (sec >= n && sec % n === 0) return `${sec / n} ${unit}`;
  return `${sec} s`;
}

/**
 * A table cell with an amount: rounded and grouped for reading, the exact decimal string in data-value
 * and title; `least` marks the least of its column.
 */
export function amountCell(exact: string, col = '', least = false): string {
  return `<td class="num${least ? ' least' : ''}"${col ? ` data-col="${e(col)}"` : ''} data-value="${e(exact)}" title="${e(exact)}">${e(groupedAmount(exact))}</td>`;
}

/** A table cell with text that is already formatted (a percentage, a count); `least` as for amountCell. */
export function textCell(text: string, col = '', least = false): string {
  return `<td class="num${least ? ' least' : ''}"${col ? ` data-col="${e(col)}"` : ''}>${e(text)}</td>`;
}

// ---- Tranches -------------------------------------------------------------------------------------

/** Who bears a tranche's cover: the groups the summary and the charts add tranches into. */
export type Bearer = 'fund' | 'vault' | 'members' | 'winners' | 'socialized' | 'uncovered';

/**
 * Who bears each tranche kind the report names (`VariantReport.tranches`: the waterfall's kinds, and
 * `uncovered`). Prefunded bearers (fund, vault, members and operator) paid into the venue before
 * the loss; the others are traders who did not. In the order the report draws them.
 */
export const TRANCHE_BEARERS: Readonly<Record<TrancheKind | 'uncovered', Bearer>> = {
  insuranceFund: 'fund', backstopVault: 'vault', haircutVaultShares: 'vault',
  defaulterFund: 'members', operatorCapital: 'members', membersFund: 'members', assessments: 'members',
  adl: 'winners', haircutGains: 'winners', socializeFunding: 'socialized', haircutDeposits: 'socialized',
  uncovered: 'uncovered',
};

const isKnown = (tranche: string): tranche is TrancheKind | 'uncovered' => Object.hasOwn(TRANCHE_BEARERS, tranche);

/** A tranche's label ("insuranceFund" -> "Insurance fund"); an unknown kind is shown as it is. */
export function trancheLabel(tranche: string): string {
  if (!isKnown(tranche)) return tranche;
  const label = tranche === 'uncovered' ? 'uncovered' : TRANCHE_LABELS[tranche];
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** Who bears a tranche (an unknown kind counts as socialized: a loss to traders who did not prefund it). */
export const bearerOf = (tranche: string): Bearer => (isKnown(tranche) ? TRANCHE_BEARERS[tranche] : 'socialized');

/** Whether a tranche was paid for in advance (fund, vault, members' and operator's capital). */
export const prefunded = (tranche: string): boolean => ['fund', 'vault', 'members'].includes(bearerOf(tranche));

export const BEARER_LABELS: Readonly<Record<Bearer, string>> = {
  fund: 'Insurance fund (stakers, treasury)',
  vault: 'Backstop vault (its depositors)',
  members: 'Clearing members and operator',
  winners: 'Winners (ADL, haircuts of gains)',
  socialized: 'Socialized over all traders',
  uncovered: 'Uncovered (left unpaid)',
};
