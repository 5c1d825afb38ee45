import { deleteOldRows } from '../db/reconcile.js';
import type { Counts, ReconcileDeps } from './deps.js';

/** Daily: finished jobs and workers, and deliveries, older than RETENTION_DAYS go, in batches. */
export async function reconcileRetention(
  deps: Pick<ReconcileDeps, 'db' | 'config'>,
): Promise<Counts> {
  const before = new Date(Date.now() - deps.config.timings.retentionDays * 24 * 3600 * 1000);
  return deleteOldRows(deps.db, before, 5_000);
}
