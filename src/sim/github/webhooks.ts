import { createHmac, randomUUID } from 'node:crypto';
import { notFound } from './errors.js';
import type { GitHubFaults } from './faults.js';
import type { AppKind, Delivery } from './model.js';
import type { GitHubState } from './state.js';

export interface WebhookMeta {
  installationId: number | null;
  repositoryId: number | null;
  /** Deliveries with the same key are sent one after another (a job's queued → completed). */
  orderKey?: string;
}

interface Attempt {
  app: AppKind;
  guid: string;
  event: string;
  action: string | null;
  body: string;
  redelivery: boolean;
  installationId: number | null;
  repositoryId: number | null;
}

export interface WebhookSenderOptions {
  /** GitHub gives up on a delivery after 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Deliveries kept per App; the oldest go first (GitHub keeps three days' worth). */
  maxDeliveries?: number;
}

/**
 * Signs and POSTs webhooks to each App's configured URL, recording every attempt as a
 * delivery. Like GitHub, it never retries by itself: only redelivery sends again.
 */
export class WebhookSender {
  private chains = new Map<string, Promise<unknown>>();
  private inflight = new Set<Promise<unknown>>();
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly maxDeliveries: number;

  constructor(
    private readonly state: GitHubState,
    private readonly faults: GitHubFaults,
    opts: WebhookSenderOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.maxDeliveries = opts.maxDeliveries ?? 10_000;
  }

  /** Resolves with the recorded delivery, or undefined when nothing was recorded. */
  send(
    app: AppKind,
    event: string,
    payload: Record<string, unknown>,
    meta: WebhookMeta,
  ): Promise<Delivery | undefined> {
    const action = typeof payload.action === 'string' ? payload.action : null;
    const attempt: Attempt = {
      app,
      guid: randomUUID(),
      event,
      action,
      body: JSON.stringify(payload),
      redelivery: false,
      installationId: meta.installationId,
      repositoryId: meta.repositoryId,
    };
    const key = meta.orderKey;
    const prev = key ? this.chains.get(key) : undefined;
    const run = prev ? prev.then(() => this.attempt(attempt)) : this.attempt(attempt);
    if (key) {
      this.chains.set(key, run);
      void run.finally(() => {
        if (this.chains.get(key) === run) this.chains.delete(key);
      });
    }
    return this.track(run);
  }

  /** GitHub's "Redeliver": the same GUID and body, flagged `redelivery`, sent in the background. */
  redeliver(app: AppKind, deliveryId: number): void {
    const d = this.state.deliveries[app].find((x) => x.id === deliveryId);
    if (!d) throw notFound();
    void this.track(
      this.attempt({
        app,
        guid: d.guid,
        event: d.event,
        action: d.action,
        body: d.request.payload,
        redelivery: true,
        installationId: d.installationId,
        repositoryId: d.repositoryId,
      }),
    );
  }

  /** Waits until every delivery under way has been recorded. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private async attempt(a: Attempt): Promise<Delivery | undefined> {
    const app = this.state.apps[a.app];
    const url = app.webhook.url;
    if (!url) return undefined;
    const fault = this.faults.takeWebhook(a.event, a.action);
    if (fault?.mode === 'drop') return undefined;

    const headers: Record<string, string> = {
      Accept: '*/*',
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/sim',
      'X-GitHub-Delivery': a.guid,
      'X-GitHub-Event': a.event,
      'X-GitHub-Hook-ID': String(app.hookId),
      'X-GitHub-Hook-Installation-Target-ID': String(app.id),
      'X-GitHub-Hook-Installation-Target-Type': 'integration',
    };
    const bytes = Buffer.from(a.body, 'utf8');
    const secret = app.webhook.secret;
    if (secret) {
      headers['X-Hub-Signature'] = `sha1=${createHmac('sha1', secret).update(bytes).digest('hex')}`;
      headers['X-Hub-Signature-256'] =
        `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
    }

    const startedMs = this.state.clock.now();
    const started = performance.now();
    let statusCode = 0;
    let status = 'failed to connect to host';
    let response: Delivery['response'] = { headers: {}, payload: null };
    if (fault?.mode === 'fail') {
      statusCode = fault.statusCode ?? 0;
      if (statusCode !== 0) status = `Invalid HTTP Response: ${statusCode}`;
    } else {
      try {
        const res = await this.fetch(url, {
          method: 'POST',
          headers,
          body: bytes,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        statusCode = res.status;
        status = res.ok ? 'OK' : `Invalid HTTP Response: ${res.status}`;
        response = {
          headers: Object.fromEntries(res.headers),
          payload: (await res.text()).slice(0, 2000),
        };
      } catch (err) {
        if (err instanceof DOMException && err.name === 'TimeoutError') status = 'timed out';
      }
    }

    const delivery: Delivery = {
      id: this.state.nextId('delivery'),
      guid: a.guid,
      app: a.app,
      deliveredAt: this.state.clock.iso(startedMs),
      redelivery: a.redelivery,
      duration: Math.round(performance.now() - started) / 1000,
      status,
      statusCode,
      event: a.event,
      action: a.action,
      installationId: a.installationId,
      repositoryId: a.repositoryId,
      request: { headers, payload: a.body },
      response,
    };
    const list = this.state.deliveries[a.app];
    list.push(delivery);
    // Each keeps its ~8 KB body, so a long benchmark would otherwise grow without bound.
    if (list.length > this.maxDeliveries) list.splice(0, list.length - this.maxDeliveries);
    return delivery;
  }
}
