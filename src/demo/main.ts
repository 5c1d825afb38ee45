/**
 * `npm run demo`: the whole system against the simulator, in one command.
 *
 * Starts the simulator (GitHub, a small RISC-V cluster, the Actions service), the real web
 * process and worker processes (as Procfile runs them), a few organizations and a personal
 * account with different caps, and a stream of jobs; shows a live progress line and ends with a
 * summary. PostgreSQL and Redis: the configured or local servers when they answer, else an
 * embedded PostgreSQL and a private redis-server (src/demo/stores.ts); `--embedded` forces those.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { startSimulator } from '../sim/index.js';
import { startDemoAgents } from './agents.js';
import { DEMO_NODES, TENANTS, rng } from './scenario.js';
import { ms, progressLine } from './report.js';
import { startApp, stopApps } from './apps.js';
import { DemoInputError, demoAdminToken, operatorPages } from './pages.js';
import { openDemoStores } from './demo-stores.js';
import { StoreUnavailableError, displayPath } from './stores.js';
import { createTeardown, type Teardown } from './teardown.js';
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
    agents: { type: 'boolean', default: false },
    embedded: { type: 'boolean', default: false },
    dir: { type: 'string', default: '.demo' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(
    'npm run demo -- [--jobs 60] [--rate 4] [--workers 2] [--min-duration-ms 800] [--max-duration-ms 3000] [--port 3000] [--keep] [--embedded] [--dir .demo] [--agents]\n' +
      '  --keep      leave everything running after the summary, until Ctrl-C (and keep embedded data)\n' +
      '  --embedded  an embedded PostgreSQL and a private redis-server even where servers answer\n' +
      '  --dir       where logs and embedded PostgreSQL data go\n' +
      '  --agents    one real node agent per simulated node gives it its slots and board label\n',
  );
  process.exit(0);
}

const SCHEMA = 'demo';
const PREFIX = 'rise:demo';
const SECRET = 'demo-webhook-secret';
const DIR = resolve(args.dir);
const total = Number(args.jobs);
const tty = process.stdout.isTTY;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(teardown: Teardown): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  say('RISE RISC-V runners: demo against the simulator');
  const admin = demoAdminToken(process.env.ADMIN_TOKEN);
  const { DATABASE_URL, REDIS_URL } = await openDemoStores({
    embedded: args.embedded,
    keep: args.keep,
    dir: DIR,
    schema: SCHEMA,
    prefix: PREFIX,
    env: process.env,
    say,
    teardown,
  });

  const sim = await startSimulator({ nodes: DEMO_NODES, startup: DEMO_STARTUP });
  const podStart = trackPodStart(sim);
  teardown.add('the simulator', () => sim.close());
  if (args.agents) {
    const agents = await startDemoAgents({
      kube: sim.kube,
      kubeUrl: sim.kubeUrl,
      nodes: DEMO_NODES,
    });
    teardown.add('the node agents', () => agents.stop());
    say(
      `node agents: ${agents.pids.size} processes gave the nodes their slots and labels (logs in ${agents.dir})`,
    );
  }
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
    ADMIN_TOKEN: admin.token,
  };
  const children: ChildProcess[] = [];
  teardown.add('the app processes', () => stopApps(children));
  // All at once (each boots tsx for a few seconds); every one is tracked before it is ready.
  await Promise.all([
    startApp('web', 'src/web.ts', { ...env, PORT: args.port }, DIR, children),
    ...Array.from({ length: Number(args.workers) }, (_, i) =>
      startApp(`worker-${i + 1}`, 'src/worker.ts', env, DIR, children),
    ),
  ]);
  sim.setWebhookTarget(`http://127.0.0.1:${args.port}/webhook`, SECRET);
  say(
    `simulator: GitHub ${sim.githubUrl}, Kubernetes ${sim.kubeUrl}; ${DEMO_NODES.length} nodes on 3 boards`,
  );
  say(
    `app: web http://127.0.0.1:${args.port} and ${args.workers} worker process${args.workers === '1' ? '' : 'es'} (logs in ${displayPath(DIR)}/)`,
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
  const queueOne = () => {
    const t = tenants[Math.floor(random() * tenants.length)]!;
    const labels = t.labels[Math.floor(random() * t.labels.length)]!;
    const job = sim.github.queueJob({
      repo: t.fullName,
      labels,
      durationMs: Math.round(minMs + random() * (maxMs - minMs)),
    });
    queuedAt.set(job.id, Date.now());
    queued++;
    return job.id;
  };
  const firstJob = queueOne();
  const feeder = setInterval(
    () => {
      if (queued >= total) return clearInterval(feeder);
      queueOne();
    },
    1000 / Number(args.rate),
  );
  teardown.add('the job stream', () => Promise.resolve(clearInterval(feeder)));
  const pages = operatorPages({ baseUrl: `http://127.0.0.1:${args.port}`, admin, jobId: firstJob });
  for (const line of pages) say(line);

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
    // Once Ctrl-C is stopping everything, the figures mean nothing.
    if (signals > 0) await new Promise(() => undefined);
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
      `\nstill running, for a look around (Ctrl-C stops everything): web http://127.0.0.1:${args.port}, GitHub ${sim.githubUrl}/_sim, Kubernetes ${sim.kubeUrl}/_sim`,
    );
    for (const line of pages) say(line);
    await new Promise(() => undefined);
  }
}

const teardown = createTeardown((line) => process.stderr.write(`demo: ${line}\n`));
const finish = (code: number, done?: string) =>
  void teardown.run().then(
    () => {
      if (done) say(done);
      process.exit(code);
    },
    () => process.exit(code || 1),
  );
// The first signal stops everything in order; a second quits at once, and our exit handlers
// still kill what we started (app processes, redis-server) and signal postgres.
let signals = 0;
const onSignal = (code: number) => {
  if (++signals > 1) process.exit(code);
  say('\nstopping (Ctrl-C again to quit at once)');
  finish(code);
};
process.on('SIGINT', () => onSignal(130));
process.on('SIGTERM', () => onSignal(143));
main(teardown).then(
  () => finish(0, 'stopped: app processes, simulator and any stores the demo started'),
  (err: unknown) => {
    // Our own one-line errors need no stack; anything else is a bug worth its stack.
    const oneLine = err instanceof StoreUnavailableError || err instanceof DemoInputError;
    const text = oneLine ? err.message : err instanceof Error ? err.stack : String(err);
    process.stderr.write(`demo: ${text}\n`);
    finish(1);
  },
);
