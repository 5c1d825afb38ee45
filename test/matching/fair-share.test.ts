import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { parseRunnersConfig } from '../../src/config/runners.js';
import { loadJobReport } from '../../src/explain/job-report.js';
import type { BoardCapacity } from '../../src/kube/capacity.js';
import { createLogger } from '../../src/logger.js';
import { createBoardPasses, type BoardPasses } from '../../src/matching/pass.js';
import { redisKeys } from '../../src/queues/keys.js';
import { closeQueues, createQueues, type Queues } from '../../src/queues/producers.js';
import { createTestDb, createTestRedis, type TestDb, type TestRedis } from '../helpers/stores.js';

let t: TestDb;
let r: TestRedis;
let queues: Queues;
beforeAll(async () => {
  t = await createTestDb({ max: 12 });
  r = createTestRedis();
  queues = createQueues(r.redis, r.prefix);
});
afterAll(async () => {
  await closeQueues(queues);
  await r.drop();
  await t.drop();
});
beforeEach(async () => {
  await t.db.$client.query('delete from workers; delete from jobs');
});

const capacity = (board: string, slots: number): BoardCapacity => ({
  board,
  nodes: Array.from({ length: slots }, (_, i) => ({
    name: `${board}-${i}`,
    slots: 1,
    ready: true,
    schedulable: true,
  })),
  slots,
  occupants: new Map(),
});

function passes(yaml: string, slots: Record<string, number>): BoardPasses {
  return createBoardPasses({
    db: t.db,
    schema: t.schema,
    runners: parseRunnersConfig(yaml, 'runners.yaml'),
    cluster: { capacity: (board) => Promise.resolve(capacity(board, slots[board] ?? 0)) },
    queues,
    namePrefix: 'rise-riscv-runner-test',
    isDrained: () => Promise.resolve(false),
    maxRunnerAttempts: 3,
    log: createLogger({ level: 'silent' }),
  });
}

let nextJobId = 1;
/** Queues `count` pending jobs for an entity, `secondsAgo` seconds ago (one second apart). */
async function queue(
  e: { id: number; type: 'Organization' | 'User'; repo: string },
  board: string,
  count: number,
  secondsAgo: number,
): Promise<number[]> {
  const ids = Array.from({ length: count }, () => nextJobId++);
  await t.db.$client.query(
    `insert into jobs (job_id, status, entity_id, entity_name, entity_type, repo_full_name,
       installation_id, job_labels, k8s_pool, k8s_image, created_at)
     select id, 'pending', $2, $3, $4, $5, 99, $6::jsonb, $7, 'img',
       now() - make_interval(secs => $8 - ord)
     from unnest($1::bigint[]) with ordinality as u(id, ord)`,
    [
      ids,
      e.id,
      e.type === 'User' ? e.repo : e.repo.split('/')[0],
      e.type,
      e.repo,
      JSON.stringify([board]),
      board,
      secondsAgo,
    ],
  );
  return ids;
}

/** The worker reserved on the board runs its job to the end (its slot frees up). */
async function finish(podName: string): Promise<void> {
  await t.db.$client.query(
    `update jobs set status = 'completed', runner_name = $1
     where job_id = (select reserved_for_job_id from workers where pod_name = $1)`,
    [podName],
  );
  await t.db.$client.query(
    `update workers set status = 'completed', completed_at = now() - interval '1 hour'
     where pod_name = $1`,
    [podName],
  );
}

const reservedFor = async (podName: string) =>
  (
    await t.db.$client.query<{ entity_id: string }>(
      'select entity_id from workers where pod_name = $1',
      [podName],
    )
  ).rows[0]!.entity_id;

const YAML = `
allowlist: true
pools:
  - { labels: [b1], board: b1, image: img }
  - { labels: [b2], board: b2, image: img }
`;

it('takes turns on a scarce board: an org with 500 queued jobs does not make another org’s first job wait behind them', async () => {
  const big = { id: 101, type: 'Organization' as const, repo: 'pytorch/pytorch' };
  const small = { id: 202, type: 'Organization' as const, repo: 'llvm/llvm-project' };
  await queue(big, 'b1', 500, 3600);
  await queue(small, 'b1', 2, 60);
  const p = passes(YAML, { b1: 1 });
  const order: string[] = [];
  for (let turn = 0; turn < 5; turn++) {
    const res = await p.run('b1');
    expect(res.reserved).toHaveLength(1);
    order.push(await reservedFor(res.reserved[0]!));
    await finish(res.reserved[0]!);
  }
  // The big org's oldest job goes first (nobody was served yet), then the entities alternate;
  // FIFO by queue time alone would have served the big org five times.
  expect(order).toEqual(['101', '202', '101', '202', '101']);
});

