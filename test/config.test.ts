import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { loadConfig, redactConfig } from '../src/config/env.js';
import {
  entitySettings,
  loadRunnersConfig,
  parseRunnersConfig,
  resolvePool,
  routesToStaging,
} from '../src/config/runners.js';
import { startMetricsServer } from '../src/metrics/server.js';
import { webStartupFailure } from './helpers/web-start.js';

const base = {
  DATABASE_URL: 'postgres://u:pw@db:5432/app',
  REDIS_URL: 'redis://cache:6379',
  DEPLOY_ENV: 'prod',
  GHAPP_WEBHOOK_SECRET: 's1',
};

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reports every bad variable at once, by name', () => {
    const found = problems(() =>
      loadConfig('web', { DEPLOY_ENV: 'dev', PORT: 'eighty', REDIS_URL: 'http://x' }),
    );
    expect(found.some((p) => p.startsWith('DATABASE_URL (or POSTGRES_URL) is required'))).toBe(
      true,
    );
    expect(found.some((p) => p.startsWith('DEPLOY_ENV is invalid'))).toBe(true);
    expect(found.some((p) => p.startsWith('PORT is invalid'))).toBe(true);
    expect(found.some((p) => p.startsWith('REDIS_URL is invalid'))).toBe(true);
  });

  it('refuses to start the web process without a webhook secret (fail closed)', () => {
    expect(problems(() => loadConfig('web', { ...base, GHAPP_WEBHOOK_SECRET: '' }))).toEqual([
      'GHAPP_WEBHOOK_SECRET is required: without it no webhook can be verified',
    ]);
  });

  it('accepts two comma-separated webhook secrets for rotation', () => {
    expect(
      loadConfig('web', { ...base, GHAPP_WEBHOOK_SECRET: ' old , new ' }).webhookSecrets,
    ).toEqual(['old', 'new']);
  });

  it('needs only PostgreSQL for release', () => {
    expect(
      loadConfig('release', { DATABASE_URL: base.DATABASE_URL, DEPLOY_ENV: 'staging' }).dbSchema,
    ).toBe('staging');
    expect(problems(() => loadConfig('worker', { ...base, REDIS_URL: undefined }))).toContain(
      'REDIS_URL is required',
    );
  });

  it('takes POSTGRES_URL as an alias', () => {
    const { DATABASE_URL: _, ...rest } = base;
    expect(loadConfig('web', { ...rest, POSTGRES_URL: 'postgresql://h/db' }).databaseUrl).toBe(
      'postgresql://h/db',
    );
  });

  it('requires both GitHub Apps and a kubeconfig for the worker', () => {
    const found = problems(() => loadConfig('worker', base));
    expect(found).toEqual([
      'GHAPP_ORG_APP_ID is required',
      'GHAPP_ORG_PRIVATE_KEY is required',
      'GHAPP_PERSONAL_APP_ID is required',
      'GHAPP_PERSONAL_PRIVATE_KEY is required',
      'KUBECONFIG or K8S_KUBECONFIG is required (a kubeconfig path, or the YAML itself)',
    ]);
  });

  it('derives names, schema and prefix from DEPLOY_ENV, and reads "false" as false', () => {
    const prod = loadConfig('web', { ...base, TRUST_PROXY: 'false' });
    expect(prod).toMatchObject({
      dbSchema: 'prod',
      redisPrefix: 'rise:prod',
      trustProxy: false,
      names: { runnerPrefix: 'rise-riscv-runner-', runnerGroup: 'RISE RISC-V Runners' },
    });
    const staging = loadConfig('web', { ...base, DEPLOY_ENV: 'staging', TRUST_PROXY: 'true' });
    expect(staging).toMatchObject({
      dbSchema: 'staging',
      trustProxy: true,
      names: {
        runnerPrefix: 'rise-riscv-runner-staging-',
        runnerGroup: 'RISE RISC-V Runners (staging)',
      },
    });
  });

  it('turns literal \\n in private keys into line breaks and redacts secrets', () => {
    const config = loadConfig('worker', {
      ...base,
      GHAPP_ORG_APP_ID: '1',
      GHAPP_ORG_PRIVATE_KEY: '-----BEGIN KEY-----\\nabc\\n-----END KEY-----',
      GHAPP_PERSONAL_APP_ID: '2',
      GHAPP_PERSONAL_PRIVATE_KEY: 'k',
      K8S_KUBECONFIG: 'apiVersion: v1',
      ADMIN_TOKEN: 'a-very-long-admin-token-of-32-characters',
    });
    expect(config.apps.org?.privateKey).toBe('-----BEGIN KEY-----\nabc\n-----END KEY-----');
    const shown = JSON.stringify(redactConfig(config));
    for (const secret of ['s1', 'abc', 'a-very-long-admin-token', 'pw@', 'apiVersion']) {
      expect(shown).not.toContain(secret);
    }
  });
});

