import express, { type Request, type Response, type Router } from 'express';
import type { RunnersConfig } from '../../config/runners.js';
import type { DeliveryRecord } from '../../db/ingest.js';
import type { Logger } from '../../logger.js';
import { observeDelivery } from '../../metrics/observe.js';
import type { Metrics } from '../../metrics/registry.js';
import { classifyInstallation, classifyWorkflowJob, type Decision } from './classify.js';
import { forwardDelivery } from './forward.js';
import type { Recorder } from './recorder.js';
import { verifySignature } from './verify-signature.js';

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
}

/** GitHub caps payloads at 25 MB; anything larger is not from GitHub. */
export const MAX_BODY = '25mb';

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

/** `POST /webhook` and `POST /`: verify, classify, record (or forward), answer. */
export function webhookRouter(deps: WebhookDeps): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: MAX_BODY });

  async function handle(req: Request, res: Response): Promise<void> {
    const started = process.hrtime.bigint();
    const reply = (status: number, body: Record<string, unknown>) => {
      deps.metrics.webhookDuration.observe(
        { status: String(status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
      res.status(status).json(body);
    };
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get('x-hub-signature-256');
    if (!signature) return reply(400, { error: 'Missing X-Hub-Signature-256 header' });
    const text = body.toString('utf8');
    if (!(await verifySignature(text, signature, deps.secrets))) {
      deps.metrics.deliveries.inc({ event: 'unknown', outcome: 'bad_signature' });
      return reply(401, { error: 'Signature does not match' });
    }
    const event = req.get('x-github-event');
    if (!event) return reply(400, { error: 'Missing X-GitHub-Event header' });
    const deliveryId = req.get('x-github-delivery');
    if (!deliveryId || deliveryId.length > 200) {
      return reply(400, { error: 'Missing or invalid X-GitHub-Delivery header' });
    }
    if (!JSON_TYPE.test(req.get('content-type') ?? '')) {
      return reply(415, {
        error: 'Content-Type must be application/json (set it in the App webhook settings)',
      });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return reply(400, { error: 'Body is not valid JSON' });
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return reply(400, { error: 'Body must be a JSON object' });
    }
    const decision = classify(event, payload as Record<string, unknown>, deps, deliveryId);
    // Made on first use: most deliveries log nothing at the default level.
    let child: Logger | undefined;
    const log = () =>
      (child ??= deps.log.child({ deliveryId, event, jobId: decision.record.jobId }));

    if (decision.kind === 'forward') {
      const failed = await forward(req, res, body, decision.record, log());
      return failed ? reply(failed.status, failed.body) : undefined;
    }
    let outcome;
    try {
      outcome = await deps.recorder.record(decision.record);
    } catch {
      deps.metrics.deliveries.inc({ event, outcome: 'unavailable' });
      return reply(503, {
        error: 'Cannot record the delivery right now; GitHub will mark it failed',
      });
    }
    if (decision.kind === 'reject') {
      deps.metrics.deliveries.inc({ event, outcome: 'invalid' });
      return reply(400, { error: decision.message });
    }
    if (outcome.stored === 'redis') {
      deps.metrics.deliveries.inc({ event, outcome: 'spooled' });
      log().info('delivery spooled to Redis until PostgreSQL is back');
      return reply(202, { ok: true, outcome: 'spooled' });
    }
    const { result } = outcome;
    deps.metrics.deliveries.inc({ event, outcome: result.outcome });
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
    req: Request,
    res: Response,
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
      res.status(answer.status).type(answer.contentType).send(answer.body);
      return undefined;
    } catch (err) {
      log.warn({ err }, 'forwarding to staging failed');
      note({ ...record, outcome: 'forward_failed', detail: String(err) });
      deps.metrics.deliveries.inc({ event: record.event, outcome: 'forward_failed' });
      return { status: 502, body: { error: 'Could not forward the delivery to staging' } };
    }
  }

  const handler = (req: Request, res: Response) => handle(req, res);
  router.post('/webhook', raw, handler);
  router.post('/', raw, handler);
  return router;
}
