/**
 * `riskcore simulate` and `riskcore merge`: the stress simulation from the command line.
 *
 * `simulate` reads a SimulationConfig (a JSON file, then flags on top), runs its paths on worker
 * threads with a progress bar, and writes report.json and report.html; with --path-from/--path-to it
 * runs one shard of the paths and writes only the shard's JSON. `merge` turns the shards of one run
 * into the same report a single machine would have written: path p always draws from stream
 * (seed, p), whoever runs it.
 *
 * Exit codes: 0 done, 1 an unexpected failure, 2 bad flags, configuration or shards, 130 interrupted.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, freemem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  buildReport, CRASH_SCENARIO, DEFAULT_BOOK, DEFAULT_SCENARIO, InputError, mergeShards, renderReportHtml, resolveConfig,
  simulate, WATERFALL_PRESETS,
  type AdlRankingName, type Scenario, type ShardResult, type SimulationConfig, type SimulationProgress, type SimulationReport,
  type Sweep, type VariantReport,
} from '../node.js';
import { ADL_RANKINGS } from '../abi/codes.js';
import { DEMO_POLICIES } from '../simulation/venue.js';
import { checkConfig } from '../simulation/validate.js';
import { REALIZABLE_RULES, type RealizableRule } from '../economics/withdrawals.js';
import { formatAtoms } from '../atoms.js';
import { hasFundStep, meanReturnPpm, resolvedOf, returnBasis } from '../report/assumptions.js';
import { groupedAmount as money, type Bearer } from '../report/format.js';
import { bears, variantLosses } from '../report/summary.js';
import { counted, fitTable, fold, terminalWidth, wrapUsage } from './table.js';

/** A mistake in how the command was called (flags, configuration, shard files): printed, exit 2. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 2) { super(message); }
}

/**
 * Paths when neither the configuration nor --paths says (the library's default too, written into the
 * configuration so shards and reports record it): the default 1M-account book at 100 steps per path
 * runs them in about a minute on two cores (55 s of paths after 6 s of building, in the benchmark).
 */
export const CLI_DEFAULT_PATHS = 100;

/**
 * The venue's revenue when neither the configuration nor --no-economics says otherwise (written into
 * the configuration, so shards and reports record it): a 5 bp taker fee on a volume of 0.14 % of open
 * interest a minute (about twice the open interest a day), three times that on steps with
 * liquidations; fees split every hour 30 % to the insurance fund, 20 % to the vault, 30 % to the
 * stakers and 20 % to the treasury; stakers own half of each fund, settled hourly under Drift's caps.
 * Winners withdraw every 10 steps (1 % of accounts a time in calm, up to 51 % when the funds are fully
 * drawn) through a capacity of 1 % of all collateral an hour: it binds in a crash, not in calm.
 */
export const CLI_DEFAULT_ECONOMICS: NonNullable<SimulationConfig['economics']> = {
  fees: { makerPpm: 0, takerPpm: 500 }, turnoverPpm: 1_400, crashMultiplierPpm: 3_000_000, revenueEverySteps: 60,
  split: { tradingFees: { insuranceFund: 300_000, backstopVault: 200_000, stakers: 300_000, treasury: 200_000 } },
  staking: { settlePeriodSec: 3_600 }, stakedPpm: 500_000,
  withdrawals: { everySteps: 10, probabilityPpm: 1_000, bankRunPpm: 500_000, capacity: { periodSec: 3_600, ppmOfTotal: 10_000 } },
};

/** The scenarios --scenario names. */
export const SCENARIOS: Record<string, Scenario> = {
  calm: DEFAULT_SCENARIO,
  crash: CRASH_SCENARIO,
  grid: { kind: 'shockGrid', scanRangePpm: 150_000 },
};

/**
 * The help texts are written a logical line per flag (and per paragraph) and folded to 80 columns
 * by wrapUsage: a flag's description continues under itself.
 */
