/**
 * The command line refuses bad input with exit code 2, naming what is wrong (README, Stress
 * simulation: "A bad flag or configuration field exits with code 2, naming it"):
 * - a configuration error found in a worker thread, not only in the main thread;
 * - unknown keys at any depth of a configuration file, named by their path;
 * - values of the wrong type: strings or floats where integers are meant, non-booleans for booleans;
 * - flags that are not plain decimal integers ("0x10", " 2", "1e1");
 * - names that are not the table's own ("constructor", "toString");
 * - shards whose embedded configuration does not hash to their configuration hash, or whose numbers
 *   are malformed, naming the shard file and the field.
 * `simulate --help` and the README say that a book module is code run with the user's privileges.
 * The built CLI runs in a child process; the suite runs after `npm run build`.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI, riskcore, type Run } from '../support/cli.js';

const BOOK_MODULE = join(process.cwd(), 'examples/book-module.mjs');

// A run small enough for a test: 200 accounts over 2 markets, 2 paths of 2 steps.
const TINY = ['--accounts', '200', '--markets', '2', '--paths', '2', '--steps', '2'];

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'riskcore-cli-regression-')); });

/** Runs `simulate --config FILE` with `config` written to FILE, plus `flags`. */
async function withConfig(name: string, config: unknown, ...flags: string[]): Promise<Run> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  return riskcore('simulate', '--config', file, '--out', join(dir, name), ...flags);
}

/** The run refused with exit 2, its message naming every one of `names`. */
function expectRefused(run: Run, ...names: string[]): void {
  expect(run.code, run.stderr).toBe(2);
  for (const name of names) expect(run.stderr).toContain(name);
}

describe('regression: configuration errors exit 2 wherever they are found', () => {
  it('invalid: a per-market funding list that does not match the book module\'s markets, found in a worker', async () => {
    // The fixture's book has 2 markets; 3 rates are only checked once a worker has built the book.
    const run = await withConfig('worker-funding', { fundingRatePpm: [1, 2, 3], paths: 2, steps: 2 }, '--book-module', BOOK_MODULE, '--workers', '2');
    expectRefused(run, 'fundingRatePpm');
  });

  it('invalid: the same error in this thread (--workers 0) exits the same way', async () => {
    const run = await withConfig('here-funding', { fundingRatePpm: [1, 2, 3], paths: 2, steps: 2 }, '--book-module', BOOK_MODULE, '--workers', '0');
    expectRefused(run, 'fundingRatePpm');
  });
});

// State: the configuration every case starts from (a book small enough for a test).
const SMALL = { book: { accounts: 200, markets: 2 }, paths: 2, steps: 2 };

describe('regression: unknown configuration keys are refused, named by their path', () => {
  const CASES: [string, unknown, string][] = [
    ['a top-level typo', { pahts: 3 }, 'pahts'],
    ['a typo in the book', { book: { accounts: 200, markets: 2, acounts: 10 } }, 'book.acounts'],
    ['a synthetic book\'s key next to a book module', { book: { module: BOOK_MODULE, accounts: 10 } }, 'book.accounts'],
    ['a typo in the scenario', { scenario: { kind: 'monteCarlo', volatilityPpm: 1_000, jumpz: 1 } }, 'scenario.jumpz'],
    ['a typo in the impact model', { impact: { slope: 1 } }, 'impact.slope'],
    ['a typo in the sweep', { sweep: { fund: ['1'] } }, 'sweep.fund'],
    ['a typo in a policy object', { policy: { close: 'full', fee: 1 } }, 'policy.fee'],
    ['a typo in a waterfall step', { waterfall: { steps: [{ kind: 'insuranceFund', drawdwnPpm: 1 }] } }, 'drawdwnPpm'],
  ];
  it.each(CASES)('invalid: %s', async (_name, config, path) => {
    expectRefused(await withConfig('unknown-key', { ...SMALL, ...(config as object) }, '--workers', '0'), path);
  });
});

