import type { Reason } from '../../explain/explain.js';
import type { JobReport } from '../../explain/job-report.js';
import type { WorkerView } from '../../explain/timeline.js';
import { duration, httpsLink, labels, status, when } from './format.js';
import { html, type SafeHtml } from './html.js';
import { renderPage } from './layout.js';

function reasonPanel(r: Reason): SafeHtml {
  return html`<div class="panel ${r.kind}" data-code="${r.code}">
    <div>
      <span class="badge s-${r.kind === 'blocker' ? 'warn' : 'info'}">${r.code}</span> ${r.message}
    </div>
    ${r.hint ? html`<div class="muted">${r.hint}</div>` : ''}
  </div>`;
}

function workerRow(w: WorkerView): SafeHtml {
  return html`<tr>
    <td><code>${w.podName}</code></td>
    <td>${status(w.status)}</td>
    <td>${w.node ?? '—'}</td>
    <td>${when(w.createdAt)}</td>
    <td>${when(w.podCreatedAt)}</td>
    <td>${when(w.runningAt)}</td>
    <td>${when(w.completedAt)}</td>
    <td>
      ${w.failureInfo ? html`<pre><code>${JSON.stringify(w.failureInfo, null, 2)}</code></pre>` : ''}
    </td>
  </tr>`;
}

export function jobPage(r: JobReport, now: Date): string {
  const j = r.job;
  const e = r.explanation;
  const waited = (j.startedAt ?? now).getTime() - j.createdAt.getTime();
  const body = html`<h1>Job ${j.jobId} ${status(j.status)}</h1>
    <div class="panel ${e.waiting ? 'blocker' : 'context'}">
      <div class="summary" id="summary">${e.summary}</div>
    </div>
    ${e.reasons.map(reasonPanel)}
    <h2>Job</h2>
    <dl>
      <dt>entity</dt>
      <dd>${j.entityName} (${j.entityType}, id ${j.entityId}, installation ${j.installationId})</dd>
      <dt>repository</dt>
      <dd>
        ${httpsLink(j.htmlUrl, j.repoFullName)}${j.jobName ? ` — ${j.jobName}` : ''}
      </dd>
      <dt>labels</dt>
      <dd>${labels(j.labels)} → board <code>${j.board}</code>, image <code>${j.image}</code></dd>
      <dt>runner</dt>
      <dd>${j.runnerName ? html`<code>${j.runnerName}</code>` : '—'}</dd>
      <dt>${j.startedAt ? 'queued for' : 'waiting for'}</dt>
      <dd>${duration(waited)}</dd>
      ${
        j.failureInfo
          ? html`<dt>failure_info</dt>
              <dd>
                <pre><code>${JSON.stringify(j.failureInfo, null, 2)}</code></pre>
              </dd>`
          : ''
      }
    </dl>
    <h2>Timeline</h2>
    <table id="timeline">
      <thead>
        <tr>
          <th>time</th>
          <th>event</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>
        ${r.timeline.map(
          (t) =>
            html`<tr>
              <td>${when(t.at)}</td>
              <td class="s-${t.tone}">${t.what}</td>
              <td>${t.detail ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Runner attempts</h2>
    ${
      r.attempts.length > 0
        ? html`<table id="attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>pod / runner</th>
                <th>reason</th>
                <th>failed</th>
              </tr>
            </thead>
            <tbody>
              ${r.attempts.map(
                (a, i) =>
                  html`<tr>
                    <td>${i + 1}</td>
                    <td><code>${a.pod}</code></td>
                    <td class="s-warn">${a.reason}</td>
                    <td>${when(a.at)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No runner failed before starting this job.</p>`
    }
    <h2>Workers</h2>
    ${
      r.workers.length > 0
        ? html`<table id="workers">
            <thead>
              <tr>
                <th>pod / runner</th>
                <th>status</th>
                <th>node</th>
                <th>reserved</th>
                <th>pod created</th>
                <th>running</th>
                <th>finished</th>
                <th>failure_info</th>
              </tr>
            </thead>
            <tbody>
              ${r.workers.map(workerRow)}
            </tbody>
          </table>`
        : html`<p class="muted">No worker was reserved for this job or ran it.</p>`
    }
    <p class="muted"><a href="/jobs/${j.jobId}.json">JSON</a></p>`;
  return renderPage({ title: `Job ${j.jobId}`, body });
}
