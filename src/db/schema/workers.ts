import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { statusColumn, statusConstraint } from './status.js';

const ts = <N extends string>(name: N) => timestamp(name, { withTimezone: true, mode: 'date' });

/** One runner pod (and its GitHub runner, same name): the supply side. Never deleted while active. */
export const workers = pgTable(
  'workers',
  {
    podName: text('pod_name').primaryKey(),
    entityId: bigint('entity_id', { mode: 'number' }).notNull(),
    entityName: text('entity_name').notNull(),
    entityType: text('entity_type', { enum: ['Organization', 'User'] }).notNull(),
    installationId: bigint('installation_id', { mode: 'number' }).notNull(),
    /** Only for User entities (repository-scoped runners). */
    repoFullName: text('repo_full_name'),
    jobLabels: jsonb('job_labels').$type<string[]>().notNull().default([]),
    k8sPool: text('k8s_pool').notNull(),
    k8sImage: text('k8s_image').notNull(),
    k8sNode: text('k8s_node'),
    status: statusColumn(),
    failureInfo: jsonb('failure_info').$type<Record<string, unknown>>(),
    /** GitHub's runner id, known once the JIT config is minted. */
    runnerId: bigint('runner_id', { mode: 'number' }),
    /** The job whose provisioning pass reserved this worker (GitHub may give the runner another). */
    reservedForJobId: bigint('reserved_for_job_id', { mode: 'number' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    podCreatedAt: ts('pod_created_at'),
    runningAt: ts('running_at'),
    completedAt: ts('completed_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    statusConstraint('workers', t.status),
    // Supply per pool, per entity (max_workers) and per board (capacity); finished rows left out.
    index('workers_active_pool_idx')
      .on(t.k8sPool, t.entityId, t.jobLabels)
      .where(sql`${t.status} in ('pending', 'running')`),
    index('workers_active_entity_idx')
      .on(t.entityId)
      .where(sql`${t.status} in ('pending', 'running')`),
    index('workers_history_idx').on(t.createdAt),
    // Fair turns: when each entity last got a worker on a board (its newest row there).
    index('workers_served_idx').on(t.k8sPool, t.entityId, t.createdAt),
    index('workers_finished_idx')
      .on(t.completedAt)
      .where(sql`${t.status} in ('completed', 'failed')`),
    // A job's runner attempts: its failed workers (MAX_RUNNER_ATTEMPTS is counted each pass).
    index('workers_failed_job_idx')
      .on(t.reservedForJobId)
      .where(sql`${t.status} = 'failed'`),
    // Workers that just finished still cover their job until its webhooks arrive.
    index('workers_recently_done_idx')
      .on(t.k8sPool, t.completedAt)
      .where(sql`${t.status} = 'completed'`),
  ],
);

export type WorkerRow = typeof workers.$inferSelect;
export type NewWorker = typeof workers.$inferInsert;
