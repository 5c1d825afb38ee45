import type { KubeConfig } from '@kubernetes/client-node';
import type { Worker } from 'bullmq';
import { kickBoardsOnNodeChanges } from './cluster/node-kicks.js';
import { followPods } from './cluster/pod-following.js';
import { createPodFollower } from './cluster/follow-pods.js';
import { publishClusterSnapshots } from './cluster/snapshot-publisher.js';
import type { Config } from './config/env.js';
import type { RunnersConfig } from './config/runners.js';
import type { Db } from './db/client.js';
import { isBoardDrained } from './db/drains.js';
import type { GitHub } from './github/client.js';
import type { Kube } from './kube/client.js';
import { createClusterView, type ClusterView } from './kube/cluster-view.js';
import type { Logger } from './logger.js';
import { createBoardPasses } from './matching/pass.js';
import type { Metrics } from './metrics/registry.js';
import { createProcessors } from './processors/index.js';
import { createWorkerRedis } from './queues/connection.js';
import { redisKeys } from './queues/keys.js';
import { createLeadership } from './queues/leadership.js';
import { closeQueues, createQueues, type Queues } from './queues/producers.js';
import type { QueueName } from './queues/registry.js';
import { createQueueWorker } from './queues/workers.js';
import type { Counts } from './repeatables/deps.js';
import { keepSchedulersDeclared, type ReconcileTask } from './repeatables/job-schedulers.js';
import { runPass } from './repeatables/run-pass.js';

export interface WorkerAppDeps {
  config: Pick<
    Config,
    | 'redisUrl'
    | 'redisPrefix'
    | 'dbSchema'
    | 'deployEnv'
    | 'names'
    | 'timings'
    | 'provisionConcurrency'
    | 'runnerConcurrency'
    | 'reconcileBatch'
    | 'apps'
    | 'jobLockMs'
    | 'maxRunnerAttempts'
  >;
  runners: RunnersConfig;
  db: Db;
  github: GitHub;
  kube: Kube;
  kubeConfig: KubeConfig;
  log: Logger;
  /** Latency histograms, error and reconcile counters (the process's /metrics). */
  metrics?: Metrics;
  /** Tests shorten backoffs here. */
  jobOptions?: Parameters<typeof createQueues>[2];
  /** The clock reconciliation decides ages by (tests move it instead of sleeping). */
  now?: () => number;
}

export interface WorkerApp {
  queues: Queues;
  cluster: ClusterView;
  /** Runs one reconciliation pass now (the CLI and tests; ticks run them on schedule). */
  reconcile(task: ReconcileTask): Promise<Counts | 'busy'>;
  /** Stops taking work, waits for the jobs in hand, and closes every connection it opened. */
  close(): Promise<void>;
}

/**
 * The worker process, wired: BullMQ workers for every queue, the live cluster view that wakes
 * them, pod following, node-change kicks, the cluster snapshot and the job schedulers.
 */
export async function startWorkerApp(deps: WorkerAppDeps): Promise<WorkerApp> {
  const { config, log } = deps;
  const keys = redisKeys(config.redisPrefix);
  const producer = createWorkerRedis(config.redisUrl);
  const queues = createQueues(producer, config.redisPrefix, deps.jobOptions);
  const cluster = createClusterView({
    config: deps.kubeConfig,
    kube: deps.kube,
    namespace: deps.kube.namespace,
    log,
  });
  const passes = createBoardPasses({
    db: deps.db,
    schema: config.dbSchema,
    runners: deps.runners,
    cluster,
    queues,
    namePrefix: config.names.runnerPrefix,
    isDrained: (board) => isBoardDrained(deps.db, board),
    maxRunnerAttempts: config.maxRunnerAttempts,
    log,
  });
  const follower = createPodFollower({
    db: deps.db,
    kube: deps.kube,
    queues,
    deployEnv: config.deployEnv,
    log,
    metrics: deps.metrics,
  });

  let onElected = () => {};
  const leadership = createLeadership(producer, keys.podFollowerLeader, {
    onElected: () => onElected(),
    onError: (err) => log.warn({ err }, 'leadership check failed'),
  });
  ({ onElected } = followPods({ cluster, follower, leadership, log }));
  kickBoardsOnNodeChanges({ cluster, queues, leadership, log });
  await cluster.start();
  await leadership.start();
  const stopPublishing = publishClusterSnapshots({
    cluster,
    redis: producer,
    key: keys.cluster,
    deployEnv: config.deployEnv,
    leadership,
    log,
    events: () => deps.kube.listEvents(),
  });

  const reconcileDeps = {
    db: deps.db,
    github: deps.github,
    kube: deps.kube,
    cluster,
    queues,
    redis: producer,
    follower,
    config,
    log,
    metrics: deps.metrics,
    now: deps.now,
  };
  const processors = createProcessors({
    ...deps,
    queues,
    redis: producer,
    passes,
    reconcile: reconcileDeps,
  });
  // One connection per BullMQ worker: each blocks on Redis while waiting for jobs.
  const connections = Array.from({ length: 4 }, () => createWorkerRedis(config.redisUrl));
  const queueWorker = (name: QueueName, concurrency: number, i: number) =>
    createQueueWorker(name, processors, {
      connection: connections[i]!,
      prefix: config.redisPrefix,
      concurrency,
      lockDuration: config.jobLockMs,
    });
  const workers: Worker[] = [
    queueWorker('ingest', 4, 0),
    queueWorker('provision', config.provisionConcurrency, 1),
    queueWorker('runners', config.runnerConcurrency, 2),
    queueWorker('reconcile', 4, 3),
  ];
  for (const w of workers) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'queue worker error'));
  }
  const stopDeclaring = await keepSchedulersDeclared(
    queues.reconcile,
    producer,
    keys.schedulersLock,
    config.timings.reconcileIntervalSeconds * 1000,
    log,
  );
  return {
    queues,
    cluster,
    reconcile: (task) => runPass(reconcileDeps, task),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      stopPublishing();
      stopDeclaring();
      await leadership.stop();
      await cluster.stop();
      await closeQueues(queues);
      await Promise.all(
        [producer, ...connections].map((c) => c.quit().catch(() => c.disconnect())),
      );
    },
  };
}
