/**
 * The board labeller against the simulator's Kubernetes API (real @kubernetes/client-node over
 * HTTP), with fixture device trees and cpuinfo files of each board and bad files of each kind.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BOARDS } from '../../src/agent/labeller/boards.js';
import { Labeller, type LabellerOptions } from '../../src/agent/labeller/labeller.js';
import { createNodeLabelSync } from '../../src/agent/labeller/node-labels.js';
import { createKubeSim, type KubeSim } from '../../src/sim/kube/index.js';
import { connectKubeSim } from '../helpers/kube-sim.js';
import { waitFor } from '../helpers/wait.js';
import { captureLogs, tempDir } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/agent');
const NODE = 'rv-node-1';
const GET = 'GET /api/v1/nodes/{name}';
const PATCH = 'PATCH /api/v1/nodes/{name}';

let sim: KubeSim;
let sync: ReturnType<typeof createNodeLabelSync>;
let dir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  sim = createKubeSim();
  const { kc } = await connectKubeSim(sim);
  sync = createNodeLabelSync(kc);
  sim.addNode({ name: NODE, labels: { team: 'ci', 'riseproject.dev/pool': 'nightly' } });
  const tmp = tempDir('rise-labeller-');
  dir = tmp.dir;
  cleanups.push(tmp.remove);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await sim.close();
});

/** Copies a fixture board's files into the test's directory and returns their paths. */
function board(name: string): { compatible: string; cpuinfo: string } {
  const files = { compatible: join(dir, 'compatible'), cpuinfo: join(dir, 'cpuinfo') };
  copyFileSync(join(FIXTURES, name, 'compatible'), files.compatible);
  copyFileSync(join(FIXTURES, name, 'cpuinfo'), files.cpuinfo);
  return files;
}

/** Bytes from a fixed-seed generator: garbage, but the same garbage every run. */
function randomBytes(length: number, seed = 7): Buffer {
  let s = seed;
  return Buffer.from(Array.from({ length }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24));
}

function start(
  files: { compatible: string | string[]; cpuinfo: string },
  opts: Partial<LabellerOptions> = {},
) {
  const logs = captureLogs();
  const labeller = new Labeller(
    {
      nodeName: NODE,
      devicetreePaths: Array.isArray(files.compatible) ? files.compatible : [files.compatible],
      cpuinfoPath: files.cpuinfo,
      boards: DEFAULT_BOARDS,
      intervalMs: 60_000,
      retryInitialMs: 20,
      ...opts,
    },
    { sync, log: logs.log },
  );
  labeller.start();
  cleanups.push(() => labeller.stop());
  return { labeller, logs };
}

const labels = () => sim.state.get('Node', undefined, NODE)?.metadata.labels ?? {};
const owned = () =>
  Object.fromEntries(
    Object.entries(labels()).filter(([k]) => /^riseproject\.dev\/(board|rvv|isa|harts)$/.test(k)),
  );
const labelled = (what = 'the labels') =>
  waitFor(() => labels()['riseproject.dev/board'], { what });

