import { describe, expect, it } from 'vitest';
import { allocate, type EntityLoad, type PoolDemand } from '../../src/matching/allocate.js';

const pool = (key: string, entityId: number, times: number[]): PoolDemand => ({
  key,
  entityId,
  uncovered: times,
});
const load = (active: number, cap: number | null, activeOnBoard = active): EntityLoad => ({
  active,
  cap,
  activeOnBoard,
});

describe('allocate', () => {
  it('gives every uncovered job a slot when there are enough', () => {
    const a = allocate(
      10,
      [pool('a', 1, [1, 2]), pool('b', 2, [3])],
      new Map([
        [1, load(0, 5)],
        [2, load(0, 5)],
      ]),
    );
    expect(Object.fromEntries(a.grants)).toEqual({ a: 2, b: 1 });
    expect(a.waiting.size).toBe(0);
  });

  it('respects max_workers across boards (active counts every board)', () => {
    const a = allocate(10, [pool('a', 1, [1, 2, 3, 4])], new Map([[1, load(3, 5, 0)]]));
    expect(a.grants.get('a')).toBe(2);
    expect(a.waiting.get('a')).toBe('entity_at_cap');
  });

  it('treats a null cap as unlimited', () => {
    const a = allocate(
      100,
      [
        pool(
          'a',
          1,
          Array.from({ length: 50 }, (_, i) => i),
        ),
      ],
      new Map([[1, load(1000, null)]]),
    );
    expect(a.grants.get('a')).toBe(50);
  });

  it('lets entities take turns when slots are scarce, so a busy one cannot starve the others', () => {
    // Entity 1 queued 10 jobs first; entities 2 and 3 queued one each later.
    const pools = [
      pool('one', 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      pool('two', 2, [20]),
      pool('three', 3, [30]),
    ];
    const a = allocate(
      3,
      pools,
      new Map([
        [1, load(0, null)],
        [2, load(0, null)],
        [3, load(0, null)],
      ]),
    );
    expect(Object.fromEntries(a.grants)).toEqual({ one: 1, two: 1, three: 1 });
    expect(a.waiting.get('one')).toBe('no_capacity');
  });

  it('gives the next slot to the entity served least recently on the board, not the older job', () => {
    // Entity 1 queued 500 jobs before entity 2's first; entity 1 got the board's last slot.
    const many = Array.from({ length: 500 }, (_, i) => i);
    const pools = [pool('big', 1, many), pool('first', 2, [1000])];
    const a = allocate(
      1,
      pools,
      new Map([
        [1, { ...load(0, null), lastServedAt: 5000 }],
        [2, { ...load(0, null), lastServedAt: null }],
      ]),
    );
    expect([...a.grants.keys()]).toEqual(['first']);
    expect(a.turnOrder).toEqual([1]);
    // Served long ago beats served recently, whatever the queue times.
    const b = allocate(
      2,
      [pool('x', 1, [1, 2]), pool('y', 2, [50]), pool('z', 3, [60])],
      new Map([
        [1, { ...load(0, null), lastServedAt: 3000 }],
        [2, { ...load(0, null), lastServedAt: 2000 }],
        [3, { ...load(0, null), lastServedAt: 1000 }],
      ]),
    );
    expect(Object.fromEntries(b.grants)).toEqual({ z: 1, y: 1 });
    expect(b.turnOrder).toEqual([1]);
  });

  it('caps an owner across its entities (max_workers_per_owner)', () => {
    const owned = (active: number, ownerCap: number | null) => ({
      ...load(active, 20),
      owner: 'alice',
      ownerCap,
    });
    const pools = [pool('r1', 1, [1, 2, 3]), pool('r2', 2, [4, 5, 6]), pool('bob', 3, [7])];
    const a = allocate(
      10,
      pools,
      new Map([
        [1, owned(1, 4)],
        [2, owned(1, 4)],
        [3, { ...load(0, 20), owner: 'bob', ownerCap: 4 }],
      ]),
      new Map([['alice', 2]]),
    );
    expect((a.grants.get('r1') ?? 0) + (a.grants.get('r2') ?? 0)).toBe(2);
    expect(a.grants.get('bob')).toBe(1);
    expect(a.waiting.get('r1')).toBe('owner_at_cap');
    expect(a.waiting.get('r2')).toBe('owner_at_cap');
  });

  it('serves the entity with fewest workers on the board first, then the oldest job', () => {
    const pools = [pool('busy', 1, [1]), pool('idle', 2, [5]), pool('idle-too', 3, [4])];
    const a = allocate(
      1,
      pools,
      new Map([
        [1, load(3, null)],
        [2, load(0, null)],
        [3, load(0, null)],
      ]),
    );
    expect([...a.grants.keys()]).toEqual(['idle-too']);
  });

  it('serves an entity’s pools oldest job first', () => {
    const pools = [pool('x', 1, [10, 11]), pool('y', 1, [5, 30])];
    const a = allocate(3, pools, new Map([[1, load(0, null)]]));
    expect(Object.fromEntries(a.grants)).toEqual({ y: 1, x: 2 });
  });

  it('hands out nothing without free slots', () => {
    const a = allocate(0, [pool('a', 1, [1])], new Map([[1, load(0, 1)]]));
    expect(a.grants.size).toBe(0);
    expect(a.waiting.get('a')).toBe('no_capacity');
  });

  it('never exceeds a cap nor the free slots, whatever the input (property check)', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const entities = new Map<number, EntityLoad>();
      const pools: PoolDemand[] = [];
      for (let e = 1; e <= 1 + rnd(6); e++) {
        const cap = rnd(4) === 0 ? null : rnd(6);
        const active = rnd(6);
        entities.set(e, load(active, cap, rnd(active + 1)));
        for (let p = 0; p < 1 + rnd(3); p++)
          pools.push(
            pool(
              `${e}/${p}`,
              e,
              Array.from({ length: rnd(8) }, (_, i) => i * 10 + rnd(10)),
            ),
          );
      }
      const free = rnd(12);
      const { grants } = allocate(free, pools, entities);
      const total = [...grants.values()].reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(free);
      for (const [id, e] of entities) {
        const given = pools
          .filter((p) => p.entityId === id)
          .reduce((s, p) => s + (grants.get(p.key) ?? 0), 0);
        if (e.cap !== null && given > 0) expect(e.active + given).toBeLessThanOrEqual(e.cap);
      }
      for (const p of pools) expect(grants.get(p.key) ?? 0).toBeLessThanOrEqual(p.uncovered.length);
      // Work-conserving: a slot stays unused only when nobody eligible is left.
      const eligibleLeft = pools.some((p) => {
        const e = entities.get(p.entityId)!;
        const given = pools
          .filter((q) => q.entityId === p.entityId)
          .reduce((s, q) => s + (grants.get(q.key) ?? 0), 0);
        return (
          (grants.get(p.key) ?? 0) < p.uncovered.length &&
          (e.cap === null || e.active + given < e.cap)
        );
      });
      if (eligibleLeft) expect(total).toBe(free);
    }
  });
});
