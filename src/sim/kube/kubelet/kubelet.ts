/**
 * The simulated kubelets of every node (plus the scheduler and the pod garbage collector): reacts
 * to changes in the store, never polls. Pods are claimed by faults when created, queued for
 * scheduling, run by a PodWorker once bound, and stopped when deleted or their node goes.
 */
import type { ContainerRuntime } from '../../types.js';
import { matchesLabels, parseLabelSelector } from '../api/selectors.js';
import type { Change, Node, Pod } from '../state/types.js';
import { PodContext, type KubeletDeps } from './pod-context.js';
import { PodFaults, type PodFaultClaim } from './pod-faults.js';
import { isFinished } from './pod-status.js';
import { PodWorker } from './pod-worker.js';
import { SchedulingQueue } from '../kube-scheduler/queue.js';

/** The store keeps an unchanged spec's object, so this is almost always one comparison. */
function specChanged(previous: Pod, pod: Pod): boolean {
  return previous.spec !== pod.spec && JSON.stringify(previous.spec) !== JSON.stringify(pod.spec);
}

interface SecretWaiter {
  namespace: string;
  resolve: () => void;
}

export class Kubelet {
  readonly faults = new PodFaults();
  private runtime: ContainerRuntime | undefined;
  private readonly workers = new Map<string, PodWorker>();
  private readonly claims = new Map<string, PodFaultClaim>();
  private readonly held = new Set<string>();
  private readonly images = new Map<string, Set<string>>();
  private readonly secretWaiters = new Set<SecretWaiter>();
  private readonly scheduling: SchedulingQueue;
  private readonly deps: KubeletDeps;
  private unsubscribe: (() => void) | undefined;

  constructor(deps: Omit<KubeletDeps, 'runtime'>) {
    this.deps = { ...deps, runtime: () => this.runtime };
    this.scheduling = new SchedulingQueue(deps.state, deps.events, (uid) => this.held.has(uid));
  }

  setRuntime(runtime: ContainerRuntime | undefined): void {
    this.runtime = runtime;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.scheduling.start();
    this.unsubscribe = this.deps.state.subscribe((change) => this.onChange(change));
  }

  /** Stops every timer and container, for a clean shutdown. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.scheduling.stop();
    for (const worker of this.workers.values()) worker.stop();
    this.workers.clear();
  }

  /** Lets held pods (all, or those matching the selector) be scheduled. */
  releaseHeld(labelSelector?: string): void {
    const selector = parseLabelSelector(labelSelector);
    for (const pod of this.deps.state.list('Pod')) {
      if (this.held.has(pod.metadata.uid) && matchesLabels(selector, pod.metadata.labels)) {
        this.held.delete(pod.metadata.uid);
      }
    }
    this.scheduling.kick();
  }

  /** Retries scheduling now (the scheduler otherwise waits for a relevant change). */
  kick(): void {
    this.scheduling.kick();
  }

  private onChange(change: Change): void {
    // The scheduler's view first: whatever this change triggers must see it.
    this.scheduling.observe(change);
    if (change.kind === 'Pod') this.onPod(change);
    else if (change.kind === 'Node') {
      if (change.type === 'DELETED') this.onNodeGone(change.object as Node);
      this.scheduling.kick();
    } else if (change.kind === 'Secret' && change.type !== 'DELETED') {
      for (const waiter of this.secretWaiters) {
        if (waiter.namespace === change.object.metadata.namespace) waiter.resolve();
      }
    }
  }

  private onPod(change: Change): void {
    const pod = change.object as Pod;
    const uid = pod.metadata.uid;
    if (change.type === 'ADDED') {
      const claim = this.faults.claim(pod);
      this.claims.set(uid, claim);
      if (claim.held) this.held.add(uid);
      if (pod.spec.nodeName) this.startWorker(pod);
      else this.scheduling.add(pod);
      return;
    }
    const worker = this.workers.get(uid);
    if (change.type === 'DELETED') {
      worker?.kill(pod);
      this.workers.delete(uid);
      this.claims.delete(uid);
      this.held.delete(uid);
      this.deps.state.logs.drop(uid);
      if (pod.spec.nodeName) this.scheduling.kick();
      else this.scheduling.forget(uid);
      return;
    }
    const previous = change.previous as Pod | undefined;
    if (!pod.spec.nodeName && previous && specChanged(previous, pod)) this.scheduling.changed(uid);
    if (pod.spec.nodeName && !worker) this.startWorker(pod);
    if (pod.metadata.deletionTimestamp && worker && pod.spec.nodeName && !isFinished(pod)) {
      worker.terminate();
    }
    if (previous && pod.spec.activeDeadlineSeconds !== previous.spec.activeDeadlineSeconds) {
      worker?.armDeadline();
    }
    if (previous && isFinished(pod) && !isFinished(previous)) this.scheduling.kick();
  }

  private startWorker(pod: Pod): void {
    const { uid, name, namespace = 'default' } = pod.metadata;
    const nodeName = pod.spec.nodeName;
    if (!nodeName || this.workers.has(uid) || isFinished(pod)) return;
    let images = this.images.get(nodeName);
    if (!images) {
      images = new Set();
      this.images.set(nodeName, images);
    }
    const life = new AbortController();
    const ctx = new PodContext(
      { namespace, name, uid, nodeName },
      this.deps,
      this.claims.get(uid) ?? { held: false },
      images,
      life.signal,
      (signal) => this.secretChange(namespace, signal),
    );
    const worker = new PodWorker(ctx, life);
    this.workers.set(uid, worker);
    worker.start();
  }

  private secretChange(namespace: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.secretWaiters.delete(waiter);
        reject(signal.reason as Error);
      };
      const waiter: SecretWaiter = {
        namespace,
        resolve: () => {
          this.secretWaiters.delete(waiter);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      if (signal.aborted) return onAbort();
      this.secretWaiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** PodGC: pods bound to a node that no longer exists are failed, then deleted. */
  private onNodeGone(node: Node): void {
    const name = node.metadata.name;
    this.images.delete(name);
    for (const pod of this.deps.state.list('Pod')) {
      if (pod.spec.nodeName !== name) continue;
      this.workers.get(pod.metadata.uid)?.nodeLost();
      this.deps.state.remove('Pod', pod.metadata.namespace, pod.metadata.name);
    }
  }
}
