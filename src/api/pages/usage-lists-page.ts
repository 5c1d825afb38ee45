import { poolKey, type UsageJob, type UsageWorker } from '../../explain/usage-lists.js';
import type { Usage, UsageBoard, UsagePool } from '../../explain/usage.js';
import { ago, duration, labels, status, httpsLink, when } from './format.js';
import { html, type SafeHtml } from './html.js';
import { lineChart } from './svg-chart.js';

function jobRow(j: UsageJob, now: Date, withAttempts: boolean): SafeHtml {
  const since = j.queuedAt ?? j.createdAt;
  const attempts = j.attempts;
  const last = attempts.at(-1);
  return html`<tr>
    <td>${httpsLink(j.htmlUrl, `${j.repoFullName}#${j.jobId}`)}
      ${j.jobName ? html`<div class="muted">${j.jobName}</div>` : ''}</td>
    <td>${status(j.status)}</td>
    <td class="n nowrap" title="${when(since)}">${duration(now.getTime() - since.getTime())}</td>
    <td class="labels">${labels(j.jobLabels)}</td>
    <td>${j.runnerName ? html`<code>${j.runnerName}</code>` : html`<span class="muted">—</span>`}</td>
    ${withAttempts ? html`<td>${attempts.length > 0 ? `${attempts.length}${last ? ` (${last.reason})` : ''}` : ''}</td>` : ''}
  </tr>`;
}

function workerRow(w: UsageWorker, now: Date): SafeHtml {
  const node = w.pod?.node ?? w.k8sNode;
  const pod = w.pod
    ? html`${w.pod.phase}${w.pod.reason ? ` (${w.pod.reason})` : ''}`
    : html`<span class="muted">${w.podCreatedAt ? 'not in cluster' : 'no pod yet'}</span>`;
  const events = w.events.map(
    (e) =>
      html`<div class="event${e.type === 'Warning' ? ' s-warn' : ''}"><code>${e.reason}</code>${e.count > 1 ? ` ×${e.count}` : ''} ${e.message} <span class="muted">${ago(e.at, now)}</span></div>`,
  );
  return html`<tr>
    <td><code>${w.podName}</code></td>
    <td>${node ? html`<code>${node}</code>` : html`<span class="muted">—</span>`}</td>
    <td>${status(w.status)} ${pod}</td>
    <td class="n nowrap">${duration(now.getTime() - w.createdAt.getTime())}</td>
    <td>${events.length > 0 ? events : html`<span class="muted">none</span>`}</td>
  </tr>`;
}

function poolLists(p: UsagePool, jobs: UsageJob[], workers: UsageWorker[], now: Date): SafeHtml {
  const withAttempts = jobs.some((j) => j.attempts.length > 0);
  return html`<section class="pool" data-entity="${p.entityId}" data-board="${p.board}">
    <h3>${p.entityName} · ${labels(p.labels)} · <code>${p.board}</code></h3>
    ${
      jobs.length > 0
        ? html`<table class="jobs">
            <thead><tr><th>job</th><th>status</th><th class="n">age</th><th>labels</th><th>pod</th>${withAttempts ? html`<th>attempts</th>` : ''}</tr></thead>
            <tbody>${jobs.map((j) => jobRow(j, now, withAttempts))}</tbody>
          </table>`
        : html`<p class="muted">No active jobs.</p>`
    }
    ${
      workers.length > 0
        ? html`<table class="workers">
            <thead><tr><th>pod</th><th>node</th><th>status</th><th class="n">age</th><th>events</th></tr></thead>
            <tbody>${workers.map((w) => workerRow(w, now))}</tbody>
          </table>`
        : html`<p class="muted">No active workers.</p>`
    }
  </section>`;
}

/** Per (entity, labels) pool with anything active: its jobs and its workers. */
export function activeLists(u: Usage): SafeHtml {
  const group = <T extends { entityId: number; jobLabels: string[]; k8sPool: string }>(
    rows: T[],
  ) => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const k = poolKey(r.entityId, r.jobLabels, r.k8sPool);
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    }
    return m;
  };
  const jobs = group(u.jobs);
  const workers = group(u.workers);
  const sections = u.pools.flatMap((p) => {
    const k = poolKey(p.entityId, p.labels, p.board);
    const j = jobs.get(k) ?? [];
    const w = workers.get(k) ?? [];
    return j.length + w.length > 0 ? [poolLists(p, j, w, u.at)] : [];
  });
  return html`<h2>Active jobs and workers</h2>
    ${u.listTruncated ? html`<p class="error">Only the oldest active jobs and workers are listed; the counts above are complete.</p>` : ''}
    ${sections.length > 0 ? sections : html`<p class="muted">Nothing active.</p>`}`;
}

/** Per board: jobs waiting, and queue-time percentiles, over the charts' window. */
export function boardCharts(u: Usage): SafeHtml {
  const shown = u.boards.filter(
    (b) => b.history.waiting.length + b.history.queueSeconds.length > 0,
  );
  const chart = (b: UsageBoard) => html`<section class="board-charts">
    <h3><code>${b.board}</code></h3>
    <div class="charts">
      ${lineChart({
        id: `waiting-${b.board}`,
        title: `${b.board}: jobs waiting for a runner, ${when(u.historyFrom)} to ${when(u.at)}`,
        from: u.historyFrom,
        to: u.at,
        unit: '',
        series: [
          {
            name: 'waiting',
            cls: 'l-waiting',
            points: b.history.waiting.map((p) => ({ at: p.at, value: p.jobs })),
          },
        ],
      })}
      ${lineChart({
        id: `queue-${b.board}`,
        title: `${b.board}: queue time p50, p90, p99 of the jobs started per half hour`,
        from: u.historyFrom,
        to: u.at,
        unit: 's',
        series: (['p50', 'p90', 'p99'] as const).map((q) => ({
          name: q,
          cls: `l-${q}`,
          points: b.history.queueSeconds.map((p) => ({ at: p.at, value: p[q] })),
        })),
      })}
    </div>
  </section>`;
  return html`<h2>Trends</h2>
    ${shown.length > 0 ? shown.map(chart) : html`<p class="muted">No jobs in the last hours.</p>`}`;
}
