/**
 * deploy/github-apps/*.json ask for exactly the permissions the code uses: every GitHub call of
 * our client (src/github/client.ts) is made against the simulator, whose routes check an
 * installation's permissions, with an installation holding only the manifest's permissions.
 * All calls must succeed, each permission must be needed by some call, and the manifest's
 * comments must name exactly the routes that were called.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGitHub,
  type EntityType,
  type GitHub,
  type RunnerScope,
} from '../../src/github/client.js';
import { MANIFESTS_DIR, readManifest, type AppKind } from '../../src/api/setup/manifests.js';
import { createGitHubSim, type GitHubSim, type Listening } from '../../src/sim/github/index.js';
import { simApps } from '../helpers/sim-keys.js';

let sim: GitHubSim;
let server: Listening;
let github: GitHub;

const comments = (kind: AppKind) =>
  (
    JSON.parse(readFileSync(`${MANIFESTS_DIR}${kind}.json`, 'utf8')) as {
      $comment: {
        default_permissions: Record<string, string>;
        default_events: Record<string, string>;
      };
    }
  ).$comment;

/** Route templates ("METHOD /path/{param}") a comment names. */
const namedRoutes = (text: string) =>
  [...text.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) (\/[\w{}/-]+)/g)].map((m) => `${m[1]} ${m[2]}`);

const SCENARIO: Record<AppKind, { type: EntityType; scope: (login: string) => RunnerScope }> = {
  org: { type: 'Organization', scope: (login) => ({ kind: 'org', org: login }) },
  personal: { type: 'User', scope: (login) => ({ kind: 'repo', repoFullName: `${login}/tools` }) },
};

let accounts = 0;
/** Installs `kind` on a fresh account with `permissions`, and makes every call the worker makes. */
async function exercise(kind: AppKind, permissions: Record<string, 'read' | 'write'>) {
  const login = `acct${(accounts += 1)}`;
  if (kind === 'org') sim.addOrg({ login });
  else sim.addUser({ login });
  sim.addRepo({ owner: login, name: 'tools' });
  const inst = {
    installationId: sim.installApp(kind, login, { permissions }).id,
    entityType: SCENARIO[kind].type,
  };
  const scope = SCENARIO[kind].scope(login);
  const job = sim.queueJob({ repo: `${login}/tools`, labels: ['rise-permissions-check'] });
  const groupId =
    kind === 'org' ? await github.ensureRunnerGroup(inst, login, 'RISE RISC-V Runners') : undefined;
  const { runnerId } = await github.generateJitConfig(inst, scope, {
    name: `rise-riscv-runner-perm-${login}`,
    labels: ['rise-permissions-check'],
    groupId,
  });
  await github.findRunner(inst, scope, `rise-riscv-runner-perm-${login}`);
  await github.listRunners(inst, scope, groupId);
  await github.getJob(inst, `${login}/tools`, job.id);
  await github.deleteRunner(inst, scope, runnerId);
  // The first page is enough: listing deliveries is the call the permission covers.
  for await (const page of github.listDeliveries(kind)) {
    expect(Array.isArray(page)).toBe(true);
    break;
  }
}

beforeAll(async () => {
  sim = createGitHubSim({ apps: simApps() });
  server = await sim.listen();
  github = createGitHub({
    baseUrl: server.url,
    apps: {
      org: { appId: sim.apps.org.id, privateKey: sim.apps.org.privateKeyPem },
      personal: { appId: sim.apps.personal.id, privateKey: sim.apps.personal.privateKeyPem },
    },
    resilience: { retries: 0 },
  });
});

afterAll(async () => {
  await sim?.close();
});

describe.each(['org', 'personal'] as const)('the %s App manifest', (kind) => {
  it('is a manifest GitHub takes: workflow_job events, no installation event (sent to every App)', () => {
    const m = readManifest(kind);
    expect(m.default_events).toEqual(['workflow_job']);
    expect(m.public).toBe(true);
    expect(Object.keys(comments(kind).default_events).sort()).toEqual([
      'installation',
      'workflow_job',
    ]);
    expect(m.default_permissions.metadata).toBe('read');
  });

  it("grants enough: every call the worker makes succeeds with the manifest's permissions alone", async () => {
    sim.resetCalls();
    await exercise(kind, readManifest(kind).default_permissions);
    const called = Object.keys(sim.calls().byRoute).filter((r) => !r.includes(' /app/'));
    const named = Object.values(comments(kind).default_permissions).flatMap(namedRoutes);
    // Each installation call is named in a comment, and each named route was called.
    expect(called.filter((r) => !named.includes(r))).toEqual([]);
    expect(named.filter((r) => !called.includes(r))).toEqual([]);
  });

  it('grants nothing more: without any one permission (metadata aside) some call fails', async () => {
    const all = readManifest(kind).default_permissions;
    const droppable = Object.keys(all).filter((p) => p !== 'metadata');
    expect(droppable.length).toBeGreaterThan(0);
    for (const perm of droppable) {
      const { [perm]: _dropped, ...rest } = all;
      const outcome = await exercise(kind, rest).then(
        () => 'all calls succeeded',
        (err: { status?: number }) => `refused ${err.status}`,
      );
      expect({ perm, outcome }).toEqual({ perm, outcome: 'refused 403' });
    }
  });

  it('comments every permission, each naming the calls that need it', () => {
    const perms = readManifest(kind).default_permissions;
    const c = comments(kind).default_permissions;
    expect(Object.keys(c).sort()).toEqual(Object.keys(perms).sort());
    for (const [perm, text] of Object.entries(c)) {
      expect(text.startsWith(`${perms[perm]}:`)).toBe(true);
      if (perm !== 'metadata') expect(namedRoutes(text).length).toBeGreaterThan(0);
    }
  });
});

it('the two Apps differ only in what their scope needs', () => {
  const org = readManifest('org').default_permissions;
  const personal = readManifest('personal').default_permissions;
  expect(org).toEqual({
    organization_self_hosted_runners: 'write',
    actions: 'read',
    metadata: 'read',
  });
  expect(personal).toEqual({ administration: 'write', actions: 'read', metadata: 'read' });
});
