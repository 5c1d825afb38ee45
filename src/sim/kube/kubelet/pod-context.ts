/**
 * What every step of one pod's life on its node needs: the pod's identity, abortable sleeps, and
 * status writes that stop once the pod is deleted, killed or replaced by a pod with another uid.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerRuntime } from '../../types.js';
import type { EventInput, EventRecorder } from '../state/events.js';
import type { KubeState } from '../state/store.js';
import type { Container, Pod } from '../state/types.js';
import type { PodFaultClaim } from './pod-faults.js';
import { derivePodStatus } from './pod-status.js';
import type { KubeletTimings } from './timings.js';

export interface KubeletDeps {
  state: KubeState;
  events: EventRecorder;
  timings: KubeletTimings;
  logger: Logger;
  runtime: () => ContainerRuntime | undefined;
}

/** A container and the part it plays: a plain init container, a native sidecar, or a main one. */
export interface ContainerSlot {
  container: Container;
  role: 'init' | 'sidecar' | 'main';
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
}

export class PodContext {
  constructor(
    readonly ref: PodRef,
    readonly deps: KubeletDeps,
    readonly claim: PodFaultClaim,
    /** Images already on the node (a pull with IfNotPresent skips them). */
    readonly images: Set<string>,
    readonly signal: AbortSignal,
    /** Resolves at the next change of a Secret in the pod's namespace. */
    readonly secretChange: (signal: AbortSignal) => Promise<void>,
  ) {}

  get timings(): KubeletTimings {
    return this.deps.timings;
  }

  current(): Pod | undefined {
    const pod = this.deps.state.get('Pod', this.ref.namespace, this.ref.name);
    return pod?.metadata.uid === this.ref.uid ? pod : undefined;
  }

  /** Writes the pod (phase and conditions re-derived) unless this life of the pod is over. */
  write(mutate: (draft: Pod) => void): Pod | undefined {
    if (this.signal.aborted) return undefined;
    return this.update(mutate);
  }

  /** Writes the pod even after its life ended: the kubelet's last word on it. */
  update(mutate: (draft: Pod) => void): Pod | undefined {
    const { namespace, name, uid } = this.ref;
    return this.deps.state.update(
      'Pod',
      namespace,
      name,
      (draft) => {
        mutate(draft);
        derivePodStatus(draft);
      },
      uid,
    );
  }

  /** Records a kubelet event about the pod (or one of its containers), even after it was deleted. */
  event(input: Omit<EventInput, 'component' | 'host'>, slot?: ContainerSlot, pod?: Pod): void {
    const about = pod ?? this.current();
    if (!about) return;
    const list = slot?.role === 'main' ? 'containers' : 'initContainers';
    this.deps.events.record(about, {
      ...input,
      component: 'kubelet',
      host: this.ref.nodeName,
      ...(slot ? { fieldPath: `spec.${list}{${slot.container.name}}` } : {}),
    });
  }

  /** Waits until the pod's life ends (then rejects, as every abortable wait does). */
  async never(): Promise<never> {
    this.signal.throwIfAborted();
    return new Promise<never>((_resolve, reject) => {
      this.signal.addEventListener('abort', () => reject(this.signal.reason as Error), {
        once: true,
      });
    });
  }

  /** Rejects with an AbortError when the pod's life ends first. */
  async sleep(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.signal });
  }
}
