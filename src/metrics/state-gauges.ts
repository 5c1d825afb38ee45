import { Gauge } from 'prom-client';
import type { Db } from '../db/client.js';
import { drainedBoards } from '../db/drains.js';
import { AVAILABLE_WORKER } from '../db/reservations.js';
import { boardView } from '../explain/capacity.js';
import { readSnapshot, type CacheRedis } from '../explain/cluster-cache.js';
import type { ClusterSnapshot } from '../queues/cache-values.js';
import type { Queues } from '../queues/producers.js';
import { withTimeout } from '../util/timeout.js';
import type { Metrics } from './registry.js';

export interface StateDeps {
  db: Db;
  queues?: Pick<Queues, 'ingest' | 'provision' | 'runners' | 'reconcile'>;
  redis?: CacheRedis;
  prefix?: string;
  timeoutMs?: number;
}

const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
] as const;

/** Counts per (board, status) of active jobs and workers, and uncovered jobs per board. */
const STATE_SQL = `
select 'jobs' as kind, k8s_pool as board, status as key, count(*)::int as n
  from jobs where status in ('pending', 'running') group by k8s_pool, status
union all
select 'workers', k8s_pool, status, count(*)::int
  from workers where status in ('pending', 'running') group by k8s_pool, status
union all
select 'failures', null, coalesce(failure_info->>'reason', 'unknown'), count(*)::int
  from workers where status = 'failed' and created_at > now() - interval '7 days'
    and completed_at > now() - interval '1 hour' group by 3
union all
select 'waiting', p.k8s_pool, null, sum(greatest(0, p.pending - coalesce(a.available, 0)))::int
  from (select k8s_pool, entity_id, job_labels, count(*) as pending from jobs
        where status = 'pending' group by k8s_pool, entity_id, job_labels) p
  left join (select w.k8s_pool, w.entity_id, w.job_labels, count(*) as available from workers w
             where ${AVAILABLE_WORKER} group by w.k8s_pool, w.entity_id, w.job_labels) a
  using (k8s_pool, entity_id, job_labels)
  group by p.k8s_pool`;

interface Row {
  kind: 'jobs' | 'workers' | 'failures' | 'waiting';
  board: string | null;
  key: string | null;
  n: number;
}

/** Reads once per scrape (shared by every gauge of the source), logging a failure as a counter. */
function perScrape<T>(
  source: string,
  metrics: Pick<Metrics, 'collectErrors'>,
  load: () => Promise<T>,
) {
  let last: { at: number; value: Promise<T | undefined> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 1_000) {
      last = {
        at: Date.now(),
        value: load().catch(() => {
          metrics.collectErrors.inc({ source });
          return undefined;
        }),
      };
    }
    return last.value;
  };
}

/**
 * Gauges computed at scrape time from PostgreSQL, BullMQ and the cluster snapshot (cheap queries
 * on the active-row indexes). Registered by the web process only, so summing over processes in
 * Prometheus never counts a job twice.
 */
export function registerStateGauges(metrics: Metrics, deps: StateDeps): void {
  const registers = [metrics.registry];
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const db = perScrape('postgres', metrics, async () => {
    const [state, drains] = await withTimeout(
      Promise.all([deps.db.$client.query<Row>(STATE_SQL), drainedBoards(deps.db)]),
      timeoutMs,
      'metrics',
    );
    return { rows: state.rows, drained: drains.map((d) => d.board) };
  });
  const queues = perScrape('redis', metrics, async () => {
    const entries = await withTimeout(
      Promise.all(
        Object.values(deps.queues ?? {}).map(
          async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const,
        ),
      ),
      timeoutMs,
      'metrics',
    );
    return entries;
  });
  const cluster = perScrape('snapshot', metrics, async (): Promise<ClusterSnapshot | null> =>
    deps.redis && deps.prefix
      ? ((await withTimeout(readSnapshot(deps.redis, deps.prefix), timeoutMs, 'metrics')) ?? null)
      : null,
  );

  metrics.scrapeReads.push(db, queues, cluster);

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>) => Promise<void>,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        await fill(this);
      },
    });

  const fromRows =
    (kind: Row['kind'], labels: (r: Row) => Record<string, string>) => async (g: Gauge<string>) => {
      for (const r of (await db())?.rows ?? []) if (r.kind === kind) g.set(labels(r), r.n);
    };
  gauge(
    'rise_jobs',
    'Active jobs by board and status',
    ['board', 'status'],
    fromRows('jobs', (r) => ({ board: r.board ?? '', status: r.key ?? '' })),
  );
  gauge(
    'rise_jobs_waiting',
    'Pending jobs no worker covers yet, by board (queue depth)',
    ['board'],
    fromRows('waiting', (r) => ({ board: r.board ?? '' })),
  );
  gauge(
    'rise_workers',
    'Active workers (runner pods) by board and status',
    ['board', 'status'],
    fromRows('workers', (r) => ({ board: r.board ?? '', status: r.key ?? '' })),
  );
  gauge(
    'rise_worker_failures_last_hour',
    'Workers failed in the last hour, by failure_info reason',
    ['reason'],
    fromRows('failures', (r) => ({ reason: r.key ?? 'unknown' })),
  );
  gauge('rise_board_drained', 'Boards drained by an operator (1)', ['board'], async (g) => {
    for (const board of (await db())?.drained ?? []) g.set({ board }, 1);
  });
  gauge('rise_queue_jobs', 'BullMQ jobs by queue and state', ['queue', 'state'], async (g) => {
    for (const [queue, counts] of (await queues()) ?? []) {
      for (const [state, n] of Object.entries(counts)) g.set({ queue, state }, n);
    }
  });
  const boards = async () => {
    const snapshot = await cluster();
    if (!snapshot) return [];
    // Pods only: reserved workers without a pod yet show in rise_workers{status="pending"}.
    return [...new Set(snapshot.nodes.map((n) => n.board))].map((board) =>
      boardView(snapshot, board, []),
    );
  };
  gauge(
    'rise_board_slots',
    'Runner slots on Ready, schedulable nodes, by board',
    ['board'],
    async (g) => {
      for (const b of await boards()) g.set({ board: b.board }, b.slots);
    },
  );
  gauge(
    'rise_board_slots_busy',
    'Runner slots held or awaited by pods, by board',
    ['board'],
    async (g) => {
      for (const b of await boards()) g.set({ board: b.board }, b.busy);
    },
  );
  gauge(
    'rise_cluster_snapshot_age_seconds',
    'Age of the cluster snapshot the worker leader publishes',
    [],
    async (g) => {
      const snapshot = await cluster();
      if (snapshot) g.set(Math.max(0, (Date.now() - Date.parse(snapshot.at)) / 1000));
    },
  );
}
