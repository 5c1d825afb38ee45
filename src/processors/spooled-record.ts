import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import {
  classifyInstallation,
  classifyWorkflowJob,
  type ClassifyContext,
} from '../api/webhook/classify.js';
import type { RunnersConfig } from '../config/runners.js';
import type { DeliveryRecord, InstallationFacts, JobFacts } from '../db/ingest.js';
import { DELIVERY_OUTCOMES } from '../db/schema/deliveries.js';

/**
 * A record read back from the Redis spool is data anyone with Redis access could have written.
 * Before it is applied it is classified again, with the webhook route's own classifier and the
 * runners config of now: the spooled record must be exactly what a fresh delivery with its facts
 * gives. A record that is not is dropped, with the reason.
 */
export type SpoolCheck =
  | { ok: true; record: DeliveryRecord }
  | { ok: false; reason: 'shape' | 'mismatch' | 'refused'; detail: string };

const id = z.number().int().positive();
const shape = z.strictObject({
  deliveryId: z.string().min(1).max(200),
  event: z.string().min(1).max(100),
  action: z.string().max(100).nullable(),
  outcome: z.enum(DELIVERY_OUTCOMES),
  detail: z.string().max(10_000).optional(),
  jobId: id.optional(),
  installationId: id.optional(),
  entityId: id.optional(),
  job: z.strictObject({ action: z.string(), facts: z.record(z.string(), z.unknown()) }).optional(),
  installation: z.record(z.string(), z.unknown()).optional(),
});

/** Dates went through JSON in the spool; compare what each side would store. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

/** The parts of a workflow_job payload the classifier reads, rebuilt from stored facts. */
function jobPayload(action: string | null, f: Partial<JobFacts>): Record<string, unknown> {
  const isOrg = f.entityType === 'Organization';
  const fullName = typeof f.repoFullName === 'string' ? f.repoFullName : undefined;
  return {
    action,
    workflow_job: {
      id: f.jobId,
      labels: f.labels,
      html_url: f.htmlUrl,
      run_id: f.runId,
      name: f.jobName,
      runner_name: f.runnerName,
      conclusion: f.conclusion,
      created_at: f.queuedAt,
      started_at: f.startedAt,
      completed_at: f.completedAt,
    },
    repository: {
      // An organization's repository id is not kept (the entity is the organization).
      id: isOrg ? 1 : f.entityId,
      full_name: fullName,
      owner: {
        login: isOrg ? f.entityName : fullName?.split('/')[0],
        type: isOrg ? 'Organization' : 'User',
      },
      // Visibility is not kept either; public_repositories was checked when the delivery came.
      private: true,
    },
    ...(isOrg ? { organization: { id: f.entityId } } : {}),
    installation: { id: f.installationId },
  };
}

function installationPayload(action: string | null, i: Partial<InstallationFacts>) {
  return {
    action,
    installation: {
      id: i.installationId,
      app_id: i.appId,
      account: { id: i.accountId, login: i.accountLogin, type: i.accountType },
    },
  };
}

/** The first differing fields (`job.facts.image`), to say in the log what was tampered with. */
function differing(a: Record<string, unknown>, b: Record<string, unknown>, at = ''): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (isDeepStrictEqual(x, y)) continue;
    const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    out.push(
      isObj(x) && isObj(y)
        ? differing(x as Record<string, unknown>, y as Record<string, unknown>, `${at}${k}.`)
        : `${at}${k}`,
    );
  }
  return out.slice(0, 5).join(', ');
}

export function checkSpooledRecord(
  raw: unknown,
  settings: { runners: RunnersConfig; deployEnv: 'prod' | 'staging' },
): SpoolCheck {
  const parsed = shape.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(record)';
    return { ok: false, reason: 'shape', detail: `${field}: ${issue?.message ?? 'invalid'}` };
  }
  const record = parsed.data as DeliveryRecord;
  const ctx: ClassifyContext = { ...settings, deliveryId: record.deliveryId, event: record.event };
  let decision;
  if (record.job) {
    if (record.event !== 'workflow_job') {
      return { ok: false, reason: 'shape', detail: `job facts on a "${record.event}" delivery` };
    }
    decision = classifyWorkflowJob(jobPayload(record.action, record.job.facts), ctx);
  } else if (record.installation) {
    if (record.event !== 'installation') {
      return { ok: false, reason: 'shape', detail: `installation on a "${record.event}" delivery` };
    }
    decision = classifyInstallation(installationPayload(record.action, record.installation), ctx);
  } else {
    // Ignored, invalid and forwarded deliveries store one deliveries row and nothing else.
    if (record.outcome === 'applied' || record.outcome === 'unchanged') {
      return { ok: false, reason: 'shape', detail: `outcome ${record.outcome} without facts` };
    }
    return { ok: true, record };
  }
  if (decision.kind !== 'record' || decision.record.outcome !== 'applied') {
    const why = decision.kind === 'forward' ? 'belongs to staging' : decision.record.detail;
    return { ok: false, reason: 'refused', detail: `classified again: ${why ?? decision.kind}` };
  }
  const want = plain(decision.record) as Record<string, unknown>;
  const got = plain(record) as Record<string, unknown>;
  if (!isDeepStrictEqual(want, got)) {
    return { ok: false, reason: 'mismatch', detail: `differs in ${differing(want, got)}` };
  }
  return { ok: true, record };
}
