/**
 * /usage fits a 1280 px window in headless Chromium even with several pools, long labels, long
 * names and Kubernetes event messages, and many active jobs: nothing runs off the right edge.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../src/queues/cache-values.js';
import { redisKeys } from '../../src/queues/keys.js';
import type { TestDb, TestRedis } from '../helpers/stores.js';
import {
  ADMIN_TOKEN,
  insertJob,
  startOperatorStack,
  type OperatorStack,
  type OperatorWeb,
} from '../operator/helpers.js';
import { chromiumMissing, launchChromium, screenshot, watchPage } from './chromium.js';

let pg: TestDb;
let redis: TestRedis;
let stack: OperatorStack;
let web: OperatorWeb;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let seen: ReturnType<typeof watchPage>;

const missing = chromiumMissing();
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
const LONG_LABEL = 'ubuntu-24.04-riscv-rvv-with-a-very-long-custom-label-nobody-would-wrap';
const BOARDS = ['scw-em-rv1', 'cloudv10x-rvv', 'cloudv10x-pioneer'];

beforeAll(async () => {
  if (missing) return;
  stack = await startOperatorStack();
  ({ pg, redis } = stack);
  web = await stack.web();
  const pods: ClusterSnapshot['pods'] = [];
  let id = 1;
  // Six pools: two entities with long names on three boards, each with long labels and many jobs.
  for (const [e, entityName] of [
    'a-rather-long-organisation-name-for-testing',
    'another-organisation-x',
  ].entries()) {
    for (const board of BOARDS) {
      const labels = [LONG_LABEL, `${board}-extra-label-${'x'.repeat(30)}`];
      for (let j = 0; j < 8; j++) {
        const jobId = 9_000_000_000 + id++;
        await insertJob(pg.db, {
          jobId,
          entityId: e + 1,
          entityName,
          labels,
          board,
          createdAt: minutesAgo(5 + j * 20),
        });
        await pg.db.$client.query(
          `update jobs set html_url = $2, job_name = $3 where job_id = $1`,
          [
            jobId,
            `https://github.com/${entityName}/app/actions/runs/123456789/job/${jobId}`,
            `build-and-test-on-${board}-${'matrix-'.repeat(6)}`,
          ],
        );
      }
      const pod = `rise-riscv-runner-${board}-${e}-abcdefghij`;
      await pg.db.$client.query(
        `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels,
           k8s_pool, k8s_image, status, k8s_node, pod_created_at)
         values ($1, $2, $3, 'Organization', 77, $4::jsonb, $5, 'img', 'running', $6, now())`,
        [
          pod,
          e + 1,
          entityName,
          JSON.stringify(labels),
          board,
          `${board}-node-0001.example.internal`,
        ],
      );
      pods.push({
        name: pod,
        phase: 'Pending',
        node: `${board}-node-0001.example.internal`,
        board,
        entityId: String(e + 1),
        reason: 'ContainerCreating',
        createdAt: null,
        events: [
          {
            type: 'Warning',
            reason: 'FailedMount',
            message: `MountVolume.SetUp failed for volume "kube-api-access-${'q'.repeat(40)}": object "default"/"kube-root-ca.crt" not registered`,
            count: 4,
            at: new Date().toISOString(),
          },
        ],
      });
    }
  }
  const snapshot: ClusterSnapshot = {
    at: new Date().toISOString(),
    nodes: BOARDS.map((board) => ({
      name: `${board}-node-0001.example.internal`,
      board,
      slots: 2,
      ready: true,
      schedulable: true,
      pods: pods.filter((p) => p.board === board).map((p) => p.name),
    })),
    pods,
  };
  await redis.redis.set(redisKeys(redis.prefix).cluster, JSON.stringify(snapshot));
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  seen = watchPage(page);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

describe('/usage at 1280 px', { timeout: 60_000 }, () => {
  it('no horizontal scrolling with six pools, long labels and 48 jobs; charts drawn, CSP respected', async () => {
    if (missing) throw new Error(missing);
    await page.goto(`${web.url}/usage`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Usage');
    await expect(page.locator('section.pool table.jobs tbody tr').count()).resolves.toBe(48);
    await expect(page.locator('svg.chart').count()).resolves.toBe(2 * BOARDS.length);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    await screenshot(page, 'usage-1280');
    expect(width).toBeLessThanOrEqual(1280);
    // The stylesheet applied (a CSP refusal would leave it unstyled and log an error).
    await expect(page.evaluate<number>('document.styleSheets.length')).resolves.toBe(1);
    expect(seen.problems).toEqual([]);
  });
});
