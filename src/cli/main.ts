#!/usr/bin/env node
/**
 * The riskcore command line. `riskcore demo` (what `npm start` runs): generate the default
 * synthetic book, shock the marks, run the batch margin check, run the liquidation cascade, and
 * print what a risk desk reads.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BOOK, formatAtoms, generateBook, Health, LIQUIDATION_PRESETS, RiskEngine, shockMarks, type LiquidationPolicy } from '../node.js';

/** Policies the demo can run; `partial` is the default. */
const POLICIES: Record<string, LiquidationPolicy> = {
  /** Close the least that restores maintenance margin, 1 % fee split evenly between liquidator and fund. */
  partial: { close: 'partial', minCloseNotionalQuote: '10', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 },
  dydx: LIQUIDATION_PRESETS.dydx,
  hyperliquid: LIQUIDATION_PRESETS.hyperliquid,
};

const USAGE = `usage: riskcore demo [--accounts N] [--positions-per-account N] [--markets N] [--shock PPM] [--seed N] [--policy NAME] [--rounds N]

  --accounts N               accounts in the synthetic book (default ${DEFAULT_BOOK.accounts.toLocaleString('en-US')})
  --positions-per-account N  mean positions per account (default ${DEFAULT_BOOK.positionsPerAccount})
  --markets N                markets (default ${DEFAULT_BOOK.markets})
  --shock PPM                move every mark by PPM parts per million (default -120000 = -12 %)
  --seed N                   seed of the synthetic book (default ${DEFAULT_BOOK.seed})
  --policy NAME              liquidation policy: partial (default), dydx, hyperliquid
  --rounds N                 most liquidation rounds in the cascade (default 16)`;

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
      shock: { type: 'string' }, seed: { type: 'string' }, policy: { type: 'string' }, rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log(USAGE); return; }
  const accounts = int(values.accounts, DEFAULT_BOOK.accounts, 'accounts');
  const perAccount = int(values['positions-per-account'], DEFAULT_BOOK.positionsPerAccount, 'positions-per-account');
  const markets = int(values.markets, DEFAULT_BOOK.markets, 'markets');
  const shockPpm = int(values.shock, -120_000, 'shock');
  const seed = int(values.seed, DEFAULT_BOOK.seed, 'seed');
  const policyName = values.policy ?? 'partial';
  const policy = POLICIES[policyName];
  if (!policy) throw new Error(`--policy must be one of ${Object.keys(POLICIES).join(', ')}, got ${policyName}`);
  const maxRounds = int(values.rounds, 16, 'rounds');

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

  // The liquidation cascade: plan, execute at the marks, re-check the touched accounts, repeat.
  const ledgerBefore = engine.ledger().totalQuote;
  const t2 = performance.now();
  // The demo stands in for the loss waterfall: it takes each round's deficit records as they come.
  let deficitCount = 0, left = 0n;
  const largest: { accountId: number; marketId: number; amountQuote: bigint }[] = [];
  const cascade = engine.liquidate(policy, {
    maxRounds,
    onDeficits: (d) => {
      deficitCount += d.accountId.length;
      for (let i = 0; i < d.accountId.length; i++) {
        const amount = d.amountQuote[i]!;
        left += amount;
        if (largest.length < 5 || amount > largest[largest.length - 1]!.amountQuote) {
          largest.push({ accountId: d.accountId[i]!, marketId: d.marketId[i]!, amountQuote: amount });
          largest.sort((a, b) => (a.amountQuote < b.amountQuote ? 1 : a.amountQuote > b.amountQuote ? -1 : 0));
          largest.length = Math.min(largest.length, 5);
        }
      }
    },
  });
  const tCascade = performance.now() - t2;
  console.log(`\nliquidation cascade (policy ${policyName}): ${cascade.rounds.length} rounds in ${tCascade.toFixed(1)} ms`);
  console.log('round  liquidatable   groups    closes  transfers  settled   closed notional    liquidator fees      fund fees         deficits');
  for (const r of cascade.rounds) {
    console.log(`${String(r.round).padStart(5)}  ${String(r.liquidatable.accounts + r.liquidatable.isolated).padStart(12)}  ${String(r.groups).padStart(7)}  ${String(r.closes).padStart(8)}  ${String(r.transfers).padStart(9)}  ${String(r.settlements).padStart(7)}  ` +
      `${usd(r.closedNotionalQuote).padStart(16)}  ${usd(r.liquidatorFeeQuote).padStart(16)}  ${usd(r.fundFeeQuote).padStart(13)}  ${usd(r.deficitQuote).padStart(15)}`);
  }
  const t = cascade.totals;
  console.log(`\ntotals: ${t.closes.toLocaleString('en-US')} closes, ${usd(t.closedNotionalQuote)} notional closed; fees ${usd(t.liquidatorFeeQuote)} to liquidators, ${usd(t.fundFeeQuote)} to the insurance fund`);
  console.log(`still liquidatable after ${cascade.rounds.length} rounds: ${cascade.remaining.accounts} accounts, ${cascade.remaining.isolated} isolated positions`);
  console.log(`deficits left for the loss waterfall: ${deficitCount.toLocaleString('en-US')} records, ${usd(left)} in all; insurance fund ${usd(engine.insuranceFund())}`);
  console.log('largest deficits:');
  for (const d of largest) console.log(`  account ${String(d.accountId).padStart(8)}  market ${d.marketId === 0xffff ? 'settle' : String(d.marketId).padStart(3)}  ${usd(d.amountQuote).padStart(16)}`);
  const ledgerAfter = engine.ledger().totalQuote;
  console.log(`conservation ledger: ${ledgerAfter === ledgerBefore ? 'unchanged' : `MOVED by ${usd(ledgerAfter - ledgerBefore)}`} (collateral + funds + liquidator fees + flows - deficits)`);

  console.log(`\ntime: build ${((tBuilt - t0) / 1000).toFixed(2)} s, check ${tCheck.toFixed(1)} ms, liquidation ${tCascade.toFixed(1)} ms, total ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  if (ledgerAfter !== ledgerBefore) process.exitCode = 1;
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
