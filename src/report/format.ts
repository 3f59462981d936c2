/**
 * How the report writes numbers and names: amounts with thousands separators (formatted from their
 * exact decimal strings, never through a float), percentages, and human labels for tranche kinds.
 *
 * A table shows an amount rounded for reading (two decimals); the cell keeps the exact decimal string
 * of report.json in `data-value` and `title`, so nothing is lost and tools read the exact number back.
 */
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
 * An exact decimal string with thousands separators and `digits` decimals (half away from zero, as
 * Intl rounds); by default two below 1,000 and none from 1,000 (cents do not matter on thousands):
 * "401506819.157927" -> "401,506,819", "279.331" -> "279.33". Intl formats a decimal string exactly
 * (it is not converted to a float). A nonzero amount that would show as zero reads "<0.01" ("-<0.01"
 * below zero), so a small loss never reads as none (as the CLI's summary writes it).
 */
export function groupedAmount(exact: string, digits = /^-?\d{4}/.test(exact) ? 0 : 2): string {
  // Intl.NumberFormat.format takes a decimal string (ES2023 Intl); the DOM lib types it as number | bigint.
  const text = formatter(digits).format(exact as unknown as number);
  if (/[1-9]/.test(exact) && !/[1-9]/.test(text)) return `${exact.startsWith('-') ? '-' : ''}<${formatter(digits).format(10 ** -digits)}`;
  return text;
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
 * Human labels of the tranche kinds the report names (`VariantReport.tranches`: the waterfall's
 * kinds, and `uncovered`), and who bears each. Prefunded bearers (fund, vault, members and operator)
 * paid into the venue before the loss; the others are traders who did not.
 */
export const TRANCHE_LABELS: Readonly<Record<string, { label: string; bearer: Bearer }>> = {
  insuranceFund: { label: 'Insurance fund', bearer: 'fund' },
  backstopVault: { label: 'Backstop vault', bearer: 'vault' },
  haircutVaultShares: { label: 'Haircut of vault shares', bearer: 'vault' },
  defaulterFund: { label: "Defaulter's contribution", bearer: 'members' },
  operatorCapital: { label: 'Operator capital', bearer: 'members' },
  membersFund: { label: "Members' default fund", bearer: 'members' },
  assessments: { label: 'Assessments on members', bearer: 'members' },
  adl: { label: 'Auto-deleveraging (ADL)', bearer: 'winners' },
  haircutGains: { label: "Haircut of winners' gains", bearer: 'winners' },
  socializeFunding: { label: 'Socialized through funding', bearer: 'socialized' },
  haircutDeposits: { label: 'Haircut of deposits', bearer: 'socialized' },
  uncovered: { label: 'Uncovered', bearer: 'uncovered' },
};

/** A tranche's label ("insuranceFund" -> "Insurance fund"); an unknown kind is shown as it is. */
export const trancheLabel = (tranche: string): string => TRANCHE_LABELS[tranche]?.label ?? tranche;

/** Who bears a tranche (an unknown kind counts as socialized: a loss to traders who did not prefund it). */
export const bearerOf = (tranche: string): Bearer => TRANCHE_LABELS[tranche]?.bearer ?? 'socialized';

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
