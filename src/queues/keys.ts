/**
 * Every Redis key name of ours, all under the deployment's prefix (REDIS_PREFIX). BullMQ keeps
 * each queue under `<prefix>:<queue>:…` (see registry.ts); everything else is here. Values are
 * caches or coordination only, never secrets and never the record of anything (PostgreSQL is).
 */
export const redisKeys = (prefix: string) => ({
  /** JSON ClusterSnapshot written by the pod-follower leader; read by web pages and the CLI. */
  cluster: `${prefix}:cache:cluster`,
  /** Hash: `board:<name>` / `entity:<id>` → JSON LastError of the latest failed runner creation. */
  lastErrors: `${prefix}:cache:last-errors`,
  /** Hash: runner scope → when its GitHub runners were last listed (the `runners` pass). */
  runnerScans: `${prefix}:cache:runner-scans`,
  /** Set for a day once a failed webhook delivery was redelivered (the `redeliveries` pass). */
  redelivered: (guid: string) => `${prefix}:cache:redelivered:${guid}`,
  /** The pod-follower leader's lease. */
  podFollowerLeader: `${prefix}:leader:pod-follower`,
  /** Held while one process declares the job schedulers. */
  schedulersLock: `${prefix}:lock:schedulers`,
  /** Held while one process runs a reconciliation task's pass. */
  reconcileLock: (task: string) => `${prefix}:lock:reconcile:${task}`,
});

export type RedisKeys = ReturnType<typeof redisKeys>;
