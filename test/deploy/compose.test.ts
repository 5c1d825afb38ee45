/**
 * docker-compose.yml, the single-machine trial: checked by `docker compose config` (or Debian's
 * `docker-compose config`) where one is installed, and in any case by its structure: the
 * services the trial needs, and an environment for each process that its own config parser takes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Role } from '../../src/config/env.js';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  network_mode?: string;
  ports?: string[];
  volumes?: string[];
}

/** The first compose that answers, as [command, args…]. */
function findCompose(): string[] | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(cmd[0]!, [...cmd.slice(1), 'version'], { stdio: 'ignore' });
      return cmd;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const compose = findCompose();
if (!compose) {
  console.warn('no docker compose here: docker-compose.yml is checked by its structure only');
}

/** The file as compose sees it: its own `config` output, or the YAML with anchors merged. */
function load(): Record<string, Service> {
  const text = compose
    ? execFileSync(compose[0]!, [...compose.slice(1), '-f', 'docker-compose.yml', 'config'], {
        encoding: 'utf8',
        env: { ...process.env, DEPLOY_ENV: '', PORT: '', ADMIN_TOKEN: '' },
      })
    : readFileSync('docker-compose.yml', 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1');
  return (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
}

// The Compose keys this file may use (those Debian's docker-compose 1.29 also knows).
const TOP = new Set(['services', 'volumes', 'networks', 'configs', 'secrets']);
const SERVICE_KEYS = new Set([
  'build',
  'image',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'depends_on',
  'deploy',
  'healthcheck',
  'network_mode',
  'ports',
  'restart',
  'user',
  'volumes',
]);

const services = load();
const env = (name: string) => services[name]?.environment ?? {};

describe('docker-compose.yml', () => {
  it('uses only Compose keys, and `config` accepts it where a compose is installed', () => {
    const raw = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as Record<
      string,
      unknown
    >;
    expect(Object.keys(raw).filter((k) => !k.startsWith('x-') && !TOP.has(k))).toEqual([]);
    for (const [name, service] of Object.entries(raw.services as Record<string, object>)) {
      expect({ name, unknown: Object.keys(service).filter((k) => !SERVICE_KEYS.has(k)) }).toEqual({
        name,
        unknown: [],
      });
    }
    // Where a compose is installed, `load()` read the file through its `config`, which fails on
    // an invalid file: getting this far means it passed.
    if (compose) expect(Object.keys(services)).toContain('worker');
  });

  it('runs PostgreSQL, Redis, the simulator, release, web and two workers', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['postgres', 'redis', 'release', 'sim', 'web', 'worker'].sort(),
    );
    expect(services.worker?.deploy?.replicas).toBe(2);
    for (const name of ['web', 'worker']) {
      expect(services[name]?.depends_on?.release?.condition).toBe('service_completed_successfully');
    }
    for (const name of ['release', 'web', 'worker']) {
      expect(services[name]?.network_mode).toBe('service:sim');
    }
  });

  it.each<[Role, string]>([
    ['release', 'release'],
    ['web', 'web'],
    ['worker', 'worker'],
  ])('gives `%s` every variable it requires', (role, name) => {
    const vars = { ...env(name) };
    if (role === 'worker') {
      // The keys come from the simulator's files, read by the command at start.
      const command = (services.worker?.command ?? []).join(' ');
      expect(command).toContain('GHAPP_ORG_PRIVATE_KEY="$$(cat /sim/org-app.pem)"');
      expect(command).toContain('GHAPP_PERSONAL_PRIVATE_KEY="$$(cat /sim/personal-app.pem)"');
      vars.GHAPP_ORG_PRIVATE_KEY = 'PEM';
      vars.GHAPP_PERSONAL_PRIVATE_KEY = 'PEM';
    }
    expect(loadConfig(role, vars).deployEnv).toBe('staging');
  });

  it('points the app at the simulator it runs', () => {
    const simArgs = (services.sim?.command ?? []).join(' ');
    const port = /--github-port=(\d+)/.exec(simArgs)?.[1];
    expect(env('worker').GITHUB_API_URL).toBe(`http://127.0.0.1:${port}`);
    expect(env('web').GITHUB_WEB_URL).toBe(`http://127.0.0.1:${port}`);
    expect(simArgs).toContain(`--secret=${env('web').GHAPP_WEBHOOK_SECRET}`);
    expect(simArgs).toContain(`--webhook=http://127.0.0.1:${env('web').PORT}/webhook`);
    expect(env('worker').KUBECONFIG).toBe(`${/--out=(\S+)/.exec(simArgs)?.[1]}/kubeconfig.yaml`);
  });
});
