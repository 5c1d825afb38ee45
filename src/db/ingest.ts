import type { PoolClient } from 'pg';
import type { Db } from './client.js';
import { withClient } from './tx.js';
import type { DeliveryOutcome } from './schema/deliveries.js';
import type { InstallationRow } from './schema/installations.js';
import type { JobRow } from './schema/jobs.js';

export type JobAction = 'queued' | 'in_progress' | 'completed';

/**
 * What a workflow_job delivery tells us about one job, already mapped to a board and image: the
 * `jobs` columns a webhook fills, under the names the matcher uses for the pool columns.
 */
export type JobFacts = Pick<
  JobRow,
  | 'jobId'
  | 'entityId'
  | 'entityName'
  | 'entityType'
  | 'repoFullName'
  | 'installationId'
  | 'htmlUrl'
  | 'runId'
  | 'jobName'
  | 'runnerName'
  | 'conclusion'
  | 'queuedAt'
  | 'startedAt'
  | 'completedAt'
> & {
  /** Sorted, without duplicates. */
  labels: JobRow['jobLabels'];
  board: JobRow['k8sPool'];
  image: JobRow['k8sImage'];
};

export type InstallationFacts = Pick<
  InstallationRow,
  'installationId' | 'appId' | 'accountId' | 'accountLogin' | 'accountType' | 'state'
>;

/**
 * One delivery, as recorded. Plain JSON-safe data (dates become strings through the spool), so
 * the web process and the spool processor apply it with the same code.
 */
export interface DeliveryRecord {
  deliveryId: string;
  event: string;
  action: string | null;
  outcome: DeliveryOutcome;
  detail?: string;
  jobId?: number;
  installationId?: number;
  entityId?: number;
  job?: { action: JobAction; facts: JobFacts };
  installation?: InstallationFacts;
}

export interface ApplyResult {
  /** The same X-GitHub-Delivery was recorded before. */
  redelivery: boolean;
  /** The job row changed (or was created) because of this batch. */
  jobChanged: boolean;
  /** The job row was created by a `queued` delivery and is pending: it needs provisioning. */
  newPendingJobId?: number;
  outcome: DeliveryOutcome;
}

const STATUS_OF: Record<JobAction, Exclude<JobRow['status'], 'failed'>> = {
  queued: 'pending',
  in_progress: 'running',
  completed: 'completed',
};
const RANK = { pending: 0, running: 1, completed: 2 } as const;

const rank = (status: string) =>
  `(case ${status} when 'pending' then 0 when 'running' then 1 else 2 end)`;

/** A row INGEST_SQL returns: a job it changed, or a delivery it recorded. */
type IngestRow =
  | { kind: 'j'; key: string; flag: boolean; value: JobRow['status'] }
  | { kind: 'd'; key: string; flag: boolean; value: DeliveryOutcome };

/**
 * One statement per batch: every delivery row and every job upsert, in one round trip and one
 * commit. Job status only moves forward (pending → running → completed); the WHERE clause of the
 * upsert enforces it, so any order of queued / in_progress / completed ends in the same state.
 */
