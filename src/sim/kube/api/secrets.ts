/**
 * The secret routes. `stringData` is write-only: it is base64-encoded into `data` on every write,
 * as the API server does; `type` and the data of an `immutable` secret cannot change.
 */
import type { Router } from 'express';
import { badRequest, invalid, notFound } from '../errors.js';
import type { NewObject } from '../state/store.js';
import type { Secret } from '../state/types.js';
import type { ApiFaults } from './api-faults.js';
import { param, query, route, sendJson } from './http.js';
import { listOrWatch, type ListWatchDeps } from './list-watch.js';
import { applyPatch } from './patch.js';
import { validateSecret } from './validate.js';
import {
  bodyObject,
  inNamespace,
  metaOf,
  requireValid,
  stripServerFields,
  storeUpdate,
  type Json,
} from './writes.js';

export interface SecretRouteDeps extends ListWatchDeps {
  faults: ApiFaults;
  namespaceExists: (namespace: string) => boolean;
}

const collection = '/api/v1/namespaces/{namespace}/secrets';
const item = `${collection}/{name}`;

/** Folds stringData into data and defaults the type. */
function normalize(body: Json): Json {
  const { stringData, ...rest } = body;
  const data = { ...((rest.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(
    (stringData as Record<string, string> | undefined) ?? {},
  )) {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return { ...rest, apiVersion: 'v1', kind: 'Secret', type: rest.type ?? 'Opaque', data };
}

function getSecret(deps: SecretRouteDeps, namespace: string, name: string): Secret {
  const secret = deps.state.get('Secret', namespace, name);
  if (!secret) throw notFound('secrets', name);
  return secret;
}

function checkUpdate(current: Secret, desired: Json): void {
  const name = current.metadata.name;
  requireValid(
    'Secret',
    name,
    validateSecret({ ...desired, metadata: { ...metaOf(desired), name } }),
  );
  if (desired.type !== current.type) {
    throw invalid('Secret', name, [
      { reason: 'FieldValueInvalid', message: 'field is immutable', field: 'type' },
    ]);
  }
  if (
    current.immutable &&
    JSON.stringify(desired.data ?? {}) !== JSON.stringify(current.data ?? {})
  ) {
    throw invalid('Secret', name, [
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: field is immutable when `immutable` is set',
        field: 'data',
      },
    ]);
  }
}

export function secretRoutes(router: Router, deps: SecretRouteDeps): void {
  const { state, faults } = deps;

  route(router, faults, 'GET', '/api/v1/secrets', (req, res) =>
    listOrWatch(deps, 'Secret', undefined, req, res),
  );
  route(router, faults, 'GET', collection, (req, res) =>
    listOrWatch(deps, 'Secret', param(req, 'namespace'), req, res),
  );

  route(router, faults, 'POST', collection, (req, res) => {
    const namespace = param(req, 'namespace');
    if (!deps.namespaceExists(namespace)) throw notFound('namespaces', namespace);
    const body = inNamespace(bodyObject(req), namespace);
    const meta = stripServerFields(metaOf(body));
    const name =
      typeof meta.name === 'string' && meta.name
        ? meta.name
        : `${typeof meta.generateName === 'string' ? meta.generateName : ''}bcdfg`;
    requireValid('Secret', name, validateSecret({ ...body, metadata: { ...meta, name } }));
    const secret = normalize({ ...body, metadata: meta }) as unknown as NewObject<Secret>;
    if (query(req, 'dryRun') === 'All') return sendJson(res, 201, secret);
    sendJson(res, 201, state.create('Secret', secret));
  });

  route(router, faults, 'GET', item, (req, res) => {
    sendJson(res, 200, getSecret(deps, param(req, 'namespace'), param(req, 'name')));
  });

  route(router, faults, 'PUT', item, (req, res) => {
    const namespace = param(req, 'namespace');
    const name = param(req, 'name');
    const body = inNamespace(bodyObject(req), namespace);
    if (metaOf(body).name !== name) {
      throw badRequest(
        `the name of the object (${String(metaOf(body).name)}) does not match the name on the URL (${name})`,
      );
    }
    const current = getSecret(deps, namespace, name);
    const desired = normalize(body);
    checkUpdate(current, desired);
    sendJson(res, 200, storeUpdate(state, 'Secret', current, desired));
  });

  route(router, faults, 'PATCH', item, (req, res) => {
    const current = getSecret(deps, param(req, 'namespace'), param(req, 'name'));
    const desired = normalize(applyPatch(req.get('content-type'), current, req.body) as Json);
    checkUpdate(current, desired);
    sendJson(res, 200, storeUpdate(state, 'Secret', current, desired));
  });

  route(router, faults, 'DELETE', item, (req, res) => {
    const namespace = param(req, 'namespace');
    const name = param(req, 'name');
    const secret = getSecret(deps, namespace, name);
    state.delete('Secret', namespace, name);
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: 'secrets', uid: secret.metadata.uid },
    });
  });
}
