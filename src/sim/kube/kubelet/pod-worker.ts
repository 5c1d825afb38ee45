/**
 * One pod's life on its node, in the kubelet's order: accept (startTime, IPs), then each init
 * container (native sidecars are started and left running), then the main containers; the pod
 * ends when they have all exited for good, when activeDeadlineSeconds passes, or when it is
 * deleted or its node disappears.
 */
import { timestamp } from '../state/naming.js';
import type { Pod } from '../state/types.js';
import { runContainer, type Exit } from './container-runner.js';
import { resolveEnv } from './env.js';
import { pullImage } from './image-puller.js';
import type { ContainerSlot, PodContext } from './pod-context.js';
import { isFinished, newContainerStatus, setCondition, setContainerState } from './pod-status.js';
import { isSidecar } from './resources.js';

const deadlineMessage = 'Pod was active on the node longer than the specified deadline';

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** Every running container ends with `exitCode` (137: SIGKILL, 143: SIGTERM), as the kubelet reports a killed one. */
function killRunning(draft: Pod, exitCode: number): void {
  const finishedAt = timestamp();
  for (const status of [
    ...(draft.status.initContainerStatuses ?? []),
    ...(draft.status.containerStatuses ?? []),
  ]) {
    const running = status.state.running;
    if (running) {
      setContainerState(draft, status.name, {
        terminated: { exitCode, reason: 'Error', startedAt: running.startedAt, finishedAt },
      });
    }
  }
}

export class PodWorker {
  private readonly life: AbortController;
  private readonly sidecars = new AbortController();
  private deadline: NodeJS.Timeout | undefined;
  private terminating = false;

  constructor(
    readonly ctx: PodContext,
    life: AbortController,
  ) {
    this.life = life;
  }

  /** Starts on a later tick: the kubelet learns of a binding after the scheduler has written it. */
  start(): void {
    queueMicrotask(() => {
      this.run().catch((err: unknown) => this.failed(err));
    });
  }

  private failed(err: unknown): void {
    if (isAbort(err)) return;
    this.ctx.deps.logger.error({ err, pod: this.ctx.ref.name }, 'simulated kubelet failed');
  }

  /** The pod is gone (deleted or garbage-collected): stop its containers. */
  kill(last: Pod): void {
    if (!this.terminating) this.killingEvents(last);
    this.stop();
  }

