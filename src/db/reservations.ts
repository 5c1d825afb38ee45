import type { PoolClient } from 'pg';
import { attemptsLeft, failExhaustedJobs } from './attempts.js';
import type { Db } from './client.js';
import type { RawRow } from './raw.js';
import type { jobs, workers, JobRow } from './schema/index.js';
import { lockBoard, lockEntities, lockOwners, withTransaction } from './tx.js';

/** A pool of one board with jobs no worker covers yet. */
export interface PoolDeficit extends Pick<
  JobRow,
  'entityId' | 'entityName' | 'entityType' | 'repoFullName'
> {
  key: string;
  labels: JobRow['jobLabels'];
  /** The installation owner's login, lower case (`max_workers_per_owner` counts its workers). */
  owner: string;
  installationId: JobRow['installationId'];
  image: JobRow['k8sImage'];
  pending: number;
  /** Active workers of the pool not running a job. */
  available: number;
  /** The uncovered pending jobs (the newest ones: GitHub serves the oldest first), oldest first. */
  uncovered: { jobId: number; queuedAt: number }[];
}

export interface NewWorker {
  podName: string;
  pool: PoolDeficit;
  reservedForJobId: number;
}

/**
 * Uncovered jobs per pool. GitHub hands a pool's runners to its oldest queued jobs, so the
 * uncovered ones are the newest `pending - available` pending jobs (AVAILABLE_WORKER above). The
 * seed's `demand - supply`, with running jobs on both sides, is the same number as long as
 * webhooks arrive before runners finish; when they do not, it starts runners nobody needs.
 */
/**
 * A worker (alias `w`) that covers one of its pool's pending jobs: active and not running a job;
 * or finished successfully within the last minute with no job naming it yet. That one ran a job
 * whose webhooks have not landed, and that job still looks pending; counting the worker keeps a
 * second runner from being started for it.
 */
export const AVAILABLE_WORKER = `(
  (w.status in ('pending', 'running')
    and not exists (select 1 from jobs r where r.runner_name = w.pod_name and r.status = 'running'))
  or (w.status = 'completed' and w.completed_at > now() - interval '60 seconds'
    and not exists (select 1 from jobs r where r.runner_name = w.pod_name))
)`;

const DEFICITS_SQL = `
with pending as (
  select job_id, entity_id, job_labels, created_at, entity_name, entity_type, repo_full_name,
    installation_id, k8s_image,
    row_number() over (partition by entity_id, job_labels order by created_at, job_id) as rn,
    count(*) over (partition by entity_id, job_labels) as pending
  from jobs where k8s_pool = $1 and status = 'pending' and ${attemptsLeft('$3')}
), available as (
  select w.entity_id, w.job_labels, count(*)::int as available
  from workers w
  where w.k8s_pool = $1 and ${AVAILABLE_WORKER}
  group by w.entity_id, w.job_labels
)
select p.job_id, p.entity_id, p.job_labels, p.entity_name, p.entity_type, p.repo_full_name,
  p.installation_id, p.k8s_image, p.created_at, p.pending::int as pending,
  coalesce(a.available, 0) as available
from pending p left join available a using (entity_id, job_labels)
where p.rn > coalesce(a.available, 0) and p.rn <= coalesce(a.available, 0) + $2
order by p.entity_id, p.job_labels::text, p.rn`;

type DeficitRow = Pick<
  RawRow<typeof jobs>,
  | 'job_id'
  | 'entity_id'
  | 'job_labels'
  | 'entity_name'
  | 'entity_type'
  | 'repo_full_name'
  | 'installation_id'
  | 'k8s_image'
  | 'created_at'
> & { pending: number; available: number };

/** The owner (login, lower case) of a worker row aliased `w`: the org, or the repository's owner. */
export const WORKER_OWNER = `lower(case when w.entity_type = 'User'
  then split_part(w.repo_full_name, '/', 1) else w.entity_name end)`;

