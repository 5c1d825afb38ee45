import { utcSeconds } from '../../util/text.js';
import { html, type SafeHtml } from './html.js';

/** `2024-05-01 12:03:04Z`: ISO, readable, still UTC. */
export const when = (d: Date | string | null | undefined): string => utcSeconds(d, '—');

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export const ago = (d: Date | string | null | undefined, now: Date): string =>
  d ? `${duration(now.getTime() - new Date(d).getTime())} ago` : '—';

/** A coloured status badge (classes in layout.ts). */
export const status = (s: string): SafeHtml =>
  html`<span class="badge s-${/^[a-z_]+$/.test(s) ? s : 'other'}">${s}</span>`;

export const labels = (ls: readonly string[]): SafeHtml =>
  html`${ls.map((l) => html`<code>${l}</code> `)}`;

/**
 * A link to GitHub only when the URL is https: `html_url` comes from webhook payloads, and a
 * `javascript:` or plain-http URL must not become a link on an operator's page.
 */
export function httpsLink(url: string | null | undefined, text: string | SafeHtml): SafeHtml {
  let ok = false;
  try {
    ok = url !== null && url !== undefined && new URL(url).protocol === 'https:';
  } catch {
    ok = false;
  }
  return ok ? html`<a href="${url}" rel="noreferrer">${text}</a>` : html`${text}`;
}
