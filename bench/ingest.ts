/**
 * npm run bench:ingest — webhook ingest throughput of the real web process.
 *
 * Builds the app, starts `node dist/web.js` against real PostgreSQL and Redis (a fresh schema and
 * key prefix), and drives it with signed `queued` deliveries (~7 KB each, unique job ids) over
 * CONNECTIONS keep-alive connections for DURATION seconds. Prints deliveries per second, latency
 * percentiles and the web process's peak RSS, then checks every delivery was recorded and enqueued.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import {
  dropBenchState,
  fmt,
  peakRssMb,
  procfileNodeArgs,
  startProcess,
  stopProcess,
  summarize,
} from './lib.js';
import { runLoad } from './load.js';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const DURATION = Number(process.env.DURATION ?? 15);
const WARMUP = Number(process.env.WARMUP ?? 3);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = Number(process.env.BENCH_PORT ?? 38_080);
const SECRET = 'bench-secret';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: any[];
}[];
const template = structuredClone(
  examples
    .find((e) => e.name === 'workflow_job')!
    .examples.find((e) => e.action === 'queued' && e.installation),
);
template.workflow_job.labels = ['ubuntu-24.04-riscv'];
template.workflow_job.id = 999_999_999_999;
const [head, tail] = JSON.stringify(template).split('999999999999') as [string, string];

function delivery(jobId: number) {
  const body = head + String(jobId) + tail;
  const sig = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
  return { body, sig };
}

async function main() {
  console.log('building…');
  if (!process.env.SKIP_BUILD)
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench:${randomBytes(4).toString('hex')}`;
  const db = createDb({ url: DATABASE_URL, schema });
  await runMigrations(db, schema);

  // Deliveries log at debug level, so info shows start-up lines only.
  const child = await startProcess(
    'dist/web.js',
    {
      PORT: String(PORT),
      DATABASE_URL,
      REDIS_URL,
      DEPLOY_ENV: 'prod',
      DB_SCHEMA: schema,
      REDIS_PREFIX: prefix,
      GHAPP_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'info',
    },
    /"msg":"listening"/,
    'web',
  );
  const sample = delivery(1);
  console.log(
    `payload ${sample.body.length} bytes, ${CONNECTIONS} connections, ${WARMUP}s warm-up + ${DURATION}s measured`,
  );

  let nextJob = 1_000_000;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let measuring = false;
  let stop = false;
  let sent = 0;
  const load = runLoad({
    port: PORT,
    path: '/webhook',
    connections: CONNECTIONS,
    shouldStop: () => stop,
    next: () => {
      const { body, sig } = delivery(nextJob++);
      return {
        body,
        headers: [
          'content-type: application/json',
          'x-github-event: workflow_job',
          `x-github-delivery: ${randomUUID()}`,
          `x-hub-signature-256: ${sig}`,
        ],
      };
    },
    onResponse: (status, ms) => {
      if (!measuring) return;
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sent++;
    },
  });
  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  measuring = true;
  const started = performance.now();
  const progress = setInterval(() => {
    const rate = sent / ((performance.now() - started) / 1000);
    process.stdout.write(`\r  ${sent} deliveries, ${fmt(rate, 0)}/s   `);
  }, 1000);
  await new Promise((r) => setTimeout(r, DURATION * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  stop = true;
  await load;
  clearInterval(progress);
  process.stdout.write('\n');
  const rss = peakRssMb(child.pid!);

  const total = nextJob - 1_000_000;
  const jobs = Number((await db.$client.query('select count(*) from jobs')).rows[0].count);
  const deliveries = Number(
    (await db.$client.query("select count(*) from deliveries where outcome = 'applied'")).rows[0]
      .count,
  );
  const redis = new Redis(REDIS_URL);
  const queued =
    (await redis.zcard(`${prefix}:provision:prioritized`)) +
    (await redis.llen(`${prefix}:provision:wait`));
  const lat = summarize(latencies);
  const ok = statuses.get(200) ?? 0;
  console.log(`
ingest benchmark (web process: node ${[...procfileNodeArgs('dist/web.js'), 'dist/web.js'].join(' ')}, as the Procfile runs it; PostgreSQL + Redis on this machine)
  deliveries/s stored : ${fmt(ok / elapsed, 0)}   (${ok} answered 200 in ${fmt(elapsed)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))})
  latency ms          : p50 ${fmt(lat.p50, 2)}  p90 ${fmt(lat.p90, 2)}  p99 ${fmt(lat.p99, 2)}  max ${fmt(lat.max, 2)}
  web peak RSS        : ${fmt(rss)} MB
  check               : ${total} sent in all → ${jobs} job rows, ${deliveries} deliveries 'applied', ${queued} provisioning jobs queued
  targets             : ≥ 3000/s, p99 ≤ 50 ms, RSS ≤ 150 MB → ${ok / elapsed >= 3000 && lat.p99 <= 50 && rss <= 150 ? 'MET' : 'NOT MET'}`);
  const consistent = jobs === total && deliveries === total && queued === total;
  if (!consistent) console.log('  WARNING: not every delivery was recorded and enqueued');

  await stopProcess(child);
  redis.disconnect();
  await dropBenchState({ db, redisUrl: REDIS_URL, schema, prefix });
  process.exit(consistent ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
