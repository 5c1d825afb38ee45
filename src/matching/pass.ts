import type { RunnersConfig } from '../config/runners.js';
import { entitySettings } from '../config/runners.js';
import type { Db } from '../db/client.js';
import { reserveWorkers, type WaitReason } from '../db/reservations.js';
import { freeSlots } from '../kube/capacity.js';
import type { ClusterView } from '../kube/cluster-view.js';
import type { Logger } from '../logger.js';
import { enqueueCreateRunners, type Queues } from '../queues/producers.js';
import { allocate } from './allocate.js';
import { Coalescer } from './coalesce.js';
import { workerName } from './names.js';

export interface PassDeps {
  db: Db;
  schema: string;
  runners: RunnersConfig;
  cluster: Pick<ClusterView, 'capacity'>;
  queues: Pick<Queues, 'runners'>;
  namePrefix: string;
  /** Drained boards get no new workers (operators stop provisioning to them). */
  isDrained: (board: string) => Promise<boolean>;
  /** A job whose runners failed this many times before it started is failed (MAX_RUNNER_ATTEMPTS). */
  maxRunnerAttempts: number;
  log: Logger;
}

export interface PassResult {
  board: string;
  free: number;
  reserved: string[];
  waiting: Map<string, WaitReason>;
}

/**
 * One matching pass for a board: capacity once, demand and supply of every pool on the board,
 * a fair allocation of the free slots, workers reserved atomically, and one runner-creation job
 * per reserved worker. Passes for one board are coalesced within the process and serialised
 * across processes by the board's advisory lock.
 */
export interface BoardPasses {
  run(board: string): Promise<PassResult>;
}

export function createBoardPasses(deps: PassDeps): BoardPasses {
  async function pass(board: string): Promise<PassResult> {
    const drained = await deps.isDrained(board);
    const capacity = await deps.cluster.capacity(board);
    const result = await reserveWorkers(deps.db, deps.schema, board, {
      freeSlots: (active) => (drained ? 0 : freeSlots(capacity, active)),
      decide: (free, pools, entityActive, activeOnBoard, history) => {
        const loads = new Map(
          pools.map((p) => {
            const settings = entitySettings(deps.runners, p.entityId);
            return [
              p.entityId,
              {
                active: entityActive.get(p.entityId) ?? 0,
                cap: settings.maxWorkers,
                activeOnBoard: activeOnBoard.get(p.entityId) ?? 0,
                lastServedAt: history.lastServed.get(p.entityId) ?? null,
                owner: p.owner,
                ownerCap: settings.maxWorkersPerOwner,
              },
            ];
          }),
        );
        const demand = pools.map((p) => ({
          key: p.key,
          entityId: p.entityId,
          uncovered: p.uncovered.map((u) => u.queuedAt),
        }));
        return allocate(free, demand, loads, history.ownerActive);
      },
      name: () => workerName(deps.namePrefix),
      maxRunnerAttempts: deps.maxRunnerAttempts,
    });
    if (result.exhausted.length > 0) {
      deps.log.warn(
        { board, jobIds: result.exhausted, maxRunnerAttempts: deps.maxRunnerAttempts },
        'jobs failed: their runners failed before starting them too many times',
      );
    }
    const reserved = result.reserved.map((w) => w.podName);
    // Committed before enqueueing: if this process dies in between, the sweep finds the
    // reserved workers without a pod and enqueues their creation.
    await enqueueCreateRunners(deps.queues, reserved);
    if (reserved.length > 0 || result.pools.length > 0) {
      deps.log.debug(
        { board, free: result.free, reserved: reserved.length, pools: result.pools.length },
        'matching pass',
      );
    }
    return { board, free: result.free, reserved, waiting: result.waiting };
  }
  const coalescer = new Coalescer(pass);
  return { run: (board) => coalescer.run(board) };
}
