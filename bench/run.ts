/**
 * riskcore benchmarks: `npm run bench` (full default book), `npm run bench -- --json` (one JSON
 * record per line on stdout, the table on stderr), `--accounts N` (smaller book), `--quick`.
 * Compare only ratios taken in one run: the machines this runs on are shared and noisy.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { generateBook, Health, RiskEngine, shockMarks, type CheckSummary, type FillInput, type GeneratedBook, type HealthCounts } from '../src/node.js';
import { internalsOf } from '../src/abi/internals.js';
import { checkBook } from '../test/reference/model.js';
import { f64Book, f64Check, f64Disagreements, f64Markets, refAgreement, refSlice } from './baselines.js';
import { crashCases, sideBookCases, type WaterfallTimes } from './waterfall.js';
import { simulationCases } from './simulation.js';
import { captureCommits, headColumns, marketFootprint, pairedRatio, runSuite, sampleByHand, type Budget, type Stats } from './cases.js';

// ---- CLI ---------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(name);
const option = (name: string): string | undefined => {
  const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
  if (i < 0) return undefined;
  return argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
};
if (flag('--help') || flag('-h')) {
  console.log('usage: node --expose-gc dist/bench/run.js [--accounts N] [--quick] [--json]');
  process.exit(0);
}
const ACCOUNTS = Number(option('--accounts') ?? 1_000_000);
if (!Number.isInteger(ACCOUNTS) || ACCOUNTS < 100) throw new Error('--accounts: an integer >= 100');
const JSON_OUT = flag('--json');
const QUICK = flag('--quick');
const REF_ACCOUNTS = 2_000;
const MARKETS_MOVED = [0, 90];

/** Full-book kernels (tens to hundreds of ms), the BigInt slice, and sub-microsecond calls. */
const HEAVY: Budget = QUICK ? { minSamples: 3, maxTime: 0.5 } : { minSamples: 10, maxTime: 4 };
const LIGHT: Budget = QUICK ? { minSamples: 5, maxTime: 0.5 } : { minSamples: 30, maxTime: 3 };
const LOAD_SAMPLES = QUICK ? 2 : 7;
const PAIRED_ROUNDS = QUICK ? 5 : 15;

const say = (line = ''): void => { (JSON_OUT ? process.stderr : process.stdout).write(line + '\n'); };
const emit = (record: object): void => { if (JSON_OUT) process.stdout.write(JSON.stringify(record) + '\n'); };
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.(); };

// ---- Machine -----------------------------------------------------------------------------------

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch { /* not Linux */ }
  return os.cpus()[0]?.model ?? 'unknown';
}
const machine = {
  type: 'machine', date: new Date().toISOString(), cpu: cpuModel(), nproc: os.availableParallelism(),
  node: process.version, v8: process.versions.v8, memGiB: Math.round(os.totalmem() / 2 ** 30),
  accounts: ACCOUNTS, quick: QUICK, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
};
say(`riskcore bench  ${machine.date}`);
say(`machine: ${machine.cpu}, ${machine.nproc} cpus, ${machine.memGiB} GiB; node ${machine.node} (V8 ${machine.v8})${QUICK ? '; --quick' : ''}`);
if (!machine.gcExposed) say('note: run with node --expose-gc for collections between cases');
emit(machine);

// ---- Results -----------------------------------------------------------------------------------

type State = 'calm' | 'crash';
interface CaseResult {
  name: string;
  state: State;
  /** Positions one operation covers (the denominator of nsPerPosition). */
  positions: number;
  nsPerOp: number;
  nsPerPosition: number;
  opsPerSecond: number;
  rme: number;
  samples: number;
  baseline?: 'jsF64' | 'bigintRef';
  extra?: Record<string, number | string>;
  ratios?: Record<string, number>;
}
const results: CaseResult[] = [];
function atScaleBook(): boolean { return ACCOUNTS >= 1_000_000; }
const BASELINE_LABEL = { jsF64: 'JS f64 (inexact)', bigintRef: 'BigInt reference' } as const;