describe('regression: every configuration value has its type and range', () => {
  const CASES: [string, unknown, string][] = [
    ['book.seed a string', { book: { accounts: 200, markets: 2, seed: 'x' } }, 'book.seed'],
    ['book.seed beyond the generator\'s 32 bits', { book: { accounts: 200, markets: 2, seed: 2 ** 32 } }, 'book.seed'],
    ['book.positionsPerAccount a float', { book: { accounts: 200, markets: 2, positionsPerAccount: 2.5 } }, 'book.positionsPerAccount'],
    ['book.positionsPerAccount a string', { book: { accounts: 200, markets: 2, positionsPerAccount: '3' } }, 'book.positionsPerAccount'],
    ['book.positionsPerAccount 0', { book: { accounts: 200, markets: 2, positionsPerAccount: 0 } }, 'book.positionsPerAccount'],
    ['skip a string', { skip: 'no' }, 'skip'],
    ['jumpsTogether a number', { scenario: { kind: 'monteCarlo', volatilityPpm: 1_000, jumpsTogether: 0 } }, 'jumpsTogether'],
    ['paths a string', { paths: '10' }, 'paths'],
    ['steps a float', { steps: 1.5 }, 'steps'],
    ['a sweep list that is a string', { sweep: { insuranceFundQuote: '5' } }, 'sweep.insuranceFundQuote'],
    ['policy "constructor" (not a policy of the table)', { policy: 'constructor' }, 'policy'],
    ['waterfall "toString"', { waterfall: 'toString' }, 'waterfall'],
    ['a sweep waterfall "hasOwnProperty"', { sweep: { waterfall: ['exchange', 'hasOwnProperty'] } }, 'sweep.waterfall'],
    ['a waterfall step\'s boolean given as a string', { waterfall: { steps: [{ kind: 'membersFund', withLayer2: 'no' }] } }, 'withLayer2'],
  ];
  it.each(CASES)('invalid: %s', async (_name, config, field) => {
    expectRefused(await withConfig('bad-value', { ...SMALL, ...(config as object) }, '--workers', '0'), field);
  });
});