describe('https for URLs that carry payloads and tokens', () => {
  const FORWARD = 'forward-secret-0123456789';
  it('refuses http STAGING_URL and GITHUB_API_URL off this machine, one line naming each', () => {
    expect(
      problems(() =>
        loadConfig('web', {
          ...base,
          STAGING_URL: 'http://staging.example.org/webhook',
          STAGING_FORWARD_SECRET: FORWARD,
          GITHUB_API_URL: 'http://ghes.example.org/api/v3',
        }),
      ),
    ).toEqual([
      'STAGING_URL must be an https:// URL (http:// only for localhost or 127.0.0.1), not http://staging.example.org',
      'GITHUB_API_URL must be an https:// URL (http:// only for localhost or 127.0.0.1), not http://ghes.example.org',
    ]);
    // The worker talks to GitHub too.
    expect(
      problems(() => loadConfig('release', { ...base, GITHUB_API_URL: 'http://10.0.0.5:9100' })),
    ).toEqual([
      'GITHUB_API_URL must be an https:// URL (http:// only for localhost or 127.0.0.1), not http://10.0.0.5:9100',
    ]);
  });

  it('accepts https anywhere and http on loopback (a simulator, a local proxy)', () => {
    for (const host of ['127.0.0.1:9100', 'localhost:3000', '[::1]:8080', '127.1.2.3']) {
      const config = loadConfig('web', {
        ...base,
        STAGING_URL: `http://${host}/webhook`,
        STAGING_FORWARD_SECRET: FORWARD,
        GITHUB_API_URL: `http://${host}`,
      });
      expect(config.stagingUrl).toBe(`http://${host}/webhook`);
    }
    const config = loadConfig('web', {
      ...base,
      STAGING_URL: 'https://staging.example.org/webhook',
      STAGING_FORWARD_SECRET: FORWARD,
    });
    expect(config).toMatchObject({
      githubApiUrl: 'https://api.github.com',
      stagingForwardSecret: FORWARD,
    });
    expect(JSON.stringify(redactConfig(config))).not.toContain(FORWARD);
  });

  it("needs a forward secret of its own with STAGING_URL (never prod's webhook secret)", () => {
    const url = 'https://staging.example.org/webhook';
    expect(problems(() => loadConfig('web', { ...base, STAGING_URL: url }))).toEqual([
      'STAGING_FORWARD_SECRET is required with STAGING_URL: forwarded deliveries are signed with it',
    ]);
    const same = 'the-same-secret-as-prod';
    expect(
      problems(() =>
        loadConfig('web', {
          ...base,
          GHAPP_WEBHOOK_SECRET: `other,${same}`,
          STAGING_URL: url,
          STAGING_FORWARD_SECRET: same,
        }),
      ),
    ).toEqual([
      "STAGING_FORWARD_SECRET must differ from GHAPP_WEBHOOK_SECRET: staging must not hold prod's secret",
    ]);
    expect(
      problems(() =>
        loadConfig('web', { ...base, STAGING_URL: url, STAGING_FORWARD_SECRET: 'short' }),
      ),
    ).toEqual(['STAGING_FORWARD_SECRET is invalid: at least 16 characters']);
  });

  it('stops the web process at start-up with one line naming the variable, exit 1', async () => {
    const { code, stderr } = await webStartupFailure({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      DEPLOY_ENV: 'prod',
      GHAPP_WEBHOOK_SECRET: 's',
      STAGING_URL: 'http://staging.example.org/webhook',
      STAGING_FORWARD_SECRET: FORWARD,
    });
    expect(code).toBe(1);
    expect(stderr).toEqual([
      'web: Invalid configuration: STAGING_URL must be an https:// URL (http:// only for localhost or 127.0.0.1), not http://staging.example.org',
    ]);
  });

  /** Runs `use` while a port (on every interface, as the processes listen) is taken. */
  async function whileTaken(use: (port: number) => Promise<void>): Promise<void> {
    const taken = createServer().listen(0);
    await once(taken, 'listening');
    try {
      await use((taken.address() as AddressInfo).port);
    } finally {
      taken.close();
    }
  }

  it('a port in use stops the web process with one line naming PORT, not an unhandled error', () =>
    whileTaken(async (port) => {
      const { code, stderr } = await webStartupFailure({
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        REDIS_URL: 'redis://127.0.0.1:1',
        DEPLOY_ENV: 'prod',
        GHAPP_WEBHOOK_SECRET: 's',
        PORT: String(port),
      });
      expect(code).toBe(1);
      expect(stderr).toEqual([`web: Invalid configuration: PORT: port ${port} is already in use`]);
    }));

  it("the worker's metrics port in use is a configuration error naming WORKER_METRICS_PORT", () =>
    whileTaken(async (port) => {
      const started = startMetricsServer({ port, registry: new Registry() });
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(`WORKER_METRICS_PORT: port ${port} is already in use`);
    }));
});

