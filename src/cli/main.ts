#!/usr/bin/env node
/**
 * The riskcore command line. `riskcore demo`: generate the default synthetic book, shock the marks,
 * run the batch margin check, run the liquidation cascade with the loss waterfall after each round,
 * and print what a risk desk reads: who bore the loss. `riskcore simulate` (what `npm start` runs)
 * and `riskcore merge`: the stress simulation over many price paths, in ./simulate.ts.
 */
import {
  DEFAULT_BOOK, formatAtoms, generateBook, toAtoms, Health, RiskEngine, shockMarks, WATERFALL_PRESETS,
  type AllocationReport, type WaterfallConfig,
} from '../node.js';
import { readFileSync } from 'node:fs';
import { DEMO_POLICIES, setUpLossAbsorbers } from '../simulation/venue.js';
import { ownEntry } from '../simulation/shape.js';
import { configSchemaJson } from '../simulation/schema.js';
import { stepLabel } from '../waterfall/labels.js';
import { CliError, exitCodeOf, int as intFlag, mergeCommand, parse, simulateCommand, usd as amountFlag } from './simulate.js';
import { groupedAmount } from '../report/format.js';
import { counted, fitTable, layout, terminalWidth, wrapUsage } from './table.js';

/** The demo's liquidation policies: the simulation's table (--help lists them from it). */
const POLICIES = DEMO_POLICIES;
const DEFAULT_POLICY = 'partial';

const WATERFALLS: Record<string, WaterfallConfig> = WATERFALL_PRESETS;

const USAGE = wrapUsage(`usage: riskcore demo [--accounts N] [--positions-per-account N] [--markets N]
                    [--shock PPM] [--seed N] [--policy NAME] [--rounds N]
                    [--waterfall NAME] [--fund USD] [--vault USD]

  --accounts N               accounts in the synthetic book (default ${DEFAULT_BOOK.accounts.toLocaleString('en-US')})
  --positions-per-account N  mean positions per account (default ${DEFAULT_BOOK.positionsPerAccount})
  --markets N                markets (default ${DEFAULT_BOOK.markets})
  --shock PPM                move every mark by PPM parts per million (default -120000 = -12 %)
  --seed N                   seed of the synthetic book (default ${DEFAULT_BOOK.seed})
  --policy NAME              liquidation policy: ${Object.keys(POLICIES).join(', ')} (default ${DEFAULT_POLICY})
  --rounds N                 most liquidation rounds in the cascade (default 16)
  --waterfall NAME           loss waterfall: ${Object.keys(WATERFALL_PRESETS).join(', ')} (default exchange)
  --fund USD                 insurance fund before the shock (default 20000000)
  --vault USD                backstop vault deposits before the shock, from 4 providers (default 20000000)

Numbers are plain decimal integers (a minus sign for negatives: --shock -200000); amounts are decimal quote units (1500.5). A bad flag or value exits 2 naming the flag, as in riskcore simulate.`);