it('holds max_workers_per_owner across an owner’s repositories under concurrent reservations on two boards', async () => {
  const yaml = `${YAML}defaults: { max_workers: 20, max_workers_per_owner: 4 }\n`;
  const repos = Array.from({ length: 6 }, (_, i) => ({
    id: 1000 + i,
    type: 'User' as const,
    repo: `Alice/repo-${i}`,
  }));
  const bob = { id: 2000, type: 'User' as const, repo: 'bob/one' };
  for (const [i, repo] of repos.entries()) await queue(repo, i % 2 ? 'b1' : 'b2', 5, 100);
  await queue(bob, 'b1', 2, 100);
  // Three "processes" per board, all at once; a few rounds, as a race shows only sometimes.
  const procs = Array.from({ length: 6 }, () => passes(yaml, { b1: 30, b2: 30 }));
  for (let round = 0; round < 5; round++) {
    await t.db.$client.query('delete from workers');
    await Promise.all(procs.map((p, i) => p.run(i % 2 ? 'b1' : 'b2')));
    await Promise.all(procs.map((p, i) => p.run(i % 2 ? 'b2' : 'b1')));
    const { rows } = await t.db.$client.query<{ owner: string; n: number }>(
      `select split_part(repo_full_name, '/', 1) as owner, count(*)::int as n from workers
       where status in ('pending', 'running') group by 1 order by 1`,
    );
    expect(rows).toEqual([
      { owner: 'Alice', n: 4 },
      { owner: 'bob', n: 2 },
    ]);
  }
  const waiting = await procs[0]!.run('b1');
  expect([...waiting.waiting.values()]).toContain('owner_at_cap');
  expect([...waiting.waiting.values()].every((w) => w === 'owner_at_cap')).toBe(true);
});

it('explains both on a job report: whose turn comes first on a full board, and an owner at its cap', async () => {
  const pytorch = { id: 301, type: 'Organization' as const, repo: 'pytorch/pytorch' };
  const llvm = { id: 302, type: 'Organization' as const, repo: 'llvm/llvm-project' };
  const acme = { id: 303, type: 'Organization' as const, repo: 'acme/app' };
  // acme got the board's only slot; pytorch was served long ago, llvm never.
  await queue(acme, 'b1', 2, 500);
  const p = passes(YAML, { b1: 1 });
  await p.run('b1');
  await t.db.$client.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id,
       job_labels, k8s_pool, k8s_image, status, created_at, completed_at)
     values ('old-pytorch', 301, 'pytorch', 'Organization', 99, '["b1"]', 'b1', 'img',
       'completed', now() - interval '2 days', now() - interval '2 days')`,
  );
  await queue(pytorch, 'b1', 1, 100);
  await queue(llvm, 'b1', 1, 50);
  const [waitingJob] = (
    await t.db.$client.query<{ job_id: string }>(
      `select job_id from jobs where entity_id = 303 and status = 'pending'
       and job_id not in (select reserved_for_job_id from workers where reserved_for_job_id is not null)`,
    )
  ).rows;
  const active = (
    await t.db.$client.query<{ pod_name: string }>(
      `select pod_name from workers where status = 'pending'`,
    )
  ).rows.map((x) => x.pod_name);
  await r.redis.set(
    redisKeys(r.prefix).cluster,
    JSON.stringify({
      at: new Date().toISOString(),
      nodes: [{ name: 'n1', board: 'b1', slots: 1, ready: true, schedulable: true, pods: active }],
      pods: [],
    }),
  );
  const runners = parseRunnersConfig(
    `${YAML}entities: [{ id: 303, max_workers_per_owner: 1 }]\n`,
    'runners.yaml',
  );
  const report = await loadJobReport(
    { db: t.db, redis: r.redis, prefix: r.prefix, runners },
    Number(waitingJob!.job_id),
  );
  const codes = report!.explanation.reasons.map((x) => x.code);
  expect(codes).toContain('owner_at_cap');
  expect(report!.explanation.reasons.find((x) => x.code === 'owner_at_cap')!.message).toMatch(
    /^owner acme is at max_workers_per_owner \(1 of 1\)/,
  );
  expect(report!.explanation.reasons.find((x) => x.code === 'turn')!.message).toBe(
    'its entity had the last slot on board b1; next turn after llvm, pytorch.',
  );
});
