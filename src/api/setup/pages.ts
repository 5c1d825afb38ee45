import type { Response } from 'express';
import { html, type SafeHtml } from '../pages/html.js';
import { CSP, renderPage } from '../pages/layout.js';
import type { CheckReport } from './check.js';
import type { CreatedApp } from './github.js';
import { VARIABLES, type AppKind, type AppManifest } from './manifests.js';

const KIND_TEXT: Record<AppKind, string> = {
  org: 'the App for organizations (org runners in a runner group)',
  personal: 'the App for personal accounts (repository runners)',
};

/**
 * Sends a setup page. The confirmation page's form posts to GitHub, so its CSP lets forms go
 * there too; the callback's URL carries a one-time code, so no referrer leaves it.
 */
export function sendSetupPage(
  res: Response,
  status: number,
  page: string,
  formTarget?: string,
): void {
  const csp = formTarget
    ? CSP.replace("form-action 'self'", `form-action 'self' ${new URL(formTarget).origin}`)
    : CSP;
  res
    .status(status)
    .set({
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    .type('html')
    .send(page);
}

export function setupPage(o: { deployEnv: string; githubWebUrl: string; error?: string }): string {
  const suffix = o.deployEnv === 'prod' ? '' : ' Staging';
  const kind = (k: AppKind, checked: boolean) =>
    html`<label
      ><input type="radio" name="kind" value="${k}" ${checked ? html`checked` : ''} />
      ${KIND_TEXT[k]}</label
    ><br />`;
  const body = html`<h1>Set up the GitHub Apps</h1>
    <p>
      This deployment acts as two GitHub Apps. Create each one here: GitHub creates it from
      <code>deploy/github-apps/</code>'s manifest, with this deployment's webhook and callback
      URLs, and hands its id, key and webhook secret back once.
    </p>
    ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
    <form method="post" action="/setup/start" class="panel">
      <p>${kind('org', true)} ${kind('personal', false)}</p>
      <p>
        <label for="owner">Owner organization (empty: your personal account)</label><br />
        <input id="owner" name="owner" placeholder="riseproject-dev" size="30" />
      </p>
      <p>
        <label for="name">App name (unique on GitHub; empty: the manifest's${suffix ? ` + "${suffix}"` : ''})</label
        ><br />
        <input id="name" name="name" maxlength="34" size="34" />
      </p>
      <button type="submit" id="continue">Continue</button>
    </form>
    <p class="muted">
      After installing an App on an account: <code>/setup/check?installation_id=…</code> tells whether
      the installation is the right App for its account type, whether the runner group exists, and
      whether a JIT runner config can be minted. Apps are created on ${o.githubWebUrl}.
    </p>`;
  return renderPage({ title: 'Setup', body });
}

export function confirmPage(o: {
  kind: AppKind;
  action: string;
  manifest: AppManifest;
  owner?: string;
}): string {
  const body = html`<h1>Create ${o.manifest.name}</h1>
    <p>${KIND_TEXT[o.kind]}, owned by ${o.owner ? html`<code>${o.owner}</code>` : 'your account'}.</p>
    <dl class="panel">
      <dt>Webhook URL</dt>
      <dd><code>${o.manifest.hook_attributes.url}</code></dd>
      <dt>Callback</dt>
      <dd><code>${o.manifest.redirect_url}</code></dd>
      <dt>Permissions</dt>
      <dd>${Object.entries(o.manifest.default_permissions).map(([p, l]) => html`<code>${p}: ${l}</code> `)}</dd>
      <dt>Events</dt>
      <dd>${o.manifest.default_events.map((e) => html`<code>${e}</code> `)}</dd>
    </dl>
    <form method="post" action="${o.action}">
      <input type="hidden" name="manifest" value="${JSON.stringify(o.manifest)}" />
      <button type="submit" id="create">Create the App on GitHub</button>
    </form>`;
  return renderPage({ title: 'Create the App', body });
}

const secretRow = (name: string, value: string, note: SafeHtml | string = ''): SafeHtml =>
  html`<tr>
    <th><code>${name}</code></th>
    <td><pre class="secret" data-variable="${name}">${value}</pre>${note}</td>
  </tr>`;

export function createdPage(o: { kind: AppKind; app: CreatedApp }): string {
  const [idVar, keyVar, secretVar] = VARIABLES[o.kind];
  const body = html`<h1>${o.app.name} was created</h1>
    <p class="summary" role="alert">
      Store these now: they are shown once and kept nowhere here. Reloading this page shows nothing.
    </p>
    <table>
      ${secretRow(idVar, String(o.app.id))}
      ${secretRow(keyVar, o.app.pem, html`<span class="muted">the whole PEM, line breaks included (or as one line with <code>\\n</code>)</span>`)}
      ${secretRow(
        secretVar,
        o.app.webhook_secret ?? '',
        html`<span class="muted">comma-separated with the other App's secret: both Apps send webhooks here</span>`,
      )}
    </table>
    <p>
      Kubernetes: <code>${idVar}</code> and <code>${keyVar}</code> go into the Secret
      <code>rise-github-apps</code>, <code>${secretVar}</code> into <code>rise-web</code>
      (<code>deploy/secrets.example.yaml</code>); then restart <code>web</code> and <code>worker</code>.
    </p>
    <p>
      Next: <a href="${o.app.html_url}/installations/new">install ${o.app.slug}</a> on an account,
      then open <code>/setup/check?installation_id=…</code>.
    </p>`;
  return renderPage({ title: 'App created', body });
}

const STATUS_CLASS = { ok: 's-ok', fail: 's-error', warn: 's-warn', skipped: 's-info' } as const;

export function checkPage(r: CheckReport): string {
  const body = html`<h1>Installation ${r.installationId}</h1>
    <p class="summary ${r.ok ? 's-ok' : 's-error'}" role="status">
      ${r.ok ? 'Ready to serve jobs' : 'Not ready: see below'}${
        r.account ? html` — ${r.account.login} (${r.account.type})` : ''
      }
    </p>
    <table>
      <tr>
        <th>check</th>
        <th>result</th>
        <th>detail</th>
      </tr>
      ${r.checks.map(
        (c) =>
          html`<tr data-check="${c.name}">
            <td>${c.name}</td>
            <td><span class="badge ${STATUS_CLASS[c.status]}">${c.status}</span></td>
            <td>${c.message}</td>
          </tr>`,
      )}
    </table>`;
  return renderPage({ title: `Installation ${r.installationId}`, body });
}
