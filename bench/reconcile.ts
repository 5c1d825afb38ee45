/**
 * npm run bench:reconcile — what one full reconciliation pass costs: GitHub calls (counted by the
 * simulator, per route) and wall time, with 0, 100 and 1,000 active jobs across 50 entities.
 *
 * Each scenario is a fresh system in this process (the simulator, the real web and worker apps,
 * its own PostgreSQL schema and Redis prefix, dropped at the end). Jobs arrive as webhooks and
 * are served for real: 90 % run on their runner pods (jobs that last an hour), the rest wait for a
 * free node. Then every job's last webhook is made an hour old, so job-status checks are due,
 * and every task runs once, in order: first with every runner scope due for its scan (as happens
 * once per RUNNER_SCAN_INTERVAL_SECONDS), then REPEAT more times between scans (their mean calls
 * and median duration are shown). The simulator shares this process, so durations include its
 * work. PostgreSQL and Redis are found as the tests find them (TEST_DATABASE_URL, TEST_REDIS_URL).
 * ACTIVE=0,100,1000 and REPEAT=5 change the scenarios.
 */
import { RECONCILE_TASKS, type ReconcileTask } from '../src/repeatables/job-schedulers.js';
import { percentile } from '../src/util/stats.js';
import { org, user } from '../test/helpers/scenario.js';
import { BASE_RUNNERS, startSystem, type TestSystem } from '../test/helpers/system.js';
import { fmt, waitUntil } from './lib.js';

const ACTIVE = (process.env.ACTIVE ?? '0,100,1000').split(',').map(Number);
const ORGS = 35;
const USERS = 15;
const REPEAT = Number(process.env.REPEAT ?? 5);
const RUNNING_SHARE = 0.9;
const LABELS = ['ubuntu-24.04-riscv'];
// Production's defaults; RECONCILE_BATCH is the test system's 100, also the default.
const TIMINGS = { jobStatusStaleSeconds: 60, runnerScanIntervalSeconds: 300 };

interface Pass {
  ms: number;
  calls: number;
  byRoute: Record<string, number>;
  taskMs: Record<ReconcileTask, number>;
}

/** One pass of every task, in order; GitHub calls counted from zero. */
async function fullPass(s: TestSystem): Promise<Pass> {
  s.sim.github.resetCalls();
  const taskMs = {} as Record<ReconcileTask, number>;
  const started = performance.now();
  for (const task of RECONCILE_TASKS) {
    const t = performance.now();
    await s.pass(task);
    taskMs[task] = performance.now() - t;
  }
  const ms = performance.now() - started;
  const calls = s.sim.github.calls();
  return { ms, calls: calls.total, byRoute: calls.byRoute, taskMs };
}

/** The mean of several passes' calls, and their median durations. */
function typical(passes: Pass[]): Pass {
  const median = (f: (p: Pass) => number) =>
    percentile(
      passes.map(f).sort((a, b) => a - b),
      50,
    );
  const byRoute: Record<string, number> = {};
  for (const p of passes)
    for (const [route, n] of Object.entries(p.byRoute))
      byRoute[route] = (byRoute[route] ?? 0) + n / passes.length;
  const taskMs = Object.fromEntries(
    RECONCILE_TASKS.map((task) => [task, median((p) => p.taskMs[task])]),
  ) as Record<ReconcileTask, number>;
  return {
    ms: median((p) => p.ms),
    calls: passes.reduce((sum, p) => sum + p.calls, 0) / passes.length,
    byRoute,
    taskMs,
  };
}

