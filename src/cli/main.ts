#!/usr/bin/env node
/**
 * The riskcore command line. `riskcore demo` (what `npm start` runs): generate the default
 * synthetic book, shock the marks, run the batch margin check, and print what a risk desk reads.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BOOK, formatAtoms, generateBook, Health, RiskEngine, shockMarks } from '../node.js';

const USAGE = `usage: riskcore demo [--accounts N] [--positions-per-account N] [--markets N] [--shock PPM] [--seed N]

  --accounts N               accounts in the synthetic book (default ${DEFAULT_BOOK.accounts.toLocaleString('en-US')})
  --positions-per-account N  mean positions per account (default ${DEFAULT_BOOK.positionsPerAccount})
  --markets N                markets (default ${DEFAULT_BOOK.markets})
  --shock PPM                move every mark by PPM parts per million (default -120000 = -12 %)
  --seed N                   seed of the synthetic book (default ${DEFAULT_BOOK.seed})`;

function progressBar(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  return (done, total) => {
    const pct = Math.floor((done * 100) / total);
    if (pct === lastPct) return;
    lastPct = pct;
    const width = 30, filled = Math.round((pct / 100) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`;
    if (tty) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
    else if (pct % 25 === 0) process.stderr.write(`${line}\n`);
  };
}

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`--${name} must be an integer, got ${value}`);
  return n;
}

async function demo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      accounts: { type: 'string' }, 'positions-per-account': { type: 'string' }, markets: { type: 'string' },
      shock: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log(USAGE); return; }
  const accounts = int(values.accounts, DEFAULT_BOOK.accounts, 'accounts');
  const perAccount = int(values['positions-per-account'], DEFAULT_BOOK.positionsPerAccount, 'positions-per-account');
  const markets = int(values.markets, DEFAULT_BOOK.markets, 'markets');
  const shockPpm = int(values.shock, -120_000, 'shock');
  const seed = int(values.seed, DEFAULT_BOOK.seed, 'seed');

  const engine = await RiskEngine.create({
    maxAccounts: accounts,
    maxPositions: Math.ceil(accounts * perAccount * 1.2) + 1024,
    maxIsolated: Math.ceil(accounts / 20) + 1024,
    maxMarkets: Math.max(markets, 1),
  });
  const t0 = performance.now();
  const book = generateBook(engine, { accounts, markets, positionsPerAccount: perAccount, seed, onProgress: progressBar('building book') });
  const tBuilt = performance.now();
  console.log(`book: ${book.accounts.toLocaleString('en-US')} accounts, ${book.positions.toLocaleString('en-US')} cross positions, ${book.isolated.toLocaleString('en-US')} isolated, ${markets} markets (seed ${seed}) in ${((tBuilt - t0) / 1000).toFixed(2)} s`);

  const before = engine.check();
  shockMarks(engine, shockPpm);
  const t1 = performance.now();
  const after = engine.check();
  const tCheck = performance.now() - t1;
  const order = engine.riskOrder();
  const view = engine.resultsView();
  let deficit = 0n;
  for (let a = 0; a < view.health.length; a++) if (view.health[a] === Health.Bankrupt) deficit -= view.equityQuote[a]!;
  const usd = (x: bigint): string => formatAtoms(x, engine.quoteDecimals);

  console.log(`\nprice shock: ${(shockPpm / 10_000).toFixed(2)} % on every mark`);
  console.log(`batch check: ${(book.positions + book.isolated).toLocaleString('en-US')} positions in ${tCheck.toFixed(1)} ms (${((tCheck * 1e6) / (book.positions + book.isolated)).toFixed(2)} ns per position)\n`);
  const rows: [string, keyof typeof after.book.accounts][] = [['healthy', 'healthy'], ['below initial', 'belowInitial'], ['liquidatable', 'liquidatable'], ['bankrupt', 'bankrupt']];
  console.log('health            accounts before   accounts after   isolated after');
  for (const [label, key] of rows) {
    console.log(`${label.padEnd(16)}  ${String(before.book.accounts[key]).padStart(15)}  ${String(after.book.accounts[key]).padStart(15)}  ${String(after.book.isolated[key]).padStart(15)}`);
  }
  console.log(`\ntotal deficit of bankrupt accounts: ${usd(deficit)} (quote units)`);
  console.log(`\nten riskiest accounts (lowest equity / maintenance margin first):`);
  console.log('   account            equity                MM    equity/MM');
  for (const a of order.slice(0, 10)) {
    const eq = view.equityQuote[a]!, mm = view.mmQuote[a]!;
    const ratio = mm === 0n ? '-inf' : (Number(eq) / Number(mm)).toFixed(4);
    console.log(`${String(a).padStart(10)}  ${usd(eq).padStart(16)}  ${usd(mm).padStart(16)}  ${ratio.padStart(11)}`);
  }
  console.log(`\ntime: build ${((tBuilt - t0) / 1000).toFixed(2)} s, check ${tCheck.toFixed(1)} ms, total ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  engine.dispose();
}

const [command = 'demo', ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => Promise<void>> = { demo };
const run = commands[command];
if (!run) {
  console.error(`unknown command "${command}"\n${USAGE}`);
  process.exit(2);
}
run(rest).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
