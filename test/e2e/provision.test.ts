import { afterEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/queues/registry.js';
import { org, user, waitForJob, jobRow } from '../helpers/scenario.js';
import { BASE_RUNNERS, startSystem, type TestSystem } from '../helpers/system.js';
import { waitFor } from '../helpers/wait.js';

const JIT_ORG = 'POST /orgs/{org}/actions/runners/generate-jitconfig';
let sys: TestSystem | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

const workers = (s: TestSystem) => s.query('select * from workers order by created_at');

describe('main path', () => {
  it('serves an organization job end to end: group, org JIT config, Secret, pod, runner, completed', async () => {
    sys = await startSystem({
      // Privileged Docker (the pools' default) is for allowlisted entities only.
      runnersYaml: `
allowlist: true
entities: [{ id: 5550 }]
pools:
  - { labels: [ubuntu-24.04-riscv], board: scw-em-rv1, image: runner:24.04 }
  - { labels: [ubuntu-24.04-riscv-rvv], board: cloudv10x-rvv, image: runner:24.04 }
`,
      sim: {
        nodes: [
          { name: 'n1', board: 'scw-em-rv1' },
          { name: 'r1', board: 'cloudv10x-rvv' },
        ],
      },
    });
    const { repo, account } = org(sys.sim, 'acme', 'app', 5550);
    const job = sys.sim.github.queueJob({
      repo,
      labels: ['ubuntu-24.04-riscv-rvv'],
      durationMs: 50,
    });
    const row = await waitForJob(sys, job.id, 'completed');
    expect(row).toMatchObject({ entity_id: String(account.id), k8s_pool: 'cloudv10x-rvv' });
    expect(row.runner_name).toMatch(/^rise-riscv-runner-[a-z0-9]{12}$/);
    const [w] = await waitFor(async () =>
      (await workers(sys!))[0]?.status === 'completed' ? workers(sys!) : undefined,
    );
    expect(w).toMatchObject({
      pod_name: row.runner_name,
      k8s_node: 'r1',
      entity_type: 'Organization',
      repo_full_name: null,
    });
    expect(w.running_at).not.toBeNull();
    // The runner was org-scoped, in our group, with the job's labels; GitHub removed it after the job.
    const gjob = sys.sim.github.getJob(job.id)!;
    expect(gjob).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      runnerName: w.pod_name,
      runnerGroupName: 'RISE RISC-V Runners',
    });
    expect(sys.sim.github.state.groupsOf(account.id).map((g) => g.name)).toContain(
      'RISE RISC-V Runners',
    );
    expect(sys.sim.github.listRunners().find((r) => r.name === w.pod_name)).toBeUndefined();
    // The pod followed the contract, and the pod owns the Secret (finished pods stay for their logs).
    const pod = sys.sim.kube.state.get('Pod', 'default', w.pod_name)!;
    expect(pod.spec).toMatchObject({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      hostNetwork: false,
      terminationGracePeriodSeconds: 30,
      nodeSelector: { 'riseproject.dev/board': 'cloudv10x-rvv' },
    });
    // The runner image's own pod: one container, its entrypoint, privileged Docker by default.
    expect(pod.spec.tolerations).toContainEqual({
      key: 'riseproject.dev/runner',
      operator: 'Equal',
      value: 'true',
      effect: 'NoSchedule',
    });
    const [runner, ...others] = pod.spec.containers;
    expect(others).toEqual([]);
    expect(runner).not.toHaveProperty('command');
    expect(runner!.env).toEqual(
      expect.arrayContaining([
        {
          name: 'RUNNER_JITCONFIG',
          valueFrom: { secretKeyRef: { name: w.pod_name, key: 'jitconfig' } },
        },
        { name: 'DOCKER_MODE', value: 'privileged' },
        { name: 'DOCKER_MTU', value: '1450' },
      ]),
    );
    expect(runner!.securityContext).toMatchObject({ privileged: true, runAsUser: 1001 });
    expect(runner!.resources?.requests).toMatchObject({ 'ephemeral-storage': '20Gi' });
    expect(pod.spec.volumes).toEqual([
      { name: 'work', emptyDir: { sizeLimit: '20Gi' } },
      { name: 'docker', emptyDir: { sizeLimit: '20Gi' } },
    ]);
    expect(sys.sim.kube.state.logs.read(pod.metadata.uid, 'runner').map((l) => l.line)).toContain(
      'entrypoint: docker is ready',
    );
    const secret = sys.sim.kube.state.get('Secret', 'default', w.pod_name)!;
    expect(secret.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Pod',
      uid: pod.metadata.uid,
    });
    expect(JSON.stringify(pod)).not.toContain(
      Buffer.from(secret.data!.jitconfig!, 'base64').toString(),
    );
  });

  it('serves a personal account with a repository-scoped runner through the personal App', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const { repo, repoId } = user(sys.sim, 'alice');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    const row = await waitForJob(sys, job.id, 'completed');
    expect(row).toMatchObject({ entity_id: String(repoId), entity_type: 'User' });
    const [w] = await workers(sys);
    expect(w).toMatchObject({ entity_type: 'User', repo_full_name: 'alice/tool' });
    const calls = sys.sim.github.calls().byRoute;
    expect(calls['POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig']).toBe(1);
    expect(calls[JIT_ORG]).toBeUndefined();
  });

  it('serves a rootless pool from a user-namespaced pod, on tainted runner nodes', async () => {
    sys = await startSystem({
      runnersYaml: `
pools:
  - labels: [ubuntu-24.04-riscv]
    board: scw-em-rv1
    image: runner:24.04
    pod: { docker: rootless, docker_storage: 30Gi, resources: { limits: { memory: 8Gi } } }
`,
      sim: {
        nodes: [
          {
            name: 'n1',
            board: 'scw-em-rv1',
            taints: [{ key: 'riseproject.dev/runner', value: 'true', effect: 'NoSchedule' }],
          },
        ],
      },
    });
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    const row = await waitForJob(sys, job.id, 'completed');
    const pod = sys.sim.kube.state.get('Pod', 'default', row.runner_name)!;
    expect(pod.spec).toMatchObject({ hostUsers: false, nodeName: 'n1' });
    expect(pod.spec.containers[0]!.securityContext).toMatchObject({
      allowPrivilegeEscalation: true,
      capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
      procMount: 'Unmasked',
    });
    expect(pod.spec.containers[0]!.resources?.limits).toMatchObject({ memory: '8Gi' });
    expect(sys.sim.github.getJob(job.id)).toMatchObject({ conclusion: 'success' });
    expect(sys.sim.kube.state.logs.read(pod.metadata.uid, 'runner').map((l) => l.line)).toContain(
      'entrypoint: docker is ready',
    );
  });

  it('respects max_workers: never more than the cap of an entity at once, and everyone is served', async () => {
    sys = await startSystem({
      runnersYaml: `${BASE_RUNNERS}\nentities: [{ id: 5551, max_workers: 2 }]`,
      sim: {
        github: { seed: 1 },
        nodes: Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, board: 'scw-em-rv1' })),
      },
    });
    const { repo } = org(sys.sim, 'capped', 'app', 5551);
    const jobs = Array.from({ length: 6 }, () =>
      sys!.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 150 }),
    );
    for (const j of jobs) await waitForJob(sys, j.id, 'completed', 15_000);
    const bindings = sys.sim.kube.control.bindings();
    expect(bindings).toHaveLength(6);
    expect(maxConcurrent(bindings)).toBe(2);
  });

  it('waits when the board has no free node, then proceeds as soon as a node appears', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'other', board: 'cloudv10x-rvv' }] } });
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    const bull = await waitFor(
      async () => {
        const j = await sys!.workers[0]!.queues.provision.getJob(jobIds.provision(job.id));
        return j && (await j.isDelayed()) ? j : undefined;
      },
      { what: 'provision job delayed' },
    );
    expect((await sys.workers[0]!.queues.provision.getJobLogs(bull.id!)).logs.join()).toContain(
      'waiting: no_capacity',
    );
    expect(await workers(sys)).toHaveLength(0);
    expect((await jobRow(sys, job.id)).status).toBe('pending');
    const added = Date.now();
    sys.sim.kube.addNode({ name: 'late', board: 'scw-em-rv1' });
    await waitForJob(sys, job.id, 'completed');
    // Woken by the node appearing, not by the 30 s safety-net delay.
    expect(Date.now() - added).toBeLessThan(5_000);
  });

  it('takes the pod image from the runners config, never from the stored job or worker row', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'other', board: 'cloudv10x-rvv' }] } });
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    await waitForJob(sys, job.id, 'pending');
    // A row carrying another image (a tampered spool record, a hand edit, an old config).
    await sys.query('update jobs set k8s_image = $1 where job_id = $2', ['evil/miner:1', job.id]);
    sys.sim.kube.addNode({ name: 'late', board: 'scw-em-rv1' });
    await waitForJob(sys, job.id, 'completed');
    const [w] = await workers(sys);
    expect(w.k8s_image).toBe('evil/miner:1');
    const pod = sys.sim.kube.state.get('Pod', 'default', w.pod_name)!;
    expect(pod.spec.containers.map((c) => c.image)).toEqual(['runner:24.04']);
  });

  it('fails the worker without minting a runner when no pool of the runners config matches its row', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'other', board: 'cloudv10x-rvv' }] } });
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 30 });
    await waitForJob(sys, job.id, 'pending');
    // The pool was removed from the config (or the row edited) after the job was recorded.
    await sys.query(`update jobs set job_labels = '["gone-pool"]' where job_id = $1`, [job.id]);
    sys.sim.kube.addNode({ name: 'late', board: 'scw-em-rv1' });
    const [w] = await waitFor(async () => {
      const rows = await workers(sys!);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    expect(w.failure_info).toMatchObject({
      reason: 'pod_allocation_failure',
      error: { message: expect.stringContaining('no pool in the runners config matches') },
    });
    expect(sys.sim.github.calls().byRoute[JIT_ORG]).toBeUndefined();
    expect(sys.sim.kube.state.get('Pod', 'default', w.pod_name)).toBeUndefined();
  });

  it('waits when another job holds the only node, and takes it as soon as that runner finishes', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'only', board: 'scw-em-rv1' }] } });
    const { repo } = org(sys.sim, 'acme');
    const first = sys.sim.github.queueJob({
      repo,
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 300,
    });
    await waitForJob(sys, first.id, 'running');
    const second = sys.sim.github.queueJob({
      repo,
      labels: ['ubuntu-24.04-riscv'],
      durationMs: 30,
    });
    await waitForJob(sys, first.id, 'completed');
    const freedAt = Date.now();
    await waitForJob(sys, second.id, 'completed');
    expect(Date.now() - freedAt).toBeLessThan(5_000);
    expect(sys.sim.kube.control.maxConcurrentPodsPerNode()).toBe(1);
  });

  it('skips a job whose demand is already met', async () => {
    sys = await startSystem({
      sim: {
        nodes: [
          { name: 'n1', board: 'scw-em-rv1' },
          { name: 'n2', board: 'scw-em-rv1' },
        ],
      },
    });
    sys.sim.kube.control.holdPods({});
    const { repo } = org(sys.sim, 'acme');
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'] });
    await waitFor(async () => (await workers(sys!)).length === 1, { what: 'a worker reserved' });
    // Provision the same job again: its pool already has a worker for it.
    const queue = sys.workers[0]!.queues.provision;
    await waitFor(async () => !(await queue.getJob(jobIds.provision(job.id))), {
      what: 'first provision job done',
    });
    const again = await queue.add(
      'provision',
      { jobId: job.id, board: 'scw-em-rv1' },
      { jobId: 'again-1', removeOnComplete: false },
    );
    const done = await waitFor(async () =>
      (await again.isCompleted()) ? queue.getJob('again-1') : undefined,
    );
    expect(done.returnvalue).toEqual({ outcome: 'covered' });
    expect(await workers(sys)).toHaveLength(1);
  });
});

