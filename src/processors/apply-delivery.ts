import type { RunnersConfig } from '../config/runners.js';
import type { Db } from '../db/client.js';
import { applyDeliveries, newPendingJobs, type DeliveryRecord } from '../db/ingest.js';
import type { Metrics } from '../metrics/registry.js';
import { enqueueProvision, type Queues } from '../queues/producers.js';
import type { Payload } from '../queues/registry.js';
import type { JobContext } from './dispatch.js';
import { checkSpooledRecord } from './spooled-record.js';

export interface ApplyDeliveryDeps {
  db: Db;
  queues: Pick<Queues, 'provision'>;
  runners: RunnersConfig;
  deployEnv: 'prod' | 'staging';
  /** rise_spool_records_dropped_total{reason}. */
  metrics?: Pick<Metrics, 'spoolDropped'>;
}

/**
 * Applies deliveries spooled while PostgreSQL was down, with the same idempotent code the web
 * process uses; if PostgreSQL is still down this throws and BullMQ retries with capped backoff.
 * Each record is classified again first (see spooled-record.ts); one that does not hold up is
 * dropped, logged with its reason, and counted, never applied.
 */
export function applyDeliveryProcessor(deps: ApplyDeliveryDeps) {
  return async (data: Payload<'apply-delivery'>, ctx: JobContext) => {
    const records: DeliveryRecord[] = [];
    for (const raw of data.records) {
      const checked = checkSpooledRecord(raw, deps);
      if (checked.ok) {
        records.push(checked.record);
        continue;
      }
      deps.metrics?.spoolDropped.inc({ reason: checked.reason });
      ctx.log.warn(
        { deliveryId: raw.deliveryId, reason: checked.reason, detail: checked.detail },
        'spooled delivery dropped, not applied',
      );
    }
    if (records.length === 0) return { applied: 0, newJobs: 0, dropped: data.records.length };
    const results = await applyDeliveries(deps.db, records);
    const fresh = newPendingJobs(records, results);
    await enqueueProvision(deps.queues, fresh);
    ctx.log.info(
      { deliveries: records.length, newJobs: fresh.length },
      'spooled deliveries applied',
    );
    return {
      applied: records.length,
      newJobs: fresh.length,
      dropped: data.records.length - records.length,
    };
  };
}
