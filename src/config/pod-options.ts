/**
 * The `pod:` options of a pool or override: how its runner pod runs the image's own Docker
 * (`privileged`, `rootless` or `none`), its storage, scheduling and extra environment. What each
 * Docker mode grants, and why, is in docs/runner-image.md ("The runner pod").
 *
 * Combinations that cannot work are refused at start-up with the field's path. `docker_in_docker`
 * and `privileged` (the sidecar era) still parse for one release, mapped onto `docker`.
 */
import { z } from 'zod';

/** The Actions runner cached in images/runner (its Dockerfile's RUNNER_VERSION). */
export const IMAGE_RUNNER_VERSION = '2.335.1';

export const DOCKER_MODES = ['privileged', 'rootless', 'none'] as const;
export type DockerMode = (typeof DOCKER_MODES)[number];

const QUANTITY = /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A quantity's value, to compare requests with limits (QUANTITY has been checked). */
function amount(q: string): number {
  const m = /^([\d.]+)(\D*)$/.exec(q);
  return Number(m?.[1]) * (SUFFIX[m?.[2] ?? ''] ?? 1);
}

// YAML reads `cpu: 4` as a number; Kubernetes wants the string.
const quantity = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(QUANTITY, 'a quantity like 20Gi, 4 or 500m'));

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelName = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const qualifiedName = z.string().refine((key) => {
  const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key];
  return (
    labelName.test(name ?? '') &&
    (prefix === undefined || (prefix.length <= 253 && dnsSubdomain.test(prefix)))
  );
}, 'a label key like riseproject.dev/rvv');
const labelValue = z
  .string()
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, 'a label value');

/** Set from the pool's own options; `env` may not override them. */
const MANAGED_ENV = [
  'RUNNER_JITCONFIG',
  'RUNNER_VERSION',
  'DOCKER_MODE',
  'DOCKER_MTU',
  'RUNNER_WAIT_FOR_DOCKER_IN_SECONDS',
];
const MANAGED_RESOURCES: Record<string, string> = {
  // RUNNER_RESOURCE of src/kube/constants.ts, spelled out: the web process must not load src/kube.
  'riseproject.com/runner': 'is set by the pod itself (one per pod, the one slot of a node)',
  'ephemeral-storage': 'is set by the pod itself; use ephemeral_storage',
};

const toleration = z
  .object({
    key: z.string().min(1).optional(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    // The API server's own rules for a toleration.
    if (t.operator === 'Exists' && t.value) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be empty with Exists' });
    }
    if (!t.key && t.operator !== 'Exists') {
      ctx.addIssue({ code: 'custom', path: ['operator'], message: 'must be Exists without a key' });
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      ctx.addIssue({
        code: 'custom',
        path: ['tolerationSeconds'],
        message: 'only applies to effect NoExecute',
      });
    }
  });

const resourceList = z.record(qualifiedName, quantity).default({});

const raw = z
  .object({
    /** privileged (the original's, and the default) | rootless | none. */
    docker: z.enum(DOCKER_MODES).optional(),
    /** dockerd --mtu: Flannel's VXLAN takes 50 bytes of 1500. */
    docker_mtu: z.number().int().min(68).max(65535).optional(),
    /** How long the entrypoint waits for `docker info` before failing the pod. */
    docker_wait_seconds: z.number().int().min(1).max(3600).optional(),
    /** sizeLimit of the emptyDir holding Docker's images, containers and volumes. */
    docker_storage: quantity.optional(),
    /** sizeLimit of the emptyDir at /home/runner/_work (checkouts, build trees). */
    work_storage: quantity.optional(),
    /** The pod's ephemeral-storage request and limit (what the kubelet evicts on). */
    ephemeral_storage: quantity.default('20Gi'),
    /** Which cached runner of the image to start; it must be in the image. */
    runner_version: z
      .string()
      .regex(/^[0-9A-Za-z][0-9A-Za-z._-]*$/, 'a version like 2.335.1')
      .default(IMAGE_RUNNER_VERSION),
    host_network: z.boolean().default(false),
    termination_grace_period_seconds: z.number().int().min(0).max(3600).default(30),
    /** In addition to the runner-node taint's toleration, which every runner pod has. */
    tolerations: z.array(toleration).default([]),
    image_pull_secrets: z
      .array(z.string().max(253).regex(dnsSubdomain, 'a Secret name'))
      .default([]),
    resources: z.object({ requests: resourceList, limits: resourceList }).strict().prefault({}),
    /** Extra node labels to require, e.g. riseproject.dev/rvv: "true". */
    node_selector: z.record(qualifiedName, labelValue).default({}),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name'), z.string())
      .default({}),
    /** Deprecated (the Docker-in-Docker sidecar): true reads as docker: privileged. */
    docker_in_docker: z.boolean().optional(),
    /** Deprecated (a privileged runner container): true reads as docker: privileged. */
    privileged: z.boolean().optional(),
  })
  .strict();

type Raw = z.infer<typeof raw>;
type Issue = { path: (string | number)[]; message: string };