function progressBar(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  return (done, total) => {
    const pct = Math.floor((done * 100) / total);
    if (pct === lastPct) return;
    lastPct = pct;
    const width = 30, filled = Math.round((pct / 100) * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}%`;
    // On a terminal the bar redraws in place and is cleared when done: it leaves nothing on screen.
    if (tty) process.stderr.write(done === total ? '\r\x1b[K' : `\r${line}`);
    else if (pct % 25 === 0) process.stderr.write(`${line}\n`);
  };
}

/** The integer flag `--name` (a plain decimal integer in min..max), or `fallback` when absent. */
function int(value: string | undefined, fallback: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return intFlag(value, name, min, max) ?? fallback;
}

async function demo(argv: string[]): Promise<void> {
  const { values } = parse({
    args: argv,
    options: {
      accounts: { type: 'string' }, 'positions-per-account': { type: 'string' }, markets: { type: 'string' },
      shock: { type: 'string' }, seed: { type: 'string' }, policy: { type: 'string' }, rounds: { type: 'string' },
      waterfall: { type: 'string' }, fund: { type: 'string' }, vault: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log(USAGE); return; }
  // Ranges: the synthetic book's (src/simulation/validate.ts); a shock of -100 % at most (marks stay at 1 atom or more).
  const accounts = int(values.accounts, DEFAULT_BOOK.accounts, 'accounts', 1, 50_000_000);
  const perAccount = int(values['positions-per-account'], DEFAULT_BOOK.positionsPerAccount, 'positions-per-account', 1, 60);
  const markets = int(values.markets, DEFAULT_BOOK.markets, 'markets', 1, 65_535);
  const shockPpm = int(values.shock, -120_000, 'shock', -1_000_000, 10_000_000);
  const seed = int(values.seed, DEFAULT_BOOK.seed, 'seed', 0, 2 ** 32 - 1);
  const policyName = values.policy ?? DEFAULT_POLICY;
  const policy = ownEntry(POLICIES, policyName);
  if (!policy) throw new CliError(`--policy must be one of ${Object.keys(POLICIES).join(', ')}, got "${policyName}"`);
  const maxRounds = int(values.rounds, 16, 'rounds', 1, 1_000_000);
  const waterfallName = values.waterfall ?? 'exchange';
  const waterfall = ownEntry(WATERFALLS, waterfallName);
  if (!waterfall) throw new CliError(`--waterfall must be one of ${Object.keys(WATERFALLS).join(', ')}, got "${waterfallName}"`);
  const fundUsd = amountFlag(values.fund, 'fund') ?? '20000000';
  const vaultUsd = amountFlag(values.vault, 'vault') ?? '20000000';

  const engine = await RiskEngine.create({
    maxAccounts: accounts + 16,
    maxPositions: Math.ceil(accounts * perAccount * 1.2) + 1024,
    maxIsolated: Math.ceil(accounts / 20) + 1024,
    maxMarkets: Math.max(markets, 1),
  });
  // An amount beyond what one record holds (2^62 atoms) is refused naming its flag before the book is built.
  const atoms = (value: string, flag: string): bigint => {
    const x = toAtoms(value, engine.quoteDecimals, flag);
    if (x > 2n ** 62n) throw new CliError(`--${flag} must be at most ${formatAtoms(2n ** 62n, engine.quoteDecimals)} quote units, got "${value}"`);
    return x;
  };
  const fundAtoms = atoms(fundUsd, 'fund'), vaultAtoms = atoms(vaultUsd, 'vault');
  const t0 = performance.now();
  const book = generateBook(engine, { accounts, markets, positionsPerAccount: perAccount, seed, onProgress: progressBar('building book') });
  const tBuilt = performance.now();
  console.log(`book: ${counted(book.accounts, 'account')}, ${counted(book.positions, 'cross position')}, ${book.isolated.toLocaleString('en-US')} isolated, ${counted(markets, 'market')} (seed ${seed}) in ${((tBuilt - t0) / 1000).toFixed(2)} s`);

  setUpLossAbsorbers(engine, waterfall, fundAtoms, vaultAtoms);

  const before = engine.check();
  shockMarks(engine, shockPpm);
  const t1 = performance.now();
  const after = engine.check();
  const tCheck = performance.now() - t1;
  const order = engine.riskOrder();
  const view = engine.resultsView();
  let deficit = 0n;
  for (let a = 0; a < view.health.length; a++) if (view.health[a] === Health.Bankrupt) deficit -= view.equityQuote[a]!;
  // Amounts as people read them (whole units with thousands separators from 1,000 up, cents below).
  const usd = (x: bigint): string => groupedAmount(formatAtoms(x, engine.quoteDecimals));
  const count = (n: number | bigint): string => n.toLocaleString('en-US');
  const width = terminalWidth();

  console.log(`\nprice shock: ${(shockPpm / 10_000).toFixed(2)} % on every mark`);
  console.log(`batch check: ${counted(book.positions + book.isolated, 'position')} in ${tCheck.toFixed(1)} ms (${((tCheck * 1e6) / (book.positions + book.isolated)).toFixed(2)} ns per position)\n`);
  const rows: [string, keyof typeof after.book.accounts][] = [['healthy', 'healthy'], ['below initial', 'belowInitial'], ['liquidatable', 'liquidatable'], ['bankrupt', 'bankrupt']];
  console.log(layout([['health', 'accounts before', 'accounts after', 'isolated after'],
    ...rows.map(([label, key]) => [label, count(before.book.accounts[key]), count(after.book.accounts[key]), count(after.book.isolated[key])])]).join('\n'));
  console.log(`\ntotal deficit of bankrupt accounts: ${usd(deficit)} (quote units)`);
  console.log(`\nten riskiest accounts (lowest equity / maintenance margin first):`);
  const riskiest = Array.from(order.slice(0, 10));
  const idWidth = Math.max(7, ...riskiest.map((a) => String(a).length));
  console.log(layout([['account'.padStart(idWidth), 'equity', 'MM', 'equity/MM'], ...riskiest.map((a) => {
    const eq = view.equityQuote[a]!, mm = view.mmQuote[a]!;
    return [String(a).padStart(idWidth), usd(eq), usd(mm), mm === 0n ? '-inf' : (Number(eq) / Number(mm)).toFixed(4)];
  })]).map((l) => `  ${l}`).join('\n'));

  // The liquidation cascade: plan, execute at the marks, run the round's deficits through the loss
  // waterfall, check again, repeat.
  const ledgerBefore = engine.ledger().totalQuote;
  const fundBefore = engine.insuranceFund();
  const navBefore = engine.vault().navQuote;
  engine.setWaterfall(waterfall);
  const t2 = performance.now();
  const cascade = engine.liquidate(policy, { maxRounds, allocate: true });
  const tCascade = performance.now() - t2;
  console.log(`\nliquidation cascade (policy ${policyName}) with the ${waterfallName} loss waterfall: ${counted(cascade.rounds.length, 'round')} in ${tCascade.toFixed(1)} ms`);
  // One row per round; on a narrow terminal the table is transposed (a column per round), in blocks.
  console.log(fitTable(['round', 'liquidatable', 'groups', 'closes', 'transfers', 'settled', 'closed notional', 'liquidator fees', 'fund fees', 'deficits'],
    cascade.rounds.map((r) => [String(r.round).padStart(5), count(r.liquidatable.accounts + r.liquidatable.isolated), count(r.groups), count(r.closes), count(r.transfers),
      count(r.settlements), usd(r.closedNotionalQuote), usd(r.liquidatorFeeQuote), usd(r.fundFeeQuote), usd(r.deficitQuote)]), width).join('\n'));
  const t = cascade.totals;
  console.log(`\ntotals: ${counted(t.closes, 'close')}, ${usd(t.closedNotionalQuote)} notional closed; fees ${usd(t.liquidatorFeeQuote)} to liquidators, ${usd(t.fundFeeQuote)} to the insurance fund`);
  console.log(`still liquidatable after ${counted(cascade.rounds.length, 'round')}: ${counted(cascade.remaining.accounts, 'account')}, ${counted(cascade.remaining.isolated, 'isolated position')}`);
  printWhoBoreTheLoss(engine, cascade.allocations, fundBefore, navBefore, usd);
  const ledgerAfter = engine.ledger().totalQuote;
  console.log(`conservation ledger: ${ledgerAfter === ledgerBefore ? 'unchanged' : `MOVED by ${formatAtoms(ledgerAfter - ledgerBefore, engine.quoteDecimals)} (exact)`} (collateral + funds + fees + flows - deficits + covered + residue + pools + treasury)`);
  printWithdrawable(engine, usd);

  console.log(`\ntime: build ${((tBuilt - t0) / 1000).toFixed(2)} s, check ${tCheck.toFixed(1)} ms, liquidation and waterfall ${tCascade.toFixed(1)} ms, total ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  if (ledgerAfter !== ledgerBefore) process.exitCode = 1;
  engine.dispose();
}

/**
 * What the book may withdraw after the crash under each realizable-PnL rule (docs/ECONOMICS.md): the
 * sum over accounts of `withdrawable`, with unrealized gains counted whole, not at all, as far as the
 * markets' PnL pools back them (Drift) or at the book's residual ratio (Percolator).
 */
function printWithdrawable(engine: RiskEngine, usd: (x: bigint) => string): void {
  const rules = [
    ['all', 'gains count whole: the default'], ['none', 'unrealized gains do not count'],
    ['pnlPool', "Drift: as far as the markets' PnL pools back them; empty until losers settle"],
    ['residualRatio', "Percolator: at the book's residual ratio"],
  ] as const;
  const before = engine.withdrawalRules();
  console.log('\nwhat the accounts may withdraw now, in all, by how unrealized gains count:');
  for (const [realizable, what] of rules) {
    engine.setWithdrawalRules({ realizable });
    const { amountQuote } = engine.withdrawableAll();
    let total = 0n;
    for (const x of amountQuote) total += x;
    console.log(`  ${realizable.padEnd(14)} ${usd(total).padStart(18)}   (${what})`);
  }
  engine.setWithdrawalRules(before);
}

/** The loss allocation, summed over the cascade's rounds: who bore what. */
function printWhoBoreTheLoss(engine: RiskEngine, reports: AllocationReport[], fundBefore: bigint, navBefore: bigint, usd: (x: bigint) => string): void {
  const sum = (f: (r: AllocationReport) => bigint): bigint => reports.reduce((a, r) => a + f(r), 0n);
  const deficits = reports.reduce((a, r) => a + r.deficits, 0);
  console.log(`\nloss waterfall: ${counted(deficits, 'deficit record')}, ${usd(sum((r) => r.deficitQuote))} in all, over ${counted(reports.length, 'event')}`);
  // Per step: covered, and the residue it left (what its payers paid beyond what the deficits needed).
  const byStep = new Map<string, { covered: bigint; residue: bigint }>();
  for (const r of reports) {
    for (const s of r.steps) {
      const key = stepLabel(s);
      const t = byStep.get(key) ?? { covered: 0n, residue: 0n };
      byStep.set(key, { covered: t.covered + s.coveredQuote, residue: t.residue + s.residueQuote });
    }
  }
  // The residue column only when some step left one.
  const residues = [...byStep.values()].some((t) => t.residue !== 0n);
  console.log(layout([
    ['step', 'covered', ...(residues ? ['residue'] : [])],
    ...Array.from(byStep, ([step, t]) => [step, usd(t.covered), ...(residues ? [usd(t.residue)] : [])]),
    ['uncovered', usd(sum((r) => r.uncoveredQuote))],
  ]).map((l) => `  ${l}`).join('\n'));
  console.log('who bore the loss:');
  console.log(`  insurance fund used     ${usd(sum((r) => r.insuranceFundQuote)).padStart(18)}   (balance ${usd(fundBefore)} -> ${usd(engine.insuranceFund())})`);
  const vault = engine.vault();
  console.log(`  backstop vault          ${usd(sum((r) => r.vaultQuote)).padStart(18)}   (net asset value ${usd(navBefore)} -> ${usd(vault.navQuote)})`);
  const adlAccounts = reports.reduce((a, r) => a + r.adlAccounts, 0);
  console.log(`  auto-deleveraging       ${usd(sum((r) => r.adlCoveredQuote)).padStart(18)}   (${counted(adlAccounts, 'account close')}, ${usd(sum((r) => r.adlNotionalQuote))} notional)`);
  console.log(`  socialized              ${usd(sum((r) => r.socializedQuote)).padStart(18)}`);
  console.log(`  clearing house          ${usd(sum((r) => r.clearingHouseQuote)).padStart(18)}`);
  console.log(`  uncovered               ${usd(sum((r) => r.uncoveredQuote)).padStart(18)}`);
  const residue = sum((r) => r.residueQuote);
  if (residue !== 0n) console.log(`  residue kept            ${usd(residue).padStart(18)}   (paid beyond what the deficits needed: ADL overshoot to the atom)`);
  const beyond = sum((r) => r.paidBeyondEquityQuote);
  if (beyond > 0n) console.log(`  paid beyond equity      ${usd(beyond).padStart(18)}   (clearing-house assessments members owe)`);
  // The five accounts that paid most, from the audit log (cover and pay records), summed per
  // account in one typed column (an amount of one record is below 2^63, and so is what one account
  // paid in a demo; a sum that could pass it would need BigInt).
  const v = engine.auditLog.view();
  const paid = new BigInt64Array(engine.accountCount);
  let payers = 0;
  for (let i = 0; i < v.accountId.length; i++) {
    const a = v.accountId[i]!;
    if (v.role[i]! > 1 || a === 0xffffffff) continue;
    if (paid[a] === 0n) payers++;
    paid[a] = paid[a]! + v.amountQuote[i]!;
  }
  const top: [number, bigint][] = [];
  for (let a = 0; a < paid.length; a++) {
    const x = paid[a]!;
    if (x === 0n || (top.length === 5 && x <= top[4]![1])) continue;
    top.push([a, x]);
    top.sort((p, q) => (p[1] < q[1] ? 1 : p[1] > q[1] ? -1 : p[0] - q[0]));
    if (top.length > 5) top.pop();
  }
  if (top.length > 0) {
    console.log(`accounts that paid most (of ${payers.toLocaleString('en-US')}; audit log: ${counted(engine.auditLog.length, 'record')}):`);
    for (const [a, x] of top) console.log(`  account ${String(a).padStart(8)}  ${usd(x).padStart(16)}`);
  }
}

/** `riskcore schema`: the configuration's JSON Schema, the package's config.schema.json. */
async function schema(argv: string[]): Promise<void> {
  const { values } = parse({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) { console.log(wrapUsage('usage: riskcore schema\n\nPrints the JSON Schema (draft 2020-12) of simulate\'s configuration files, as the package ships it (riskcore/config.schema.json).')); return; }
  process.stdout.write(configSchemaJson());
}

const HELP = wrapUsage(`usage: riskcore <command> [flags]

commands:
  demo       one price shock on a synthetic book: margin check, liquidation cascade, who bore the loss
  simulate   stress simulation over many price paths; writes report.json and report.html
  merge      merges the shards of a simulation run (simulate --path-from A --path-to B) into one report
  schema     prints the JSON Schema of simulate's configuration files (riskcore/config.schema.json)

riskcore <command> --help describes a command's flags; riskcore --version prints the version.`);

/** The package's version, from the package.json two folders above dist/src/cli/main.js. */
function version(): string {
  const json = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(json.version);
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (argv: string[]) => Promise<void>> = { demo, simulate: simulateCommand, merge: mergeCommand, schema };
// A bare `riskcore` prints the help: a run (the demo's 1M accounts) is asked for by name.
if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  console.log(HELP);
  process.exit(0);
}
if (command === '--version' || command === '-v') {
  console.log(version());
  process.exit(0);
}
const run = commands[command];
if (!run) {
  console.error(`unknown command "${command}"\n${HELP}`);
  process.exit(2);
}
run(rest).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(exitCodeOf(e));
});
