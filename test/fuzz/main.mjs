#!/usr/bin/env node
// `npm run fuzz -- [--seconds N] [--seed N] [--area hostile|scenarios] [--all] [--survey] [--only NAME] [--path P]`:
// runs test/fuzz/long.fuzz.ts under vitest (the fuzzer imports TypeScript test support), passing
// the flags through the environment. Exits non-zero on the first failure, printing its reproducer.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const usage = 'usage: npm run fuzz -- [--seconds N (60)] [--seed N (42)] [--area hostile|scenarios] [--all] [--survey] [--only NAME] [--path P]';
const env = { ...process.env, FUZZ_SECONDS: '60', FUZZ_SEED: '42', FUZZ_ALL: '0', FUZZ_SURVEY: '0', FUZZ_ONLY: '', FUZZ_AREA: '', FUZZ_PATH: '' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  const value = () => {
    const v = args[++i];
    if (v === undefined) { console.error(`${flag} needs a value\n${usage}`); process.exit(2); }
    return v;
  };
  const integer = (v) => {
    if (!/^\d+$/.test(v)) { console.error(`${flag}: ${v} is not a non-negative integer\n${usage}`); process.exit(2); }
    return v;
  };
  if (flag === '--seconds') env.FUZZ_SECONDS = integer(value());
  else if (flag === '--seed') env.FUZZ_SEED = integer(value());
  else if (flag === '--area') env.FUZZ_AREA = value();
  else if (flag === '--path') env.FUZZ_PATH = value();
  else if (flag === '--all') env.FUZZ_ALL = '1';
  else if (flag === '--survey') env.FUZZ_SURVEY = '1';
  else if (flag === '--only') env.FUZZ_ONLY = value();
  else if (flag === '--help' || flag === '-h') { console.log(usage); process.exit(0); }
  else { console.error(`unknown flag ${flag}\n${usage}`); process.exit(2); }
}
if (env.FUZZ_AREA && !['hostile', 'scenarios'].includes(env.FUZZ_AREA)) { console.error(`--area is hostile or scenarios\n${usage}`); process.exit(2); }
const root = fileURLToPath(new URL('../..', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'test/fuzz/vitest.fuzz.config.ts'], { cwd: root, env, stdio: 'inherit' });
process.exit(run.status ?? 1);