describe('runners config', () => {
  const yaml = (s: string) => parseRunnersConfig(s, 'runners.yaml');

  it('ships the six labels of the seed README, exact sorted label sets', () => {
    const config = loadRunnersConfig('config/runners.yaml');
    const table = Object.fromEntries(config.pools.map((p) => [p.labels.join(','), p.board]));
    expect(table).toEqual({
      'ubuntu-24.04-riscv': 'scw-em-rv1',
      'ubuntu-24.04-riscv-2xlarge': 'cloudv10x-pioneer',
      'ubuntu-24.04-riscv-rvv': 'cloudv10x-rvv',
      'ubuntu-26.04-riscv': 'scw-em-rv1',
      'ubuntu-26.04-riscv-2xlarge': 'cloudv10x-pioneer',
      'ubuntu-26.04-riscv-rvv': 'cloudv10x-rvv',
    });
    const job = (labels: string[], entityId = 1) => ({ labels, entityId, repoFullName: 'o/r' });
    expect(resolvePool(config, job(['ubuntu-24.04-riscv']))?.board).toBe('scw-em-rv1');
    expect(resolvePool(config, job(['self-hosted', 'ubuntu-24.04-riscv']))).toBeUndefined();
    // PyTorch's label is mapped for the pytorch organization only.
    expect(resolvePool(config, job(['linux.riscv64.xlarge'], 21003710))?.board).toBe('scw-em-rv1');
    expect(resolvePool(config, job(['linux.riscv64.xlarge'], 5))).toBeUndefined();
  });

  it('prefers a repository override, then an entity override, then the pools', () => {
    const config = yaml(`
allowlist: true
pools: [{ labels: [a], board: global, image: g }]
overrides:
  - { entity: 7, labels: [a], board: entity, image: e }
  - { entity: 7, repository: Org/Special, labels: [a], board: repo, image: r }
`);
    const pick = (entityId: number, repo: string) =>
      resolvePool(config, { labels: ['a'], entityId, repoFullName: repo })?.board;
    expect(pick(7, 'org/special')).toBe('repo');
    expect(pick(7, 'org/other')).toBe('entity');
    expect(pick(8, 'org/special')).toBe('global');
  });

  it('gives entities a default cap, null for unlimited, and staging routing', () => {
    const config = yaml(`
allowlist: true
defaults: { max_workers: 3 }
pools: [{ labels: [a], board: b, image: i }]
entities:
  - { id: 1, max_workers: null, staging: true }
  - { id: 2, staging: [o/staged] }
`);
    expect(entitySettings(config, 1)).toEqual({
      maxWorkers: null,
      maxWorkersPerOwner: null,
      staging: true,
      listed: true,
      publicRepositories: true,
    });
    expect(entitySettings(config, 2).maxWorkers).toBe(3);
    expect(entitySettings(config, 3)).toEqual({
      maxWorkers: 3,
      maxWorkersPerOwner: null,
      staging: false,
      listed: false,
      publicRepositories: true,
    });
    expect(routesToStaging(config, 1, 'x/y')).toBe(true);
    expect(routesToStaging(config, 2, 'O/Staged')).toBe(true);
    expect(routesToStaging(config, 2, 'o/other')).toBe(false);
  });

  it('reads max_workers_per_owner from defaults with a per-entity override', () => {
    const config = yaml(`
allowlist: true
defaults: { max_workers_per_owner: 4 }
pools: [{ labels: [a], board: b, image: i }]
entities:
  - { id: 1, max_workers_per_owner: 10 }
  - { id: 2, max_workers_per_owner: null }
`);
    expect(entitySettings(config, 1).maxWorkersPerOwner).toBe(10);
    expect(entitySettings(config, 2).maxWorkersPerOwner).toBeNull();
    expect(entitySettings(config, 3).maxWorkersPerOwner).toBe(4);
    expect(
      problems(() =>
        yaml(
          'defaults: { max_workers_per_owner: 0 }\npools: [{ labels: [a], board: b, image: i }]',
        ),
      )[0],
    ).toMatch(/^runners\.yaml: defaults\.max_workers_per_owner: /);
  });

  it('names the path of a bad field', () => {
    expect(problems(() => yaml('pools: [{ labels: [a], board: "bad board!", image: i }]'))).toEqual(
      ['runners.yaml: pools[0].board: a label value'],
    );
    expect(
      problems(() =>
        yaml('pools: [{ labels: [a], board: b, image: i, pod: { privileged: "yes" } }]'),
      )[0],
    ).toMatch(/^runners\.yaml: pools\[0\]\.pod\.privileged: /);
    expect(
      problems(() =>
        yaml(
          'allowlist: true\npools: [{ labels: [b, a], board: x, image: i }, { labels: [a, b], board: y, image: i }]',
        ),
      ),
    ).toEqual(['runners.yaml: pools[1].labels: ["a","b"] is listed twice']);
    expect(problems(() => yaml('pools: [')).join()).toMatch(/^runners\.yaml: not valid YAML/);
    expect(problems(() => loadRunnersConfig('/nonexistent.yaml'))).toEqual([
      'RUNNERS_CONFIG: cannot read /nonexistent.yaml: ENOENT',
    ]);
  });
});

