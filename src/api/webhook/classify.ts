import type { EmitterWebhookEvent } from '@octokit/webhooks';
import type { RunnersConfig } from '../../config/runners.js';
import { repositoryRefusal } from '../../config/repo-access.js';
import { entitySettings, resolvePool, routesToStaging } from '../../config/runners.js';
import type { DeliveryRecord, InstallationFacts, JobAction, JobFacts } from '../../db/ingest.js';

/** What the webhook route does with one verified, parsed delivery. */
export type Decision =
  | { kind: 'record'; record: DeliveryRecord }
  | { kind: 'reject'; message: string; record: DeliveryRecord }
  | { kind: 'forward'; record: DeliveryRecord };

export interface ClassifyContext {
  runners: RunnersConfig;
  deployEnv: 'prod' | 'staging';
  deliveryId: string;
  event: string;
}

type WorkflowJobPayload = EmitterWebhookEvent<'workflow_job'>['payload'];
type InstallationPayload = EmitterWebhookEvent<'installation'>['payload'];

/**
 * A signed body that claims to be GitHub payload `T`: GitHub's type (@octokit/webhooks), with
 * every field possibly absent. JSON may also hold a field of another type: `need` checks at run
 * time the fields we cannot do without, and names the first one that fails.
 */
type Claimed<T> = T extends readonly (infer E)[]
  ? Claimed<E>[]
  : T extends object
    ? { [K in keyof T]?: Claimed<T[K]> }
    : T;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTextArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isText);
