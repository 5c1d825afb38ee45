/** What the demo runs: a small cluster, a few tenants with different caps, and a stream of jobs. */

export const DEMO_NODES = [
  ...Array.from({ length: 6 }, (_, i) => ({ name: `em-rv1-${i + 1}`, board: 'scw-em-rv1' })),
  ...Array.from({ length: 2 }, (_, i) => ({
    name: `pioneer-${i + 1}`,
    board: 'cloudv10x-pioneer',
  })),
  ...Array.from({ length: 2 }, (_, i) => ({ name: `rvv-${i + 1}`, board: 'cloudv10x-rvv' })),
];

export interface Tenant {
  kind: 'org' | 'user';
  login: string;
  repo: string;
  /** Org id (fixed, so the runners config can name it); users get theirs from the simulator. */
  id?: number;
  maxWorkers: number | null;
  labels: string[][];
}

export const TENANTS: Tenant[] = [
  {
    kind: 'org',
    login: 'riseproject-dev',
    repo: 'riscv-runner-sample',
    id: 170000001,
    maxWorkers: 4,
    labels: [['ubuntu-24.04-riscv'], ['ubuntu-24.04-riscv-rvv'], ['ubuntu-26.04-riscv']],
  },
  // PyTorch's own label reaches the EM-RV1 boards through an override (config/runners.yaml).
  {
    kind: 'org',
    login: 'pytorch',
    repo: 'pytorch',
    id: 21003710,
    maxWorkers: 3,
    labels: [['linux.riscv64.xlarge']],
  },
  {
    kind: 'org',
    login: 'acme-corp',
    repo: 'firmware',
    id: 170000003,
    maxWorkers: null,
    labels: [['ubuntu-24.04-riscv'], ['ubuntu-24.04-riscv-2xlarge']],
  },
  {
    kind: 'user',
    login: 'alice',
    repo: 'riscv-tools',
    maxWorkers: 2,
    labels: [['ubuntu-24.04-riscv']],
  },
];

/** A small deterministic generator, so two demo runs queue the same jobs. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