const INGEST_SQL = `
with j_in as (
  select * from unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
    $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[],
    $14::text[], $15::text[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])
  as t(job_id, status, entity_id, entity_name, entity_type, repo_full_name, installation_id,
    job_labels, k8s_pool, k8s_image, html_url, run_id, job_name, runner_name, conclusion,
    queued_at, started_at, completed_at)
), j as (
  insert into jobs as x (job_id, status, entity_id, entity_name, entity_type, repo_full_name,
    installation_id, job_labels, k8s_pool, k8s_image, html_url, run_id, job_name, runner_name,
    conclusion, queued_at, started_at, completed_at)
  select job_id, status, entity_id, entity_name, entity_type, repo_full_name, installation_id,
    job_labels::jsonb, k8s_pool, k8s_image, html_url, run_id, job_name, runner_name, conclusion,
    queued_at, started_at, completed_at
  from j_in
  on conflict (job_id) do update set
    status = excluded.status,
    runner_name = coalesce(excluded.runner_name, x.runner_name),
    conclusion = coalesce(excluded.conclusion, x.conclusion),
    started_at = coalesce(x.started_at, excluded.started_at),
    completed_at = coalesce(excluded.completed_at, x.completed_at),
    queued_at = coalesce(x.queued_at, excluded.queued_at),
    updated_at = now(),
    last_webhook_at = now()
  where x.status not in ('completed', 'failed') and ${rank('x.status')} < ${rank('excluded.status')}
  returning job_id, status, (xmax = 0) as inserted
), d as (
  insert into deliveries as x (delivery_id, event, action, job_id, installation_id, entity_id,
    outcome, detail)
  select d.delivery_id, d.event, d.action, d.job_id, d.installation_id, d.entity_id,
    case when d.outcome = 'applied' and d.job_id is not null and j.job_id is null
      then 'unchanged' else d.outcome end,
    d.detail
  from unnest($19::text[], $20::text[], $21::text[], $22::bigint[], $23::bigint[], $24::bigint[],
    $25::text[], $26::text[])
    as d(delivery_id, event, action, job_id, installation_id, entity_id, outcome, detail)
  left join j on j.job_id = d.job_id
  on conflict (delivery_id) do update set
    receive_count = x.receive_count + 1,
    last_received_at = now(),
    outcome = excluded.outcome,
    detail = excluded.detail
  returning delivery_id, receive_count > 1 as redelivery, outcome
)
select 'j' as kind, job_id::text as key, inserted as flag, status as value from j
union all
select 'd', delivery_id, redelivery, outcome from d`;

const INSTALLATION_SQL = `
insert into installations as x (installation_id, app_id, account_id, account_login, account_type, state)
values ($1, $2, $3, $4, $5, $6)
on conflict (installation_id) do update set
  app_id = coalesce(excluded.app_id, x.app_id), account_id = excluded.account_id,
  account_login = excluded.account_login, account_type = excluded.account_type,
  state = excluded.state, updated_at = now()`;

const toDate = (v: Date | string | null) => (v === null ? null : new Date(v));

/** Several deliveries about one job in a batch merge into the furthest state they reach. */
function mergeJobOps(
  records: DeliveryRecord[],
): Map<number, { status: keyof typeof RANK; facts: JobFacts }> {
  const merged = new Map<number, { status: keyof typeof RANK; facts: JobFacts }>();
  for (const r of records) {
    if (!r.job) continue;
    const status = STATUS_OF[r.job.action];
    const prev = merged.get(r.job.facts.jobId);
    if (!prev) {
      merged.set(r.job.facts.jobId, { status, facts: r.job.facts });
      continue;
    }
    const ahead = RANK[status] > RANK[prev.status] ? r.job.facts : prev.facts;
    const other = ahead === prev.facts ? r.job.facts : prev.facts;
    merged.set(r.job.facts.jobId, {
      status: RANK[status] > RANK[prev.status] ? status : prev.status,
      facts: {
        ...ahead,
        runnerName: ahead.runnerName ?? other.runnerName,
        startedAt: ahead.startedAt ?? other.startedAt,
        queuedAt: other.queuedAt ?? ahead.queuedAt,
      },
    });
  }
  return merged;
}

function jobParams(ops: { status: string; facts: JobFacts }[]): unknown[] {
  const col = <T>(f: (o: { status: string; facts: JobFacts }) => T) => ops.map(f);
  return [
    col((o) => o.facts.jobId),
    col((o) => o.status),
    col((o) => o.facts.entityId),
    col((o) => o.facts.entityName),
    col((o) => o.facts.entityType),
    col((o) => o.facts.repoFullName),
    col((o) => o.facts.installationId),
    col((o) => JSON.stringify(o.facts.labels)),
    col((o) => o.facts.board),
    col((o) => o.facts.image),
    col((o) => o.facts.htmlUrl),
    col((o) => o.facts.runId),
    col((o) => o.facts.jobName),
    col((o) => o.facts.runnerName),
    col((o) => o.facts.conclusion),
    col((o) => toDate(o.facts.queuedAt)),
    col((o) => toDate(o.facts.startedAt)),
    col((o) => toDate(o.facts.completedAt)),
  ];
}

