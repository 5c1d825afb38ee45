/**
 * The scheduler's decision for one pod: filter the nodes (Ready, schedulable, tolerated taints,
 * nodeSelector, resources fit), then pick the least allocated. When none fits, the message reads
 * like kube-scheduler's FailedScheduling message.
 *
 * Works on NodeInfo (a node with its quantities parsed once per stored version) so that the
 * scheduling queue can keep them between passes; `decide` wraps it for plain nodes.
 */
import type { Node, Pod, Taint } from '../state/types.js';
import { allocatable, podRequests, type Amounts } from '../kubelet/resources.js';

export type Decision = { node: Node } | { message: string };

/** What the scheduler reads of a node, derived once per stored version of it. */
export interface NodeInfo {
  node: Node;
  name: string;
  ready: boolean;
  unschedulable: boolean;
  /** The NoSchedule and NoExecute taints, in the node's order: the ones that keep pods off. */
  blocking: readonly Taint[];
  labels: Readonly<Record<string, string>>;
  allocatable: Amounts;
}

const none: Amounts = Object.freeze({});

export function isReady(node: Node): boolean {
  return node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function nodeInfo(node: Node): NodeInfo {
  return {
    node,
    name: node.metadata.name,
    ready: isReady(node),
    unschedulable: Boolean(node.spec.unschedulable),
    blocking: (node.spec.taints ?? []).filter(
      (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
    ),
    labels: node.metadata.labels ?? {},
    allocatable: allocatable(node),
  };
}

function tolerates(pod: Pod, taint: Taint): boolean {
  return (pod.spec.tolerations ?? []).some(
    (t) =>
      (t.key === undefined || t.key === '' || t.key === taint.key) &&
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')),
  );
}

function untolerated(pod: Pod, info: NodeInfo): Taint | undefined {
  for (const taint of info.blocking) if (!tolerates(pod, taint)) return taint;
  return undefined;
}

function matchesSelector(pod: Pod, info: NodeInfo): boolean {
  const selector = pod.spec.nodeSelector;
  if (!selector) return true;
  for (const key in selector) if (info.labels[key] !== selector[key]) return false;
  return true;
}

function overflows(used: Amounts, requests: Amounts, capacity: Amounts, name: string): boolean {
  const amount = requests[name] ?? 0;
  return amount > 0 && (used[name] ?? 0) + amount > (capacity[name] ?? 0);
}

/** Why the node cannot take the pod; empty when it can. `fits` must agree with it. */
function misfits(pod: Pod, info: NodeInfo, used: Amounts, requests: Amounts): string[] {
  if (!info.ready) return ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'];
  if (info.unschedulable) return ['node(s) were unschedulable'];
  const taint = untolerated(pod, info);
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  if (!matchesSelector(pod, info)) return ["node(s) didn't match Pod's node affinity/selector"];
  return Object.keys(requests)
    .filter((name) => overflows(used, requests, info.allocatable, name))
    .map((name) => `Insufficient ${name}`);
}

/** `misfits(…).length === 0` without building the reasons: the hot path of every pass. */
function fits(pod: Pod, info: NodeInfo, used: Amounts, requests: Amounts): boolean {
  if (!info.ready || info.unschedulable || untolerated(pod, info)) return false;
  if (!matchesSelector(pod, info)) return false;
  for (const name in requests) if (overflows(used, requests, info.allocatable, name)) return false;
  return true;
}

/** Fraction of the requested resources already in use: kube-scheduler's LeastAllocated score. */
function load(info: NodeInfo, used: Amounts, requests: Amounts): number {
  let sum = 0;
  for (const name in requests) {
    sum += (used[name] ?? 0) / Math.max(info.allocatable[name] ?? 1, 1e-9);
  }
  return sum;
}

export function unschedulableMessage(nodeCount: number, reasons: Map<string, number>): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const parts = [...reasons.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, count]) => `${count} ${reason}`);
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
}

type Ranked = { info: NodeInfo; load: number };

const byLoadThenName = (a: Ranked, b: Ranked): number =>
  a.load - b.load || (a.info.name < b.info.name ? -1 : 1);

export interface Cluster {
  /** Every node, for the counts of a FailedScheduling message. */
  all(): Iterable<NodeInfo>;
  size: number;
  /** What the unfinished pods bound to a node request, by node name. */
  usedOn(name: string): Amounts;
}

/**
 * The decision for `pod` among `candidates`, which must include every node that could fit it
 * (an index may leave out nodes the nodeSelector rules out). When none fits, every node of the
 * cluster is examined for the message.
 */
export function decideAmong(
  pod: Pod,
  requests: Amounts,
  candidates: Iterable<NodeInfo>,
  cluster: Cluster,
): Decision {
  let best: Ranked | undefined;
  let unordered = false;
  for (const info of candidates) {
    const used = cluster.usedOn(info.name);
    if (!fits(pod, info, used, requests)) continue;
    const ranked = { info, load: load(info, used, requests) };
    if (!Number.isFinite(ranked.load)) unordered = true;
    if (!best || byLoadThenName(ranked, best) < 0) best = ranked;
  }
  // NaN or infinite loads (unparseable or absurd quantities) have no consistent order: rank
  // them as the full sort this replaced did, so the pick stays the same.
  if (best && unordered) best = rankAll(pod, requests, candidates, cluster);
  if (best) return { node: best.info.node };
  const reasons = new Map<string, number>();
  for (const info of cluster.all()) {
    for (const reason of misfits(pod, info, cluster.usedOn(info.name), requests)) {
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  return { message: unschedulableMessage(cluster.size, reasons) };
}

function rankAll(
  pod: Pod,
  requests: Amounts,
  candidates: Iterable<NodeInfo>,
  cluster: Cluster,
): Ranked | undefined {
  const fitting: Ranked[] = [];
  for (const info of candidates) {
    const used = cluster.usedOn(info.name);
    if (fits(pod, info, used, requests)) fitting.push({ info, load: load(info, used, requests) });
  }
  return fitting.sort(byLoadThenName)[0];
}

/** `usage`: the requests of the unfinished pods already bound to each node, by node name. */
export function decide(pod: Pod, nodes: readonly Node[], usage: Map<string, Amounts>): Decision {
  const infos = nodes.map(nodeInfo);
  return decideAmong(pod, podRequests(pod.spec), infos, {
    all: () => infos,
    size: infos.length,
    usedOn: (name) => usage.get(name) ?? none,
  });
}
