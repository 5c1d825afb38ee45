/** The node agent's pure parts: flags, sizes, label values, device trees, cpuinfo, boards. */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICETREE, DEFAULT_PLUGIN_DIR, parseAgentArgs } from '../../src/agent/config.js';
import {
  BoardsFileError,
  DEFAULT_BOARDS,
  boardFor,
  isLabelValue,
  loadBoards,
  toLabelValue,
} from '../../src/agent/labeller/boards.js';
import { desiredLabels, labelChanges } from '../../src/agent/labeller/labels.js';
import { parseCompatible, parseCpuinfo } from '../../src/agent/labeller/sources.js';
import { formatBytes, parseBytes } from '../../src/agent/quantity.js';
import { tempDir } from './helpers.js';

const env = { NODE_NAME: 'rv-1' };
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('flags', () => {
  it('has the documented defaults', () => {
    expect(parseAgentArgs(['all'], env)).toEqual({
      role: 'all',
      logLevel: 'info',
      devicePlugin: {
        pluginDir: DEFAULT_PLUGIN_DIR,
        slots: 1,
        diskPaths: [],
        checkIntervalMs: 10_000,
      },
      labeller: {
        devicetreePaths: DEFAULT_DEVICETREE,
        cpuinfoPath: '/proc/cpuinfo',
        intervalMs: 600_000,
        nodeName: 'rv-1',
      },
    });
  });

  it('reads every flag of both roles', () => {
    const config = parseAgentArgs(
      [
        'all',
        '--plugin-dir=/tmp/dp',
        '--slots',
        '2',
        '--min-free-disk',
        '10Gi',
        '--disk-path',
        '/var/lib/containerd',
        '--disk-path',
        '/var/lib/kubelet',
        '--check-interval-seconds',
        '0.5',
        '--devicetree',
        '/host/dt/compatible',
        '--cpuinfo',
        '/host/cpuinfo',
        '--boards',
        '/etc/rise/boards.yaml',
        '--interval-seconds',
        '30',
        '--log-level',
        'debug',
      ],
      { ...env, KUBECONFIG: '/etc/kubeconfig' },
    );
    expect(config).toEqual({
      role: 'all',
      logLevel: 'debug',
      devicePlugin: {
        pluginDir: '/tmp/dp',
        slots: 2,
        minFreeBytes: 10 * 2 ** 30,
        diskPaths: ['/var/lib/containerd', '/var/lib/kubelet'],
        checkIntervalMs: 500,
      },
      labeller: {
        devicetreePaths: ['/host/dt/compatible'],
        cpuinfoPath: '/host/cpuinfo',
        boardsFile: '/etc/rise/boards.yaml',
        intervalMs: 30_000,
        nodeName: 'rv-1',
        kubeconfigPath: '/etc/kubeconfig',
      },
    });
  });

  it.each([
    [[], 'no role given: device-plugin, labeller or all (see --help)'],
    [['plugin'], 'unknown role "plugin": device-plugin, labeller or all'],
    [['all', 'extra'], 'unexpected argument "extra"'],
    [['all', '--slot', '2'], 'unknown flag --slot'],
    [['all', '--slots'], '--slots needs a value'],
    [['all', '--slots', '0'], '--slots: "0" is not a whole number from 1 to 64'],
    [['all', '--slots', '1.5'], '--slots: "1.5" is not a whole number from 1 to 64'],
    [
      ['all', '--min-free-disk', 'lots', '--disk-path', '/'],
      '--min-free-disk: "lots" is not a size such as 10Gi or 500M',
    ],
    [['all', '--min-free-disk', '1Gi'], '--min-free-disk needs at least one --disk-path'],
    [['all', '--disk-path', '/'], '--disk-path needs --min-free-disk'],
    [
      ['all', '--interval-seconds=-1'],
      '--interval-seconds: "-1" is not a positive number of seconds',
    ],
    [
      ['all', '--check-interval-seconds', 'x'],
      '--check-interval-seconds: "x" is not a positive number of seconds',
    ],
    [
      ['all', '--log-level', 'loud'],
      '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      ['device-plugin', '--cpuinfo', '/proc/cpuinfo'],
      '--cpuinfo does not apply to the device-plugin role',
    ],
    [['labeller', '--slots', '2'], '--slots does not apply to the labeller role'],
    [
      ['device-plugin', '--plugin-dir', `/${'d'.repeat(100)}`],
      `--plugin-dir: "/${'d'.repeat(100)}" is too long for a Unix socket path`,
    ],
  ])('rejects %j with one line naming the flag', (argv, message) => {
    expect(() => parseAgentArgs(argv, env)).toThrow(message);
    try {
      parseAgentArgs(argv, env);
    } catch (err) {
      expect((err as Error).name).toBe('UsageError');
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('needs NODE_NAME for the labeller only', () => {
    expect(() => parseAgentArgs(['labeller'], {})).toThrow(/^NODE_NAME is not set/);
    expect(() => parseAgentArgs(['all'], {})).toThrow(/^NODE_NAME is not set/);
    expect(parseAgentArgs(['device-plugin'], {})).toMatchObject({ role: 'device-plugin' });
    expect(parseAgentArgs(['--help'], {})).toBe('help');
  });
});

describe('sizes', () => {
  it.each([
    ['10Gi', 10 * 2 ** 30],
    ['500M', 500e6],
    ['1024', 1024],
    ['1.5Ki', 1536],
    ['0', 0],
  ])('parses %s', (text, bytes) => expect(parseBytes(text)).toBe(bytes));

  it.each(['', '-1Gi', '10GB', 'Gi', '1e3'])('rejects %j', (text) =>
    expect(parseBytes(text)).toBeUndefined(),
  );

  it('formats bytes for log lines', () => {
    expect(formatBytes(3.25 * 2 ** 30)).toBe('3.3Gi');
    expect(formatBytes(512 * 2 ** 20)).toBe('512Mi');
    expect(formatBytes(900)).toBe('900');
  });
});

describe('label values and boards', () => {
  it.each([
    ['starfive,visionfive-2-v1.3b', 'starfive-visionfive-2-v1.3b'],
    ['vendor,board rev A', 'vendor-board-rev-A'],
    ['-_weird_-', 'weird'],
    ['a'.repeat(70), 'a'.repeat(63)],
    [`${'a'.repeat(62)}-b`, 'a'.repeat(62)],
    [',,,', undefined],
  ])('makes %j into a label value', (text, value) => {
    const made = toLabelValue(text);
    expect(made).toBe(value);
    if (made) expect(isLabelValue(made)).toBe(true);
  });

  it('maps the first known entry, else the first entry made valid', () => {
    expect(boardFor(['milkv,jupiter', 'spacemit,k1-x'], DEFAULT_BOARDS)).toBe('cloudv10x-jupiter');
    expect(boardFor(['sophgo,mango'], DEFAULT_BOARDS)).toBe('cloudv10x-pioneer');
    expect(boardFor(['scaleway,em-rv1-c4m16s128-a', 'thead,th1520'], DEFAULT_BOARDS)).toBe(
      'scw-em-rv1',
    );
    expect(boardFor(['thead,th1520'], DEFAULT_BOARDS)).toBe('thead-th1520');
    expect(boardFor([], DEFAULT_BOARDS)).toBe('unknown');
  });

  it('loads a --boards file over the defaults', async () => {
    const { dir, remove } = tempDir('rise-boards-');
    cleanups.push(remove);
    const file = join(dir, 'boards.yaml');
    writeFileSync(
      file,
      '# extra boards\nstarfive,jh7110: visionfive2\nspacemit,k1-x: cloudv10x-rvv\n',
    );
    expect(await loadBoards(file)).toEqual({
      ...DEFAULT_BOARDS,
      'starfive,jh7110': 'visionfive2',
      'spacemit,k1-x': 'cloudv10x-rvv',
    });
    writeFileSync(file, '');
    expect(await loadBoards(file)).toEqual(DEFAULT_BOARDS);
    expect(await loadBoards()).toEqual(DEFAULT_BOARDS);
  });

  it.each([
    ['- a\n- b\n', 'expected a map of compatible string to board'],
    ['x,y: "not valid!"\n', '"x,y": the board must be a label value'],
    ['x,y: [1]\n', '"x,y": the board must be a label value'],
    ['a: b: c\n', 'Nested mappings are not allowed'],
  ])('rejects a bad --boards file %j in one line', async (text, message) => {
    const { dir, remove } = tempDir('rise-boards-');
    cleanups.push(remove);
    const file = join(dir, 'boards.yaml');
    writeFileSync(file, text);
    await expect(loadBoards(file)).rejects.toThrow(BoardsFileError);
    await expect(loadBoards(file)).rejects.toThrow(message);
    await expect(loadBoards(join(dir, 'missing.yaml'))).rejects.toThrow(/ENOENT/);
  });
});

describe('device tree and cpuinfo', () => {
  it('splits the NUL-separated compatible list', () => {
    expect(parseCompatible(Buffer.from('scaleway,em-rv1-c4m16s128-a\0thead,th1520\0'))).toEqual([
      'scaleway,em-rv1-c4m16s128-a',
      'thead,th1520',
    ]);
    expect(parseCompatible(Buffer.from('sophgo,mango'))).toEqual(['sophgo,mango']);
    expect(parseCompatible(Buffer.from('\0\0'))).toBe('empty');
    expect(parseCompatible(Buffer.from([0xff, 0xfe, 0x00, 0x41]))).toBe(
      'not a NUL-separated list of compatible strings',
    );
  });

  it('reads the base ISA, V and the hart count', () => {
    const cpuinfo = (isa: string, harts = 2) =>
      Buffer.from(
        Array.from(
          { length: harts },
          (_, i) => `processor\t: ${i}\nhart\t\t: ${i}\nisa\t\t: ${isa}\n`,
        ).join('\n'),
      );
    expect(parseCpuinfo(cpuinfo('rv64imafdcv_zicbom_zve64d'))).toEqual({
      isa: 'rv64imafdcv',
      rvv: true,
      harts: 2,
    });
    expect(parseCpuinfo(cpuinfo('rv64imafdc_zve32x_xtheadvector', 4))).toEqual({
      isa: 'rv64imafdc',
      rvv: false,
      harts: 4,
    });
    expect(parseCpuinfo(cpuinfo('rv64gc'))).toEqual({ isa: 'rv64gc', rvv: false, harts: 2 });
    expect(parseCpuinfo(cpuinfo('RV64IMAFDCVH'))).toEqual({
      isa: 'rv64imafdcvh',
      rvv: true,
      harts: 2,
    });
    // x86 cpuinfo: processors, no RISC-V ISA.
    expect(parseCpuinfo(Buffer.from('processor\t: 0\nflags\t\t: fpu vme\n'))).toEqual({ harts: 1 });
  });

  it('says V only when every hart has it', () => {
    const text = 'processor : 0\nisa : rv64imafdcv\n\nprocessor : 1\nisa : rv64imafdc\n';
    expect(parseCpuinfo(Buffer.from(text))).toMatchObject({ rvv: false, harts: 2 });
  });

  it('works out the owned labels and what differs on the node', () => {
    const desired = desiredLabels({
      compatible: { ok: true, path: 'x', value: ['spacemit,k1-x'] },
      cpu: { ok: false, path: 'y', problem: 'empty' },
      boards: DEFAULT_BOARDS,
    });
    expect(desired).toEqual({
      'riseproject.dev/board': 'cloudv10x-jupiter',
      'riseproject.dev/rvv': 'unknown',
      'riseproject.dev/isa': 'unknown',
      'riseproject.dev/harts': 'unknown',
    });
    expect(labelChanges({ ...desired, team: 'ci' }, desired)).toEqual({});
    expect(
      labelChanges({ 'riseproject.dev/board': 'x' }, { 'riseproject.dev/board': 'y' }),
    ).toEqual({
      'riseproject.dev/board': 'y',
    });
  });
});

/** Every project file reachable from `entry` by runtime imports (type-only imports are erased). */
function runtimeImports(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(
      /^import\s+(?!type\b)[^'"]*?['"]([^'"]+)['"]/gm,
    )) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else
        packages.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!,
        );
    }
  }
  return { files, packages };
}

describe('the agent process', () => {
  it('never loads @kubernetes/client-node itself (its label-sync child does)', () => {
    const main = runtimeImports('src/agent/main.ts');
    expect([...main.packages]).not.toContain('@kubernetes/client-node');
    expect([...main.files].some((f) => f.endsWith('src/agent/labeller/labeller.ts'))).toBe(true);
    // gRPC too is loaded only by the roles that serve the device plugin.
    expect([...main.packages]).not.toContain('@grpc/grpc-js');
    expect(runtimeImports('src/agent/device-plugin/plugin.ts').packages).toContain('@grpc/grpc-js');
    expect(runtimeImports('src/agent/labeller/sync-child.ts').packages).toContain(
      '@kubernetes/client-node',
    );
  });
});
