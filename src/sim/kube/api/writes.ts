/**
 * What every write shares: the body must be an object in the URL's namespace, a resourceVersion
 * in the body is an optimistic lock (409 Conflict when stale), and identity fields (name, uid,
 * creationTimestamp…) and status (a subresource) cannot be changed through the main resource.
 */
import type { Request } from 'express';
import { badRequest, conflict, invalid, type StatusCause } from '../errors.js';
import { resourceOf, type KubeState } from '../state/store.js';
import type { Kind, KindOf, KubeObject } from '../state/types.js';

export type Json = Record<string, unknown>;

export function bodyObject(req: Request): Json {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object');
  }
  return structuredClone(body as Json);
}

export function metaOf(body: Json): Json {
  const meta = body.metadata;
  return meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Json) : {};
}

/** The body's namespace, when given, must be the URL's. */
export function inNamespace(body: Json, namespace: string): Json {
  const meta = metaOf(body);
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    throw badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  return { ...body, metadata: { ...meta, namespace } };
}

/** Server-set metadata a client cannot choose when creating. */
export function stripServerFields(meta: Json): Json {
  const {
    uid: _uid,
    resourceVersion: _rv,
    creationTimestamp: _created,
    deletionTimestamp: _deleted,
    deletionGracePeriodSeconds: _grace,
    managedFields: _managed,
    selfLink: _self,
    ...rest
  } = meta;
  return rest;
}

export function requireValid(kind: string, name: string, causes: StatusCause[]): void {
  if (causes.length > 0) throw invalid(kind, name, causes);
}

const identity = [
  'name',
  'namespace',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generateName',
];

/**
 * Stores `desired` in place of `current`: identity and (unless `withStatus`) status are kept
 * from `current`; a stale metadata.resourceVersion in `desired` is a 409 Conflict.
 */
export function storeUpdate<K extends Kind>(
  state: KubeState,
  kind: K,
  current: KindOf[K],
  desired: Json,
  withStatus = false,
): KindOf[K] {
  const meta = metaOf(desired);
  const rv = meta.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) {
    throw conflict(resourceOf[kind], current.metadata.name);
  }
  const { namespace, name, uid } = current.metadata;
  const updated = state.update(
    kind,
    namespace,
    name,
    (draft) => {
      const record = draft as unknown as Json;
      for (const key of Object.keys(record))
        if (key !== 'metadata' && (withStatus || key !== 'status')) delete record[key];
      for (const [key, value] of Object.entries(desired)) {
        if (key !== 'metadata' && (withStatus || key !== 'status')) record[key] = value;
      }
      const next: Json = { ...meta };
      for (const key of identity) delete next[key];
      for (const key of [...identity, 'generation']) {
        if (current.metadata[key] !== undefined) next[key] = current.metadata[key];
      }
      next.resourceVersion = current.metadata.resourceVersion;
      draft.metadata = next as KubeObject['metadata'];
    },
    uid,
  );
  if (!updated) throw conflict(resourceOf[kind], name);
  return updated;
}
