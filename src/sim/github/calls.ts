/** How many requests each route key ("METHOD /path/{template}") received. */
export interface CallCounts {
  total: number;
  byRoute: Record<string, number>;
}

export class CallCounter {
  private total = 0;
  private byRoute = new Map<string, number>();

  record(routeKey: string): void {
    this.total += 1;
    this.byRoute.set(routeKey, (this.byRoute.get(routeKey) ?? 0) + 1);
  }

  snapshot(): CallCounts {
    return { total: this.total, byRoute: Object.fromEntries(this.byRoute) };
  }

  count(routeKey: string): number {
    return this.byRoute.get(routeKey) ?? 0;
  }

  reset(): void {
    this.total = 0;
    this.byRoute.clear();
  }
}
