import {
  makeInformer,
  CoreV1Api,
  type KubeConfig,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { boardCapacity, type BoardCapacity } from './capacity.js';
import type { Kube } from './client.js';

export type PodListener = (pod: V1Pod, type: 'add' | 'update' | 'delete') => void;
export type NodeListener = (node: V1Node, type: 'add' | 'update' | 'delete') => void;

export interface ClusterView {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Current capacity of a board: from the watch caches once synced, else listed directly. */
  capacity(board: string): Promise<BoardCapacity>;
  /** The pods of our namespace as last seen (empty until the first list). */
  pods(): readonly V1Pod[];
  /** The nodes as last seen (empty until the first list). */
  nodes(): readonly V1Node[];
  onPod(listener: PodListener): void;
  onNode(listener: NodeListener): void;
}

/**
 * A live view of nodes and of the pods in our namespace, kept by list+watch informers. Capacity
 * is computed from memory (no API call per pass) and pod or node changes are pushed to listeners
 * at once, so a finished runner frees its slot for the next job within milliseconds.
 */
export function createClusterView(opts: {
  config: KubeConfig;
  kube: Pick<Kube, 'listNodes' | 'listPods'>;
  namespace: string;
  log: Logger;
  restartMs?: number;
}): ClusterView {
  const api = opts.config.makeApiClient(CoreV1Api);
  const nodeInformer = makeInformer<V1Node>(opts.config, '/api/v1/nodes', () => api.listNode({}));
  const podInformer = makeInformer<V1Pod>(
    opts.config,
    `/api/v1/namespaces/${opts.namespace}/pods`,
    () => api.listNamespacedPod({ namespace: opts.namespace }),
  );
  const podListeners: PodListener[] = [];
  const nodeListeners: NodeListener[] = [];
  let synced = { nodes: false, pods: false };
  let stopped = false;

  const notify =
    <T>(
      listeners: ((o: T, t: 'add' | 'update' | 'delete') => void)[],
      type: 'add' | 'update' | 'delete',
    ) =>
    (obj: T) => {
      for (const l of listeners) {
        try {
          l(obj, type);
        } catch (err) {
          opts.log.error({ err }, 'cluster listener failed');
        }
      }
    };
  for (const type of ['add', 'update', 'delete'] as const) {
    podInformer.on(type, notify(podListeners, type));
    nodeInformer.on(type, notify(nodeListeners, type));
  }

  // An informer stops on a watch error; restart it after a pause (it relists, so nothing is missed).
  const restartOnError = (
    informer: typeof podInformer | typeof nodeInformer,
    which: 'pods' | 'nodes',
  ) => {
    informer.on('error', (err: unknown) => {
      synced = { ...synced, [which]: false };
      if (stopped) return;
      opts.log.warn(
        { err: (err as Error)?.message ?? String(err), which },
        'kubernetes watch failed; restarting',
      );
      setTimeout(() => {
        if (!stopped)
          informer.start().then(
            () => (synced = { ...synced, [which]: true }),
            () => undefined,
          );
      }, opts.restartMs ?? 2_000).unref();
    });
  };
  restartOnError(podInformer, 'pods');
  restartOnError(nodeInformer, 'nodes');

  return {
    async start() {
      await Promise.all([
        nodeInformer.start().then(() => (synced.nodes = true)),
        podInformer.start().then(() => (synced.pods = true)),
      ]);
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([nodeInformer.stop(), podInformer.stop()]);
    },
    async capacity(board) {
      const nodes = synced.nodes ? nodeInformer.list() : await opts.kube.listNodes();
      const pods = synced.pods ? podInformer.list(opts.namespace) : await opts.kube.listPods();
      return boardCapacity(board, nodes, pods);
    },
    pods() {
      return synced.pods ? podInformer.list(opts.namespace) : [];
    },
    nodes() {
      return synced.nodes ? nodeInformer.list() : [];
    },
    onPod(l) {
      podListeners.push(l);
    },
    onNode(l) {
      nodeListeners.push(l);
    },
  };
}