  /** A graceful DELETE: stop the containers, then let the API server remove the pod. */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    const pod = this.ctx.current();
    if (pod) this.killingEvents(pod);
    this.stop();
    setTimeout(() => {
      this.ctx.update((draft) => {
        killRunning(draft, 143);
        draft.metadata.deletionGracePeriodSeconds = 0;
      });
    }, this.ctx.timings.podTerminationMs);
  }

  /** The node is gone: PodGC marks the pod Failed with a DisruptionTarget condition. */
  nodeLost(): void {
    this.stop();
    this.ctx.update((draft) => {
      if (isFinished(draft)) return;
      killRunning(draft, 137);
      draft.status.phase = 'Failed';
      setCondition(
        draft,
        'DisruptionTarget',
        'True',
        'DeletionByPodGC',
        'PodGC: node no longer exists',
      );
    });
  }

  stop(): void {
    clearTimeout(this.deadline);
    this.life.abort();
  }

  /** (Re)arms the activeDeadlineSeconds timer, which counts from status.startTime. */
  armDeadline(): void {
    clearTimeout(this.deadline);
    const pod = this.ctx.current();
    const seconds = pod?.spec.activeDeadlineSeconds;
    if (!pod || !seconds || !pod.status.startTime || isFinished(pod) || this.life.signal.aborted)
      return;
    const due = Date.parse(pod.status.startTime) + seconds * this.ctx.timings.secondMs - Date.now();
    this.deadline = setTimeout(() => this.deadlineExceeded(), Math.max(0, due));
  }

  private killingEvents(pod: Pod): void {
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    for (const status of [
      ...(pod.status.initContainerStatuses ?? []),
      ...(pod.status.containerStatuses ?? []),
    ]) {
      const container = all.find((c) => c.name === status.name);
      if (!status.state.running || !container) continue;
      const role = pod.spec.containers.includes(container) ? 'main' : 'sidecar';
      this.ctx.event(
        { reason: 'Killing', message: `Stopping container ${status.name}` },
        { container, role },
        pod,
      );
    }
  }

  private deadlineExceeded(): void {
    const pod = this.ctx.current();
    if (!pod || isFinished(pod)) return;
    this.killingEvents(pod);
    this.ctx.update((draft) => {
      killRunning(draft, 137);
      draft.status.phase = 'Failed';
      draft.status.reason = 'DeadlineExceeded';
      draft.status.message = deadlineMessage;
    });
    this.ctx.event({ reason: 'DeadlineExceeded', message: deadlineMessage, type: 'Warning' });
    this.stop();
  }

  private accept(pod: Pod): void {
    const node = this.ctx.deps.state.get('Node', undefined, this.ctx.ref.nodeName);
    const hostIP = node?.status.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const inits = pod.spec.initContainers ?? [];
    this.ctx.write((draft) => {
      draft.status.startTime ??= timestamp();
      if (hostIP) draft.status.hostIP = hostIP;
      draft.status.podIP ??= this.ctx.deps.state.naming.podIP();
      setCondition(draft, 'PodReadyToStartContainers', 'True');
      if (inits.length > 0) {
        draft.status.initContainerStatuses = inits.map((c) =>
          newContainerStatus(c, 'PodInitializing'),
        );
      }
      const waiting = inits.length > 0 ? 'PodInitializing' : 'ContainerCreating';
      draft.status.containerStatuses = pod.spec.containers.map((c) =>
        newContainerStatus(c, waiting),
      );
    });
  }

  private async run(): Promise<void> {
    const pod = this.ctx.current();
    if (!pod || this.life.signal.aborted) return;
    this.accept(pod);
    this.armDeadline();
    for (const container of pod.spec.initContainers ?? []) {
      const slot: ContainerSlot = { container, role: isSidecar(container) ? 'sidecar' : 'init' };
      const env = await this.prepare(slot);
      if (slot.role === 'sidecar') {
        const signal = AbortSignal.any([this.life.signal, this.sidecars.signal]);
        runContainer(this.ctx, slot, env, signal).catch((err: unknown) => this.failed(err));
        continue;
      }
      const exit = await runContainer(this.ctx, slot, env, this.life.signal);
      if (this.record(slot, exit)) return;
    }
    const runs: Promise<void>[] = [];
    for (const [index, container] of pod.spec.containers.entries()) {
      const slot: ContainerSlot = { container, role: 'main' };
      const env = await this.prepare(slot);
      const crash = index === 0 ? this.ctx.claim.crash : undefined;
      runs.push(
        runContainer(this.ctx, slot, env, this.life.signal, crash).then((exit) => {
          this.record(slot, exit);
        }),
      );
    }
    await Promise.all(runs);
  }

  /** Pull, then resolve the environment; a missing Secret waits (CreateContainerConfigError) until one changes. */
  private async prepare(slot: ContainerSlot): Promise<Record<string, string>> {
    await pullImage(this.ctx, slot);
    const { namespace } = this.ctx.ref;
    for (;;) {
      const pod = this.ctx.current();
      if (!pod) return this.ctx.never();
      const result = resolveEnv(pod, slot.container, (name) =>
        this.ctx.deps.state.get('Secret', namespace, name),
      );
      if ('env' in result) return result.env;
      this.ctx.write((draft) =>
        setContainerState(draft, slot.container.name, {
          waiting: { reason: 'CreateContainerConfigError', message: result.error },
        }),
      );
      this.ctx.event(
        { reason: 'Failed', message: `Error: ${result.error}`, type: 'Warning' },
        slot,
      );
      await this.ctx.secretChange(this.ctx.signal);
    }
  }

  /**
   * Records a final exit. When it ends the pod (a failed init container, or the last main
   * container), sidecars are stopped in the same update so the pod turns terminal once.
   * Returns whether the pod ended.
   */
  private record(slot: ContainerSlot, exit: Exit): boolean {
    const pod = this.ctx.current();
    if (!pod) return true;
    const name = slot.container.name;
    const ends =
      slot.role === 'init'
        ? exit.exitCode !== 0
        : (pod.status.containerStatuses ?? []).every((s) => s.name === name || s.state.terminated);
    if (ends) {
      for (const status of pod.status.initContainerStatuses ?? []) {
        const container = pod.spec.initContainers?.find((c) => c.name === status.name);
        if (status.state.running && container) {
          this.ctx.event(
            { reason: 'Killing', message: `Stopping container ${status.name}` },
            { container, role: 'sidecar' },
          );
        }
      }
    }
    this.ctx.write((draft) => {
      setContainerState(draft, name, { terminated: exit });
      if (!ends) return;
      const finishedAt = timestamp();
      for (const status of draft.status.initContainerStatuses ?? []) {
        const running = status.state.running;
        if (running) {
          setContainerState(draft, status.name, {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt: running.startedAt,
              finishedAt,
            },
          });
        }
      }
    });
    if (ends) {
      this.sidecars.abort();
      clearTimeout(this.deadline);
    }
    return ends;
  }
}
