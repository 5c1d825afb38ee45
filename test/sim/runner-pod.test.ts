/**
 * The simulator runs the runner pod our manifests build (src/kube/manifests.ts), through the real
 * @kubernetes/client-node: the kubelet resolves RUNNER_JITCONFIG from the pod-owned Secret, the
 * Actions service plays the image's entrypoint (Docker per mode, then the runner), and the
 * start-up delays apply per image, node and board.
 */
import { ApiException, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { podOptionsSchema } from '../../src/config/pod-options.js';
import type { DockerMode } from '../../src/config/runners.js';
import { trackPodStart } from '../../src/demo/pod-start.js';
import { RUNNER_TAINT } from '../../src/kube/constants.js';
import { jitSecret, runnerPod, type RunnerPodSpec } from '../../src/kube/manifests.js';
import { startSimulator, type Simulator, type StartupOptions } from '../../src/sim/index.js';
import { waitFor } from '../helpers/wait.js';
import { simApps } from '../helpers/sim-keys.js';

const namespace = 'runners';
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(
  startup: StartupOptions = {},
  nodes = [{ name: 'em-1', board: 'scw-em-rv1' }],
) {
  sim = await startSimulator({
    github: { apps: simApps() },
    startup,
    nodes: nodes.map((n) => ({ ...n, taints: [RUNNER_TAINT] })),
  });
  sim.github.addOrg({ login: 'acme' });
  sim.github.addRepo({ owner: 'acme', name: 'app' });
  sim.github.installApp('org', 'acme');
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return { sim, api: kc.makeApiClient(CoreV1Api) };
}

function spec(
  name: string,
  pod: Record<string, unknown> = {},
  board = 'scw-em-rv1',
): RunnerPodSpec {
  return {
    name,
    namespace,
    board,
    image: 'ghcr.io/riseproject-dev/riscv-runner:ubuntu-24.04',
    entityId: 1,
    entityName: 'acme',
    labels: ['ubuntu-24.04-riscv'],
    deployEnv: 'prod',
    activeDeadlineSeconds: 600,
    pod: podOptionsSchema.parse(pod),
  };
}

/** What create-runner does: mint a JIT config, put it in the Secret, create the pod. */
async function provision(s: Simulator, api: CoreV1Api, podSpec: RunnerPodSpec, body?: V1Pod) {
  const org = s.github.state.account('acme')!;
  const jit = s.github.runners.generateJitConfig(
    { kind: 'org', org },
    { name: podSpec.name, runner_group_id: 1, labels: podSpec.labels },
  );
  await api.createNamespacedSecret({ namespace, body: jitSecret(podSpec, jit.encoded) });
  await api.createNamespacedPod({ namespace, body: body ?? runnerPod(podSpec) });
  return jit;
}

const pod = (s: Simulator, name: string) => s.kube.state.get('Pod', namespace, name);
const logLines = (s: Simulator, name: string) =>
  s.kube.state.logs.read(pod(s, name)!.metadata.uid, 'runner').map((l) => l.line);
const events = (s: Simulator, name: string) =>
  s.kube.state
    .list('Event', namespace)
    .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === name)
    .map((e) => ({ reason: String(e.reason), message: String(e.message) }));

