import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunnersConfig } from '../../config/runners.js';
import type { DeliveryRecord } from '../../db/ingest.js';
import type { Logger } from '../../logger.js';
import { observeDelivery } from '../../metrics/observe.js';
import type { Metrics } from '../../metrics/registry.js';
import { classifyInstallation, classifyWorkflowJob, type Decision } from './classify.js';
import { forwardDelivery } from './forward.js';
import type { Recorder } from './recorder.js';
import { BodyRefused, createInflightBudget, readSignedBody, type SignedBody } from './read-body.js';

export interface WebhookDeps {
  secrets: readonly string[];
  runners: RunnersConfig;
  deployEnv: 'prod' | 'staging';
  stagingUrl?: string;
  /** Signs what is forwarded to staging (prod's webhook secret never leaves prod). */
  stagingForwardSecret?: string;
  forwardTimeoutMs: number;
  recorder: Recorder;
  log: Logger;
  metrics: Pick<Metrics, 'deliveries' | 'webhookDuration' | 'latency'>;
  /** Most body bytes held across all requests at once (WEBHOOK_INFLIGHT_BYTES). */
  inflightBytes?: number;
  /** Largest body accepted (GitHub's own cap unless a test sets a smaller one). */
  maxBodyBytes?: number;
}

/** GitHub caps payloads at 25 MB; anything larger is not from GitHub. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** WEBHOOK_INFLIGHT_BYTES when not set. */
export const DEFAULT_INFLIGHT_BYTES = 64 * 1024 * 1024;

/**
 * After an early answer: stop taking bytes (Node would otherwise read and discard the rest of the
 * body), send our FIN, and drop the connection once the client closes or after a second.
 */
