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
      ADMIN_TOKEN: 'a-very-long-admin-token',
    });
    expect(config.apps.org?.privateKey).toBe('-----BEGIN KEY-----\nabc\n-----END KEY-----');
    const shown = JSON.stringify(redactConfig(config));
    for (const secret of ['s1', 'abc', 'a-very-long-admin-token', 'pw@', 'apiVersion']) {
      expect(shown).not.toContain(secret);
    }
  });
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
defaults: { max_workers: 3 }
pools: [{ labels: [a], board: b, image: i }]
entities:
  - { id: 1, max_workers: null, staging: true }
  - { id: 2, staging: [o/staged] }
`);
    expect(entitySettings(config, 1)).toEqual({ maxWorkers: null, staging: true, listed: true });
    expect(entitySettings(config, 2).maxWorkers).toBe(3);
    expect(entitySettings(config, 3)).toEqual({ maxWorkers: 3, staging: false, listed: false });
    expect(routesToStaging(config, 1, 'x/y')).toBe(true);
    expect(routesToStaging(config, 2, 'O/Staged')).toBe(true);
    expect(routesToStaging(config, 2, 'o/other')).toBe(false);
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
          'pools: [{ labels: [b, a], board: x, image: i }, { labels: [a, b], board: y, image: i }]',
        ),
      ),
    ).toEqual(['runners.yaml: pools[1].labels: ["a","b"] is listed twice']);
    expect(problems(() => yaml('pools: [')).join()).toMatch(/^runners\.yaml: not valid YAML/);
    expect(problems(() => loadRunnersConfig('/nonexistent.yaml'))).toEqual([
      'RUNNERS_CONFIG: cannot read /nonexistent.yaml: ENOENT',
    ]);
  });
});
