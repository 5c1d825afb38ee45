import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's `chromium` package; `.ci/run` installs it when `.ci/needs-chromium` exists.
 * CHROMIUM_PATH overrides it (test/browser/missing-chromium.test.ts points it nowhere).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots kept as test artifacts (`artifacts/` is gitignored; CI uploads it). */
export const ARTIFACTS_DIR = join('artifacts', 'browser');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why Chromium cannot run, or undefined. A missing browser fails every browser test with the fix
 * (never a skip): CI installs it, so its absence is a broken machine, not an optional feature.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return (
    `Chromium is not installed at ${CHROMIUM_PATH}, so the browser tests (test/browser/) fail: ` +
    'install it (Debian/Ubuntu: sudo apt-get install chromium), or run .ci/run, which does'
  );
}

/** Headless Chromium with the flags CI uses. */
export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

/** Saves a full-page screenshot under artifacts/browser/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * What went wrong in the page as the browser saw it: uncaught script errors and Content Security
 * Policy refusals (a blocked stylesheet leaves a page unstyled without any server-side error).
 */
export function watchPage(page: Page): { problems: string[]; clear(): void } {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
      problems.push(`CSP: ${msg.text()}`);
    }
  });
  return {
    problems,
    clear() {
      problems.length = 0;
    },
  };
}
