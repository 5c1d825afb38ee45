/**
 * npm run bench:ingest — webhook ingest throughput of the real web process.
 *
 * Builds the app, starts `node dist/web.js` against real PostgreSQL and Redis (a fresh schema and
 * key prefix), and drives it with signed `queued` deliveries (~7 KB each, unique job ids) over
 * CONNECTIONS keep-alive connections for DURATION seconds. Prints deliveries per second, latency
 * percentiles and the web process's peak RSS, then checks every delivery was recorded and enqueued.
 *
 * Options: `--rounds N --duration S`; `--floor` also runs a bare Express app (raw body, HMAC,
 * JSON.parse, 200; bench/floor-app.ts) under the same load in turn, and compares; `--abuse` sends
 * 20 MB unsigned and wrongly signed bodies meanwhile signed deliveries (bench/abuse.ts).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createDb } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import {
  cpuMs,
  dropBenchState,
  fmt,
  peakRssMb,
  procfileNodeArgs,
  startProcess,
  stopProcess,
  summarize,
} from './lib.js';
import { abuse } from './abuse.js';
import { runLoad } from './load.js';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const DURATION = Number(process.env.DURATION ?? 15);
const WARMUP = Number(process.env.WARMUP ?? 3);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Below Linux's ephemeral range (32768-60999), so no outgoing connection holds it by chance.
const PORT = Number(process.env.BENCH_PORT ?? 18_080);
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

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string, fallback: number) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const ROUNDS = option('rounds', 1);
const SECONDS = option('duration', DURATION);

interface Measured {
  /** Deliveries sent in all, warm-up included. */
  requested: number;
  rate: number;
  ok: number;
  elapsed: number;
  latencies: number[];
  statuses: Map<number, number>;
  cpuMsPerDelivery: number;
}

let nextJob = 1_000_000;

