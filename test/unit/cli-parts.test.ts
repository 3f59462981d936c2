import { describe, expect, it } from 'vitest';
import { defaultWorkers, describeWorkers, money, pathsEtaMs, workerBytes } from '../../dist/src/cli/simulate.js';

/**
 * The parts of `riskcore simulate` a user reads, as functions: the money cells of the summary, the
 * time left on the progress line, and the default worker count from free memory.
 */

describe('summary money cells', () => {
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
