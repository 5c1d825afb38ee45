import type { AuditRow } from '../../db/schema/audit-log.js';
import { when } from './format.js';
import { html } from './html.js';
import { renderPage } from './layout.js';

export function auditPage(rows: readonly AuditRow[], limit: number): string {
  const body = html`<h1>Audit log</h1>
    <p class="muted">
      The newest ${limit} operator actions · <a href="/audit.json?limit=${limit}">JSON</a> · also
      <code>npm run cli -- audit</code>
    </p>
    <table id="audit">
      <thead>
        <tr>
          <th>when</th>
          <th>who</th>
          <th>what</th>
          <th>target</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>
        ${
          rows.length > 0
            ? rows.map(
                (r) => html`<tr>
                <td>${when(r.at)}</td>
                <td><code>${r.actor}</code></td>
                <td>${r.action}</td>
                <td>${r.target ?? ''}</td>
                <td><code>${r.detail ? JSON.stringify(r.detail) : ''}</code></td>
              </tr>`,
              )
            : html`<tr>
              <td colspan="5" class="muted">Nothing recorded yet.</td>
            </tr>`
        }
      </tbody>
    </table>`;
  return renderPage({ title: 'Audit log', body });
}
