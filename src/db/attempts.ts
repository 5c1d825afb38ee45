import type { PoolClient } from 'pg';
import type { Db } from './client.js';
import type { RawRow } from './raw.js';
import type { jobs } from './schema/index.js';

/** How a runner can fail before its job starts; each such failure is one attempt of the job. */
export const ATTEMPT_REASONS = [
  'runner_never_registered',
  'pod_stuck_pending',
  'pod_failed',
] as const;

/** One failed runner attempt of a job: its worker (pod and runner name), why, and when. */
export interface RunnerAttempt {
  reason: string;
  pod: string;
  at: string;
}

/**
 * A failed worker (alias `w`) that counts as an attempt of the job it was reserved for: it failed
 * for a reason of ATTEMPT_REASONS and no job names it as its runner (it never took a job).
 * Derived from the workers rows, so there is no second record to keep in step.
 */
export const ATTEMPT = `w.status = 'failed'
  and w.failure_info->>'reason' in (${ATTEMPT_REASONS.map((r) => `'${r}'`).join(', ')})
  and not exists (select 1 from jobs r where r.runner_name = w.pod_name)`;

const ATTEMPTS_JSON = `jsonb_agg(jsonb_build_object('reason', w.failure_info->>'reason',
  'pod', w.pod_name, 'at', w.completed_at) order by w.completed_at, w.pod_name)`;

/**
 * SQL: true while the job (a `jobs` row, unaliased) has fewer than `$param` attempts, or `$param`
 * is null (no cap). The demand count uses it, so a job cannot get one more runner from a worker
 * that failed after `failExhaustedJobs` ran in the same pass.
 */
export const attemptsLeft = (param: string) =>
  `(${param}::int is null or (select count(*) from workers w
     where w.reserved_for_job_id = jobs.job_id and ${ATTEMPT}) < ${param}::int)`;

/** Each job's failed runner attempts, oldest first (jobs with none are left out). */
export async function runnerAttempts(
  db: Db,
  jobIds: readonly number[],
): Promise<Map<number, RunnerAttempt[]>> {
  if (jobIds.length === 0) return new Map();
  const { rows } = await db.$client.query<
    Pick<RawRow<typeof jobs>, 'job_id'> & { attempts: RunnerAttempt[] }
  >(
    `select w.reserved_for_job_id as job_id, ${ATTEMPTS_JSON} as attempts
     from workers w where w.reserved_for_job_id = any($1::bigint[]) and ${ATTEMPT}
     group by w.reserved_for_job_id`,
    [jobIds],
  );
  return new Map(rows.map((r) => [Number(r.job_id), r.attempts]));
}

/**
 * Fails the pending jobs of `board` that used up `maxAttempts` runner attempts (a broken image or
 * board would otherwise be provisioned again forever), with every attempt in their failure_info.
 * Run under the board's lock, before demand is counted. Returns the ids of the jobs it failed.
 */
export async function failExhaustedJobs(
  client: PoolClient | Db['$client'],
  board: string,
  maxAttempts: number,
): Promise<number[]> {
  const { rows } = await client.query<Pick<RawRow<typeof jobs>, 'job_id'>>(
    `update jobs j set status = 'failed', updated_at = now(),
       failure_info = jsonb_build_object('reason', 'runner_attempts_exhausted',
         'message', a.n || ' runners failed before the job started', 'maxAttempts', $2::int,
         'attempts', a.attempts)
     from (
       select w.reserved_for_job_id as job_id, count(*) as n, ${ATTEMPTS_JSON} as attempts
       from workers w
       where w.reserved_for_job_id in (select job_id from jobs where k8s_pool = $1 and status = 'pending')
         and ${ATTEMPT}
       group by w.reserved_for_job_id
     ) a
     where j.job_id = a.job_id and a.n >= $2 and j.status = 'pending'
     returning j.job_id`,
    [board, maxAttempts],
  );
  return rows.map((r) => Number(r.job_id));
}
