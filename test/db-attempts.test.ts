/**
 * The demand a matching pass counts leaves out a job that already used up its runner attempts,
 * even when the last attempt failed after the pass failed the exhausted jobs: so no job gets a
 * runner beyond MAX_RUNNER_ATTEMPTS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardDeficits } from '../src/db/reservations.js';
import { createTestDb, type TestDb } from './helpers/stores.js';
import { insertJob } from './operator/helpers.js';

const BOARD = 'scw-em-rv1';
let pg: TestDb;

beforeAll(async () => {
  pg = await createTestDb();
});
afterAll(async () => {
  await pg?.drop();
});

async function failedAttempt(pod: string, jobId: number, reason: string) {
  await pg.db.$client.query(
    `insert into workers (pod_name, entity_id, entity_name, entity_type, installation_id, job_labels,
       k8s_pool, k8s_image, status, reserved_for_job_id, failure_info, created_at, completed_at)
     values ($1, 1, 'acme', 'Organization', 77, '["ubuntu-24.04-riscv"]', $2, 'img', 'failed', $3,
       jsonb_build_object('reason', $4::text), now(), now())`,
    [pod, BOARD, jobId, reason],
  );
}

const uncovered = async (maxAttempts?: number) =>
  (await boardDeficits(pg.db.$client, BOARD, 10, maxAttempts)).flatMap((p) =>
    p.uncovered.map((u) => u.jobId),
  );

describe('boardDeficits and MAX_RUNNER_ATTEMPTS', () => {
  it('counts a job with attempts left, not one that used them all up', async () => {
    await insertJob(pg.db, { jobId: 1 });
    await insertJob(pg.db, { jobId: 2 });
    for (const [i, reason] of ['pod_failed', 'runner_never_registered'].entries())
      await failedAttempt(`w1-${i}`, 1, reason);
    for (const [i, reason] of ['pod_failed', 'pod_stuck_pending', 'pod_failed'].entries())
      await failedAttempt(`w2-${i}`, 2, reason);
    // A worker failed for another reason is no attempt.
    await failedAttempt('w1-other', 1, 'orphaned');

    expect(await uncovered(3)).toEqual([1]);
    expect(await uncovered(4)).toEqual([1, 2]);
    expect(await uncovered(2)).toEqual([]);
    // No cap configured: every pending job is demand.
    expect(await uncovered()).toEqual([1, 2]);
  });
});
