import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../src/matching/coalesce.js';

describe('Coalescer', () => {
  it('runs one task per key at a time and folds calls made meanwhile into one more run', async () => {
    let runs = 0;
    let release!: () => void;
    const gates: Promise<void>[] = [];
    const c = new Coalescer(async () => {
      runs++;
      const gate = new Promise<void>((r) => (release = r));
      gates.push(gate);
      await gate;
      return runs;
    });
    const first = c.run('b');
    const during = [c.run('b'), c.run('b'), c.run('b')];
    expect(runs).toBe(1);
    release();
    expect(await first).toBe(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    release();
    expect(await Promise.all(during)).toEqual([2, 2, 2]);
    // Another key is independent.
    const other = c.run('x');
    expect(runs).toBe(3);
    release();
    await other;
  });

  it('still runs the next task when the current one fails', async () => {
    let n = 0;
    const c = new Coalescer(() => {
      n++;
      return n === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(n);
    });
    const a = c.run('k');
    const b = c.run('k');
    await expect(a).rejects.toThrow('boom');
    expect(await b).toBe(2);
  });
});
