import type { Db } from '../../db/client.js';
import {
  applyDeliveries,
  newPendingJobs,
  type ApplyResult,
  type DeliveryRecord,
} from '../../db/ingest.js';
import type { Logger } from '../../logger.js';
import { enqueueProvision, spoolDeliveries, type Queues } from '../../queues/producers.js';
import { withTimeout } from '../../util/timeout.js';

export type RecordOutcome = { stored: 'postgres'; result: ApplyResult } | { stored: 'redis' };

export interface Recorder {
  record(record: DeliveryRecord): Promise<RecordOutcome>;
  /** Resolves once every accepted record has been written (or failed). */
  drain(): Promise<void>;
}

export interface RecorderDeps {
  db: Db;
  queues: Pick<Queues, 'provision' | 'ingest'>;
  log: Logger;
  now?: () => number;
  /** Most records per statement. */
  maxBatch?: number;
  /** Statements in flight at once (each holds one pooled connection). */
  maxInFlight?: number;
  /** After PostgreSQL fails, go straight to Redis for this long before trying it again. */
  breakerMs?: number;
  /** GitHub gives up after 10 s; a Redis that does not answer within this is treated as down. */
  redisTimeoutMs?: number;
  /** False when the Redis connection is known to be down, to fail at once instead of waiting. */
  redisUp?: () => boolean;
}

interface Waiting {
  record: DeliveryRecord;
  resolve: (o: RecordOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Records deliveries in batches: requests that arrive while a statement is in flight share the
 * next one, so PostgreSQL sees one round trip and one commit per batch instead of per delivery.
 * When PostgreSQL cannot take a batch, it is spooled to Redis (applied later by a worker with the
 * same code); only when neither can take it does the caller get an error (and answers 503).
 */
export function createRecorder(deps: RecorderDeps): Recorder {
  const now = deps.now ?? Date.now;
  const maxBatch = deps.maxBatch ?? 256;
  const maxInFlight = deps.maxInFlight ?? 4;
  const breakerMs = deps.breakerMs ?? 1_000;
  const redisTimeoutMs = deps.redisTimeoutMs ?? 2_000;
  const queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;
  let postgresDownUntil = 0;
  const idle: (() => void)[] = [];

  const redisUp = deps.redisUp ?? (() => true);

  async function toRedis(batch: Waiting[]): Promise<void> {
    try {
      if (!redisUp()) throw new Error('Redis connection is down');
      await withTimeout(
        spoolDeliveries(
          deps.queues,
          batch.map((w) => w.record),
        ),
        redisTimeoutMs,
        'spool',
      );
      for (const w of batch) w.resolve({ stored: 'redis' });
    } catch (err) {
      deps.log.error(
        { err, count: batch.length },
        'neither PostgreSQL nor Redis took the deliveries',
      );
      for (const w of batch) w.reject(err);
    }
  }

  async function toPostgres(batch: Waiting[]): Promise<boolean> {
    let results: ApplyResult[];
    try {
      results = await applyDeliveries(
        deps.db,
        batch.map((w) => w.record),
      );
    } catch (err) {
      postgresDownUntil = now() + breakerMs;
      deps.log.warn({ err, count: batch.length }, 'PostgreSQL refused a batch; spooling to Redis');
      return false;
    }
    const fresh = newPendingJobs(
      batch.map((w) => w.record),
      results,
    );
    try {
      if (fresh.length > 0 && !redisUp()) throw new Error('Redis connection is down');
      await withTimeout(enqueueProvision(deps.queues, fresh), redisTimeoutMs, 'enqueue');
    } catch (err) {
      // Recorded in PostgreSQL, so not lost: the queue sweep enqueues pending jobs it finds.
      deps.log.warn({ err, jobs: fresh.length }, 'could not enqueue provisioning; the sweep will');
    }
    batch.forEach((w, i) => w.resolve({ stored: 'postgres', result: results[i]! }));
    return true;
  }

  async function flush(): Promise<void> {
    const batch = queue.splice(0, maxBatch);
    inFlight += 1;
    try {
      const written = now() >= postgresDownUntil && (await toPostgres(batch));
      if (!written) await toRedis(batch);
    } finally {
      inFlight -= 1;
      pump();
    }
  }

  function pump(): void {
    while (queue.length > 0 && inFlight < maxInFlight) void flush();
    if (queue.length === 0 && inFlight === 0) idle.splice(0).forEach((f) => f());
  }

  return {
    record(record) {
      return new Promise<RecordOutcome>((resolve, reject) => {
        queue.push({ record, resolve, reject });
        // Let the requests parsed in this turn of the event loop join the same batch.
        if (!scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            pump();
          });
        }
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
