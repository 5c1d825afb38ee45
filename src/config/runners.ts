import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { podDeprecations, podOptionsSchema, type PodOptions } from './pod-options.js';
import {
  repositoriesSchema,
  repositoryRule,
  type RepositoryAccess,
  type RepositoryRule,
} from './repo-access.js';

export { DEFAULT_POD_OPTIONS, type DockerMode, type PodOptions } from './pod-options.js';

const label = z.string().min(1).max(200);
const labelSet = z
  .array(label)
  .min(1)
  .transform((ls) => [...new Set(ls)].sort());

// Kubernetes names: the board is a label value, so it follows label-value syntax.
const board = z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a label value');
const target = {
  board,
  image: z.string().min(1),
  description: z.string().optional(),
  pod: podOptionsSchema.prefault({}),
};

const entityId = z.number().int().positive();
const repoName = z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name');

const file = z
  .object({
    allowlist: z.boolean().default(false),
    defaults: z
      .object({
        max_workers: z.number().int().positive().nullable().default(20),
        // Personal accounts are one entity per repository: this caps an owner's repositories
        // together (and an organization, whose owner is itself). Unlimited unless set.
        max_workers_per_owner: z.number().int().positive().nullable().default(null),
        // The original serves public open-source projects: public repositories are welcome.
        public_repositories: z.boolean().default(true),
      })
      .strict()
      .default({ max_workers: 20, max_workers_per_owner: null, public_repositories: true }),
    pools: z.array(z.object({ labels: labelSet, ...target }).strict()).min(1),
    overrides: z
      .array(
        z
          .object({
            entity: entityId,
            repository: repoName.optional(),
            labels: labelSet,
            ...target,
          })
          .strict(),
      )
      .default([]),
    entities: z
      .array(
        z
          .object({
            id: entityId,
            name: z.string().optional(),
            max_workers: z.number().int().positive().nullable().optional(),
            max_workers_per_owner: z.number().int().positive().nullable().optional(),
            staging: z.union([z.boolean(), z.array(repoName)]).default(false),
            repositories: repositoriesSchema.optional(),
            public_repositories: z.boolean().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** Where a job's labels send it: a board (the Kubernetes pool), an image and pod options. */
export interface PoolTarget {
  board: string;
  image: string;
  description?: string;
  pod: PodOptions;
}

export interface EntitySettings extends RepositoryAccess {
  /** `null` means unlimited. */
  maxWorkers: number | null;
  /** Cap on the workers of this entity's installation owner, all its entities together. */
  maxWorkersPerOwner: number | null;
  staging: boolean | string[];
  listed: boolean;
}

interface EntityEntry {
  name?: string;
  maxWorkers?: number | null;
  maxWorkersPerOwner?: number | null;
  staging: boolean | string[];
  repositories?: RepositoryRule;
  publicRepositories?: boolean;
}

export interface RunnersConfig {
  allowlist: boolean;
  /** Start-up warnings (deprecated options), one line each; the entry points log them. */
  warnings: string[];
  defaultMaxWorkers: number | null;
  defaultMaxWorkersPerOwner: number | null;
  defaultPublicRepositories: boolean;
  pools: (PoolTarget & { labels: string[] })[];
  overrides: (PoolTarget & { entity: number; repository?: string; labels: string[] })[];
  entities: Map<number, EntityEntry>;
}

/** A stable text key for a sorted label set (also what PostgreSQL's jsonb text looks like). */
export const labelKey = (sorted: readonly string[]): string => JSON.stringify(sorted);

/** `pools[0].pod.env.FOO`; keys that are not plain words are quoted: `node_selector["a.b/c"]`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const key = String(part);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${acc}[${JSON.stringify(key)}]`;
    return acc ? `${acc}.${key}` : key;
  }, '');
}

/** One line per problem, each naming its field (an unknown key is named as the field itself). */
function describeIssues(issues: readonly z.core.$ZodIssue[], source: string): string[] {
  return issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((key) => `${source}: ${formatPath([...i.path, key])}: unknown option`);
    }
    const message = i.code === 'invalid_key' ? `not ${i.issues[0]?.message ?? 'valid'}` : i.message;
    return [`${source}: ${formatPath(i.path) || '(root)'}: ${message}`];
  });
}

/** Deprecation lines for the `pod:` blocks of the raw file (the parsed one has no old keys). */
function deprecationWarnings(data: unknown, source: string): string[] {
  const lists = (data ?? {}) as Record<string, unknown>;
  return (['pools', 'overrides'] as const).flatMap((list) => {
    const items = lists[list];
    if (!Array.isArray(items)) return [];
    return items.flatMap((item: unknown, i) =>
      podDeprecations(`${source}: ${list}[${i}].pod`, (item as { pod?: unknown } | null)?.pod),
    );
  });
}

/**
 * Without an allowlist anyone who installs the App gets runners, and privileged Docker gives
 * workflow code root on the node (and the node's other tenants). `rootless` is not refused: its
 * pod is user-namespaced, so root inside is not root on the node.
 */
function privilegedWithoutAllowlist(f: z.infer<typeof file>, source: string): string[] {
  const rules = [
    ...f.pools.map((p, i) => ({ at: `pools[${i}]`, what: 'pool', p })),
    ...f.overrides.map((p, i) => ({ at: `overrides[${i}]`, what: `entity ${p.entity}'s`, p })),
  ];
  return rules
    .filter(({ p }) => p.pod.docker === 'privileged')
    .map(
      ({ at, what, p }) =>
        `${source}: ${at}.pod.docker: ${what} ${labelKey(p.labels)} is privileged ` +
        '(docker: privileged, the default), which gives workflow code root on the node; ' +
        'only allowlisted tenants may use it: set allowlist: true, or docker: rootless or none',
    );
}

export function parseRunnersConfig(text: string, source: string): RunnersConfig {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = file.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(describeIssues(parsed.error.issues, source));
  }
  const f = parsed.data;
  const problems: string[] = [];
  const seen = new Set<string>();
  f.pools.forEach((p, i) => {
    const key = labelKey(p.labels);
    if (seen.has(key)) problems.push(`${source}: pools[${i}].labels: ${key} is listed twice`);
    seen.add(key);
  });
  const entities = new Map<number, EntityEntry>();
  f.entities.forEach((e, i) => {
    if (entities.has(e.id)) problems.push(`${source}: entities[${i}].id: ${e.id} is listed twice`);
    entities.set(e.id, {
      name: e.name,
      maxWorkers: e.max_workers,
      maxWorkersPerOwner: e.max_workers_per_owner,
      staging: e.staging,
      repositories: e.repositories && repositoryRule(e.repositories),
      publicRepositories: e.public_repositories,
    });
  });
  if (!f.allowlist) problems.push(...privilegedWithoutAllowlist(f, source));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    allowlist: f.allowlist,
    warnings: deprecationWarnings(data, source),
    defaultMaxWorkers: f.defaults.max_workers,
    defaultMaxWorkersPerOwner: f.defaults.max_workers_per_owner,
    defaultPublicRepositories: f.defaults.public_repositories,
    pools: f.pools,
    overrides: f.overrides,
    entities,
  };
}

