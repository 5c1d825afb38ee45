/**
 * The in-process control surface a test drives: nodes coming and going, pod and API faults,
 * call counts, cutting watches, and the binding history.
 */
import type { ApiFaults, CallCounts } from './api/api-faults.js';
import type { WatchRegistry } from './api/list-watch.js';
import { notFound } from './errors.js';
import type { Binding, BindingHistory } from './kubelet/bindings.js';
import type { Kubelet } from './kubelet/kubelet.js';
import type { CrashFault, ImagePullFault, PodMatch } from './kubelet/pod-faults.js';
import { nodeManifest, setNodeReady, setNodeUnschedulable, type AddNodeOptions } from './nodes.js';
import type { KubeState } from './state/store.js';
import type { Node } from './state/types.js';

export interface ControlDeps {
  state: KubeState;
  kubelet: Kubelet;
  apiFaults: ApiFaults;
  watches: WatchRegistry;
  bindings: BindingHistory;
}

export class KubeControl {
  private nodesAdded = 0;

  constructor(private readonly deps: ControlDeps) {}

  addNode(options: AddNodeOptions): Node {
    this.nodesAdded += 1;
    return this.deps.state.create('Node', nodeManifest(options, this.nodesAdded));
  }

  /** The node object goes; PodGC fails and deletes the pods that were bound to it. */
  removeNode(name: string): void {
    this.deps.state.delete('Node', undefined, name);
  }

  setNodeReady(name: string, ready: boolean): Node {
    return this.must(name, setNodeReady(this.deps.state, name, ready));
  }

  cordon(name: string): Node {
    return this.must(name, setNodeUnschedulable(this.deps.state, name, true));
  }

  uncordon(name: string): Node {
    return this.must(name, setNodeUnschedulable(this.deps.state, name, false));
  }

  /** Keeps the next pods (or those matching) Pending/Unschedulable until released. */
  holdPods(match: PodMatch = {}): void {
    this.deps.kubelet.faults.hold(match);
  }

  releaseHeldPods(labelSelector?: string): void {
    this.deps.kubelet.releaseHeld(labelSelector);
  }

  /** The next pods' (or matching pods') image pulls fail: ErrImagePull, then ImagePullBackOff. */
  failImagePulls(fault: ImagePullFault = {}): void {
    this.deps.kubelet.faults.imagePullError(fault);
  }

  /** The next pods' (or matching pods') first container logs a line and exits 1 after a delay. */
  crashPods(fault: CrashFault = {}): void {
    this.deps.kubelet.faults.crash(fault);
  }

  /** Every call to `route` (a route key, or "*") waits `ms` first. */
  setLatency(route: string, ms: number): void {
    this.deps.apiFaults.setLatency(route, ms);
  }

  /** The next `count` calls to `route` answer `status` (a Status body) without doing anything. */
  failNext(
    route: string,
    options: { count?: number; status?: number; message?: string } = {},
  ): void {
    this.deps.apiFaults.failNext(route, options);
  }

  /** Removes API faults and pod-fault rules not yet used up, and releases held pods. */
  clearFaults(): void {
    this.deps.apiFaults.clear();
    this.deps.kubelet.faults.clear();
    this.deps.kubelet.releaseHeld();
  }

  callCounts(): CallCounts {
    return this.deps.apiFaults.callCounts();
  }

  calls(route: string): number {
    return this.deps.apiFaults.calls(route);
  }

  resetCallCounts(): void {
    this.deps.apiFaults.resetCallCounts();
  }

  /** Ends every open watch; with `expired`, after a 410 so informers must list again. */
  closeWatches(options: { expired?: boolean } = {}): number {
    if (options.expired) this.deps.state.compact();
    return this.deps.watches.closeAll(options.expired ?? false);
  }

  openWatches(): number {
    return this.deps.watches.size;
  }

  bindings(): readonly Binding[] {
    return this.deps.bindings.list();
  }

  maxConcurrentPodsPerNode(labelSelector?: string): number {
    return this.deps.bindings.maxConcurrentPodsPerNode(labelSelector);
  }

  maxConcurrentByNode(labelSelector?: string): Record<string, number> {
    return this.deps.bindings.maxConcurrentByNode(labelSelector);
  }

  private must(name: string, node: Node | undefined): Node {
    if (!node) throw notFound('nodes', name);
    return node;
  }
}
