import type { Usage, UsageBoard, UsagePool } from '../../explain/usage.js';
import { ago, labels, status } from './format.js';
import { html, type SafeHtml } from './html.js';
import { renderPage } from './layout.js';
import { activeLists, boardCharts } from './usage-lists-page.js';

export const USAGE_REFRESH_SECONDS = 10;

function boardRow(b: UsageBoard): SafeHtml {
  const busy = b.busyNodes.map(
    (n) => html`<div><code>${n.name}</code>: ${n.pods.join(', ')}</div>`,
  );
  const down = b.unavailableNodes.map((n) => html`<div><code>${n.name}</code>: ${n.why}</div>`);
  return html`<tr>
    <td class="nowrap"><code>${b.board}</code></td>
    <td class="n">${b.readyNodes}/${b.nodes}</td>
    <td class="n">${b.slots}</td>
    <td class="n">${b.busy}</td>
    <td class="n">${b.free}</td>
    <td class="n">${b.pendingJobs}</td>
    <td>
      ${b.drained ? html`${status('drained')} ${b.drained.reason ?? ''}` : html`<span class="muted">no</span>`}
    </td>
    <td>${busy}${down}${!b.seen ? html`<span class="muted">no node seen</span>` : ''}</td>
  </tr>`;
}

const cell = (n: number, cls: string) =>
  n > 0 ? html`<span class="${cls}">${n}</span>` : html`<span class="muted">0</span>`;

function poolRow(p: UsagePool): SafeHtml {
  const pods = Object.entries(p.pods).map(([k, n]) => html`<div>${n} × ${k}</div>`);
  const cap = p.maxWorkers === null ? '∞' : String(p.maxWorkers);
  return html`<tr>
    <td class="name">
      ${p.entityName}
      <span class="muted">${p.entityType === 'User' ? 'repo' : 'org'} ${p.entityId}</span>
    </td>
    <td class="labels">${labels(p.labels)}</td>
    <td class="nowrap"><code>${p.board}</code></td>
    <td class="n">${cell(p.jobs.pending, 's-pending')}</td>
    <td class="n">${cell(p.jobs.running, 's-running')}</td>
    <td class="n">${cell(p.jobs.completedLastHour, 's-completed')}</td>
    <td class="n">${cell(p.jobs.failedLastHour, 's-failed')}</td>
    <td class="n">${cell(p.workers.pending, 's-pending')}</td>
    <td class="n">${cell(p.workers.running, 's-running')}</td>
    <td class="n">${cell(p.workers.completedLastHour, 's-completed')}</td>
    <td class="n">${cell(p.workers.failedLastHour, 's-failed')}</td>
    <td class="n">${cell(p.waiting, 's-warn')}</td>
    <td class="n">${p.entityActive}/${cap}</td>
    <td class="words">${pods}</td>
  </tr>`;
}

export function usagePage(u: Usage): string {
  const snapshot = u.snapshotAt
    ? html`cluster snapshot ${ago(u.snapshotAt, u.at)}`
    : html`<span class="error">no cluster snapshot: is a worker process running?</span>`;
  const body = html`<h1>Usage</h1>
    <p class="muted">
      ${snapshot} · refreshes every ${USAGE_REFRESH_SECONDS}s · <a href="/usage.json">JSON</a>
    </p>
    <h2>Boards</h2>
    <table id="boards">
      <thead>
        <tr>
          <th>board</th>
          <th class="n">nodes ready</th>
          <th class="n">slots</th>
          <th class="n">busy</th>
          <th class="n">free</th>
          <th class="n">pending jobs</th>
          <th>drained</th>
          <th>busy / unavailable nodes</th>
        </tr>
      </thead>
      <tbody>
        ${u.boards.map(boardRow)}
      </tbody>
    </table>
    ${boardCharts(u)}
    <h2>Pools</h2>
    <table id="pools">
      <thead>
        <tr>
          <th rowspan="2">entity</th>
          <th rowspan="2">labels</th>
          <th rowspan="2">board</th>
          <th colspan="4">jobs</th>
          <th colspan="4">workers</th>
          <th rowspan="2" class="n">waiting</th>
          <th rowspan="2" class="n">active / max_workers</th>
          <th rowspan="2">pods</th>
        </tr>
        <tr>
          <th class="n">pending</th>
          <th class="n">running</th>
          <th class="n">done 1h</th>
          <th class="n">failed 1h</th>
          <th class="n">pending</th>
          <th class="n">running</th>
          <th class="n">done 1h</th>
          <th class="n">failed 1h</th>
        </tr>
      </thead>
      <tbody>
        ${
          u.pools.length > 0
            ? u.pools.map(poolRow)
            : html`<tr>
                <td colspan="14" class="muted">No jobs or workers in the last hour.</td>
              </tr>`
        }
      </tbody>
    </table>
    ${activeLists(u)}`;
  return renderPage({ title: 'Usage', body, refreshSeconds: USAGE_REFRESH_SECONDS });
}