function record(name: string, state: State, positions: number, s: Stats, more: Partial<CaseResult> = {}): CaseResult {
  const r: CaseResult = {
    name, state, positions, nsPerOp: s.mean * 1e9, nsPerPosition: (s.mean * 1e9) / positions,
    opsPerSecond: s.opsPerSecond, rme: s.rme, samples: s.samples, ...more,
  };
  results.push(r);
  say(`  ${name.padEnd(44)} ${fmt(r.nsPerPosition, 2).padStart(9)} ns/position  ±${fmt(r.rme, 1)}%  (${r.samples} samples)`);
  return r;
}

function fmt(x: number, digits: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (n: number, d: number): string => `${fmt((100 * n) / d, 2)} %`;
const total = (c: HealthCounts): number => c.healthy + c.belowInitial + c.liquidatable + c.bankrupt + c.inactive;

function describe(state: State, s: CheckSummary): Record<string, number> {
  const a = s.book.accounts, i = s.book.isolated, n = total(a);
  say(`${state}: accounts healthy ${a.healthy}, below initial ${a.belowInitial}, liquidatable ${a.liquidatable} (${pct(a.liquidatable, n)}), ` +
    `bankrupt ${a.bankrupt} (${pct(a.bankrupt, n)}); liquidatable+bankrupt ${pct(a.liquidatable + a.bankrupt, n)}; ` +
    `isolated liquidatable+bankrupt ${i.liquidatable + i.bankrupt} of ${total(i)}`);
  return { liquidatableFraction: a.liquidatable / n, bankruptFraction: a.bankrupt / n, liquidatableOrBankruptFraction: (a.liquidatable + a.bankrupt) / n };
}

// ---- The book ----------------------------------------------------------------------------------

const capacity = {
  maxAccounts: Math.ceil(ACCOUNTS * 1.1),
  maxPositions: ACCOUNTS * 12,
  maxIsolated: Math.max(1024, Math.ceil(ACCOUNTS * 0.05)),
  maxMarkets: 128,
};
const engine = await RiskEngine.create(capacity);
say(`\ngenerating ${ACCOUNTS.toLocaleString('en-US')} accounts ...`);
let gen!: GeneratedBook;
const t0 = process.hrtime.bigint();
const columns = captureCommits(engine, () => { gen = generateBook(engine, { accounts: ACCOUNTS }); });
const genSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const POSITIONS = gen.positions + gen.isolated;
const memoryBytes = internalsOf(engine).raw.memory.buffer.byteLength;
say(`book: ${gen.accounts.toLocaleString('en-US')} accounts, ${gen.positions.toLocaleString('en-US')} cross + ${gen.isolated.toLocaleString('en-US')} isolated positions, ${gen.markets.length} markets`);
say(`wasm memory: ${(memoryBytes / 2 ** 20).toFixed(1)} MiB = ${fmt(memoryBytes / POSITIONS, 1)} bytes/position ` +
  `(${fmt(memoryBytes / capacity.maxPositions, 1)} per position of capacity ${capacity.maxPositions.toLocaleString('en-US')})` +
  (ACCOUNTS < 1_000_000 ? '; small books carry fixed overhead, the target applies to the default book' : ''));
say('');
record('generateBook (generate + load, 1 run)', 'calm', POSITIONS, { mean: genSeconds, rme: NaN, samples: 1, opsPerSecond: 1 / genSeconds });
const f64 = f64Book(columns);
gc();

// ---- Cases -------------------------------------------------------------------------------------

const WARM_ACCOUNTS = Math.min(ACCOUNTS, 20_000);
function warm(fn: () => void, times: number): void { for (let i = 0; i < times; i++) fn(); }

function fullChecks(state: State): void {
  warm(() => engine.check({ from: 0, count: WARM_ACCOUNTS }), 30);
  const summary = describe(state, engine.check());
  const eng = record(`check() ${state}`, state, POSITIONS, runSuite(`check ${state}`, () => { engine.check(); }, HEAVY), { extra: summary });
  gc();

  const mk = f64Markets(engine, gen.markets);
  const groups = f64.groups;
  warm(() => f64Check(f64, mk, 0, Math.min(groups, WARM_ACCOUNTS)), 30);
  const js = record(`${BASELINE_LABEL.jsF64} ${state}`, state, POSITIONS, runSuite(`f64 ${state}`, () => f64Check(f64, mk, 0, groups), HEAVY), { baseline: 'jsF64' });
  const differ = f64Disagreements(f64, engine);
  js.extra = { healthDisagreementsWithExact: differ };
  say(`    JS f64 health differs from the exact engine on ${differ} of ${groups} rows`);
  const paired = pairedRatio(() => { engine.check(); }, () => f64Check(f64, mk, 0, groups), PAIRED_ROUNDS);
  Object.assign(eng.extra!, { pairedRatioJsF64: paired.median, pairedRatioJsF64Min: paired.min, pairedRatioJsF64Max: paired.max, pairedRounds: paired.rounds });
  say(`    interleaved, call by call: JS f64 time / check() time = ${fmt(paired.median, 2)} (median of ${paired.rounds}; range ${fmt(paired.min, 2)} to ${fmt(paired.max, 2)})`);
  gc();

  const slice = refSlice(engine, gen.markets, REF_ACCOUNTS);
  const small = { markets: slice.book.markets, accounts: slice.book.accounts.slice(0, 50) };
  warm(() => checkBook(small), 5);
  const ref = record(`${BASELINE_LABEL.bigintRef} ${state} (${slice.ids.length} accounts)`, state, slice.positions,
    runSuite(`ref ${state}`, () => { checkBook(slice.book); }, HEAVY), { baseline: 'bigintRef' });
  const [equal, compared] = refAgreement(engine, slice);
  ref.extra = { accounts: slice.ids.length, exactMatches: equal, compared };
  say(`    reference == engine on ${equal} of ${compared} sliced accounts (those without open-interest-curve markets)`);
  gc();
}

say('calm book');
fullChecks('calm');

// Pre-trade: a healthy account with ten positions adds 1 % to its first position, at the mark.
{
  const counts = columns.accounts.positionCount, health = engine.resultsView().health;
  let a = counts.findIndex((n, i) => n === 10 && health[i] === Health.Healthy);
  if (a < 0) a = counts.reduce((best, n, i) => (n > counts[best]! ? i : best), 0);
  let first = 0;
  for (let k = 0; k < a; k++) first += counts[k]!;
  const marketId = columns.positions.marketId[first]!, size = columns.positions.sizeBase[first]!;
  const step = (size < 0n ? -size : size) / 100n || 1n;
  const fill: FillInput = { accountId: a, marketId, sizeDeltaBase: size < 0n ? -step : step, priceQuote: engine.market(marketId).markPrice };
  let ok = false;
  warm(() => { ok = engine.preTrade(fill).ok; }, 20_000);
  record('preTrade() one account (warm)', 'calm', counts[a]!, runSuite('preTrade', () => { ok = engine.preTrade(fill).ok; }, LIGHT),
    { extra: { accountId: a, accountPositions: counts[a]!, ok: String(ok) } });
  gc();
}

say('\ncrash book (every mark -12 %)');
shockMarks(engine, -120_000);
fullChecks('crash');
warm(() => { engine.check({ from: 0, count: WARM_ACCOUNTS }); engine.riskOrderView(); }, 10);
engine.check();
const queueLength = engine.riskOrderView().length;
record('check() + riskOrderView() crash', 'crash', POSITIONS,
  runSuite('check+queue', () => { engine.check(); engine.riskOrderView(); }, HEAVY), { extra: { queueLength } });
gc();

for (const m of MARKETS_MOVED) {
  if (m >= gen.markets.length) continue;
  const foot = marketFootprint(columns, m);
  if (foot.positionsInMarket === 0) continue;
  const ids = [m], p0 = engine.market(m).markPrice, prices = [[p0 * 999n / 1000n], [p0]];
  let flip = 0, last = engine.checkMarkets(ids);
  const body = (): void => { flip ^= 1; engine.setMarks(ids, prices[flip]!); last = engine.checkMarkets(ids); };
  warm(body, 4);
  const s = runSuite(`market ${m}`, body, HEAVY);
  engine.setMarks(ids, [p0]);
  engine.checkMarkets(ids);
  const accounts = total(last.checked.accounts), isolated = total(last.checked.isolated);
  const r = record(`setMarks + checkMarkets, market ${m}`, 'crash', foot.positionsInMarket, s, {
    extra: {
      positionsInMarket: foot.positionsInMarket, accountsRechecked: accounts, isolatedRechecked: isolated,
      nsPerAccountRechecked: (s.mean * 1e9) / accounts, positionsOfHolders: foot.holderPositions,
      nsPerPositionOfHolders: (s.mean * 1e9) / foot.holderPositions,
    },
  });
  say(`    per position held in market ${m}; ${accounts} accounts + ${isolated} isolated rows re-checked: ` +
    `${fmt(r.extra!.nsPerAccountRechecked as number, 1)} ns/account, ${fmt(r.extra!.nsPerPositionOfHolders as number, 2)} ns per position of those accounts`);
  gc();
}

// ---- Published results: the copy results views show (the core never reads it) -----------------

say('\npublished results');
/** Seconds of resultsView() alone, after `dirty` wrote some rows (untimed). */
const publishAfter = (dirty: () => void): Promise<Stats> => sampleByHand(QUICK ? 5 : 15, async () => {
  dirty();
  const t0 = performance.now();
  engine.resultsView();
  return (performance.now() - t0) / 1e3;
});
{
  const all = await publishAfter(() => { engine.check(); });
  record('resultsView() after check(): every row', 'crash', POSITIONS, all, { extra: { accountsPublished: engine.accountCount, nsPerAccount: (all.mean * 1e9) / engine.accountCount } });
  const m = MARKETS_MOVED[0]!, p0 = engine.market(m).markPrice;
  let flip = 0, rechecked = 0;
  const some = await publishAfter(() => {
    flip ^= 1;
    engine.setMarks([m], [flip ? p0 * 999n / 1000n : p0]);
    rechecked = total(engine.checkMarkets([m]).checked.accounts);
  });
  record(`resultsView() after checkMarkets, market ${m}`, 'crash', marketFootprint(columns, m).positionsInMarket, some, {
    extra: { accountsRechecked: rechecked, nsPerAccountRechecked: (some.mean * 1e9) / rechecked },
  });
  engine.setMarks([m], [p0]);
  engine.check();
  say(`    ${fmt((all.mean * 1e9) / engine.accountCount, 2)} ns per account published after a full check; ` +
    `${fmt((some.mean * 1e9) / rechecked, 1)} ns per re-checked account after an incremental check (${rechecked.toLocaleString('en-US')} accounts)`);
  gc();
}

// ---- Liquidation: prices of every position; a crash round planned and executed ----------------

say('\nliquidation');
/** Liquidation and bankruptcy prices of every position, chunk by chunk (a checksum keeps the work). */
function allPrices(): number {
  let from = 0, rows = 0;
  while (from < engine.accountCount) {
    const v = engine.positionPricesView(from);
    rows += v.accountId.length;
    from = v.nextAccountId;
  }
  return rows;
}
{
  // Right after a full check the engine reads each group's equity and MM from its results; once the
  // book changed (here: a mark set to its own value) it sums every group again. Both are timed.
  engine.check();
  warm(() => { engine.positionPricesView(0); }, 10);
  let rows = 0;
  const s = runSuite('prices', () => { rows = allPrices(); }, HEAVY);
  const paired = pairedRatio(() => { engine.check(); }, () => { allPrices(); }, PAIRED_ROUNDS);
  record('positionPricesView, every position, after check()', 'crash', POSITIONS, s,
    { extra: { rows, pairedRatioCheck: paired.median, pairedRatioCheckMin: paired.min, pairedRatioCheckMax: paired.max } });
  say(`    interleaved: prices time / check() time = ${fmt(paired.median, 2)} (median of ${paired.rounds}; range ${fmt(paired.min, 2)} to ${fmt(paired.max, 2)})`);
  const m0 = engine.market(0).markPrice;
  const touch = (): void => engine.setMarks([0], [m0]);
  touch();
  const stale = runSuite('prices stale', () => { allPrices(); }, HEAVY);
  const pairedStale = pairedRatio(() => { engine.check(); }, () => { touch(); allPrices(); }, PAIRED_ROUNDS);
  record('positionPricesView, every position, book changed', 'crash', POSITIONS, stale,
    { extra: { pairedRatioCheck: pairedStale.median, pairedRatioCheckMin: pairedStale.min, pairedRatioCheckMax: pairedStale.max } });
  say(`    interleaved: prices time / check() time = ${fmt(pairedStale.median, 2)} (groups summed afresh; median of ${pairedStale.rounds})`);
  engine.check();
  gc();
}
say('\nwithdrawals');
/** withdrawableAll() time / check() time, interleaved, per realizable rule (a target each). */
const withdrawableRatios: [string, number][] = [];
{
  // withdrawableAll() (docs/ECONOMICS.md, "What a winner may withdraw") under each realizable rule,
  // computed from the book as it stands; the baseline is a full check() of the same book, interleaved.
  const rules = [['all', 0], ['all', 100_000], ['none', 0], ['pnlPool', 0], ['residualRatio', 0]] as const;
  for (const [realizable, transferFloorPpm] of rules) {
    engine.setWithdrawalRules({ realizable, transferFloorPpm });
    warm(() => { engine.withdrawableAll(); }, 3);
    const s = runSuite(`withdrawableAll ${realizable} ${transferFloorPpm}`, () => { engine.withdrawableAll(); }, HEAVY);
    const paired = pairedRatio(() => { engine.check(); }, () => { engine.withdrawableAll(); }, PAIRED_ROUNDS);
    const name = `withdrawableAll(), rule ${realizable}${transferFloorPpm > 0 ? `, transfer floor ${transferFloorPpm / 10_000} %` : ''}`;
    record(name, 'crash', POSITIONS, s, { extra: { pairedRatioCheck: paired.median, pairedRatioCheckMin: paired.min, pairedRatioCheckMax: paired.max } });
    say(`    interleaved: withdrawableAll() time / check() time = ${fmt(paired.median, 2)} (median of ${paired.rounds}; range ${fmt(paired.min, 2)} to ${fmt(paired.max, 2)})`);
    withdrawableRatios.push([name.slice('withdrawableAll(), '.length), paired.median]);
  }
  engine.setWithdrawalRules({ realizable: 'all', transferFloorPpm: 0 });
  engine.check();
  gc();
}
/** The policy of the crash-round case: partial closes back to maintenance margin, 1 % fee split evenly. */
const ROUND_POLICY = { close: 'partial', liquidationFeePpm: 10_000, liquidatorSharePpm: 500_000 } as const;
const ROUND_SHOCK_PPM = -40_000;
{
  // Each sample needs the book before liquidation: a fresh engine loaded from the columns, marks
  // moved -4 %, checked. Then, interleaved in the same sample: one more full check() (the baseline)
  // and planLiquidations + executeLiquidations.
  const ratios: number[] = [];
  let liquidatable = 0, rows = 0, groups = 0;
  const s = await sampleByHand(QUICK ? 2 : 5, async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const e = await RiskEngine.create(capacity);
    for (const spec of gen.markets) e.addMarket(spec);
    e.appendColumns(columns);
    shockMarks(e, ROUND_SHOCK_PPM);
    const c = e.check().book.accounts;
    liquidatable = c.liquidatable + c.bankrupt;
    for (let i = 0; i < 3; i++) e.planLiquidations(ROUND_POLICY); // warm the planner (plans do not change the book)
    let t = process.hrtime.bigint();
    e.check();
    const checkSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    const plan = e.planLiquidations(ROUND_POLICY);
    e.executeLiquidations();
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    rows = plan.rows; groups = plan.groups;
    ratios.push(seconds / checkSeconds);
    e.dispose();
    return seconds;
  });
  ratios.sort((x, y) => x - y);
  const median = ratios[ratios.length >> 1]!;
  record('planLiquidations + executeLiquidations, -4 % round', 'crash', POSITIONS, s, {
    extra: { timedBy: 'hand (fresh engine per sample)', liquidatableAccounts: liquidatable, liquidatableFraction: liquidatable / ACCOUNTS, planRows: rows, planGroups: groups, pairedRatioCheck: median, pairedRatioCheckMin: ratios[0]!, pairedRatioCheckMax: ratios[ratios.length - 1]! },
  });
  say(`    ${liquidatable.toLocaleString('en-US')} accounts liquidatable or bankrupt (${pct(liquidatable, ACCOUNTS)}), ${rows.toLocaleString('en-US')} closes planned; ` +
    `round time / check() time in the same sample = ${fmt(median, 2)} (median; range ${fmt(ratios[0]!, 2)} to ${fmt(ratios[ratios.length - 1]!, 2)})`);
}

