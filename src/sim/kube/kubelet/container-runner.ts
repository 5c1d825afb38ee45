/**
 * One container's life: Created and Started, handed to the ContainerRuntime (or run by default),
 * then its exit; restarted after a doubling CrashLoopBackOff when the restart policy says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerHandle, ContainerIO } from '../../types.js';
import { timestamp } from '../state/naming.js';
import type { ContainerSlot, PodContext } from './pod-context.js';
import type { PodFaultClaim } from './pod-faults.js';
import { findStatus, setContainerState } from './pod-status.js';
import { containerSecurity } from './security.js';

export interface Exit {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

type Crash = PodFaultClaim['crash'];

function containerId(ctx: PodContext, slot: ContainerSlot, restarts: number): string {
  const hex = Buffer.from(`${ctx.ref.uid}/${slot.container.name}/${restarts}`).toString('hex');
  return `containerd://${hex.slice(-64).padStart(64, '0')}`;
}

function defaultRun(ctx: PodContext, slot: ContainerSlot, exit: ContainerIO['exit']): () => void {
  // Sidecars serve until stopped; plain init containers succeed at once.
  if (slot.role === 'init') {
    exit(0);
    return () => undefined;
  }
  if (slot.role === 'sidecar' || ctx.timings.containerRunsForever) return () => undefined;
  const timer = setTimeout(() => exit(0), ctx.timings.containerRunMs);
  return () => clearTimeout(timer);
}

async function runOnce(
  ctx: PodContext,
  slot: ContainerSlot,
  env: Record<string, string>,
  signal: AbortSignal,
  crash: Crash,
): Promise<Exit> {
  signal.throwIfAborted();
  const { name, image } = slot.container;
  const before = ctx.current();
  const restarts = before ? (findStatus(before, name)?.restartCount ?? 0) : 0;
  const startedAt = timestamp();
  const pod = ctx.write((draft) =>
    setContainerState(
      draft,
      name,
      { running: { startedAt } },
      {
        containerID: containerId(ctx, slot, restarts),
        imageID: `${image}@sha256:${'0'.repeat(64)}`,
      },
    ),
  );
  if (!pod) throw signal.reason ?? new Error('pod is gone');
  ctx.event({ reason: 'Created', message: `Created container: ${name}` }, slot);
  ctx.event({ reason: 'Started', message: `Started container ${name}` }, slot);

  let done = false;
  let settle: (exit: { code: number; reason?: string; message?: string }) => void = () => undefined;
  const exited = new Promise<{ code: number; reason?: string; message?: string }>((resolve) => {
    settle = resolve;
  });
  const io: ContainerIO = {
    log: (line) => {
      if (!done) ctx.deps.state.logs.append(ctx.ref.uid, name, line);
    },
    exit: (code, reason, message) => {
      if (done) return;
      done = true;
      settle({ code, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });
    },
  };
  const cleanups: (() => void)[] = [];
  let handle: ContainerHandle | undefined;
  try {
    handle = ctx.deps.runtime()?.start(
      {
        namespace: ctx.ref.namespace,
        podName: ctx.ref.name,
        podUid: ctx.ref.uid,
        nodeName: ctx.ref.nodeName,
        containerName: name,
        image,
        labels: pod.metadata.labels ?? {},
        env,
        nodeLabels: ctx.deps.state.get('Node', undefined, ctx.ref.nodeName)?.metadata.labels ?? {},
        security: containerSecurity(pod, slot.container),
      },
      io,
    );
    if (!handle) cleanups.push(defaultRun(ctx, slot, (code) => io.exit(code)));
  } catch (err) {
    io.exit(128, 'StartError', err instanceof Error ? err.message : String(err));
  }
  if (crash) {
    const timer = setTimeout(() => {
      handle?.stop();
      io.log(crash.logLine);
      io.exit(crash.exitCode, 'Error', crash.message || undefined);
    }, crash.afterMs);
    cleanups.push(() => clearTimeout(timer));
  }

  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const result = await Promise.race([exited, aborted]);
    return {
      exitCode: result.code,
      reason: result.reason ?? (result.code === 0 ? 'Completed' : 'Error'),
      ...(result.message ? { message: result.message } : {}),
      startedAt,
      finishedAt: timestamp(),
    };
  } catch (err) {
    // The pod was deleted, killed or ended: the runtime stops without reporting an exit.
    if (!done) {
      done = true;
      handle?.stop();
    }
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const cleanup of cleanups) cleanup();
  }
}

/** The restart policy that applies to a container in this slot (KEP-753 for sidecars). */
function policyOf(ctx: PodContext, slot: ContainerSlot): string {
  const pod = ctx.current()?.spec.restartPolicy ?? 'Always';
  if (slot.role === 'sidecar') return 'Always';
  if (slot.role === 'init') return pod === 'Never' ? 'Never' : 'OnFailure';
  return pod;
}

/**
 * Runs the container until an exit the restart policy does not restart, and returns that exit.
 * The caller records it (so a pod's last container and its sidecars end in one update).
 */
export async function runContainer(
  ctx: PodContext,
  slot: ContainerSlot,
  env: Record<string, string>,
  signal: AbortSignal,
  crash?: Crash,
): Promise<Exit> {
  const name = slot.container.name;
  let backoff = ctx.timings.backoffMs;
  for (let attempt = 0; ; attempt += 1) {
    const exit = await runOnce(ctx, slot, env, signal, attempt === 0 ? crash : undefined);
    const policy = policyOf(ctx, slot);
    if (policy === 'Never' || (policy === 'OnFailure' && exit.exitCode === 0)) return exit;
    signal.throwIfAborted();
    const { namespace, uid } = ctx.ref;
    const pod = `${ctx.ref.name}_${namespace}(${uid})`;
    ctx.write((draft) => {
      const restartCount = (findStatus(draft, name)?.restartCount ?? 0) + 1;
      const message = `back-off ${backoff}ms restarting failed container=${name} pod=${pod}`;
      setContainerState(
        draft,
        name,
        { waiting: { reason: 'CrashLoopBackOff', message } },
        {
          lastState: { terminated: exit },
          restartCount,
        },
      );
    });
    ctx.event(
      {
        reason: 'BackOff',
        message: `Back-off restarting failed container ${name} in pod ${pod}`,
        type: 'Warning',
      },
      slot,
    );
    await sleep(backoff, undefined, { signal });
    backoff = Math.min(backoff * 2, ctx.timings.backoffMaxMs);
  }
}