describe('pool pod options', () => {
  // Privileged Docker (the default) needs the allowlist; its rule is tested under "tenancy".
  const yaml = (s: string) => parseRunnersConfig(`allowlist: true\n${s}`, 'runners.yaml');
  const pool = (pod: string) =>
    `pools:\n  - { labels: [a], board: b, image: i }\n  - { labels: [c], board: d, image: i, pod: ${pod} }\n`;

  it('defaults a pool without pod options to privileged Docker with the image runner and bounded storage', () => {
    expect(yaml(pool('{}')).pools[0]!.pod).toEqual({
      docker: 'privileged',
      docker_mtu: 1450,
      docker_wait_seconds: 60,
      docker_storage: '20Gi',
      work_storage: '20Gi',
      ephemeral_storage: '20Gi',
      runner_version: '2.335.1',
      host_network: false,
      termination_grace_period_seconds: 30,
      tolerations: [],
      image_pull_secrets: [],
      resources: { requests: {}, limits: {} },
      node_selector: {},
      env: {},
    });
  });

  it('reads every option, numbers as quantities, and lets overrides have their own', () => {
    const config = yaml(`
pools:
  - labels: [a]
    board: b
    image: i
    pod:
      docker: rootless
      docker_mtu: 1400
      docker_wait_seconds: 120
      docker_storage: 50Gi
      work_storage: 10Gi
      ephemeral_storage: 64Gi
      runner_version: 2.336.0
      termination_grace_period_seconds: 90
      tolerations: [{ key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 30 }]
      image_pull_secrets: [ghcr]
      resources: { requests: { cpu: 4, memory: 8Gi }, limits: { memory: 12Gi, smarter-devices/fuse: 1 } }
      node_selector: { riseproject.dev/rvv: "true" }
      env: { FOO: bar }
overrides:
  - { entity: 7, labels: [a], board: b, image: i, pod: { docker: none } }
`);
    expect(config.pools[0]!.pod).toMatchObject({
      docker: 'rootless',
      docker_mtu: 1400,
      docker_wait_seconds: 120,
      docker_storage: '50Gi',
      work_storage: '10Gi',
      ephemeral_storage: '64Gi',
      runner_version: '2.336.0',
      termination_grace_period_seconds: 90,
      tolerations: [
        { key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      image_pull_secrets: ['ghcr'],
      resources: {
        requests: { cpu: '4', memory: '8Gi' },
        limits: { memory: '12Gi', 'smarter-devices/fuse': '1' },
      },
      node_selector: { 'riseproject.dev/rvv': 'true' },
      env: { FOO: 'bar' },
    });
    expect(config.pools[0]!.pod.docker === 'rootless').toBe(true);
    expect(config.overrides[0]!.pod.docker).toBe('none');
    expect(config.warnings).toEqual([]);
  });

  it.each([
    [
      '{ docker: rootless, host_network: true }',
      /^runners\.yaml: pools\[1\]\.pod\.host_network: cannot be true with docker: rootless: .*hostUsers: false.*hostNetwork: true/,
    ],
    ['{ docker: podman }', /^runners\.yaml: pools\[1\]\.pod\.docker: /],
    ['{ dind: true }', /^runners\.yaml: pools\[1\]\.pod\.dind: unknown option$/],
    ['{ docker_mtu: 40 }', /^runners\.yaml: pools\[1\]\.pod\.docker_mtu: /],
    [
      '{ docker: none, docker_mtu: 1400 }',
      /^runners\.yaml: pools\[1\]\.pod\.docker_mtu: has no effect with docker: none/,
    ],
    [
      '{ docker: none, docker_storage: 5Gi }',
      /^runners\.yaml: pools\[1\]\.pod\.docker_storage: has no effect/,
    ],
    [
      '{ ephemeral_storage: lots }',
      /^runners\.yaml: pools\[1\]\.pod\.ephemeral_storage: a quantity/,
    ],
    [
      '{ env: { RUNNER_JITCONFIG: x } }',
      /^runners\.yaml: pools\[1\]\.pod\.env\.RUNNER_JITCONFIG: is set by the pod itself/,
    ],
    [
      '{ env: { 9LIVES: x } }',
      /^runners\.yaml: pools\[1\]\.pod\.env\["9LIVES"\]: not a variable name$/,
    ],
    [
      '{ node_selector: { riseproject.dev/board: x } }',
      /^runners\.yaml: pools\[1\]\.pod\.node_selector\["riseproject\.dev\/board"\]: is the pool's board/,
    ],
    [
      '{ resources: { limits: { riseproject.com/runner: 2 } } }',
      /^runners\.yaml: pools\[1\]\.pod\.resources\.limits\["riseproject\.com\/runner"\]: is set by the pod itself/,
    ],
    [
      '{ resources: { limits: { ephemeral-storage: 1Gi } } }',
      /\.pod\.resources\.limits\["ephemeral-storage"\]: is set by the pod itself; use ephemeral_storage$/,
    ],
    [
      '{ resources: { requests: { cpu: 3 }, limits: { cpu: 2 } } }',
      /\.pod\.resources\.requests\.cpu: 3 is more than its limit 2$/,
    ],
    [
      '{ resources: { limits: { smarter-devices/fuse: 500m } } }',
      /\.pod\.resources\.limits\["smarter-devices\/fuse"\]: must be a whole number$/,
    ],
    [
      '{ tolerations: [{ key: k, operator: Exists, value: v }] }',
      /\.pod\.tolerations\[0\]\.value: must be empty with Exists$/,
    ],
    [
      '{ tolerations: [{ key: k, effect: NoSchedule, tolerationSeconds: 5 }] }',
      /\.tolerationSeconds: only applies to effect NoExecute$/,
    ],
    ['{ image_pull_secrets: [Not_A_Name] }', /\.pod\.image_pull_secrets\[0\]: a Secret name$/],
    ['{ termination_grace_period_seconds: -1 }', /\.pod\.termination_grace_period_seconds: /],
    ['{ docker: none, docker_in_docker: true }', /\.pod\.docker_in_docker: deprecated; remove it/],
  ])('refuses %s, naming the pool and the field', (pod, message) => {
    const found = problems(() => yaml(pool(pod)));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('names the override too', () => {
    const found = problems(() =>
      yaml(`
pools: [{ labels: [a], board: b, image: i }]
overrides: [{ entity: 1, labels: [a], board: b, image: i, pod: { docker: rootless, host_network: true } }]
`),
    );
    expect(found[0]).toMatch(/^runners\.yaml: overrides\[0\]\.pod\.host_network: /);
  });

  it('still reads docker_in_docker and privileged for one release, with a deprecation line naming docker', () => {
    const config = yaml(`
pools:
  - { labels: [a], board: b, image: i, pod: { docker_in_docker: true, host_network: true } }
  - { labels: [b], board: b, image: i, pod: { privileged: true } }
  - { labels: [c], board: b, image: i, pod: { docker_in_docker: false, privileged: false } }
  - { labels: [d], board: b, image: i, pod: { docker: none } }
overrides:
  - { entity: 1, labels: [a], board: b, image: i, pod: { docker_in_docker: true } }
`);
    expect(config.pools.map((p) => p.pod.docker)).toEqual([
      'privileged',
      'privileged',
      'none',
      'none',
    ]);
    expect(config.pools[0]!.pod.host_network).toBe(true);
    expect(config.overrides[0]!.pod.docker).toBe('privileged');
    expect(config.warnings).toEqual([
      'runners.yaml: pools[0].pod.docker_in_docker is deprecated and will be removed in the next release: use `docker: privileged` instead',
      'runners.yaml: pools[1].pod.privileged is deprecated and will be removed in the next release: use `docker: privileged` instead',
      'runners.yaml: pools[2].pod.docker_in_docker is deprecated and will be removed in the next release: use `docker: none` instead',
      'runners.yaml: pools[2].pod.privileged is deprecated and will be removed in the next release: use `docker: none` instead',
      'runners.yaml: overrides[0].pod.docker_in_docker is deprecated and will be removed in the next release: use `docker: privileged` instead',
    ]);
  });

  it('accepts the pool options as docs/runner-image.md lists them', () => {
    const doc = readFileSync('docs/runner-image.md', 'utf8');
    const block = /### Pool options\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    const { pod } = parseYaml(block ?? '') as { pod: Record<string, unknown> };
    expect(Object.keys(pod).length).toBeGreaterThan(10);
    const config = yaml(
      `pools: ${JSON.stringify([{ labels: ['a'], board: 'b', image: 'i', pod }])}`,
    );
    expect(config.pools[0]!.pod).toMatchObject({ docker: 'privileged', runner_version: '2.335.1' });
  });
});

describe('tenancy: who may use the runners', () => {
  const yaml = (s: string) => parseRunnersConfig(s, 'runners.yaml');
  const shipped = readFileSync('config/runners.yaml', 'utf8');

  it('ships allowlist: true with pytorch listed, and public repositories served by default', () => {
    const config = loadRunnersConfig('config/runners.yaml');
    expect(config.allowlist).toBe(true);
    expect(entitySettings(config, 21003710)).toMatchObject({
      listed: true,
      publicRepositories: true,
    });
    expect(entitySettings(config, 5)).toMatchObject({ listed: false, publicRepositories: true });
    // Its pools are privileged, so the shipped file only starts with the allowlist on.
    const open = problems(() => yaml(shipped.replace(/^allowlist: true$/m, 'allowlist: false')));
    expect(open).toHaveLength(config.pools.length + config.overrides.length);
  });

  it('refuses a privileged pool or override without the allowlist, one line each naming it and why', () => {
    const found = problems(() =>
      yaml(`
pools:
  - { labels: [a], board: b, image: i }
  - { labels: [r], board: b, image: i, pod: { docker: rootless } }
  - { labels: [n], board: b, image: i, pod: { docker: none } }
  - { labels: [p], board: b, image: i, pod: { docker: privileged } }
  - { labels: [old], board: b, image: i, pod: { privileged: true } }
overrides:
  - { entity: 7, labels: [x], board: b, image: i }
  - { entity: 7, labels: [y], board: b, image: i, pod: { docker: none } }
`),
    );
    const why =
      'is privileged (docker: privileged, the default), which gives workflow code root on the node; ' +
      'only allowlisted tenants may use it: set allowlist: true, or docker: rootless or none';
    expect(found).toEqual([
      `runners.yaml: pools[0].pod.docker: pool ["a"] ${why}`,
      `runners.yaml: pools[3].pod.docker: pool ["p"] ${why}`,
      `runners.yaml: pools[4].pod.docker: pool ["old"] ${why}`,
      `runners.yaml: overrides[0].pod.docker: entity 7's ["x"] ${why}`,
    ]);
  });

  it('starts privileged pools with allowlist: true, and unprivileged ones without it', () => {
    expect(yaml('allowlist: true\npools: [{ labels: [a], board: b, image: i }]').allowlist).toBe(
      true,
    );
    const open = yaml(`
pools: [{ labels: [a], board: b, image: i, pod: { docker: rootless } }]
overrides: [{ entity: 1, labels: [a], board: b, image: i, pod: { docker: none } }]
`);
    expect(open.allowlist).toBe(false);
  });

  it('stops the web process at start-up with that one line, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rise-tenancy-'));
    const path = join(dir, 'runners.yaml');
    writeFileSync(path, 'pools: [{ labels: [a], board: b, image: i }]\n');
    const { code, stderr } = await webStartupFailure({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      DEPLOY_ENV: 'prod',
      GHAPP_WEBHOOK_SECRET: 's',
      RUNNERS_CONFIG: path,
    });
    expect(code).toBe(1);
    expect(stderr).toEqual([
      `web: Invalid configuration: ${path}: pools[0].pod.docker: pool ["a"] is privileged (docker: privileged, the default), which gives workflow code root on the node; only allowlisted tenants may use it: set allowlist: true, or docker: rootless or none`,
    ]);
  });

  it('reads repositories (allow or deny, names or globs) and public_repositories, defaulting from defaults', () => {
    const config = yaml(`
allowlist: true
defaults: { public_repositories: false }
pools: [{ labels: [a], board: b, image: i }]
entities:
  - { id: 1, repositories: { allow: [Acme/Tool, 'acme/*-ci'] } }
  - { id: 2, repositories: { deny: ['acme/secret-*'] }, public_repositories: true }
  - { id: 3 }
`);
    const one = entitySettings(config, 1);
    expect(one).toMatchObject({ publicRepositories: false });
    expect(one.repositories).toMatchObject({
      mode: 'allow',
      patterns: ['Acme/Tool', 'acme/*-ci'],
    });
    expect(entitySettings(config, 2)).toMatchObject({
      publicRepositories: true,
      repositories: { mode: 'deny', patterns: ['acme/secret-*'] },
    });
    expect(entitySettings(config, 3).repositories).toBeUndefined();
    expect(entitySettings(config, 4).publicRepositories).toBe(false);
  });

  it.each([
    ['{ allow: [a/b], deny: [c/d] }', 'entities[0].repositories: give either allow or deny'],
    ['{}', 'entities[0].repositories: give either allow or deny'],
    ['{ allow: [] }', 'entities[0].repositories.allow: '],
    ['{ allow: [just-a-name] }', 'entities[0].repositories.allow[0]: owner/name, or a glob'],
    ['{ allow: [a/b], only: [c/d] }', 'entities[0].repositories.only: unknown option'],
    ['[a/b]', 'entities[0].repositories: '],
  ])('refuses repositories: %s, naming the field', (value, message) => {
    const found = problems(() =>
      yaml(
        `allowlist: true\npools: [{ labels: [a], board: b, image: i }]\nentities: [{ id: 1, repositories: ${value} }]`,
      ),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`runners.yaml: ${message}`);
  });

  it('refuses a public_repositories that is not a boolean, in defaults or an entity', () => {
    expect(
      problems(() =>
        yaml(
          'allowlist: true\ndefaults: { public_repositories: "no" }\npools: [{ labels: [a], board: b, image: i }]\nentities: [{ id: 1, public_repositories: 0 }]',
        ),
      ).map((p) => p.split(': ').slice(0, 2).join(': ')),
    ).toEqual([
      'runners.yaml: defaults.public_repositories',
      'runners.yaml: entities[0].public_repositories',
    ]);
  });
});