function deliveryParams(records: DeliveryRecord[]): unknown[] {
  const col = <T>(f: (r: DeliveryRecord) => T) => records.map(f);
  return [
    col((r) => r.deliveryId),
    col((r) => r.event),
    col((r) => r.action),
    col((r) => r.jobId ?? null),
    col((r) => r.installationId ?? null),
    col((r) => r.entityId ?? null),
    col((r) => r.outcome),
    col((r) => r.detail ?? null),
  ];
}

async function execute(client: PoolClient, records: DeliveryRecord[], unique: DeliveryRecord[]) {
  const installs = records.filter((r) => r.installation);
  const ops = [...mergeJobOps(unique).values()];
  const params = [...jobParams(ops), ...deliveryParams(unique)];
  if (installs.length === 0) {
    return client.query<IngestRow>({
      name: 'ingest_v1',
      text: INGEST_SQL,
      values: params,
    });
  }
  await client.query('begin');
  try {
    for (const r of installs) {
      const i = r.installation!;
      await client.query(INSTALLATION_SQL, [
        i.installationId,
        i.appId,
        i.accountId,
        i.accountLogin,
        i.accountType,
        i.state,
      ]);
    }
    const result = await client.query<IngestRow>({
      name: 'ingest_v1',
      text: INGEST_SQL,
      values: params,
    });
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/**
 * Records a batch of deliveries and applies their job and installation changes, atomically.
 * Idempotent: applying the same records again changes nothing but the receive counts.
 */
export async function applyDeliveries(db: Db, records: DeliveryRecord[]): Promise<ApplyResult[]> {
  if (records.length === 0) return [];
  // A delivery id twice in one statement would make ON CONFLICT touch a row twice.
  const firstIndex = new Map<string, number>();
  records.forEach((r, i) => {
    if (!firstIndex.has(r.deliveryId)) firstIndex.set(r.deliveryId, i);
  });
  const unique = records.filter((r, i) => firstIndex.get(r.deliveryId) === i);

  const rows = await withClient(
    db,
    async (client) => (await execute(client, records, unique)).rows,
  );
  const jobs = new Map<number, { inserted: boolean; status: string }>();
  const deliveries = new Map<string, { redelivery: boolean; outcome: DeliveryOutcome }>();
  for (const row of rows) {
    if (row.kind === 'j') jobs.set(Number(row.key), { inserted: row.flag, status: row.value });
    else deliveries.set(row.key, { redelivery: row.flag, outcome: row.value });
  }
  return records.map((r, i) => {
    const d = deliveries.get(r.deliveryId);
    const j = r.job ? jobs.get(r.job.facts.jobId) : undefined;
    const duplicateInBatch = firstIndex.get(r.deliveryId) !== i;
    return {
      redelivery: duplicateInBatch || (d?.redelivery ?? false),
      jobChanged: j !== undefined,
      newPendingJobId:
        j?.inserted && j.status === 'pending' && r.job ? r.job.facts.jobId : undefined,
      outcome: d?.outcome ?? r.outcome,
    };
  });
}

/** The jobs a batch created as pending, with their boards: each needs a provisioning job. */
export function newPendingJobs(
  records: readonly DeliveryRecord[],
  results: readonly ApplyResult[],
): { jobId: number; board: string }[] {
  const fresh = new Map<number, string>();
  records.forEach((r, i) => {
    const jobId = results[i]?.newPendingJobId;
    if (jobId !== undefined && r.job) fresh.set(jobId, r.job.facts.board);
  });
  return [...fresh].map(([jobId, board]) => ({ jobId, board }));
}
