import { notFound } from '../errors.js';
import { paginateByCursor } from '../pagination.js';
import { idParam } from '../params.js';
import type { DefineRoute } from '../route.js';
import { deliveryJson } from '../serialize.js';
import type { GitHubState } from '../state.js';
import type { WebhookSender } from '../webhooks.js';

/** The App's webhook deliveries: listed newest first, inspected, redelivered. */
export function deliveryRoutes(
  route: DefineRoute,
  deps: { state: GitHubState; webhooks: WebhookSender },
): void {
  const { state, webhooks } = deps;

  route('GET', '/app/hook/deliveries', 'app', (req, res, app) => {
    const newestFirst = [...state.deliveries[app.kind]].sort((a, b) => b.id - a.id);
    res.json(paginateByCursor(req, res, newestFirst).map((d) => deliveryJson(d)));
  });

  route('GET', '/app/hook/deliveries/{delivery_id}', 'app', (req, res, app) => {
    const id = idParam(req, 'delivery_id');
    const d = state.deliveries[app.kind].find((x) => x.id === id);
    if (!d) throw notFound();
    res.json(deliveryJson(d, true));
  });

  route('POST', '/app/hook/deliveries/{delivery_id}/attempts', 'app', (req, res, app) => {
    webhooks.redeliver(app.kind, idParam(req, 'delivery_id'));
    res.status(202).json({});
  });
}
