import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Db } from '../db/client.js';
import type { GitHub } from '../github/client.js';
import type { Kube } from '../kube/client.js';
import type { ClusterView } from '../kube/cluster-view.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';
import type { Queues } from '../queues/producers.js';
import type { createPodFollower } from '../cluster/follow-pods.js';

/** What the reconciliation passes need; each pass picks what it uses. */
export interface ReconcileDeps {
  db: Db;
  github: GitHub;
  kube: Kube;
  cluster: Pick<ClusterView, 'pods'>;
  queues: Queues;
  redis: Pick<Redis, 'set' | 'eval' | 'hget' | 'hset'>;
  follower: ReturnType<typeof createPodFollower>;
  config: Pick<
    Config,
    'timings' | 'reconcileBatch' | 'names' | 'deployEnv' | 'redisPrefix' | 'apps'
  >;
  log: Logger;
  /** Pass durations, outcomes and counts (rise_reconcile_*). */
  metrics?: Pick<Metrics, 'reconcile' | 'errors'>;
  /** The clock passes decide ages by (ms since the epoch); tests move it instead of sleeping. */
  now?: () => number;
}

/** The time a pass decides by: the injected clock, else the system's. */
export const nowMs = (deps: Pick<ReconcileDeps, 'now'>): number => (deps.now ?? Date.now)();

/**
 * How long something may look inconsistent before a pass acts on it: a reserved worker waiting for
 * its creation job, a pod or Secret whose worker row is not visible yet. Two ticks, at least 10 s.
 */
export const settleMs = (config: Pick<ReconcileDeps['config'], 'timings'>) =>
  Math.max(10_000, 2 * config.timings.reconcileIntervalSeconds * 1000);

/** What a pass did, logged at the end of every pass and returned as the BullMQ job's result. */
export type Counts = Record<string, number>;

export function counter(): { counts: Counts; add: (key: string, n?: number) => void } {
  const counts: Counts = {};
  return { counts, add: (key, n = 1) => void (counts[key] = (counts[key] ?? 0) + n) };
}
