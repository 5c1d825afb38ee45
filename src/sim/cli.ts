/**
 * `npm run sim`: the simulator on its own, for the demo, benchmarks and trying things by hand.
 * Writes what an app needs to talk to it (URLs, App ids and keys, a kubeconfig) to --out.
 *
 *   npm run sim -- --nodes scw-em-rv1=4,cloudv10x-rvv=2 --webhook http://127.0.0.1:3000/webhook --secret s3cret
 *   npm run sim -- --startup realistic --startup-scale 0.1    # pod start-up as on the boards, 10× faster
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './index.js';
import { startupFromFlags } from './startup.js';

const { values } = parseArgs({
  options: {
    'github-port': { type: 'string', default: '0' },
    'kube-port': { type: 'string', default: '0' },
    nodes: { type: 'string', default: 'scw-em-rv1=4,cloudv10x-pioneer=2,cloudv10x-rvv=2' },
    webhook: { type: 'string' },
    secret: { type: 'string', default: 'sim-webhook-secret' },
    'github-latency-ms': { type: 'string', default: '0' },
    'job-duration-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: '.sim' },
    startup: { type: 'string' },
    'startup-scale': { type: 'string' },
    'image-pull-ms': { type: 'string' },
    'dockerd-ms': { type: 'string' },
    'register-ms': { type: 'string' },
    'board-factors': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(`npm run sim -- [--nodes board=count,…] [--webhook URL] [--secret S]
  [--github-port N] [--kube-port N] [--github-latency-ms N] [--job-duration-ms N] [--out DIR]
  [--startup fast|realistic] [--startup-scale F] [--image-pull-ms N]
  [--dockerd-ms privileged=N,rootless=N,none=N] [--register-ms N] [--board-factors board=F,…]
Runner pod start-up: the image pull (first pod of an image on a node), dockerd (per DOCKER_MODE)
and runner registration; --startup picks the base, --startup-scale multiplies it, the others set
one step. See docs/simulator.md ("Start-up delays").
Control routes: GitHub at <github>/_sim/… (orgs, users, repos, installations, jobs, faults, calls),
Kubernetes at <kube>/_sim/… (nodes, faults, bindings, calls). See docs/simulator.md.\n`);
  process.exit(0);
}

function parseNodes(spec: string) {
  return spec
    .split(',')
    .filter(Boolean)
    .flatMap((part) => {
      const [board = '', count = '1'] = part.split('=');
      if (!/^[A-Za-z0-9._-]+$/.test(board) || !/^\d+$/.test(count)) {
        process.stderr.write(`sim: --nodes: "${part}" is not board=count\n`);
        process.exit(2);
      }
      return Array.from({ length: Number(count) }, (_, i) => ({
        name: `${board}-${i + 1}`,
        board,
      }));
    });
}

function parseStartup() {
  try {
    return startupFromFlags(values);
  } catch (err) {
    process.stderr.write(`sim: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

const sim = await startSimulator({
  startup: parseStartup(),
  githubPort: Number(values['github-port']),
  kubePort: Number(values['kube-port']),
  nodes: parseNodes(values.nodes),
  github: { defaultJobDurationMs: Number(values['job-duration-ms']) },
});
const latency = Number(values['github-latency-ms']);
if (latency > 0) sim.github.faults.latency('*', latency);
if (values.webhook) sim.setWebhookTarget(values.webhook, values.secret);

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const files = {
  kubeconfig: join(out, 'kubeconfig.yaml'),
  orgKey: join(out, 'org-app.pem'),
  personalKey: join(out, 'personal-app.pem'),
  info: join(out, 'sim.json'),
};
writeFileSync(files.kubeconfig, sim.kubeconfig, { mode: 0o600 });
writeFileSync(files.orgKey, sim.github.apps.org.privateKeyPem, { mode: 0o600 });
writeFileSync(files.personalKey, sim.github.apps.personal.privateKeyPem, { mode: 0o600 });
const info = {
  githubUrl: sim.githubUrl,
  kubeUrl: sim.kubeUrl,
  orgAppId: sim.github.apps.org.id,
  personalAppId: sim.github.apps.personal.id,
  startup: sim.startup,
  ...files,
};
writeFileSync(files.info, JSON.stringify(info, null, 2));
process.stdout.write(`simulator ready ${JSON.stringify(info)}\n`);

const stop = () => {
  void sim.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
