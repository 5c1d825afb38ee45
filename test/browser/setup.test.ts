/**
 * /setup in a real browser (headless Chromium via playwright-core), end to end against the
 * simulated GitHub, which serves both GitHub's App-creation page and its API: log in, choose the
 * org App, post its manifest to GitHub, come back to the callback and see the App's id, key and
 * webhook secret once; a reload shows nothing. Then the created App's credentials, as the page
 * showed them, pass /setup/check for an installation of it. Screenshots go to artifacts/browser/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubSim, type GitHubSim, type Listening } from '../../src/sim/github/index.js';
import { startSetupWeb, type SetupWeb } from '../deploy/setup-web.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';
import { ADMIN_TOKEN } from '../operator/helpers.js';
import { chromiumMissing, launchChromium, screenshot, watchPage } from './chromium.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let gh: Listening;
let pg: TestDb;
let redis: TestRedis;
let web: SetupWeb;
let checker: SetupWeb | undefined;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let seen: ReturnType<typeof watchPage>;
/** What the callback page showed, as an operator would copy it. */
const shown: Record<string, string> = {};

// Without Chromium every test below fails (in beforeEach) saying how to install it.
const missing = chromiumMissing();

beforeAll(async () => {
  if (missing) return;
  browser = await launchChromium();
  sim = createGitHubSim({ apps: simApps() });
  gh = await sim.listen();
  pg = await createTestDb();
  redis = createTestRedis();
  web = await startSetupWeb({
    db: pg.db,
    redisUrl: redis.url,
    prefix: redis.prefix,
    githubUrl: gh.url,
  });
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  seen = watchPage(page);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await checker?.close();
  await web?.close();
  await sim?.close();
  await pg?.drop();
  await redis?.drop();
});

beforeEach(() => {
  if (missing) throw new Error(missing);
  seen?.clear();
});

describe('/setup in Chromium', { timeout: 60_000 }, () => {
  it('log in, choose the org App, post its manifest to GitHub, and see its credentials once', async () => {
    await page.goto(`${web.url}/setup`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${web.url}/setup`), page.click('button[type="submit"]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('Set up the GitHub Apps');
    await page.check('input[name="kind"][value="org"]');
    await page.fill('#owner', 'riseproject-dev');
    await screenshot(page, 'setup-01-choose');

    await Promise.all([page.waitForURL(`${web.url}/setup/start`), page.click('#continue')]);
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'Create RISE RISC-V Runners Staging',
    );
    await screenshot(page, 'setup-02-confirm');

    // The form posts to GitHub's App-creation page, which redirects back with a one-time code.
    const [conversion] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(`${web.url}/setup/callback?`)),
      page.click('#create'),
    ]);
    expect(conversion.status()).toBe(200);
    expect(conversion.request().redirectedFrom()?.url()).toBe(
      `${gh.url}/organizations/riseproject-dev/settings/apps/new?state=${new URL(page.url()).searchParams.get('state')}`,
    );
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'RISE RISC-V Runners Staging was created',
    );
    for (const name of ['GHAPP_ORG_APP_ID', 'GHAPP_ORG_PRIVATE_KEY', 'GHAPP_WEBHOOK_SECRET']) {
      shown[name] = (await page.locator(`pre[data-variable="${name}"]`).textContent()) ?? '';
    }
    expect(Number(shown.GHAPP_ORG_APP_ID)).toBe(sim.apps.org.id);
    expect(shown.GHAPP_ORG_PRIVATE_KEY).toBe(sim.apps.org.privateKeyPem);
    expect(shown.GHAPP_WEBHOOK_SECRET).toBe(sim.apps.org.webhook.secret);
    expect(sim.apps.org.webhook.url).toBe(`${web.url}/webhook`);
    await screenshot(page, 'setup-03-created');

    // GitHub hands the App over once; nothing was kept here, so a reload shows nothing.
    const again = await page.reload();
    expect(again?.status()).toBe(410);
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain('already used or has expired');
    expect(text).not.toContain(shown.GHAPP_WEBHOOK_SECRET);
    expect(text).not.toContain('PRIVATE KEY');
    await screenshot(page, 'setup-04-reload');
    expect(seen.problems).toEqual([]);
  });

  it('/setup/check: an installation of the created App is ready, with the credentials as shown', async () => {
    expect(shown.GHAPP_ORG_APP_ID).toBeTruthy();
    sim.addOrg({ login: 'acme' });
    const installation = sim.installApp('org', 'acme');
    checker = await startSetupWeb({
      db: pg.db,
      redisUrl: redis.url,
      prefix: redis.prefix,
      githubUrl: gh.url,
      apps: {
        org: { appId: Number(shown.GHAPP_ORG_APP_ID), privateKey: shown.GHAPP_ORG_PRIVATE_KEY! },
      },
    });
    // Same host, same admin token: the session cookie from the login above is good here too.
    await page.goto(`${checker.url}/setup/check?installation_id=${installation.id}`);
    await expect(page.locator('[role="status"]').textContent()).resolves.toContain(
      'Ready to serve jobs',
    );
    await expect(page.locator('tr[data-check="jit"] .badge').textContent()).resolves.toBe('ok');
    await screenshot(page, 'setup-05-check');

    await page.goto(`${checker.url}/setup/check?installation_id=987654`);
    await expect(page.locator('[role="status"]').textContent()).resolves.toContain('Not ready');
    await expect(
      page.locator('tr[data-check="installation"] td').last().textContent(),
    ).resolves.toMatch(/belongs to neither App/);
    await screenshot(page, 'setup-06-check-missing');
    expect(seen.problems).toEqual([]);
  });
});
