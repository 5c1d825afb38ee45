import type { InstallationRef, RunnerScope } from '../github/client.js';
import type { WorkerRecord } from '../db/workers.js';

/** The installation and runner scope of a worker: org-wide for organizations, one repository for personal accounts. */
export function workerScope(
  w: Pick<WorkerRecord, 'installationId' | 'entityType' | 'entityName' | 'repoFullName'>,
): {
  inst: InstallationRef;
  scope: RunnerScope;
} {
  return {
    inst: { installationId: w.installationId, entityType: w.entityType },
    scope:
      w.entityType === 'Organization'
        ? { kind: 'org', org: w.entityName }
        : { kind: 'repo', repoFullName: w.repoFullName ?? w.entityName },
  };
}