/** Pools of `board` whose demand (pending + running jobs) exceeds supply (active workers). */
export async function boardDeficits(
  client: PoolClient | Db['$client'],
  board: string,
  limitPerPool: number,
  maxRunnerAttempts?: number,
): Promise<PoolDeficit[]> {
  const { rows } = await client.query<DeficitRow>(DEFICITS_SQL, [
    board,
    limitPerPool,
    maxRunnerAttempts || null,
  ]);
  const pools = new Map<string, PoolDeficit>();
  for (const r of rows) {
    const key = `${r.entity_id}:${JSON.stringify(r.job_labels)}`;
    let pool = pools.get(key);
    if (!pool) {
      pool = {
        key,
        entityId: Number(r.entity_id),
        labels: r.job_labels,
        entityName: r.entity_name,
        entityType: r.entity_type,
        repoFullName: r.repo_full_name,
        owner: r.repo_full_name.split('/')[0]!.toLowerCase(),
        installationId: Number(r.installation_id),
        image: r.k8s_image,
        pending: r.pending,
        available: r.available,
        uncovered: [],
      };
      pools.set(key, pool);
    }
    // The newest job's installation wins: an App reinstalled mid-queue has a new id.
    pool.installationId = Number(r.installation_id);
    pool.uncovered.push({ jobId: Number(r.job_id), queuedAt: r.created_at.getTime() });
  }
  return [...pools.values()];
}

export interface ReservePlan {
  /** Free slots on the board, given the names of the board's active workers. */
  freeSlots(activeWorkers: string[]): number;
  /** Decides how many workers each pool gets, given entity totals across all boards. */
  decide(
    free: number,
    pools: PoolDeficit[],
    entityActive: Map<number, number>,
    activeOnBoard: Map<number, number>,
    history: ServiceHistory,
  ): { grants: Map<string, number>; waiting: Map<string, WaitReason>; turnOrder?: number[] };
  name(): string;
  /** Pending jobs with this many failed runner attempts are failed instead of served. */
  maxRunnerAttempts?: number;
}

/** What fair turns and the owner cap need, read under the locks. */
export interface ServiceHistory {
  /** When each entity last got a worker on this board (ms); absent: never (or pruned). */
  lastServed: Map<number, number>;
  /** Active workers on every board per owner of the pools' entities. */
  ownerActive: Map<string, number>;
}

export type WaitReason = 'entity_at_cap' | 'owner_at_cap' | 'no_capacity';

export interface ReserveResult {
  free: number;
  pools: PoolDeficit[];
  reserved: NewWorker[];
  /** Pools left with uncovered jobs after this pass, and why. */
  waiting: Map<string, WaitReason>;
  /** Waiting entities in the order they get the next slots (empty when nobody waits a turn). */
  turnOrder: number[];
  /** Jobs failed by this pass: their runners failed MAX_RUNNER_ATTEMPTS times. */
  exhausted: number[];
}

const allWaiting = (pools: PoolDeficit[]) =>
  new Map(pools.map((p) => [p.key, 'no_capacity' as const]));

/**
 * Reserves workers for one board in one transaction: board lock, then the entities' locks in
 * ascending order, then counting and inserting. Two passes (in any processes) can never both take
 * the last slot of a board or of an entity's `max_workers`.
 */
export function reserveWorkers(
  db: Db,
  schema: string,
  board: string,
  plan: ReservePlan,
  maxPerPass = 64,
): Promise<ReserveResult> {
  return withTransaction(db, async (client) => {
    await lockBoard(client, schema, board);
    const exhausted = plan.maxRunnerAttempts
      ? await failExhaustedJobs(client, board, plan.maxRunnerAttempts)
      : [];
    const boardWorkers = await client.query<Pick<RawRow<typeof workers>, 'pod_name' | 'entity_id'>>(
      `select pod_name, entity_id from workers where k8s_pool = $1 and status in ('pending', 'running')`,
      [board],
    );
    const free = plan.freeSlots(boardWorkers.rows.map((r) => r.pod_name));
    if (free === 0) {
      const pools = await boardDeficits(client, board, 1, plan.maxRunnerAttempts);
      return { free, pools, reserved: [], waiting: allWaiting(pools), turnOrder: [], exhausted };
    }
    const pools = await boardDeficits(
      client,
      board,
      Math.min(free, maxPerPass),
      plan.maxRunnerAttempts,
    );
    if (pools.length === 0)
      return { free, pools, reserved: [], waiting: new Map(), turnOrder: [], exhausted };

    const entityIds = [...new Set(pools.map((p) => p.entityId))];
    const owners = [...new Set(pools.map((p) => p.owner))];
    // Owners before entities (the order every reservation takes them), so that two boards'
    // passes cannot both take an owner's last worker.
    await lockOwners(client, schema, owners);
    await lockEntities(client, entityIds);
    const history = await serviceHistory(client, board, entityIds, owners);
    const totals = await client.query<
      Pick<RawRow<typeof workers>, 'entity_id'> & { active: number }
    >(
      `select entity_id, count(*)::int as active from workers
       where entity_id = any($1::bigint[]) and status in ('pending', 'running') group by entity_id`,
      [entityIds],
    );
    const entityActive = new Map(totals.rows.map((r) => [Number(r.entity_id), r.active]));
    const activeOnBoard = new Map<number, number>();
    for (const r of boardWorkers.rows) {
      activeOnBoard.set(Number(r.entity_id), (activeOnBoard.get(Number(r.entity_id)) ?? 0) + 1);
    }
    const decision = plan.decide(
      Math.min(free, maxPerPass),
      pools,
      entityActive,
      activeOnBoard,
      history,
    );

    const { grants, waiting } = decision;
    const reserved: NewWorker[] = [];
    for (const pool of pools) {
      const count = grants.get(pool.key) ?? 0;
      for (let i = 0; i < count; i++) {
        reserved.push({ podName: plan.name(), pool, reservedForJobId: pool.uncovered[i]!.jobId });
      }
    }
    if (reserved.length > 0) await insertWorkers(client, board, reserved);
    return { free, pools, reserved, waiting, turnOrder: decision.turnOrder ?? [], exhausted };
  });
}