describe('the runner pod our manifests build', () => {
  it.each<DockerMode>(['privileged', 'rootless', 'none'])(
    '%s: lands on a tainted runner node, reads RUNNER_JITCONFIG from its Secret, registers, runs its job, Succeeds',
    async (docker) => {
      const { sim, api } = await start();
      const job = sim.github.queueJob({
        repo: 'acme/app',
        labels: ['ubuntu-24.04-riscv'],
        durationMs: 20,
      });
      const jit = await provision(sim, api, spec(`runner-${docker}`, { docker }));
      await waitFor(() => pod(sim, `runner-${docker}`)?.status.phase === 'Succeeded', {
        what: 'the pod succeeded',
      });
      expect(pod(sim, `runner-${docker}`)!.spec.nodeName).toBe('em-1');
      expect(sim.github.getJob(job.id)).toMatchObject({
        conclusion: 'success',
        runnerName: `runner-${docker}`,
      });
      const lines = logLines(sim, `runner-${docker}`);
      expect(lines).toContain('entrypoint: starting runner 2.335.1');
      expect(lines).toContain('√ Connected to GitHub');
      expect(lines.some((l) => l.includes('dockerd'))).toBe(docker !== 'none');
      // The JIT config went through the Secret only: never in the pod, never in a log.
      expect(JSON.stringify(pod(sim, `runner-${docker}`))).not.toContain(jit.encoded);
      expect(lines.join('\n')).not.toContain(jit.encoded);
    },
  );

  it('stays off a tainted runner node without the toleration', async () => {
    const { sim, api } = await start();
    const body = runnerPod(spec('intolerant'));
    body.spec!.tolerations = [];
    await provision(sim, api, spec('intolerant'), body);
    await waitFor(() => events(sim, 'intolerant').some((e) => e.reason === 'FailedScheduling'));
    expect(
      events(sim, 'intolerant').find((e) => e.reason === 'FailedScheduling')?.message,
    ).toContain('untolerated taint {riseproject.dev/runner: true}');
  });

  it('fails, with the entrypoint’s log, when the pod lacks what its Docker mode needs', async () => {
    const { sim, api } = await start();
    const body = runnerPod(spec('no-seccomp', { docker: 'rootless' }));
    body.spec!.containers[0]!.securityContext!.seccompProfile = { type: 'RuntimeDefault' };
    await provision(sim, api, spec('no-seccomp', { docker: 'rootless' }), body);
    await waitFor(() => pod(sim, 'no-seccomp')?.status.phase === 'Failed', {
      what: 'the pod failed',
    });
    expect(logLines(sim, 'no-seccomp')).toEqual(
      expect.arrayContaining([
        'entrypoint: dockerd exited before docker answered',
        '  [rootlesskit:parent] error: operation not permitted (missing: seccomp Unconfined)',
      ]),
    );
  });

  it('pulls the image on the first pod of a node only, slower on a slower board', async () => {
    const { sim, api } = await start({ imagePullMs: 40, boards: { 'scw-em-rv1': 2 } });
    sim.github.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv'], durationMs: 5 });
    sim.github.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv'], durationMs: 5 });
    await provision(sim, api, spec('first'));
    await waitFor(() => pod(sim, 'first')?.status.phase === 'Succeeded');
    const pulled = events(sim, 'first').find((e) => e.reason === 'Pulled')!.message;
    const took = Number(/ in (\d+)ms/.exec(pulled)?.[1]);
    expect(took).toBeGreaterThanOrEqual(80);
    await provision(sim, api, spec('second'));
    await waitFor(() => pod(sim, 'second')?.status.phase === 'Succeeded');
    expect(events(sim, 'second').find((e) => e.reason === 'Pulled')?.message).toBe(
      'Container image "ghcr.io/riseproject-dev/riscv-runner:ubuntu-24.04" already present on machine',
    );
  });

  it('is refused, as by the API server, where the combination cannot work', async () => {
    const { api } = await start();
    const refused = async (body: V1Pod) => {
      try {
        await api.createNamespacedPod({ namespace, body });
      } catch (err) {
        if (!(err instanceof ApiException)) throw err;
        const status = JSON.parse(err.body as string);
        return {
          code: err.code,
          causes: status.details.causes as { field: string; message: string }[],
        };
      }
      throw new Error('created');
    };
    const hostNet = runnerPod(spec('a', { docker: 'rootless' }));
    hostNet.spec!.hostNetwork = true;
    expect(await refused(hostNet)).toEqual({
      code: 422,
      causes: [
        {
          reason: 'FieldValueForbidden',
          message: 'Forbidden: when `pod.Spec.HostUsers` is false',
          field: 'spec.hostNetwork',
        },
      ],
    });
    const masked = runnerPod(spec('b', { docker: 'rootless' }));
    delete masked.spec!.hostUsers;
    expect((await refused(masked)).causes[0]).toMatchObject({
      field: 'spec.containers[0].securityContext.procMount',
      message: 'Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
    });
    const contradiction = runnerPod(spec('c', { docker: 'privileged' }));
    contradiction.spec!.containers[0]!.securityContext!.allowPrivilegeEscalation = false;
    expect((await refused(contradiction)).causes[0]!.message).toContain(
      'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
    );
  });

  it('times pod start for the demo: Docker and registration delays fall between pod creation and the job', async () => {
    const { sim, api } = await start({ dockerdMs: { privileged: 40 }, registerMs: 30 });
    const tracker = trackPodStart(sim);
    sim.github.queueJob({ repo: 'acme/app', labels: ['ubuntu-24.04-riscv'], durationMs: 5 });
    await provision(sim, api, spec('timed'));
    await waitFor(() => tracker.timings().length === 1, { what: 'the job was taken' });
    const [t] = tracker.timings();
    expect(t!.startedAt - t!.podCreatedAt!).toBeGreaterThanOrEqual(70);
    expect(tracker.line()).toMatch(/^ {2}pod start {12}\d+ % of the queue time: p50 \d+\.\d s/);
    tracker.stop();
  });
});
