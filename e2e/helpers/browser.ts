/**
 * Headless Chromium for the tests that look at pages as a user does: Debian's `chromium` driven by
 * playwright-core (no browser download). When chromium is not installed the tests say so and skip;
 * `.ci/run` installs it. Screenshots go to e2e/artifacts/ (gitignored), kept after the run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.PARAJOB_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

if (!hasChromium)
  console.warn(
    `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PARAJOB_CHROMIUM)`,
  );

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where a screenshot named `name` goes (the folder is created on first use). */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}${name}`;
}
