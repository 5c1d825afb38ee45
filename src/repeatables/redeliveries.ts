import { redisKeys } from '../queues/keys.js';
import { readState, receivedDeliveries, writeState } from '../db/reconcile.js';
import type { AppKind, HookDelivery } from '../github/client.js';
import { describeGitHubError } from '../github/errors.js';
import { counter, nowMs, type Counts, type ReconcileDeps } from './deps.js';

const MAX_PAGES = 10;
const FIRST_RUN_WINDOW_MS = 24 * 3600 * 1000;
const ok = (d: HookDelivery) => d.statusCode >= 200 && d.statusCode < 300;

/**
 * GitHub does not redeliver failed webhook deliveries by itself. Each pass lists each App's
 * deliveries newer than the last one seen, and asks for a redelivery of every GUID that has no
 * successful attempt and that we never recorded, oldest first. A GUID is redelivered at most once
 * per 10 minutes (so an app that is still down is not flooded). The cursor only moves past what
 * was handled.
 */
export async function reconcileRedeliveries(
  deps: Pick<ReconcileDeps, 'db' | 'github' | 'redis' | 'config' | 'log' | 'now'>,
): Promise<Counts> {
  const { counts, add } = counter();
  const now = nowMs(deps);
  for (const app of ['org', 'personal'] as AppKind[]) {
    if (!deps.config.apps[app]) continue;
    const key = `deliveries:${app}`;
    const lastId = Number((await readState(deps.db, key))?.lastId ?? 0);
    const seen: HookDelivery[] = [];
    try {
      let pages = 0;
      for await (const deliveries of deps.github.listDeliveries(app)) {
        const fresh = deliveries.filter(
          (d) =>
            d.id > lastId && (lastId > 0 || now - Date.parse(d.deliveredAt) < FIRST_RUN_WINDOW_MS),
        );
        seen.push(...fresh);
        if (++pages >= MAX_PAGES || fresh.length < deliveries.length) break;
      }
    } catch (err) {
      add('errors');
      deps.log.warn({ app, error: describeGitHubError(err) }, 'could not list webhook deliveries');
      continue;
    }
    add('listed', seen.length);
    if (seen.length === 0) continue;
    const succeeded = new Set(seen.filter(ok).map((d) => d.guid));
    const received = await receivedDeliveries(deps.db, [...new Set(seen.map((d) => d.guid))]);
    const oldestFirst = [...seen].sort((a, b) => a.id - b.id);
    const wanted = new Map<string, HookDelivery>();
    for (const d of oldestFirst) {
      if (!ok(d) && !succeeded.has(d.guid) && !received.has(d.guid)) wanted.set(d.guid, d);
    }
    // The cursor stops before the first GUID left for a later pass, so none is forgotten.
    let stopAt: number | undefined;
    let done = 0;
    for (const d of wanted.values()) {
      if (done >= deps.config.reconcileBatch) {
        stopAt ??= d.id - 1;
        break;
      }
      const fresh = await deps.redis.set(
        redisKeys(deps.config.redisPrefix).redelivered(d.guid),
        '1',
        'EX',
        600,
        'NX',
      );
      if (fresh !== 'OK') {
        stopAt ??= d.id - 1;
        add('waiting');
        continue;
      }
      try {
        await deps.github.redeliver(app, d.id);
        add('redelivered');
        done++;
      } catch (err) {
        stopAt ??= d.id - 1;
        add('errors');
        deps.log.warn(
          { app, deliveryId: d.guid, error: describeGitHubError(err) },
          'redelivery failed',
        );
      }
    }
    await writeState(deps.db, key, { lastId: Math.max(lastId, stopAt ?? oldestFirst.at(-1)!.id) });
  }
  return counts;
}
