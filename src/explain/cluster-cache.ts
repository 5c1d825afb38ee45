import type { Redis } from 'ioredis';
import { redisKeys } from '../queues/keys.js';
import type { ClusterSnapshot, LastError } from '../queues/cache-values.js';

/** What operator reads need of Redis (zscore: when a delayed BullMQ job runs again). */
export type CacheRedis = Pick<Redis, 'get' | 'hmget' | 'zscore'>;

/**
 * The cluster as the worker leader last published it (every 2 s, kept 30 s), or undefined when
 * no worker leader is publishing. A malformed value counts as missing.
 */
export async function readSnapshot(
  redis: CacheRedis,
  prefix: string,
): Promise<ClusterSnapshot | undefined> {
  const raw = await redis.get(redisKeys(prefix).cluster);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as ClusterSnapshot;
    return Array.isArray(parsed.nodes) && Array.isArray(parsed.pods) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The latest runner-creation error for a board and for an entity (fields of one hash). */
export async function readLastErrors(
  redis: CacheRedis,
  prefix: string,
  scope: { board: string; entityId: number },
): Promise<{ board?: LastError; entity?: LastError }> {
  const [board, entity] = await redis.hmget(
    redisKeys(prefix).lastErrors,
    `board:${scope.board}`,
    `entity:${scope.entityId}`,
  );
  const parse = (v: string | null | undefined): LastError | undefined => {
    if (!v) return undefined;
    try {
      return JSON.parse(v) as LastError;
    } catch {
      return undefined;
    }
  };
  return { board: parse(board), entity: parse(entity) };
}
