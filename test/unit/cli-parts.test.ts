import { describe, expect, it } from 'vitest';
import { defaultWorkers, describeWorkers, pathsEtaMs, summaryLines, workerBytes } from '../../dist/src/cli/simulate.js';
import { groupedAmount as money } from '../../dist/src/report/format.js';
import { counted, fitTable, fold, terminalWidth, wrapUsage } from '../../dist/src/cli/table.js';
import { summaryReport } from '../support/summary-report.js';

/**
 * The parts of `riskcore simulate` a user reads, as functions: the money cells of the summary, the
 * time left on the progress line, the default worker count from free memory, and the summary's
 * layout at a terminal's width.
 */

describe('summary money cells (the one amount format of the CLI and the report)', () => {
  it('amounts from 1,000 up are whole units with thousands separators; below, cents; never an exponent', () => {
    // Expectations: the decimal string, rounded to whole units (>= 1,000) or cents, grouped by 3 digits.
    expect(money('20000000')).toBe('20,000,000');
    expect(money('1234.56')).toBe('1,235');
    expect(money('-48338.4')).toBe('-48,338');
    expect(money('999.994')).toBe('999.99');
    expect(money('3.03')).toBe('3.03');
    expect(money('0')).toBe('0');
    // Under a cent but not zero: was "2.0e-4".
    expect(money('0.0002')).toBe('<0.01');
    expect(money('-0.0002')).toBe('-<0.01');
    // Beyond 1e21, where Number's own toString switches to exponents.
    expect(money('4000000000000000000000')).toBe('4,000,000,000,000,000,000,000');
    // Exact: the digits of the decimal string, not a float's (2^53 + 1 and beyond keep their last digit).
    expect(money('9007199254740993')).toBe('9,007,199,254,740,993');
    expect(money('12345678901234567890.5')).toBe('12,345,678,901,234,567,891');
    // Half away from zero on the digits: 0.005 is a cent, 0.00499 is not.
    expect(money('0.005')).toBe('0.01');
    expect(money('0.004999999')).toBe('<0.01');
    expect(money('-2.345')).toBe('-2.35');
    expect(money('-0.000000')).toBe('0');
  });
});

describe('time left of the paths', () => {
  it('is not shown from one path of many (it would mean nothing)', () => {
    expect(pathsEtaMs(1, 100, 5_000, 2)).toBeUndefined();
    expect(pathsEtaMs(0, 100, 5_000, 2)).toBeUndefined();
    // 1 of 10 done is 10 % (5 % or more): shown. One worker: 9 paths of 5 s left = 45 s.
    expect(pathsEtaMs(1, 10, 5_000, 1)).toBe(45_000);
  });

  it('counts the last wave as a whole path: 99 of 100 on 2 workers in 99 s leaves 2 s, not 1 s', () => {
    // A worker takes 2 * 99 s / 99 = 2 s a path; 1 path left is ceil(1 / 2) = 1 wave of 2 s.
    expect(pathsEtaMs(99, 100, 99_000, 2)).toBe(2_000);
    // 10 of 100 in 10 s on 4 workers: 4 s a path per worker, 90 left = ceil(90 / 4) = 23 waves: 92 s.
    expect(pathsEtaMs(10, 100, 10_000, 4)).toBe(92_000);
  });

  it('is never below 0:01 while paths remain, and undefined when none remain', () => {
    expect(pathsEtaMs(5, 6, 1, 2)).toBe(1_000);
    expect(pathsEtaMs(6, 6, 1_000, 2)).toBeUndefined();
  });
});

