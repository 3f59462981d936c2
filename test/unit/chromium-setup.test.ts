/**
 * `npm test`'s set-up step (scripts/chromium.mjs): a CHROMIUM_PATH that is not an executable stops
 * at once, naming the variable, before anything is installed; a working one is used as it is.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = new URL('../../scripts/chromium.mjs', import.meta.url).pathname;
const run = (env: Record<string, string>) => spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });

describe('the browser tests\' set-up', () => {
  it('a CHROMIUM_PATH that is not an executable: exit 1 naming it, nothing installed', () => {
    const r = run({ CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CHROMIUM_PATH=/nonexistent/chromium is not an executable file');
    expect(r.stdout).not.toContain('installing');
  });

  it('an executable CHROMIUM_PATH is used as it is', () => {
    const r = run({ CHROMIUM_PATH: process.execPath });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`chromium: ${process.execPath} (CHROMIUM_PATH)`);
  });
});