describe('boards and capabilities', () => {
  it.each([
    ['scw-em-rv1', { board: 'scw-em-rv1', rvv: 'false', isa: 'rv64imafdc', harts: '4' }],
    [
      'cloudv10x-pioneer',
      { board: 'cloudv10x-pioneer', rvv: 'false', isa: 'rv64imafdc', harts: '64' },
    ],
    [
      'cloudv10x-jupiter',
      { board: 'cloudv10x-jupiter', rvv: 'true', isa: 'rv64imafdcv', harts: '8' },
    ],
    [
      'unknown-board',
      { board: 'starfive-visionfive-2-v1.3b', rvv: 'false', isa: 'rv64imafdc', harts: '4' },
    ],
  ])('labels a %s node', async (fixture, want) => {
    start(board(fixture));
    await labelled();
    expect(owned()).toEqual({
      'riseproject.dev/board': want.board,
      'riseproject.dev/rvv': want.rvv,
      'riseproject.dev/isa': want.isa,
      'riseproject.dev/harts': want.harts,
    });
  });

  it('lets --boards add a board and override a default', async () => {
    const boardsMap = {
      ...DEFAULT_BOARDS,
      'spacemit,k1-x': 'cloudv10x-rvv',
      'starfive,jh7110': 'visionfive2',
    };
    start(board('cloudv10x-jupiter'), { boards: boardsMap });
    await labelled();
    expect(labels()['riseproject.dev/board']).toBe('cloudv10x-rvv');
  });

  it('falls back to the second device-tree path when the first is missing', async () => {
    const files = board('scw-em-rv1');
    start({
      compatible: [join(dir, 'nope', 'compatible'), files.compatible],
      cpuinfo: files.cpuinfo,
    });
    await labelled();
    expect(labels()['riseproject.dev/board']).toBe('scw-em-rv1');
  });
});

describe('bad input', () => {
  it.each([
    ['an empty device tree', () => writeFileSync(join(dir, 'compatible'), ''), 'empty'],
    [
      'a device tree of random bytes',
      () => writeFileSync(join(dir, 'compatible'), randomBytes(256)),
      'not a NUL-separated list of compatible strings',
    ],
    ['a missing device tree', () => undefined, 'no such file'],
  ])(
    'gives board "unknown" for %s, logs it once with the path, and keeps running',
    async (_what, make, problem) => {
      copyFileSync(join(FIXTURES, 'scw-em-rv1', 'cpuinfo'), join(dir, 'cpuinfo'));
      make();
      const compatible = join(dir, 'compatible');
      const { logs } = start({ compatible, cpuinfo: join(dir, 'cpuinfo') }, { intervalMs: 30 });
      await labelled();
      expect(owned()).toEqual({
        'riseproject.dev/board': 'unknown',
        'riseproject.dev/rvv': 'false',
        'riseproject.dev/isa': 'rv64imafdc',
        'riseproject.dev/harts': '4',
      });
      // Several more passes, still one warning.
      const gets = sim.control.calls(GET);
      await waitFor(() => sim.control.calls(GET) >= gets + 3, { what: 'three more passes' });
      const warnings = logs.lines.filter((l) => l.source === 'devicetree');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ path: compatible, problem });

      // Fixed at the next interval, without a restart.
      copyFileSync(join(FIXTURES, 'scw-em-rv1', 'compatible'), compatible);
      await waitFor(() => labels()['riseproject.dev/board'] === 'scw-em-rv1', {
        what: 'the board',
      });
      expect(logs.messages()).toContain('readable again');
    },
  );

  it.each([
    ['empty', () => Buffer.alloc(0), 'empty'],
    ['random bytes', () => randomBytes(512, 11), 'not a cpuinfo text file'],
    ['not cpuinfo', () => Buffer.from('hello\nworld\n'), 'no "processor" or RISC-V "isa" lines'],
  ])(
    'gives rvv, isa and harts "unknown" for a cpuinfo that is %s',
    async (_what, bytes, problem) => {
      const files = board('cloudv10x-jupiter');
      writeFileSync(files.cpuinfo, bytes());
      const { logs } = start(files);
      await labelled();
      expect(owned()).toEqual({
        'riseproject.dev/board': 'cloudv10x-jupiter',
        'riseproject.dev/rvv': 'unknown',
        'riseproject.dev/isa': 'unknown',
        'riseproject.dev/harts': 'unknown',
      });
      expect(logs.lines.find((l) => l.source === 'cpuinfo')).toMatchObject({
        path: files.cpuinfo,
        problem,
      });
    },
  );

  it('reports a missing cpuinfo with its path', async () => {
    const files = board('scw-em-rv1');
    const { logs } = start({ compatible: files.compatible, cpuinfo: join(dir, 'missing-cpuinfo') });
    await labelled();
    expect(labels()['riseproject.dev/harts']).toBe('unknown');
    expect(logs.lines.find((l) => l.source === 'cpuinfo')).toMatchObject({
      path: join(dir, 'missing-cpuinfo'),
      problem: 'no such file',
    });
  });
});

