/**
 * deploy/monitoring/: the alert rules and the Grafana dashboard read only metrics that /metrics
 * really exposes, as read off the real web app and the real worker metrics server.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/registry.js';
import { startMetricsServer } from '../../src/metrics/server.js';
import { startOperatorStack, type OperatorStack, type OperatorWeb } from '../operator/helpers.js';
import { exposedNames, metricNames } from './promql.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}
const rules = (
  parse(readFileSync('deploy/monitoring/alerts.yaml', 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  }
).groups.flatMap((g) => g.rules);

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync('deploy/monitoring/grafana-dashboard.json', 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
};
const panels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const dashboardExprs = [
  ...panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' ? [v.query.query] : [])),
];

let stack: OperatorStack;
let web: OperatorWeb;
let exposed: Set<string>;

beforeAll(async () => {
  stack = await startOperatorStack();
  web = await stack.web();
  const worker = await startMetricsServer({
    port: 0,
    host: '127.0.0.1',
    registry: createMetrics().registry,
  });
  try {
    const texts = await Promise.all([
      fetch(`${web.url}/metrics`).then((r) => r.text()),
      fetch(`http://127.0.0.1:${worker.port}/metrics`).then((r) => r.text()),
    ]);
    exposed = new Set(texts.flatMap((t) => [...exposedNames(t)]));
  } finally {
    await worker.close();
  }
});

afterAll(async () => {
  await stack?.close();
});

describe('what /metrics exposes', () => {
  it('is read off the processes, histogram series included', () => {
    expect(exposed.has('rise_jobs_waiting')).toBe(true);
    expect(exposed.has('rise_webhook_duration_seconds_bucket')).toBe(true);
    expect(exposed.has('rise_reconcile_runs_total')).toBe(true);
    expect(exposed.has('rise_webhook_duration_seconds')).toBe(false);
  });
});

describe('alert rules', () => {
  it('cover webhooks, waiting jobs per board, runner failures, the rate limit and reconciliation', () => {
    const alerts = rules.map((r) => r.alert);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'RiseWebhookDeliveriesFailing',
        'RiseJobsWaiting',
        'RiseRunnerFailures',
        'RiseGitHubRateLimitLow',
        'RiseReconciliationNotRunning',
      ]),
    );
    expect(rules.find((r) => r.alert === 'RiseJobsWaiting')!.expr).toMatch(/by \(board\)/);
    expect(rules.find((r) => r.alert === 'RiseRunnerFailures')!.expr).toMatch(/by \(reason\)/);
    expect(rules.find((r) => r.alert === 'RiseGitHubRateLimitLow')!.expr).toMatch(/< 0\.1\b/);
  });

  it.each(rules)('$alert reads only exposed metrics and is complete', (rule) => {
    const names = metricNames(rule.expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exposed.has(n))).toEqual([]);
    expect(['warning', 'critical']).toContain(rule.labels.severity);
    expect(rule.annotations.summary.length).toBeGreaterThan(10);
    if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
  });
});

describe('the Grafana dashboard', () => {
  it('reads only exposed metrics', () => {
    expect(dashboard.uid).toBe('rise-riscv-runners');
    expect(dashboardExprs.length).toBeGreaterThan(10);
    const names = [...new Set(dashboardExprs.flatMap(metricNames))];
    expect(names.filter((n) => !exposed.has(n))).toEqual([]);
    // Every exposed rise_ family of ours that the rules alert on is also on the dashboard.
    const ruleNames = new Set(rules.flatMap((r) => metricNames(r.expr)));
    expect([...ruleNames].filter((n) => !names.includes(n))).toEqual([]);
  });
});

describe('the PromQL reader', () => {
  it('finds metric names and ignores functions, labels, ranges, strings and keywords', () => {
    expect(
      metricNames(
        'sum by (board) (rate(rise_a_total{x="rise_not_a_metric"}[5m])) / on (board) rise_b > 0.1 or absent(rise_c) unless bool vector(1)',
      ),
    ).toEqual(['rise_a_total', 'rise_b', 'rise_c']);
    expect(metricNames('min_over_time(max by (board) (rise_jobs_waiting)[15m:1m]) > 0')).toEqual([
      'rise_jobs_waiting',
    ]);
    expect(metricNames('label_values(rise_jobs_waiting, board)')).toEqual(['rise_jobs_waiting']);
    // A typo is a name /metrics does not have.
    expect(metricNames('rise_job_waiting > 0').filter((n) => !exposed.has(n))).toEqual([
      'rise_job_waiting',
    ]);
  });
});
