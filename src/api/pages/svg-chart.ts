import { html, type SafeHtml } from './html.js';

export interface Series {
  name: string;
  /** A class of the page's stylesheet that colours the line (the CSP allows no style=""). */
  cls: string;
  points: { at: Date; value: number }[];
}

export interface ChartOptions {
  id: string;
  title: string;
  from: Date;
  to: Date;
  unit: string;
  series: Series[];
}

const W = 560;
const H = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 36 };

const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const round = (n: number) => Math.round(n * 10) / 10;

/** A round upper bound for the y axis: 1, 2, 5 × 10^k. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * p >= max) ?? 10) * p;
}

const fmt = (n: number, unit: string) =>
  unit === 's' && n >= 120 ? `${round(n / 60)}m` : `${round(n)}${unit}`;

/**
 * A line chart as inline SVG, drawn on the server: no script, no external file, colours from
 * the stylesheet's classes. Each point is a circle with a <title>, so a hover shows its value.
 */
export function lineChart(o: ChartOptions): SafeHtml {
  const span = Math.max(1, o.to.getTime() - o.from.getTime());
  const all = o.series.flatMap((s) => s.points.map((p) => p.value));
  const top = niceMax(Math.max(0, ...all));
  // A bucket may begin before the window (buckets are aligned): it is drawn at the window's edge.
  const x = (d: Date) =>
    round(
      PAD.left +
        (Math.min(span, Math.max(0, d.getTime() - o.from.getTime())) / span) *
          (W - PAD.left - PAD.right),
    );
  const y = (v: number) => round(H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom));
  const ticks = [0, 1, 2, 3, 4].map((i) => new Date(o.from.getTime() + (span * i) / 4));
  const titleId = `${o.id}-title`;
  const lines = o.series.map(
    (s) => html`<g class="series ${s.cls}" data-series="${s.name}">
      <polyline fill="none" stroke-width="2" points="${s.points.map((p) => `${x(p.at)},${y(p.value)}`).join(' ')}" />
      ${s.points.map(
        (p) =>
          html`<circle cx="${x(p.at)}" cy="${y(p.value)}" r="2.5"><title>${s.name} ${hhmm(p.at)}Z: ${fmt(p.value, o.unit)}</title></circle>`,
      )}
    </g>`,
  );
  const legend = o.series.map(
    (s, i) => html`<g class="${s.cls}">
      <line x1="${PAD.left + i * 90}" y1="${H - 6}" x2="${PAD.left + i * 90 + 16}" y2="${H - 6}" stroke-width="2" />
      <text x="${PAD.left + i * 90 + 20}" y="${H - 2}">${s.name}</text>
    </g>`,
  );
  return html`<svg id="${o.id}" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg">
    <title id="${titleId}">${o.title}</title>
    <g class="axis">
      <line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" />
      <line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" />
      <text x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end">${fmt(top, o.unit)}</text>
      <text x="${PAD.left - 4}" y="${y(top / 2) + 4}" text-anchor="end">${fmt(top / 2, o.unit)}</text>
      <text x="${PAD.left - 4}" y="${H - PAD.bottom + 4}" text-anchor="end">0</text>
      ${ticks.map(
        (t, i) =>
          html`<text x="${x(t)}" y="${H - PAD.bottom + 14}" text-anchor="${i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}">${hhmm(t)}Z</text>`,
      )}
    </g>
    ${lines}${legend}
    ${all.length === 0 ? html`<text class="muted" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>` : ''}
  </svg>`;
}
