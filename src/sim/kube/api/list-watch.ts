/**
 * Lists and watches with the API server's semantics. A list carries the store's resourceVersion;
 * a watch from that resourceVersion replays what changed since, then streams newline-delimited
 * `{type, object}` events. An object that starts or stops matching the selectors arrives as
 * ADDED or DELETED; a resourceVersion older than the kept history gets an ERROR event with 410.
 */
import type { Request, Response } from 'express';
import { badRequest, failureStatus } from '../errors.js';
import type { KubeState } from '../state/store.js';
import type { Change, Kind, KubeObject } from '../state/types.js';
import { isWatch, query, sendJson } from './http.js';
import { matches, parseSelector, type Selector } from './selectors.js';

interface OpenWatch {
  end(expired: boolean): void;
}

/** The open watches, so a test can cut them (the informer must reconnect) and close() can end them. */
export class WatchRegistry {
  private readonly open = new Set<OpenWatch>();

  add(watch: OpenWatch): () => void {
    this.open.add(watch);
    return () => this.open.delete(watch);
  }

  /** Ends every watch; with `expired`, each first gets a 410 ERROR event, as after etcd compaction. */
  closeAll(expired = false): number {
    const count = this.open.size;
    for (const watch of [...this.open]) watch.end(expired);
    return count;
  }

  get size(): number {
    return this.open.size;
  }
}

export interface ListWatchDeps {
  state: KubeState;
  watches: WatchRegistry;
  /** Server-side limit on a watch's life (the API server's --min-request-timeout); 0 = none. */
  maxWatchMs: number;
}

function expiredStatus(from: string, state: KubeState) {
  return failureStatus(
    410,
    `too old resource version: ${from} (${state.resourceVersion()})`,
    'Expired',
  );
}

function list(
  deps: ListWatchDeps,
  kind: Kind,
  items: KubeObject[],
  req: Request,
  res: Response,
): void {
  const limit = Number(query(req, 'limit') ?? 0);
  const token = query(req, 'continue');
  let start = 0;
  if (token) {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw badRequest('invalid continue token');
  }
  const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
  const more = limit > 0 && start + limit < items.length;
  sendJson(res, 200, {
    kind: `${kind}List`,
    apiVersion: 'v1',
    metadata: {
      resourceVersion: deps.state.resourceVersion(),
      ...(more
        ? {
            continue: Buffer.from(String(start + limit)).toString('base64'),
            remainingItemCount: items.length - start - limit,
          }
        : {}),
    },
    items: page,
  });
}

function watch(
  deps: ListWatchDeps,
  kind: Kind,
  visible: (o: KubeObject) => boolean,
  req: Request,
  res: Response,
): void {
  const { state } = deps;
  res.status(200).type('application/json');
  res.flushHeaders();
  const send = (type: string, object: unknown) =>
    res.write(`${JSON.stringify({ type, object })}\n`);
  const deliver = (change: Change) => {
    if (change.kind !== kind) return;
    const now = visible(change.object);
    const before = change.previous !== undefined && visible(change.previous);
    if (change.type === 'ADDED' && now) send('ADDED', change.object);
    else if (change.type === 'DELETED' && (now || before)) send('DELETED', change.object);
    else if (change.type === 'MODIFIED') {
      if (now) send(before ? 'MODIFIED' : 'ADDED', change.object);
      else if (before) send('DELETED', change.object);
    }
  };
  const from = query(req, 'resourceVersion');
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => undefined as unknown;
  let unregister = () => undefined as unknown;
  const end = (expired: boolean) => {
    if (expired) send('ERROR', expiredStatus(from ?? '', state));
    cleanup();
    res.end();
  };
  const cleanup = () => {
    unsubscribe();
    unregister();
    timers.forEach(clearTimeout);
  };
  if (!from || from === '0') {
    for (const obj of state.list(kind)) if (visible(obj)) send('ADDED', obj);
  } else {
    const changes = state.changesSince(Number(from));
    if (changes === 'expired' || Number.isNaN(Number(from))) {
      send('ERROR', expiredStatus(from, state));
      res.end();
      return;
    }
    changes.forEach(deliver);
  }
  unsubscribe = state.subscribe(deliver);
  unregister = deps.watches.add({ end });
  // The response closes when the client goes away (or we end it): stop delivering.
  res.on('close', cleanup);
  const timeoutSeconds = Number(query(req, 'timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timers.push(setTimeout(() => end(false), timeoutSeconds * 1000));
  if (deps.maxWatchMs > 0) timers.push(setTimeout(() => end(false), deps.maxWatchMs));
}

/** GET on a collection: a list, or with ?watch=true a watch. `namespace` undefined = all. */
export function listOrWatch(
  deps: ListWatchDeps,
  kind: Kind,
  namespace: string | undefined,
  req: Request,
  res: Response,
): void {
  const selector: Selector = parseSelector(
    kind,
    query(req, 'labelSelector'),
    query(req, 'fieldSelector'),
  );
  const visible = (obj: KubeObject) =>
    (namespace === undefined || obj.metadata.namespace === namespace) && matches(selector, obj);
  if (isWatch(req)) return watch(deps, kind, visible, req, res);
  list(deps, kind, deps.state.list(kind, namespace).filter(visible), req, res);
}
