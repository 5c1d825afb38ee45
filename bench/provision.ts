/**
 * npm run bench:provision — queued job → runner pod, through the whole system.
 *
 * Separate processes, as in production: the simulator (GitHub + Kubernetes + Actions), the web
 * process and 1 or 2 worker processes, on real PostgreSQL and Redis. Scenarios:
 *   - a steady 20 jobs/s for DURATION s with 0 ms GitHub latency (latency target);
 *   - a burst of BURST jobs with 50 ms GitHub latency, 1 worker then 2 (scaling target; each
 *     worker with SCALING_RUNNER_CONCURRENCY creations in flight, default 1);
 *   - the same burst with 0 ms latency, for scale.
 * Prints webhook → pod-created latency percentiles, jobs per second, GitHub calls per job (after
 * a warm-up that fills the token and runner-group caches), worker peak RSS and CPU per job.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import {
  cpuMs,
  dropBenchState,
  fmt,
  peakRssMb,
  startProcess,
  stopProcess,
  summarize,
  waitUntil,
} from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RATE = Number(process.env.RATE ?? 20);
const DURATION = Number(process.env.DURATION ?? 15);
const BURST = Number(process.env.BURST ?? 400);
const ENTITIES = 10;
/** Runner creations in flight per worker (the process default, 16, unless set). */
const RUNNER_CONCURRENCY = process.env.RUNNER_CONCURRENCY ?? '16';
/**
 * The scaling scenarios keep each worker's creations few, so that one worker is bound by GitHub's
 * 50 ms and not by this 2-core machine, which also runs the simulator, the web process,
 * PostgreSQL and Redis: at 16 the shared CPU is the limit for one worker and two alike (measured
 * here: 1 → 1.77×, 2 → 1.60×).
 */
const SCALING_RUNNER_CONCURRENCY = process.env.SCALING_RUNNER_CONCURRENCY ?? '1';
const SECRET = 'bench-secret';

interface Scenario {
  name: string;
  latencyMs: number;
  workers: number;
  mode: { rate: number; seconds: number } | { burst: number };
  runnerConcurrency?: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: `${RATE} jobs/s for ${DURATION} s, GitHub 0 ms, 1 worker`,
    latencyMs: 0,
    workers: 1,
    mode: { rate: RATE, seconds: DURATION },
  },
  {
    name: `burst of ${BURST}, GitHub 50 ms, 1 worker (RUNNER_CONCURRENCY=${SCALING_RUNNER_CONCURRENCY})`,
    latencyMs: 50,
    workers: 1,
    mode: { burst: BURST },
    runnerConcurrency: SCALING_RUNNER_CONCURRENCY,
  },
  {
    name: `burst of ${BURST}, GitHub 50 ms, 2 workers (RUNNER_CONCURRENCY=${SCALING_RUNNER_CONCURRENCY})`,
    latencyMs: 50,
    workers: 2,
    mode: { burst: BURST },
    runnerConcurrency: SCALING_RUNNER_CONCURRENCY,
  },
  {
    name: `burst of ${BURST}, GitHub 0 ms, 1 worker`,
    latencyMs: 0,
    workers: 1,
    mode: { burst: BURST },
  },
  {
    name: `burst of ${BURST}, GitHub 0 ms, 2 workers`,
    latencyMs: 0,
    workers: 2,
    mode: { burst: BURST },
  },
];