describe('default workers from free memory', () => {
  it('estimates accounts * positionsPerAccount * 1.2 * 70 bytes + 64 MiB per worker', () => {
    // 1,000,000 * 10 * 1.2 * 70 = 840,000,000 bytes, + 67,108,864.
    expect(workerBytes({ accounts: 1_000_000, positionsPerAccount: 10 })).toBe(907_108_864);
    expect(workerBytes({ module: 'file:///book.mjs' })).toBeUndefined();
  });

  it('takes the fewest of cores, paths and what free memory holds, at least one', () => {
    expect(defaultWorkers(8, 100, 1e9, 2.5e9)).toBe(2);
    expect(defaultWorkers(8, 100, 1e9, 0.5e9)).toBe(1);
    expect(defaultWorkers(8, 3, 1e9, 100e9)).toBe(3);
    expect(defaultWorkers(4, 100, undefined, 0)).toBe(4);
  });

  it('says how many workers, the estimate and the free memory', () => {
    expect(describeWorkers(2, 907_108_864, 14.2 * 2 ** 30, false)).toBe('2 workers (about 0.8 GB each; 14.2 GB free)');
    expect(describeWorkers(1, 907_108_864, 2 ** 30, true)).toBe('1 worker (--workers; about 0.8 GB each; 1.0 GB free)');
    expect(describeWorkers(0, 907_108_864, 2 ** 30, true)).toBe('in this thread');
  });
});

