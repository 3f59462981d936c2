import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Runs the README's `js` examples against the built package, as a user would paste them, and
 * returns what each `console.log` printed (objects as JSON, bigints as `123n`).
 */
async function runReadmeExample(index: number): Promise<string[]> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBe(5);
  const entry = pathToFileURL(join(process.cwd(), 'dist/src/node.js')).href;
  const file = join(await mkdtemp(join(tmpdir(), 'riskcore-readme-')), `example-${index}.mjs`);
  const logged: string[] = [];
  const sink = `__readmeLog${index}`;
  (globalThis as Record<string, unknown>)[sink] = (...args: unknown[]) => logged.push(args.map((x) =>
    typeof x === 'object' ? JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) : String(x)).join(' '));
  await writeFile(file, blocks[index]!.replace("from 'riskcore'", `from '${entry}'`).replaceAll('console.log(', `globalThis.${sink}(`));
  await import(pathToFileURL(file).href);
  return logged;
}

describe('README examples', () => {
  it('the API tour runs as written and prints the values its comments state', async () => {
    const logged = await runReadmeExample(0);
    expect(logged[0]).toBe('false belowInitialMargin 2250000000');
    expect(logged[1]).toContain('"healthy":2');
    expect(logged[2]).toBe('0 true');
    expect(logged[3]).toBe('[0]');
    expect(logged[4]).toContain('"imQuote":"580000000n","mmQuote":"116000000n"');
    expect(logged.length).toBe(5);
  });

  it('liquidation: prices, a partial close with its fee, then a cascade that records the deficit', async () => {
    // Alice: 1 ETH long at 3,000 with 200 USD: E = 200, MM = 150. LP: A0 = E - v = 200 - 3000 = -2800,
    // root N* = 2800 / (1 - 0.05) = 2947.368421..., rounded up to the atom. At 2,900: E = 100,
    // MM = 145. Closing c ETH at the mark costs the fee 29c and releases 145c of MM: 100 - 29c >= 145 -
    // 145c from c = 0.38793...; in 0.0001 steps, 0.3879 gives E 88.7509 < MM ceil(0.6121 * 145) =
    // 88.7545 and 0.388 gives 88.748 >= 88.74, so 0.388 ETH. Fee ceil(0.388 * 2900 * 1 %) = 11.252,
    // half each. At 2,700 the remaining 0.612 ETH loses 0.612 * 200 = 122.4: E = 88.748 - 122.4 =
    // -33.652, the deficit of the full close at the mark.
    expect(await runReadmeExample(2)).toEqual(['2947368422', 'true', '1 -38800000', '5626000 5626000', '1', '1 33652000 true']);
  });

  it('loss waterfall: the fund, then ADL at the bankruptcy price, and the ledger unchanged', async () => {
    // Alice: 10 long at 100 with 50; at 80 her equity is 50 + 800 - 1000 = -150, the deficit of the
    // full close at the mark. The fund pays its 30; 120 are left. ADL: Bob (10 short at 100) has
    // v = -800 + 1000 = 200, Q = 1000, N = 800, E = 1000 + 200 = 1200: key (200 * 800) / (1000 * 1200)
    // = 0.1333; Carol (5 short at 120): v = -400 + 600 = 200, Q = 600, N = 400, E = 1200: 0.1111.
    // Bob first: Δp = ceil(120 * 1 / 10) = 12, P = 80 + 12 = 92; closing all 10 pays
    // cash(10, 80) - cash(10, 92) = -800 + 920 = 120, the whole rest. Bob's short is gone, so the
    // queue of shorts holds Carol alone.
    expect(await runReadmeExample(3)).toEqual(['30000000 120000000 0', '120000000 1', 'true']);
  });

  it('zero copy: a bad batch is refused whole, a good one commits with the same first id', async () => {
    // Account 0: 500 USD, 1 ETH long at 3,000: equity 500 >= IM 150, healthy. Account 1: 0 USD, 0.5 ETH
    // short at 3,000: equity 0 < MM = 1,500 * 2.5 % = 37.5: liquidatable.
    expect(await runReadmeExample(1)).toEqual(['DuplicatePosition marketId 1', 'true 1']);
  });

  it('simulation: the printed lines are those of the same run in one thread, for both variants', async () => {
    // The same configuration run without workers must print the same figures: results do not depend
    // on the number of workers (docs/SIMULATION.md, Workers and shards).
    const logged = await runReadmeExample(4);
    const { simulate, buildReport, mergeShards, CRASH_SCENARIO } = await import(pathToFileURL(join(process.cwd(), 'dist/src/node.js')).href);
    const config = {
      book: { accounts: 4000, markets: 8, seed: 2 }, scenario: CRASH_SCENARIO, paths: 6, steps: 30, seed: 7,
      insuranceFundQuote: '200000', vaultQuote: '200000', sweep: { waterfall: ['exchange', 'drift'] },
    };
    const report = buildReport(mergeShards([await simulate(config, { workers: 0 })]));
    const expected = report.variants.map((v: { name: string; paths: number; fundExhaustedProbability: number; socialized: { p99: string }; cover2: { max: string } }) =>
      `${v.name} ${v.paths} ${v.fundExhaustedProbability} ${v.socialized.p99} ${v.cover2.max}`);
    expect(logged).toEqual(expected);
    expect(logged.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['waterfall exchange 6', 'waterfall drift 6']);
  }, 60_000);
});