export function loadRunnersConfig(path: string): RunnersConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `RUNNERS_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  return parseRunnersConfig(text, path);
}

/**
 * The pool a job goes to. Exact sorted label sets only: a job asking for more or fewer labels
 * than a rule names would get a runner it cannot use. A repository override beats an entity
 * override, which beats the global pools.
 */
export function resolvePool(
  config: RunnersConfig,
  job: { labels: readonly string[]; entityId: number; repoFullName: string },
): PoolTarget | undefined {
  const key = labelKey(job.labels);
  const overrides = config.overrides.filter(
    (o) => o.entity === job.entityId && labelKey(o.labels) === key,
  );
  const repo = job.repoFullName.toLowerCase();
  const chosen =
    overrides.find((o) => o.repository?.toLowerCase() === repo) ??
    overrides.find((o) => o.repository === undefined) ??
    config.pools.find((p) => labelKey(p.labels) === key);
  if (!chosen) return undefined;
  return {
    board: chosen.board,
    image: chosen.image,
    description: chosen.description,
    pod: chosen.pod,
  };
}

export function entitySettings(config: RunnersConfig, entityId: number): EntitySettings {
  const e = config.entities.get(entityId);
  return {
    maxWorkers: e?.maxWorkers === undefined ? config.defaultMaxWorkers : e.maxWorkers,
    maxWorkersPerOwner:
      e?.maxWorkersPerOwner === undefined ? config.defaultMaxWorkersPerOwner : e.maxWorkersPerOwner,
    staging: e?.staging ?? false,
    listed: e !== undefined,
    ...(e?.repositories ? { repositories: e.repositories } : {}),
    publicRepositories: e?.publicRepositories ?? config.defaultPublicRepositories,
  };
}

/** True when a delivery for this entity (or this repository of it) belongs to staging. */
export function routesToStaging(
  config: RunnersConfig,
  entityId: number,
  repoFullName: string,
): boolean {
  const staging = config.entities.get(entityId)?.staging ?? false;
  if (typeof staging === 'boolean') return staging;
  const repo = repoFullName.toLowerCase();
  return staging.some((r) => r.toLowerCase() === repo);
}

/** Every board a pool or override can send jobs to. */
export function boards(config: RunnersConfig): string[] {
  return [...new Set([...config.pools, ...config.overrides].map((p) => p.board))].sort();
}
