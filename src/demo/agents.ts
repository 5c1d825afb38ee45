/**
 * `npm run demo -- --agents`: one real node agent process (role `all`) per simulated node.
 * Each node's simulated kubelet serves the Device Plugin API on a real Unix socket, and each
 * agent reads fixture device-tree and cpuinfo files of the node's board, so the nodes' runner
 * slots and board labels come from the agents, not from the simulator's seeding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeSim } from '../sim/kube/index.js';
import { nodeFiles } from './agent-fixtures.js';

const BOARD_LABEL = 'riseproject.dev/board';
const RUNNER = 'riseproject.com/runner';

export interface DemoAgentNode {
  name: string;
  /** The board the node's fixture files describe (and the label its agent should set). */
  board: string;
}

export interface DemoAgentsOptions {
  kube: KubeSim;
  /** The simulated API server's URL (the agents' kubeconfig points there). */
  kubeUrl: string;
  nodes: readonly DemoAgentNode[];
  /** Where node files, plugin sockets and agent logs go; default a new temporary directory. */
  dir?: string;
  /** How to run the agent; default `defaultAgentCommand()`. */
  command?: readonly string[];
  /** Extra agent flags, e.g. `['--interval-seconds', '60']`. */
  args?: readonly string[];
  /** How long every node may take to show its slots and labels; default 120 s. */
  readyTimeoutMs?: number;
}

export interface DemoAgents {
  dir: string;
  /** Agent process ids by node name. */
  pids: ReadonlyMap<string, number>;
  /** SIGTERM to every agent, then waits for them (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built agent when dist/ is newer than every source file, else the sources through tsx.
 * Ten agents each starting a label-sync child through tsx's loader take a while on a small
 * machine; the built one starts in a fraction of that.
 */
export function defaultAgentCommand(): string[] {
  const built = resolve('dist/agent.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(resolve('src'))) {
    return [process.execPath, built];
  }
  return [process.execPath, '--import', 'tsx', 'src/agent/main.ts'];
}

function ready(kube: KubeSim, node: DemoAgentNode): boolean {
  const n = kube.state.get('Node', undefined, node.name);
  return (
    n?.metadata.labels?.[BOARD_LABEL] === node.board &&
    Number(n.status.allocatable[RUNNER] ?? 0) > 0
  );
}

function stopAll(children: readonly ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(kill);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

export async function startDemoAgents(options: DemoAgentsOptions): Promise<DemoAgents> {
  const { kube } = options;
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'rise-agents-')));
  mkdirSync(dir, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, kube.kubeconfigYaml(options.kubeUrl), { mode: 0o600 });
  const command = options.command ?? defaultAgentCommand();
  const children: ChildProcess[] = [];
  const pids = new Map<string, number>();
  const failures: string[] = [];

  for (const node of options.nodes) {
    const nodeDir = join(dir, node.name);
    const pluginDir = join(nodeDir, 'device-plugins');
    mkdirSync(pluginDir, { recursive: true });
    const files = nodeFiles(node.board);
    writeFileSync(join(nodeDir, 'compatible'), files.compatible);
    writeFileSync(join(nodeDir, 'cpuinfo'), files.cpuinfo);
    if (files.boardsYaml) writeFileSync(join(nodeDir, 'boards.yaml'), files.boardsYaml);

    // A node joins bare: no board label, and no runner slots until its plugin registers.
    if (!kube.state.get('Node', undefined, node.name)) kube.addNode({ name: node.name });
    kube.state.update('Node', undefined, node.name, (draft) => {
      if (draft.metadata.labels) delete draft.metadata.labels[BOARD_LABEL];
    });
    await kube.devicePlugins.serve(node.name, pluginDir);

    const [program = process.execPath, ...programArgs] = command;
    const args = [
      ...programArgs,
      'all',
      '--plugin-dir',
      pluginDir,
      '--devicetree',
      join(nodeDir, 'compatible'),
      '--cpuinfo',
      join(nodeDir, 'cpuinfo'),
      ...(files.boardsYaml ? ['--boards', join(nodeDir, 'boards.yaml')] : []),
      ...(options.args ?? []),
    ];
    const child = spawn(program, args, {
      env: { ...process.env, NODE_NAME: node.name, KUBECONFIG: kubeconfig, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(nodeDir, 'agent.log'));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.once('exit', (code, signal) => {
      if (!ready(kube, node)) {
        failures.push(
          `${node.name}: agent exited (${signal ?? code}); see ${join(nodeDir, 'agent.log')}`,
        );
      }
    });
    children.push(child);
    if (child.pid !== undefined) pids.set(node.name, child.pid);
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (failures.length > 0) {
      await stopAll(children);
      throw new Error(failures[0]);
    }
    const waiting = options.nodes.filter((n) => !ready(kube, n));
    if (waiting.length === 0) break;
    if (Date.now() > deadline) {
      await stopAll(children);
      throw new Error(
        `node agents not ready after ${options.readyTimeoutMs ?? 120_000} ms: ${waiting.map((n) => n.name).join(', ')}; logs in ${dir}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { dir, pids, stop: () => stopAll(children) };
}
