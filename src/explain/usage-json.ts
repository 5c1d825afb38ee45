import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { jobs } from '../db/schema/jobs.js';
import { workers } from '../db/schema/workers.js';
import type { Usage } from './usage.js';

/** drizzle field name → SQL column name, read from the schema (never kept in step by hand). */
const columnNames = (table: PgTable): Map<string, string> =>
  new Map(Object.entries(getTableColumns(table)).map(([field, col]) => [field, col.name]));

const JOB_COLUMNS = columnNames(jobs);
const WORKER_COLUMNS = columnNames(workers);

/** A row under its table's column names; fields that are not columns (pod, events…) keep theirs. */
function asColumns(row: object, names: Map<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [names.get(k) ?? k, v]));
}

const seconds = (from: Date, to: Date): number =>
  Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

/**
 * `/usage.json`: as the original answered it, `jobs` and `workers` are rows under their column
 * names (job_id, repo_full_name, html_url, pod_name, k8s_node…), each with its `age_seconds`
 * (a job since GitHub queued it, a worker since it was created); the summaries stay as they are.
 */
export function usageJson(u: Usage) {
  return {
    ...u,
    jobs: u.jobs.map((j) => ({
      ...asColumns(j, JOB_COLUMNS),
      age_seconds: seconds(j.queuedAt ?? j.createdAt, u.at),
    })),
    workers: u.workers.map((w) => ({
      ...asColumns(w, WORKER_COLUMNS),
      age_seconds: seconds(w.createdAt, u.at),
    })),
  };
}
