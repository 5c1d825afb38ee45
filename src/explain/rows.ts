import type { DeliveryView, JobView } from './timeline.js';
import type { JobStatus } from './explain.js';

/** A `jobs` row as node-postgres returns it (bigints as strings). */
export interface JobRowRaw {
  job_id: string;
  status: JobStatus;
  entity_id: string;
  entity_name: string;
  entity_type: 'Organization' | 'User';
  repo_full_name: string;
  installation_id: string;
  job_labels: string[];
  k8s_pool: string;
  k8s_image: string;
  html_url: string | null;
  run_id: string | null;
  job_name: string | null;
  runner_name: string | null;
  conclusion: string | null;
  failure_info: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  queued_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
}

const num = (v: string | null) => (v === null ? null : Number(v));

export const toJobView = (r: JobRowRaw): JobView => ({
  jobId: Number(r.job_id),
  status: r.status,
  entityId: Number(r.entity_id),
  entityName: r.entity_name,
  entityType: r.entity_type,
  repoFullName: r.repo_full_name,
  installationId: Number(r.installation_id),
  labels: r.job_labels,
  board: r.k8s_pool,
  image: r.k8s_image,
  htmlUrl: r.html_url,
  runId: num(r.run_id),
  jobName: r.job_name,
  runnerName: r.runner_name,
  conclusion: r.conclusion,
  failureInfo: r.failure_info,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  queuedAt: r.queued_at,
  startedAt: r.started_at,
  completedAt: r.completed_at,
});

export interface DeliveryRowRaw {
  delivery_id: string;
  event: string;
  action: string | null;
  outcome: string;
  detail: string | null;
  receive_count: number;
  received_at: Date;
  last_received_at: Date;
}

export const toDeliveryView = (r: DeliveryRowRaw): DeliveryView => ({
  deliveryId: r.delivery_id,
  event: r.event,
  action: r.action,
  outcome: r.outcome,
  detail: r.detail,
  receiveCount: r.receive_count,
  receivedAt: r.received_at,
  lastReceivedAt: r.last_received_at,
});