describe('regression: flags are plain decimal integers and the table\'s own names', () => {
  const CASES: [string, string[], string][] = [
    ['--paths in hexadecimal', ['--paths', '0x10'], '--paths'],
    ['--paths with a leading space', ['--paths', ' 2'], '--paths'],
    ['--paths with a trailing space', ['--paths', '2 '], '--paths'],
    ['--paths in exponent notation', ['--paths', '1e1'], '--paths'],
    ['--steps with a fraction', ['--steps', '2.0'], '--steps'],
    ['--book-seed in binary', ['--book-seed', '0b1'], '--book-seed'],
    ['--workers with a plus sign', ['--workers', '+1'], '--workers'],
    ['--sweep-margin with a hexadecimal item', ['--sweep-margin', '1000000,0x10'], '--sweep-margin'],
  ];
  it.each(CASES)('invalid: simulate %s', async (_name, flags, flag) => {
    expectRefused(await riskcore('simulate', '--accounts', '200', '--markets', '2', '--workers', '0', ...flags, '--out', join(dir, 'flags')), flag);
  });

  it('demo: the ledger holds, and what the accounts may withdraw is printed under each realizable rule', async () => {
    const run = await riskcore('demo', '--accounts', '3000', '--seed', '3');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^conservation ledger: unchanged/m);
    const amount = (rule: string): number => Number(new RegExp(`^  ${rule} +([0-9.,]+) `, 'm').exec(run.stdout)?.[1]?.replaceAll(',', '') ?? NaN);
    const [all, none, pool, residual] = ['all', 'none', 'pnlPool', 'residualRatio'].map(amount);
    // Gains count whole under `all`, not at all under `none`; nobody settled, so the PnL pools are
    // empty and Drift's rule counts no gain; Percolator's ratio counts a share of them.
    expect(all).toBeGreaterThan(none!);
    expect(pool).toBe(none);
    expect(residual).toBeGreaterThanOrEqual(none!);
    expect(residual).toBeLessThanOrEqual(all!);
  });

  it('demo: lines within 120 columns, digits grouped, steps by their human labels, no residue note when there is none', async () => {
    const run = await riskcore('demo', '--accounts', '3000', '--seed', '3');
    expect(run.code, run.stderr).toBe(0);
    // Not a terminal: 80 columns, so the round table is transposed (a column per round).
    for (const line of run.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(120);
    expect(run.stdout).toMatch(/^round +1$/m);
    expect(run.stdout).toMatch(/^closed notional +\d{1,3}(,\d{3})+$/m);
    // Health counts and money grouped: the fund's 20,000,000 and the book's 2,784 healthy accounts (seed 3).
    expect(run.stdout).toMatch(/^healthy +2,784 +\d{1,3}(,\d{3})* +\d+$/m);
    expect(run.stdout).toContain('(balance 20,000,000 -> ');
    expect(run.stdout).not.toMatch(/\d{5,}\.\d{6}/);
    // The exchange preset's steps as people name them, not "0.0 insuranceFund".
    expect(run.stdout).toMatch(/^  1\. insurance fund +\S+$/m);
    expect(run.stdout).toMatch(/^  3\. auto-deleveraging \(ADL\) +\S+$/m);
    expect(run.stdout).not.toMatch(/\d\.\d insuranceFund/);
    // No ADL, so no residue: neither the column nor the note.
    expect(run.stdout).not.toContain('residue kept');
    expect(run.stdout).toMatch(/^  step +covered$/m);
    // Without a fund or a vault, ADL covers the loss and leaves a residue of a cent (seed 3): the note and the column.
    const adl = await riskcore('demo', '--accounts', '3000', '--seed', '3', '--shock', '-250000', '--fund', '0', '--vault', '0');
    expect(adl.code, adl.stderr).toBe(0);
    expect(adl.stdout).toMatch(/^  residue kept +0\.01 /m);
    expect(adl.stdout).toMatch(/^  3\. auto-deleveraging \(ADL\) +[\d,]+ +0\.01$/m);
    // Off a terminal the build bar prints its 25 % steps on stderr, never on stdout.
    expect(run.stdout).not.toContain('building book');
  });

  it('demo on a terminal (a pseudo-terminal of 120 columns, util-linux script): the build bar is cleared when done, the round table is one row per round', async () => {
    const onTerminal = async (...args: string[]): Promise<string> =>
      (await promisify(execFile)('script', ['-qec', `stty cols 120; ${process.execPath} ${CLI} demo ${args.join(' ')}`, '/dev/null'])).stdout;
    // 140,000 accounts are built in chunks of 65,536: the bar is drawn at 46 % and 93 %, in place (\r),
    // then erased (\r, erase line) before the book's line: nothing of it stays on screen.
    const built = await onTerminal('--accounts', '140000', '--shock', '0');
    expect(built).toMatch(/\rbuilding book \[[#.]+\] 93%\r\x1b\[Kbook: 140,000 accounts/);
    expect(built).not.toContain('100%');
    const run = await onTerminal('--accounts', '3000', '--seed', '3');
    expect(run).toMatch(/^round +liquidatable +groups +closes +transfers +settled +closed notional +liquidator fees +fund fees +deficits\r?$/m);
    expect(run).toMatch(/^ +1 +\d+ +\d+ +[\d,]+ +0 +0 +[\d,]+ /m);
    for (const line of run.split(/\r?\n/)) expect(line.replace(/^.*\r/, '').length, line).toBeLessThanOrEqual(120);
  });

  it('demo: counts and nouns agree (one round, one market)', async () => {
    const run = await riskcore('demo', '--accounts', '3000', '--seed', '3', '--markets', '1', '--rounds', '1');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^book: 3,000 accounts, [\d,]+ cross positions, \d+ isolated, 1 market \(seed 3\)/m);
    expect(run.stdout).toMatch(/loss waterfall: 1 round in /);
    expect(run.stdout).toMatch(/^still liquidatable after 1 round: /m);
    expect(run.stdout).not.toMatch(/\b1 (rounds|markets|events|accounts|closes|records)\b/);
  });

  it('invalid: demo --accounts in hexadecimal, with spaces, or --policy constructor', async () => {
    expectRefused(await riskcore('demo', '--accounts', '0x10'), '--accounts');
    expectRefused(await riskcore('demo', '--accounts', ' 100'), '--accounts');
    expectRefused(await riskcore('demo', '--accounts', '100', '--policy', 'constructor'), '--policy');
    expectRefused(await riskcore('demo', '--accounts', '100', '--waterfall', 'toString'), '--waterfall');
    expectRefused(await riskcore('demo', '--acounts', '100'), '--acounts');
  });

  it('demo takes a negative number as a flag\'s value and amounts as simulate does; an amount too large exits 2 naming the flag', async () => {
    // `--shock -200000` (README) was refused as an ambiguous flag.
    const run = await riskcore('demo', '--accounts', '300', '--shock', '-200000', '--fund', '999.5');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('price shock: -20.00 % on every mark');
    // Below 1,000 quote units, amounts are printed to the cent.
    expect(run.stdout).toMatch(/balance 999\.50 /);
    expectRefused(await riskcore('demo', '--accounts', '300', '--fund', '9999999999999999'), '--fund');
    expectRefused(await riskcore('demo', '--accounts', '300', '--vault', '1e9'), '--vault');
    expectRefused(await riskcore('demo', '--accounts', '300', '--shock', '-2000000'), '--shock');
    // simulate's negative values likewise.
    const sim = await riskcore('simulate', '--accounts', '200', '--markets', '2', '--paths', '1', '--steps', '2', '--workers', '0', '--funding-ppm', '-5', '--out', join(dir, 'negative'));
    expect(sim.code, sim.stderr).toBe(0);
  });
});

describe('regression: merge checks each shard\'s configuration hash and numbers', () => {
  let first: string, second: string;
  beforeAll(async () => {
    const shards = join(dir, 'shards');
    const a = await riskcore('simulate', ...TINY, '--workers', '0', '--path-from', '0', '--path-to', '1', '--out', shards);
    const b = await riskcore('simulate', ...TINY, '--workers', '0', '--path-from', '1', '--path-to', '2', '--out', shards);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    first = join(shards, 'shard-0-1.json');
    second = join(shards, 'shard-1-2.json');
    // The untouched shards merge.
    expect((await riskcore('merge', first, second, '--out', join(dir, 'merged'))).code).toBe(0);
  });

  /** Writes an edited copy of a shard and returns its path. */
  async function edited(file: string, name: string, edit: (shard: Record<string, any>) => void): Promise<string> {
    const shard = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    edit(shard);
    const out = join(dir, `${name}.json`);
    await writeFile(out, JSON.stringify(shard));
    return out;
  }

  it('invalid: both shards\' configurations edited alike (the hash left as it was) exit 2 naming the file and configHash', async () => {
    // Every check that compares shards with each other passes: only recomputing the hash finds it.
    const a = await edited(first, 'edited-0-1', (s) => { s.config.seed = 99; });
    const b = await edited(second, 'edited-1-2', (s) => { s.config.seed = 99; });
    expectRefused(await riskcore('merge', a, b, '--out', join(dir, 'edited')), 'edited-0-1.json', 'configHash');
  });

  it('invalid: accountsChecked "1e309" exits 2 naming the file and the field', async () => {
    const a = await edited(first, 'huge-0-1', (s) => { s.results[0].accountsChecked = '1e309'; });
    expectRefused(await riskcore('merge', a, second, '--out', join(dir, 'huge')), 'huge-0-1.json', 'accountsChecked');
  });

  it('invalid: a negative positionSteps, a fractional path or a non-boolean fundExhausted exit 2 naming the field', async () => {
    const cases: [string, (s: Record<string, any>) => void, string][] = [
      ['negative', (s) => { s.results[0].positionSteps = -1; }, 'positionSteps'],
      ['fraction', (s) => { s.results[0].path = 0.5; }, 'path'],
      ['boolean', (s) => { s.results[0].fundExhausted = 'no'; }, 'fundExhausted'],
      ['elapsed', (s) => { s.elapsedMs = 'soon'; }, 'elapsedMs'],
      ['decimals', (s) => { s.quoteDecimals = 6.5; }, 'quoteDecimals'],
      ['extra', (s) => { s.extra = 1; }, 'extra'],
    ];
    for (const [name, edit, field] of cases) {
      const a = await edited(first, `${name}-0-1`, edit);
      expectRefused(await riskcore('merge', a, second, '--out', join(dir, name)), `${name}-0-1.json`, field);
    }
  });
});

describe('regression: a book module is code run with the user\'s privileges, and the help says so', () => {
  it('simulate --help and the README say a book module is imported and run with your privileges', async () => {
    const help = await riskcore('simulate', '--help');
    expect(help.code).toBe(0);
    // The help is folded to 80 columns: read it as one line.
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/book module[^]*runs? with your privileges[^]*any (local )?file/i);
    const readme = await readFile(join(process.cwd(), 'README.md'), 'utf8');
    expect(readme).toMatch(/book module is code[^]*with your privileges[^]*configuration file from someone else can run any local file/i);
  });
});
