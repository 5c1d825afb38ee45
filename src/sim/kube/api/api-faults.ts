/**
 * Faults of the API itself and call counting, by route key: the method and the path template as
 * a client library documents it ("POST /api/v1/namespaces/{namespace}/pods"; watches count as
 * "WATCH …"). The key "*" applies to every route.
 */

export interface InjectedError {
  status: number;
  message: string;
}

interface ErrorRule extends InjectedError {
  route: string;
  remaining: number;
}

export interface CallCounts {
  total: number;
  byRoute: Record<string, number>;
}

export class ApiFaults {
  private readonly latencies = new Map<string, number>();
  private errors: ErrorRule[] = [];
  private counts = new Map<string, number>();
  private total = 0;

  /** Every call to `route` waits `ms` first; 0 removes the latency. */
  setLatency(route: string, ms: number): void {
    if (ms > 0) this.latencies.set(route, ms);
    else this.latencies.delete(route);
  }

  /** The next `count` calls to `route` answer `status` instead of doing their work. */
  failNext(
    route: string,
    options: { count?: number; status?: number; message?: string } = {},
  ): void {
    const status = options.status ?? 500;
    this.errors.push({
      route,
      remaining: options.count ?? 1,
      status,
      message: options.message ?? `simulated failure (HTTP ${status})`,
    });
  }

  clear(): void {
    this.latencies.clear();
    this.errors = [];
  }

  record(route: string): void {
    this.total += 1;
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
  }

  latencyFor(route: string): number {
    return (this.latencies.get(route) ?? 0) + (this.latencies.get('*') ?? 0);
  }

  takeError(route: string): InjectedError | undefined {
    const hit = this.errors.find((e) => e.remaining > 0 && (e.route === route || e.route === '*'));
    if (!hit) return undefined;
    hit.remaining -= 1;
    this.errors = this.errors.filter((e) => e.remaining > 0);
    return { status: hit.status, message: hit.message };
  }

  callCounts(): CallCounts {
    return { total: this.total, byRoute: Object.fromEntries(this.counts) };
  }

  calls(route: string): number {
    return this.counts.get(route) ?? 0;
  }

  resetCallCounts(): void {
    this.counts = new Map();
    this.total = 0;
  }
}
