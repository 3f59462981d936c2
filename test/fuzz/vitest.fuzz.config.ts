import { defineConfig } from 'vitest/config';

/** `npm run fuzz`: only the long run, no per-test time limit, output straight to the terminal. */
export default defineConfig({
  test: {
    include: ['test/fuzz/long.fuzz.ts'],
    testTimeout: 0,
    hookTimeout: 0,
    pool: 'forks',
    disableConsoleIntercept: true,
    reporters: ['default'],
  },
});