function stopReading(req: IncomingMessage): void {
  const socket = req.socket;
  socket.pause();
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

const JSON_TYPE = /^application\/(.+\+)?json\s*(;.*)?$/i;

function classify(
  event: string,
  payload: Record<string, unknown>,
  deps: WebhookDeps,
  deliveryId: string,
): Decision {
  const ctx = { runners: deps.runners, deployEnv: deps.deployEnv, deliveryId, event };
  if (event === 'workflow_job') return classifyWorkflowJob(payload, ctx);
  if (event === 'installation') return classifyInstallation(payload, ctx);
  const action = typeof payload.action === 'string' ? payload.action : null;
  const record: DeliveryRecord = { deliveryId, event, action, outcome: 'ignored' };
  const detail = event === 'ping' ? 'pong' : `event "${event}" needs nothing from us`;
  return { kind: 'record', record: { ...record, detail } };
}

/** `/webhook` or `/`, as Express's non-strict, case-insensitive routing would match them. */
export function isWebhookPath(url: string): boolean {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path === '/' || path.toLowerCase() === '/webhook';
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The handler of `POST /webhook` and `POST /` (isWebhookPath): verify, classify, record (or
 * forward), answer. Plain Node request and response: the app runs it ahead of Express's own
 * dispatch (createApp's `webhook`), so a delivery pays for no router at all.
 */
export function webhookHandler(deps: WebhookDeps): WebhookHandler {
  const budget = createInflightBudget(deps.inflightBytes ?? DEFAULT_INFLIGHT_BYTES);
  const secrets = deps.secrets.filter((s) => s !== '');
  // prom-client children per label set: one Map lookup per delivery instead of hashing labels.
  const durations = new Map<number, { observe(v: number): void }>();
  const duration = (status: number) => {
    let h = durations.get(status);
    if (!h) durations.set(status, (h = deps.metrics.webhookDuration.labels(String(status))));
    return h;
  };
  const counters = new Map<string, { inc(): void }>();
  const count = (event: string, outcome: string) => {
    const key = `${event}\n${outcome}`;
    let c = counters.get(key);
    if (!c) counters.set(key, (c = deps.metrics.deliveries.labels(event, outcome)));
    c.inc();
  };

  function parseAndClassify(
    body: Buffer,
    event: string,
    deliveryId: string,
  ): Decision | { error: string } {
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return { error: 'Body is not valid JSON' };
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return { error: 'Body must be a JSON object' };
    }
    return classify(event, payload as Record<string, unknown>, deps, deliveryId);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const reply = (status: number, body: Record<string, unknown>) => {
      duration(status).observe(Number(process.hrtime.bigint() - started) / 1e9);
      // Straight to Node: Express's send would hash the body for an ETag nobody asks for.
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    /** Answers before (or instead of) reading the rest of the body, and closes the connection. */
    const refuse = (status: number, error: string, retryAfter?: number) => {
      if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
      res.setHeader('connection', 'close');
      res.once('finish', () => stopReading(req));
      reply(status, { error });
    };
    const signature = req.headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || signature === '') {
      return refuse(400, 'Missing X-Hub-Signature-256 header');
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      return refuse(
        415,
        'Content-Type must be application/json (set it in the App webhook settings)',
      );
    }
    let held = 0;
    res.once('close', () => budget.give(held));
    let signed: SignedBody | undefined;
    try {
      signed = await readSignedBody(req, {
        signature,
        secrets,
        limitBytes: deps.maxBodyBytes ?? MAX_BODY_BYTES,
        budget,
        reserved: (n) => (held += n),
      });
    } catch (err) {
      if (err instanceof BodyRefused) return refuse(err.status, err.message, err.retryAfterSeconds);
      throw err;
    }
    if (!signed.verified) {
      count('unknown', 'bad_signature');
      return reply(401, { error: 'Signature does not match' });
    }
    const event = req.headers['x-github-event'];
    if (typeof event !== 'string' || event === '') {
      return reply(400, { error: 'Missing X-GitHub-Event header' });
    }
    const deliveryId = req.headers['x-github-delivery'];
    if (typeof deliveryId !== 'string' || deliveryId === '' || deliveryId.length > 200) {
      return reply(400, { error: 'Missing or invalid X-GitHub-Delivery header' });
    }
    // Parsed in a function of its own: nothing of the payload outlives classification, so the
    // ~30 KB of objects per delivery die young instead of being promoted while the batch is
    // written (they did, and cost more GC than everything else in the request).
    const decision = parseAndClassify(signed.body, event, deliveryId);
    if ('error' in decision) return reply(400, { error: decision.error });
    // Made on first use: most deliveries log nothing at the default level.
    let child: Logger | undefined;
    const log = () =>
      (child ??= deps.log.child({ deliveryId, event, jobId: decision.record.jobId }));

    if (decision.kind === 'forward') {
      const failed = await forward(req, res, signed.body, decision.record, log());
      return failed ? reply(failed.status, failed.body) : undefined;
    }
    signed = undefined;
    let outcome;
    try {
      outcome = await deps.recorder.record(decision.record);
    } catch {
      count(event, 'unavailable');
      return reply(503, {
        error: 'Cannot record the delivery right now; GitHub will mark it failed',
      });
    }
    if (decision.kind === 'reject') {
      count(event, 'invalid');
      return reply(400, { error: decision.message });
    }
    if (outcome.stored === 'redis') {
      count(event, 'spooled');
      log().info('delivery spooled to Redis until PostgreSQL is back');
      return reply(202, { ok: true, outcome: 'spooled' });
    }
    const { result } = outcome;
    count(event, result.outcome);
    observeDelivery(deps.metrics, decision.record, result);
    if (deps.log.isLevelEnabled('debug')) {
      log().debug({ outcome: result.outcome, redelivery: result.redelivery }, 'delivery recorded');
    }
    return reply(200, {
      ok: true,
      outcome: result.outcome,
      redelivery: result.redelivery,
      ...(decision.record.detail ? { detail: decision.record.detail } : {}),
    });
  }

  /** Relays staging's answer as it is; only an unreachable staging becomes our own 502. */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    record: DeliveryRecord,
    log: Logger,
  ) {
    const note = (r: DeliveryRecord) => void deps.recorder.record(r).catch(() => undefined);
    if (!deps.stagingUrl) {
      note({ ...record, outcome: 'forward_failed', detail: 'STAGING_URL is not set' });
      log.error('a staging delivery arrived but STAGING_URL is not set');
      return { status: 502, body: { error: 'Staging delivery, but no staging URL is configured' } };
    }
    try {
      const answer = await forwardDelivery(
        { url: deps.stagingUrl, secret: deps.stagingForwardSecret },
        req.headers,
        body,
        deps.forwardTimeoutMs,
      );
      note({ ...record, detail: `staging answered ${answer.status}` });
      deps.metrics.deliveries.inc({ event: record.event, outcome: 'forwarded' });
      // As Express's send did: a text answer is labelled UTF-8 unless it says otherwise.
      const type = /;\s*charset=/i.test(answer.contentType)
        ? answer.contentType
        : `${answer.contentType}; charset=utf-8`;
      res.writeHead(answer.status, {
        'content-type': type,
        'content-length': Buffer.byteLength(answer.body),
      });
      res.end(answer.body);
      return undefined;
    } catch (err) {
      log.warn({ err }, 'forwarding to staging failed');
      note({ ...record, outcome: 'forward_failed', detail: String(err) });
      deps.metrics.deliveries.inc({ event: record.event, outcome: 'forward_failed' });
      return { status: 502, body: { error: 'Could not forward the delivery to staging' } };
    }
  }

  return handle;
}
