import { percentile } from '../util/stats.js';

export interface Progress {
  elapsedS: number;
  queued: number;
  total: number;
  waiting: number;
  running: number;
  done: number;
  busyNodes: number;
  nodes: number;
  githubCalls: number;
}

export function progressLine(p: Progress): string {
  return (
    `[${p.elapsedS.toFixed(1).padStart(5)}s] queued ${p.queued}/${p.total} · waiting ${p.waiting} · ` +
    `running ${p.running} · done ${p.done} · nodes busy ${p.busyNodes}/${p.nodes} · GitHub calls ${p.githubCalls}`
  );
}

export function ms(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'n/a');
  return `p50 ${f(percentile(s, 50))} · p90 ${f(percentile(s, 90))} · p99 ${f(percentile(s, 99))} · max ${f(s.at(-1) ?? NaN)}`;
}