// ---- Loss waterfall: ADL selection, a pro-rata haircut, a crash's whole waterfall (bench/waterfall.ts)

say('\nloss waterfall');
{
  const times: WaterfallTimes = {
    adl: { api: [], core: [], candidates: 0, closes: 0 }, haircut: { api: [], core: [], payers: 0 },
    crash: { api: [], core: [], bankrupt: 0, records: 0, adlAccounts: 0, coveredByAdl: 0n, deficitQuote: 0n },
  };
  const samples = QUICK ? 2 : 7;
  await sideBookCases(ACCOUNTS, samples, times);
  await crashCases(gen, columns, capacity, QUICK ? 1 : 3, times, async () => { gc(); await new Promise((resolve) => setTimeout(resolve, 200)); });
  const stats = (xs: number[]): Stats => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    return { mean, rme: xs.length > 1 ? (100 * sd) / mean / Math.sqrt(xs.length) : 0, samples: xs.length, opsPerSecond: 1 / mean, times: xs };
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const ms = (xs: number[]): number => 1e3 * median(xs);
  record('waterfall: ADL, BitMEX ranking, against every short of a market', 'crash', times.adl.candidates, stats(times.adl.core), {
    extra: { timedBy: 'hand (warm engine)', candidates: times.adl.candidates, accountsClosed: times.adl.closes, medianMs: ms(times.adl.core), apiMedianMs: ms(times.adl.api) },
  });
  record('waterfall: deposit haircut split over every depositor', 'crash', times.haircut.payers, stats(times.haircut.core), {
    extra: { timedBy: 'hand (warm engine)', payers: times.haircut.payers, medianMs: ms(times.haircut.core), apiMedianMs: ms(times.haircut.api) },
  });
  record('waterfall: fund + ADL + socialization after the cascade', 'crash', times.crash.records, stats(times.crash.core), {
    extra: {
      timedBy: 'hand (engine per sample, after one run)', bankruptAccounts: times.crash.bankrupt, deficitRecords: times.crash.records,
      adlAccounts: times.crash.adlAccounts, medianMs: ms(times.crash.core), apiMedianMs: ms(times.crash.api),
    },
  });
  say(`    ADL against ${times.adl.candidates.toLocaleString('en-US')} shorts (${times.adl.closes.toLocaleString('en-US')} closed): ${fmt(ms(times.adl.core), 1)} ms ` +
    `(${fmt(ms(times.adl.api), 1)} ms with the audit copy); haircut over ${times.haircut.payers.toLocaleString('en-US')} depositors: ${fmt(ms(times.haircut.core), 1)} ms ` +
    `(${fmt(ms(times.haircut.api), 1)} ms); crash: ${times.crash.bankrupt.toLocaleString('en-US')} bankrupt accounts, ${times.crash.records.toLocaleString('en-US')} deficit records, ` +
    `${fmt(ms(times.crash.core), 1)} ms (${fmt(ms(times.crash.api), 1)} ms)`);
}

