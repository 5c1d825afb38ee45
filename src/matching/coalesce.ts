/**
 * Runs at most one task per key at a time. A call made while one runs gets the next run (which
 * starts after the current one and sees everything that happened before the call), shared with
 * every other call made meanwhile: N kicks during a pass cost one more pass, not N.
 */
export class Coalescer<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  constructor(private readonly task: (key: string) => Promise<T>) {}

  run(key: string): Promise<T> {
    const queued = this.queued.get(key);
    if (queued) return queued;
    const current = this.running.get(key);
    if (!current) return this.start(key);
    const next = current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued.delete(key);
        return this.start(key);
      });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string): Promise<T> {
    const p = this.task(key).finally(() => {
      if (this.running.get(key) === p) this.running.delete(key);
    });
    this.running.set(key, p);
    return p;
  }
}
