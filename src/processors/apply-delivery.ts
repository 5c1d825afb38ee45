import type { Db } from '../db/client.js';
import { applyDeliveries, newPendingJobs, type DeliveryRecord } from '../db/ingest.js';
import { enqueueProvision, type Queues } from '../queues/producers.js';
import type { Payload } from '../queues/registry.js';
import type { JobContext } from './dispatch.js';

export interface ApplyDeliveryDeps {
  db: Db;
  queues: Pick<Queues, 'provision'>;
}

/**
 * Applies deliveries spooled while PostgreSQL was down, with the same idempotent code the web
 * process uses; if PostgreSQL is still down this throws and BullMQ retries with capped backoff.
 */
export function applyDeliveryProcessor(deps: ApplyDeliveryDeps) {
  return async (data: Payload<'apply-delivery'>, ctx: JobContext) => {
    const records = data.records as unknown as DeliveryRecord[];
    const results = await applyDeliveries(deps.db, records);
    const fresh = newPendingJobs(records, results);
    await enqueueProvision(deps.queues, fresh);
    ctx.log.info(
      { deliveries: records.length, newJobs: fresh.length },
      'spooled deliveries applied',
    );
    return { applied: records.length, newJobs: fresh.length };
  };
}