async function scenario(active: number) {
  const running = Math.round(active * RUNNING_SHARE);
  const s = await startSystem({
    runnersYaml: `defaults: { max_workers: null }\n${BASE_RUNNERS}`,
    timings: TIMINGS,
    sim: {
      nodes: Array.from({ length: running }, (_, i) => ({ name: `n${i}`, board: 'scw-em-rv1' })),
    },
  });
  try {
    const repos = [
      ...Array.from({ length: ORGS }, (_, i) => org(s.sim, `org-${i}`, 'ci').repo),
      ...Array.from({ length: USERS }, (_, i) => user(s.sim, `dev-${i}`, 'tool').repo),
    ];
    for (let i = 0; i < active; i++)
      s.sim.github.queueJob({ repo: repos[i % repos.length]!, labels: LABELS, durationMs: 3.6e6 });
    const n = async (sql: string) =>
      (await s.query<{ n: number }>(`select count(*)::int as n from ${sql}`))[0]!.n;
    await waitUntil(
      async () =>
        (await n(`jobs where status = 'running'`)) === running &&
        (await n(`jobs where status = 'pending'`)) === active - running &&
        (await n(`workers where status = 'running'`)) === running,
      300_000,
      `${running} jobs running and ${active - running} waiting`,
    );
    await s.query(`update jobs set last_webhook_at = now() - interval '1 hour'`);
    // Past the first run: the deliveries cursor is where the last pass left it.
    await s.pass('redeliveries');
    const due = await fullPass(s);
    const next: Pass[] = [];
    for (let i = 0; i < REPEAT; i++) next.push(await fullPass(s));
    return { active, due, next: typical(next) };
  } finally {
    await s.close();
  }
}

const short = (route: string) =>
  route
    .replace('/actions/runners', '/…/runners')
    .replace('/actions/runner-groups', '/…/runner-groups');

/** Columns padded to their widest cell: text columns (`left`) aligned left, numbers right. */
function table(head: string[], rows: string[][], left: number[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const last = head.length - 1;
  const pad = (c: string, i: number) =>
    !left.includes(i) ? c.padStart(widths[i]!) : i === last ? c : c.padEnd(widths[i]!);
  const line = (cells: string[]) => cells.map(pad).join(' | ');
  const rule = head.map((h, i) => '-'.repeat(i === last ? h.length : widths[i]!));
  return [line(head), line(rule), ...rows.map(line)].join('\n');
}

const num = (n: number) => fmt(n, Number.isInteger(n) ? 0 : 1);

async function main() {
  const results: Awaited<ReturnType<typeof scenario>>[] = [];
  for (const active of ACTIVE) {
    process.stdout.write(`seeding ${active} active jobs…\n`);
    results.push(await scenario(active));
  }
  const passes = results.flatMap((r) => [
    { active: r.active, label: 'runner scans due', p: r.due },
    { active: r.active, label: `between scans (${REPEAT} passes)`, p: r.next },
  ]);
  console.log(
    `\none full reconciliation pass (${RECONCILE_TASKS.join(', ')}), run in order;` +
      `\n${ORGS + USERS} entities (${ORGS} organizations, ${USERS} personal accounts), ` +
      `${RUNNING_SHARE * 100} % of the active jobs running, the rest waiting for a node;` +
      `\nRECONCILE_BATCH 100, JOB_STATUS_STALE_SECONDS ${TIMINGS.jobStatusStaleSeconds} ` +
      `(every job quiet for an hour), RUNNER_SCAN_INTERVAL_SECONDS ${TIMINGS.runnerScanIntervalSeconds};` +
      `\nbetween scans: mean calls and median duration per pass\n`,
  );
  console.log(
    table(
      ['active jobs', 'pass', 'GitHub calls', 'duration ms', 'calls by route'],
      passes.map(({ active, label, p }) => [
        String(active),
        label,
        num(p.calls),
        fmt(p.ms),
        Object.entries(p.byRoute)
          .sort((a, b) => b[1] - a[1])
          .map(([route, k]) => `${short(route)} ${num(k)}`)
          .join(', ') || '—',
      ]),
      [1, 4],
    ),
  );
  console.log('\nduration by task, ms\n');
  console.log(
    table(
      ['active jobs', 'pass', ...RECONCILE_TASKS],
      passes.map(({ active, label, p }) => [
        String(active),
        label,
        ...RECONCILE_TASKS.map((t) => fmt(p.taskMs[t])),
      ]),
      [1],
    ),
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
