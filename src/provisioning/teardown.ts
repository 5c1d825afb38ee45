import type { WorkerRecord } from '../db/workers.js';
import type { GitHub } from '../github/client.js';
import type { Kube } from '../kube/client.js';
import type { Logger } from '../logger.js';
import { workerScope } from './scope.js';

export interface TeardownDeps {
  github: Pick<GitHub, 'deleteRunner' | 'findRunner'>;
  kube: Pick<Kube, 'deletePod' | 'deleteSecret'>;
  log: Logger;
}

/**
 * Removes what a worker made: its GitHub runner, its pod and its Secret. Each part is tried even
 * if another fails; what is left (a busy runner, an unreachable API) is reported for the
 * reconciliation passes, which remove leftovers on their next tick.
 */
export async function teardownWorker(
  deps: TeardownDeps,
  w: Pick<
    WorkerRecord,
    'podName' | 'runnerId' | 'installationId' | 'entityType' | 'entityName' | 'repoFullName'
  >,
): Promise<{ runner: string; pod: string; secret: string }> {
  const { inst, scope } = workerScope(w);
  const runner = await (async () => {
    try {
      const id = w.runnerId ?? (await deps.github.findRunner(inst, scope, w.podName))?.id;
      return id === undefined ? 'none' : await deps.github.deleteRunner(inst, scope, id);
    } catch (err) {
      deps.log.warn(
        { err, runnerName: w.podName },
        'could not delete the GitHub runner; reconciliation will',
      );
      return 'error';
    }
  })();
  const settle = async (what: string, f: () => Promise<string>) => {
    try {
      return await f();
    } catch (err) {
      deps.log.warn(
        { err, podName: w.podName },
        `could not delete the ${what}; reconciliation will`,
      );
      return 'error';
    }
  };
  const pod = await settle('pod', () => deps.kube.deletePod(w.podName));
  const secret = await settle('secret', () => deps.kube.deleteSecret(w.podName));
  return { runner, pod, secret };
}
