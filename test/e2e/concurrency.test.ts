import { afterAll, expect, it } from 'vitest';
import type { Binding } from '../../src/sim/kube/index.js';
import { org } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

let sys: TestSystem | undefined;
afterAll(async () => sys?.close());

const ENTITIES = 10;
const JOBS_PER_ENTITY = 30;
const CAP = 5;
const SLOTS = 40;

/** The most pods bound at once among bindings grouped by `key`. */
function peakBy(bindings: readonly Binding[], key: (b: Binding) => string): Map<string, number> {
  const steps = bindings.flatMap((b) => [
    { k: key(b), seq: b.boundSeq, d: 1 },
    ...(b.releasedSeq !== undefined ? [{ k: key(b), seq: b.releasedSeq, d: -1 }] : []),
  ]);
  steps.sort((a, b) => a.seq - b.seq);
  const cur = new Map<string, number>();
  const peak = new Map<string, number>();
  for (const s of steps) {
    cur.set(s.k, (cur.get(s.k) ?? 0) + s.d);
    peak.set(s.k, Math.max(peak.get(s.k) ?? 0, cur.get(s.k)!));
  }
  return peak;
}

it(`3 worker processes, ${ENTITIES * JOBS_PER_ENTITY} jobs, ${ENTITIES} entities capped at ${CAP}, ${SLOTS} slots: caps hold, one pod per node, one runner per job`, async () => {
  const ids = Array.from({ length: ENTITIES }, (_, i) => 7001 + i);
  sys = await startSystem({
    workers: 0,
    runnersYaml: `
allowlist: true
pools:
  - { labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: runner:24.04 }
  - { labels: [ubuntu-26.04-riscv], board: scw-em-rv1, image: runner:26.04 }
entities: [${ids.map((id) => `{ id: ${id}, max_workers: ${CAP} }`).join(', ')}]`,
    sim: {
      nodes: Array.from({ length: SLOTS }, (_, i) => ({ name: `node-${i}`, board: 'scw-em-rv1' })),
    },
  });
  const s = sys;
  for (let i = 0; i < 3; i++)
    s.spawnWorker({ PROVISION_CONCURRENCY: '4', RUNNER_CONCURRENCY: '8' });
  const repos = ids.map((id, i) => org(s.sim, `org-${i}`, 'ci', id).repo);
  const queued: number[] = [];
  for (let n = 0; n < JOBS_PER_ENTITY; n++) {
    for (const [i, repo] of repos.entries()) {
      const labels = (n + i) % 2 === 0 ? ['ubuntu-24.04-riscv'] : ['ubuntu-26.04-riscv'];
      queued.push(
        s.sim.github.queueJob({ repo, labels, durationMs: 40 + ((n * 7 + i * 13) % 60) }).id,
      );
    }
  }

  await waitFor(() => s.sim.github.listJobs({ status: 'completed' }).length === queued.length, {
    timeoutMs: 120_000,
    intervalMs: 200,
    what: 'every job completed',
  });
  const jobs = queued.map((id) => s.sim.github.getJob(id)!);
  expect(jobs.every((j) => j.conclusion === 'success')).toBe(true);

  // Every job got exactly one runner, and every runner ran exactly one job.
  const runnerNames = jobs.map((j) => j.runnerName);
  expect(new Set(runnerNames).size).toBe(queued.length);
  const summary = await s.query(
    'select status, (pod_created_at is not null) as pod, count(*)::int from workers group by 1, 2',
  );
  if (process.env.DEBUG_CONCURRENCY) {
    console.log(summary);
    console.log(
      await s.query(`select
      percentile_cont(array[0.5,0.9,0.99]) within group (order by extract(epoch from w.created_at - j.created_at)) as queued_to_reserved,
      percentile_cont(array[0.5,0.9,0.99]) within group (order by extract(epoch from w.pod_created_at - w.created_at)) as reserved_to_pod,
      percentile_cont(array[0.5,0.9,0.99]) within group (order by extract(epoch from w.running_at - w.pod_created_at)) as pod_to_running,
      percentile_cont(array[0.5,0.9,0.99]) within group (order by extract(epoch from w.completed_at - w.running_at)) as running_to_done,
      min(j.created_at), max(j.created_at), max(w.completed_at)
      from workers w join jobs j on j.job_id = w.reserved_for_job_id`),
    );
  }
  const workers = await waitFor(
    async () => {
      const rows = await s.query<{ pod_name: string; status: string }>(
        'select pod_name, status from workers',
      );
      return rows.every((w) => w.status === 'completed') ? rows : undefined;
    },
    { timeoutMs: 20_000, what: 'every worker completed' },
  );
  expect(workers).toHaveLength(queued.length);
  expect(new Set(workers.map((w) => w.pod_name))).toEqual(new Set(runnerNames));
  expect(s.sim.github.listRunners()).toHaveLength(0);
  // Our records agree once the last webhooks have landed.
  await waitFor(
    async () =>
      (await s.query(`select count(*)::int as n from jobs where status = 'completed'`))[0].n ===
      queued.length,
    {
      timeoutMs: 20_000,
      what: 'every job completed in PostgreSQL',
    },
  );

  // At no instant did a node hold two runner pods, or an entity exceed its cap.
  const bindings = s.sim.kube.control.bindings();
  expect(bindings).toHaveLength(queued.length);
  expect(s.sim.kube.control.maxConcurrentPodsPerNode()).toBe(1);
  const perEntity = peakBy(bindings, (b) => b.labels['riseproject.dev/entity-id'] ?? '?');
  expect(perEntity.size).toBe(ENTITIES);
  expect(Math.max(...perEntity.values())).toBeLessThanOrEqual(CAP);
  // …and several entities ran at once (the nodes were shared, not handed to one entity at a time).
  expect(peakBy(bindings, () => 'all').get('all')).toBeGreaterThan(CAP);
}, 180_000);
