/**
 * The scheduler's view of the cluster, kept up to date from the store's changes (as
 * kube-scheduler's cache follows its informers) instead of being rebuilt from every pod and node
 * on each pass: nodes with their quantities parsed once per version, an index of nodes by label
 * value (a nodeSelector then only looks at the nodes that carry its labels), and what the
 * unfinished pods bound to each node request.
 */
import type { KubeState } from '../state/store.js';
import type { Change, Node, Pod, PodSpec } from '../state/types.js';
import { isFinished } from '../kubelet/pod-status.js';
import { podRequests, type Amounts } from '../kubelet/resources.js';
import { nodeInfo, type Cluster, type NodeInfo } from './decide.js';

/** A pod that counts against its node: bound and not finished. */
interface Placed {
  node: string;
  spec: PodSpec;
  requests: Amounts;
}

const none: Amounts = Object.freeze({});

export class SchedulerCache implements Cluster {
  private readonly nodes = new Map<string, NodeInfo>();
  /** label key → label value → names of the nodes with that label. */
  private readonly byLabel = new Map<string, Map<string, Set<string>>>();
  private readonly placed = new Map<string, Placed>();
  /** node name → uid → requests of the pods placed there (a node may not exist (yet)). */
  private readonly onNode = new Map<string, Map<string, Amounts>>();
  private readonly used = new Map<string, Amounts>();

  /** Forgets everything and reads the store afresh (when the kubelet (re)starts watching it). */
  reset(state: KubeState): void {
    this.nodes.clear();
    this.byLabel.clear();
    this.placed.clear();
    this.onNode.clear();
    this.used.clear();
    for (const node of state.list('Node')) this.setNode(node);
    for (const pod of state.list('Pod')) this.setPod(pod);
  }

  observe(change: Change): void {
    if (change.kind === 'Node') {
      const node = change.object as Node;
      this.dropNode(node.metadata.name);
      if (change.type !== 'DELETED') this.setNode(node);
    } else if (change.kind === 'Pod') {
      const pod = change.object as Pod;
      if (change.type === 'DELETED') this.unplace(pod.metadata.uid);
      else this.setPod(pod);
    }
  }

  get size(): number {
    return this.nodes.size;
  }

  all(): Iterable<NodeInfo> {
    return this.nodes.values();
  }

  usedOn(name: string): Amounts {
    return this.used.get(name) ?? none;
  }

  /** The nodes whose labels include all of `selector`'s; all nodes for an empty one. */
  candidates(selector: Readonly<Record<string, string>> | undefined): Iterable<NodeInfo> {
    let smallest: Set<string> | undefined;
    for (const key in selector) {
      const names = this.byLabel.get(key)?.get(selector[key] as string);
      if (!names) return [];
      if (!smallest || names.size < smallest.size) smallest = names;
    }
    if (!smallest) return this.nodes.values();
    const out: NodeInfo[] = [];
    // Only the smallest set is walked; the scheduler checks the other labels itself.
    for (const name of smallest) {
      const info = this.nodes.get(name);
      if (info) out.push(info);
    }
    return out;
  }

  private setNode(node: Node): void {
    const info = nodeInfo(node);
    this.nodes.set(info.name, info);
    for (const [key, value] of Object.entries(info.labels)) {
      let values = this.byLabel.get(key);
      if (!values) this.byLabel.set(key, (values = new Map<string, Set<string>>()));
      let names = values.get(value);
      if (!names) values.set(value, (names = new Set()));
      names.add(info.name);
    }
  }

  private dropNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    this.nodes.delete(name);
    for (const [key, value] of Object.entries(info.labels)) {
      const values = this.byLabel.get(key);
      const names = values?.get(value);
      names?.delete(name);
      if (names?.size === 0) values?.delete(value);
      if (values?.size === 0) this.byLabel.delete(key);
    }
  }

  private setPod(pod: Pod): void {
    const uid = pod.metadata.uid;
    const node = pod.spec.nodeName;
    if (!node || isFinished(pod)) return this.unplace(uid);
    const current = this.placed.get(uid);
    // The store keeps an unchanged spec's object across versions, so this skips status writes.
    if (current?.node === node && current.spec === pod.spec) return;
    if (current) this.unplace(uid);
    const requests = podRequests(pod.spec);
    this.placed.set(uid, { node, spec: pod.spec, requests });
    let pods = this.onNode.get(node);
    if (!pods) this.onNode.set(node, (pods = new Map<string, Amounts>()));
    pods.set(uid, requests);
    const sum = { ...this.usedOn(node) };
    for (const name in requests) sum[name] = (sum[name] ?? 0) + (requests[name] as number);
    this.used.set(node, sum);
  }

  private unplace(uid: string): void {
    const current = this.placed.get(uid);
    if (!current) return;
    this.placed.delete(uid);
    const pods = this.onNode.get(current.node);
    pods?.delete(uid);
    if (!pods || pods.size === 0) {
      this.onNode.delete(current.node);
      this.used.delete(current.node);
      return;
    }
    // Summed afresh rather than subtracted, so fractional quantities leave no rounding residue.
    const sum: Amounts = {};
    for (const requests of pods.values()) {
      for (const name in requests) sum[name] = (sum[name] ?? 0) + (requests[name] as number);
    }
    this.used.set(current.node, sum);
  }
}
