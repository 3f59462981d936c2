import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summaryLines } from '../../dist/src/cli/simulate.js';
import { DEMO_POLICIES } from '../../dist/src/simulation/venue.js';
import type { SimulationReport } from '../../dist/src/node.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { riskcore } from '../support/cli.js';

/**
 * `riskcore simulate` and `riskcore merge` as a user runs them: the built CLI in a child process,
 * writing real files into a temporary directory. The suite runs after `npm run build`.
 */

// A book small enough for a test: 6 paths of 12 steps take well under a second.
const TINY_RUN = ['--accounts', '2000', '--markets', '8', '--paths', '6', '--steps', '12', '--workers', '2'];

/** The report without the fields that measure time rather than results. */
function withoutTiming(report: Record<string, unknown>): Record<string, unknown> {
  const work = report.work as Record<string, unknown>;
  return { ...report, work: { ...work, elapsedMs: 0 } };
}

describe('riskcore simulate and merge', () => {
  let dir: string;
  let whole: Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riskcore-cli-'));
    const run = await riskcore('simulate', ...TINY_RUN, '--out', join(dir, 'whole'));
    expect(run.stderr).not.toContain('Error');
    expect(run.code).toBe(0);
    whole = JSON.parse(await readFile(join(dir, 'whole', 'report.json'), 'utf8')) as Record<string, unknown>;
  });

  it('a run writes report.json and report.html, and the html embeds the same report', async () => {
    // Expectations: 6 paths of 12 steps, one variant (no sweep), the html's embedded JSON is report.json.
    expect(whole.format).toBe('riskcore-simulation-report');
    expect(whole.paths).toBe(6);
    expect(whole.steps).toBe(12);
    expect((whole.variants as unknown[]).length).toBe(1);
    const html = await readFile(join(dir, 'whole', 'report.html'), 'utf8');
    const embedded = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(embedded).toBeDefined();
    expect(JSON.parse(embedded!)).toEqual(whole);
  });

  it('the summary names every variant, the run size and the files written', async () => {
    const run = await riskcore('simulate', ...TINY_RUN, '--sweep-fund', '0,20000000', '--out', join(dir, 'sweep'));
    expect(run.code).toBe(0);
    // Not a terminal: 80 columns, so the tables are transposed (a column per variant) and fit.
    expect(run.stdout).toMatch(/^variant +fund 0 +fund 20000000$/m);
    const summary = run.stdout.slice(run.stdout.indexOf('\nquote units'), run.stdout.indexOf('\nwrote '));
    for (const line of summary.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(run.stdout).toContain('6 paths x 12 steps, 2 variants');
    expect(run.stdout).toContain('position-steps');
    expect(run.stdout).toContain(join(dir, 'sweep', 'report.json'));
  });

  it('--sweep-realizable runs one variant per rule over the default withdrawal run; an unknown rule exits 2 naming the flag', async () => {
    const run = await riskcore('simulate', ...TINY_RUN, '--scenario', 'crash', '--sweep-realizable', 'all,none', '--out', join(dir, 'rules'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^variant +realizable all +realizable none$/m);
    const report = JSON.parse(await readFile(join(dir, 'rules', 'report.json'), 'utf8')) as { variants: { name: string; winners: { enabled: boolean } }[] };
    expect(report.variants.map((v) => [v.name, v.winners.enabled])).toEqual([['realizable all', true], ['realizable none', true]]);
    const bad = await riskcore('simulate', '--sweep-realizable', 'all,half');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sweep-realizable');
  });

  it('two shards merged give the report of the whole run (timing aside)', async () => {
    const shards = join(dir, 'shards');
    const first = await riskcore('simulate', ...TINY_RUN, '--path-from', '0', '--path-to', '2', '--out', shards);
    const second = await riskcore('simulate', ...TINY_RUN, '--path-from', '2', '--path-to', '6', '--out', shards);
    expect([first.code, second.code]).toEqual([0, 0]);
    // In any order on the command line.
    const merged = await riskcore('merge', join(shards, 'shard-2-6.json'), join(shards, 'shard-0-2.json'), '--out', join(dir, 'merged'));
    expect(merged.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'merged', 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(withoutTiming(report)).toEqual(withoutTiming(whole));
  });

  it('invalid: merging shards that leave paths out exits 2 naming the missing range', async () => {
    const run = await riskcore('merge', join(dir, 'shards', 'shard-2-6.json'), '--out', join(dir, 'partial'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing paths [0, 2)');
  });

  it('invalid: a bad flag value exits 2 naming the flag', async () => {
    const run = await riskcore('simulate', '--paths', 'many');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--paths');
  });

  it('invalid: an unknown flag exits 2 naming the flag', async () => {
    const run = await riskcore('simulate', '--pathz', '3');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--pathz');
  });

  it('invalid: a configuration file with steps 0 exits 2 naming the field', async () => {
    const config = join(dir, 'bad.json');
    await writeFile(config, JSON.stringify({ book: { accounts: 100 }, paths: 2, steps: 0 }));
    const run = await riskcore('simulate', '--config', config, '--out', join(dir, 'bad'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('field steps');
  });

  it('a configuration file with "$schema" runs as the same file without it (same configuration hash); a $schema that is not a string exits 2', async () => {
    const fields = { book: { accounts: 300, markets: 2 }, paths: 2, steps: 3 };
    const withSchema = join(dir, 'with-schema.json'), without = join(dir, 'without-schema.json');
    await writeFile(withSchema, JSON.stringify({ $schema: './node_modules/riskcore/config.schema.json', ...fields }));
    await writeFile(without, JSON.stringify(fields));
    const a = await riskcore('simulate', '--config', withSchema, '--workers', '0', '--out', join(dir, 'with-schema'));
    const b = await riskcore('simulate', '--config', without, '--workers', '0', '--out', join(dir, 'without-schema'));
    expect([a.code, b.code]).toEqual([0, 0]);
    const hash = async (d: string): Promise<string> => (JSON.parse(await readFile(join(dir, d, 'report.json'), 'utf8')) as SimulationReport).configHash;
    expect(await hash('with-schema')).toBe(await hash('without-schema'));
    const report = JSON.parse(await readFile(join(dir, 'with-schema', 'report.json'), 'utf8')) as SimulationReport;
    expect(report.config).not.toHaveProperty('$schema');

    const bad = join(dir, 'bad-schema.json');
    await writeFile(bad, JSON.stringify({ $schema: 5, ...fields }));
    const run = await riskcore('simulate', '--config', bad, '--out', join(dir, 'bad-schema'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('field $schema');
  });

  it('riskcore schema prints the shipped config.schema.json, which accepts the configuration a run of the CLI records', async () => {
    const run = await riskcore('schema');
    expect(run.code).toBe(0);
    const shipped = await readFile(join(process.cwd(), 'config.schema.json'), 'utf8');
    expect(run.stdout).toBe(shipped);
    // The CLI's defaults (paths, economics) as a run wrote them into report.json, and a sweep's.
    const validate = new Ajv2020({ strict: true, strictRequired: false }).compile(JSON.parse(shipped) as object);
    expect(validate(whole.config), JSON.stringify(validate.errors)).toBe(true);
    const sweep = JSON.parse(await readFile(join(dir, 'rules', 'report.json'), 'utf8')) as SimulationReport;
    expect(validate(sweep.config), JSON.stringify(validate.errors)).toBe(true);
    expect(sweep.config.sweep?.realizable).toEqual(['all', 'none']);
  });

  it('the summary writes money with thousands separators and never in exponent form', async () => {
    const run = await riskcore('simulate', ...TINY_RUN, '--out', join(dir, 'money'));
    expect(run.code).toBe(0);
    const summary = run.stdout.slice(run.stdout.indexOf('quote units'));
    expect(summary).not.toMatch(/\de[-+]\d/);
    // The prefunded resources: a fund and a vault of 20,000,000 each (less the vault's rounding).
    expect(summary).toMatch(/\b\d{1,3}(,\d{3}){2,}\b/);
    // An amount under a cent (a mean of a few atoms over paths) was printed as 2.0e-4.
    const report = JSON.parse(JSON.stringify(whole)) as SimulationReport;
    report.variants[0]!.socialized.mean = '0.0002';
    report.variants[0]!.riskTakers.feeRevenueQuote = '1234567.891';
    const lines = summaryLines(report, 200).join('\n');
    expect(lines).not.toMatch(/\de[-+]\d/);
    expect(lines).toContain(' <0.01 ');
    expect(lines).toContain(' 1,234,568 ');
  });

  it('the first line says how many workers by default, the memory each needs and what is free', async () => {
    const run = await riskcore('simulate', '--accounts', '2000', '--markets', '8', '--paths', '2', '--steps', '2', '--out', join(dir, 'workers'));
    expect(run.code, run.stderr).toBe(0);
    // First, so that the first line has it however the line folds to the terminal (80 columns here).
    expect(run.stdout.split('\n')[0]).toMatch(/^simulate: [12] workers? \(about \d+\.\d GB each; \d+\.\d GB free\);/);
    // Every line fits but the one that names the files written (a path is not folded).
    expect(run.stdout.split('\n').filter((line) => line.length > 80 && !line.startsWith('wrote ')), run.stdout).toEqual([]);
    const given = await riskcore('simulate', '--accounts', '2000', '--markets', '8', '--paths', '2', '--steps', '2', '--workers', '1', '--out', join(dir, 'workers'));
    expect(given.stdout.split('\n')[0]).toMatch(/^simulate: 1 worker \(--workers; about /);
  });

  it('--replay FILE runs the CSV as the scenario: one path, a step per row', async () => {
    const csv = join(dir, 'prices.csv');
    // Market 0 falls 10 % a step for 3 steps; market 1 has no column and keeps its mark.
    await writeFile(csv, 'step,0\n1,54000\n2,48600\n3,43740\n');
    const run = await riskcore('simulate', '--accounts', '2000', '--markets', '2', '--replay', csv, '--workers', '1', '--out', join(dir, 'replay'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(0, 2).join(' ')).toContain('1 path x 3 steps, scenario replay');
    const report = JSON.parse(await readFile(join(dir, 'replay', 'report.json'), 'utf8')) as { paths: number; steps: number; config: { scenario: unknown } };
    expect([report.paths, report.steps]).toEqual([1, 3]);
    expect(report.config.scenario).toEqual({ kind: 'replay', csv: 'step,0\n1,54000\n2,48600\n3,43740\n' });
  });

  it('invalid: --replay of a missing file, an empty file or a bad cell exits 2 naming --replay (and the row)', async () => {
    const missing = await riskcore('simulate', '--accounts', '200', '--markets', '2', '--replay', join(dir, 'no-such.csv'), '--out', join(dir, 'r1'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--replay');
    expect(missing.stderr).toContain('no-such.csv');
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, 'step,0\n');
    const none = await riskcore('simulate', '--accounts', '200', '--markets', '2', '--replay', empty, '--out', join(dir, 'r2'));
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--replay');
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'step,0,1\n1,60000,3000\n2,abc,3000\n');
    const cell = await riskcore('simulate', '--accounts', '200', '--markets', '2', '--replay', bad, '--workers', '1', '--out', join(dir, 'r3'));
    expect(cell.code).toBe(2);
    expect(cell.stderr).toContain('--replay');
    expect(cell.stderr).toContain('row 2');
    const both = await riskcore('simulate', '--replay', bad, '--scenario', 'crash');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--replay');
  });

  it('invalid: a bad --replay CSV is refused before the book is built, even the default 1,000,000-account book', async () => {
    // The shape of the CSV (header, cells per row, numbers) needs no book: it was checked only after
    // every worker had built its book (5 s at the default size). No "building the book" line, no run line.
    const cases: [string, string, string][] = [
      ['price.csv', 'step,0,1\n1,60000,3000\n2,abc,3000\n', 'row 2'],
      ['header.csv', 'step,btc\n1,60000\n', 'row 0'],
      ['cells.csv', 'step,0,1\n1,60000,3000\n2,60000\n', 'row 2'],
      ['zero.csv', 'step,0\n1,0\n', 'row 1'],
    ];
    for (const [name, text, row] of cases) {
      const csv = join(dir, name);
      await writeFile(csv, text);
      const run = await riskcore('simulate', '--replay', csv, '--out', join(dir, 'early'));
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`--replay ${csv}`);
      expect(run.stderr).toContain(row);
      expect(run.stderr, name).not.toContain('building the book');
      expect(run.stdout, name).not.toContain('simulate:');
    }
  });

  it('counts and nouns agree: one path, one worker, one shard', async () => {
    const run = await riskcore('simulate', '--accounts', '300', '--markets', '2', '--paths', '1', '--steps', '2', '--workers', '1', '--out', join(dir, 'one'));
    expect(run.code, run.stderr).toBe(0);
    const all = run.stdout + run.stderr;
    expect(run.stdout).toMatch(/^simulate: 1 worker \(--workers;/);
    // The first line folds to 80 columns: read it unfolded.
    expect(run.stdout.split('\n').slice(0, 2).join(' ')).toContain('300 accounts, 2 markets; 1 path x 2 steps,');
    expect(run.stdout).toContain('1 path x 2 steps, 1 variant, configuration');
    expect(run.stderr).toContain('building the book in the worker\n');
    expect(all).not.toMatch(/\b1 (paths|steps|workers|variants|shards|markets|accounts)\b/);
    const shard = await riskcore('simulate', '--accounts', '300', '--markets', '2', '--paths', '1', '--steps', '1', '--workers', '0', '--path-from', '0', '--path-to', '1', '--out', join(dir, 'one-shard'));
    expect(shard.code, shard.stderr).toBe(0);
    expect(shard.stdout).toContain('shard: paths [0, 1) of 1, 1 variant in ');
    expect(shard.stdout).toContain('1 path x 1 step, scenario');
    const merged = await riskcore('merge', join(dir, 'one-shard', 'shard-0-1.json'), '--out', join(dir, 'one-merged'));
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^merged 1 shard$/m);
  });

  it('every line of --help, simulate --help, demo --help, merge --help and schema --help is within 80 columns', async () => {
    for (const args of [['--help'], ['simulate', '--help'], ['demo', '--help'], ['merge', '--help'], ['schema', '--help']]) {
      const run = await riskcore(...args);
      expect(run.code).toBe(0);
      expect(run.stdout.length).toBeGreaterThan(40);
      for (const line of run.stdout.split('\n')) expect(line.length, `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(80);
    }
    // A flag's description continues under itself (column 29), not at the margin.
    const simulate = (await riskcore('simulate', '--help')).stdout;
    expect(simulate).toMatch(/^  --no-economics {13}no trading volume.*\n {29}\S/m);
  });

  it('demo --help lists every policy the demo accepts (the table\'s), buffered among them', async () => {
    const help = (await riskcore('demo', '--help')).stdout;
    const policies = /--policy NAME +liquidation policy: ([^(]+)\(default partial\)/.exec(help.replace(/\n +/g, ' '))?.[1]?.trim();
    expect(policies).toBe(`${Object.keys(DEMO_POLICIES).join(', ')}`);
    expect(policies).toContain('buffered');
  });

  it('a bare riskcore prints the help and exits 0 (it does not run the demo)', async () => {
    const run = await riskcore();
    expect(run.code).toBe(0);
    for (const command of ['demo', 'simulate', 'merge']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toContain('riskcore <command> --help');
    expect(run.stdout).not.toMatch(/^book: /m);
  });

  it('--version and -v print the package version', async () => {
    const { version } = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await riskcore(flag);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
    }
  });

  it('--help lists the commands', async () => {
    const run = await riskcore('--help');
    expect(run.code).toBe(0);
    for (const command of ['demo', 'simulate', 'merge', 'schema']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