// ---- Bulk load: appendColumns of prepared typed arrays into a fresh engine ----------------------

say('\nbulk load');
async function freshEngine(caps: typeof capacity): Promise<RiskEngine> {
  const e = await RiskEngine.create(caps);
  for (const spec of gen.markets) e.addMarket(spec);
  return e;
}
{
  const warmAccounts = Math.min(ACCOUNTS, 100_000);
  const head = headColumns(columns, warmAccounts);
  for (let i = 0; i < 3; i++) {
    const e = await freshEngine({ maxAccounts: warmAccounts, maxPositions: warmAccounts * 12, maxIsolated: Math.max(1024, warmAccounts), maxMarkets: 128 });
    e.appendColumns(head);
    e.dispose();
  }
  const s = await sampleByHand(LOAD_SAMPLES, async () => {
    // Let the previous engine's memory go first (freeing 0.5 GB behind a sample skewed it).
    gc();
    await new Promise((resolve) => setTimeout(resolve, 200));
    gc();
    const e = await freshEngine(capacity);
    const t = process.hrtime.bigint();
    e.appendColumns(columns);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (e.accountCount !== ACCOUNTS) throw new Error('appendColumns loaded a different book');
    e.dispose();
    return seconds;
  });
  const sorted = [...s.times!].sort((x, y) => x - y);
  const nsPer = (sec: number): number => (sec * 1e9) / POSITIONS;
  const r = record('appendColumns (one copy, fresh engine)', 'calm', POSITIONS, s, {
    extra: { timedBy: 'hand (fresh engine per sample)', minNsPerPosition: nsPer(sorted[0]!), medianNsPerPosition: nsPer(sorted[sorted.length >> 1]!), maxNsPerPosition: nsPer(sorted[sorted.length - 1]!) },
  });
  say(`    per sample: min ${fmt(r.extra!.minNsPerPosition as number, 1)}, median ${fmt(r.extra!.medianNsPerPosition as number, 1)}, max ${fmt(r.extra!.maxNsPerPosition as number, 1)} ns/position ` +
    '(includes first-touch page faults of the fresh memory)');
  gc();
}

