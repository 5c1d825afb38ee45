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
  /** Active workers of the entity on this board (what fairness balances). */
  activeOnBoard: number;
}

export interface Allocation {
  /** Workers to reserve, per pool key. */
  grants: Map<string, number>;
  /** Pools left with uncovered jobs, and why. */
  waiting: Map<string, 'entity_at_cap' | 'no_capacity'>;
}

/**
 * Hands out a board's free slots. Entities take turns: each slot goes to the entity with the
 * fewest workers on the board (ties: the one whose oldest waiting job is older), so one busy
 * entity cannot starve the others. Within an entity, its oldest waiting job across its pools
 * goes first; within a pool GitHub itself serves jobs oldest first. Caps count every board.
 */
export function allocate(
  free: number,
  pools: readonly PoolDemand[],
  entities: ReadonlyMap<number, EntityLoad>,
): Allocation {
  const grants = new Map<string, number>();
  const given = new Map<number, number>();
  const taken = (p: PoolDemand) => grants.get(p.key) ?? 0;
  const underCap = (entityId: number) => {
    const e = entities.get(entityId);
    return !e || e.cap === null || e.active + (given.get(entityId) ?? 0) < e.cap;
  };
  const nextJob = (p: PoolDemand) => p.uncovered[taken(p)] ?? Infinity;

  for (let slot = 0; slot < free; slot++) {
    let best: PoolDemand | undefined;
    let bestLoad = Infinity;
    for (const p of pools) {
      if (taken(p) >= p.uncovered.length || !underCap(p.entityId)) continue;
      const load = (entities.get(p.entityId)?.activeOnBoard ?? 0) + (given.get(p.entityId) ?? 0);
      const better =
        load < bestLoad ||
        (load === bestLoad &&
          best !== undefined &&
          (nextJob(p) < nextJob(best) || (nextJob(p) === nextJob(best) && p.key < best.key)));
      if (!best || better) {
        best = p;
        bestLoad = load;
      }
    }
    if (!best) break;
    grants.set(best.key, taken(best) + 1);
    given.set(best.entityId, (given.get(best.entityId) ?? 0) + 1);
  }

  const waiting = new Map<string, 'entity_at_cap' | 'no_capacity'>();
  for (const p of pools) {
    if (taken(p) < p.uncovered.length)
      waiting.set(p.key, underCap(p.entityId) ? 'no_capacity' : 'entity_at_cap');
  }
  return { grants, waiting };
}