export const SIMULATE_USAGE = wrapUsage(`usage: riskcore simulate [--config FILE.json] [flags] [--out DIR]

Runs price paths over a synthetic book (margin checks, liquidation cascades with price impact, the loss waterfall at every step) and writes DIR/report.json and DIR/report.html.

  --config FILE.json         a SimulationConfig; the flags below override its fields
book:
  --accounts N               accounts (default ${DEFAULT_BOOK.accounts.toLocaleString('en-US')})
  --markets N                markets (default ${DEFAULT_BOOK.markets})
  --positions-per-account N  mean positions per account (default ${DEFAULT_BOOK.positionsPerAccount})
  --book-seed N              seed of the synthetic book (default ${DEFAULT_BOOK.seed})
  --book-module FILE         a book of your own instead: an ES module exporting capacity and build(engine) (see "book modules" below)
paths:
  --paths N                  price paths (default ${CLI_DEFAULT_PATHS}; the shock grid has 9)
  --steps N                  steps per path, a minute each (default 100)
  --seed N                   seed of the paths: path p draws from stream (seed, p) (default 1)
  --scenario NAME            calm (default: 0.08 % moves a minute, rare market-wide jumps), crash (falling, with a 5 % chance per step of a market-wide -3 % jump), grid (SPAN-style shock grid with a 15 % scan range)
  --replay FILE.csv          replay prices from a CSV instead: header step,<market id>,..., one row per step, prices in quote units; markets without a column keep their mark (one path, as many steps as rows)
venue:
  --waterfall NAME           loss waterfall: ${Object.keys(WATERFALL_PRESETS).join(', ')} (default exchange)
  --policy NAME              liquidation policy: ${Object.keys(DEMO_POLICIES).join(', ')} (default buffered)
  --fund USD                 insurance fund at the start (default 20000000)
  --vault USD                backstop vault deposits at the start (default 20000000)
  --funding-ppm N            funding rate per step, ppm of the mark, longs pay shorts (default 1)
  --no-skip                  check every account at every step (the results are the same, only slower)
  --no-economics             no trading volume, fees, stakers or withdrawals (by default, unless the configuration has \`economics\`: 5 bp taker fees on a volume of 0.14 % of open interest a minute, three times that on steps with liquidations; fees split 30 % fund, 20 % vault, 30 % stakers, 20 % treasury every hour; stakers own half of the fund; winners withdraw every 10 steps, 0.1 % of accounts in calm and up to 50.1 % when the funds are drawn, through a capacity of 1 % of collateral an hour)
sweep (every combination runs on the same paths, one report row each):
  --sweep-fund "USD,USD"     insurance fund sizes
  --sweep-margin "PPM,PPM"   margin fractions scaled by PPM / 1,000,000
  --sweep-adl "NAME,NAME"    ADL rankings: ${ADL_RANKINGS.join(', ')}
  --sweep-waterfall "NAME,NAME"  waterfall presets
  --sweep-realizable "RULE,RULE"  what winners may withdraw of unrealized PnL: ${REALIZABLE_RULES.join(', ')} (needs the withdrawal run: the default economics have one)
run:
  --workers N                worker threads, 0 runs in this thread (default: the machine's cores, fewer if free memory holds fewer books; the first line says how many and why)
  --path-from N --path-to N  run only paths [N, M) and write DIR/shard-N-M.json (see riskcore merge)
  --out DIR                  output directory (default .)
  -h, --help                 this text

Numbers are plain decimal integers (a minus sign for negatives; no plus sign, spaces, exponents or hexadecimal); amounts are decimal quote units. A configuration file is checked whole before anything runs: an unknown key, a value of the wrong type or out of range exits 2 naming its path (e.g. book.seed), as do bad flags.

book modules: a book module (--book-module, or "book": { "module": ... } in a configuration file) is an ES module that riskcore imports and runs with your privileges, in every worker: it can do anything you can. A configuration file from someone else can run any local file, so read one before you run it, as you would a script.`);

export const MERGE_USAGE = wrapUsage(`usage: riskcore merge SHARD.json... [--out DIR]

Merges the shards of one run (riskcore simulate --path-from A --path-to B) into DIR/report.json and DIR/report.html: the same report a single run of all the paths writes. The shards must come from the same configuration and cover every path exactly once, in any order. Each shard is checked first: its configuration must hash to its configHash (a configuration edited after the run is refused) and every number must be well formed; a bad shard exits 2 naming the file and the field.

  --out DIR                  output directory (default .)
  -h, --help                 this text`);

// ---- Flags ----------------------------------------------------------------------------------------

/**
 * The one flag parser of every command (node:util parseArgs, strict): an unknown flag, a missing
 * value or an unexpected argument is a CliError (exit 2) naming the flag. A negative number after a
 * flag that takes a value is that flag's value (`--shock -200000`), not a flag of its own.
 */
export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!, next = args[i + 1];
    const option = arg.startsWith('--') && !arg.includes('=') ? config.options?.[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-\d/.test(next)) { joined.push(`${arg}=${next}`); i++; }
    else joined.push(arg);
  }
  try {
    return parseArgs({ strict: true, ...config, args: joined }) as ReturnType<typeof parseArgs<T>>;
  } catch (e) {
    // node:util reports "Unknown option '--x'" and "Option '--x <value>' argument missing".
    throw new CliError(`${e instanceof Error ? e.message : String(e)} (see --help)`);
  }
}