async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function run(s: Scenario, index: number) {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  const db: Db = createDb({ url: DATABASE_URL, schema, max: 4 });
  await runMigrations(db, schema);
  const dir = mkdtempSync(join(tmpdir(), 'rise-bench-'));
  // Below Linux's ephemeral range (32768-60999): a fixed port there was once taken by an outgoing
  // connection (EADDRINUSE). The simulator needs the web's URL before the web starts.
  const webPort = Number(process.env.BENCH_PORT ?? 18_200) + index;
  const total = 'burst' in s.mode ? s.mode.burst : s.mode.rate * s.mode.seconds;
  const sim = await startProcess('src/sim/cli.ts', {}, /simulator ready/, 'sim', [
    '--nodes',
    `bench=${total + ENTITIES + 10}`,
    '--webhook',
    `http://127.0.0.1:${webPort}/webhook`,
    '--secret',
    SECRET,
    '--out',
    dir,
    '--job-duration-ms',
    '200',
    '--github-latency-ms',
    String(s.latencyMs),
  ]);
  const info = JSON.parse(readFileSync(join(dir, 'sim.json'), 'utf8'));
  const runners = join(dir, 'runners.yaml');
  writeFileSync(
    runners,
    // Open to any entity, so no privileged Docker (the simulator starts every mode alike).
    'defaults: { max_workers: null }\npools: [{ labels: [bench-riscv], board: bench, image: runner:bench, pod: { docker: none } }]\n',
  );
  const env = {
    DATABASE_URL,
    REDIS_URL,
    DEPLOY_ENV: 'prod',
    DB_SCHEMA: schema,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    GHAPP_WEBHOOK_SECRET: SECRET,
    RUNNERS_CONFIG: runners,
    GITHUB_API_URL: info.githubUrl,
    KUBECONFIG: info.kubeconfig,
    GHAPP_ORG_APP_ID: String(info.orgAppId),
    GHAPP_ORG_PRIVATE_KEY: readFileSync(info.orgKey, 'utf8'),
    GHAPP_PERSONAL_APP_ID: String(info.personalAppId),
    GHAPP_PERSONAL_PRIVATE_KEY: readFileSync(info.personalKey, 'utf8'),
    RUNNER_CONCURRENCY: s.runnerConcurrency ?? RUNNER_CONCURRENCY,
  };
  const web = await startProcess(
    'dist/web.js',
    { ...env, PORT: String(webPort) },
    /"msg":"listening"/,
    'web',
  );
  const workers: ChildProcess[] = [];
  for (let i = 0; i < s.workers; i++)
    workers.push(await startProcess('dist/worker.js', env, /"msg":"worker ready"/, `worker${i}`));

  const repos: string[] = [];
  for (let i = 0; i < ENTITIES; i++) {
    await post(`${info.githubUrl}/_sim/orgs`, { login: `bench-${i}` });
    await post(`${info.githubUrl}/_sim/repos`, { owner: `bench-${i}`, name: 'ci' });
    await post(`${info.githubUrl}/_sim/installations`, { app: 'org', account: `bench-${i}` });
    repos.push(`bench-${i}/ci`);
  }
  const podsCreated = async () =>
    Number(
      (await db.$client.query('select count(*) from workers where pod_created_at is not null'))
        .rows[0].count,
    );
  const queue = (i: number) =>
    post(`${info.githubUrl}/_sim/jobs`, {
      repo: repos[i % ENTITIES],
      labels: ['bench-riscv'],
      durationMs: 200,
    });
  // Warm-up: one job per entity fills the token and runner-group caches of every worker.
  for (let w = 0; w < s.workers; w++) await Promise.all(repos.map((_, i) => queue(i)));
  await waitUntil(
    async () => (await podsCreated()) >= ENTITIES * s.workers,
    30_000,
    'warm-up pods',
  );
  const warm = await podsCreated();
  await fetch(`${info.githubUrl}/_sim/calls`, { method: 'DELETE' });
  const cpu0 = {
    web: cpuMs(web.pid!),
    workers: workers.map((w) => cpuMs(w.pid!)),
    sim: cpuMs(sim.pid!),
  };
  const startedAt = new Date();

  if ('burst' in s.mode) {
    await Promise.all(Array.from({ length: s.mode.burst }, (_, i) => queue(i)));
  } else {
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const wait = t0 + (i * 1000) / s.mode.rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      void queue(i);
    }
  }
  await waitUntil(async () => (await podsCreated()) >= warm + total, 120_000, 'every pod created');
  const calls = (await (await fetch(`${info.githubUrl}/_sim/calls`)).json()) as {
    total: number;
    byRoute: Record<string, number>;
  };
  const cpu = {
    web: cpuMs(web.pid!) - cpu0.web,
    workers: workers.reduce((sum, w, i) => sum + cpuMs(w.pid!) - cpu0.workers[i]!, 0),
    sim: cpuMs(sim.pid!) - cpu0.sim,
  };
  const rows = (
    await db.$client.query<{ ms: number; reserveMs: number; queued: Date; created: Date }>(
      `select extract(epoch from w.pod_created_at - j.created_at) * 1000 as ms,
         extract(epoch from w.created_at - j.created_at) * 1000 as "reserveMs",
         j.created_at as queued, w.pod_created_at as created
       from workers w join jobs j on j.job_id = w.reserved_for_job_id where j.created_at >= $1`,
      [startedAt],
    )
  ).rows;
  const lat = summarize(rows.map((r) => Number(r.ms)));
  // Where the time goes: queued → worker reserved (matching), reserved → pod created (creation).
  const reserve = summarize(rows.map((r) => Math.max(0, Number(r.reserveMs))));
  const create = summarize(rows.map((r) => Number(r.ms) - Math.max(0, Number(r.reserveMs))));
  const first = Math.min(...rows.map((r) => r.queued.getTime()));
  const last = Math.max(...rows.map((r) => r.created.getTime()));
  const rss = workers.map((w) => peakRssMb(w.pid!));
  const result = {
    name: s.name,
    jobs: rows.length,
    jobsPerSecond: (rows.length / (last - first)) * 1000,
    lat,
    callsPerJob: calls.total / rows.length,
    rss: Math.max(...rss),
    cpuPerJob: {
      web: cpu.web / rows.length,
      workers: cpu.workers / rows.length,
      sim: cpu.sim / rows.length,
    },
  };
  console.log(`\n${s.name}
  webhook → pod created ms : p50 ${fmt(lat.p50)}  p95 ${fmt(lat.p95)}  p99 ${fmt(lat.p99)}  max ${fmt(lat.max)}
    of which reserving    : p50 ${fmt(reserve.p50)}  p99 ${fmt(reserve.p99)}; creating: p50 ${fmt(create.p50)}  p99 ${fmt(create.p99)}
  jobs per second          : ${fmt(result.jobsPerSecond)}   (${rows.length} jobs)
  GitHub calls per job     : ${fmt(result.callsPerJob, 2)}   ${JSON.stringify(calls.byRoute)}
  worker peak RSS          : ${rss.map((r) => fmt(r)).join(', ')} MB
  CPU ms per job           : web ${fmt(result.cpuPerJob.web, 2)}, workers ${fmt(result.cpuPerJob.workers, 2)}, simulator ${fmt(result.cpuPerJob.sim, 2)}`);

  for (const w of workers) await stopProcess(w);
  await stopProcess(web);
  await stopProcess(sim);
  await dropBenchState({ db, redisUrl: REDIS_URL, schema, prefix });
  return result;
}

