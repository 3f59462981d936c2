/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which never downloads a
 * browser): where it is, how it is launched, and a clear failure when it or the build is missing.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const TIMEOUT = 60_000;

/** Fails (never skips) when Chromium or one of the built files (paths from the repository root) is missing. */
export function requireChromium(builtFiles: readonly string[] = []): void {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The browser test uses Debian's chromium and never downloads one: ` +
      'install it with `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium` ' +
      '(`npm test` does this: scripts/chromium.mjs), or set CHROMIUM_PATH to a Chromium executable.',
    );
  }
  for (const file of builtFiles) {
    try {
      accessSync(new URL(`../../${file}`, import.meta.url));
    } catch {
      throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` builds).`);
    }
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: TIMEOUT });
}
