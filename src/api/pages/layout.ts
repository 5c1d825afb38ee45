import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { html, SafeHtml } from './html.js';

const CSS = `
:root { color-scheme: light dark; --fg: #1d2125; --muted: #5f6b76; --bg: #fff; --line: #d8dee4;
  --head: #f3f5f7; --pending: #9a6700; --running: #0969da; --completed: #1a7f37; --failed: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #8d96a0; --bg: #0d1117;
  --line: #30363d; --head: #161b22; --pending: #d29922; --running: #4493f8; --completed: #3fb950;
  --failed: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
header { display: flex; gap: 1.2em; align-items: center; padding: .6em 1.2em; border-bottom: 1px solid var(--line);
  background: var(--head); flex-wrap: wrap; }
header .brand { font-weight: 600; }
header nav { display: flex; gap: 1em; }
header form { display: inline-flex; gap: .3em; margin: 0; }
header .spacer { flex: 1; }
main { padding: 1em 1.2em 3em; max-width: 1400px; }
h1 { font-size: 1.4em; margin: .2em 0 .6em; } h2 { font-size: 1.1em; margin: 1.6em 0 .5em; }
a { color: var(--running); }
table { border-collapse: collapse; width: 100%; margin: .3em 0 1em; }
th, td { border-bottom: 1px solid var(--line); padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
/* Long labels, pod names and event messages wrap inside their cell instead of widening the page. */
td { overflow-wrap: anywhere; } td.nowrap { white-space: nowrap; overflow-wrap: normal; }
td.words { overflow-wrap: normal; } td.name { min-width: 8em; } td.labels { min-width: 12em; }
td.n, th.n { padding-left: .3em; padding-right: .3em; } th.n { font-size: 12px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; overflow-wrap: normal; }
.s-pending { color: var(--pending); } .s-running { color: var(--running); }
.s-completed, .s-ok { color: var(--completed); } .s-failed, .s-error { color: var(--failed); }
.s-warn, .s-drained { color: var(--pending); } .s-info, .s-other { color: var(--muted); }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: .8em 1em; margin: .8em 0; }
.panel.blocker { border-left: 4px solid var(--pending); } .panel.context { border-left: 4px solid var(--line); }
.summary { font-size: 1.1em; font-weight: 600; }
.error { color: var(--failed); font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
input, button { font: inherit; padding: .2em .5em; }
.pager { display: flex; gap: 1em; align-items: center; }
.login { max-width: 24em; margin: 4em auto; }
.login input { width: 100%; margin: .4em 0 .8em; }
.charts { display: flex; flex-wrap: wrap; gap: .5em 1.5em; }
svg.chart { flex: 1 1 420px; max-width: 560px; height: auto; }
.chart text { fill: var(--muted); font-size: 11px; } .chart .axis line { stroke: var(--line); }
.l-waiting { --c: var(--running); } .l-p50 { --c: var(--completed); } .l-p90 { --c: var(--pending); }
.l-p99 { --c: var(--failed); } .chart g polyline, .chart g line { stroke: var(--c, var(--line)); }
.chart g circle { fill: var(--c); }
.pool h3, .board-charts h3 { font-size: 1em; margin: 1.2em 0 .3em; }
`;

/** Our pages load nothing from elsewhere and run no script: the CSP says so. */
// The stylesheet is ours and constant: inserted verbatim so its CSP hash matches. The element is
// built here, not in the page template, where formatting would add whitespace inside <style>
// and change its hash (the browser would then block the stylesheet).
const STYLE = new SafeHtml(`<style>${CSS}</style>`);
const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');
export const CSP = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Seconds between automatic reloads (usage); none when absent. */
  refreshSeconds?: number;
  /** False on the login page. */
  nav?: boolean;
}

function header(): SafeHtml {
  return html`<header>
    <span class="brand">RISE RISC-V runners</span>
    <nav>
      <a href="/usage">Usage</a><a href="/history">History</a><a href="/admin/queues">Queues</a>
      <a href="/audit">Audit</a><a href="/metrics">Metrics</a>
    </nav>
    <form action="/jobs" method="get">
      <input name="id" placeholder="job id" size="14" inputmode="numeric" aria-label="job id" />
      <button type="submit">Why waiting?</button>
    </form>
    <span class="spacer"></span>
    <form action="/logout" method="post"><button type="submit">Log out</button></form>
  </header>`;
}

export function renderPage(o: PageOptions): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${o.refreshSeconds ? html`<meta http-equiv="refresh" content="${o.refreshSeconds}" />` : ''}
        <title>${o.title} · RISE runners</title>
        ${STYLE}
      </head>
      <body>
        ${o.nav === false ? '' : header()}
        <main>${o.body}</main>
      </body>
    </html>`.value;
}

/** Sends a page with the security headers every operator page carries. */
export function sendPage(res: Response, status: number, page: string): void {
  res
    .status(status)
    .set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    })
    .type('html')
    .send(page);
}
