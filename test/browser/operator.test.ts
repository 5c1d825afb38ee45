/**
 * The operator pages in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the real web app with ADMIN_TOKEN, on a system that served one job
 * end to end and has one waiting (the simulator has no node of its board). Screenshots of every
 * step are kept under artifacts/browser/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/queues/keys.js';
import { jobIds } from '../../src/queues/registry.js';
import { org, waitForJob } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { ADMIN_TOKEN, startSystemOperatorWeb, type OperatorWeb } from '../operator/helpers.js';
import { chromiumMissing, launchChromium, screenshot, watchPage } from './chromium.js';

const QUEUES = ['ingest', 'provision', 'runners', 'reconcile'];

let sys: TestSystem;
let web: OperatorWeb;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let seen: ReturnType<typeof watchPage>;
let done: { id: number };
let waiting: { id: number };

// Without Chromium every test below fails (in beforeEach) saying how to install it.
const missing = chromiumMissing();

beforeAll(async () => {
  if (missing) return;
  browser = await launchChromium();
  sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
  org(sys.sim, 'acme');
  done = sys.sim.github.queueJob({
    repo: 'acme/app',
    labels: ['ubuntu-24.04-riscv'],
    durationMs: 30,
  });
  await waitForJob(sys, done.id, 'completed');
  // cloudv10x-rvv has no node in the simulator: this job waits, its provisioning job delayed.
  waiting = sys.sim.github.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv-rvv'] });
  await waitFor(
    async () => {
      const job = await sys.workers[0]!.queues.provision.getJob(jobIds.provision(waiting.id));
      return job && (await job.isDelayed());
    },
    { what: 'the waiting job delayed' },
  );
  // The worker leader publishes the cluster snapshot the pages read.
  await waitFor(() => sys.redis.redis.get(redisKeys(sys.redis.prefix).cluster), {
    what: 'cluster snapshot',
  });
  web = await startSystemOperatorWeb(sys);
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  seen = watchPage(page);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await web?.close();
  await sys?.close();
});

beforeEach(() => {
  if (missing) throw new Error(missing);
  // Each test answers for the problems its own pages showed.
  seen?.clear();
});

const at = (path: string) => `${web.url}${path}`;

/** The page's stylesheet applied (the CSP allows exactly our one inline stylesheet). */
function styled(p: Page) {
  // A string: this runs in the page, and the project's types have no DOM.
  return p.evaluate<{ sheets: number; header: string }>(
    `({ sheets: document.styleSheets.length,
        header: getComputedStyle(document.querySelector('header')).backgroundColor })`,
  );
}

describe('operator pages in Chromium', { timeout: 60_000 }, () => {
  it('log in: a browser without a session lands on the form; a wrong token is refused, the right one opens /usage', async () => {
    await page.goto(at('/usage'));
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2Fusage');
    await expect(page.locator('h1').textContent()).resolves.toBe('Operator login');

    await page.fill('#token', 'not-the-admin-token-at-all');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url() === at('/login') && r.request().method() === 'POST'),
      page.click('button[type="submit"]'),
    ]);
    expect(refused.status()).toBe(401);
    await expect(page.locator('[role="alert"]').textContent()).resolves.toBe(
      'That is not the admin token.',
    );
    expect((await context.cookies()).map((c) => c.name)).not.toContain('rise_session');
    await screenshot(page, '01-login-refused');

    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(at('/usage')), page.click('button[type="submit"]')]);
    const session = (await context.cookies()).find((c) => c.name === 'rise_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(session!.value).not.toContain(ADMIN_TOKEN);
    expect(seen.problems).toEqual([]);
  });

  it('/usage: styled tables of boards and pools, refreshing itself', async () => {
    await page.goto(at('/usage'));
    await expect(page.locator('h1').textContent()).resolves.toBe('Usage');
    await expect(page.locator('meta[http-equiv="refresh"]').getAttribute('content')).resolves.toBe(
      '10',
    );
    const boards = await page.locator('table#boards tbody tr').allInnerTexts();
    expect(boards.find((r) => r.startsWith('scw-em-rv1'))).toMatch(/^scw-em-rv1\s+1\/1\s+1\s/);
    expect(boards.some((r) => r.startsWith('cloudv10x-rvv'))).toBe(true);
    const pools = await page.locator('table#pools tbody tr').allInnerTexts();
    expect(pools.find((r) => r.includes('ubuntu-24.04-riscv-rvv'))).toMatch(/^acme\b/);
    await expect(page.locator('main p.muted').first().textContent()).resolves.toMatch(
      /cluster snapshot .* refreshes every 10s/s,
    );
    expect(await styled(page)).toEqual({ sheets: 1, header: expect.not.stringMatching(/, 0\)$/) });
    expect(seen.problems).toEqual([]);
    await screenshot(page, '02-usage');
  });

  it('/admin/queues: Bull Board renders every queue, and the waiting job in provision', async () => {
    await page.goto(at('/admin/queues'));
    for (const q of QUEUES) {
      await page.locator(`a[href="/admin/queues/queue/${q}"]`).first().waitFor();
    }
    await screenshot(page, '03-queues');
    await page.goto(at('/admin/queues/queue/provision?status=delayed'));
    await page.getByText(jobIds.provision(waiting.id), { exact: true }).first().waitFor();
    expect(seen.problems).toEqual([]);
    await screenshot(page, '04-provision-delayed');
  });

  it('"Why waiting?": the job page of a waiting job explains it, with its timeline', async () => {
    await page.goto(at('/history'));
    await page.fill('header input[name="id"]', String(waiting.id));
    await Promise.all([
      page.waitForURL(at(`/jobs/${waiting.id}`)),
      page.getByRole('button', { name: 'Why waiting?' }).click(),
    ]);
    await expect(page.locator('#summary').textContent()).resolves.toBe(
      'Waiting: Board cloudv10x-rvv has no nodes (no node is labelled riseproject.dev/board=cloudv10x-rvv).',
    );
    await page.locator('[data-code="no_nodes"]').waitFor();
    await expect(page.locator('[data-code="provisioning"]').textContent()).resolves.toMatch(
      /Provisioning job delayed/,
    );
    const timeline = await page.locator('table#timeline tbody').innerText();
    expect(timeline).toContain('webhook workflow_job.queued');
    expect(await styled(page)).toMatchObject({ sheets: 1 });
    expect(seen.problems).toEqual([]);
    await screenshot(page, '05-job-waiting');

    await page.goto(at(`/jobs/${done.id}`));
    await expect(page.locator('#summary').textContent()).resolves.toMatch(/^Completed \(success\)/);
    await expect(page.locator('table#workers tbody').innerText()).resolves.toMatch(
      /rise-riscv-runner-\w+\s+completed\s+n1/,
    );
    await screenshot(page, '06-job-completed');
  });

  it('logging out ends the session', async () => {
    await page.goto(at('/usage'));
    await Promise.all([
      page.waitForURL(at('/login')),
      page.getByRole('button', { name: 'Log out' }).click(),
    ]);
    await page.goto(at('/jobs/1'));
    expect(page.url()).toBe(at('/login?next=%2Fjobs%2F1'));
    expect(seen.problems).toEqual([]);
  });
});
