/**
 * The worker's Role and ClusterRole grant exactly what src/kube/ calls: the calls are read from
 * the source (every CoreV1Api method and every informer path), turned into (resource, verb)
 * pairs, and compared with the rendered RBAC in both directions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OVERLAYS, find, ofKind, render, type K8sObject } from './kustomize.js';

const SOURCE_DIR = 'src/kube';
const sources = readdirSync(SOURCE_DIR)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: `${SOURCE_DIR}/${f}`, text: readFileSync(`${SOURCE_DIR}/${f}`, 'utf8') }));

const VERB: Record<string, string> = {
  list: 'list',
  read: 'get',
  create: 'create',
  delete: 'delete',
  replace: 'update',
  patch: 'patch',
};
const plural = (kind: string) => `${kind.toLowerCase()}s`;

interface Grant {
  namespaced: boolean;
  resource: string;
  verb: string;
}

/** `readNamespacedPodLog` → pods/log get (namespaced); `listNode` → nodes list (cluster). */
function grantOf(method: string): Grant {
  const m = /^(list|read|create|delete|replace|patch)(Namespaced)?([A-Z][a-z]+)(Log)?$/.exec(
    method,
  );
  if (!m) throw new Error(`CoreV1Api.${method}: no RBAC mapping; extend grantOf`);
  const [, action, namespaced, kind, log] = m;
  return {
    namespaced: Boolean(namespaced),
    resource: plural(kind!) + (log ? '/log' : ''),
    verb: VERB[action!]!,
  };
}

/** What the code needs, from its calls: `api.method(` and `makeInformer(…, '/api/v1/…')`. */
function neededGrants(): Grant[] {
  const grants: Grant[] = [];
  for (const { text } of sources) {
    for (const m of text.matchAll(/\bapi\.(\w+)\(/g)) grants.push(grantOf(m[1]!));
    for (const m of text.matchAll(
      /makeInformer<\w+>\(\s*[\w.]+,\s*[`'"]\/api\/v1\/(namespaces\/\$\{[^}]+\}\/)?(\w+)[`'"]/g,
    )) {
      for (const verb of ['list', 'watch']) {
        grants.push({ namespaced: Boolean(m[1]), resource: m[2]!, verb });
      }
    }
  }
  return grants;
}

const key = (g: Pick<Grant, 'resource' | 'verb'>) => `${g.resource}:${g.verb}`;

function granted(role: K8sObject): string[] {
  const rules = role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  return rules.flatMap((r) => {
    expect(r.apiGroups).toEqual(['']);
    return r.resources.flatMap((resource) => r.verbs.map((verb) => key({ resource, verb })));
  });
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

describe('what src/kube/ calls', () => {
  it('is read from the source: every Kubernetes client in src/ outside the simulator is there', () => {
    const grants = neededGrants();
    expect(grants.length).toBeGreaterThan(10);
    // Sanity: the parser sees both kinds of call.
    expect(grants).toContainEqual({ namespaced: false, resource: 'nodes', verb: 'watch' });
    expect(grants).toContainEqual({ namespaced: true, resource: 'pods/log', verb: 'get' });
    const clients = sources.filter((s) => /makeApiClient\(/.test(s.text)).map((s) => s.file);
    expect(clients.sort()).toEqual(['src/kube/client.ts', 'src/kube/cluster-view.ts']);
  });

  it('maps method names to RBAC resources and verbs', () => {
    expect(grantOf('replaceNamespacedSecret')).toEqual({
      namespaced: true,
      resource: 'secrets',
      verb: 'update',
    });
    expect(grantOf('listNode')).toEqual({ namespaced: false, resource: 'nodes', verb: 'list' });
    expect(() => grantOf('connectGetNamespacedPodExec')).toThrow(/no RBAC mapping/);
  });
});

describe.each(OVERLAYS)('RBAC in overlay %s', (overlay) => {
  it('the Role in rise-runners grants exactly the namespaced calls', () => {
    const role = find(render(overlay), 'Role', 'rise-worker');
    expect(role.metadata.namespace).toBe('rise-runners');
    const needed = neededGrants().filter((g) => g.namespaced);
    expect(sorted(granted(role))).toEqual(sorted(needed.map(key)));
  });

  it('the ClusterRole grants nodes get, list and watch, which covers the cluster-wide calls', () => {
    const role = find(render(overlay), 'ClusterRole', 'rise-worker-nodes');
    expect(sorted(granted(role))).toEqual(['nodes:get', 'nodes:list', 'nodes:watch']);
    const needed = neededGrants().filter((g) => !g.namespaced);
    expect(needed.map(key).filter((k) => !granted(role).includes(k))).toEqual([]);
  });

  it('only the worker is bound; web and release hold no Kubernetes credentials', () => {
    const objects = render(overlay);
    const bindings = [
      ...ofKind(objects, 'RoleBinding'),
      ...ofKind(objects, 'ClusterRoleBinding'),
    ].filter((b) => ['rise-worker', 'rise-worker-nodes'].includes(b.metadata.name));
    expect(bindings).toHaveLength(2);
    for (const b of bindings) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'worker', namespace: 'rise' }]);
      expect((b.roleRef as { name: string }).name).toBe(b.metadata.name);
    }
    const everyBinding = [
      ...ofKind(objects, 'RoleBinding'),
      ...ofKind(objects, 'ClusterRoleBinding'),
    ];
    const boundInRise = everyBinding.flatMap((b) =>
      ((b.subjects ?? []) as { name: string; namespace?: string }[])
        .filter((s) => s.namespace === 'rise')
        .map((s) => s.name),
    );
    expect(sorted(boundInRise)).toEqual(['worker']);
    for (const sa of ofKind(objects, 'ServiceAccount').filter(
      (s) => s.metadata.namespace === 'rise',
    )) {
      expect(sa.automountServiceAccountToken).toBe(false);
    }
  });

  it('no rule of ours uses a wildcard', () => {
    const ours = [
      find(render(overlay), 'Role', 'rise-worker'),
      find(render(overlay), 'ClusterRole', 'rise-worker-nodes'),
    ];
    const text = JSON.stringify(ours.map((r) => r.rules));
    expect(text).not.toContain('*');
  });
});
