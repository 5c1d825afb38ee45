import { deleteOldRows } from '../db/reconcile.js';
import { nowMs, type Counts, type ReconcileDeps } from './deps.js';

/** Daily: finished jobs and workers, and deliveries, older than RETENTION_DAYS go, in batches. */
export async function reconcileRetention(
  deps: Pick<ReconcileDeps, 'db' | 'config' | 'now'>,
): Promise<Counts> {
  const before = new Date(nowMs(deps) - deps.config.timings.retentionDays * 24 * 3600 * 1000);
  return deleteOldRows(deps.db, before, 5_000);
}