/**
 * Last service per entity on the board (its newest worker row there, whatever became of it) and
 * active workers per owner. Both read under the locks, so they cannot move under the decision.
 */
export async function serviceHistory(
  client: PoolClient | Db['$client'],
  board: string,
  entityIds: readonly number[],
  owners: readonly string[],
): Promise<ServiceHistory> {
  const served = await client.query<
    Pick<RawRow<typeof workers>, 'entity_id'> & { at: Date | null }
  >(
    `select e as entity_id,
       (select max(created_at) from workers where k8s_pool = $1 and entity_id = e) as at
     from unnest($2::bigint[]) e`,
    [board, entityIds],
  );
  const lastServed = new Map<number, number>();
  for (const r of served.rows) if (r.at) lastServed.set(Number(r.entity_id), r.at.getTime());
  const active = await client.query<{ owner: string; active: number }>(
    `select ${WORKER_OWNER} as owner, count(*)::int as active from workers w
     where w.status in ('pending', 'running') and ${WORKER_OWNER} = any($1::text[])
     group by 1`,
    [owners],
  );
  const ownerActive = new Map(active.rows.map((r) => [r.owner, r.active]));
  return { lastServed, ownerActive };
}

async function insertWorkers(
  client: PoolClient,
  board: string,
  workers: NewWorker[],
): Promise<void> {
  const col = <T>(f: (w: NewWorker) => T) => workers.map(f);
  await client.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id,
       repo_full_name, job_labels, k8s_pool, k8s_image, reserved_for_job_id)
     select pod_name, entity_id, entity_name, entity_type, installation_id, repo_full_name,
       job_labels::jsonb, $10, k8s_image, reserved_for_job_id
     from unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[],
       $7::text[], $8::text[], $9::bigint[])
       as t(pod_name, entity_id, entity_name, entity_type, installation_id, repo_full_name,
         job_labels, k8s_image, reserved_for_job_id)`,
    [
      col((w) => w.podName),
      col((w) => w.pool.entityId),
      col((w) => w.pool.entityName),
      col((w) => w.pool.entityType),
      col((w) => w.pool.installationId),
      // Repository-scoped runners only for personal accounts (seed 001 schema).
      col((w) => (w.pool.entityType === 'User' ? w.pool.repoFullName : null)),
      col((w) => JSON.stringify(w.pool.labels)),
      col((w) => w.pool.image),
      col((w) => w.reservedForJobId),
      board,
    ],
  );
}

/**
 * Gives back a reserved worker whose pool no longer needs it (its jobs were cancelled or taken by
 * other runners): deleted while it has no pod and no runner yet, when the pool's pending jobs are
 * no more than its other available workers. True when released; nothing was minted for it, and
 * the entity's turn on the board is as if it had not been served.
 */
export async function releaseIfUnneeded(db: Db, podName: string): Promise<boolean> {
  const { rowCount } = await db.$client.query(
    `delete from workers x
     where x.pod_name = $1 and x.status = 'pending' and x.pod_created_at is null
       and x.runner_id is null
       and (select count(*) from jobs j where j.k8s_pool = x.k8s_pool and j.entity_id = x.entity_id
              and j.job_labels = x.job_labels and j.status = 'pending')
         <= (select count(*) from workers w where w.k8s_pool = x.k8s_pool
              and w.entity_id = x.entity_id and w.job_labels = x.job_labels
              and w.pod_name <> x.pod_name and ${AVAILABLE_WORKER})`,
    [podName],
  );
  return (rowCount ?? 0) > 0;
}