// ---- Ratios, table, targets --------------------------------------------------------------------

const baselineOf = (state: State, kind: 'jsF64' | 'bigintRef'): CaseResult | undefined =>
  results.find((r) => r.state === state && r.baseline === kind);
for (const r of results) {
  r.ratios = {};
  for (const kind of ['jsF64', 'bigintRef'] as const) {
    const b = baselineOf(r.state, kind);
    if (b) r.ratios[BASELINE_LABEL[kind]] = b.nsPerPosition / r.nsPerPosition;
  }
}

say('\nresults (ratio = baseline ns/position ÷ case ns/position, same state; > 1 means faster than the baseline)');
const head = ['case', 'positions', 'ns/op', 'ns/position', 'ops/s', '±rme', `x ${BASELINE_LABEL.jsF64}`, `x ${BASELINE_LABEL.bigintRef}`];
const rows = results.map((r) => [
  r.name, r.positions.toLocaleString('en-US'), fmt(r.nsPerOp, 0), fmt(r.nsPerPosition, 2), fmt(r.opsPerSecond, r.opsPerSecond < 100 ? 2 : 0),
  Number.isFinite(r.rme) ? `${fmt(r.rme, 1)}%` : 'n/a', fmt(r.ratios![BASELINE_LABEL.jsF64] ?? NaN, 2), fmt(r.ratios![BASELINE_LABEL.bigintRef] ?? NaN, 1),
]);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
say(line(head));
say(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) say(line(row));

