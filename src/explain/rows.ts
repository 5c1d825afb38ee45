import type { DeliveryRow, JobRow } from '../db/schema/index.js';

/**
 * A job row as the pages see it: the schema's row, with the pool columns under the names the
 * webhook facts use (`labels`, `board`, `image`). A column added to `jobs` shows up here by itself;
 * only the reconciliation bookkeeping is left out.
 */
export type JobView = Omit<
  JobRow,
  'jobLabels' | 'k8sPool' | 'k8sImage' | 'lastWebhookAt' | 'statusCheckedAt'
> & {
  labels: JobRow['jobLabels'];
  board: JobRow['k8sPool'];
  image: JobRow['k8sImage'];
};

export const toJobView = ({
  jobLabels,
  k8sPool,
  k8sImage,
  lastWebhookAt: _lastWebhookAt,
  statusCheckedAt: _statusCheckedAt,
  ...rest
}: JobRow): JobView => ({ ...rest, labels: jobLabels, board: k8sPool, image: k8sImage });

/** A delivery as the job's timeline shows it (the ids it carries are the job's own). */
export type DeliveryView = Omit<DeliveryRow, 'jobId' | 'installationId' | 'entityId'>;

export const toDeliveryView = ({
  jobId: _jobId,
  installationId: _installationId,
  entityId: _entityId,
  ...rest
}: DeliveryRow): DeliveryView => rest;
