/**
 * No secret ever lands in Redis (docs/operations.md promises it to whoever runs `redis-cli`).
 * While the whole system serves jobs (an organization and a personal account, with transient
 * GitHub and Kubernetes errors and a worker that fails for good), every key under the prefix is
 * read over and over; then every secret the run handled is looked for in what was seen: JIT
 * configs (as GitHub returns them, as the Secret holds them, and the runner secret inside),
 * installation tokens, the Apps' private keys, the webhook secret, ADMIN_TOKEN and the session.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/queues/keys.js';
import { encodeJitConfig } from '../../src/sim/github/runners.js';
import type { Runner } from '../../src/sim/github/model.js';
import { org, user, waitForJob } from '../helpers/scenario.js';
import { startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';
import { SECRET } from '../helpers/web.js';
import { ADMIN_TOKEN, startSystemOperatorWeb, type OperatorWeb } from './helpers.js';

const PODS = 'POST /api/v1/namespaces/{namespace}/pods';
const SECRETS = 'POST /api/v1/namespaces/{namespace}/secrets';
const JIT_REPO = 'POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig';

/** Every key under the prefix with its whole value, whatever its type. */
async function dump(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const types = await Promise.all(keys.map((k) => redis.type(k)));
    await Promise.all(
      keys.map(async (key, i) => {
        const read: Record<string, () => Promise<unknown>> = {
          string: () => redis.get(key),
          hash: () => redis.hgetall(key),
          list: () => redis.lrange(key, 0, -1),
          set: () => redis.smembers(key),
          zset: () => redis.zrange(key, 0, -1, 'WITHSCORES'),
          stream: () => redis.xrange(key, '-', '+'),
        };
        const type = types[i]!;
        if (type === 'none') return; // gone since the scan
        if (!read[type]) throw new Error(`key ${key} has an unexpected type ${type}`);
        out.set(key, `${type} ${JSON.stringify(await read[type]())}`);
      }),
    );
  } while (cursor !== '0');
  return out;
}

let sys: TestSystem;
let web: OperatorWeb;
const seen = new Map<string, Set<string>>();
const runners = new Map<number, Runner>();
let session = '';