for (const r of results) emit({ type: 'case', ...r });
const memory = { type: 'memory', bytes: memoryBytes, positions: POSITIONS, bytesPerPosition: memoryBytes / POSITIONS, capacityPositions: capacity.maxPositions, bytesPerCapacityPosition: memoryBytes / capacity.maxPositions };
emit(memory);

const targets: { target: string; value: string; pass: boolean | null }[] = [];
for (const state of ['calm', 'crash'] as const) {
  const eng = results.find((r) => r.name === `check() ${state}`)!;
  const js = eng.extra!.pairedRatioJsF64 as number, ref = eng.ratios![BASELINE_LABEL.bigintRef]!;
  targets.push({ target: `full exact check faster than ${BASELINE_LABEL.jsF64} (${state}, interleaved)`, value: `${fmt(js, 2)} x (suites: ${fmt(eng.ratios![BASELINE_LABEL.jsF64]!, 2)} x)`, pass: js > 1 });
  targets.push({ target: `full exact check >= 20 x faster than ${BASELINE_LABEL.bigintRef} (${state})`, value: `${fmt(ref, 1)} x`, pass: ref >= 20 });
}
const prices = results.find((r) => r.name.startsWith('positionPricesView, every position, after'))!;
const pricesStale = results.find((r) => r.name.startsWith('positionPricesView, every position, book changed'))!;
const priceRatio = prices.extra!.pairedRatioCheck as number;
targets.push({ target: 'prices of every position <= 3 x a full check (interleaved)', value: `${fmt(priceRatio, 2)} x after check(); ${fmt(pricesStale.extra!.pairedRatioCheck as number, 2)} x with groups summed afresh`, pass: priceRatio <= 3 });
const round = results.find((r) => r.name.startsWith('planLiquidations'))!;
const roundRatio = round.extra!.pairedRatioCheck as number;
for (const [rule, ratio] of withdrawableRatios) {
  targets.push({ target: `withdrawable for every account <= 1.5 x a full check (${rule}, interleaved)`, value: `${fmt(ratio, 2)} x`, pass: ratio <= 1.5 });
}
targets.push({ target: 'plan + execute a ~5 % crash round <= 2 x a full check (same sample)', value: `${fmt(roundRatio, 2)} x (${fmt(100 * (round.extra!.liquidatableFraction as number), 1)} % liquidatable)`, pass: roundRatio <= 2 });
const wf = (prefix: string): CaseResult => results.find((r) => r.name.startsWith(prefix))!;
const ms = (prefix: string): number => wf(prefix).extra!.medianMs as number;
targets.push({ target: 'ADL selection against 1M opposite positions < 20 ms', value: `${fmt(ms('waterfall: ADL'), 1)} ms over ${(wf('waterfall: ADL').extra!.candidates as number).toLocaleString('en-US')} (with the audit copy ${fmt(wf('waterfall: ADL').extra!.apiMedianMs as number, 1)} ms)`, pass: atScaleBook() ? ms('waterfall: ADL') < 20 : null });
targets.push({ target: 'pro-rata haircut across 1M accounts < 10 ms', value: `${fmt(ms('waterfall: deposit'), 1)} ms (with the audit copy ${fmt(wf('waterfall: deposit').extra!.apiMedianMs as number, 1)} ms)`, pass: atScaleBook() ? ms('waterfall: deposit') < 10 : null });
targets.push({ target: 'whole waterfall, ~10,000 bankrupt accounts < 100 ms', value: `${fmt(ms('waterfall: fund'), 1)} ms (${(wf('waterfall: fund').extra!.bankruptAccounts as number).toLocaleString('en-US')} bankrupt, ${(wf('waterfall: fund').extra!.deficitRecords as number).toLocaleString('en-US')} records)`, pass: atScaleBook() ? ms('waterfall: fund') < 100 : null });
const pre = results.find((r) => r.name.startsWith('preTrade'))!;
targets.push({ target: 'preTrade < 1 µs per call', value: `${fmt(pre.nsPerOp, 0)} ns`, pass: pre.nsPerOp < 1000 });
// The memory target is about books at scale: below 1M accounts the fixed part of the layout (market
// table, scratch slots, io and sort areas: a few MiB) dominates, so the figure is reported only.
const atScale = atScaleBook();
targets.push({ target: '<= 64 bytes of wasm memory per position', value: `${fmt(memory.bytesPerPosition, 1)} B${atScale ? '' : ' (small book: fixed layout overhead dominates)'}`, pass: atScale ? memory.bytesPerPosition <= 64 : null });
engine.dispose();
gc();

