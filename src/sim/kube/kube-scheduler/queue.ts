/**
 * The scheduling queue: unbound pods in arrival order, never retried on a timer. A pass tries the
 * pods that arrived (or whose spec changed) since the last one; every pod is retried only when
 * something happened that could make room (a pod finishes or goes, a node is added or changes,
 * held pods are released): until then a pod that did not fit would not fit again, as
 * kube-scheduler's unschedulable queue assumes. A bind is one write of spec.nodeName and
 * PodScheduled=True, like the binding subresource.
 */
import type { EventRecorder } from '../state/events.js';
import type { KubeState } from '../state/store.js';
import type { Change, Pod, PodSpec } from '../state/types.js';
import { setCondition } from '../kubelet/pod-status.js';
import { podRequests, type Amounts } from '../kubelet/resources.js';
import { SchedulerCache } from './cache.js';
import { decideAmong } from './decide.js';

interface Queued {
  namespace: string;
  name: string;
  /** The requests of `spec`, parsed once per version of the spec. */
  spec?: PodSpec;
  requests?: Amounts;
}

export class SchedulingQueue {
  /** uid → pod, in arrival order (Map keeps insertion order). */
  private readonly queue = new Map<string, Queued>();
  /** Pods to try at the next pass even if nothing made room, in arrival order. */
  private fresh = new Set<string>();
  private retryAll = false;
  private readonly cache = new SchedulerCache();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly state: KubeState,
    private readonly events: EventRecorder,
    private readonly isHeld: (uid: string) => boolean,
  ) {}

  /** Reads the store afresh; call before following its changes with `observe`. */
  start(): void {
    this.cache.reset(this.state);
  }

  /** Keeps the cluster view current; the kubelet forwards every change here first. */
  observe(change: Change): void {
    this.cache.observe(change);
  }

  add(pod: Pod): void {
    const { uid, namespace = '', name } = pod.metadata;
    if (!this.queue.has(uid)) this.queue.set(uid, { namespace, name });
    this.fresh.add(uid);
    this.schedule();
  }

  /** A queued pod's spec changed (e.g. a toleration added): try it again at the next pass. */
  changed(uid: string): void {
    if (this.queue.has(uid)) this.fresh.add(uid);
  }

  /** A pending pod went away. */
  forget(uid: string): void {
    this.queue.delete(uid);
    this.fresh.delete(uid);
  }

  /** Something could have made room: retry every pod in one pass soon. */
  kick(): void {
    this.retryAll = true;
    this.schedule();
  }

  stop(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  /** Several kicks and additions in one tick make one pass. */
  private schedule(): void {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.pass();
    });
  }

  private pass(): void {
    const uids = this.retryAll ? this.queue.keys() : this.fresh;
    this.retryAll = false;
    this.fresh = new Set();
    for (const uid of uids) {
      const entry = this.queue.get(uid);
      if (entry) this.attempt(uid, entry);
    }
  }

  private attempt(uid: string, entry: Queued): void {
    const { namespace, name } = entry;
    const pod = this.state.get('Pod', namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.spec.nodeName || pod.metadata.deletionTimestamp) {
      this.queue.delete(uid);
      return;
    }
    if (this.isHeld(uid)) {
      this.unschedulable(
        pod,
        `0/${this.cache.size} nodes are available: pod held Pending by a simulator fault.`,
      );
      return;
    }
    if (entry.spec !== pod.spec) {
      entry.spec = pod.spec;
      entry.requests = podRequests(pod.spec);
    }
    const requests = entry.requests ?? podRequests(pod.spec);
    const candidates = this.cache.candidates(pod.spec.nodeSelector);
    const decision = decideAmong(pod, requests, candidates, this.cache);
    if ('message' in decision) {
      this.unschedulable(pod, decision.message);
      return;
    }
    const nodeName = decision.node.metadata.name;
    // The bind's change reaches the cache (through the kubelet) before update() returns, so
    // the next pod of this pass sees the node's new usage.
    const bound = this.state.update(
      'Pod',
      namespace,
      name,
      (draft) => {
        draft.spec.nodeName = nodeName;
        setCondition(draft, 'PodScheduled', 'True');
      },
      uid,
    );
    this.queue.delete(uid);
    if (!bound) return;
    this.events.record(bound, {
      reason: 'Scheduled',
      message: `Successfully assigned ${namespace}/${name} to ${nodeName}`,
      component: 'default-scheduler',
    });
  }

  private unschedulable(pod: Pod, message: string): void {
    const { namespace, name, uid } = pod.metadata;
    const updated = this.state.update(
      'Pod',
      namespace,
      name,
      (draft) => setCondition(draft, 'PodScheduled', 'False', 'Unschedulable', message),
      uid,
    );
    this.events.record(updated ?? pod, {
      reason: 'FailedScheduling',
      message,
      type: 'Warning',
      component: 'default-scheduler',
    });
  }
}
