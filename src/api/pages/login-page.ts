import { html } from './html.js';
import { renderPage } from './layout.js';

export function loginPage(o: { next: string; error?: string }): string {
  const body = html`<div class="login">
    <h1>Operator login</h1>
    <p class="muted">Enter the deployment's <code>ADMIN_TOKEN</code>.</p>
    ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
    <form method="post" action="/login">
      <input type="hidden" name="next" value="${o.next}" />
      <label for="token">Admin token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        required
        autofocus
      />
      <button type="submit">Log in</button>
    </form>
  </div>`;
  return renderPage({ title: 'Log in', body, nav: false });
}
