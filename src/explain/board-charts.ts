import type { Db } from '../db/client.js';

/** How far back the /usage charts look, and their resolution. */
export const CHART_HOURS = 6;
const WAITING_STEP_MINUTES = 10;
const QUEUE_TIME_BUCKET_MINUTES = 30;

export interface BoardHistory {
  /** Jobs waiting (queued, no runner yet) at each sample time. */
  waiting: { at: Date; jobs: number }[];
  /** Queue time (queued to started, seconds) of the jobs that started in each bucket. */
  queueSeconds: { at: Date; p50: number; p90: number; p99: number; jobs: number }[];
}

// A job waits from GitHub's queued time (or our record of it) until it starts; a job that never
// started stops waiting when it finished (cancelled), and a pending one waits still.
const WAITING_SQL = `
with s as (
  select generate_series($3::timestamptz - $1::interval, $3::timestamptz, $2::interval) as at
), j as (
  select k8s_pool, coalesce(queued_at, created_at) as since,
    coalesce(started_at, completed_at,
      case when status = 'pending' then 'infinity'::timestamptz else updated_at end) as until
  from jobs
  where status = 'pending'
    or (created_at > $3::timestamptz - $1::interval - interval '7 days'
      and coalesce(started_at, completed_at, updated_at) > $3::timestamptz - $1::interval)
)
select j.k8s_pool, s.at, count(*)::int as jobs
from s join j on j.since <= s.at and j.until > s.at
group by j.k8s_pool, s.at`;

const QUEUE_TIME_SQL = `
select k8s_pool, date_bin($2::interval, started_at, timestamptz '2000-01-01') as at,
  percentile_cont(array[0.5, 0.9, 0.99]) within group (
    order by extract(epoch from started_at - coalesce(queued_at, created_at))) as p,
  count(*)::int as jobs
from jobs
where started_at > $3::timestamptz - $1::interval and created_at > $3::timestamptz - $1::interval - interval '7 days'
group by 1, 2
order by 1, 2`;

/** Per board, waiting jobs and queue-time percentiles over the last CHART_HOURS hours. */
export async function loadBoardHistory(
  db: Db,
  now: Date,
  hours = CHART_HOURS,
): Promise<{ from: Date; to: Date; boards: Map<string, BoardHistory> }> {
  const window = `${hours} hours`;
  const [waiting, queue, samples] = await Promise.all([
    db.$client.query<{ k8s_pool: string; at: Date; jobs: number }>(WAITING_SQL, [
      window,
      `${WAITING_STEP_MINUTES} minutes`,
      now,
    ]),
    db.$client.query<{ k8s_pool: string; at: Date; p: number[]; jobs: number }>(QUEUE_TIME_SQL, [
      window,
      `${QUEUE_TIME_BUCKET_MINUTES} minutes`,
      now,
    ]),
    db.$client.query<{ at: Date }>(
      'select generate_series($3::timestamptz - $1::interval, $3::timestamptz, $2::interval) as at',
      [window, `${WAITING_STEP_MINUTES} minutes`, now],
    ),
  ]);
  const boards = new Map<string, BoardHistory>();
  const of = (board: string) => {
    let h = boards.get(board);
    if (!h) boards.set(board, (h = { waiting: [], queueSeconds: [] }));
    return h;
  };
  // Every sample time appears, with zero where nothing waited, so lines do not skip idle hours.
  const counts = new Map(waiting.rows.map((r) => [`${r.k8s_pool}|${r.at.getTime()}`, r.jobs]));
  for (const board of new Set([...waiting.rows, ...queue.rows].map((r) => r.k8s_pool))) {
    of(board).waiting = samples.rows.map(({ at }) => ({
      at,
      jobs: counts.get(`${board}|${at.getTime()}`) ?? 0,
    }));
  }
  for (const r of queue.rows) {
    of(r.k8s_pool).queueSeconds.push({
      at: r.at,
      p50: r.p[0] ?? 0,
      p90: r.p[1] ?? 0,
      p99: r.p[2] ?? 0,
      jobs: r.jobs,
    });
  }
  return { from: new Date(now.getTime() - hours * 3600_000), to: now, boards };
}