/** A plain decimal integer: digits, a minus sign for negatives; no plus sign, leading zeros, spaces, exponents or hexadecimal. */
const DECIMAL_INTEGER = /^(0|-?[1-9]\d*)$/;

/** The integer flag `--flag`, or undefined when absent; CliError (exit 2) naming the flag otherwise. */
export function int(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = DECIMAL_INTEGER.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new CliError(`--${flag} must be a decimal integer ${range}, got "${value}"`);
  }
  return n;
}

export function usd(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new CliError(`--${flag} must be an amount in quote units like 20000000 or 1500.5, got "${value}"`);
  return value;
}

export function oneOf(value: string | undefined, flag: string, names: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!names.includes(value)) throw new CliError(`--${flag} must be one of ${names.join(', ')}, got "${value}"`);
  return value;
}

/** A comma-separated list (spaces around the commas allowed); each item is checked as a flag of its own. */
function list<T>(value: string | undefined, flag: string, item: (text: string) => T | undefined): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliError(`--${flag} must be a comma-separated list, got "${value}"`);
  return items.map((s) => item(s)!);
}

/**
 * The prices of `--replay FILE`: the CSV text (header `step,<market id>,...`, one row per step, prices
 * in quote units; docs/SIMULATION.md). A file that cannot be read is a CliError naming --replay; an
 * empty one or a bad cell is refused when the configuration is resolved (parseReplayCsv), and
 * replayError names --replay, the file and the row.
 */
async function readReplay(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`--replay: cannot read ${file}: ${(e as Error).message}`);
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`${what} ${file} is not JSON: ${(e as Error).message}`);
  }
}

const SIMULATE_OPTIONS = {
  config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  accounts: { type: 'string' }, markets: { type: 'string' }, 'positions-per-account': { type: 'string' }, 'book-seed': { type: 'string' }, 'book-module': { type: 'string' },
  paths: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' }, scenario: { type: 'string' }, replay: { type: 'string' },
  waterfall: { type: 'string' }, policy: { type: 'string' }, fund: { type: 'string' }, vault: { type: 'string' },
  'funding-ppm': { type: 'string' }, 'no-skip': { type: 'boolean' }, 'no-economics': { type: 'boolean' }, workers: { type: 'string' },
  'path-from': { type: 'string' }, 'path-to': { type: 'string' },
  'sweep-fund': { type: 'string' }, 'sweep-margin': { type: 'string' }, 'sweep-adl': { type: 'string' }, 'sweep-waterfall': { type: 'string' }, 'sweep-realizable': { type: 'string' },
} as const;

