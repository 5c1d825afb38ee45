/**
 * A history of which pod held which node and when, observed from the stored pods themselves
 * (bound when spec.nodeName is set; released when the pod finishes or is removed), so a test can
 * assert that no node ever held two runner pods at once.
 */
import { matchesLabels, parseLabelSelector } from '../api/selectors.js';
import type { KubeState } from '../state/store.js';
import type { Change, Pod } from '../state/types.js';

export interface Binding {
  node: string;
  namespace: string;
  pod: string;
  uid: string;
  labels: Readonly<Record<string, string>>;
  boundAt: string;
  releasedAt?: string;
  /** Global order of binds and releases; times can tie within a millisecond, this cannot. */
  boundSeq: number;
  releasedSeq?: number;
}

function finished(pod: Pod): boolean {
  return pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
}

export class BindingHistory {
  private readonly bindings: Binding[] = [];
  private readonly open = new Map<string, Binding>();
  private readonly seen = new Set<string>();
  private seq = 0;

  observe(state: KubeState): () => void {
    return state.subscribe((change: Change) => {
      if (change.kind !== 'Pod') return;
      const pod = change.object as Pod;
      const uid = pod.metadata.uid;
      if (change.type === 'DELETED' || finished(pod)) return this.release(uid);
      if (pod.spec.nodeName && !this.seen.has(uid)) {
        this.seen.add(uid);
        this.seq += 1;
        const binding: Binding = {
          node: pod.spec.nodeName,
          namespace: pod.metadata.namespace ?? 'default',
          pod: pod.metadata.name,
          uid,
          labels: pod.metadata.labels ?? {},
          boundAt: new Date().toISOString(),
          boundSeq: this.seq,
        };
        this.bindings.push(binding);
        this.open.set(uid, binding);
      }
    });
  }

  list(): readonly Binding[] {
    return this.bindings;
  }

  /** The most pods (matching `labelSelector`) any node held at the same time, per node. */
  maxConcurrentByNode(labelSelector?: string): Record<string, number> {
    const selector = parseLabelSelector(labelSelector);
    const steps: { node: string; seq: number; delta: number }[] = [];
    for (const b of this.bindings) {
      if (!matchesLabels(selector, b.labels)) continue;
      steps.push({ node: b.node, seq: b.boundSeq, delta: 1 });
      if (b.releasedSeq !== undefined) steps.push({ node: b.node, seq: b.releasedSeq, delta: -1 });
    }
    steps.sort((a, b) => a.seq - b.seq);
    const current: Record<string, number> = {};
    const peak: Record<string, number> = {};
    for (const { node, delta } of steps) {
      current[node] = (current[node] ?? 0) + delta;
      peak[node] = Math.max(peak[node] ?? 0, current[node]);
    }
    return peak;
  }

  /** The most pods (matching `labelSelector`) any single node held at once. */
  maxConcurrentPodsPerNode(labelSelector?: string): number {
    return Math.max(0, ...Object.values(this.maxConcurrentByNode(labelSelector)));
  }

  private release(uid: string): void {
    const binding = this.open.get(uid);
    if (!binding) return;
    this.seq += 1;
    binding.releasedAt = new Date().toISOString();
    binding.releasedSeq = this.seq;
    this.open.delete(uid);
  }
}
