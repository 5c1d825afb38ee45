import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { statusColumn, statusConstraint } from './status.js';

const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One GitHub workflow job that asked for one of our boards: the demand side. */
export const jobs = pgTable(
  'jobs',
  {
    jobId: bigint('job_id', { mode: 'number' }).primaryKey(),
    status: statusColumn(),
    entityId: bigint('entity_id', { mode: 'number' }).notNull(),
    entityName: text('entity_name').notNull(),
    entityType: text('entity_type', { enum: ['Organization', 'User'] }).notNull(),
    repoFullName: text('repo_full_name').notNull(),
    installationId: bigint('installation_id', { mode: 'number' }).notNull(),
    jobLabels: jsonb('job_labels').$type<string[]>().notNull().default([]),
    k8sPool: text('k8s_pool').notNull(),
    k8sImage: text('k8s_image').notNull(),
    htmlUrl: text('html_url'),
    runId: bigint('run_id', { mode: 'number' }),
    jobName: text('job_name'),
    runnerName: text('runner_name'),
    conclusion: text('conclusion'),
    failureInfo: jsonb('failure_info').$type<Record<string, unknown>>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** When GitHub says the job was queued (the payload's created_at). */
    queuedAt: ts('queued_at'),
    startedAt: ts('started_at'),
    completedAt: ts('completed_at'),
    /** Last webhook applied to this job; reconciliation asks GitHub about jobs that went quiet. */
    lastWebhookAt: ts('last_webhook_at').notNull().defaultNow(),
    /** Last time reconciliation asked GitHub about this job (checks are spread over ticks). */
    statusCheckedAt: ts('status_checked_at'),
  },
  (t) => [
    statusConstraint('jobs', t.status),
    // Demand per (entity, labels) pool and FIFO order; finished rows are left out.
    index('jobs_active_pool_idx')
      .on(t.k8sPool, t.entityId, t.jobLabels, t.createdAt)
      .where(sql`${t.status} in ('pending', 'running')`),
    index('jobs_active_entity_idx')
      .on(t.entityId)
      .where(sql`${t.status} in ('pending', 'running')`),
    index('jobs_history_idx').on(t.createdAt),
    // Active jobs gone quiet, least recently checked first.
    index('jobs_active_check_idx')
      .on(t.statusCheckedAt, t.lastWebhookAt)
      .where(sql`${t.status} in ('pending', 'running')`),
    // Retention deletes finished jobs by age.
    index('jobs_finished_idx')
      .on(t.updatedAt)
      .where(sql`${t.status} in ('completed', 'failed')`),
    // Which job a worker's runner took: the job names its runner, which is the worker's pod name.
    index('jobs_runner_idx').on(t.runnerName),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