/** One measured stretch of signed deliveries against `port` (after a warm-up). */
async function measure(port: number, pid: number, seconds: number, warmup: number) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let measuring = false;
  let stop = false;
  let sent = 0;
  let requested = 0;
  const load = runLoad({
    port,
    path: '/webhook',
    connections: CONNECTIONS,
    shouldStop: () => stop,
    next: () => {
      requested++;
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
  await new Promise((r) => setTimeout(r, warmup * 1000));
  measuring = true;
  const cpu0 = cpuMs(pid);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(pid) - cpu0;
  stop = true;
  await load;
  const ok = statuses.get(200) ?? 0;
  return {
    requested,
    rate: ok / elapsed,
    ok,
    elapsed,
    latencies,
    statuses,
    cpuMsPerDelivery: cpu / Math.max(1, sent),
  } satisfies Measured;
}

const line = (name: string, m: Measured) => {
  const lat = summarize(m.latencies);
  return `  ${name.padEnd(6)}: ${fmt(m.rate, 0).padStart(5)}/s  p50 ${fmt(lat.p50, 2)}  p99 ${fmt(lat.p99, 2)} ms  CPU ${fmt(m.cpuMsPerDelivery, 3)} ms/delivery  statuses ${JSON.stringify(Object.fromEntries(m.statuses))}`;
};

const merge = (ms: Measured[]): Measured => {
  const ok = ms.reduce((a, m) => a + m.ok, 0);
  const elapsed = ms.reduce((a, m) => a + m.elapsed, 0);
  const statuses = new Map<number, number>();
  for (const m of ms) for (const [k, v] of m.statuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
  const cpu = ms.reduce((a, m) => a + m.cpuMsPerDelivery * m.latencies.length, 0);
  const n = ms.reduce((a, m) => a + m.latencies.length, 0);
  return {
    requested: ms.reduce((a, m) => a + m.requested, 0),
    ok,
    elapsed,
    rate: ok / elapsed,
    latencies: ms.flatMap((m) => m.latencies),
    statuses,
    cpuMsPerDelivery: cpu / Math.max(1, n),
  };
};

/** Open to any entity (the shipped file allowlists a few), one pool for the bench's label. */
function runnersFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-ingest-')), 'runners.yaml');
  writeFileSync(
    file,
    'defaults: { max_workers: null }\npools: [{ labels: [ubuntu-24.04-riscv], board: bench, image: runner:bench, pod: { docker: none } }]\n',
  );
  return file;
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
      RUNNERS_CONFIG: runnersFile(),
    },
    /"msg":"listening"/,
    'web',
  );
  const floor = flag('floor')
    ? await startProcess(
        'bench/floor-app.ts',
        { PORT: String(PORT + 1), GHAPP_WEBHOOK_SECRET: SECRET },
        /"msg":"listening"/,
        'floor',
      )
    : undefined;
  if (flag('abuse')) {
    const code = await abuse({
      port: PORT,
      pid: child.pid!,
      delivery: (n) => delivery(nextJob + n),
    });
    await stopProcess(child);
    await dropBenchState({ db, redisUrl: REDIS_URL, schema, prefix });
    process.exit(code);
  }
  const sample = delivery(1);
  console.log(
    `payload ${sample.body.length} bytes, ${CONNECTIONS} connections, ${ROUNDS} round(s) of ${WARMUP}s warm-up + ${SECONDS}s measured${floor ? ', floor and web in turn' : ''}`,
  );

  const webRuns: Measured[] = [];
  const floorRuns: Measured[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate who goes first, so a load change on the machine hits both alike.
    const order = round % 2 === 1 ? ['floor', 'web'] : ['web', 'floor'];
    for (const who of order) {
      if (who === 'floor' && !floor) continue;
      const m =
        who === 'floor'
          ? await measure(PORT + 1, floor!.pid!, SECONDS, WARMUP)
          : await measure(PORT, child.pid!, SECONDS, WARMUP);
      (who === 'floor' ? floorRuns : webRuns).push(m);
      console.log(line(`${who} ${round}`, m));
    }
  }
  const rss = peakRssMb(child.pid!);
  const web = merge(webRuns);
  const lat = summarize(web.latencies);

  const total = web.requested;
  const jobs = Number((await db.$client.query('select count(*) from jobs')).rows[0].count);
  const deliveries = Number(
    (await db.$client.query("select count(*) from deliveries where outcome = 'applied'")).rows[0]
      .count,
  );
  const redis = new Redis(REDIS_URL);
  const queued =
    (await redis.zcard(`${prefix}:provision:prioritized`)) +
    (await redis.llen(`${prefix}:provision:wait`));
  console.log(`
ingest benchmark (web process: node ${[...procfileNodeArgs('dist/web.js'), 'dist/web.js'].join(' ')}, as the Procfile runs it; PostgreSQL + Redis on this machine)
  deliveries/s stored : ${fmt(web.rate, 0)}   (${web.ok} answered 200 in ${fmt(web.elapsed)} s; statuses ${JSON.stringify(Object.fromEntries(web.statuses))})
  latency ms          : p50 ${fmt(lat.p50, 2)}  p90 ${fmt(lat.p90, 2)}  p99 ${fmt(lat.p99, 2)}  max ${fmt(lat.max, 2)}
  CPU per delivery    : ${fmt(web.cpuMsPerDelivery, 3)} ms
  web peak RSS        : ${fmt(rss)} MB`);
  if (floor) {
    const f = merge(floorRuns);
    const fl = summarize(f.latencies);
    const ratio = web.rate / f.rate;
    const p99x = lat.p99 / fl.p99;
    console.log(`  floor (bare Express) : ${fmt(f.rate, 0)}/s  p50 ${fmt(fl.p50, 2)}  p99 ${fmt(fl.p99, 2)} ms  CPU ${fmt(f.cpuMsPerDelivery, 3)} ms/delivery
  web / floor         : ${fmt(ratio * 100, 0)} % of the floor's deliveries/s, p99 ${fmt(p99x, 2)}× the floor's
  targets             : ≥ 60 % of the floor, p99 ≤ 1.5× the floor's → ${ratio >= 0.6 && p99x <= 1.5 ? 'MET' : 'NOT MET'}`);
  }
  console.log(
    `  check               : ${total} sent to web in all → ${jobs} job rows, ${deliveries} deliveries 'applied', ${queued} provisioning jobs queued`,
  );
  const consistent = jobs === total && deliveries === total && queued === total;
  if (!consistent) console.log('  WARNING: not every delivery was recorded and enqueued');

  await stopProcess(child);
  if (floor) await stopProcess(floor);
  redis.disconnect();
  await dropBenchState({ db, redisUrl: REDIS_URL, schema, prefix });
  process.exit(consistent ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
