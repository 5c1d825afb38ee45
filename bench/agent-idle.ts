/**
 * npm run bench:agent — the node agent's footprint when idle: the built agent
 * (`node dist/agent.js all`, run `npm run build` first) against the simulator, on one node whose
 * simulated kubelet serves the Device Plugin API. After the node has its slot and labels, the
 * agent's resident memory and CPU time are read from /proc every second for IDLE_SECONDS.
 * The label sync at start runs in a short-lived child process; its peak memory and duration are
 * shown too. IDLE_SECONDS (60) and INTERVAL (the labeller's --interval-seconds, 600) change it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { startDemoAgents } from '../src/demo/agents.js';
import { createKubeSim } from '../src/sim/kube/index.js';

const SECONDS = Number(process.env.IDLE_SECONDS ?? 60);
const INTERVAL = process.env.INTERVAL ?? '600';
// The image runs the agent with these (images/agent/Dockerfile); NODE_FLAGS= measures without.
const NODE_FLAGS = (process.env.NODE_FLAGS ?? '--max-semi-space-size=1 --optimize-for-size')
  .split(' ')
  .filter(Boolean);
process.env.MALLOC_ARENA_MAX ??= '2';
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

if (!existsSync('dist/agent.js')) {
  process.stderr.write('bench:agent: dist/agent.js is missing; run `npm run build` first\n');
  process.exit(1);
}

function status(pid: number): { rssKb: number; hwmKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** utime + stime of the process itself, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The agents' label-sync children alive now (found by their command line). */
function syncChildren(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sync-child.js');
      } catch {
        return false;
      }
    })
    .map(Number);
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

const sim = createKubeSim();
const { url } = await sim.listen();
const node = { name: 'bench-rv-1', board: 'scw-em-rv1' };
const started = Date.now();
// Child peaks are sampled while the agent starts: the label sync lives about a second.
const childPeaks = new Map<number, { hwmKb: number; firstSeen: number; lastSeen: number }>();
const sampler = setInterval(() => {
  for (const pid of syncChildren()) {
    try {
      const seen = childPeaks.get(pid) ?? { hwmKb: 0, firstSeen: Date.now(), lastSeen: Date.now() };
      seen.hwmKb = Math.max(seen.hwmKb, status(pid).hwmKb);
      seen.lastSeen = Date.now();
      childPeaks.set(pid, seen);
    } catch {
      // it exited between the listing and the read
    }
  }
}, 20);

const agents = await startDemoAgents({
  kube: sim,
  kubeUrl: url,
  nodes: [node],
  command: [process.execPath, ...NODE_FLAGS, 'dist/agent.js'],
  args: ['--interval-seconds', INTERVAL],
  readyTimeoutMs: 60_000,
});
const agentPid = agents.pids.get(node.name)!;
const readyMs = Date.now() - started;
// Let the first label sync's child finish before idling starts.
while (syncChildren().length > 0) await new Promise((r) => setTimeout(r, 50));
clearInterval(sampler);

const startTicks = cpuTicks(agentPid);
const rss: number[] = [];
const t0 = Date.now();
for (let i = 0; i < SECONDS; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  rss.push(status(agentPid).rssKb);
}
const cpuSeconds = (cpuTicks(agentPid) - startTicks) / TICK;
const wall = (Date.now() - t0) / 1000;
const { hwmKb } = status(agentPid);
await agents.stop();
await sim.close();

const sorted = [...rss].sort((a, b) => a - b);
process.stdout.write(
  [
    `node agent (MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX} node ${[...NODE_FLAGS, 'dist/agent.js'].join(' ')} all, Node ${process.version}), idle for ${wall.toFixed(0)} s after the node was ready (${readyMs} ms)`,
    `  RSS       median ${mb(sorted[Math.floor(sorted.length / 2)]!)}, max ${mb(sorted.at(-1)!)}; peak since start ${mb(hwmKb)}`,
    `  CPU       ${cpuSeconds.toFixed(2)} s in ${wall.toFixed(0)} s = ${((100 * cpuSeconds) / wall).toFixed(2)} % of one core`,
    ...[...childPeaks.values()].map(
      (c) =>
        `  label sync child: peak RSS ${mb(c.hwmKb)}, seen for about ${c.lastSeen - c.firstSeen} ms`,
    ),
    '',
  ].join('\n'),
);
