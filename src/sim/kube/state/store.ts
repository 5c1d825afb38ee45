/**
 * The simulator's etcd: every object of every kind, one cluster-wide resourceVersion counter, and
 * a bounded history of changes that watches replay from. Stored objects are frozen; every write
 * replaces the object with a new version, so a watch event never changes after it was sent.
 */
import { alreadyExists, notFound } from '../errors.js';
import { LogStore } from './logs.js';
import { Naming, timestamp } from './naming.js';
import type { Change, Kind, KindOf, KubeObject, WatchEventType } from './types.js';

/** REST resource names, used in error messages as the API server does (`pods "x" not found`). */
export const resourceOf: Record<Kind, string> = {
  Pod: 'pods',
  Node: 'nodes',
  Secret: 'secrets',
  Event: 'events',
};

export const kinds: readonly Kind[] = ['Pod', 'Node', 'Secret', 'Event'];

export type Listener = (change: Change) => void;

/** A new object as a client sends it: no uid, resourceVersion or creationTimestamp yet. */
export type NewObject<T extends KubeObject> = Omit<T, 'metadata'> & {
  metadata: Omit<T['metadata'], 'uid' | 'resourceVersion' | 'creationTimestamp' | 'name'> & {
    name?: string;
  };
};

export interface StoreOptions {
  /** How many changes watches can resume from; older resourceVersions answer 410 Gone. */
  historyLimit?: number;
  /** A listener threw: the store carries on with the next one. */
  onListenerError?: (err: unknown) => void;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class KubeState {
  readonly naming = new Naming();
  readonly logs = new LogStore();
  // Never 0: a watch from "0" means "from any state", so no list may carry it.
  private rv = 1;
  private compactedRv = 1;
  private readonly objects = new Map<Kind, Map<string, KubeObject>>(
    kinds.map((kind) => [kind, new Map()]),
  );
  private readonly history: Change[] = [];
  private readonly historyLimit: number;
  private readonly listeners = new Set<Listener>();
  private readonly pending: Change[] = [];
  private emitting = false;
  private readonly onListenerError: (err: unknown) => void;

  constructor(options: StoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
    this.onListenerError =
      options.onListenerError ??
      ((err) =>
        queueMicrotask(() => {
          throw err;
        }));
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  get<K extends Kind>(kind: K, namespace: string | undefined, name: string): KindOf[K] | undefined {
    return this.map(kind).get(key(namespace, name)) as KindOf[K] | undefined;
  }

  /** Objects sorted by namespace and name, the order etcd's key space lists them in. */
  list<K extends Kind>(kind: K, namespace?: string): KindOf[K][] {
    const all = [...this.map(kind).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all
      .map(([, obj]) => obj as KindOf[K])
      .filter((obj) => namespace === undefined || obj.metadata.namespace === namespace);
  }

  /** Every object of any kind, for the garbage collector's owner look-ups. */
  all(): KubeObject[] {
    return kinds.flatMap((kind) => [...this.map(kind).values()]);
  }

  findByUid(uid: string): KubeObject | undefined {
    return this.all().find((obj) => obj.metadata.uid === uid);
  }

  create<K extends Kind>(kind: K, input: NewObject<KindOf[K]>): KindOf[K] {
    const meta = input.metadata as { name?: string; generateName?: string; namespace?: string };
    let name = meta.name;
    if (!name && meta.generateName) {
      do name = `${meta.generateName}${this.naming.suffix()}`;
      while (this.get(kind, meta.namespace, name));
    }
    if (!name) throw new Error('create needs metadata.name or metadata.generateName');
    if (this.get(kind, meta.namespace, name)) throw alreadyExists(resourceOf[kind], name);
    this.rv += 1;
    const obj = structuredClone(input) as unknown as KindOf[K];
    obj.metadata = {
      ...obj.metadata,
      name,
      uid: this.naming.uid(),
      resourceVersion: String(this.rv),
      creationTimestamp: timestamp(),
    };
    this.store(kind, obj, 'ADDED');
    return obj;
  }

  /**
   * Applies `mutate` to a copy and stores it. A write that changes nothing keeps the old
   * resourceVersion and sends no watch event, as the API server skips no-op updates.
   * Returns undefined when the object is gone (or was replaced by one with another uid).
   */
  update<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    mutate: (draft: KindOf[K]) => void,
    expectUid?: string,
  ): KindOf[K] | undefined {
    const current = this.get(kind, namespace, name);
    if (!current || (expectUid && current.metadata.uid !== expectUid)) return undefined;
    const draft = structuredClone<KindOf[K]>(current);
    mutate(draft);
    draft.metadata.resourceVersion = current.metadata.resourceVersion;
    if (JSON.stringify(draft) === JSON.stringify(current)) return current;
    this.rv += 1;
    draft.metadata.resourceVersion = String(this.rv);
    // The API server finishes a deletion once the last finalizer is removed (unless a graceful
    // pod deletion is still waiting for its kubelet).
    const meta = draft.metadata;
    if (meta.deletionTimestamp && !meta.finalizers?.length && !meta.deletionGracePeriodSeconds) {
      this.store(kind, draft, 'MODIFIED', current);
      return this.remove(kind, namespace, name);
    }
    this.store(kind, draft, 'MODIFIED', current);
    return draft;
  }

  /**
   * Deletes an object; one with finalizers only gets a deletionTimestamp and stays until they are
   * removed (the API server's two-phase delete). Returns the last stored version.
   */
  delete<K extends Kind>(kind: K, namespace: string | undefined, name: string): KindOf[K] {
    const current = this.get(kind, namespace, name);
    if (!current) throw notFound(resourceOf[kind], name);
    if (current.metadata.finalizers?.length) {
      return (
        this.update(kind, namespace, name, (draft) => {
          draft.metadata.deletionTimestamp ??= timestamp();
          draft.metadata.deletionGracePeriodSeconds = 0;
        }) ?? current
      );
    }
    return this.remove(kind, namespace, name) ?? current;
  }

  /** Removes an object now, whatever its finalizers say. */
  remove<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): KindOf[K] | undefined {
    const current = this.get(kind, namespace, name);
    if (!current) return undefined;
    this.map(kind).delete(key(namespace, name));
    this.rv += 1;
    // A DELETED event carries the object at the deletion's resourceVersion.
    const gone = structuredClone<KindOf[K]>(current);
    gone.metadata.resourceVersion = String(this.rv);
    deepFreeze(gone);
    this.record({
      type: 'DELETED',
      kind,
      resourceVersion: this.rv,
      object: gone,
      previous: current,
    });
    return gone;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `resourceVersion`, or 'expired' when the history no longer reaches back. */
  changesSince(resourceVersion: number): Change[] | 'expired' {
    if (resourceVersion < this.compactedRv) return 'expired';
    return this.history.filter((change) => change.resourceVersion > resourceVersion);
  }

  /** Forgets the history, as etcd compaction does; watches resuming from before now get 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  private map(kind: Kind): Map<string, KubeObject> {
    const map = this.objects.get(kind);
    if (!map) throw new Error(`unknown kind ${kind}`);
    return map;
  }

  private store(kind: Kind, obj: KubeObject, type: WatchEventType, previous?: KubeObject): void {
    deepFreeze(obj);
    this.map(kind).set(key(obj.metadata.namespace, obj.metadata.name), obj);
    this.record({
      type,
      kind,
      resourceVersion: this.rv,
      object: obj,
      ...(previous ? { previous } : {}),
    });
  }

  /** Listeners run one change at a time, in resourceVersion order, even when they write. */
  private record(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRv = dropped.resourceVersion;
    }
    this.pending.push(change);
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let next = this.pending.shift(); next; next = this.pending.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch (err) {
            this.onListenerError(err);
          }
        }
      }
    } finally {
      this.emitting = false;
    }
  }
}
