/**
 * The pool lists of /usage as pure rendering: the attempts column shows only when some job has
 * failed runner attempts, as "N (last reason)", escaped.
 */
import { describe, expect, it } from 'vitest';
import type { UsageJob } from '../../src/explain/usage-lists.js';
import type { Usage, UsagePool } from '../../src/explain/usage.js';
import { activeLists } from '../../src/api/pages/usage-lists-page.js';

const at = new Date('2026-01-01T12:00:00Z');
const pool: UsagePool = {
  entityId: 1,
  entityName: 'acme',
  entityType: 'Organization',
  labels: ['ubuntu-24.04-riscv'],
  board: 'scw-em-rv1',
  jobs: { pending: 2, running: 0, completedLastHour: 0, failedLastHour: 0 },
  workers: { pending: 0, running: 0, completedLastHour: 0, failedLastHour: 0 },
  available: 0,
  waiting: 2,
  maxWorkers: null,
  entityActive: 0,
  pods: {},
};
const job = (jobId: number, extra: object = {}): UsageJob => ({
  jobId,
  status: 'pending',
  entityId: 1,
  entityName: 'acme',
  entityType: 'Organization',
  repoFullName: 'acme/app',
  installationId: 7,
  jobLabels: ['ubuntu-24.04-riscv'],
  k8sPool: 'scw-em-rv1',
  k8sImage: 'img',
  htmlUrl: null,
  runId: null,
  jobName: null,
  runnerName: null,
  conclusion: null,
  failureInfo: null,
  createdAt: new Date(at.getTime() - 90_000),
  updatedAt: at,
  queuedAt: null,
  startedAt: null,
  completedAt: null,
  lastWebhookAt: at,
  statusCheckedAt: null,
  attempts: [],
  ...extra,
});
const usage = (jobs: UsageJob[]): Usage => ({
  at,
  snapshotAt: null,
  pools: [pool],
  boards: [],
  jobs,
  workers: [],
  listTruncated: false,
  historyFrom: new Date(at.getTime() - 6 * 3600_000),
});

describe('activeLists', () => {
  it('no attempts column when no job entry has attempts', () => {
    const out = activeLists(usage([job(1), job(2)])).value;
    expect(out).toContain('acme/app#1');
    expect(out).toMatch(/<td class="n nowrap" title="[^"]+">1m 30s<\/td>/);
    expect(out).not.toContain('<th>attempts</th>');
  });

  it('"N (last reason)" when job entries carry attempts', () => {
    const attempts = [
      { reason: 'ImagePullBackOff', pod: 'p1', at: at.toISOString() },
      { reason: '<b>OOMKilled</b>', pod: 'p2', at: at.toISOString() },
    ];
    const out = activeLists(usage([job(1, { attempts }), job(2, { attempts: [] })])).value;
    expect(out).toContain('<th>attempts</th>');
    expect(out).toContain('<td>2 (&lt;b&gt;OOMKilled&lt;/b&gt;)</td>');
    expect(out).not.toContain('<b>OOMKilled');
  });
});