describe('errors', () => {
  it('retries transient GitHub errors and resolves a 409 for a runner name already taken', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const { repo } = org(sys.sim, 'acme');
    sys.sim.github.faults.error(JIT_ORG, 502, { count: 2 });
    const one = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 20 });
    await waitForJob(sys, one.id, 'completed');
    expect(sys.sim.github.calls().byRoute[JIT_ORG]).toBe(3);
    sys.sim.github.faults.error(JIT_ORG, 409, { count: 1, message: 'Already exists' });
    const two = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 20 });
    await waitForJob(sys, two.id, 'completed');
    expect((await workers(sys)).map((w) => w.status)).toEqual(['completed', 'completed']);
  });

  it('honours a rate limit, then succeeds', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const { repo } = org(sys.sim, 'acme');
    sys.sim.github.faults.rateLimit(JIT_ORG, { type: 'secondary', retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 20 });
    await waitForJob(sys, job.id, 'completed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('fails the worker and the jobs on a permanent error instead of retrying forever', async () => {
    sys = await startSystem({ sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] } });
    const { repo } = org(sys.sim, 'acme');
    sys.sim.github.faults.error('POST /app/installations/{installation_id}/access_tokens', 404, {
      count: 100,
    });
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'] });
    const row = await waitForJob(sys, job.id, 'failed');
    expect(row.failure_info).toMatchObject({ version: 2, reason: 'installation_unavailable' });
    const [w] = await workers(sys);
    expect(w).toMatchObject({
      status: 'failed',
      failure_info: { version: 2, reason: 'pod_allocation_failure', permanent: true },
    });
    expect(sys.sim.kube.state.list('Pod')).toHaveLength(0);
    expect(await workers(sys)).toHaveLength(1);
  });

  it('fails the worker after transient errors outlast the retries, cleans up, and a fresh worker serves the job', async () => {
    sys = await startSystem({
      githubRetries: 0,
      sim: { nodes: [{ name: 'n1', board: 'scw-em-rv1' }] },
    });
    const { repo } = org(sys.sim, 'acme');
    sys.sim.github.faults.error(JIT_ORG, 500, { count: 5 });
    const job = sys.sim.github.queueJob({ repo, labels: ['ubuntu-24.04-riscv'], durationMs: 20 });
    await waitForJob(sys, job.id, 'completed', 15_000);
    // The job's completed webhook can land before the pod's end reaches the worker row.
    const ws = await waitFor(async () => {
      const rows = await workers(sys!);
      return rows.every((w) => w.status !== 'running' && w.status !== 'pending') ? rows : undefined;
    });
    expect(ws.map((w) => w.status)).toEqual(['failed', 'completed']);
    expect(ws[0].failure_info).toMatchObject({
      version: 2,
      reason: 'pod_allocation_failure',
      permanent: false,
      error: { status: 500 },
    });
  });
});

/** The most runner pods of one entity bound at the same time. */
function maxConcurrent(
  bindings: readonly {
    labels: Readonly<Record<string, string>>;
    boundSeq: number;
    releasedSeq?: number;
  }[],
): number {
  const steps = bindings.flatMap((b) => [
    { seq: b.boundSeq, d: 1 },
    ...(b.releasedSeq !== undefined ? [{ seq: b.releasedSeq, d: -1 }] : []),
  ]);
  steps.sort((a, b) => a.seq - b.seq);
  let cur = 0;
  let max = 0;
  for (const s of steps) max = Math.max(max, (cur += s.d));
  return max;
}
