/**
 * The garbage collector: an object whose ownerReferences all name owners that no longer exist is
 * deleted (Kubernetes' background cascading deletion). It runs on every change, so deleting a pod
 * takes its owned Secrets with it before the next request is served.
 */
import { kinds, type KubeState } from './store.js';
import type { Kind, KubeObject, OwnerReference } from './types.js';

function simulatedKind(kind: string): Kind | undefined {
  return kinds.find((k) => k === kind);
}

function ownerExists(state: KubeState, ref: OwnerReference, namespace?: string): boolean {
  const kind = simulatedKind(ref.kind);
  // An owner of a kind the simulator does not store cannot be checked; assume it lives.
  if (!kind) return true;
  const owner = state.get(kind, kind === 'Node' ? undefined : namespace, ref.name);
  return owner?.metadata.uid === ref.uid;
}

function isOrphan(state: KubeState, obj: KubeObject): boolean {
  const refs = obj.metadata.ownerReferences ?? [];
  return refs.length > 0 && !refs.some((ref) => ownerExists(state, ref, obj.metadata.namespace));
}

function collect(state: KubeState, obj: KubeObject): void {
  const kind = simulatedKind(obj.kind);
  if (!kind || obj.metadata.deletionTimestamp) return;
  if (state.get(kind, obj.metadata.namespace, obj.metadata.name)) {
    state.delete(kind, obj.metadata.namespace, obj.metadata.name);
  }
}

export function startGarbageCollector(state: KubeState): () => void {
  return state.subscribe((change) => {
    if (change.type === 'DELETED') {
      const uid = change.object.metadata.uid;
      for (const dependent of state.all()) {
        const owned = dependent.metadata.ownerReferences?.some((ref) => ref.uid === uid);
        if (owned && isOrphan(state, dependent)) collect(state, dependent);
      }
    } else if (change.type === 'ADDED' && isOrphan(state, change.object)) {
      // An object created with an owner that is already gone is garbage from the start.
      collect(state, change.object);
    }
  });
}
