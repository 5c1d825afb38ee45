import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Queue time to a runner: seconds to hours (a board can be full for a long time). */
const LATENCY_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];

/**
 * Our Prometheus metrics, one registry per process (no globals, so tests can build several).
 * Every process defines every metric; each observes the ones its code paths reach. Label values
 * are boards, statuses, queue names, reasons, GitHub route templates and installation ids, never
 * entity names: `/metrics` is unauthenticated (see docs/operations.md).
 */
export function createMetrics(options: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Scrape-time reads (registered by state-gauges.ts); the collect-errors counter waits for them,
  // so a read that fails is counted in the same scrape that leaves its gauges out.
  const scrapeReads: (() => Promise<unknown>)[] = [];
  return {
    registry,
    scrapeReads,
    deliveries: new Counter({
      name: 'rise_webhook_deliveries_total',
      help: 'Webhook deliveries received, by event and outcome',
      labelNames: ['event', 'outcome'] as const,
      registers,
    }),
    spoolDropped: new Counter({
      name: 'rise_spool_records_dropped_total',
      help: 'Spooled deliveries dropped instead of applied: classified again, they did not hold up',
      labelNames: ['reason'] as const,
      registers,
    }),
    webhookDuration: new Histogram({
      name: 'rise_webhook_duration_seconds',
      help: 'Time to answer a webhook delivery',
      labelNames: ['status'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    /** Observed through src/metrics/observe.ts (one call per event, see there). */
    latency: {
      podCreated: new Histogram({
        name: 'rise_job_queued_to_pod_created_seconds',
        help: 'From the queued webhook (job recorded) to the runner pod created for it',
        labelNames: ['board'] as const,
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      podRunning: new Histogram({
        name: 'rise_job_queued_to_runner_running_seconds',
        help: 'From the queued webhook (job recorded) to its runner pod Running',
        labelNames: ['board'] as const,
        buckets: LATENCY_BUCKETS,
        registers,
      }),
      inProgress: new Histogram({
        name: 'rise_job_queued_to_in_progress_seconds',
        help: "From GitHub's queued time to its started time (in_progress webhook)",
        labelNames: ['board'] as const,
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    },
    github: {
      calls: new Counter({
        name: 'rise_github_api_calls_total',
        help: 'GitHub API calls by route template and HTTP status (0: network error or timeout)',
        labelNames: ['route', 'status'] as const,
        registers,
      }),
      callDuration: new Histogram({
        name: 'rise_github_api_call_duration_seconds',
        help: 'Duration of one GitHub API attempt, by route template',
        labelNames: ['route'] as const,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      rateLimitRemaining: new Gauge({
        name: 'rise_github_rate_limit_remaining',
        help: 'Requests left in the current rate-limit window, per installation ("app" = App JWT)',
        labelNames: ['installation'] as const,
        registers,
      }),
      rateLimitLimit: new Gauge({
        name: 'rise_github_rate_limit_limit',
        help: 'Size of the rate-limit window, per installation',
        labelNames: ['installation'] as const,
        registers,
      }),
      rateLimitReset: new Gauge({
        name: 'rise_github_rate_limit_reset_timestamp_seconds',
        help: 'When the current rate-limit window resets (Unix time), per installation',
        labelNames: ['installation'] as const,
        registers,
      }),
    },
    reconcile: {
      duration: new Histogram({
        name: 'rise_reconcile_duration_seconds',
        help: 'Duration of one reconciliation pass, by task',
        labelNames: ['task'] as const,
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      runs: new Counter({
        name: 'rise_reconcile_runs_total',
        help: 'Reconciliation passes, by task and outcome (ok | error)',
        labelNames: ['task', 'outcome'] as const,
        registers,
      }),
      items: new Counter({
        name: 'rise_reconcile_items_total',
        help: 'Things a reconciliation pass changed, by task and action (e.g. runners/deleted)',
        labelNames: ['task', 'action'] as const,
        registers,
      }),
    },
    errors: new Counter({
      name: 'rise_errors_total',
      help: 'Errors by component (runner_creation, pod, reconcile, ...) and reason',
      labelNames: ['component', 'reason'] as const,
      registers,
    }),
    collectErrors: new Counter({
      name: 'rise_metrics_collect_errors_total',
      help: 'Scrape-time reads that failed (the gauges they feed are left out of that scrape)',
      labelNames: ['source'] as const,
      registers,
      async collect() {
        await Promise.all(scrapeReads.map((read) => read()));
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
