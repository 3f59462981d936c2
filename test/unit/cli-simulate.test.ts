import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
    expect(run.stdout).toMatch(/^fund 0 /m);
    expect(run.stdout).toMatch(/^fund 20000000 /m);
    expect(run.stdout).toContain('6 paths x 12 steps, 2 variants');
    expect(run.stdout).toContain('position-steps');
    expect(run.stdout).toContain(join(dir, 'sweep', 'report.json'));
  });

  it('--sweep-realizable runs one variant per rule over the default withdrawal run; an unknown rule exits 2 naming the flag', async () => {
    const run = await riskcore('simulate', ...TINY_RUN, '--scenario', 'crash', '--sweep-realizable', 'all,none', '--out', join(dir, 'rules'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^realizable all /m);
    expect(run.stdout).toMatch(/^realizable none /m);
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

  it('--help lists the commands', async () => {
    const run = await riskcore('--help');
    expect(run.code).toBe(0);
    for (const command of ['demo', 'simulate', 'merge']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