const optText = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const optDate = (v: unknown): Date | null => {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

const JOB_ACTIONS: readonly string[] = ['queued', 'in_progress', 'completed'];

class MissingField extends Error {}

/** `value`, once `ok` holds for it at run time: GitHub's type for the field, narrowed by `ok`. */
function need<T, U>(value: T, ok: (v: unknown) => v is U, field: string): T & U {
  if (!ok(value)) throw new MissingField(field);
  return value;
}

/** Reads what we store of a workflow_job payload; throws MissingField naming the first gap. */
function readJobFacts(
  p: Claimed<WorkflowJobPayload>,
  action: JobAction,
): Omit<JobFacts, 'board' | 'image'> {
  const job = need(p.workflow_job, isObj, 'workflow_job');
  const jobId = need(job.id, isId, 'workflow_job.id');
  const labels = need(job.labels, isTextArray, 'workflow_job.labels');
  const repo = need(p.repository, isObj, 'repository');
  const repoId = need(repo.id, isId, 'repository.id');
  const repoFullName = need(repo.full_name, isText, 'repository.full_name');
  const owner = need(repo.owner, isObj, 'repository.owner');
  const ownerLogin = need(owner.login, isText, 'repository.owner.login');
  const ownerType = need(owner.type, isText, 'repository.owner.type');
  const installation = need(p.installation, isObj, 'installation');
  const installationId = need(installation.id, isId, 'installation.id');
  const isOrg = ownerType === 'Organization';
  const org = isObj(p.organization) ? p.organization : undefined;
  return {
    jobId,
    // An organization is one entity; a personal account's repositories are one entity each.
    entityId: isOrg ? need(org?.id ?? owner.id, isId, 'organization.id') : repoId,
    entityName: isOrg ? ownerLogin : repoFullName,
    entityType: isOrg ? 'Organization' : 'User',
    repoFullName,
    installationId,
    labels: [...new Set(labels)].sort(),
    htmlUrl: optText(job.html_url),
    runId: isId(job.run_id) ? job.run_id : null,
    jobName: optText(job.name),
    runnerName: action === 'queued' ? null : optText(job.runner_name),
    conclusion: action === 'completed' ? optText(job.conclusion) : null,
    queuedAt: optDate(job.created_at),
    startedAt: action === 'queued' ? null : optDate(job.started_at),
    completedAt: action === 'completed' ? optDate(job.completed_at) : null,
  };
}

function reject(record: DeliveryRecord, field: string): Decision {
  const message = `Missing or invalid field: ${field}`;
  return { kind: 'reject', message, record: { ...record, outcome: 'invalid', detail: message } };
}

function ignore(record: DeliveryRecord, why: string): Decision {
  return { kind: 'record', record: { ...record, outcome: 'ignored', detail: why } };
}

function baseRecord(payload: { action?: unknown }, ctx: ClassifyContext): DeliveryRecord {
  return {
    deliveryId: ctx.deliveryId,
    event: ctx.event,
    action: typeof payload.action === 'string' ? payload.action : null,
    outcome: 'ignored',
  };
}

/**
 * `workflow_job`: the action decides first (GitHub also sends `waiting`, and one example payload
 * has `action` and `workflow_job.status` disagreeing: the action is what happened).
 */
export function classifyWorkflowJob(payload: Obj, ctx: ClassifyContext): Decision {
  const p = payload as Claimed<WorkflowJobPayload>;
  const base = baseRecord(p, ctx);
  if (base.action === null) return reject(base, 'action');
  if (!JOB_ACTIONS.includes(base.action)) {
    return ignore(base, `action "${base.action}" needs nothing from us`);
  }
  const action = base.action as JobAction;
  let facts: Omit<JobFacts, 'board' | 'image'>;
  try {
    facts = readJobFacts(p, action);
  } catch (err) {
    if (err instanceof MissingField) return reject(base, err.message);
    throw err;
  }
  const record: DeliveryRecord = {
    ...base,
    jobId: facts.jobId,
    installationId: facts.installationId,
    entityId: facts.entityId,
  };
  if (
    ctx.deployEnv === 'prod' &&
    routesToStaging(ctx.runners, facts.entityId, facts.repoFullName)
  ) {
    return { kind: 'forward', record: { ...record, outcome: 'forwarded' } };
  }
  const entity = entitySettings(ctx.runners, facts.entityId);
  const entityLabel = `${facts.entityName} (${facts.entityId})`;
  if (ctx.runners.allowlist && !entity.listed) {
    return ignore(record, `entity ${entityLabel} is not allowlisted`);
  }
  const refusal = repositoryRefusal(
    entity,
    {
      fullName: facts.repoFullName,
      private: p.repository?.private,
      visibility: p.repository?.visibility,
    },
    entityLabel,
  );
  if (refusal) return ignore(record, refusal);
  const pool = resolvePool(ctx.runners, facts);
  if (!pool) return ignore(record, `labels ${JSON.stringify(facts.labels)} match no pool`);
  const job = { action, facts: { ...facts, board: pool.board, image: pool.image } };
  return { kind: 'record', record: { ...record, outcome: 'applied', job } };
}

/** `installation`: keep the installations we know of current. */
export function classifyInstallation(payload: Obj, ctx: ClassifyContext): Decision {
  const p = payload as Claimed<InstallationPayload>;
  const base = baseRecord(p, ctx);
  if (base.action === null) return reject(base, 'action');
  try {
    const inst = need(p.installation, isObj, 'installation');
    const account = need(inst.account, isObj, 'installation.account');
    // GitHub's type allows an enterprise account, which has a slug but no login: not ours.
    const user = 'login' in account ? account : undefined;
    const facts: InstallationFacts = {
      installationId: need(inst.id, isId, 'installation.id'),
      appId: isId(inst.app_id) ? inst.app_id : null,
      accountId: need(account.id, isId, 'installation.account.id'),
      accountLogin: need(user?.login, isText, 'installation.account.login'),
      accountType: need(user?.type, isText, 'installation.account.type'),
      state: base.action,
    };
    const record = { ...base, installationId: facts.installationId, installation: facts };
    return { kind: 'record', record: { ...record, outcome: 'applied' } };
  } catch (err) {
    if (err instanceof MissingField) return reject(base, err.message);
    throw err;
  }
}