async function main() {
  if (!process.env.SKIP_BUILD) {
    console.log('building…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
  const only = process.env.ONLY ? process.env.ONLY.split(',').map(Number) : undefined;
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (const [i, s] of SCENARIOS.entries())
    if (!only || only.includes(i)) results.push(await run(s, i));
  const byName = (n: string) => results.find((r) => r.name.startsWith(n));
  const steady = byName(`${RATE} jobs/s`);
  const one = byName(`burst of ${BURST}, GitHub 50 ms, 1`);
  const two = byName(`burst of ${BURST}, GitHub 50 ms, 2`);
  console.log('\ntargets');
  if (steady)
    console.log(
      `  p99 ≤ 250 ms at ${RATE} jobs/s (0 ms)    : ${fmt(steady.lat.p99)} ms → ${steady.lat.p99 <= 250 ? 'MET' : 'NOT MET'}`,
    );
  const calls = Math.max(...results.map((r) => r.callsPerJob));
  console.log(
    `  ≤ 2 GitHub calls per job              : ${fmt(calls, 2)} → ${calls <= 2 ? 'MET' : 'NOT MET'}`,
  );
  if (one && two) {
    const x = two.jobsPerSecond / one.jobsPerSecond;
    console.log(
      `  2 workers ≥ 1.7× 1 worker (50 ms)     : ${fmt(two.jobsPerSecond)} / ${fmt(one.jobsPerSecond)} = ${fmt(x, 2)}× → ${x >= 1.7 ? 'MET' : 'NOT MET'}`,
    );
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
