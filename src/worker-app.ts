import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Worker } from 'bullmq';
import type { Config } from './config/env.js';
import type { RunnersConfig } from './config/runners.js';
import type { Db } from './db/client.js';
import { drainChecker } from './db/drains.js';
import type { GitHub } from './github/client.js';
import type { Kube } from './kube/client.js';
import { createClusterView, type ClusterView } from './kube/cluster-view.js';
import { BOARD_LABEL, RUNNER_RESOURCE } from './kube/constants.js';
import { clusterSnapshot } from './kube/snapshot.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/registry.js';
import { applyDeliveryProcessor } from './processors/apply-delivery.js';
import { createRunnerProcessor } from './processors/create-runner.js';
import { dispatcher } from './processors/dispatch.js';
import { matchProcessor, provisionProcessor } from './processors/provision.js';
import { createWorkerRedis } from './queues/connection.js';
import { closeQueues, createQueues, kickBoard, type Queues } from './queues/producers.js';
import { cacheKeys } from './queues/cache-keys.js';
import { createLeadership } from './queues/leadership.js';
import type { QueueName } from './queues/registry.js';
import { createQueueWorker } from './queues/workers.js';
import { createPodFollower, isOurPod } from './scheduling/follow-pods.js';
import { createBoardPasses } from './scheduling/pass.js';
import type { Counts } from './repeatables/deps.js';
import { reconcileProcessor, runPass } from './repeatables/index.js';
import { registerSchedulers, type ReconcileTask } from './repeatables/schedule.js';

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
}

export interface WorkerApp {
  queues: Queues;
  cluster: ClusterView;
  /** Runs one reconciliation pass now (the CLI and tests; ticks run them on schedule). */
  reconcile(task: ReconcileTask): Promise<Counts | 'busy'>;
  /** Stops taking work, waits for the jobs in hand, and closes every connection it opened. */
  close(): Promise<void>;
}

/** Changes that can free capacity: a node that became usable or changed its slot count. */
function nodeSignature(node: V1Node): string {
  const ready = (node.status?.conditions ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
  return `${ready}/${Boolean(node.spec?.unschedulable)}/${node.status?.allocatable?.[RUNNER_RESOURCE] ?? 0}`;
}

/** The worker process: BullMQ workers for every queue, plus the live cluster view that wakes them. */
export async function startWorkerApp(deps: WorkerAppDeps): Promise<WorkerApp> {
  const { config, log } = deps;
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
    isDrained: drainChecker(deps.db),
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
  const follow = (pod: V1Pod, gone: boolean) => {
    follower
      .onPod(pod, gone)
      .catch((err: unknown) =>
        log.warn({ err, pod: pod.metadata?.name }, 'could not follow a pod change'),
      );
  };
  // Every process watches (for its capacity view); one applies pod changes to worker rows.
  const keys = cacheKeys(config.redisPrefix);
  const leadership = createLeadership(producer, keys.podFollowerLeader, {
    onElected: () => {
      log.info('elected to follow pods');
      for (const pod of cluster.pods()) follow(pod, false);
    },
    onError: (err) => log.warn({ err }, 'leadership check failed'),
  });
  cluster.onPod((pod, type) => {
    if (leadership.isLeader()) follow(pod, type === 'delete');
  });
  const nodes = new Map<string, string>();
  cluster.onNode((node, type) => {
    const name = node.metadata?.name ?? '';
    const board = node.metadata?.labels?.[BOARD_LABEL];
    const signature = type === 'delete' ? 'gone' : nodeSignature(node);
    const changed = nodes.get(name) !== signature;
    nodes.set(name, signature);
    if (board && changed && type !== 'delete' && leadership.isLeader()) {
      kickBoard(queues, board, `node ${name} ${type}`).catch((err: unknown) =>
        log.warn({ err }, 'could not kick a board'),
      );
    }
  });
  await cluster.start();
  await leadership.start();
  // The leader publishes what operators see of the cluster (the web process never calls Kubernetes).
  const publish = setInterval(() => {
    if (!leadership.isLeader()) return;
    const snapshot = clusterSnapshot(cluster.nodes(), cluster.pods(), (pod) =>
      isOurPod(pod, config.deployEnv),
    );
    producer
      .set(keys.cluster, JSON.stringify(snapshot), 'PX', 30_000)
      .catch((err: unknown) => log.warn({ err }, 'could not publish the cluster snapshot'));
  }, 2_000);
  publish.unref();

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
  };
  const processors = dispatcher(
    {
      'apply-delivery': applyDeliveryProcessor({ db: deps.db, queues }),
      provision: provisionProcessor({
        db: deps.db,
        passes,
        waitMs: 2 * config.timings.reconcileIntervalSeconds * 1000,
      }),
      match: matchProcessor({ passes }),
      'create-runner': createRunnerProcessor({
        db: deps.db,
        github: deps.github,
        kube: deps.kube,
        queues,
        runners: deps.runners,
        settings: {
          deployEnv: config.deployEnv,
          runnerGroup: config.names.runnerGroup,
          activeDeadlineSeconds: config.timings.podActiveDeadlineSeconds,
        },
        metrics: deps.metrics,
        noteError: async (w, error) => {
          const value = JSON.stringify(error);
          await producer.hset(
            keys.lastErrors,
            `board:${w.board}`,
            value,
            `entity:${w.entityId}`,
            value,
          );
        },
      }),
      reconcile: reconcileProcessor(reconcileDeps),
    },
    log,
  );
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
  const tickMs = config.timings.reconcileIntervalSeconds * 1000;
  const schedule = () =>
    registerSchedulers(
      queues.reconcile,
      producer,
      `${config.redisPrefix}:lock:schedulers`,
      tickMs,
      log,
    );
  log.info({ schedulers: await schedule() }, 'reconciliation scheduled');
  // Schedulers live in Redis: after a wipe, whichever worker looks next declares them again.
  const reschedule = setInterval(
    () =>
      void schedule().catch((err: unknown) =>
        log.warn({ err }, 'could not declare the schedulers'),
      ),
    Math.max(5 * tickMs, 5_000),
  );
  reschedule.unref();
  return {
    queues,
    cluster,
    reconcile: (task) => runPass(reconcileDeps, task),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      clearInterval(publish);
      clearInterval(reschedule);
      await leadership.stop();
      await cluster.stop();
      await closeQueues(queues);
      await Promise.all(
        [producer, ...connections].map((c) => c.quit().catch(() => c.disconnect())),
      );
    },
  };
}