type SimulateValues = { [K in keyof typeof SIMULATE_OPTIONS]?: (typeof SIMULATE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The run's configuration: the file's, with every flag given written over it. */
async function configFrom(values: SimulateValues): Promise<SimulationConfig> {
  let base: SimulationConfig = {};
  if (values.config !== undefined) {
    let json = await readJson(values.config, 'configuration');
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError(`configuration ${values.config} must be a JSON object (a SimulationConfig)`);
    // A book module named by a relative path is relative to the configuration file.
    const book = (json as { book?: unknown }).book;
    const module = typeof book === 'object' && book !== null ? (book as { module?: unknown }).module : undefined;
    if (typeof module === 'string' && !/^(file|https?):/.test(module)) {
      json = { ...(json as object), book: { ...(book as object), module: pathToFileURL(resolve(dirname(values.config), module)).href } };
    }
    // The whole file is checked before the flags are written over it: a mistake names its path.
    checkConfig(json);
    // `$schema` is for editors: the run's configuration (and its hash) is the same without it.
    const { $schema: _schema, ...fields } = json;
    base = fields;
  }
  const config: SimulationConfig = { ...base };
  const set = <K extends keyof SimulationConfig>(key: K, value: SimulationConfig[K] | undefined): void => {
    if (value !== undefined) config[key] = value;
  };

  // Book: only the fields given, so the configuration (and its hash) says what the user said.
  const book: Record<string, number> = {};
  const bookFlags = [['accounts', 'accounts', 1], ['markets', 'markets', 1], ['positions-per-account', 'positionsPerAccount', 1], ['book-seed', 'seed', 0]] as const;
  for (const [flag, field, min] of bookFlags) {
    const n = int(values[flag], flag, min);
    if (n !== undefined) book[field] = n;
  }
  if (values['book-module'] !== undefined) {
    if (Object.keys(book).length > 0) throw new CliError('--book-module builds the book: it does not go with --accounts, --markets, --positions-per-account or --book-seed');
    config.book = { module: pathToFileURL(resolve(values['book-module'])).href };
  } else if (Object.keys(book).length > 0) {
    if (base.book !== undefined && 'module' in base.book) throw new CliError('the configuration builds its book from a module: --accounts, --markets, --positions-per-account and --book-seed do not apply');
    config.book = { ...(base.book ?? {}), ...book } as SimulationConfig['book'];
  }

  set('paths', int(values.paths, 'paths', 1));
  if (config.paths === undefined) config.paths = CLI_DEFAULT_PATHS;
  set('steps', int(values.steps, 'steps', 1));
  set('seed', int(values.seed, 'seed', 0));
  const scenario = oneOf(values.scenario, 'scenario', Object.keys(SCENARIOS));
  if (scenario !== undefined) config.scenario = SCENARIOS[scenario]!;
  if (values.replay !== undefined) {
    if (scenario !== undefined) throw new CliError('--replay is the scenario: it does not go with --scenario');
    config.scenario = { kind: 'replay', csv: await readReplay(values.replay) };
  }
  set('waterfall', oneOf(values.waterfall, 'waterfall', Object.keys(WATERFALL_PRESETS)));
  set('policy', oneOf(values.policy, 'policy', Object.keys(DEMO_POLICIES)));
  set('insuranceFundQuote', usd(values.fund, 'fund'));
  set('vaultQuote', usd(values.vault, 'vault'));
  set('fundingRatePpm', int(values['funding-ppm'], 'funding-ppm', -1_000_000, 1_000_000));
  if (values['no-skip']) config.skip = false;
  if (config.economics === undefined && !values['no-economics']) config.economics = CLI_DEFAULT_ECONOMICS;

  const sweep: Sweep = { ...(base.sweep ?? {}) };
  const fund = list(values['sweep-fund'], 'sweep-fund', (s) => usd(s, 'sweep-fund'));
  const margin = list(values['sweep-margin'], 'sweep-margin', (s) => int(s, 'sweep-margin', 1, 10_000_000));
  const adl = list(values['sweep-adl'], 'sweep-adl', (s) => oneOf(s, 'sweep-adl', ADL_RANKINGS) as AdlRankingName);
  const waterfall = list(values['sweep-waterfall'], 'sweep-waterfall', (s) => oneOf(s, 'sweep-waterfall', Object.keys(WATERFALL_PRESETS)));
  const realizable = list(values['sweep-realizable'], 'sweep-realizable', (s) => oneOf(s, 'sweep-realizable', REALIZABLE_RULES) as RealizableRule);
  if (fund) sweep.insuranceFundQuote = fund;
  if (margin) sweep.marginScalePpm = margin;
  if (adl) sweep.adlRanking = adl;
  if (waterfall) sweep.waterfall = waterfall;
  if (realizable) sweep.realizable = realizable;
  if (Object.keys(sweep).length > 0) config.sweep = sweep;

  // A book module on this machine must exist before workers are started to import it.
  const module = config.book !== undefined && 'module' in config.book ? config.book.module : undefined;
  if (typeof module === 'string' && module.startsWith('file:')) {
    const file = fileURLToPath(module);
    try {
      await access(file);
    } catch {
      throw new CliError(`book.module: ${file} does not exist or cannot be read`);
    }
  }
  return config;
}

// ---- Progress -------------------------------------------------------------------------------------

/** The least time left shown while paths remain: 0:01. */
const MIN_ETA_MS = 1000;

/**
 * The time left of a run of `total` paths with `done` done `elapsedMs` after the paths started, on
 * `workers` workers side by side; undefined while it would mean nothing (fewer than 2 paths done and
 * under 5 % of them) or when no path remains.
 *
 * A worker takes `workers * elapsed / done` per path (the run completes `done / elapsed` paths a
 * millisecond over all workers). The paths left run in waves of `workers`: the last wave takes a
 * whole path's time even when it is one path, so the estimate is ceil(left / workers) paths' time of
 * one worker, not left / workers (which undercounts the tail by up to a path and showed 0:00 while
 * the last paths ran). Never below 0:01 while paths remain.
 */
export function pathsEtaMs(done: number, total: number, elapsedMs: number, workers: number): number | undefined {
  const left = total - done;
  if (left <= 0 || done <= 0 || (done < 2 && done * 20 < total)) return undefined;
  const w = Math.max(1, Math.min(workers, total));
  const perPathOneWorker = (w * elapsedMs) / Math.max(done, w);
  return Math.max(MIN_ETA_MS, perPathOneWorker * Math.ceil(left / w));
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/**
 * Progress on stderr: a bar for building the book, then one for the paths with the time left. On a
 * terminal the bar redraws in place (and the time left counts down between paths); otherwise a line
 * every 25 % of the book and every 10 % of the paths, and at least every 30 s.
 *
 * The time left (pathsEtaMs) shows once it means something and never reaches 0:00 while paths
 * remain: between paths it counts down to 0:01 at the least.
 */
function progressReporter(workers: number): { update: (p: SimulationProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  const concurrency = Math.max(1, workers);
  const started = performance.now();
  let phase: SimulationProgress['phase'] | undefined;
  let pathsStarted = started, lastKey = '', lastStep = -1, lastLine = started, drawn = false;
  let last: { done: number; total: number; etaMs: number; at: number } | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const bar = (done: number, total: number): string => {
    const width = 30, filled = Math.round((done / total) * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor((done * 100) / total)).padStart(3)}%`;
  };
  const write = (line: string, final: boolean): void => {
    if (tty) { process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`); drawn = !final; }
    else process.stderr.write(`${line}\n`);
  };
  const pathsLine = (done: number, total: number, tail: string): string => `paths ${bar(done, total)} ${done} / ${total}${tail}`;
  const stopTicker = (): void => { if (ticker !== undefined) { clearInterval(ticker); ticker = undefined; } };
  const update = (p: SimulationProgress): void => {
    const now = performance.now();
    if (p.phase !== phase) {
      if (drawn) { process.stderr.write('\n'); drawn = false; }
      if (p.phase === 'book') process.stderr.write(`building the book in ${workers === 0 ? 'this thread' : workers === 1 ? 'the worker' : `each of ${counted(workers, 'worker')}`}\n`);
      phase = p.phase;
      lastStep = -1;
    }
    const final = p.done === p.total;
    const key = `${p.phase} ${p.done}`;
    if (key === lastKey) return; // the book's count is the slowest worker's: it repeats
    lastKey = key;
    // The paths' clock starts when they do (done 0), or else when the last book is built.
    if ((p.phase === 'book' && final) || (p.phase === 'paths' && p.done === 0)) pathsStarted = now;
    let etaMs = -1;
    if (p.phase === 'paths' && !final) {
      etaMs = pathsEtaMs(p.done, p.total, now - pathsStarted, concurrency) ?? -1;
      if (etaMs >= 0) last = { done: p.done, total: p.total, etaMs, at: now };
      if (tty && ticker === undefined && etaMs >= 0) {
        ticker = setInterval(() => {
          if (last) write(pathsLine(last.done, last.total, `, ${clock(Math.max(MIN_ETA_MS, last.etaMs - (performance.now() - last.at)))} left`), false);
        }, 1000);
        ticker.unref();
      }
    }
    if (final) stopTicker();
    // Terminal: redraw on every change; elsewhere: a line per 25 % (book) or 10 % (paths), or after 30 s.
    const step = Math.floor((p.done * (p.phase === 'book' ? 4 : 10)) / p.total);
    if (!tty && step === lastStep && !final && now - lastLine < 30_000) return;
    lastStep = step;
    lastLine = now;
    if (p.phase === 'book') {
      write(`book  ${bar(p.done, p.total)} ${p.done.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} accounts`, final);
      return;
    }
    write(pathsLine(p.done, p.total, final ? `, ${clock(now - pathsStarted)}` : etaMs >= 0 ? `, ${clock(etaMs)} left` : ''), final);
  };
  const end = (): void => {
    stopTicker();
    if (drawn) { process.stderr.write('\n'); drawn = false; }
  };
  return { update, end };
}

// ---- Output ---------------------------------------------------------------------------------------


/** A count or rate: whole, with thousands separators, never in exponent form. */
const whole = (x: number): string => Math.round(x).toLocaleString('en-US');

/**
 * Who bore the loss, in the summary's rows, in the report's order, each bearer by a short name and
 * the words the legend gives it (src/report/format.ts: BEARER_LABELS, TRANCHE_BEARERS). The figures
 * are the report summary's (variantLosses: the mean per path of the tranches each bearer covers).
 */
const BEARER_ROWS: readonly [Bearer, string, string][] = [
  ['fund', 'fund', 'the insurance fund (stakers, treasury)'], ['vault', 'vault', 'the backstop vault\'s depositors'],
  ['members', 'members', 'clearing members and operator'], ['winners', 'winners', 'ADL and haircuts of gains'],
  ['socialized', 'all traders', 'socialized over open interest and haircuts of deposits'], ['uncovered', 'uncovered', 'left unpaid'],
];

/**
 * The summary, `width` columns wide (the terminal's, 80 when stdout is not one): four tables (who bore
 * the loss, losses, risk-takers, winners when there is a withdrawal run), one row per variant, each
 * with its legend,
 * then the run's size, time and throughput. A table too wide for the width is transposed (one column
 * per variant) and, if need be, split into blocks of variants (./table.ts); the legends are folded.
 */
export function summaryLines(report: SimulationReport, width = 80, elapsedLabel = 'elapsed'): string[] {
  // Who bore the loss: the report summary's figures (exact atoms, formatted once); '-' for a bearer
  // with no step in the variant's waterfall, as the report's summary prints it (bears).
  const run = resolvedOf(report);
  const losses = report.variants.map(variantLosses);
  const atomsCell = (x: bigint): string => money(formatAtoms(x, report.quoteDecimals));
  const boreHead = ['variant', ...BEARER_ROWS.map(([, short]) => short), 'total p99'];
  const boreCells = (v: VariantReport, i: number): string[] =>
    [v.name, ...BEARER_ROWS.map(([b]) => (bears(losses[i]!, b) ? atomsCell(losses[i]!.bearers.get(b) ?? 0n) : '-')), atomsCell(losses[i]!.p99)];
  // "Fund exhausted" applies only to a waterfall with an insurance-fund step.
  const head = ['variant', 'P(fund exh.)', 'soc. mean', 'soc. p95', 'soc. p99', 'soc. ES99', 'uncov. mean', 'Cover-1 max', 'Cover-2 max', 'prefunded', 'C2>prefund', 'liq. closes', 'liq. notional'];
  const cells = (v: VariantReport): string[] => [
    v.name, hasFundStep(v, run) ? `${(v.fundExhaustedProbability * 100).toFixed(1)} %` : 'n/a',
    money(v.socialized.mean), money(v.socialized.p95), money(v.socialized.p99), money(v.socialized.expectedShortfall99),
    money(v.uncovered.mean), money(v.cover1.max), money(v.cover2.max), money(v.prefundedQuote),
    `${v.cover2BreachPaths}/${v.paths}`, Number(v.liquidations.closes).toLocaleString('en-US'), money(v.liquidations.notionalQuote),
  ];
  // The risk-takers' side: returns (a year, simple, or over a run shorter than a day), P(loss), the
  // combined drawdown's p95, winners hit.
  const pct = (ppm: number): string => `${(ppm / 1e4).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} %`;
  const basis = returnBasis(report);
  const riskHead = ['variant', `stakers ret${basis.suffix}`, 'stakers P(loss)', `vault ret${basis.suffix}`, 'vault P(loss)', 'drawdown p95', 'winners hit', 'fees', 'treasury'];
  const riskCells = (v: VariantReport): string[] => {
    const r = v.riskTakers;
    return [v.name, pct(meanReturnPpm(r.stakers, basis)), `${(r.stakers.lossProbability * 100).toFixed(1)} %`, pct(meanReturnPpm(r.vaultDepositors, basis)),
      `${(r.vaultDepositors.lossProbability * 100).toFixed(1)} %`, pct(r.combined.maxDrawdown.p95Ppm), `${(r.winnersHitProbability * 100).toFixed(1)} %`,
      money(r.feeRevenueQuote), money(r.treasuryGainQuote)];
  };
  // The winners' side (with a withdrawal run): taken out, lost, P(short), the queue's p95 wait.
  const withdrawals = report.variants.some((v) => v.winners.enabled);
  const winHead = ['variant', 'taken out', 'lost', 'P(short)', 'wait p95 (steps)', 'winners/path', 'still queued'];
  const winCells = (v: VariantReport): string[] => {
    const w = v.winners;
    return w.enabled
      ? [v.name, pct(w.takenOutPpm), pct(w.lostPpm), pct(w.shortProbabilityPpm), whole(w.waitSteps.p95), whole(w.winners), whole(w.stillQueued)]
      : [v.name, '-', '-', '-', '-', '-', '-'];
  };
  const seconds = report.work.elapsedMs / 1000;
  const rate = seconds > 0 ? report.work.positionSteps / seconds : 0;
  const section = (legend: string, h: string[], cellsOf: (v: VariantReport, i: number) => string[]): string[] =>
    [...fold(legend, width), ...fitTable(h, report.variants.map(cellsOf), width), ''];
  return [
    ...section('who bore the loss, mean per path, as in the report\'s summary (quote units: whole units from 1,000 up; exact values in report.json): '
      + `${BEARER_ROWS.map(([, short, words]) => `${short}: ${words}`).join('; ')}; -: no such step in the variant's waterfall;`
      + ' total p99: of the per-path total loss', boreHead, boreCells),
    ...section('per-path totals: soc. = socialized: over open interest through funding, and haircuts of gains and deposits;'
      + ' uncov. = uncovered; P(fund exh.): paths on which the insurance fund ran out (n/a: no fund step in the waterfall);'
      + ' Cover-1/2: the path\'s largest one / two losses beyond collateral', head, cells),
    ...section(`risk-takers: stakers of the insurance funds, depositors of the backstop vault (returns ${basis.words}; drawdown: both together, p95 over paths);`
      + ' winners hit: paths where ADL, a haircut or a socialization covered a loss; fees and treasury gain: means per path', riskHead, riskCells),
    ...(withdrawals ? section('winners (the withdrawal run): taken out = received / wanted; lost = what ADL and socialization took / (that + wanted);'
      + ' P(short): a winner could not withdraw in full; wait: steps in the withdrawal queue of the requests that left it', winHead, winCells) : []),
    ...fold(`${counted(report.paths, 'path')} x ${counted(report.steps, 'step')}, ${counted(report.variants.length, 'variant')}, configuration ${report.configHash}`, width),
    ...fold(`${elapsedLabel} ${seconds.toFixed(1)} s; ${report.work.positionSteps.toLocaleString('en-US')} position-steps, ${whole(rate)} per second; ${report.work.accountsChecked.toLocaleString('en-US')} account checks`, width),
  ];
}

/** Writes report.json and report.html into `dir`; returns their paths. */
async function writeReport(report: SimulationReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json'), html = join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderReportHtml(report));
  return [json, html];
}

/**
 * Memory one worker needs for a synthetic book, estimated: its engine reserves 1.2 positions of
 * capacity per position of the book (RiskEngine.create in the simulator), about 70 bytes of wasm
 * memory each (bench/RESULTS.md: 57.5 B per position of capacity, 69 B per position), plus 64 MiB for
 * the simulation area, the worker's JavaScript heap and the rest:
 *   accounts * positionsPerAccount * 1.2 * 70 bytes + 64 MiB.
 * A book module's size is not known before it is built: undefined.
 */
export function workerBytes(book: { accounts: number; positionsPerAccount: number } | { module: string }): number | undefined {
  if ('module' in book) return undefined;
  return Math.ceil(book.accounts * book.positionsPerAccount * 1.2 * 70) + 64 * 2 ** 20;
}

/**
 * Workers when --workers is not given: one per core, no more than the paths, and no more than free
 * memory holds at `perWorker` bytes each (at least one: a run too large for free memory is tried in
 * one worker). Without an estimate (a book module): cores and paths only.
 */
export function defaultWorkers(cores: number, paths: number, perWorker: number | undefined, freeBytes: number): number {
  const byMemory = perWorker === undefined ? Infinity : Math.floor(freeBytes / perWorker);
  return Math.max(1, Math.min(cores, paths, byMemory));
}

const gb = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/** "2 workers (about 0.9 GB each; 14.2 GB free)": the first line of a run says what it will hold. */
export function describeWorkers(workers: number, perWorker: number | undefined, freeBytes: number, given: boolean): string {
  if (workers === 0) return 'in this thread';
  const each = perWorker === undefined ? 'the book module\'s size is not known in advance' : `about ${gb(perWorker)} each`;
  return `${counted(workers, 'worker')} (${given ? '--workers; ' : ''}${each}; ${gb(freeBytes)} free)`;
}

function describeRun(config: SimulationConfig, pathFrom: number, pathTo: number, workers: string): string {
  const r = resolveConfig(config);
  const scenario = Object.entries(SCENARIOS).find(([, s]) => s === config.scenario || JSON.stringify(s) === JSON.stringify(config.scenario))?.[0]
    ?? (config.scenario ? config.scenario.kind : 'calm');
  const shard = pathFrom !== 0 || pathTo !== r.paths ? ` (shard: paths [${pathFrom}, ${pathTo}) of ${r.paths})` : '';
  const book = 'module' in r.book ? `the book of ${r.book.module}` : `${counted(r.book.accounts, 'account')}, ${counted(r.book.markets, 'market')}`;
  return `simulate: ${workers}; ${book}; ${counted(r.paths, 'path')} x ${counted(r.steps, 'step')}${shard}, `
    + `scenario ${scenario}, seed ${r.seed}`;
}

// ---- Commands -------------------------------------------------------------------------------------

/** An error in the --replay file's CSV names the flag and the file too; any other error is as it was. */
function replayError(e: unknown, file: string | undefined): unknown {
  return file !== undefined && e instanceof InputError && e.field === 'csv' ? new CliError(`--replay ${file}: ${e.message}`) : e;
}

/** `riskcore simulate`. */
export async function simulateCommand(argv: string[]): Promise<void> {
  const { values } = parse({ args: argv, options: SIMULATE_OPTIONS, strict: true }) as { values: SimulateValues };
  if (values.help) { console.log(SIMULATE_USAGE); return; }
  const config = await configFrom(values);
  // Throws InputError naming the field before anything is built: the replay's CSV is read for its
  // shape here (header, cells, numbers), its markets once the book is built.
  let resolved: ReturnType<typeof resolveConfig>;
  try {
    resolved = resolveConfig(config);
  } catch (e) {
    throw replayError(e, values.replay);
  }
  const workersFlag = int(values.workers, 'workers', 0, 1024);
  const shardMode = values['path-from'] !== undefined || values['path-to'] !== undefined;
  const pathFrom = int(values['path-from'], 'path-from', 0) ?? 0;
  const pathTo = int(values['path-to'], 'path-to', 1) ?? resolved.paths;
  if (pathFrom >= pathTo || pathTo > resolved.paths) {
    throw new CliError(`--path-from ${pathFrom} --path-to ${pathTo} is not a range of the run's ${counted(resolved.paths, 'path')} (0 <= from < to <= ${resolved.paths})`);
  }
  const perWorker = workerBytes(resolved.book), free = freemem();
  const workers = workersFlag !== undefined
    ? Math.min(workersFlag, pathTo - pathFrom)
    : defaultWorkers(availableParallelism(), pathTo - pathFrom, perWorker, free);
  const out = values.out ?? '.';
  // The workers and the memory they will hold first, so that they are on the first line however it folds.
  console.log(fold(describeRun(config, pathFrom, pathTo, describeWorkers(workers, perWorker, free, workersFlag !== undefined)), terminalWidth()).join('\n'));

  // Step 1: run the paths; Ctrl-C aborts through the signal (the workers are terminated).
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new CliError('interrupted', 130));
  process.once('SIGINT', onSigint);
  const progress = progressReporter(workers);
  let shard: ShardResult;
  try {
    shard = await simulate(config, { workers, pathFrom, pathTo, onProgress: progress.update, signal: controller.signal });
  } catch (e) {
    progress.end();
    if (controller.signal.aborted) throw new CliError('interrupted: no report written', 130);
    // The replay's columns are checked where the book's markets are known.
    throw replayError(e, values.replay);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.end();

  // Step 2: a shard writes its results for `riskcore merge`; a whole run writes the report.
  if (shardMode) {
    await mkdir(out, { recursive: true });
    const file = join(out, `shard-${pathFrom}-${pathTo}.json`);
    await writeFile(file, JSON.stringify(shard));
    const positionSteps = shard.results.reduce((a, r) => a + r.positionSteps, 0);
    console.log(`shard: paths [${pathFrom}, ${pathTo}) of ${resolved.paths}, ${counted(shard.variants.length, 'variant')} in ${(shard.elapsedMs / 1000).toFixed(1)} s; `
      + `${positionSteps.toLocaleString('en-US')} position-steps, ${whole(positionSteps / Math.max(shard.elapsedMs / 1000, 1e-3))} per second`);
    console.log(`wrote ${resolve(file)}`);
    return;
  }
  const report = buildReport(mergeShards([shard], { paths: resolved.paths }));
  const files = await writeReport(report, out);
  console.log(['', ...summaryLines(report, terminalWidth()), `wrote ${files.map((f) => resolve(f)).join(', ')}`].join('\n'));
}

/** `riskcore merge`. */
export async function mergeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) { console.log(MERGE_USAGE); return; }
  if (positionals.length === 0) throw new CliError(`merge: no shard files given\n${MERGE_USAGE}`);
  const shards: ShardResult[] = [];
  for (const file of positionals) shards.push(await readJson(file, 'shard') as ShardResult);
  // Each shard is checked (its configuration hash recomputed, every number read checked) and the
  // shards must cover every path of their run: an InputError names the file and the field.
  const report = buildReport(mergeShards(shards, { complete: true, names: positionals }));
  const out = typeof values.out === 'string' ? values.out : '.';
  const files = await writeReport(report, out);
  console.log([`merged ${counted(shards.length, 'shard')}`, ...summaryLines(report, terminalWidth(), 'elapsed (sum over shards)'), `wrote ${files.map((f) => resolve(f)).join(', ')}`].join('\n'));
}

/** The exit code for an error thrown by a command: 2 for bad input, 130 when interrupted, else 1. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof InputError) return 2;
  return 1;
}
