/**
 * The three PATCH bodies client-node sends: JSON merge patch (RFC 7386), strategic merge patch
 * (a merge patch whose well-known lists merge by key, as Kubernetes' patchMergeKey tags say) and
 * JSON patch (RFC 6902).
 */
import { KubeError } from '../errors.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** patchMergeKey of the lists a client is likely to patch (k8s.io/api/core/v1 types.go). */
const mergeKeys: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
};
/** Lists of scalars merged as sets (patchStrategy:"merge" on []string). */
const setLists = new Set(['finalizers']);

function mergeList(field: string, target: Json, patch: Json[]): Json[] {
  const current: Json[] = Array.isArray(target) ? (target as Json[]) : [];
  if (setLists.has(field)) return [...new Set([...current, ...patch])];
  const mergeKey = mergeKeys[field];
  if (!mergeKey) return strategicMergePatch(undefined, patch) as Json[];
  const out = [...current];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = out.findIndex((c) => isObject(c) && c[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = strategicMergePatch(out[index], item);
    else out.push(strategicMergePatch(undefined, item));
  }
  return out;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (Array.isArray(patch)) return patch.map((item) => strategicMergePatch(undefined, item));
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return strategicMergePatch(undefined, rest);
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // Directives such as $setElementOrder and $retainKeys only order or prune; skip them.
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else if (Array.isArray(value)) out[key] = mergeList(key, out[key], value);
    else out[key] = strategicMergePatch(out[key], value);
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function patchError(message: string): KubeError {
  return new KubeError(
    422,
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw patchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Json; last: string } {
  let parent = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: Json = Array.isArray(parent)
      ? parent[Number(token)]
      : isObject(parent)
        ? parent[token]
        : undefined;
    if (next === undefined) throw patchError(`doc is missing path: "${path}"`);
    parent = next;
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw patchError(`cannot address the document root in "${path}"`);
  return { parent, last };
}

function read(doc: Json, path: string): Json {
  let value = doc;
  for (const token of pointer(path)) {
    value = Array.isArray(value)
      ? value[Number(token)]
      : isObject(value)
        ? value[token]
        : undefined;
    if (value === undefined) throw patchError(`doc is missing path: "${path}"`);
  }
  return value;
}

function remove(doc: Json, path: string): Json {
  const { parent, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!(index >= 0 && index < parent.length)) throw patchError(`doc is missing path: "${path}"`);
    return parent.splice(index, 1)[0];
  }
  if (!isObject(parent) || !(last in parent)) throw patchError(`doc is missing path: "${path}"`);
  const value = parent[last];
  delete parent[last];
  return value;
}

function add(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  if (replace) read(doc, path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!(index >= 0 && index <= parent.length)) throw patchError(`invalid index in "${path}"`);
    parent.splice(index, replace ? 1 : 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchError(`doc is missing path: "${path}"`);
  return doc;
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw patchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw patchError('each JSON patch operation needs "op" and "path"');
    }
    const op = raw as unknown as Operation;
    const value = structuredClone(op.value);
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, value, false);
        break;
      case 'replace':
        doc = add(doc, op.path, value, true);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'move':
        doc = add(doc, op.path, remove(doc, op.from ?? ''), false);
        break;
      case 'copy':
        doc = add(doc, op.path, structuredClone(read(doc, op.from ?? '')), false);
        break;
      case 'test':
        if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(value)) {
          throw patchError(`testing value ${op.path} failed`);
        }
        break;
      default:
        throw patchError(`unexpected operation "${op.op}"`);
    }
  }
  return doc;
}

/** Applies a PATCH body according to its Content-Type, as the API server dispatches. */
export function applyPatch(contentType: string | undefined, target: Json, body: Json): Json {
  const type = (contentType ?? '').split(';')[0]?.trim();
  switch (type) {
    case 'application/json-patch+json':
      return jsonPatch(target, body);
    case 'application/merge-patch+json':
      return mergePatch(target, body);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target, body);
    default:
      throw new KubeError(
        415,
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
  }
}
