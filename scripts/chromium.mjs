#!/usr/bin/env node
/**
 * The browser tests' set-up, run by `npm test` before anything else: Debian's Chromium, which the
 * tests drive through playwright-core (no browser is ever downloaded).
 *
 * - CHROMIUM_PATH, when set, must be an executable: used as it is.
 * - Otherwise /usr/bin/chromium; when it is missing on a Debian-like system and this user may
 *   install packages (root, or sudo without a password), `apt-get install chromium` runs now.
 * - Otherwise the script stops at once (exit 1) with the one command to run.
 */
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

const DEFAULT = '/usr/bin/chromium';
const INSTALL = 'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';

const executable = (path) => { try { accessSync(path, constants.X_OK); return true; } catch { return false; } };
const stop = (message) => { console.error(`chromium: ${message}`); process.exit(1); };
const run = (command, args) => spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;

const given = process.env.CHROMIUM_PATH;
if (given) {
  if (!executable(given)) stop(`CHROMIUM_PATH=${given} is not an executable file; unset it to use ${DEFAULT}`);
  console.log(`chromium: ${given} (CHROMIUM_PATH)`);
  process.exit(0);
}
if (executable(DEFAULT)) {
  console.log(`chromium: ${DEFAULT}`);
  process.exit(0);
}
if (process.platform !== 'linux' || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  stop(`${DEFAULT} is missing and this is not a Debian-like system: install Chromium and set CHROMIUM_PATH to its executable`);
}
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!root && !sudo) stop(`${DEFAULT} is missing; install Debian's chromium, then run the tests again:\n  ${INSTALL}`);
console.log(`chromium: ${DEFAULT} is missing: installing Debian's chromium package`);
const apt = (...args) => (root ? run('apt-get', args) : run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
if (!apt('update') || !apt('install', '-y', 'chromium')) stop(`apt-get could not install chromium; run:\n  ${INSTALL}`);
if (!executable(DEFAULT)) stop(`apt-get installed chromium but ${DEFAULT} is still missing`);
console.log(`chromium: ${DEFAULT} (installed)`);
