/**
 * `npm run demo`: the whole system against the simulator, in one command.
 *
 * Starts the simulator (GitHub, a small RISC-V cluster, the Actions service), the real web
 * process and worker processes (as Procfile runs them), a few organizations and a personal
 * account with different caps, and a stream of jobs; shows a live progress line and ends with a
 * summary. Needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL; local defaults).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { closeDb, createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startSimulator } from '../sim/index.js';
import { DEMO_NODES, TENANTS, rng } from './scenario.js';
import { ms, progressLine } from './report.js';
import { DEMO_STARTUP, trackPodStart } from './pod-start.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '60' },
    rate: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    'min-duration-ms': { type: 'string', default: '800' },
    'max-duration-ms': { type: 'string', default: '3000' },
    port: { type: 'string', default: '3000' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'npm run demo -- [--jobs 60] [--rate 4] [--workers 2] [--min-duration-ms 800] [--max-duration-ms 3000] [--port 3000] [--keep]\n',
  );
  process.exit(0);
}

// Local trust authentication: connect as the operating-system user, like psql does.
const DATABASE_URL =
  process.env.DATABASE_URL ?? `postgres://${userInfo().username}@127.0.0.1:5432/postgres`;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCHEMA = 'demo';
const PREFIX = 'rise:demo';
const SECRET = 'demo-webhook-secret';
const DIR = resolve('.demo');
const total = Number(args.jobs);
const tty = process.stdout.isTTY;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function prepareStores(): Promise<void> {
  const db = createDb({
    url: DATABASE_URL,
    schema: SCHEMA,
    max: 2,
    connectionTimeoutMillis: 3_000,
  });
  try {
    await db.$client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await runMigrations(db, SCHEMA);
  } catch (err) {
    throw new Error(`PostgreSQL at ${DATABASE_URL}: ${(err as Error).message} (set DATABASE_URL)`);
  } finally {
    await closeDb(db);
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch (err) {
    throw new Error(`Redis at ${REDIS_URL}: ${(err as Error).message} (set REDIS_URL)`);
  } finally {
    redis.disconnect();
  }
}

function startApp(name: string, script: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const log = createWriteStream(join(DIR, `${name}.log`));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((ok, fail) => {
    let seen = '';
    const ready = /"msg":"(listening|worker ready)"/;
    child.stdout.on('data', (b: Buffer) => {
      seen += b.toString();
      if (ready.test(seen)) ok(child);
    });
    child.once('exit', (code) =>
      fail(new Error(`${name} exited with ${code}; see ${join(DIR, `${name}.log`)}`)),
    );
  });
}

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  say('RISE RISC-V runners: demo against the simulator');
  await prepareStores();

  const sim = await startSimulator({ nodes: DEMO_NODES, startup: DEMO_STARTUP });
  const podStart = trackPodStart(sim);
  const tenants = TENANTS.map((t) => {
    const account =
      t.kind === 'org'
        ? sim.github.addOrg({ login: t.login, id: t.id })
        : sim.github.addUser({ login: t.login });
    const repo = sim.github.addRepo({ owner: t.login, name: t.repo });
    sim.github.installApp(t.kind === 'org' ? 'org' : 'personal', t.login);
    // An organization is one entity; a personal account's repository is one.
    return {
      ...t,
      entityId: t.kind === 'org' ? account.id : repo.id,
      fullName: `${t.login}/${t.repo}`,
    };
  });
  const base = parseYaml(readFileSync('config/runners.yaml', 'utf8')) as Record<string, unknown>;
  const runnersPath = join(DIR, 'runners.yaml');
  writeFileSync(
    runnersPath,
    toYaml({
      ...base,
      entities: tenants.map((t) => ({
        id: t.entityId,
        name: t.fullName,
        max_workers: t.maxWorkers,
      })),
    }),
  );
  writeFileSync(join(DIR, 'kubeconfig.yaml'), sim.kubeconfig, { mode: 0o600 });

  const env = {
    DATABASE_URL,
    REDIS_URL,
    DEPLOY_ENV: 'prod',
    DB_SCHEMA: SCHEMA,
    REDIS_PREFIX: PREFIX,
    LOG_LEVEL: 'info',
    RUNNERS_CONFIG: runnersPath,
    GHAPP_WEBHOOK_SECRET: SECRET,
    GITHUB_API_URL: sim.githubUrl,
    KUBECONFIG: join(DIR, 'kubeconfig.yaml'),
    GHAPP_ORG_APP_ID: String(sim.github.apps.org.id),
    GHAPP_ORG_PRIVATE_KEY: sim.github.apps.org.privateKeyPem,
    GHAPP_PERSONAL_APP_ID: String(sim.github.apps.personal.id),
    GHAPP_PERSONAL_PRIVATE_KEY: sim.github.apps.personal.privateKeyPem,
  };
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
      ),
    );
    await sim.close();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  children.push(await startApp('web', 'src/web.ts', { ...env, PORT: args.port }));
  for (let i = 1; i <= Number(args.workers); i++)
    children.push(await startApp(`worker-${i}`, 'src/worker.ts', env));
  sim.setWebhookTarget(`http://127.0.0.1:${args.port}/webhook`, SECRET);
  say(
    `simulator: GitHub ${sim.githubUrl}, Kubernetes ${sim.kubeUrl}; ${DEMO_NODES.length} nodes on 3 boards`,
  );
  say(
    `app: web http://127.0.0.1:${args.port} and ${args.workers} worker processes (logs in .demo/)`,
  );
  for (const t of tenants)
    say(
      `  ${t.kind === 'org' ? 'organization' : 'personal   '} ${t.fullName.padEnd(34)} max_workers ${t.maxWorkers ?? 'unlimited'}`,
    );

  const queuedAt = new Map<number, number>();
  const waits: number[] = [];
  sim.github.state.events.on('job:started', (job) => {
    const t = queuedAt.get(job.id);
    if (t !== undefined) waits.push(Date.now() - t);
  });
  const random = rng(42);
  const started = Date.now();
  let queued = 0;
  const minMs = Number(args['min-duration-ms']);
  const maxMs = Number(args['max-duration-ms']);
  const feeder = setInterval(
    () => {
      if (queued >= total) return clearInterval(feeder);
      const t = tenants[Math.floor(random() * tenants.length)]!;
      const labels = t.labels[Math.floor(random() * t.labels.length)]!;
      const job = sim.github.queueJob({
        repo: t.fullName,
        labels,
        durationMs: Math.round(minMs + random() * (maxMs - minMs)),
      });
      queuedAt.set(job.id, Date.now());
      queued++;
    },
    1000 / Number(args.rate),
  );

  let lastPrint = 0;
  for (;;) {
    const jobs = sim.github.listJobs();
    const done = jobs.filter((j) => j.status === 'completed').length;
    const p = {
      elapsedS: (Date.now() - started) / 1000,
      queued,
      total,
      waiting: jobs.filter((j) => j.status === 'queued').length,
      running: jobs.filter((j) => j.status === 'in_progress').length,
      done,
      busyNodes: sim.kube.state
        .list('Pod')
        .filter((pod) => pod.spec.nodeName && pod.status.phase === 'Running').length,
      nodes: DEMO_NODES.length,
      githubCalls: sim.github.calls().total,
    };
    if (tty) process.stdout.write(`\r${progressLine(p)}   `);
    else if (Date.now() - lastPrint > 2_000) {
      say(progressLine(p));
      lastPrint = Date.now();
    }
    if (queued >= total && done >= total) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (tty) process.stdout.write('\n');

  const calls = sim.github.calls();
  const bindings = sim.kube.control.bindings();
  const concluded = sim.github.listJobs().filter((j) => j.conclusion === 'success').length;
  say('\nsummary');
  say(
    `  jobs served          ${concluded}/${total} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  say(`  queue time           ${ms(waits)}   (queued → a runner took it)`);
  say(podStart.line());
  say(
    `  runner pods          ${bindings.length} for ${total} jobs; at most ${sim.kube.control.maxConcurrentPodsPerNode()} per node`,
  );
  say(`  GitHub API calls     ${calls.total} (${(calls.total / total).toFixed(2)} per job)`);
  for (const [route, n] of Object.entries(calls.byRoute).sort((a, b) => b[1] - a[1]))
    say(`    ${String(n).padStart(5)}  ${route}`);
  say(`  runners left behind  ${sim.github.listRunners().length}`);

  if (args.keep) {
    say(
      `\nstill running (Ctrl-C to stop): web http://127.0.0.1:${args.port}, GitHub ${sim.githubUrl}/_sim, Kubernetes ${sim.kubeUrl}/_sim`,
    );
    await new Promise(() => undefined);
  }
  await stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