describe('the summary fits the terminal\'s width', () => {
  const head = ['variant', 'P(fund exh.)', 'soc. mean', 'soc. p95'];
  const rows = [['fund 0, exchange', '8.3 %', '1,234,567', '2,000,000'], ['fund 5, bitmex', '16.7 %', '2,469,134', '4,000,000'], ['drift', '25.0 %', '3,703,701', '6,000,000']];

  it('fitTable: the table as it is when it fits (16 + 2 + 12 + 2 + 9 + 2 + 9 = 52 columns)', () => {
    expect(fitTable(head, rows, 52)).toEqual([
      'variant           P(fund exh.)  soc. mean   soc. p95',
      'fund 0, exchange         8.3 %  1,234,567  2,000,000',
      'fund 5, bitmex          16.7 %  2,469,134  4,000,000',
      'drift                   25.0 %  3,703,701  6,000,000',
    ]);
  });

  it('fitTable: transposed when it does not (12 + 3 x (2 + 9) = 45), the sweep\'s names stacked at ", "', () => {
    const transposed = [
      'variant          fund 0     fund 5      drift',
      '               exchange     bitmex',
      'P(fund exh.)      8.3 %     16.7 %     25.0 %',
      'soc. mean     1,234,567  2,469,134  3,703,701',
      'soc. p95      2,000,000  4,000,000  6,000,000',
    ];
    expect(fitTable(head, rows, 51)).toEqual(transposed);
    expect(fitTable(head, rows, 45)).toEqual(transposed);
  });

  it('fitTable: in blocks of as many variants as fit when the transposed table does not fit either', () => {
    expect(fitTable(head, rows, 44)).toEqual([
      'variant          fund 0     fund 5',
      '               exchange     bitmex',
      'P(fund exh.)      8.3 %     16.7 %',
      'soc. mean     1,234,567  2,469,134',
      'soc. p95      2,000,000  4,000,000',
      '',
      'variant           drift',
      'P(fund exh.)     25.0 %',
      'soc. mean     3,703,701',
      'soc. p95      6,000,000',
    ]);
  });

  it('fold wraps prose at spaces to the width', () => {
    expect(fold('who bore the loss: the insurance fund, then the vault', 20)).toEqual(['who bore the loss:', 'the insurance fund,', 'then the vault']);
    expect(fold('a averyveryverylongword b', 8)).toEqual(['a', 'averyveryverylongword', 'b']);
  });

  /*
   * Who bore the loss, worked by hand from the fixture's covers (test/support/summary-report.ts; 12
   * paths, a bearer's figure is the sum of its tranches' covers over the paths / 12, rounded down to
   * an atom, then to whole units from 1,000 up; x k, the variant's scale):
   * - exchange (k = 1): fund (6,000,000 + 4,000,000.5) / 12 = 833,333.375 -> 833,333; vault
   *   1,200,000 / 12 = 100,000; winners (ADL) 300,000.000007 / 12 = 25,000.0000005 -> 25,000; all
   *   traders (socialize funding) 1,234.56 / 12 = 102.88; no members step: -. Path totals: path 2
   *   6,000,000, path 7 4,000,000.5 + 1,200,000 + 300,000.000007 + 1,234.56 = 5,501,235.060007, path 3
   *   0.0024 (uncovered); p99 of 12 is rank ceil(0.99 x 12) = 12, the largest: 6,000,000.
   *   k = 3: fund 30,000,001.5 / 12 = 2,500,000.125 -> 2,500,000; vault 300,000; winners
   *   900,000.000021 / 12 = 75,000.00000175 -> 75,000; all traders 3,703.68 / 12 = 308.64; p99 18,000,000.
   * - bitmex (k = 2): fund 4,000,000 / 12 = 333,333.333333 -> 333,333; winners (1,000,000 + 200,000) / 12
   *   = 100,000; no vault, members or socialization: -; p99: path 1, 4,000,000 + 1,000,000 = 5,000,000.
   *   k = 4: fund 8,000,000 / 12 = 666,666.666666 -> 666,667; winners 200,000; p99 10,000,000.
   * - hyperliquid (k = 3): no fund step (so no insurance-fund tranche): fund -, and P(fund exh.)
   *   n/a (its 25.0 % in the fixture is not shown); vault 9,000,000 / 12 = 750,000; winners (6,000,000 + 1,200,001.2) / 12 = 600,000.1 ->
   *   600,000; p99: path 4, 9,000,000 + 6,000,000 = 15,000,000.
   * - uncovered, every variant: 0.0024 / 12 = 0.0002 -> <0.01, as `uncovered.mean` (uncov. mean).
   */
  it('at 120 columns: who bore the loss as it is, the loss and risk-takers tables transposed, the winners\' table as it is, legends folded', () => {
    // Steps of a day: 100 days, so returns are a year (the fixture's annualized figures).
    expect(summaryLines(summaryReport(undefined, 86_400), 120).join('\n')).toBe(`who bore the loss, mean per path, as in the report's summary (quote units: whole units from 1,000 up; exact values in
report.json): fund: the insurance fund (stakers, treasury); vault: the backstop vault's depositors; members: clearing
members and operator; winners: ADL and haircuts of gains; all traders: socialized over open interest and haircuts of
deposits; uncovered: left unpaid; -: no such step in the variant's waterfall; total p99: of the per-path total loss
variant                   fund    vault  members  winners  all traders  uncovered   total p99
waterfall exchange     833,333  100,000        -   25,000       102.88      <0.01   6,000,000
waterfall bitmex       333,333        -        -  100,000            -      <0.01   5,000,000
waterfall hyperliquid        -  750,000        -  600,000            -      <0.01  15,000,000

per-path totals: soc. = socialized: over open interest through funding, and haircuts of gains and deposits; uncov. =
uncovered; P(fund exh.): paths on which the insurance fund ran out (n/a: no fund step in the waterfall); Cover-1/2: the
path's largest one / two losses beyond collateral
variant        waterfall exchange  waterfall bitmex  waterfall hyperliquid
P(fund exh.)                8.3 %            16.7 %                    n/a
soc. mean               1,234,567         2,469,134              3,703,701
soc. p95                2,000,000         4,000,000              6,000,000
soc. p99                3,500,000         7,000,000             10,500,000
soc. ES99               3,600,001         7,200,001             10,800,002
uncov. mean                 <0.01             <0.01                  <0.01
Cover-1 max               812,345         1,624,690              2,437,035
Cover-2 max             1,500,000         3,000,000              4,500,000
prefunded              40,000,000        40,000,000             40,000,000
C2>prefund                   1/12              2/12                   3/12
liq. closes                12,345            24,690                 37,035
liq. notional          98,765,432       197,530,864            296,296,296

risk-takers: stakers of the insurance funds, depositors of the backstop vault (returns a year, simple; drawdown: both
together, p95 over paths); winners hit: paths where ADL, a haircut or a socialization covered a loss; fees and treasury
gain: means per path
variant          waterfall exchange  waterfall bitmex  waterfall hyperliquid
stakers ret/yr             -12.50 %          -25.00 %               -37.50 %
stakers P(loss)              10.0 %            20.0 %                 30.0 %
vault ret/yr                 4.80 %            4.80 %                 4.80 %
vault P(loss)                50.0 %            50.0 %                 50.0 %
drawdown p95                31.00 %           31.00 %                31.00 %
winners hit                   8.3 %            16.7 %                 25.0 %
fees                      1,234,568         1,234,568              1,234,568
treasury                    246,914           246,914                246,914

winners (the withdrawal run): taken out = received / wanted; lost = what ADL and socialization took / (that + wanted);
P(short): a winner could not withdraw in full; wait: steps in the withdrawal queue of the requests that left it
variant                taken out    lost  P(short)  wait p95 (steps)  winners/path  still queued
waterfall exchange       98.77 %  1.23 %   10.00 %                 9         2,500         1,234
waterfall bitmex         98.77 %  2.47 %   10.00 %                 9         2,500         2,468
waterfall hyperliquid    98.77 %  3.70 %   10.00 %                 9         2,500         3,702

12 paths x 100 steps, 3 variants, configuration 0123456789abcdef
elapsed 61.5 s; 9,876,543,210 position-steps, 160,594,199 per second; 123,456,789 account checks`);
  });

  it('a run shorter than a day shows returns over the run, not a year (100 steps of 60 s: 100 min)', () => {
    const text = summaryLines(summaryReport(), 120).join('\n');
    expect(text).toContain('(returns over the run (100 min);');
    // Over the run the fixture's returns are a tenth of its annualized ones: stakers -125,000 k / 10 ppm
    // = -1.25 %, -2.50 %, -3.75 %; the vault 48,000 / 10 ppm = 0.48 %.
    expect(text).toMatch(/^stakers ret\/run +-1\.25 % +-2\.50 % +-3\.75 %$/m);
    expect(text).toMatch(/^vault ret\/run +0\.48 % +0\.48 % +0\.48 %$/m);
    expect(text).not.toContain('ret/yr');
  });

  it('at 80 columns: four variants of a sweep in blocks, every line within 80 columns', () => {
    const names = ['fund 5000000, waterfall exchange', 'fund 5000000, waterfall bitmex', 'fund 20000000, waterfall exchange', 'fund 20000000, waterfall bitmex'];
    const lines = summaryLines(summaryReport(names), 80);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(text.slice(0, text.indexOf('\n\nrisk-takers'))).toBe(`who bore the loss, mean per path, as in the report's summary (quote units: whole
units from 1,000 up; exact values in report.json): fund: the insurance fund
(stakers, treasury); vault: the backstop vault's depositors; members: clearing
members and operator; winners: ADL and haircuts of gains; all traders:
socialized over open interest and haircuts of deposits; uncovered: left unpaid;
-: no such step in the variant's waterfall; total p99: of the per-path total
loss
variant            fund 5000000      fund 5000000       fund 20000000
             waterfall exchange  waterfall bitmex  waterfall exchange
fund                    833,333           333,333           2,500,000
vault                   100,000                 -             300,000
members                       -                 -                   -
winners                  25,000           100,000              75,000
all traders              102.88                 -              308.64
uncovered                 <0.01             <0.01               <0.01
total p99             6,000,000         5,000,000          18,000,000

variant         fund 20000000
             waterfall bitmex
fund                  666,667
vault                       -
members                     -
winners               200,000
all traders                 -
uncovered               <0.01
total p99          10,000,000

per-path totals: soc. = socialized: over open interest through funding, and
haircuts of gains and deposits; uncov. = uncovered; P(fund exh.): paths on which
the insurance fund ran out (n/a: no fund step in the waterfall); Cover-1/2: the
path's largest one / two losses beyond collateral
variant              fund 5000000      fund 5000000       fund 20000000
               waterfall exchange  waterfall bitmex  waterfall exchange
P(fund exh.)                8.3 %            16.7 %              25.0 %
soc. mean               1,234,567         2,469,134           3,703,701
soc. p95                2,000,000         4,000,000           6,000,000
soc. p99                3,500,000         7,000,000          10,500,000
soc. ES99               3,600,001         7,200,001          10,800,002
uncov. mean                 <0.01             <0.01               <0.01
Cover-1 max               812,345         1,624,690           2,437,035
Cover-2 max             1,500,000         3,000,000           4,500,000
prefunded              40,000,000        40,000,000          40,000,000
C2>prefund                   1/12              2/12                3/12
liq. closes                12,345            24,690              37,035
liq. notional          98,765,432       197,530,864         296,296,296

variant           fund 20000000
               waterfall bitmex
P(fund exh.)             33.3 %
soc. mean             4,938,268
soc. p95              8,000,000
soc. p99             14,000,000
soc. ES99            14,400,002
uncov. mean               <0.01
Cover-1 max           3,249,380
Cover-2 max           6,000,000
prefunded            40,000,000
C2>prefund                 4/12
liq. closes              49,380
liq. notional       395,061,728`);
    expect(text.slice(text.indexOf('winners (the'))).toBe(`winners (the withdrawal run): taken out = received / wanted; lost = what ADL and
socialization took / (that + wanted); P(short): a winner could not withdraw in
full; wait: steps in the withdrawal queue of the requests that left it
variant                 fund 5000000      fund 5000000       fund 20000000
                  waterfall exchange  waterfall bitmex  waterfall exchange
taken out                    98.77 %           98.77 %             98.77 %
lost                          1.23 %            2.47 %              3.70 %
P(short)                     10.00 %           10.00 %             10.00 %
wait p95 (steps)                   9                 9                   9
winners/path                   2,500             2,500               2,500
still queued                   1,234             2,468               3,702

variant              fund 20000000
                  waterfall bitmex
taken out                  98.77 %
lost                        4.94 %
P(short)                   10.00 %
wait p95 (steps)                 9
winners/path                 2,500
still queued                 4,936

12 paths x 100 steps, 4 variants, configuration 0123456789abcdef
elapsed 61.5 s; 9,876,543,210 position-steps, 160,594,199 per second;
123,456,789 account checks`);
  });

  it('counted: one of a noun is singular, any other count plural, with thousands separators', () => {
    // Was "1 paths", "1 rounds", "each of 1 workers".
    expect(counted(1, 'path')).toBe('1 path');
    expect(counted(0, 'path')).toBe('0 paths');
    expect(counted(2, 'round')).toBe('2 rounds');
    expect(counted(1_000_000, 'account')).toBe('1,000,000 accounts');
    expect(counted(1n, 'record')).toBe('1 record');
    expect(counted(3n, 'record')).toBe('3 records');
    expect(counted(1, 'batch', 'batches')).toBe('1 batch');
    expect(counted(2, 'batch', 'batches')).toBe('2 batches');
  });

  it('wrapUsage: a line that fits is kept; a longer flag line continues under its description, prose under itself', () => {
    const flag = `  --fund USD   ${'amount '.repeat(6).trim()}`;
    expect(wrapUsage(flag, 80)).toBe(flag);
    // The description starts at column 15 (2 + 10 + 3): 40 - 15 = 25 columns of it a line.
    expect(wrapUsage(flag, 40).split('\n')).toEqual([
      '  --fund USD   amount amount amount',
      '               amount amount amount',
    ]);
    expect(wrapUsage('one two three four five six seven', 20).split('\n')).toEqual(['one two three four', 'five six seven']);
    expect(wrapUsage('short\n  --x  keep', 20)).toBe('short\n  --x  keep');
  });

  it('the width is the terminal\'s, 80 when stdout is not a terminal', () => {
    expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
    expect(terminalWidth({ isTTY: false, columns: 132 })).toBe(80);
    expect(terminalWidth({})).toBe(80);
  });
});
