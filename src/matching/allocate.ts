/** One (entity, exact label set) pool on a board, as the allocator sees it. */
export interface PoolDemand {
  key: string;
  entityId: number;
  /** Queue times (ms) of the pool's pending jobs that no worker covers yet, oldest first. */
  uncovered: readonly number[];
}

export interface EntityLoad {
  /** Active workers of the entity on every board (what `max_workers` caps). */
  active: number;
  /** `null` means unlimited. */
  cap: number | null;
  /** Active workers of the entity on this board (a tie-break after `lastServedAt`). */
  activeOnBoard: number;
  /** When the entity last got a worker on this board (ms); `null` or absent: never. */
  lastServedAt?: number | null;
  /** The installation owner (login, lower case), whose workers `ownerCap` caps together. */
  owner?: string;
  /** `max_workers_per_owner` as this entity sees it; `null` or absent means unlimited. */
  ownerCap?: number | null;
}

export type WaitingReason = 'entity_at_cap' | 'owner_at_cap' | 'no_capacity';

export interface Allocation {
  /** Workers to reserve, per pool key. */
  grants: Map<string, number>;
  /** Pools left with uncovered jobs, and why. */
  waiting: Map<string, WaitingReason>;
  /**
   * Entities with work left but no slot, in the order they get the next free slots (least
   * recently served first), the entities at a cap left out.
   */
  turnOrder: number[];
}

/**
 * Hands out a board's free slots. Entities take turns: each slot goes to the waiting entity
 * served least recently on this board (never served first; ties: fewer workers on the board, then
 * the older waiting job), so one entity with hundreds of queued jobs cannot make another's first
 * job wait behind them. Within an entity, its oldest waiting job across its pools goes first;
 * within a pool GitHub itself serves jobs oldest first. `max_workers` counts the entity's workers
 * on every board, `max_workers_per_owner` those of every entity of the same owner.
 * `ownerActive` holds each owner's active workers on every board.
 */
export function allocate(
  free: number,
  pools: readonly PoolDemand[],
  entities: ReadonlyMap<number, EntityLoad>,
  ownerActive: ReadonlyMap<string, number> = new Map(),
): Allocation {
  const grants = new Map<string, number>();
  const given = new Map<number, number>();
  const givenOwner = new Map<string, number>();
  // Served in this pass: later than any recorded time, in grant order.
  const servedNow = new Map<number, number>();
  const taken = (p: PoolDemand) => grants.get(p.key) ?? 0;
  const underCap = (entityId: number) => {
    const e = entities.get(entityId);
    return !e || e.cap === null || e.active + (given.get(entityId) ?? 0) < e.cap;
  };
  const underOwnerCap = (entityId: number) => {
    const e = entities.get(entityId);
    if (!e || e.owner === undefined || e.ownerCap === undefined || e.ownerCap === null) return true;
    return (ownerActive.get(e.owner) ?? 0) + (givenOwner.get(e.owner) ?? 0) < e.ownerCap;
  };
  const nextJob = (p: PoolDemand) => p.uncovered[taken(p)] ?? Infinity;
  const served = (entityId: number) =>
    servedNow.get(entityId) ?? entities.get(entityId)?.lastServedAt ?? -Infinity;
  const boardLoad = (entityId: number) =>
    (entities.get(entityId)?.activeOnBoard ?? 0) + (given.get(entityId) ?? 0);
  /** Negative when `p` goes before `q` (`-Infinity - -Infinity` is NaN, which counts as a tie). */
  const compare = (p: PoolDemand, q: PoolDemand) =>
    served(p.entityId) - served(q.entityId) ||
    boardLoad(p.entityId) - boardLoad(q.entityId) ||
    (nextJob(p) === nextJob(q) ? 0 : nextJob(p) < nextJob(q) ? -1 : 1) ||
    (p.key < q.key ? -1 : p.key > q.key ? 1 : 0);
  const eligible = (p: PoolDemand) =>
    taken(p) < p.uncovered.length && underCap(p.entityId) && underOwnerCap(p.entityId);

  const base = Number.MAX_SAFE_INTEGER - free - 1;
  for (let slot = 0; slot < free; slot++) {
    let best: PoolDemand | undefined;
    for (const p of pools) {
      if (!eligible(p)) continue;
      if (!best || compare(p, best) < 0) best = p;
    }
    if (!best) break;
    grants.set(best.key, taken(best) + 1);
    given.set(best.entityId, (given.get(best.entityId) ?? 0) + 1);
    const owner = entities.get(best.entityId)?.owner;
    if (owner !== undefined) givenOwner.set(owner, (givenOwner.get(owner) ?? 0) + 1);
    servedNow.set(best.entityId, base + slot);
  }

  const waiting = new Map<string, WaitingReason>();
  for (const p of pools) {
    if (taken(p) < p.uncovered.length)
      waiting.set(
        p.key,
        !underCap(p.entityId)
          ? 'entity_at_cap'
          : !underOwnerCap(p.entityId)
            ? 'owner_at_cap'
            : 'no_capacity',
      );
  }
  const firstPool = new Map<number, PoolDemand>();
  for (const p of [...pools].filter(eligible).sort(compare)) {
    if (!firstPool.has(p.entityId)) firstPool.set(p.entityId, p);
  }
  return { grants, waiting, turnOrder: [...firstPool.keys()] };
}
