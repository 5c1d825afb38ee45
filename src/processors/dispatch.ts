import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import { PAYLOADS, type JobName, type Payload } from '../queues/registry.js';
import { PermanentError } from '../errors.js';

export interface JobContext {
  job: Job;
  /** The lock token, needed to move a job to delayed from inside its processor. */
  token?: string;
  log: Logger;
}

export type Processor<N extends JobName> = (data: Payload<N>, ctx: JobContext) => Promise<unknown>;
export type Processors = { [N in JobName]?: Processor<N> };

/**
 * The one generic BullMQ processor: parses the payload (a malformed payload will never parse,
 * so it is not retried), gives the job a child logger, and calls the processor for its name.
 * Errors are logged at error level only on the final attempt.
 */
export function dispatcher(processors: Processors, log: Logger) {
  return async (job: Job, token?: string): Promise<unknown> => {
    const name = job.name as JobName;
    // The payload is checked against PAYLOADS[name] below, so the processor may take it as typed.
    const processor = processors[name] as
      ((data: unknown, ctx: JobContext) => Promise<unknown>) | undefined;
    const jobLog = log.child({ queue: job.queueName, job: name, bullJobId: job.id });
    if (!processor) throw new PermanentError(`no processor for job "${job.name}"`, 'unknown_job');
    const parsed = PAYLOADS[name].safeParse(job.data);
    if (!parsed.success) {
      throw new PermanentError(
        `bad payload for ${job.name}: ${parsed.error.message}`,
        'bad_payload',
      );
    }
    try {
      return await processor(parsed.data, { job, token, log: jobLog });
    } catch (err) {
      const final =
        err instanceof PermanentError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const isDelay =
        (err as Error).name === 'DelayedError' || (err as Error).name === 'WaitingChildrenError';
      if (!isDelay) {
        if (final) jobLog.error({ err, attempt: job.attemptsMade + 1 }, 'job failed');
        else
          jobLog.warn(
            { err: (err as Error).message, attempt: job.attemptsMade + 1 },
            'job failed; will retry',
          );
      }
      throw err;
    }
  };
}