describe('patching the node', () => {
  it('sends no PATCH when nothing changed', async () => {
    start(board('scw-em-rv1'), { intervalMs: 30 });
    await labelled();
    await waitFor(() => sim.control.calls(PATCH) === 1);
    const gets = sim.control.calls(GET);
    await waitFor(() => sim.control.calls(GET) >= gets + 3, { what: 'three more passes' });
    expect(sim.control.calls(PATCH)).toBe(1);
  });

  it('patches only the labels that changed and touches nothing else', async () => {
    const files = board('scw-em-rv1');
    const { logs } = start(files, { intervalMs: 30 });
    await labelled();
    const before = sim.state.get('Node', undefined, NODE)!;

    // New hardware facts (say, a kernel that now reports V) change three labels, not the board.
    copyFileSync(join(FIXTURES, 'cloudv10x-jupiter', 'cpuinfo'), files.cpuinfo);
    const updates = () => logs.lines.filter((l) => l.msg === 'node labels updated');
    await waitFor(() => updates().length === 2, { what: 'the second update' });
    const after = sim.state.get('Node', undefined, NODE)!;
    expect(updates()[1]?.changed).toEqual({
      'riseproject.dev/rvv': 'true',
      'riseproject.dev/isa': 'rv64imafdcv',
      'riseproject.dev/harts': '8',
    });
    expect(after.spec).toEqual(before.spec);
    expect(after.status).toEqual(before.status);
    const { labels: afterLabels, resourceVersion: _a, ...afterMeta } = after.metadata;
    const { labels: beforeLabels, resourceVersion: _b, ...beforeMeta } = before.metadata;
    expect(afterMeta).toEqual(beforeMeta);
    // Labels it does not own stay as they were.
    for (const key of [
      'team',
      'riseproject.dev/pool',
      'kubernetes.io/arch',
      'kubernetes.io/hostname',
    ]) {
      expect(afterLabels?.[key]).toBe(beforeLabels?.[key]);
    }
    expect(afterLabels?.team).toBe('ci');
  });

  it('puts back an owned label someone changed, at the next interval', async () => {
    start(board('cloudv10x-pioneer'), { intervalMs: 30 });
    await labelled();
    sim.state.update('Node', undefined, NODE, (n) => {
      n.metadata.labels = { ...n.metadata.labels, 'riseproject.dev/board': 'wrong' };
    });
    await waitFor(() => labels()['riseproject.dev/board'] === 'cloudv10x-pioneer', {
      what: 'the board back',
    });
  });

  it('retries an API error with backoff and logs it without credentials', async () => {
    sim.control.failNext(PATCH, { count: 2, status: 500, message: 'etcdserver: leader changed' });
    const { logs } = start(board('scw-em-rv1'));
    await waitFor(() => logs.messages().includes('node labels synced again'));
    expect(labels()['riseproject.dev/board']).toBe('scw-em-rv1');
    const failures = logs.lines.filter((l) => l.msg === 'labelling the node failed; retrying');
    expect(failures.map((l) => [l.attempt, l.retryInMs])).toEqual([
      [1, 20],
      [2, 40],
    ]);
    expect(failures[0]!.error).toEqual({ status: 500, message: 'etcdserver: leader changed' });
    expect(JSON.stringify(logs.lines)).not.toContain(sim.token);
  });

  it('retries while its node does not exist yet', async () => {
    sim.state.delete('Node', undefined, NODE);
    const { logs } = start(board('scw-em-rv1'));
    await waitFor(() =>
      logs.lines.some((l) => (l.error as { status?: number } | undefined)?.status === 404),
    );
    sim.addNode({ name: NODE });
    await labelled();
    expect(labels()['riseproject.dev/board']).toBe('scw-em-rv1');
  });
});
