import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Runs the README's API tour against the built package and checks what it prints. */
describe('README API tour', () => {
  it('runs as written and prints the values its comments state', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const entry = pathToFileURL(join(process.cwd(), 'dist/src/node.js')).href;
    const dir = await mkdtemp(join(tmpdir(), 'riskcore-readme-'));
    const file = join(dir, 'tour.mjs');
    const logged: string[] = [];
    await writeFile(file, block!.replace("from 'riskcore'", `from '${entry}'`).replaceAll('console.log(', 'globalThis.__log('));
    (globalThis as { __log?: (...a: unknown[]) => void }).__log = (...a: unknown[]) => logged.push(a.map((x) => (typeof x === 'object' ? JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) : String(x))).join(' '));
    await import(pathToFileURL(file).href);
    // The comments in the README state these outputs.
    expect(logged[0]).toBe('false belowInitialMargin 2250000000');
    expect(logged[1]).toContain('"healthy":2');
    expect(logged[2]).toBe('0 true');
    expect(logged[3]).toBe('[0]');
    expect(logged[4]).toContain('"imQuote":"580000000n","mmQuote":"116000000n"');
    expect(logged.length).toBe(5);
  });
});
