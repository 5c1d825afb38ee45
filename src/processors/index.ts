import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { RunnersConfig } from '../config/runners.js';
import type { Db } from '../db/client.js';
import type { GitHub } from '../github/client.js';
import type { Kube } from '../kube/client.js';
import type { Logger } from '../logger.js';
import type { BoardPasses } from '../matching/pass.js';
import type { Metrics } from '../metrics/registry.js';
import { redisKeys } from '../queues/keys.js';
import type { Queues } from '../queues/producers.js';
import type { ReconcileDeps } from '../repeatables/deps.js';
import { applyDeliveryProcessor } from './apply-delivery.js';
import { createRunnerProcessor } from './create-runner.js';
import { dispatcher } from './dispatch.js';
import { matchProcessor } from './match.js';
import { provisionProcessor } from './provision.js';
import { reconcileProcessor } from './reconcile.js';

export interface ProcessorDeps {
  config: Pick<Config, 'deployEnv' | 'names' | 'timings' | 'redisPrefix'>;
  runners: RunnersConfig;
  db: Db;
  github: GitHub;
  kube: Kube;
  queues: Queues;
  redis: Pick<Redis, 'hset'>;
  passes: BoardPasses;
  reconcile: ReconcileDeps;
  log: Logger;
  metrics?: Metrics;
}

/** The one BullMQ processor of a worker process: every job name to its processor. */
export function createProcessors(deps: ProcessorDeps) {
  const { config } = deps;
  const lastErrors = redisKeys(config.redisPrefix).lastErrors;
  return dispatcher(
    {
      'apply-delivery': applyDeliveryProcessor({
        db: deps.db,
        queues: deps.queues,
        runners: deps.runners,
        deployEnv: config.deployEnv,
        metrics: deps.metrics,
      }),
      provision: provisionProcessor({
        db: deps.db,
        passes: deps.passes,
        waitMs: 2 * config.timings.reconcileIntervalSeconds * 1000,
      }),
      match: matchProcessor({ passes: deps.passes }),
      'create-runner': createRunnerProcessor({
        db: deps.db,
        github: deps.github,
        kube: deps.kube,
        queues: deps.queues,
        runners: deps.runners,
        settings: {
          deployEnv: config.deployEnv,
          runnerGroup: config.names.runnerGroup,
          activeDeadlineSeconds: config.timings.podActiveDeadlineSeconds,
        },
        metrics: deps.metrics,
        noteError: async (w, error) => {
          const value = JSON.stringify(error);
          await deps.redis.hset(
            lastErrors,
            `board:${w.board}`,
            value,
            `entity:${w.entityId}`,
            value,
          );
        },
      }),
      reconcile: reconcileProcessor(deps.reconcile),
    },
    deps.log,
  );
}
