import { boards as configBoards, entitySettings, type RunnersConfig } from '../config/runners.js';
import type { Db } from '../db/client.js';
import { drainedBoards } from '../db/drains.js';
import { AVAILABLE_WORKER } from '../db/reservations.js';
import { loadBoardHistory, type BoardHistory } from './board-charts.js';
import { boardView, type BoardView } from './capacity.js';
import { readSnapshot, type CacheRedis } from './cluster-cache.js';
import { loadActive, type UsageJob, type UsageWorker } from './usage-lists.js';

export interface Counts {
  pending: number;
  running: number;
  completedLastHour: number;
  failedLastHour: number;
}

export interface UsagePool {
  entityId: number;
  entityName: string;
  entityType: string;
  labels: string[];
  board: string;
  jobs: Counts;
  workers: Counts;
  /** Active workers not running a job: they cover pending jobs. */
  available: number;
  /** Pending jobs no worker covers yet. */
  waiting: number;
  /** max_workers of the entity (across its pools; null = unlimited) and its active workers. */
  maxWorkers: number | null;
  entityActive: number;
  /** Live pod state of the pool's active workers, from the cluster snapshot. */
  pods: Record<string, number>;
}

export interface UsageBoard extends BoardView {
  /** False when the snapshot has no node of the board (or there is no snapshot). */
  seen: boolean;
  drained: { reason: string | null; drainedAt: Date } | null;
  pendingJobs: number;
  /** Waiting jobs and queue-time percentiles over the last hours (charts on /usage). */
  history: BoardHistory;
}

export interface Usage {
  at: Date;
  snapshotAt: string | null;
  pools: UsagePool[];
  boards: UsageBoard[];
  /** Every active job and worker (the oldest LIST_LIMIT of each), as their table rows. */
  jobs: UsageJob[];
  workers: UsageWorker[];
  /** True when there were more active jobs or workers than listed. */
  listTruncated: boolean;
  /** The window of the boards' history. */
  historyFrom: Date;
}

const RECENT = `interval '1 hour'`;
// Finished rows older than this cannot have finished within the hour: keeps the history index usable.
const HORIZON = `interval '7 days'`;

const POOLS_SQL = `
with j as (
  select entity_id, job_labels, k8s_pool, max(entity_name) as entity_name, max(entity_type) as entity_type,
    count(*) filter (where status = 'pending')::int as pending,
    count(*) filter (where status = 'running')::int as running,
    count(*) filter (where status = 'completed')::int as completed,
    count(*) filter (where status = 'failed')::int as failed
  from jobs
  where status in ('pending', 'running')
    or (created_at > now() - ${HORIZON} and coalesce(completed_at, updated_at) > now() - ${RECENT})
  group by entity_id, job_labels, k8s_pool
), w as (
  select w.entity_id, w.job_labels, w.k8s_pool, max(w.entity_name) as entity_name,
    max(w.entity_type) as entity_type,
    count(*) filter (where w.status = 'pending')::int as pending,
    count(*) filter (where w.status = 'running')::int as running,
    count(*) filter (where w.status = 'completed')::int as completed,
    count(*) filter (where w.status = 'failed')::int as failed,
    count(*) filter (where ${AVAILABLE_WORKER})::int as available,
    coalesce(json_agg(json_build_object('name', w.pod_name, 'created', w.pod_created_at is not null))
      filter (where w.status in ('pending', 'running')), '[]') as active
  from workers w
  where w.status in ('pending', 'running')
    or (w.created_at > now() - ${HORIZON} and w.completed_at > now() - ${RECENT})
  group by w.entity_id, w.job_labels, w.k8s_pool
)
select entity_id, job_labels, k8s_pool,
  coalesce(j.entity_name, w.entity_name) as entity_name,
  coalesce(j.entity_type, w.entity_type) as entity_type,
  coalesce(j.pending, 0) as j_pending, coalesce(j.running, 0) as j_running,
  coalesce(j.completed, 0) as j_completed, coalesce(j.failed, 0) as j_failed,
  coalesce(w.pending, 0) as w_pending, coalesce(w.running, 0) as w_running,
  coalesce(w.completed, 0) as w_completed, coalesce(w.failed, 0) as w_failed,
  coalesce(w.available, 0) as available, coalesce(w.active, '[]') as active
from j full outer join w using (entity_id, job_labels, k8s_pool)
order by k8s_pool, entity_name, job_labels::text`;