beforeAll(async () => {
  sys = await startSystem({
    sim: {
      nodes: [
        { name: 'n1', board: 'scw-em-rv1' },
        { name: 'r1', board: 'cloudv10x-rvv' },
      ],
    },
  });
  // Runners (each holds its JIT secret) are removed once used; keep every one that was minted.
  sys.sim.github.state.events.on('runner:deleted', (r) => runners.set(r.id, r));
  web = await startSystemOperatorWeb(sys);

  let sampling = true;
  const reader = sys.redis.redis.duplicate();
  const record = async () => {
    for (const [key, value] of await dump(reader, sys.redis.prefix)) {
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(value);
    }
  };
  const sampler = (async () => {
    while (sampling) {
      await record();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  try {
    const acme = org(sys.sim, 'acme');
    const alice = user(sys.sim, 'alice');
    // acme's first runner: the Secret fails once, then its pod five times (every attempt of that
    // worker, which fails for good with failure_info); the last failure hits the next worker.
    sys.sim.kube.control.failNext(SECRETS, { status: 500, count: 1 });
    sys.sim.kube.control.failNext(PODS, { status: 500, count: 5 });
    const orgJob = sys.sim.github.queueJob({
      repo: acme.repo,
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 30,
    });
    await waitForJob(sys, orgJob.id, 'completed', 20_000);
    // alice's runner: GitHub fails the repository JIT config once.
    sys.sim.github.faults.error(JIT_REPO, 502, { count: 1 });
    const userJob = sys.sim.github.queueJob({
      repo: alice.repo,
      labels: ['ubuntu-24.04-riscv-rvv'],
      durationMs: 30,
    });
    await waitForJob(sys, userJob.id, 'completed', 20_000);
    expect(
      (await sys.query<{ status: string }>('select status from workers order by created_at')).map(
        (w) => w.status,
      ),
    ).toEqual(['failed', 'completed', 'completed']);

    // An operator logs in and looks around.
    const login = await web.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/usage' }).toString(),
    });
    session = login.headers.get('set-cookie')!.split(';')[0]!.split('=')[1]!;
    for (const path of ['/usage', `/jobs/${orgJob.id}`, '/admin/queues/api/queues']) {
      expect(
        (await web.fetch(path, { headers: { cookie: `rise_session=${session}` } })).status,
      ).toBe(200);
    }
    // The leader republishes the cluster snapshot every 2 s (stamped with its time): one more
    // round of it.
    const snapshotKey = redisKeys(sys.redis.prefix).cluster;
    const shown = await sys.redis.redis.get(snapshotKey);
    await waitFor(async () => (await sys.redis.redis.get(snapshotKey)) !== shown, {
      what: 'the cluster snapshot published again',
    });
  } finally {
    sampling = false;
    await sampler;
    await record();
    reader.disconnect();
  }
  for (const r of sys.sim.github.state.runners.values()) runners.set(r.id, r);
}, 60_000);

afterAll(async () => {
  await web?.close();
  await sys?.close();
});

function secrets(): Record<string, string[]> {
  const jit = [...runners.values()].map((r) =>
    encodeJitConfig({
      runner_id: r.id,
      name: r.name,
      scope: r.scope,
      labels: r.labels,
      secret: r.secret,
    }),
  );
  const pemLines = (pem: string) =>
    pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
  return {
    'JIT config (encoded_jit_config)': jit,
    'JIT config (as the Secret holds it)': jit.map((j) => Buffer.from(j).toString('base64')),
    'runner secret inside a JIT config': [...runners.values()].map((r) => r.secret),
    'installation token': [...sys.sim.github.state.tokens.keys()],
    'org App private key': pemLines(sys.sim.github.apps.org.privateKeyPem),
    'personal App private key': pemLines(sys.sim.github.apps.personal.privateKeyPem),
    'webhook secret': [SECRET],
    ADMIN_TOKEN: [ADMIN_TOKEN],
    'operator session': [session],
  };
}

describe('Redis holds no secret', () => {
  it('the run handled secrets, and Redis held what operators inspect', () => {
    const keys = [...seen.keys()];
    // What a leak would have hidden in: job data, failure reasons, caches, locks.
    for (const suffix of [
      ':cache:cluster',
      ':cache:last-errors',
      ':leader:pod-follower',
      ':provision:events',
      ':runners:failed',
    ]) {
      expect(keys).toContain(`${sys.redis.prefix}${suffix}`);
    }
    expect(keys.some((k) => /:runners:runner-rise-riscv-runner-\w+$/.test(k))).toBe(true);
    expect(keys.some((k) => /:provision:job-\d+$/.test(k))).toBe(true);
    // A runner creation failed for good: its BullMQ job, with failedReason and stack, stays.
    const failedRunnerJob = [...seen.entries()].some(
      ([k, vs]) =>
        /:runners:runner-[\w-]+$/.test(k) && [...vs].some((v) => v.includes('failedReason')),
    );
    expect(failedRunnerJob).toBe(true);
    const s = secrets();
    expect(s['JIT config (encoded_jit_config)']!.length).toBeGreaterThanOrEqual(3);
    expect(s['installation token']!.length).toBeGreaterThanOrEqual(2);
    expect(s['operator session']![0]).toMatch(/^v1\./);
  });

  it('no value nor key seen under the prefix contains any of them', () => {
    const text = [...seen.entries()].map(([k, vs]) => `${k}\n${[...vs].join('\n')}`).join('\n');
    const leaks: string[] = [];
    for (const [what, values] of Object.entries(secrets())) {
      for (const v of values) if (v && text.includes(v)) leaks.push(`${what}: ${v.slice(0, 12)}…`);
    }
    expect(leaks).toEqual([]);
    // Nor anything shaped like one.
    expect(text).not.toMatch(/ghs_[A-Za-z0-9]{20}|-----BEGIN|eyJhbGciOi|encoded_jit_config/);
  });
});
