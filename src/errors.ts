import { UnrecoverableError } from 'bullmq';

/**
 * Give up on this job: BullMQ does not retry an UnrecoverableError (a home-made error class
 * would be retried until its attempts run out).
 */
export class PermanentError extends UnrecoverableError {
  constructor(
    message: string,
    readonly reason: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}
