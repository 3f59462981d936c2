/**
 * The long run behind `npm run fuzz` (test/fuzz/main.mjs passes its flags through the environment:
 * FUZZ_SECONDS, FUZZ_SEED, FUZZ_AREA, FUZZ_ALL, FUZZ_SURVEY, FUZZ_ONLY, FUZZ_PATH). Each area gets its share of the time;
 * the counts are printed at the end, and the first unknown failure fails the run with its reproducer.
 */
import { expect, it } from 'vitest';
import { AREAS, runArea, type Area, type AreaResult } from './runner.js';
import { KNOWN_FAILING } from './known.js';
import { Stats } from './stats.js';

const env = process.env;
const seconds = Number(env.FUZZ_SECONDS ?? 60);
const seed = Number(env.FUZZ_SEED ?? 42);
const all = env.FUZZ_ALL === '1';
const survey = env.FUZZ_SURVEY === '1';
const only = env.FUZZ_ONLY || undefined;
const path = env.FUZZ_PATH || undefined;
const areas: Area[] = env.FUZZ_AREA ? [env.FUZZ_AREA as Area] : [...AREAS];
const log = (line: string): void => { process.stdout.write(`${line}\n`); };

it(`fuzz ${areas.join(' + ')} for ${seconds} s from seed ${seed}${all ? ' (known failures included)' : ''}`, async () => {
  expect(areas.every((a) => AREAS.includes(a)), `--area is one of ${AREAS.join(', ')}`).toBe(true);
  log(`fuzzing ${areas.join(', ')} for ${seconds} s, seed ${seed}${all ? ', known failures included' : `, ${Object.keys(KNOWN_FAILING).length} known-failing names tallied only (--all to include)`}`);
  const done: AreaResult[] = [];
  let running: { area: Area; stats: Stats } | undefined;
  try {
    for (const area of areas) {
      running = { area, stats: new Stats() };
      done.push(await runArea(area, { seed, seconds: seconds / areas.length, all, survey, ...(only ? { only } : {}), ...(path ? { path } : {}), log, stats: running.stats }));
      running = undefined;
    }
  } finally {
    for (const r of done) log(`\n== ${r.area}: ${r.runs} cases in ${r.seconds.toFixed(1)} s ==\n${r.stats.format()}`);
    if (running) log(`\n== ${running.area} (stopped by the failure below) ==\n${running.stats.format()}`);
  }
});
