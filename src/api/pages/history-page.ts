import type { HistoryPage, HistoryQuery } from '../../explain/history.js';
import type { JobView } from '../../explain/timeline.js';
import { duration, httpsLink, labels, status, when } from './format.js';
import { html, type SafeHtml } from './html.js';
import { renderPage } from './layout.js';
import { asText } from '../../util/text.js';

function row(j: JobView): SafeHtml {
  const wait = j.startedAt ? duration(j.startedAt.getTime() - j.createdAt.getTime()) : '—';
  return html`<tr>
    <td><a href="/jobs/${j.jobId}">${j.jobId}</a></td>
    <td>${status(j.status)}</td>
    <td>${j.entityName}</td>
    <td>
      ${httpsLink(j.htmlUrl, j.repoFullName)}
      ${j.jobName ? html`<div class="muted">${j.jobName}</div>` : ''}
    </td>
    <td>${labels(j.labels)}</td>
    <td><code>${j.board}</code></td>
    <td>${j.runnerName ? html`<code>${j.runnerName}</code>` : '—'}</td>
    <td>${when(j.createdAt)}</td>
    <td class="n">${wait}</td>
    <td>${when(j.completedAt)}</td>
    <td>${j.conclusion ?? (j.failureInfo ? asText(j.failureInfo.reason) : '')}</td>
  </tr>`;
}

/** The filter values as the form shows them (what the user typed, or the defaults). */
export interface HistoryForm {
  start: string;
  end: string;
  status: string;
  entity: string;
  board: string;
  perPage: number;
}

export function historyPage(
  q: HistoryQuery,
  form: HistoryForm,
  result: HistoryPage,
  links: { rel: string; href: string }[],
): string {
  const lastPage = Math.max(1, Math.ceil(result.total / q.perPage));
  const body = html`<h1>History</h1>
    <form method="get" action="/history" class="pager">
      <label>start <input name="start" value="${form.start}" size="10" placeholder="-7d" /></label>
      <label>end <input name="end" value="${form.end}" size="10" placeholder="YYYY-MM-DD" /></label>
      <label
        >status <input name="status" value="${form.status}" size="12" placeholder="pending,running"
      /></label>
      <label>entity <input name="entity" value="${form.entity}" size="12" /></label>
      <label>board <input name="board" value="${form.board}" size="14" /></label>
      <label>per page <input name="per_page" value="${form.perPage}" size="3" /></label>
      <button type="submit">Show</button>
    </form>
    <p class="muted">
      ${result.total} jobs recorded from ${when(q.start)} to ${when(q.end)} · page ${q.page} of
      ${lastPage}
    </p>
    <table id="history">
      <thead>
        <tr>
          <th>job</th>
          <th>status</th>
          <th>entity</th>
          <th>repository / job</th>
          <th>labels</th>
          <th>board</th>
          <th>runner</th>
          <th>recorded</th>
          <th class="n">queued for</th>
          <th>finished</th>
          <th>result</th>
        </tr>
      </thead>
      <tbody>
        ${
          result.jobs.length > 0
            ? result.jobs.map(row)
            : html`<tr>
                <td colspan="11" class="muted">No jobs.</td>
              </tr>`
        }
      </tbody>
    </table>
    <nav class="pager">
      ${links.map((l) => html`<a href="${l.href}" rel="${l.rel}">${l.rel}</a>`)}
    </nav>`;
  return renderPage({ title: 'History', body });
}
