/**
 * The node agent's flags and environment, the interface its DaemonSets and tests use. This is
 * the agent's only reader of process.env. A bad flag is one line naming it (exit code 2).
 */
import { parseArgs } from 'node:util';
import { parseBytes } from './quantity.js';

export type Role = 'device-plugin' | 'labeller' | 'all';

export interface DevicePluginFlags {
  pluginDir: string;
  slots: number;
  minFreeBytes?: number;
  diskPaths: string[];
  checkIntervalMs: number;
}

export interface LabellerFlags {
  devicetreePaths: string[];
  cpuinfoPath: string;
  boardsFile?: string;
  intervalMs: number;
  nodeName: string;
  /** KUBECONFIG; in-cluster credentials when absent. */
  kubeconfigPath?: string;
}

export interface AgentConfig {
  role: Role;
  logLevel: string;
  devicePlugin?: DevicePluginFlags;
  labeller?: LabellerFlags;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_PLUGIN_DIR = '/var/lib/kubelet/device-plugins';
export const DEFAULT_DEVICETREE = [
  '/sys/firmware/devicetree/base/compatible',
  '/proc/device-tree/compatible',
];

export const HELP = `Usage: agent <role> [flags]   (node dist/agent.js …, npm run agent -- …)

The RISE RISC-V runner node agent. Roles:
  device-plugin   advertise riseproject.com/runner slots to the kubelet (Device Plugin API v1beta1)
  labeller        label this node with its board and CPU capabilities (riseproject.dev/*)
  all             both, in one process

Device plugin:
  --plugin-dir DIR              the kubelet's device-plugin directory
                                (default ${DEFAULT_PLUGIN_DIR}); the plugin serves
                                DIR/rise-riscv-runner.sock; a file DIR/rise-riscv-runner.drain
                                marks the node drained
  --slots N                     runner slots to advertise, 1-64 (default 1)
  --min-free-disk SIZE          devices turn Unhealthy while a --disk-path has less free (e.g. 10Gi)
  --disk-path PATH              a filesystem to check (repeat for several; needs --min-free-disk)
  --check-interval-seconds S    how often health is checked (default 10)

Labeller (needs NODE_NAME, and KUBECONFIG or in-cluster credentials):
  --devicetree PATH             the device tree's compatible file; repeat for fallbacks
                                (default ${DEFAULT_DEVICETREE.join(',\n                                then ')})
  --cpuinfo PATH                (default /proc/cpuinfo)
  --boards FILE                 YAML map of compatible string to board, added to the defaults
  --interval-seconds S          how often labels are re-checked (default 600)

Common:
  --log-level LEVEL             fatal, error, warn, info, debug, trace or silent (default info,
                                or LOG_LEVEL)
  -h, --help                    this text

Environment: NODE_NAME (the downward API's spec.nodeName), KUBECONFIG (a path), LOG_LEVEL.
`;

const options = {
  'plugin-dir': { type: 'string' },
  slots: { type: 'string' },
  'min-free-disk': { type: 'string' },
  'disk-path': { type: 'string', multiple: true },
  'check-interval-seconds': { type: 'string' },
  devicetree: { type: 'string', multiple: true },
  cpuinfo: { type: 'string' },
  boards: { type: 'string' },
  'interval-seconds': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pluginFlags = ['plugin-dir', 'slots', 'min-free-disk', 'disk-path', 'check-interval-seconds'];
const labellerFlags = ['devicetree', 'cpuinfo', 'boards', 'interval-seconds'];
const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// sockaddr_un.sun_path holds 108 bytes, the terminating NUL included.
const MAX_SOCKET_PATH = 107;

/** parseArgs' own messages run long; keep the flag and what is wrong with it. */
function usageFromParseError(err: unknown): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  const code = (err as { code?: string }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown flag ${flag}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(`${flag} needs a value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(message);
  return new UsageError(message.split('\n')[0] ?? message);
}

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new UsageError(`--${flag}: "${value}" is not a positive number of seconds`);
  return n * 1000;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`--${flag} needs a value`);
  return value;
}

function pluginConfig(
  v: Record<string, string | string[] | boolean | undefined>,
): DevicePluginFlags {
  const pluginDir =
    nonEmpty('plugin-dir', v['plugin-dir'] as string | undefined) ?? DEFAULT_PLUGIN_DIR;
  if (`${pluginDir}/rise-riscv-runner.sock`.length > MAX_SOCKET_PATH) {
    throw new UsageError(`--plugin-dir: "${pluginDir}" is too long for a Unix socket path`);
  }
  const slotsText = (v.slots as string | undefined) ?? '1';
  const slots = Number(slotsText);
  if (!/^\d+$/.test(slotsText) || slots < 1 || slots > 64) {
    throw new UsageError(`--slots: "${slotsText}" is not a whole number from 1 to 64`);
  }
  const diskPaths = ((v['disk-path'] as string[] | undefined) ?? []).map(
    (p) => nonEmpty('disk-path', p) ?? p,
  );
  const minFreeText = v['min-free-disk'] as string | undefined;
  const minFreeBytes = minFreeText === undefined ? undefined : parseBytes(minFreeText);
  if (minFreeText !== undefined && minFreeBytes === undefined) {
    throw new UsageError(`--min-free-disk: "${minFreeText}" is not a size such as 10Gi or 500M`);
  }
  if (minFreeBytes !== undefined && diskPaths.length === 0) {
    throw new UsageError('--min-free-disk needs at least one --disk-path');
  }
  if (minFreeBytes === undefined && diskPaths.length > 0) {
    throw new UsageError('--disk-path needs --min-free-disk');
  }
  return {
    pluginDir,
    slots,
    diskPaths,
    ...(minFreeBytes !== undefined ? { minFreeBytes } : {}),
    checkIntervalMs: seconds(
      'check-interval-seconds',
      v['check-interval-seconds'] as string | undefined,
      10,
    ),
  };
}

function labellerConfig(
  v: Record<string, string | string[] | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): LabellerFlags {
  const nodeName = env.NODE_NAME?.trim();
  if (!nodeName) {
    throw new UsageError(
      'NODE_NAME is not set (give the pod spec.nodeName through the downward API)',
    );
  }
  const devicetree = (v.devicetree as string[] | undefined)?.map(
    (p) => nonEmpty('devicetree', p) ?? p,
  );
  const boardsFile = nonEmpty('boards', v.boards as string | undefined);
  const kubeconfigPath = env.KUBECONFIG?.trim();
  return {
    devicetreePaths: devicetree ?? DEFAULT_DEVICETREE,
    cpuinfoPath: nonEmpty('cpuinfo', v.cpuinfo as string | undefined) ?? '/proc/cpuinfo',
    ...(boardsFile ? { boardsFile } : {}),
    intervalMs: seconds('interval-seconds', v['interval-seconds'] as string | undefined, 600),
    nodeName,
    ...(kubeconfigPath ? { kubeconfigPath } : {}),
  };
}

/** The configuration, or 'help'. Throws UsageError naming the first bad flag. */
export function parseAgentArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): AgentConfig | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageFromParseError(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [role, ...extra] = positionals;
  if (!role) throw new UsageError('no role given: device-plugin, labeller or all (see --help)');
  if (role !== 'device-plugin' && role !== 'labeller' && role !== 'all') {
    throw new UsageError(`unknown role "${role}": device-plugin, labeller or all`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const v = values as Record<string, string | string[] | boolean | undefined>;
  const foreign = role === 'device-plugin' ? labellerFlags : role === 'labeller' ? pluginFlags : [];
  const stray = foreign.find((flag) => v[flag] !== undefined);
  if (stray) throw new UsageError(`--${stray} does not apply to the ${role} role`);
  const logLevel = values['log-level'] ?? env.LOG_LEVEL ?? 'info';
  if (!levels.includes(logLevel)) {
    throw new UsageError(`--log-level: "${logLevel}" is not one of ${levels.join(', ')}`);
  }
  return {
    role,
    logLevel,
    ...(role !== 'labeller' ? { devicePlugin: pluginConfig(v) } : {}),
    ...(role !== 'device-plugin' ? { labeller: labellerConfig(v, env) } : {}),
  };
}

/** What the labeller's short-lived Kubernetes child process needs from its environment. */
export function childKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.KUBECONFIG?.trim() || undefined;
}
