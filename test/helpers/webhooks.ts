import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';

const require = createRequire(import.meta.url);
type Example = { name: string; examples: Record<string, any>[] };
const all = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];

/** GitHub's own example payloads for an event, deep-copied so tests can edit them. */
export function examples(event: string): Record<string, any>[] {
  const found = all.find((e) => e.name === event);
  if (!found) throw new Error(`no examples for ${event}`);
  return found.examples.map((e) => structuredClone(e));
}

export function example(
  event: string,
  pick: (p: Record<string, any>) => boolean,
): Record<string, any> {
  const found = examples(event).find(pick);
  if (!found) throw new Error(`no matching ${event} example`);
  return found;
}

/**
 * A workflow_job payload from GitHub's examples, with the fields our tests control. Organization
 * by default; `ownerType: 'User'` takes the personal-account example.
 */
export function workflowJob(
  action: 'queued' | 'in_progress' | 'completed' | 'waiting',
  opts: {
    jobId?: number;
    labels?: string[];
    ownerType?: 'Organization' | 'User';
    orgId?: number;
    repoId?: number;
    installationId?: number;
    runnerName?: string;
    repoFullName?: string;
  } = {},
): Record<string, any> {
  const ownerType = opts.ownerType ?? 'Organization';
  const base =
    examples('workflow_job').find((e) => e.installation && e.repository.owner.type === ownerType) ??
    examples('workflow_job')[0]!;
  base.action = action;
  base.workflow_job.status = action;
  base.workflow_job.id = opts.jobId ?? Math.floor(Math.random() * 1e12) + 1;
  base.workflow_job.labels = opts.labels ?? ['ubuntu-24.04-riscv'];
  base.workflow_job.runner_name =
    opts.runnerName ?? (action === 'queued' ? null : 'rise-riscv-runner-abc');
  base.installation = { id: opts.installationId ?? 4242, node_id: 'x' };
  if (opts.repoId) base.repository.id = opts.repoId;
  if (opts.repoFullName) {
    base.repository.full_name = opts.repoFullName;
    base.repository.owner.login = opts.repoFullName.split('/')[0];
  }
  if (ownerType === 'Organization') {
    base.organization = {
      ...(base.organization ?? {}),
      id: opts.orgId ?? 9001,
      login: base.repository.owner.login,
    };
    base.repository.owner.id = opts.orgId ?? 9001;
    base.repository.owner.type = 'Organization';
  } else {
    delete base.organization;
    base.repository.owner.type = 'User';
  }
  return base;
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  id: string;
}

export async function signed(
  event: string,
  payload: unknown,
  secret: string,
  opts: { deliveryId?: string; contentType?: string; body?: string } = {},
): Promise<SignedDelivery> {
  const body = opts.body ?? JSON.stringify(payload);
  const id = opts.deliveryId ?? randomUUID();
  return {
    body,
    id,
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-hub-signature-256': await sign(secret, body),
      'user-agent': 'GitHub-Hookshot/test',
    },
  };
}