// ---- Stress simulation (bench/simulation.ts): worker threads, each with its own book -------------

say('\nstress simulation');
const sim = await simulationCases(ACCOUNTS, QUICK, say);
for (const r of sim.runs) emit({ type: 'simulation', ...r });
const calm2 = sim.runs[0]!;
targets.push({ target: '>= 10^9 position-steps/s, calm, skipping, 2 workers', value: `${fmt(calm2.positionStepsPerSecond / 1e9, 2)} x 10^9 (${calm2.paths} paths x ${calm2.steps} steps)`, pass: atScaleBook() && !QUICK ? calm2.positionStepsPerSecond >= 1e9 : null });
targets.push({ target: '2-worker speed-up >= 1.8 (calm, skipping)', value: `${fmt(sim.ratios.twoWorkerSpeedup!, 2)} x`, pass: QUICK ? null : sim.ratios.twoWorkerSpeedup! >= 1.8 });
targets.push({ target: 'calm with volume, fees, the revenue split, stakers and the withdrawal run >= 0.85 x without (same run)', value: `${fmt(sim.ratios.economicsRatio!, 2)} x (${fmt(sim.runs[1]!.positionStepsPerSecond / 1e9, 2)} vs ${fmt(calm2.positionStepsPerSecond / 1e9, 2)} x 10^9)`, pass: QUICK ? null : sim.ratios.economicsRatio! >= 0.85 });
targets.push({ target: 'calm with economics under the pnlPool rule / without (reported)', value: `${fmt(sim.ratios.poolRuleRatio!, 2)} x`, pass: null });
targets.push({ target: 'skipping speed-up, calm and crash (reported)', value: `calm ${fmt(sim.ratios.skipSpeedupCalm!, 2)} x, crash ${fmt(sim.ratios.skipSpeedupCrash!, 2)} x`, pass: null });

say('\ntargets (ratios from this run; reported, never gating)');
for (const t of targets) {
  say(`  ${t.pass === null ? 'INFO' : t.pass ? 'PASS' : 'MISS'}  ${t.target.padEnd(66)} ${t.value}`);
  emit({ type: 'target', ...t });
}