/** The mode an old config asked for, or undefined when it names neither old option. */
function legacyMode(r: Pick<Raw, 'docker_in_docker' | 'privileged'>): DockerMode | undefined {
  if (r.docker_in_docker === undefined && r.privileged === undefined) return undefined;
  return r.docker_in_docker || r.privileged ? 'privileged' : 'none';
}

function resourceIssues(resources: Raw['resources']): Issue[] {
  const issues: Issue[] = [];
  for (const list of ['requests', 'limits'] as const) {
    for (const [name, value] of Object.entries(resources[list])) {
      const managed = MANAGED_RESOURCES[name];
      if (managed) issues.push({ path: ['resources', list, name], message: managed });
      // Extended resources (device plugins) are counted, never shared or overcommitted.
      const extended = name.includes('/') && !name.startsWith('kubernetes.io/');
      if (extended && !/^\d+$/.test(value)) {
        issues.push({ path: ['resources', list, name], message: 'must be a whole number' });
      }
    }
  }
  for (const [name, request] of Object.entries(resources.requests)) {
    const limit = resources.limits[name];
    if (limit !== undefined && amount(request) > amount(limit)) {
      issues.push({
        path: ['resources', 'requests', name],
        message: `${request} is more than its limit ${limit}`,
      });
    }
  }
  return issues;
}

/** Options that contradict each other, each with the field to change and why. */
function crossFieldIssues(r: Raw): Issue[] {
  const issues: Issue[] = [];
  const mode = r.docker ?? legacyMode(r) ?? 'privileged';
  for (const old of ['docker_in_docker', 'privileged'] as const) {
    if (r.docker !== undefined && r[old] !== undefined) {
      issues.push({ path: [old], message: 'deprecated; remove it, `docker` says how Docker runs' });
    }
  }
  if (mode === 'rootless' && r.host_network) {
    issues.push({
      path: ['host_network'],
      message:
        'cannot be true with docker: rootless: rootless Docker runs in a user-namespaced pod ' +
        '(hostUsers: false), and Kubernetes refuses hostUsers: false with hostNetwork: true; ' +
        'use docker: privileged or none for host networking',
    });
  }
  if (mode === 'none') {
    for (const field of ['docker_mtu', 'docker_wait_seconds', 'docker_storage'] as const) {
      if (r[field] !== undefined) {
        issues.push({ path: [field], message: 'has no effect with docker: none; remove it' });
      }
    }
  }
  for (const name of Object.keys(r.env)) {
    if (MANAGED_ENV.includes(name)) {
      issues.push({
        path: ['env', name],
        message: 'is set by the pod itself; use the pod options',
      });
    }
  }
  const reserved = 'riseproject.dev/board';
  if (reserved in r.node_selector) {
    issues.push({ path: ['node_selector', reserved], message: "is the pool's board; set board" });
  }
  return [...issues, ...resourceIssues(r.resources)];
}

export interface PodOptions {
  docker: DockerMode;
  docker_mtu: number;
  docker_wait_seconds: number;
  /** sizeLimits of the emptyDirs; default the pod's ephemeral_storage. */
  docker_storage: string;
  work_storage: string;
  ephemeral_storage: string;
  runner_version: string;
  host_network: boolean;
  termination_grace_period_seconds: number;
  tolerations: z.infer<typeof toleration>[];
  image_pull_secrets: string[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  node_selector: Record<string, string>;
  env: Record<string, string>;
}

function normalise(r: Raw): PodOptions {
  const { docker_in_docker: _dind, privileged: _privileged, ...rest } = r;
  return {
    ...rest,
    docker: r.docker ?? legacyMode(r) ?? 'privileged',
    docker_mtu: r.docker_mtu ?? 1450,
    docker_wait_seconds: r.docker_wait_seconds ?? 60,
    // A volume can never use more than the pod may; the limits stop one from starving the other.
    docker_storage: r.docker_storage ?? r.ephemeral_storage,
    work_storage: r.work_storage ?? r.ephemeral_storage,
  };
}

export const podOptionsSchema = raw
  .superRefine((r, ctx) => {
    for (const issue of crossFieldIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .transform(normalise);

/** What a pool without `pod:` gets (and what create-runner uses for a pool that vanished). */
export const DEFAULT_POD_OPTIONS: PodOptions = podOptionsSchema.parse({});

/**
 * Start-up warnings for the deprecated options of one `pod:` block (raw YAML), each naming the
 * option to use instead. `where` is the block's path, e.g. `runners.yaml: pools[0].pod`.
 */
export function podDeprecations(where: string, pod: unknown): string[] {
  if (!pod || typeof pod !== 'object') return [];
  const r = pod as Pick<Raw, 'docker_in_docker' | 'privileged' | 'docker'>;
  const mode = legacyMode(r);
  if (mode === undefined) return [];
  return (['docker_in_docker', 'privileged'] as const)
    .filter((old) => r[old] !== undefined)
    .map(
      (old) =>
        `${where}.${old} is deprecated and will be removed in the next release: use \`docker: ${r.docker ?? mode}\` instead`,
    );
}
