/**
 * The demo summary's "pod start" line: how much of the queue time (queued → a runner took the
 * job) was the runner pod starting (pod created → its runner took the job: scheduling, image
 * pull, dockerd, the runner's registration), timed from the simulator's own events.
 */
import type { Simulator, StartupOptions } from '../sim/index.js';
import { percentile } from '../util/stats.js';

/**
 * The boards' estimated start-up (docs/simulator.md, "Start-up delays") at the scale of the
 * demo's jobs, which last seconds instead of minutes: a 4.5 s first pull per node, 0.2 s for
 * dockerd, 0.75 s for the runner to register.
 */
export const DEMO_STARTUP: StartupOptions = { preset: 'realistic', scale: 0.05 };

export interface JobTiming {
  queuedAt: number;
  /** When the pod whose runner took the job was created; absent for a runner not in a pod. */
  podCreatedAt?: number;
  startedAt: number;
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');

export function podStartLine(timings: readonly JobTiming[]): string {
  const label = '  pod start           ';
  const served = timings.filter((t) => t.podCreatedAt !== undefined);
  if (served.length === 0) return `${label} n/a (no job was taken by a runner pod)`;
  const queue: number[] = [];
  const start: number[] = [];
  for (const t of served) {
    const waited = Math.max(0, t.startedAt - t.queuedAt);
    queue.push(waited);
    // A pod made for an earlier job may take this one: only this job's own wait counts.
    start.push(Math.min(waited, Math.max(0, t.startedAt - (t.podCreatedAt ?? t.startedAt))));
  }
  const total = queue.reduce((a, b) => a + b, 0);
  const share = total > 0 ? Math.round((100 * start.reduce((a, b) => a + b, 0)) / total) : 0;
  const p50 = (values: number[]) =>
    seconds(
      percentile(
        [...values].sort((a, b) => a - b),
        50,
      ),
    );
  return `${label} ${share} % of the queue time: p50 ${p50(start)} of p50 ${p50(queue)} (pod created → its runner took the job: pull, dockerd, registration)`;
}

/** Collects a JobTiming per started job from the simulator's events, for podStartLine. */
export function trackPodStart(sim: Pick<Simulator, 'github' | 'kube'>) {
  const queuedAt = new Map<number, number>();
  const podCreatedAt = new Map<string, number>();
  const timings: JobTiming[] = [];
  const stops = [
    sim.github.state.subscribe('job:queued', (job) => queuedAt.set(job.id, Date.now())),
    sim.github.state.subscribe('job:started', (job) => {
      const queued = queuedAt.get(job.id);
      if (queued === undefined) return;
      const created = job.runnerName ? podCreatedAt.get(job.runnerName) : undefined;
      timings.push({ queuedAt: queued, podCreatedAt: created, startedAt: Date.now() });
    }),
    sim.kube.state.subscribe((change) => {
      if (change.kind === 'Pod' && change.type === 'ADDED') {
        podCreatedAt.set(change.object.metadata.name, Date.now());
      }
    }),
  ];
  return {
    timings: (): readonly JobTiming[] => timings,
    line: () => podStartLine(timings),
    stop: () => stops.forEach((stop) => stop()),
  };
}