interface PoolRow {
  entity_id: string;
  job_labels: string[];
  k8s_pool: string;
  entity_name: string;
  entity_type: string;
  j_pending: number;
  j_running: number;
  j_completed: number;
  j_failed: number;
  w_pending: number;
  w_running: number;
  w_completed: number;
  w_failed: number;
  available: number;
  active: { name: string; created: boolean }[];
}

const counts = (p: number, r: number, c: number, f: number): Counts => ({
  pending: p,
  running: r,
  completedLastHour: c,
  failedLastHour: f,
});

/** `/usage` and `cli status`: every pool with recent activity and every board we know of. */
export async function loadUsage(
  deps: { db: Db; redis: CacheRedis; prefix: string; runners: RunnersConfig },
  now = new Date(),
): Promise<Usage> {
  const q = deps.db.$client;
  const [pools, entities, onBoard, drains, snapshot] = await Promise.all([
    q.query<PoolRow>(POOLS_SQL),
    q.query<{ entity_id: string; active: number }>(
      `select entity_id, count(*)::int as active from workers
       where status in ('pending', 'running') group by entity_id`,
    ),
    q.query<{ k8s_pool: string; pods: string[]; pending_jobs: number }>(
      `select k8s_pool, array_agg(pod_name) filter (where src = 'w') as pods,
         count(*) filter (where src = 'j')::int as pending_jobs
       from (select k8s_pool, pod_name, 'w' as src from workers where status in ('pending', 'running')
             union all select k8s_pool, null, 'j' from jobs where status = 'pending') x
       group by k8s_pool`,
    ),
    drainedBoards(deps.db),
    readSnapshot(deps.redis, deps.prefix),
  ]);
  const [listed, history] = await Promise.all([
    loadActive(deps.db, snapshot),
    loadBoardHistory(deps.db, now),
  ]);
  const active = new Map(entities.rows.map((r) => [Number(r.entity_id), r.active]));
  const podOf = new Map((snapshot?.pods ?? []).map((p) => [p.name, p]));
  const usagePools: UsagePool[] = pools.rows.map((r) => {
    const entityId = Number(r.entity_id);
    const pods: Record<string, number> = {};
    for (const w of r.active) {
      const pod = podOf.get(w.name);
      const key = pod
        ? `${pod.phase}${pod.reason ? ` (${pod.reason})` : ''}`
        : w.created
          ? snapshot
            ? 'not in cluster'
            : 'unknown'
          : 'no pod yet';
      pods[key] = (pods[key] ?? 0) + 1;
    }
    return {
      entityId,
      entityName: r.entity_name,
      entityType: r.entity_type,
      labels: r.job_labels,
      board: r.k8s_pool,
      jobs: counts(r.j_pending, r.j_running, r.j_completed, r.j_failed),
      workers: counts(r.w_pending, r.w_running, r.w_completed, r.w_failed),
      available: r.available,
      waiting: Math.max(0, r.j_pending - r.available),
      maxWorkers: entitySettings(deps.runners, entityId).maxWorkers,
      entityActive: active.get(entityId) ?? 0,
      pods,
    };
  });
  const perBoard = new Map(onBoard.rows.map((r) => [r.k8s_pool, r]));
  const names = new Set([
    ...configBoards(deps.runners),
    ...(snapshot?.nodes ?? []).map((n) => n.board),
    ...perBoard.keys(),
    ...history.boards.keys(),
    ...drains.map((d) => d.board),
  ]);
  const usageBoards = [...names].sort().map((board): UsageBoard => {
    const row = perBoard.get(board);
    const view = boardView(snapshot ?? { nodes: [], pods: [] }, board, row?.pods ?? []);
    const drain = drains.find((d) => d.board === board);
    return {
      ...view,
      seen: view.nodes > 0,
      drained: drain ? { reason: drain.reason, drainedAt: drain.drainedAt } : null,
      pendingJobs: row?.pending_jobs ?? 0,
      history: history.boards.get(board) ?? { waiting: [], queueSeconds: [] },
    };
  });
  return {
    at: now,
    snapshotAt: snapshot?.at ?? null,
    pools: usagePools,
    boards: usageBoards,
    jobs: listed.jobs,
    workers: listed.workers,
    listTruncated: listed.truncated,
    historyFrom: history.from,
  };
}
